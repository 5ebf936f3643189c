"""The labelled accuracy set: notebooks written as plain text, with the expected findings marked.

A case file (``tests/accuracy/cases/*.nbtxt``) is a notebook in a py:percent-like text form:

    # %%                      a code cell
    # %% [markdown]           a markdown cell
    # %% [raw]                a raw cell
    # %% [output]             a stream output, attached to the previous code cell
    # %% [output text/html]   a rich output (execute_result) with that MIME type

Any line may end with ``  ⟪expect: CATEGORY⟫`` (several: ``⟪expect: secrets, data-exposure⟫``):
the line must produce a finding of that category. Markers are stripped before the
notebook is built, so the linted text is exactly what a practitioner wrote. Every
line without a marker must produce no finding: look-alike negatives are simply
unmarked lines.

``python -m tests.accuracy`` (or ``python tests/accuracy/score.py``) prints precision
and recall per category.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
_MARK = re.compile(r"\s*⟪expect:\s*([a-z\-, ]+)⟫\s*$")
_HEADER = re.compile(r"^# %%(?:\s*\[(markdown|raw|output)(?:\s+([\w/+.\-]+))?\])?\s*$")


@dataclass(frozen=True)
class Label:
    case: str
    cell: int
    where: str  # source | output
    output: int | None
    line: int
    category: str


def parse_case(path: str) -> tuple[dict, list[Label]]:
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    cells: list[dict] = []
    labels: list[Label] = []
    block: list[str] = []
    kind, mime = None, None

    def flush() -> None:
        nonlocal block
        if kind is None:
            block = []
            return
        while block and not block[-1].strip():
            block.pop()
        text_lines, marks = [], []
        for i, ln in enumerate(block):
            m = _MARK.search(ln)
            if m:
                ln = ln[: m.start()]
                marks.extend((i + 1, c.strip()) for c in m.group(1).split(",") if c.strip())
            text_lines.append(ln)
        text = "\n".join(text_lines)
        if kind == "output":
            cell = cells[-1]
            out_index = len(cell["outputs"])
            if mime:
                cell["outputs"].append({"output_type": "execute_result", "execution_count": 1,
                                        "data": {mime: text}, "metadata": {}})
            else:
                cell["outputs"].append({"output_type": "stream", "name": "stdout", "text": text + "\n"})
            labels.extend(Label(name, len(cells) - 1, "output", out_index, ln, c) for ln, c in marks)
        else:
            cell = {"cell_type": kind, "id": f"cell-{len(cells)}", "metadata": {}, "source": text}
            if kind == "code":
                cell.update(outputs=[], execution_count=len(cells) + 1)
            cells.append(cell)
            labels.extend(Label(name, len(cells) - 1, "source", None, ln, c) for ln, c in marks)
        block = []

    for ln in lines:
        h = _HEADER.match(ln)
        if h:
            flush()
            kind, mime = (h.group(1) or "code"), h.group(2)
            continue
        block.append(ln)
    flush()
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}}
    return notebook, labels


def case_files() -> list[str]:
    return sorted(os.path.join(CASES, f) for f in os.listdir(CASES) if f.endswith(".nbtxt"))


def score(verbose: bool = False):
    """Per category: (tp, fp, fn), plus the unmatched findings and labels."""
    from nbguard.api import lint_notebook
    from nbguard.config import Config
    from nbguard.model import CATEGORIES

    counts = {c: [0, 0, 0] for c in CATEGORIES}
    misses: list[str] = []
    for path in case_files():
        notebook, labels = parse_case(path)
        report = lint_notebook(notebook, Config(), path=os.path.basename(path))
        assert not report.errors, report.errors
        want = {(lb.cell, lb.where, lb.output, lb.line, lb.category) for lb in labels}
        got = {(f.cell, f.where, f.output, f.line, f.category): f for f in report.findings}
        for key in want:
            if key in got:
                counts[key[4]][0] += 1
            else:
                counts[key[4]][2] += 1
                misses.append(f"MISSED {os.path.basename(path)} cell {key[0] + 1} {key[1]} line {key[3]}: {key[4]}")
        for key, f in got.items():
            if key not in want:
                counts[key[4]][1] += 1
                misses.append(f"NOISE  {os.path.basename(path)} cell {key[0] + 1} {key[1]} line {key[3]}: "
                              f"{f.rule} {f.message}")
    return counts, misses
