"""What a rule sees: the text it is given (:class:`TextView`), where it is and how it
reports (:class:`CellContext`), and the raw finding a report becomes (:class:`RawFinding`).

This module sits between the data (:mod:`nbguard.model`, :mod:`nbguard.notebook`) and the
rules: rules and the engine both import it, and it imports neither (a context's ``run``
is the engine's ``NotebookRun``, known here only by the attributes it reads).
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import SENSITIVE_CATEGORIES, Severity
from .notebook import Cell, Notebook, Text

if TYPE_CHECKING:  # (the Protocols cost import time; they are for readers and type checkers only)
    from typing import Protocol

    from .analysis import Scope
    from .config import Config
    from .ipysyntax import CellCode, LineMagic, ShellCommand

    class RuleLike(Protocol):
        """What a context needs of the rule that reports (a :class:`nbguard.rules.base.Rule`):
        this module is below the rules and names none."""

        code: str
        name: str
        category: str
        severity: Severity

    class Run(Protocol):
        """What a context reads of its run (the engine's ``NotebookRun``)."""

        nb: Notebook
        config: Config
        scope: Scope
        facts: dict
        raw: list[RawFinding]
        source_contexts: dict[int, CellContext]

        def note_read(self, what: str) -> None: ...


@dataclass
class RawFinding:
    rule: Any  # the reporting rule's class (a nbguard.rules.base.Rule subclass)
    cell: int
    where: str
    output: int | None
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    severity: Severity
    sensitive: bool
    text: "TextView"


class TextView:
    """A text as the rules see it, with offset -> (line, column) mapping."""

    __slots__ = ("kind", "text", "label", "source", "_starts", "_lines", "memo")

    def __init__(self, kind: str, text: str, label: str = "", source: Text | None = None) -> None:
        self.kind = kind  # code | markdown | raw | output | metadata
        self.text = text
        self.label = label  # output: mime/stream name; metadata: dotted key path
        self.source = source
        self._starts: list[int] | None = None
        self._lines: list[str] | None = None
        # per-text results several rules share (e.g. nbguard.rules._pii's scannable body);
        # keys are owned by the helper module that writes them
        self.memo: dict = {}

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def pos(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._starts = starts
        ln = bisect.bisect_right(self._starts, offset) - 1
        return ln + 1, offset - self._starts[ln] + 1


class CellContext:
    """What a rule gets: where it is, the notebook-wide scope, and ``report``."""

    def __init__(self, run: Run, cell: Cell | None, view: TextView,
                 where: str = "source", output: int | None = None) -> None:
        self.run = run
        self.cell = cell
        self.view = view
        self.where = where
        self.output = output
        self.scope = run.scope
        # Notebook-wide facts that rules record and read as the walk goes on, in file
        # order (e.g. "paths this notebook wrote", "HF_HUB_OFFLINE was set"). Keys are
        # owned by the helper module that writes them; see nbguard/rules/_paths.py.
        self.facts = run.facts
        self.code: CellCode | None = None
        self._py_lines: list[str] | None = None
        self._memo: dict | None = None

    @property
    def memo(self) -> dict:
        """Per-context scratch space several rules share (e.g. nbguard.rules.secrets._shared's
        answer for the cell's displayed last expression); keys are owned by the helper that writes them."""
        if self._memo is None:
            self._memo = {}
        return self._memo

    @property
    def notebook(self) -> Notebook:
        self.run.note_read("notebook")
        return self.run.nb

    @property
    def config(self) -> Config:
        return self.run.config

    def report(self, rule: RuleLike, span: tuple[int, int, int, int], message: str, *,
               severity: Severity | None = None, sensitive: bool | None = None) -> None:
        line, col, end_line, end_col = span
        self.run.raw.append(RawFinding(
            type(rule), self.cell.index if self.cell else -1, self.where, self.output,
            line, col, end_line, end_col, message, severity or rule.severity,
            rule.category in SENSITIVE_CATEGORIES if sensitive is None else sensitive, self.view))

    def report_node(self, rule: RuleLike, node: ast.AST, message: str, **kw) -> None:
        self.report(rule, self.node_span(node), message, **kw)

    def report_offsets(self, rule: RuleLike, start: int, end: int, message: str, **kw) -> None:
        l1, c1 = self.view.pos(start)
        l2, c2 = self.view.pos(max(start, end))
        self.report(rule, (l1, c1, l2, c2), message, **kw)

    def node_span(self, node: ast.AST) -> tuple[int, int, int, int]:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = _char_col(self._py_line(line), getattr(node, "col_offset", 0))
        end_col = _char_col(self._py_line(end_line), getattr(node, "end_col_offset", None) or 0)
        if end_line == line and end_col <= col:
            end_col = col + 1
        return line, col + 1, end_line, end_col + 1

    def _py_line(self, line: int) -> str:
        if self._py_lines is None:
            src = self.code.python_source if self.code and self.code.tree is not None else self.view.text
            self._py_lines = src.split("\n")
        lines = self._py_lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def shell_span(self, cmd: ShellCommand, start: int = 0, end: int | None = None) -> tuple[int, int, int, int]:
        return cmd.span(start, len(cmd.text) if end is None else end)

    def magic_span(self, magic: LineMagic) -> tuple[int, int, int, int]:
        return magic.line, magic.col, magic.line, magic.col + max(1, len(magic.args))

    def source_context(self, cell: int) -> "CellContext | None":
        """The source context of an earlier code cell, to report where a value was defined
        (``KEY = "..."`` in cell 1, found through its use in cell 3). None if not seen yet."""
        self.run.note_read(f"cell:{cell}")
        return self.run.source_contexts.get(cell)



def _char_col(line: str, byte_col: int) -> int:
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
