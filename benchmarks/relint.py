"""Editor path: relint latency after a one-cell edit in a 300-cell notebook.

Builds a notebook from the first code and markdown cells (with their outputs) of the
notebooks under FOLDER, lints it once (the open), then edits one random code cell at a
time (appending a line that binds a new name to a token, as pasting a key would) and
relints the whole notebook through ``nbguard.api.lint_notebook(nb, config, path=...)``,
the call the JupyterLab server extension makes. Prints one JSON line with the median
and p90 in milliseconds, and the same for a relint that reuses nothing (``--jobs 1``-style
cold engine on the same notebook).

    python benchmarks/relint.py FOLDER [--cells 300] [--edits 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floor import notebooks  # noqa: E402

KEY = "hf_" + "kQzXwVbNmLpRtYsDfGhJcVbNmQwErTyUiO"


def build_notebook(root: str, n: int) -> dict:
    cells: list[dict] = []
    for path in notebooks(root):
        try:
            with open(path, encoding="utf-8") as fh:
                nb = json.load(fh)
        except (OSError, ValueError):
            continue
        for c in nb.get("cells", []) if isinstance(nb, dict) else []:
            if not isinstance(c, dict) or c.get("cell_type") not in ("code", "markdown"):
                continue
            src = c.get("source", "")
            cell = {"id": f"cell-{len(cells)}", "cell_type": c["cell_type"], "metadata": c.get("metadata", {}),
                    "source": "".join(src) if isinstance(src, list) else src}
            if c["cell_type"] == "code":
                cell["outputs"] = c.get("outputs", [])
                cell["execution_count"] = None
            cells.append(cell)
            if len(cells) == n:
                break
        if len(cells) == n:
            break
    if not cells:
        sys.exit(f"no notebooks under {root}")
    while len(cells) < n:  # a small folder: repeat its cells
        cells.append(dict(cells[len(cells) % max(1, len(cells))], id=f"cell-{len(cells)}"))
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}}


def measure(nb: dict, edits: int, fn, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    times = []
    for k in range(edits):
        i = rng.choice(code)
        cell = nb["cells"][i]
        nb["cells"][i] = dict(cell, source=cell["source"] + f'\npasted_{k} = "{KEY}"')
        t = time.perf_counter()
        fn(nb)
        times.append((time.perf_counter() - t) * 1000)
    return times


def stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"median_ms": statistics.median(values), "p90_ms": values[min(len(values) - 1, int(len(values) * 0.9))],
            "max_ms": values[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()

    from nbguard.api import lint_notebook
    from nbguard.config import Config
    from nbguard.engine import RuleSet, lint
    from nbguard.notebook import notebook_from_dict

    config = Config()
    nb = build_notebook(args.folder, args.cells)
    t = time.perf_counter()
    first = lint_notebook(nb, config, path="bench/notebook.ipynb")
    open_ms = (time.perf_counter() - t) * 1000
    editor = measure(json.loads(json.dumps(nb)), args.edits, lambda d: lint_notebook(d, config, path="bench/notebook.ipynb"))

    rules = RuleSet.for_config(config)
    cold = measure(json.loads(json.dumps(nb)), max(5, args.edits // 5),
                   lambda d: lint(notebook_from_dict(d, "bench/notebook.ipynb"), config, rules), seed=1)
    print(json.dumps({
        "cells": len(nb["cells"]), "code_cells": sum(c["cell_type"] == "code" for c in nb["cells"]),
        "open_ms": open_ms, "findings": len(first.findings), "edits": args.edits,
        "relint": stats(editor), "no_reuse": stats(cold),
    }))


if __name__ == "__main__":
    main()
