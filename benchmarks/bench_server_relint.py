"""Server-side latency of a relint after a one-cell edit in a 300-cell notebook.

Starts a real ``jupyter lab`` on 127.0.0.1 (as the tests do), posts a 300-cell
notebook built from the corpus once (the open), then 50 times edits one random
code cell (appends a line binding a new name to a hardcoded token, as a user
pasting a key would) and posts the notebook again, as the editor does.

Reports the median and p90 of the HTTP round trip and of the server's own time
(the ``ms`` field: JSON decoding, validation and linting). ``--in-process``
measures ``NbguardState.lint`` without HTTP.

    python benchmarks/bench_server_relint.py [--cells 300] [--edits 50] [--in-process]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO / "tests"))

KEY = "hf_" + "kQzXwVbNmLpRtYsDfGhJcVbNmQwErTyUiO"


def build_cells(n: int) -> list[dict]:
    """The first ``n`` code and markdown cells of the corpus notebooks, in a stable order."""
    cells: list[dict] = []
    for path in sorted(glob.glob(str(CORPUS / "**" / "*.ipynb"), recursive=True)):
        try:
            nb = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for c in nb.get("cells", []):
            if c.get("cell_type") not in ("code", "markdown"):
                continue
            src = c.get("source", "")
            cell = {"id": f"cell-{len(cells)}", "cell_type": c["cell_type"],
                    "source": "".join(src) if isinstance(src, list) else src, "metadata": c.get("metadata", {})}
            if c["cell_type"] == "code":
                cell["outputs"] = c.get("outputs", [])
            cells.append(cell)
            if len(cells) == n:
                return cells
    if not cells:
        sys.exit(f"no notebooks under {CORPUS}")
    while len(cells) < n:  # a small corpus: repeat it
        c = dict(cells[len(cells) % max(1, len(cells))], id=f"cell-{len(cells)}")
        cells.append(c)
    return cells


def edits(cells: list[dict], count: int, seed: int = 0):
    rng = random.Random(seed)
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    for k in range(count):
        i = rng.choice(code)
        cells[i] = dict(cells[i], source=cells[i]["source"] + f'\npasted_{k} = "{KEY}"')
        yield i


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"{name}: median {statistics.median(values):.1f} ms, p90 {p90:.1f} ms, max {values[-1]:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--in-process", action="store_true")
    args = ap.parse_args()

    cells = build_cells(args.cells)
    body = {"path": "bench/notebook.ipynb", "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "language": "python"}}}
    size = len(json.dumps(body))
    print(f"notebook: {len(cells)} cells ({sum(c['cell_type'] == 'code' for c in cells)} code), "
          f"{size / 1e6:.2f} MB posted per request")

    round_trip: list[float] = []
    server_ms: list[float] = []
    if args.in_process:
        from nbguard.server.handlers import NbguardState

        tmp = tempfile.mkdtemp()
        state = NbguardState(tmp, 10 * 1024 * 1024, 10_000)
        t = time.perf_counter()
        first = state.lint(json.dumps(body).encode())
        print(f"open (full lint): {(time.perf_counter() - t) * 1000:.1f} ms, {len(first['findings'])} findings")
        for _ in edits(cells, args.edits):
            data = json.dumps(body).encode()
            t = time.perf_counter()
            reply = state.lint(data)
            round_trip.append((time.perf_counter() - t) * 1000)
            server_ms.append(reply["ms"])
    else:
        import requests
        from conftest_lab import start_lab, stop_lab

        tmp = Path(tempfile.mkdtemp())
        lab = start_lab(tmp)
        try:
            (lab.root / "bench").mkdir(exist_ok=True)
            s = requests.Session()
            s.headers.update({"Authorization": f"token {lab.token}", "Content-Type": "application/json"})
            url = lab.api("nbguard/lint")
            t = time.perf_counter()
            first = s.post(url, data=json.dumps(body), timeout=300)
            first.raise_for_status()
            print(f"open (full lint): {(time.perf_counter() - t) * 1000:.1f} ms round trip, "
                  f"{len(first.json()['findings'])} findings")
            for _ in edits(cells, args.edits):
                data = json.dumps(body)
                t = time.perf_counter()
                r = s.post(url, data=data, timeout=300)
                round_trip.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                reply = r.json()
                server_ms.append(reply["ms"])
        finally:
            stop_lab(lab.proc)
    print(summary("HTTP round trip" if not args.in_process else "lint call", round_trip))
    print(summary("server time (ms field)", server_ms))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
