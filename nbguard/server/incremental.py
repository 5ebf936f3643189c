"""Incremental relinting for the JupyterLab server extension.

The editor posts the whole notebook on every (debounced) edit, but usually only
one cell changed. Findings of cell ``j`` depend only on cell ``j`` itself and on
the names that earlier cells bind (the engine's :class:`~nbguard.analysis.Scope`
is built in file order), so after an edit we relint:

* the changed cells;
* every later cell that reads a name a changed (or re-linted) cell binds, old
  version or new (transitively);

and reuse the previous findings of every other cell. The cells to relint are
linted in a notebook of the same length, where cells that neither need relinting
nor feed the scope of one that does are replaced by empty placeholders: cell
indices (and so "set in cell N" messages) stay the same as in a full run.

Anything that could reach further than names (a change in the set of imported
modules or star imports, the notebook metadata, the config, cells added, removed
or moved) falls back to a full relint. ``tests/test_server.py`` checks on corpus
notebooks that the incremental result equals a full relint after random edits.
"""

from __future__ import annotations

import ast
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..api import lint_notebook
from ..config import Config
from ..ipysyntax import analyse_cell
from ..notebook import notebook_from_dict


@dataclass(frozen=True)
class CellDeps:
    """What a cell contributes to and takes from the notebook-wide scope."""

    binds: frozenset[str]
    reads: frozenset[str]
    imports: frozenset[str]  # imported top-level modules; "*mod" for star imports


_NO_DEPS = CellDeps(frozenset(), frozenset(), frozenset())

# Top-level statements the engine feeds to the scope (NotebookRun._walk_body/_bind).
_BINDING_STMTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.FunctionDef,
                  ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.With, ast.AsyncWith, ast.Try, ast.For,
                  ast.AsyncFor, ast.While) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


def cell_deps(source: str, language: str) -> CellDeps:
    """Names bound, names read and modules imported by a code cell (an over-approximation)."""
    return _names(analyse_cell(source, language).tree)


def skeleton(source: str, language: str) -> str | None:
    """``source`` with every line that cannot bind a name blanked (lines stay in place), or None.

    A cell included only to build the scope of the cells being relinted is linted as
    this skeleton: the same binding statements at the same lines and columns, far less
    to check. None when nothing can be blanked or blanking would change the bindings."""
    code = analyse_cell(source, language)
    if code.tree is None or code.kind != "python" or code.cell_magic:
        return None
    keep: set[int] = set()
    for stmt in code.tree.body:
        if isinstance(stmt, _BINDING_STMTS):
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
            keep.update(range(first, (stmt.end_lineno or stmt.lineno) + 1))
    lines = source.split("\n")
    if len(keep) >= len(lines):
        return None
    out = "\n".join(line if i in keep else "" for i, line in enumerate(lines, 1))
    check = analyse_cell(out, language).tree
    if check is None or _binding_dump(check) != _binding_dump(code.tree):
        return None  # blanking broke the syntax or moved a statement: lint the whole cell
    return out


def _binding_dump(tree: ast.Module) -> list[str]:
    return [ast.dump(s, include_attributes=True) for s in tree.body if isinstance(s, _BINDING_STMTS)]


def _names(tree: ast.Module | None) -> CellDeps:
    if tree is None:
        return _NO_DEPS
    binds: set[str] = set()
    reads: set[str] = set()
    imports: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            reads.add(node.id)  # every name, Load or Store: a superset of what the scope looks up
            if not isinstance(node.ctx, ast.Load):
                binds.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imports.add(node.module.split(".")[0])
            for a in node.names:
                if a.name == "*":
                    imports.add("*" + (node.module or "") if isinstance(node, ast.ImportFrom) else "*")
                    continue
                if isinstance(node, ast.Import):
                    imports.add(a.name.split(".")[0])
                binds.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            binds.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            binds.update(node.names)
        elif isinstance(node, ast.arg):
            binds.add(node.arg)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:  # x.attr = ... / x[k] = ... changes what x is
                while isinstance(t, (ast.Attribute, ast.Subscript, ast.Starred)):
                    t = t.value
                if isinstance(t, ast.Name):
                    binds.add(t.id)
    return CellDeps(frozenset(binds), frozenset(reads), frozenset(imports))


def _content_key(cell: dict) -> str:
    """Hash of everything in a cell that can change its findings (not its id)."""
    h = hashlib.blake2b(digest_size=16)
    src = cell.get("source")
    for part in (cell.get("cell_type"), src if isinstance(src, str) else json.dumps(src)):
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    for extra in (cell.get("outputs"), cell.get("metadata")):
        if extra:
            h.update(json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)
                     .encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


@dataclass
class _CellState:
    id: str | None
    key: str
    deps: CellDeps
    findings: list[dict[str, Any]]


@dataclass
class _NotebookState:
    config: str
    meta_key: str
    cells: list[_CellState]
    meta_findings: list[dict[str, Any]]


@dataclass
class LintResult:
    findings: list[dict[str, Any]]
    relinted: int  # cells actually linted (not reused)
    full: bool


