"""The engine: one pass over a notebook, every rule fed from it.

For each cell in file order:

1. the cell's code is classified and parsed once (:mod:`nbguard.ipysyntax`);
2. text rules see the raw source, markdown, outputs and metadata;
3. shell and magic rules see every ``!``/``%``/``%%bash`` line;
4. one walk over the cell's syntax tree hands calls and nodes to the rules,
   then binds the cell's imports and assignments into the notebook-wide
   :class:`~nbguard.analysis.Scope`, so later cells resolve earlier values.

A call goes only to the rules whose call preconditions (``call_names``, ``call_keywords``,
``call_suffixes``, ``call_pattern``) admit it (:class:`nbguard.dispatch.RuleSet`).
When an enabled rule reads path facts (``uses_path_facts``), the engine records them
(:mod:`nbguard.rules._paths`) once per call, shell line and ``Assign``/``Delete``,
after every rule has seen it: rules see the facts of earlier code only.

Then findings are suppressed, filtered, de-duplicated, masked and located in the
raw file (:mod:`nbguard.finalize`, :mod:`nbguard.suppress`). Rules never print and
never see the config's filtering.
"""

from __future__ import annotations

import ast
import shlex

from .analysis import CallSite, Scope
from .config import Config
from .context import CellContext, RawFinding, TextView
from .dispatch import RuleSet
from .finalize import content_hash, finalize, span_text  # noqa: F401 (re-exported: nbguard.engine.content_hash)
from .ipysyntax import ShellCommand, analyse_cell, analyse_cell_cached
from .model import Finding
from .notebook import Cell, Notebook, Text
from .rules._paths import observe_assign, observe_call, observe_shell

# Calls whose string argument is a shell command line.
_SHELL_CALLS = {
    "os.system": 0, "os.popen": 0, "subprocess.getoutput": 0, "subprocess.getstatusoutput": 0,
    "commands.getoutput": 0,
}
_SUBPROCESS = ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
               "subprocess.Popen")


def _walk(root: ast.AST):
    """Every node under root (pre-order); a leaner ast.walk for the hot path."""
    AST = ast.AST
    stack = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        yield node
        for name in node._fields:
            v = getattr(node, name, None)
            if v.__class__ is list:
                extend([x for x in reversed(v) if isinstance(x, AST)])
            elif isinstance(v, AST):
                push(v)



