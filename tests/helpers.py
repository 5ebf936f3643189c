"""Test helpers: build notebooks in memory and lint them with chosen rules.

    from helpers import nb, lint, codes
    report = lint(nb("import pickle", "pickle.load(f)"), select="NBG501")
    assert codes(report) == [("NBG501", 1, 2)]   # (rule, cell index, line)
"""

from __future__ import annotations

import json
from typing import Any

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


def rules_fired(notebook_or_source: dict | str, select: str | list[str] = "ALL") -> list[str]:
    n = nb(notebook_or_source) if isinstance(notebook_or_source, str) else notebook_or_source
    return [f.rule for f in lint(n, select).findings]


def write_nb(path, notebook: dict) -> str:
    path = str(path)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(notebook, fh, indent=1)
    return path
