"""The editor path: relint a notebook after an edit, reusing the work of the cells it cannot affect.

The engine processes cells in file order; cell ``j``'s findings (and what it adds to the
notebook-wide state) depend only on its own content, on the names it looks up in the
:class:`~nbguard.analysis.Scope`, on ``ctx.facts`` (what earlier cells did, as rule helpers
record it), and, for a few rules, on other cells (``ctx.notebook``, ``ctx.source_context``).
So each run records, per cell:

* a hash of everything of the cell the engine can see (source, outputs, metadata, index);
* the scope names it read and wrote, the other cells it looked at, whether it read the
  whole notebook, the set of imported modules after it;
* whether it touched ``ctx.facts``, a structural fingerprint of the facts after it and a copy
  of them when it changed them;
* the raw findings it produced.

The next run over the same notebook (same path, rules and config) walks the cells again.
A cell is **reused** (its findings taken as they were, its scope bindings replayed without
any rule, its facts restored from the copy) when its hash is unchanged, it read no name that
an earlier re-linted cell wrote, it looked at no re-linted cell, it did not read the whole
notebook (or nothing changed), and the facts are as they were when it ran (or it does not
touch them). Any other cell is linted again; a name it binds differently from last time
(compared by content: a re-parsed unchanged cell binds "the same" value) becomes "dirty" for
the cells after it, and so do its facts if they now differ. A change in the set of imported modules, cells added or removed, or state the
recorder does not know how to compare makes the rest of the run (or the whole notebook) a
plain full run. The result is always what a full run gives (``tests/test_editor_relint.py``
checks it on corpus notebooks after random edits); only the time differs.

Rules must not write to the scope (only the engine binds names); they may read it, and
keep what they learn in ``ctx.facts``.

Facts are compared by value, recursively through dicts, lists, tuples, sets and dataclasses;
dataclass fields whose names start with ``_`` are caches (e.g. the per-cell binding cache of
``rules/_paths.py``) and are ignored; syntax-tree nodes compare by identity (the parse of an
unchanged cell is shared through :data:`nbguard.ipysyntax.analyse_cell_cached`).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .analysis import UNKNOWN
from .config import Config
from .context import CellContext, RawFinding, TextView
from .dispatch import RuleSet
from .engine import NotebookRun
from .finalize import finalize
from .model import Finding
from .notebook import Cell, Notebook, Text

MAX_NOTEBOOKS = 16  # notebooks whose records are kept (LRU)
_SCOPE_FIELDS = frozenset({"_names", "star_imports", "cell", "modules"})
_MISSING = "<unbound>"


class _Unsupported(Exception):
    """State the recorder cannot copy or compare: fall back to full runs for this notebook."""


# -- tracking the state a cell reads and writes ---------------------------------------------

class _Names(dict):
    """Scope._names, recording the names looked up and bound."""

    __slots__ = ("reads", "writes")

    def __init__(self) -> None:
        super().__init__()
        self.reads: set[str] = set()
        self.writes: set[str] = set()

    def get(self, key, default=None):
        self.reads.add(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self.reads.add(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        self.reads.add(key)
        return dict.__contains__(self, key)

    def __setitem__(self, key, value):
        self.writes.add(key)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        self.writes.add(key)
        dict.__delitem__(self, key)

    def pop(self, key, *default):
        self.writes.add(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key, default=None):
        self.reads.add(key)
        self.writes.add(key)
        return dict.setdefault(self, key, default)

    def _all(self):
        raise _Unsupported("the scope's names were enumerated")

    keys = values = items = __iter__ = update = popitem = clear = copy = _all  # type: ignore[assignment]


class _Facts(dict):
    """ctx.facts, noting whether a cell used it at all."""

    __slots__ = ("touched",)

    def __init__(self) -> None:
        super().__init__()
        self.touched = False

    def _t(name):  # noqa: N805 -- builds the tracking methods below
        base = getattr(dict, name)

        def method(self, *a, **k):
            self.touched = True
            return base(self, *a, **k)

        method.__name__ = name
        return method

    for _m in ("get", "__getitem__", "__setitem__", "__delitem__", "__contains__", "setdefault", "pop", "keys",
               "values", "items", "__iter__", "__len__", "update", "popitem", "clear"):
        locals()[_m] = _t(_m)
    del _m, _t


# -- comparing and copying facts --------------------------------------------------------------

_ATOMS = (str, int, float, bool, type(None), bytes, complex)


def _fingerprint(o: Any) -> Any:
    t = type(o)
    if t in _ATOMS:
        return (t, o)
    if isinstance(o, ast.AST):
        return ("ast", id(o))
    if t is dict or t is _Facts:
        return ("d", tuple((_fingerprint(k), _fingerprint(v)) for k, v in dict.items(o)))
    if t is list or t is tuple:
        return (t, tuple(_fingerprint(v) for v in o))
    if t is set or t is frozenset:
        return (t, tuple(_fingerprint(v) for v in o))  # iteration order counts: rules may depend on it
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return (t, tuple(_fingerprint(getattr(o, f.name)) for f in dataclasses.fields(o)
                         if not f.name.startswith("_")))
    raise _Unsupported(f"cannot compare a {t.__name__} in ctx.facts")


def _structure(o: Any) -> Any:
    """A scope binding's content, for comparing it with the previous run's: syntax trees by
    their dump (positions included), so a re-parsed, unchanged cell binds "the same" value."""
    t = type(o)
    if t in _ATOMS:
        return (t, o)
    if isinstance(o, ast.AST):
        return ("ast", ast.dump(o, include_attributes=True))
    if t is dict:
        return ("d", tuple((_structure(k), _structure(v)) for k, v in o.items()))
    if t in (list, tuple, set, frozenset):
        return (t, tuple(_structure(v) for v in o))
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return (t, tuple(_structure(getattr(o, f.name)) for f in dataclasses.fields(o)))
    if o is UNKNOWN:
        return "UNKNOWN"
    return object()  # something else: never equal, so the name counts as changed


def _copy(o: Any) -> Any:
    t = type(o)
    if t in _ATOMS or isinstance(o, ast.AST) or t is frozenset:
        return o
    if t is dict or t is _Facts:
        return {k: _copy(v) for k, v in dict.items(o)}
    if t is list:
        return [_copy(v) for v in o]
    if t is tuple:
        return tuple(_copy(v) for v in o)
    if t is set:
        return {_copy(v) for v in o}
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        new = object.__new__(t)
        for f in dataclasses.fields(o):
            object.__setattr__(new, f.name, _copy(getattr(o, f.name)))
        return new
    raise _Unsupported(f"cannot copy a {t.__name__} in ctx.facts")


# -- records -----------------------------------------------------------------------------------

@dataclass
class _CellRecord:
    key: bytes
    reads: frozenset[str]
    writes: frozenset[str]
    notebook_read: bool
    modules: tuple[frozenset[str], frozenset[str]]
    facts_touched: bool
    facts_fp: Any  # fingerprint of the facts after this cell
    facts_copy: dict | None  # the facts after this cell, when this cell changed them
    raw: list[RawFinding]
    bindings: dict[str, Any]  # name -> _structure of its binding after this cell, for each name written


@dataclass
class _Record:
    rules: RuleSet  # the rule set it was made with (compared by identity)
    notebook_key: bytes
    cells: list[_CellRecord]
    views: dict[tuple, TextView]  # the run's text views by location and content (findings point at them)


_records: OrderedDict[tuple, _Record | None] = OrderedDict()  # None: this notebook runs in full
_lock = threading.Lock()
stats = {"runs": 0, "cells_reused": 0, "cells_linted": 0, "unsupported": 0}  # for tests and benchmarks


def _cell_key(cell: Cell) -> bytes:
    parts = [repr((cell.index, cell.id, cell.cell_type, cell.source_is_list, cell.json_path, cell.tags,
                   cell.execution_count)), cell.source]
    if cell.metadata:
        parts.append(json.dumps(cell.metadata, sort_keys=True, ensure_ascii=False, default=repr))
    for out in cell.outputs:
        parts.append(repr((out.index, out.output_type)))
        for t in out.texts:
            parts += (repr((t.kind, t.json_path, t.is_list, t.label)), t.text)
    for t in cell.metadata_texts:
        parts += (repr((t.json_path, t.label)), t.text)
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=20).digest()


def _notebook_key(nb: Notebook, keys: list[bytes]) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    h.update(json.dumps([nb.path, nb.nbformat, nb.language], default=repr).encode())
    h.update(json.dumps(nb.metadata, sort_keys=True, ensure_ascii=False, default=repr).encode("utf-8", "surrogatepass"))
    for k in keys:
        h.update(k)
    return h.digest()


def _view_key(kind: str, label: str, text: str, source: Text | None) -> tuple:
    return (kind, label, text, source.json_path if source is not None else None,
            source.is_list if source is not None else None)


def _attribute_bases(tree: ast.AST | None) -> set[str]:
    """Names whose bound object a cell may change in place (``CFG.lr = 0.1``)."""
    out: set[str] = set()
    if tree is None:
        return out
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            base = node.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):
                out.add(base.id)
    return out


# -- the run -----------------------------------------------------------------------------------

class _IncrementalRun(NotebookRun):
    def __init__(self, nb: Notebook, config: Config, ruleset: RuleSet) -> None:
        super().__init__(nb, config, ruleset, reuse_cells=True)
        self.names = _Names()
        self.scope._names = self.names
        self.facts = _Facts()
        self._views: dict[tuple, TextView] = {}
        self._old_views: dict[tuple, TextView] = {}
        self._extra_reads: set[str] = set()
        self._notebook_read = False

    # hooks of NotebookRun / CellContext
    def note_read(self, what: str) -> None:
        if what == "notebook":
            self._notebook_read = True
        else:
            self._extra_reads.add(what)

    def _view(self, kind: str, text: str, label: str, source: Text | None) -> TextView:
        """One view per text (by place and content), shared with the previous run's findings,
        so the masking and de-duplication that group findings by view see reused ones too."""
        key = _view_key(kind, label, text, source)
        v = self._views.get(key)
        if v is None:
            v = self._old_views.get(key) or TextView(kind, text, label, source)
            self._views[key] = v
        return v

    def _check_scope(self) -> None:
        if set(vars(self.scope)) - _SCOPE_FIELDS:
            raise _Unsupported("the scope holds state the recorder does not know")

    # one cell, linted and recorded
    def _lint_cell(self, cell: Cell, key: bytes, facts_fp: Any) -> _CellRecord:
        names, facts = self.names, self.facts
        names.reads, names.writes = set(), set()
        facts.touched = False
        self._extra_reads, self._notebook_read = set(), False
        start = len(self.raw)
        self._cell(cell)
        self._check_scope()
        writes = set(names.writes)
        if cell.cell_type == "code":
            writes |= _attribute_bases(self.analyse(cell.source, self.nb.language).tree)
        bindings = {n: _structure(b) if (b := dict.get(names, n, _MISSING)) is not _MISSING else _MISSING
                    for n in writes}
        facts_copy = None
        if facts.touched:
            fp = _fingerprint(facts)
            if fp != facts_fp:
                facts_copy, facts_fp = _copy(facts), fp
        return _CellRecord(key, frozenset(names.reads | self._extra_reads), frozenset(writes), self._notebook_read,
                           (frozenset(self.scope.modules), frozenset(self.scope.star_imports)), facts.touched,
                           facts_fp, facts_copy, self.raw[start:], bindings)

    # one cell, reused
    def _reuse_cell(self, cell: Cell, old: _CellRecord, facts_fp: Any) -> _CellRecord:
        self.scope.cell = cell.index
        if cell.cell_type == "code":  # the cell's bindings, and its context for later reports
            code = self.analyse(cell.source, self.nb.language)
            ctx = CellContext(self, cell, self._view("code", cell.source, "", Text(
                "code", cell.source, cell.json_path, cell.source_is_list)))
            ctx.code = code
            self.source_contexts[cell.index] = ctx
            if code.tree is not None:
                self._walk_body(code.tree.body, ctx, top=True, visit=False)
        if old.facts_touched and old.facts_fp != facts_fp:
            assert old.facts_copy is not None
            dict.clear(self.facts)
            dict.update(self.facts, _copy(old.facts_copy))
        views = self._views
        for f in old.raw:  # the findings as they were, pointing at the views this run shares
            v = f.text
            views.setdefault(_view_key(v.kind, v.label, v.text, v.source), v)
        self.raw.extend(old.raw)
        return dataclasses.replace(old)

    def run_with(self, prev: _Record | None) -> tuple[list[RawFinding], _Record]:
        self._old_views = prev.views if prev is not None else {}
        cells = self.nb.cells
        keys = [_cell_key(c) for c in cells]
        nb_key = _notebook_key(self.nb, keys)
        changed = prev is None or prev.notebook_key != nb_key
        old_cells = prev.cells if prev is not None else []
        dirty: set[str] = set()
        full = prev is None  # from here on, lint every cell
        facts_dirty = False
        facts_fp = _fingerprint(self.facts)
        records: list[_CellRecord] = []
        for j, cell in enumerate(cells):
            old = old_cells[j] if j < len(old_cells) else None
            if (not full and old is not None and old.key == keys[j] and not (old.notebook_read and changed)
                    and old.reads.isdisjoint(dirty) and not (facts_dirty and old.facts_touched)):
                rec = self._reuse_cell(cell, old, facts_fp)
                stats["cells_reused"] += 1
                facts_fp = rec.facts_fp if rec.facts_touched else facts_fp
                if not rec.facts_touched:
                    rec.facts_fp = facts_fp
                records.append(rec)
                continue
            rec = self._lint_cell(cell, keys[j], facts_fp)
            stats["cells_linted"] += 1
            facts_fp = rec.facts_fp
            records.append(rec)
            if old is None or old.modules != rec.modules:
                full = True  # imports changed (or cells moved): everything after may resolve differently
                continue
            # names whose binding after this cell is not what it was: later readers relint
            for name in rec.writes | old.writes:
                if rec.bindings.get(name, _MISSING) != old.bindings.get(name, _MISSING):
                    dirty.add(name)
            if old.key != keys[j]:
                dirty.add(f"cell:{j}")  # its source context (text, tree) changed
            facts_dirty = facts_fp != old.facts_fp
        self._extra_reads = set()
        self._notebook_texts()
        return self.raw, _Record(self.rules, nb_key, records, self._views)


def run_incremental(nb: Notebook, config: Config, ruleset: RuleSet) -> list[RawFinding]:
    """The raw findings of a full run over ``nb``, reusing the previous run's work where it
    cannot differ (see the module docstring)."""
    key = (nb.path, config.fingerprint(), config.outputs, nb.language)
    with _lock:
        prev = _records.get(key, False)
        if prev is not False:
            _records.move_to_end(key)
        if prev and prev.rules is not ruleset:
            prev = False
    if prev is None:  # this notebook's state cannot be recorded: plain runs
        return NotebookRun(nb, config, ruleset, reuse_cells=True).run()
    run = _IncrementalRun(nb, config, ruleset)
    stats["runs"] += 1
    try:
        raw, record = run.run_with(prev or None)
    except _Unsupported:
        stats["unsupported"] += 1
        raw, record = NotebookRun(nb, config, ruleset, reuse_cells=True).run(), None
    with _lock:
        _records[key] = record
        _records.move_to_end(key)
        while len(_records) > MAX_NOTEBOOKS:
            _records.popitem(last=False)
    return raw


def lint(nb: Notebook, config: Config, ruleset: RuleSet) -> list[Finding]:
    """The findings of :func:`nbguard.engine.lint` (exactly), computed with the editor's reuse:
    parses from a process-wide LRU keyed by cell source, and the previous run over the same
    ``nb.path`` reused for every cell an edit cannot affect."""
    return finalize(nb, run_incremental(nb, config, ruleset), config)


def forget() -> None:
    """Drop every record (tests; a server that reloads its rules)."""
    with _lock:
        _records.clear()