class NotebookRun:
    def __init__(self, nb: Notebook, config: Config, ruleset: RuleSet, reuse_cells: bool = False) -> None:
        self.nb = nb
        self.config = config
        self.rules = ruleset
        self.analyse = analyse_cell_cached if reuse_cells else analyse_cell
        self.scope = Scope()
        self.facts: dict = {}
        self.raw: list[RawFinding] = []
        self.source_contexts: dict[int, CellContext] = {}  # code cell index -> its source context

    def close(self) -> None:
        """Drop the run's contexts. Each CellContext points back at its run, so without this the
        whole run (syntax trees included) waits for the cyclic garbage collector, which then
        costs more than a tenth of a cold lint."""
        self.source_contexts.clear()
        self.facts.clear()

    # -- walking ---------------------------------------------------------------
    def run(self) -> list[RawFinding]:
        for cell in self.nb.cells:
            self._cell(cell)
        self._notebook_texts()
        return self.raw

    def _cell(self, cell: Cell) -> None:
        """Everything the rules see of one cell (the unit nbguard.incremental reuses)."""
        self.scope.cell = cell.index
        if cell.cell_type == "code":
            self._code_cell(cell)
        elif cell.cell_type in ("markdown", "raw"):
            self._texts(cell, [Text(cell.cell_type, cell.source, cell.json_path, cell.source_is_list)],
                        "source", None, cell.cell_type)
        if self.config.outputs:
            for out in cell.outputs:
                self._texts(cell, out.texts, "output", out.index, "output")
        if self.rules.text.get("metadata"):
            self._texts(cell, cell.metadata_texts, "metadata", None, "metadata")

    def _notebook_texts(self) -> None:
        if self.rules.text.get("metadata"):
            self._texts(None, self.nb.metadata_texts, "metadata", None, "metadata")

    def _view(self, kind: str, text: str, label: str, source: Text | None) -> TextView:
        return TextView(kind, text, label, source)

    def note_read(self, what: str) -> None:
        """A rule looked beyond its cell ("notebook", or "cell:N" for a source context)."""

    def _texts(self, cell: Cell | None, texts: list[Text], where: str, output: int | None, kind: str) -> None:
        text_rules = self.rules.text.get(kind)
        if not text_rules:
            return
        texts_for = self.rules.texts_for
        for t in texts:
            if not t.text:
                continue
            run = texts_for(kind, t.text)
            if not run:
                continue
            ctx = CellContext(self, cell, self._view(kind, t.text, t.label, t), where, output)
            for r in run:
                r.check_text(ctx.view, ctx)

    def _code_cell(self, cell: Cell) -> None:
        code = self.analyse(cell.source, self.nb.language)
        view = self._view("code", cell.source, "", Text("code", cell.source, cell.json_path, cell.source_is_list))
        ctx = CellContext(self, cell, view)
        ctx.code = code
        self.source_contexts[cell.index] = ctx
        for r in self.rules.texts_for("code", cell.source):
            r.check_text(view, ctx)
        for cmd in code.shell:
            self._shell_line(cmd, ctx)
        for m in code.magics:
            for r in self.rules.magic:
                r.check_magic(m, ctx)
        if code.tree is not None:
            self._walk_body(code.tree.body, ctx, top=True)

    def _walk_body(self, body: list[ast.stmt], ctx: CellContext, top: bool, visit: bool = True) -> None:
        """Visit and bind ``body`` in order. ``visit=False``: bind only (a reused cell's scope effects)."""
        for stmt in body:
            if top and isinstance(stmt, (ast.If, ast.With, ast.AsyncWith, ast.Try, ast.For, ast.While)):
                # visit the header, then the body statement by statement so bindings flow in order
                for r in self.rules.node.get(type(stmt), ()) if visit else ():
                    r.check_node(stmt, ctx)  # the statement itself (its parts are visited below)
                for field_name, value in ast.iter_fields(stmt) if visit else ():
                    if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                        continue
                    if isinstance(value, list):
                        for v in value:
                            if isinstance(v, ast.AST):
                                self._visit(v, ctx)
                    elif isinstance(value, ast.AST):
                        self._visit(value, ctx)
                if isinstance(stmt, (ast.With, ast.AsyncWith)):  # `with requests.Session() as s:`
                    for item in stmt.items:
                        if item.optional_vars is not None:
                            self.scope.bind_assign(item.optional_vars, item.context_expr, stmt.lineno)
                if isinstance(stmt, ast.For):  # `for url in URLS:` -- the URLs' common prefix
                    self.scope.bind_loop(stmt.target, stmt.iter, stmt.lineno)
                for sub in (getattr(stmt, "body", []), getattr(stmt, "orelse", []),
                            getattr(stmt, "finalbody", [])):
                    self._walk_body(sub, ctx, top, visit)
                for h in getattr(stmt, "handlers", []):
                    self._walk_body(h.body, ctx, top, visit)
                continue
            if visit:
                self._visit(stmt, ctx)
            if top:
                self._bind(stmt)

    def _visit(self, root: ast.AST, ctx: CellContext) -> None:
        # The hot loop: the same nodes in the same order as _walk(root), inlined, with the
        # child fields of each node type looked up once (RuleSet.child_fields).
        node_rules = self.rules.node
        calls_for = self.rules.calls_for
        observe = self.rules.path_facts
        shell_calls = bool(self.rules.shell) or observe
        child_fields = self.rules.child_fields
        not_visited = self.rules.not_visited
        scope = self.scope
        Call, Assign, Delete = ast.Call, ast.Assign, ast.Delete
        AST = ast.AST
        stack = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            t = type(node)
            if t is Call:
                site = CallSite(node, scope)
                for r in calls_for(site):
                    r.check_call(site, ctx)
                if shell_calls:
                    self._shell_from_call(site, ctx)
                if observe:
                    observe_call(site, ctx)
            if node_rules:
                rs = node_rules.get(t)
                if rs:
                    for r in rs:
                        r.check_node(node, ctx)
            if observe and (t is Assign or t is Delete):
                observe_assign(node, ctx)
            fields = child_fields.get(t)
            if fields is None:
                fields = self.rules.fields_of(t)
            for name in fields:
                v = getattr(node, name, None)
                if v.__class__ is list:
                    if v:
                        extend([x for x in reversed(v) if x.__class__ not in not_visited])
                elif v.__class__ not in not_visited and isinstance(v, AST):
                    push(v)

    def _bind(self, stmt: ast.stmt) -> None:
        scope = self.scope
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            scope.bind_import(stmt)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                scope.bind_assign(t, stmt.value, stmt.lineno)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            scope.bind_assign(stmt.target, stmt.value, stmt.lineno)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            scope.forget(stmt.target.id)
        elif isinstance(stmt, ast.ClassDef):
            scope.bind_class(stmt)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.forget(stmt.name)

    def _shell_from_call(self, site: CallSite, ctx: CellContext) -> None:
        """``os.system("curl ... | sh")`` and friends are shell lines too (the walk calls this only
        when shell rules or the path-fact observer want them)."""
        q = site.qualname
        arg = None
        if q in _SHELL_CALLS:
            arg = site.arg(None, _SHELL_CALLS[q])
        elif q.endswith("get_ipython().system") or q.endswith("get_ipython().getoutput"):
            return  # already seen as a `!` line
        elif q in _SUBPROCESS:
            arg = site.arg("args", 0)
        if arg is None:
            return
        v = self.scope.value(arg)
        if v is None:
            return
        if isinstance(v.value, (list, tuple)) and all(isinstance(x, str) for x in v.value):
            parts = list(v.value)
            if len(parts) >= 3 and parts[0].split("/")[-1] in ("bash", "sh", "zsh") and parts[1] == "-c":
                text = parts[2]
            else:  # an argv list: quote each item so "a|b" or "x>=1" stays one word
                text = shlex.join(parts)
        elif isinstance(v.value, str):
            # a known prefix only (f"pip install {pkg}"): mark the unknown tail as an expansion
            text = v.value + "{…}" if v.partial else v.value
        else:
            return
        line, col, end_line, end_col = ctx.node_span(arg)
        self._shell_line(ShellCommand(text, line, col, q, end_line if end_line != line else line), ctx)

    def _shell_line(self, cmd: ShellCommand, ctx: CellContext) -> None:
        """A shell line to the shell rules, then to the path-fact observer."""
        for r in self.rules.shells_for(cmd):
            r.check_shell(cmd, ctx)
        if self.rules.path_facts:
            observe_shell(cmd, ctx)


def lint(nb: Notebook, config: Config, ruleset: RuleSet | None = None) -> list[Finding]:
    """Lint a parsed notebook: one full run. (The editor path, which reuses the previous run's
    work for every cell an edit cannot affect, is :func:`nbguard.incremental.lint`; the API
    chooses between the two.)"""
    ruleset = ruleset or RuleSet.for_config(config)
    run = NotebookRun(nb, config, ruleset)
    try:
        return finalize(nb, run.run(), config)
    finally:
        run.close()
