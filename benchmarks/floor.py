"""The parse floor: the least a Python notebook linter can do.

Read every notebook under FOLDER with ``json`` and parse every code cell with ``ast``
(one process, nothing else). Prints one JSON line: notebooks read, code cells, cells
that did not parse (IPython syntax, Python 2), seconds.

    python benchmarks/floor.py FOLDER
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time
import warnings


def notebooks(root: str):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".ipynb") and not name.startswith("."):
                yield os.path.join(folder, name)


def main(root: str) -> None:
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    n = cells = failed = 0
    for path in notebooks(root):
        try:
            with open(path, encoding="utf-8") as fh:
                nb = json.load(fh)
        except (OSError, ValueError):
            continue
        n += 1
        raw_cells = nb.get("cells") if isinstance(nb, dict) else None
        if raw_cells is None and isinstance(nb, dict):  # nbformat 3
            raw_cells = [c for ws in nb.get("worksheets") or [] for c in ws.get("cells") or []]
        for c in raw_cells or []:
            if not isinstance(c, dict) or c.get("cell_type") != "code":
                continue
            src = c.get("source", c.get("input", ""))
            src = "".join(src) if isinstance(src, list) else src
            cells += 1
            try:
                ast.parse(src)
            except (SyntaxError, ValueError):
                failed += 1
    print(json.dumps({"notebooks": n, "code_cells": cells, "unparsed": failed, "seconds": time.perf_counter() - t}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
