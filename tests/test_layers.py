"""The floor plan, checked from the source: every import in ``nbguard/`` (module level, inside
functions, under ``if TYPE_CHECKING:``) goes to the same layer or a lower one, the import graph
has no cycle, and the front-ends reach the core through ``nbguard.api`` only.

The layers, lowest first, are written down here and nowhere else (README "How it works" and
docs/api.md point here). A module takes the layer of the longest entry that names it or one of
its parent packages; a module no entry names fails the test (give it a layer when you add it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "nbguard"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # data, and the parsing and settings every layer reads
    ("model", ("nbguard._version", "nbguard.model", "nbguard.notebook", "nbguard.analysis", "nbguard.ipysyntax",
               "nbguard.fsutil", "nbguard.selectors", "nbguard.config")),
    # what a rule sees: CellContext, TextView, RawFinding; and what its autofix sees (FixSite, Edit)
    ("context", ("nbguard.context", "nbguard.fixsite")),
    # the rules and their helpers (nbguard.rules._tokens, the credential scanner, included)
    ("rules", ("nbguard.rules",)),
    # rule dispatch tables, one pass over a notebook, suppression, finalize (dedupe, mask, hash), the
    # editor's incremental relint over the pass, masking of what is shown
    ("engine", ("nbguard.dispatch", "nbguard.engine", "nbguard.suppress", "nbguard.finalize", "nbguard.incremental",
                "nbguard.mask")),
    # the surface front-ends call, and the services it composes (result cache, baselines, fix planning)
    ("api", ("nbguard.api", "nbguard.cache", "nbguard.baseline", "nbguard.fix")),
    # renderings of a Report, and of the rules' documentation
    ("report", ("nbguard.report", "nbguard.docs")),
    # command line, IPython magic and its widget, Jupyter server extension, LSP server, Dask runner,
    # and the package facade (``import nbguard``), which imports them on use
    ("front-ends", ("nbguard", "nbguard.__main__", "nbguard.cli", "nbguard.magic", "nbguard.server",
                    "nbguard.lsp", "nbguard.distributed")),
)
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}

# What a front-end may import from below the report layer: the API, and plain data it shows.
FRONT_END_MAY_IMPORT = {"nbguard.api", "nbguard.model", "nbguard.notebook", "nbguard.fsutil", "nbguard._version"}

# The one declared exception: Report's conveniences (``report.to_sarif()``...) import their renderer
# when called. Each must stay a two-statement delegation (import, return) to exactly this module.
LATE_BOUND = {
    ("nbguard.model", "Report.to_json"): "nbguard.report",
    ("nbguard.model", "Report.to_sarif"): "nbguard.report",
    ("nbguard.model", "Report.to_text"): "nbguard.report",
    ("nbguard.model", "Report.to_dataframe"): "nbguard.report",
    ("nbguard.model", "Report._repr_mimebundle_"): "nbguard.magic.widget",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    best, best_len = None, -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            hit = module == prefix or (prefix != "nbguard" and module.startswith(prefix + "."))
            if hit and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The nbguard modules a ``from ... import ...`` loads (``from . import api`` loads nbguard.api)."""
    if node.level:
        is_pkg = MODULES[module].name == "__init__.py"
        base = module.split(".")
        base = base if is_pkg else base[:-1]
        if node.level > 1:
            base = base[:-(node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not (target == "nbguard" or target.startswith("nbguard.")):
        return []
    subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return subs if subs and len(subs) == len(node.names) else [target, *subs]


def imports(module: str) -> list[tuple[str, int, str]]:
    """(imported module, line, enclosing function's qualified name or "") for every nbguard import."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, where: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, where + [child.name])
                continue
            if isinstance(child, ast.ImportFrom):
                for target in _resolve(module, child):
                    out.append((target, child.lineno, ".".join(where)))
            elif isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == "nbguard" or a.name.startswith("nbguard."):
                        out.append((a.name, child.lineno, ".".join(where)))
            visit(child, where)

    visit(tree, [])
    return out


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if layer_of(m) is None]
    assert not missing, f"give these modules a layer in tests/test_layers.py LAYERS: {missing}"


def test_no_import_goes_up_a_layer():
    upward = []
    for module in MODULES:
        mine = layer_of(module)
        if mine is None:  # reported by test_every_module_has_a_layer
            continue
        for target, line, where in imports(module):
            theirs = layer_of(target)
            if theirs is None or RANK[theirs] <= RANK[mine]:
                continue
            if LATE_BOUND.get((module, where)) == target:
                continue
            upward.append(f"{MODULES[module].relative_to(PKG.parent)}:{line} ({mine}) imports {target} ({theirs})")
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_late_bound_conveniences_stay_one_line_delegations():
    for (module, qualname), target in LATE_BOUND.items():
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        cls_name, fn_name = qualname.split(".")
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
        fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == fn_name)
        body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) == 2 and isinstance(body[0], ast.ImportFrom) and isinstance(body[1], ast.Return), qualname
        assert [t for t, _, w in imports(module) if w == qualname] == [target], qualname


def test_import_graph_has_no_cycle():
    # the declared late-bound conveniences (LATE_BOUND) are left out: they are the exception
    graph = {m: {t for t, _, w in imports(m) if t in MODULES and t != m and LATE_BOUND.get((m, w)) != t}
             for m in MODULES}
    # a module imported as ``from nbguard import x`` also runs nbguard/__init__: that edge is
    # Python's, not the design's, so the package facade is left out of the walk
    graph.pop("nbguard")
    for deps in graph.values():
        deps.discard("nbguard")
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                walk(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == "front-ends"))
def test_front_ends_reach_the_core_through_the_api_only(module):
    below_report = [(t, line) for t, line, _ in imports(module) if layer_of(t) and RANK[layer_of(t)] < RANK["report"]]
    past_api = [f"line {line}: {t}" for t, line in below_report if t not in FRONT_END_MAY_IMPORT]
    assert not past_api, f"{module} reaches past nbguard.api: {past_api}"


def test_the_checker_sees_function_level_and_type_checking_imports(tmp_path, monkeypatch):
    """The test above can fail: an upward import hidden in a function or under TYPE_CHECKING is found."""
    fake = tmp_path / "nbguard"
    (fake / "rules").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "rules" / "__init__.py").write_text("")
    (fake / "engine.py").write_text("")
    (fake / "rules" / "x.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..engine import A\n"
        "def f():\n    from nbguard import engine\n")
    mods = {_module_name_in(fake, p): p for p in fake.rglob("*.py")}
    monkeypatch.setitem(globals(), "PKG", fake)
    monkeypatch.setitem(globals(), "MODULES", mods)
    found = imports("nbguard.rules.x")
    assert [(t, w) for t, _, w in found] == [("nbguard.engine", ""), ("nbguard.engine", "f")]
    with pytest.raises(AssertionError, match=r"rules/x.py:3 \(rules\) imports nbguard.engine \(engine\)"):
        test_no_import_goes_up_a_layer()


def _module_name_in(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
