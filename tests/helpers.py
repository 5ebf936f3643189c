"""Test helpers: build notebooks in memory and lint them with chosen rules.

    from helpers import nb, lint, codes
    report = lint(nb("import pickle", "pickle.load(f)"), select="NBG501")
    assert codes(report) == [("NBG501", 1, 2)]   # (rule, cell index, line)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from typing import Any

from nbguard import cli
from nbguard.api import lint_notebook
from nbguard.config import Config


def code(source: str, outputs: list[dict] | None = None, **meta: Any) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": meta.pop("id", None) or f"c{abs(hash(str(source))) % 10**8}",
            "metadata": meta, "outputs": outputs or [], "source": source}


def md(source: str) -> dict:
    return {"cell_type": "markdown", "id": f"m{abs(hash(source)) % 10**8}", "metadata": {}, "source": source}


def raw(source: str) -> dict:
    return {"cell_type": "raw", "id": f"r{abs(hash(source)) % 10**8}", "metadata": {}, "source": source}


def stream(text: str, name: str = "stdout") -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def result(data: dict, count: int = 1) -> dict:
    return {"output_type": "execute_result", "execution_count": count, "data": data, "metadata": {}}


def error(ename: str, evalue: str, traceback: list[str]) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback}


def nb(*cells: str | dict, metadata: dict | None = None) -> dict:
    """A v4.5 notebook; plain strings become code cells."""
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": metadata if metadata is not None else {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}},
        "cells": [code(c) if isinstance(c, str) else c for c in cells],
    }


def config(select: str | list[str] = "ALL", **kw: Any) -> Config:
    sel = [select] if isinstance(select, str) else list(select)
    return Config(select=sel, **kw)


def lint(notebook: dict, select: str | list[str] = "ALL", **kw: Any):
    return lint_notebook(notebook, config(select, **kw), path="test.ipynb")


def codes(report) -> list[tuple[str, int, int]]:
    """(rule, cell, line) of each finding, in report order."""
    return [(f.rule, f.cell, f.line) for f in report.findings]


def pointed_at(notebook: dict, finding) -> str:
    """The source text a one-line finding points at (its line, from column to end column)."""
    line = notebook["cells"][finding.cell]["source"].split("\n")[finding.line - 1]
    return line[finding.column - 1:finding.end_column - 1]


def output_findings(select: str, *outputs: dict) -> list[tuple[int, str, int | None, int, str]]:
    """(cell, where, output, line, severity) of each finding in one code cell holding ``outputs``."""
    notebook = nb(code("df.head()", outputs=list(outputs)))
    return [(f.cell, f.where, f.output, f.line, f.severity.label) for f in lint(notebook, select).findings]


def rules_fired(notebook_or_source: dict | str, select: str | list[str] = "ALL") -> list[str]:
    n = nb(notebook_or_source) if isinstance(notebook_or_source, str) else notebook_or_source
    return [f.rule for f in lint(n, select).findings]


def write_nb(path, notebook: dict) -> str:
    path = str(path)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(notebook, fh, indent=1)
    return path


# -- the command line -----------------------------------------------------------------------


def run(*args, cwd=None):
    """``nbguard ARGS`` in this process (fast); returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.main([str(a) for a in args])
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


def run_process(*args, cwd=None):
    """``nbguard ARGS`` as CI runs it, in a new process."""
    p = subprocess.run([sys.executable, "-m", "nbguard", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr
