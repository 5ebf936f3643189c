"""Where a cold one-core lint spends its time: load, classify, walk, rules, report.

    python benchmarks/stages.py [FOLDER] [--runs N]

Runs ``nbguard lint FOLDER --jobs 1 --no-cache --format json`` in this process with timers
wrapped around the stage boundaries (nothing in nbguard itself is instrumented, so a normal
run pays nothing for this):

- load: reading a file and building the :class:`~nbguard.notebook.Notebook` (``read_notebook``);
- classify: splitting a code cell into Python, magics and shell lines and parsing it (``analyse_cell``);
- rules: time inside the rules' hooks (``check_call``, ``check_node``, ``check_text``, ...);
- walk: the rest of ``NotebookRun.run``: the tree walk, dispatch, scope binding, path facts;
- report: post-processing (suppression, masking, raw lines: ``engine.finalize``) and rendering;
- other: start-up, imports, discovery.

The timers cost a little per hook call (counted under rules). Prints one JSON line with the
median seconds per stage over ``--runs`` runs; ``benchmarks/run.py --stages`` adds the table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("load", "classify", "walk", "rules", "report", "other")


def _timed(fn, acc: dict, key: str):
    clock = time.perf_counter

    def wrapper(*a, **kw):
        t = clock()
        try:
            return fn(*a, **kw)
        finally:
            acc[key] += clock() - t

    wrapper.__wrapped__ = fn
    return wrapper


def instrument(acc: dict) -> None:
    """Wrap the stage boundaries (module attributes the pipeline looks up at call time)."""
    from nbguard import api
    from nbguard import engine
    from nbguard import report
    from nbguard.rules.base import all_rules

    api.read_notebook = _timed(api.read_notebook, acc, "load")
    if hasattr(engine, "analyse_cell_shared"):  # the batch parse cache: hits count as classify too
        engine.analyse_cell_shared = _timed(engine.analyse_cell_shared, acc, "classify")
    else:
        engine.analyse_cell = _timed(engine.analyse_cell, acc, "classify")
    engine.NotebookRun.run = _timed(engine.NotebookRun.run, acc, "run")
    engine.finalize = _timed(engine.finalize, acc, "finalize")
    report.render = _timed(report.render, acc, "render")
    for cls in all_rules().values():
        for hook in cls.hooks():
            setattr(cls, hook, _timed(getattr(cls, hook), acc, "rules"))


def one_run(folder: str) -> dict:
    acc = dict.fromkeys(("load", "classify", "run", "rules", "finalize", "render"), 0.0)
    instrument(acc)
    from nbguard.cli import main

    out = os.path.join(tempfile.mkdtemp(prefix="nbguard-stages-"), "report.json")
    t = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        main(["lint", folder, "--jobs", "1", "--no-cache", "--format", "json", "--exit-zero", "-o", out])
    total = time.perf_counter() - t
    os.unlink(out)
    os.rmdir(os.path.dirname(out))
    stages = {"load": acc["load"], "classify": acc["classify"], "rules": acc["rules"],
              "walk": acc["run"] - acc["classify"] - acc["rules"], "report": acc["finalize"] + acc["render"]}
    stages["other"] = total - sum(stages.values())
    stages["total"] = total
    return stages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    ap.add_argument("--runs", type=int, default=1, help="runs, each in a fresh process (median); default 1")
    args = ap.parse_args()
    if args.runs > 1:  # each run in its own process: cold, like the CLI
        import subprocess

        runs = []
        for _ in range(args.runs):
            r = subprocess.run([sys.executable, __file__, args.folder], capture_output=True, text=True, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps({k: statistics.median(r[k] for r in runs) for k in runs[0]}))
        return 0
    print(json.dumps(one_run(os.path.abspath(args.folder))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
