"""Suppression: ``# nbguard: ignore[...]`` on a line, ``# nbguard: ignore-cell[...]`` in a cell,
the ``nbguard-ignore`` cell tag and a notebook's ``nbguard.ignore`` metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import RawFinding
from .notebook import Notebook
from .selectors import matches

_SUPPRESS = re.compile(r"#\s*nbguard:\s*(ignore-cell|ignore)\b(?:\[([^\]]*)\])?", re.I)


def line_suppression_edit(line: str, code: str) -> tuple[int, int, str] | None:
    """The smallest edit that makes ``line`` carry ``# nbguard: ignore[...code...]`` (an editor's
    "ignore this rule on this line"): ``(start, end, new text)``, 0-based character offsets in the
    line, or None when the line already ignores the rule. A line has one rule list (its last
    comment's, see :func:`suppressions`), so an existing comment is extended, not joined by
    another. Only the comment is written: the edit never carries the line's own text (a secret)."""
    body = line.rstrip("\r")
    last = None
    for m in _SUPPRESS.finditer(body):
        if m.group(1).lower() == "ignore":
            last = m
    if last is not None:
        if last.group(2) is None:
            return None  # a bare ignore already silences every rule on the line
        codes = [c.strip() for c in last.group(2).split(",") if c.strip()]
        if code in codes:
            return None
        return last.start(2), last.end(2), ", ".join(codes + [code])
    kept = len(body.rstrip())
    return kept, len(body), f"{'  ' if kept else ''}# nbguard: ignore[{code}]"


@dataclass
class Suppressions:
    cell_all: set[int] = field(default_factory=set)
    cell_codes: dict[int, list[str]] = field(default_factory=dict)
    lines: dict[tuple[int, int], list[str] | None] = field(default_factory=dict)  # None = every rule
    notebook: list[str] = field(default_factory=list)


def suppressions(nb: Notebook) -> Suppressions:
    """Every suppression the notebook declares, read once per lint."""
    s = Suppressions()
    meta = nb.metadata.get("nbguard")
    if isinstance(meta, dict) and isinstance(meta.get("ignore"), list):
        s.notebook = [x for x in meta["ignore"] if isinstance(x, str)]
    for cell in nb.cells:
        if "nbguard-ignore" in cell.tags:
            s.cell_all.add(cell.index)
        if "nbguard" not in cell.source:
            continue
        for i, line in enumerate(cell.lines):
            if "nbguard" not in line:
                continue
            for m in _SUPPRESS.finditer(line):
                codes = [c.strip() for c in m.group(2).split(",") if c.strip()] if m.group(2) else None
                if m.group(1).lower() == "ignore-cell":
                    if codes is None:
                        s.cell_all.add(cell.index)
                    else:
                        s.cell_codes.setdefault(cell.index, []).extend(codes)
                else:
                    s.lines[(cell.index, i + 1)] = codes
    return s


def is_suppressed(f: RawFinding, s: Suppressions) -> bool:
    """Does a notebook-, cell- or line-level suppression name this finding's rule?"""
    rule = f.rule
    if any(matches(rule, x) for x in s.notebook):
        return True
    if f.cell in s.cell_all:
        return True
    if any(matches(rule, x) for x in s.cell_codes.get(f.cell, ())):
        return True
    if f.where == "source":
        for ln in {f.line, f.end_line}:
            if (f.cell, ln) in s.lines:
                codes = s.lines[(f.cell, ln)]
                if codes is None or any(matches(rule, x) for x in codes):
                    return True
    return False