class IncrementalLinter:
    """Per-notebook cache of per-cell findings; thread-safe, bounded (LRU)."""

    def __init__(self, max_notebooks: int = 32, max_deps: int = 50_000) -> None:
        self._states: OrderedDict[str, _NotebookState] = OrderedDict()
        self._deps: OrderedDict[tuple[str, str], CellDeps] = OrderedDict()
        self._skeletons: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._max_notebooks = max_notebooks
        self._max_deps = max_deps
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
            self._deps.clear()
            self._skeletons.clear()

    # -- public ------------------------------------------------------------------
    def lint(self, nb: dict, config: Config, *, path: str, key: str | None, display_path: str) -> LintResult:
        """Lint ``nb`` (nbformat-shaped dict); findings as dicts with ``path = display_path``."""
        with self._lock:
            return self._lint(nb, config, path, key, display_path)

    # -- internals ---------------------------------------------------------------
    def _cell_deps(self, cell: dict, language: str) -> CellDeps:
        if cell.get("cell_type") != "code":
            return _NO_DEPS
        src = cell.get("source")
        src = "".join(src) if isinstance(src, list) else src if isinstance(src, str) else ""
        k = (language, src)
        d = self._deps.get(k)
        if d is None:
            d = cell_deps(src, language)
            self._deps[k] = d
            if len(self._deps) > self._max_deps:
                self._deps.popitem(last=False)
        else:
            self._deps.move_to_end(k)
        return d

    def _context_cell(self, cell: dict, language: str) -> dict:
        """A cell linted only for the bindings it gives later cells (its findings are not used)."""
        src = cell.get("source")
        src = "".join(src) if isinstance(src, list) else src if isinstance(src, str) else ""
        k = (language, src)
        if k in self._skeletons:
            sk = self._skeletons[k]
            self._skeletons.move_to_end(k)
        else:
            sk = self._skeletons[k] = skeleton(src, language)
            if len(self._skeletons) > self._max_deps:
                self._skeletons.popitem(last=False)
        return {"id": cell.get("id"), "cell_type": "code", "source": src if sk is None else sk,
                "metadata": {}, "outputs": []}

    def _lint(self, nb: dict, config: Config, path: str, key: str | None, display_path: str) -> LintResult:
        cells: list[dict] = nb["cells"]
        metadata = nb.get("metadata") or {}
        language = notebook_from_dict({"cells": [], "metadata": metadata}).language
        meta_key = hashlib.blake2b(json.dumps(metadata, sort_keys=True, default=str).encode("utf-8", "surrogatepass"),
                                   digest_size=16).hexdigest()
        fp = config.fingerprint()
        ids = [c.get("id") if isinstance(c.get("id"), str) else None for c in cells]
        keys = [_content_key(c) for c in cells]
        old = self._states.get(key) if key is not None else None

        plan = None
        if (old is not None and old.config == fp and old.meta_key == meta_key and len(old.cells) == len(cells)
                and all(o.id == i for o, i in zip(old.cells, ids)) and None not in ids):
            plan = self._plan(old, cells, keys, language)

        if plan is None:  # full relint
            findings = self._run(nb, config, path, display_path)
            per_cell: list[list[dict]] = [[] for _ in cells]
            meta_findings = []
            for f in findings:
                (per_cell[f["cell"]] if 0 <= f["cell"] < len(cells) else meta_findings).append(f)
            states = [_CellState(ids[i], keys[i], self._cell_deps(c, language), per_cell[i])
                      for i, c in enumerate(cells)]
            relinted, full = len(cells), True
        else:
            relint, include, new_deps = plan
            states = [_CellState(o.id, keys[i], new_deps.get(i, o.deps), o.findings) for i, o in enumerate(old.cells)]
            if relint:
                reduced = dict(nb)
                reduced["cells"] = [c if i in relint else self._context_cell(c, language) if i in include
                                    else {"id": ids[i], "cell_type": "raw", "source": "", "metadata": {}}
                                    for i, c in enumerate(cells)]
                findings = self._run(reduced, config, path, display_path)
                for i in relint:
                    states[i].findings = []
                meta_findings = []
                for f in findings:
                    if f["cell"] in relint:
                        states[f["cell"]].findings.append(f)
                    elif not 0 <= f["cell"] < len(cells):
                        meta_findings.append(f)
            else:
                meta_findings = old.meta_findings
            relinted, full = len(relint), False

        if key is not None:
            self._states[key] = _NotebookState(fp, meta_key, states, meta_findings)
            self._states.move_to_end(key)
            if len(self._states) > self._max_notebooks:
                self._states.popitem(last=False)
        out = list(meta_findings)
        for s in states:
            out.extend(s.findings)
        return LintResult([dict(f, path=display_path) for f in out], relinted, full)

    def _plan(self, old: _NotebookState, cells: list[dict], keys: list[str], language: str):
        """(cells to relint, cells to include, new deps of changed cells) or None for a full relint."""
        changed = [i for i, (o, k) in enumerate(zip(old.cells, keys)) if o.key != k]
        if not changed:
            return set(), set(), {}
        new_deps = {i: self._cell_deps(cells[i], language) for i in changed}
        names: set[str] = set()
        for i in changed:
            if new_deps[i].imports != old.cells[i].deps.imports:
                return None  # the set of imported modules (a notebook-wide fact) may change
            names |= new_deps[i].binds | old.cells[i].deps.binds
        deps = [new_deps.get(i, o.deps) for i, o in enumerate(old.cells)]
        relint = set(changed)
        for j in range(changed[0] + 1, len(cells)):
            if j in relint:
                continue
            if deps[j].reads & names:
                relint.add(j)
                names |= deps[j].binds
        # Context: earlier cells that bind what the relinted cells read (transitively), and every import.
        include = set(relint)
        need: set[str] = set()
        for j in range(max(relint), -1, -1):
            d = deps[j]
            if j in include or d.imports or (d.binds & need):
                include.add(j)
                need |= d.reads
        return relint, include, new_deps

    @staticmethod
    def _run(nb: dict, config: Config, path: str, display_path: str) -> list[dict]:
        report = lint_notebook(nb, config, path=path)
        if report.errors:
            raise ValueError(report.errors[0].message)
        return [f.to_dict() for f in report.findings]
