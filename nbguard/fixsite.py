"""What a rule's autofix sees (``Rule.autofix(finding, site)``) and what it returns.

A :class:`FixSite` is one code cell as :mod:`nbguard.fix` prepared it: the cell text with its
offset mapping (:class:`CellText`), the cell's calls and string constants, each node's parent,
and the finding's offsets. An :class:`Edit` replaces ``source[start:end]`` with ``text``. This
module sits beside :mod:`nbguard.context`, below the rules: the rules' fixers and ``nbguard fix``
both import it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .model import Finding


@dataclass
class Edit:
    start: int
    end: int
    text: str
    finding: Finding
    description: str


class CellText:
    """Maps between AST positions (in the parsed, line-aligned Python text) and offsets in the
    cell source, refusing any node whose text differs between the two."""

    def __init__(self, source: str, python_source: str) -> None:
        self.source = source
        self.python_source = python_source
        self.src_lines = source.split("\n")
        self.py_lines = python_source.split("\n")
        self.starts = [0]
        for line in self.src_lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, col: int) -> int | None:
        """Offset of a 1-based line, 1-based character column."""
        if not 0 < line <= len(self.src_lines):
            return None
        return self.starts[line - 1] + col - 1

    def _char_col(self, line: int, byte_col: int) -> int | None:
        if not 0 < line <= len(self.py_lines):
            return None
        text = self.py_lines[line - 1]
        return byte_col if text.isascii() else len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def range(self, node: ast.AST) -> tuple[int, int] | None:
        line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if line is None or end_line is None:
            return None
        c1 = self._char_col(line, node.col_offset)
        c2 = self._char_col(end_line, node.end_col_offset)
        if c1 is None or c2 is None or end_line > len(self.src_lines):
            return None
        start, end = self.starts[line - 1] + c1, self.starts[end_line - 1] + c2
        segment = ast.get_source_segment(self.python_source, node)
        if segment is None or self.source[start:end] != segment:
            return None  # masked IPython syntax on this line: leave it alone
        return start, end


@dataclass
class FixSite:
    """A finding in a parsed code cell, with what fixers look up."""

    text: CellText
    start: int  # the finding's span, as offsets in text.source
    end: int
    calls: list[ast.Call]
    constants: list[ast.Constant]  # string constants
    parents: dict[ast.AST, ast.AST]

    def enclosing_call(self, attrs: tuple[str, ...], allow_name: bool) -> tuple[ast.Call, tuple[int, int]] | None:
        """The innermost call around the finding's start whose callee's last name is in ``attrs``
        (a bare name too when ``allow_name``), and its offsets."""
        return enclosing_call(self.start, self.text, self.calls, attrs, allow_name)


def enclosing_call(start: int, text: CellText, calls: list[ast.Call], attrs: tuple[str, ...],
                    allow_name: bool) -> tuple[ast.Call, tuple[int, int]] | None:
    best = None
    for call in calls:
        f = call.func
        name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) and allow_name else None)
        if name not in attrs:
            continue
        rng = text.range(call)
        if rng is None or not rng[0] <= start < rng[1]:
            continue
        if best is None or rng[1] - rng[0] < best[1][1] - best[1][0]:
            best = (call, rng)
    return best
