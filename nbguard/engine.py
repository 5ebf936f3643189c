"""The engine: one pass over a notebook, every rule fed from it.

For each cell in file order:

1. the cell's code is classified and parsed once (:mod:`nbguard.ipysyntax`);
2. text rules see the raw source, markdown, outputs and metadata;
3. shell and magic rules see every ``!``/``%``/``%%bash`` line;
4. one walk over the cell's syntax tree hands calls and nodes to the rules,
   then binds the cell's imports and assignments into the notebook-wide
   :class:`~nbguard.analysis.Scope`, so later cells resolve earlier values.

A call goes only to the rules whose call preconditions (``call_names``, ``call_keywords``,
``call_suffixes``, ``call_pattern``) admit it (see :class:`RuleSet`).
When an enabled rule reads path facts (``uses_path_facts``), the engine records them
(:mod:`nbguard.rules._paths`) once per call, shell line and ``Assign``/``Delete``,
after every rule has seen it: rules see the facts of earlier code only.

Then findings are suppressed, filtered, de-duplicated, masked and located in the
raw file. Rules never print and never see the config's filtering.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
import shlex
from dataclasses import dataclass, field
from typing import Iterable

from .analysis import CallSite, Scope
from .config import Config
from .ipysyntax import CellCode, LineMagic, ShellCommand, analyse_cell, analyse_cell_cached
from .mask import mask_line, secret_spans
from .model import SENSITIVE_CATEGORIES, Finding, Severity
from .notebook import Cell, Notebook, Text
from .rules._paths import observe_assign, observe_call, observe_shell
from .rules.base import Rule, all_rules, matches

SNIPPET_MAX = 240

# Calls whose string argument is a shell command line.
_SHELL_CALLS = {
    "os.system": 0, "os.popen": 0, "subprocess.getoutput": 0, "subprocess.getstatusoutput": 0,
    "commands.getoutput": 0,
}
_SUBPROCESS = ("subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
               "subprocess.Popen")


@dataclass
class RawFinding:
    rule: type[Rule]
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

    def __init__(self, run: "NotebookRun", cell: Cell | None, view: TextView,
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

    def report(self, rule: Rule, span: tuple[int, int, int, int], message: str, *,
               severity: Severity | None = None, sensitive: bool | None = None) -> None:
        line, col, end_line, end_col = span
        self.run.raw.append(RawFinding(
            type(rule), self.cell.index if self.cell else -1, self.where, self.output,
            line, col, end_line, end_col, message, severity or rule.severity,
            rule.category in SENSITIVE_CATEGORIES if sensitive is None else sensitive, self.view))

    def report_node(self, rule: Rule, node: ast.AST, message: str, **kw) -> None:
        self.report(rule, self.node_span(node), message, **kw)

    def report_offsets(self, rule: Rule, start: int, end: int, message: str, **kw) -> None:
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


# Marker nodes: contexts and operators. They hold no other node, and no rule looks at
# them unless it names their type in ``nodes``.
_MARKER_TYPES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_MARKER_FIELDS = frozenset({"ctx", "op", "ops"})
# Fields that never hold a node (identifiers, constants, flags), by node type name.
_SCALAR_FIELDS = {
    "Name": ("id",), "Constant": ("value", "kind"), "Attribute": ("attr",), "alias": ("name", "asname"),
    "arg": ("arg", "type_comment"), "keyword": ("arg",), "FunctionDef": ("name", "type_comment"),
    "AsyncFunctionDef": ("name", "type_comment"), "ClassDef": ("name",), "ImportFrom": ("module", "level"),
    "Global": ("names",), "Nonlocal": ("names",), "FormattedValue": ("conversion",),
    "comprehension": ("is_async",), "Assign": ("type_comment",), "For": ("type_comment",),
    "AsyncFor": ("type_comment",), "With": ("type_comment",), "AsyncWith": ("type_comment",),
    "ExceptHandler": ("name",), "Module": ("type_ignores",),
}


_LEAF_CANDIDATES = (ast.Name, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)


def _char_col(line: str, byte_col: int) -> int:
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


class RuleSet:
    """Rule instances grouped by the hooks they implement."""

    def __init__(self, rules: Iterable[type[Rule]], config: Config) -> None:
        self.rules = [r(config) for r in rules]
        self.call = [r for r in self.rules if "check_call" in r.hooks()]
        self.shell = [r for r in self.rules if "check_shell" in r.hooks()]
        self.magic = [r for r in self.rules if "check_magic" in r.hooks()]
        self.node: dict[type, list[Rule]] = {}
        for r in self.rules:
            if "check_node" in r.hooks():
                for t in r.nodes:
                    self.node.setdefault(t, []).append(r)
        self.text: dict[str, list[Rule]] = {}
        for r in self.rules:
            if "check_text" in r.hooks():
                for kind in r.texts:
                    self.text.setdefault(kind, []).append(r)
        # Node types no rule asks for and that hold no other node (Load, Add, Eq...) are
        # not visited at all; nor are fields that never hold a node (Name.id, Constant.value).
        wanted = tuple(self.node)
        self._skip_markers = not any(issubclass(t, _MARKER_TYPES) for t in wanted)
        self.child_fields: dict[type, tuple[str, ...]] = {}
        # Children never worth pushing on the walk's stack: what is not a node (None in
        # Dict.keys, names in MatchClass.kwd_attrs) and leaf node types no rule asks for and
        # that hold nothing to visit (Name, alias...): a quarter of all nodes.
        self.not_visited: frozenset[type] = frozenset(
            {type(None), str} | {t for t in _LEAF_CANDIDATES if t not in self.node and not self.fields_of(t)})
        # Preconditions rules may declare (Rule.call_names, call_keywords, call_suffixes,
        # call_pattern, text_anchors, shell_anchors): a hook they rule out is not called. Rules
        # keep their relative order either way. Call rules are bits of a mask: the bits a callee
        # admits are computed once per (qualname, attr), those of a keyword name once per name,
        # and the rule list of a mask once per mask -- per call, a dict lookup or two.
        always = 0
        named: dict[str, int] = {}
        self._call_suffix_rules: list[tuple[tuple[str, ...], int]] = []
        self._call_pattern_rules: list[tuple[re.Pattern, int]] = []
        self._call_kw_rules: list[tuple[object, int]] = []
        for i, r in enumerate(self.call):
            bit = 1 << i
            if r.call_names is None and r.call_keywords is None and r.call_suffixes is None \
                    and r.call_pattern is None:
                always |= bit
                continue
            for n in r.call_names or ():
                named[n] = named.get(n, 0) | bit
            if r.call_suffixes:
                self._call_suffix_rules.append((tuple(r.call_suffixes), bit))
            if r.call_pattern is not None:
                self._call_pattern_rules.append((r.call_pattern, bit))
            if r.call_keywords is not None:
                self._call_kw_rules.append((r.call_keywords, bit))
        self._call_always = always
        self._call_named = named
        self._call_suffixes = tuple(x for sfx, _ in self._call_suffix_rules for x in sfx)
        # `**expr` may carry any keyword: it admits every keyword-gated rule
        self._call_kw_masks: dict[str | None, int] = {None: sum(b for _, b in self._call_kw_rules)}
        self._call_name_masks: dict[tuple[str, str], int] = {}
        self._call_lists: dict[int, list[Rule]] = {}
        self._gated_text = {k for k, rs in self.text.items() if any(r.text_anchors is not None for r in rs)}
        self._gated_shell = any(r.shell_anchors is not None for r in self.shell)
        # The path-fact observer (nbguard/rules/_paths.py): when a rule reads what earlier calls,
        # shell lines and os.environ assignments did, the engine records it after every rule
        # has seen each of them, so a call never serves as its own evidence.
        self.path_facts = any(r.uses_path_facts for r in self.rules)

    def calls_for(self, site: CallSite) -> list[Rule]:
        """The call rules to run on a call, in rule order."""
        key = (site.qualname, site.attr)
        mask = self._call_name_masks.get(key)
        if mask is None:
            mask = self._name_mask(key)
        if self._call_kw_rules:
            kws = site.node.keywords
            if kws:
                masks = self._call_kw_masks
                for k in kws:
                    m = masks.get(k.arg)
                    if m is None:
                        m = self._keyword_mask(k.arg)
                    mask |= m
        rules = self._call_lists.get(mask)
        if rules is None:
            rules = self._call_lists[mask] = [r for i, r in enumerate(self.call) if mask >> i & 1]
        return rules

    def _name_mask(self, key: tuple[str, str]) -> int:
        """The call rules a callee admits: always-run rules, call_names, call_suffixes, call_pattern."""
        q, attr = key
        last = q.rpartition(".")[2]
        named = self._call_named
        mask = self._call_always | named.get(last, 0) | named.get(attr, 0)
        if self._call_suffixes and q.endswith(self._call_suffixes):
            for suffixes, bit in self._call_suffix_rules:
                if q.endswith(suffixes):
                    mask |= bit
        for pattern, bit in self._call_pattern_rules:
            if pattern.search(last) or (attr and pattern.search(attr)):
                mask |= bit
        if len(self._call_name_masks) >= 1 << 16:
            self._call_name_masks.clear()  # bounded: a long batch run sees many callee names
        self._call_name_masks[key] = mask
        return mask

    def _keyword_mask(self, name: str) -> int:
        """The keyword-gated call rules a keyword name admits (call_keywords: a set or a predicate)."""
        mask = 0
        for spec, bit in self._call_kw_rules:
            if spec(name) if callable(spec) else name in spec:
                mask |= bit
        if len(self._call_kw_masks) >= 1 << 14:
            star = self._call_kw_masks[None]
            self._call_kw_masks.clear()
            self._call_kw_masks[None] = star
        self._call_kw_masks[name] = mask
        return mask

    def texts_for(self, kind: str, text: str) -> list[Rule]:
        rules = self.text.get(kind, ())
        if kind not in self._gated_text:
            return rules  # type: ignore[return-value]
        return [r for r in rules if r.text_anchors is None or any(a in text for a in r.text_anchors)]

    def shells_for(self, cmd: ShellCommand) -> list[Rule]:
        if not self._gated_shell:
            return self.shell
        text = cmd.text
        return [r for r in self.shell if r.shell_anchors is None or any(a in text for a in r.shell_anchors)]

    def fields_of(self, t: type) -> tuple[str, ...]:
        skip = _SCALAR_FIELDS.get(t.__name__, ())
        fields = tuple(f for f in getattr(t, "_fields", ())
                       if f not in skip and not (self._skip_markers and f in _MARKER_FIELDS))
        self.child_fields[t] = fields
        return fields

    @classmethod
    def for_config(cls, config: Config) -> "RuleSet":
        return cls([r for r in all_rules().values() if config.rule_enabled(r)], config)


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


# ---------------------------------------------------------------------------
# Post-processing: suppression, filtering, de-duplication, masking, raw lines

_SUPPRESS = re.compile(r"#\s*nbguard:\s*(ignore-cell|ignore)\b(?:\[([^\]]*)\])?", re.I)


def line_suppression_edit(line: str, code: str) -> tuple[int, int, str] | None:
    """The smallest edit that makes ``line`` carry ``# nbguard: ignore[...code...]`` (an editor's
    "ignore this rule on this line"): ``(start, end, new text)``, 0-based character offsets in the
    line, or None when the line already ignores the rule. A line has one rule list (its last
    comment's, see :func:`_suppressions`), so an existing comment is extended, not joined by
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
class _Suppressions:
    cell_all: set[int] = field(default_factory=set)
    cell_codes: dict[int, list[str]] = field(default_factory=dict)
    lines: dict[tuple[int, int], list[str] | None] = field(default_factory=dict)  # None = every rule
    notebook: list[str] = field(default_factory=list)


def _suppressions(nb: Notebook) -> _Suppressions:
    s = _Suppressions()
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


def _suppressed(f: RawFinding, s: _Suppressions) -> bool:
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


def finalize(nb: Notebook, raw: list[RawFinding], config: Config) -> list[Finding]:
    sup = _suppressions(nb)
    path_ignores = config.ignores_for_path(nb.path)
    kept = [f for f in raw
            if f.severity >= config.min_severity
            and not any(matches(f.rule, x) for x in path_ignores)
            and not _suppressed(f, sup)]
    # Sensitive spans are masked wherever their line is shown, by any finding.
    sensitive: dict[tuple, list[tuple[int, int]]] = {}
    for f in raw:
        if f.sensitive and f.line == f.end_line:
            sensitive.setdefault((f.cell, f.where, f.output, id(f.text), f.line), []).append((f.column, f.end_column))
    kept = _dedupe(kept)
    # every raw-file line the findings need, located in one pass over the file
    nb.prepare_raw_lines([(f.text.source.json_path, f.text.source.is_list, f.line)
                          for f in kept if f.text.source is not None])
    out = []
    for f in kept:
        cell = nb.cells[f.cell] if 0 <= f.cell < len(nb.cells) else None
        lines = f.text.lines
        line_text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        spans = sensitive.get((f.cell, f.where, f.output, id(f.text), f.line), [])
        if f.sensitive and f.line != f.end_line:
            spans = spans + [(f.column, len(line_text) + 1)]
        spans = spans + secret_spans(line_text)  # whatever rules are selected
        snippet = mask_line(line_text, spans) if spans else line_text
        snippet = _clip(snippet, f.column)
        src = f.text.source
        raw_line = nb.raw_line(src.json_path, src.is_list, f.line) if src is not None else None
        out.append(Finding(
            path=nb.path, rule=f.rule.code, name=f.rule.name, category=f.rule.category,
            severity=f.severity, cell=f.cell, cell_id=cell.id if cell else None,
            cell_type=cell.cell_type if cell else None, where=f.where, output=f.output,
            line=f.line, column=f.column, end_line=f.end_line, end_column=f.end_column,
            message=f.message, snippet=snippet, fix=f.rule.fix, cwe=f.rule.cwe, raw_line=raw_line,
            content_hash=content_hash(f.rule.code, f.where, span_text(lines, f.line, f.column, f.end_line,
                                                                      f.end_column) or line_text)))
    out.sort(key=lambda x: x.sort_key)
    return out


def span_text(lines: list[str], line: int, col: int, end_line: int, end_col: int) -> str:
    """The text of a 1-based, end-exclusive span over ``lines``."""
    if not 0 < line <= len(lines):
        return ""
    if end_line <= line:
        return lines[line - 1][col - 1:max(col - 1, end_col - 1)]
    parts = [lines[line - 1][col - 1:]]
    parts.extend(lines[line:min(end_line - 1, len(lines))])
    if end_line <= len(lines):
        parts.append(lines[end_line - 1][:end_col - 1])
    return "\n".join(parts)


def content_hash(rule: str, where: str, text: str) -> str:
    """A fingerprint of what a finding is about, not where it is: the rule, the kind of place
    (source/output/metadata) and the offending text with whitespace normalised. It survives
    moving cells, inserting cells, edits elsewhere and re-running; a changed secret changes it."""
    norm = " ".join(text.split())
    return hashlib.sha256(f"{rule}\0{where}\0{norm}".encode("utf-8", "surrogatepass")).hexdigest()


def _dedupe(findings: list[RawFinding]) -> list[RawFinding]:
    """One finding per place and category: the most severe, then the lowest code, wins."""
    order = sorted(findings, key=lambda f: (-f.severity, f.rule.code))
    result = []
    # per place, the kept spans sorted by (start, end); they never overlap each other, so
    # their ends are sorted too and only the neighbours of a new span can overlap it
    taken: dict[tuple, list[tuple[int, int, int, int]]] = {}
    for f in order:
        key = (f.cell, f.where, f.output, id(f.text), f.rule.category)
        span = (f.line, f.column, f.end_line, f.end_column)
        spans = taken.setdefault(key, [])
        pos = bisect.bisect_left(spans, span)
        if any(_overlap(span, s) for s in spans[max(0, pos - 2):pos + 2]):
            continue
        spans.insert(pos, span)
        result.append(f)
    return result


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (a[0], a[1]) < (b[2], b[3]) and (b[0], b[1]) < (a[2], a[3])


def _clip(line: str, col: int) -> str:
    if len(line) <= SNIPPET_MAX:
        return line
    start = max(0, min(col - 1 - SNIPPET_MAX // 3, len(line) - SNIPPET_MAX))
    clipped = line[start:start + SNIPPET_MAX]
    return ("…" if start else "") + clipped + ("…" if start + SNIPPET_MAX < len(line) else "")


def lint(nb: Notebook, config: Config, ruleset: RuleSet | None = None, *, reuse_cells: bool = False
         ) -> list[Finding]:
    """Lint a parsed notebook. ``reuse_cells`` (the editor path, used by ``api.lint_notebook``
    for a dict): parses come from a process-wide LRU keyed by cell source, and the previous
    run over the same ``nb.path`` is reused for every cell an edit cannot affect
    (:mod:`nbguard.incremental`); the findings are exactly those of a full run."""
    ruleset = ruleset or RuleSet.for_config(config)
    if reuse_cells:
        from .incremental import run_incremental

        return finalize(nb, run_incremental(nb, config, ruleset), config)
    run = NotebookRun(nb, config, ruleset)
    try:
        return finalize(nb, run.run(), config)
    finally:
        run.close()
