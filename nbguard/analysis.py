"""Name and value resolution across cells.

A notebook is one module run cell by cell, so the engine keeps one
:class:`Scope` for the whole notebook and feeds it statements in file order:

* imports and their aliases (``from transformers import AutoModel as AM``),
* constants (``URL = "http://..."``, f-strings, concatenation, dict literals),
* objects (``s = requests.Session()`` makes ``s.get`` resolve to
  ``requests.Session().get``).

Rules ask the scope two questions: what is this callee (:meth:`Scope.qualname`)
and what is this value (:meth:`Scope.value`). Both answer "unknown" rather than
guess.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 24
MAX_STR = 100_000


@dataclass(frozen=True)
class Origin:
    """Where a name got its value: 0-based cell index and 1-based line."""

    cell: int
    line: int
    name: str

    def describe(self) -> str:
        return f"'{self.name}' set in cell {self.cell + 1}, line {self.line}"


@dataclass(frozen=True)
class Value:
    """A statically known value. ``partial`` strings are a known prefix only."""

    value: Any
    origin: Origin | None = None
    partial: bool = False


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class _Binding:
    expr: ast.expr | None  # None for imports
    qual: str | None  # resolved qualified name or object type ("requests.Session()")
    cell: int
    line: int
    value: Value | None = None  # cached constant value
    attrs: dict[str, Value] | None = None  # a namespace: class-body constants, SimpleNamespace(k=...)


class Scope:
    def __init__(self) -> None:
        self._names: dict[str, _Binding] = {}
        self.star_imports: set[str] = set()
        self.cell = 0
        self.modules: set[str] = set()  # top-level modules imported anywhere

    # -- feeding -------------------------------------------------------------
    def bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        line = node.lineno
        if isinstance(node, ast.Import):
            for a in node.names:
                self.modules.add(a.name.split(".")[0])
                if a.asname:
                    self._names[a.asname] = _Binding(None, a.name, self.cell, line)
                else:
                    top = a.name.split(".")[0]
                    self._names[top] = _Binding(None, top, self.cell, line)
            return
        if node.level or not node.module:
            return
        self.modules.add(node.module.split(".")[0])
        for a in node.names:
            if a.name == "*":
                self.star_imports.add(node.module)
                continue
            self._names[a.asname or a.name] = _Binding(None, f"{node.module}.{a.name}", self.cell, line)

    def bind_assign(self, target: ast.expr, value: ast.expr | None, line: int) -> None:
        if isinstance(target, ast.Name):
            if value is None:
                self._names.pop(target.id, None)
                return
            qual = None
            if isinstance(value, ast.Call):
                q = self.qualname(value.func)
                if q:
                    qual = q + "()"
            elif isinstance(value, (ast.Name, ast.Attribute)):
                qual = self.qualname(value)
            b = _Binding(value, qual, self.cell, line)
            b.value = self._eval(value, 0)  # snapshot: later rebinds of inputs don't change it
            if b.value is not None and b.value is not UNKNOWN:
                b.value = Value(b.value.value, Origin(self.cell, line, target.id), b.value.partial)
            if isinstance(value, ast.Call):
                b.attrs = self._instance_attrs(value, target.id, line)
            self._names[target.id] = b
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            # ``CFG.model_name = "..."`` on a namespace we track; other objects are left alone
            b = self._names.get(target.value.id)
            if b is not None and b.attrs is not None:
                name = f"{target.value.id}.{target.attr}"
                b.attrs[target.attr] = self._snapshot(value, line, name) if value is not None else None
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts):
                    self.bind_assign(t, v, line)
            else:
                for t in target.elts:
                    self.bind_assign(t, None, line)
        elif isinstance(target, ast.Starred):
            self.bind_assign(target.value, None, line)

    def bind_loop(self, target: ast.expr, iterable: ast.expr, line: int) -> None:
        """``for u in URLS:`` with a known list of strings: ``u`` is their common prefix (partial),
        or the one value when they are all equal. ``enumerate(URLS)`` and ``D.items()`` /
        ``D.values()`` of a known dict too. Anything else leaves the loop variable unknown."""
        names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
        for n in names:
            self._names.pop(n, None)
        items, name_node = None, None
        if isinstance(target, ast.Name):
            name_node = target
            v = self._eval(iterable, 0)
            if v is not UNKNOWN and not v.partial:
                if isinstance(v.value, (list, tuple)):
                    items = list(v.value), v.origin
                elif isinstance(v.value, dict):  # iterating a dict gives its keys
                    items = list(v.value), v.origin
        elif isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name) \
                and isinstance(iterable, ast.Call) and not iterable.keywords:
            name_node = target.elts[1]
            f = iterable.func
            if self.qualname(f) == "enumerate" and len(iterable.args) == 1:
                v = self._eval(iterable.args[0], 0)
                if v is not UNKNOWN and not v.partial and isinstance(v.value, (list, tuple)):
                    items = list(v.value), v.origin
            elif isinstance(f, ast.Attribute) and f.attr == "items" and not iterable.args:
                v = self._eval(f.value, 0)
                if v is not UNKNOWN and not v.partial and isinstance(v.value, dict):
                    vals = [e.value for e in v.value.values() if isinstance(e, DictEntry)]
                    if all(x is not None and not x.partial for x in vals):
                        items = [x.value for x in vals], v.origin
        if items is None or name_node is None:
            return
        values, origin = items
        if not values or not all(isinstance(x, str) for x in values):
            return
        import os.path

        if all(x == values[0] for x in values):
            value = Value(values[0], origin)
        else:
            value = Value(os.path.commonprefix(values), origin, partial=True)
        self._names[name_node.id] = _Binding(None, None, self.cell, line, value)

    def bind_class(self, node: ast.ClassDef) -> None:
        """A class used as a settings namespace (``class CFG: model_name = "..."``): its
        body's constant assignments become attributes that ``CFG.model_name`` (and
        ``CFG().model_name``) resolve to. Methods and other statements are ignored."""
        attrs: dict[str, Value | None] = {}
        for st in node.body:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        attrs[t.id] = self._snapshot(st.value, st.lineno, f"{node.name}.{t.id}")
            elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
                attrs[st.target.id] = self._snapshot(st.value, st.lineno, f"{node.name}.{st.target.id}")
        self._names[node.name] = _Binding(None, node.name, self.cell, node.lineno, attrs=attrs)

    def _snapshot(self, expr: ast.expr, line: int, name: str) -> Value | None:
        v = self._eval(expr, 0)
        if v is UNKNOWN:
            return None
        return Value(v.value, v.origin or Origin(self.cell, line, name), v.partial)

    def _instance_attrs(self, call: ast.Call, name: str, line: int) -> dict[str, Value | None] | None:
        """Attributes of ``X()`` for a tracked class X (keywords override the class's, as a
        dataclass does) or of ``SimpleNamespace(k=v)`` / ``argparse.Namespace(k=v)``."""
        q = self.qualname(call.func)
        cls_attrs = None
        if isinstance(call.func, ast.Name):
            b = self._names.get(call.func.id)
            if b is not None and b.expr is None and b.attrs is not None:
                cls_attrs = b.attrs
        if cls_attrs is None and q not in ("types.SimpleNamespace", "argparse.Namespace"):
            return None
        if call.args or any(k.arg is None for k in call.keywords):
            return None  # positional or **kwargs: which attribute gets what is unknown
        attrs = dict(cls_attrs or {})
        for k in call.keywords:
            attrs[k.arg] = self._snapshot(k.value, line, f"{name}.{k.arg}")
        return attrs

    def forget(self, name: str) -> None:
        self._names.pop(name, None)

    # -- questions -----------------------------------------------------------
    def binding_origin(self, name: str) -> Origin | None:
        b = self._names.get(name)
        return Origin(b.cell, b.line, name) if b else None

    def bound_expr(self, name: str) -> tuple[ast.expr, Origin] | None:
        """The expression last assigned to ``name`` (at top level) and where; None for
        imports and unknown names. ``tok = os.environ["HF_TOKEN"]`` gives the subscript."""
        b = self._names.get(name)
        if b is None or b.expr is None:
            return None
        return b.expr, Origin(b.cell, b.line, name)

    def qualname(self, expr: ast.expr, depth: int = 0) -> str | None:
        """Dotted name of an expression: ``AM.from_pretrained`` -> ``transformers.AutoModel.from_pretrained``."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            b = self._names.get(expr.id)
            if b is None:
                return expr.id
            return b.qual
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value, depth + 1)
            return f"{base}.{expr.attr}" if base else None
        if isinstance(expr, ast.Call):
            base = self.qualname(expr.func, depth + 1)
            return f"{base}()" if base else None
        return None

    def value(self, expr: ast.expr | None) -> Value | None:
        """The statically known value of ``expr``, or None."""
        if expr is None:
            return None
        v = self._eval(expr, 0)
        return None if v is UNKNOWN else v

    def str_value(self, expr: ast.expr | None) -> Value | None:
        v = self.value(expr)
        return v if v is not None and isinstance(v.value, str) else None

    # -- evaluation ----------------------------------------------------------
    def _eval(self, e: ast.expr, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return UNKNOWN
        if isinstance(e, ast.Constant):
            return Value(e.value)
        if isinstance(e, ast.Name):
            b = self._names.get(e.id)
            if b is None or b.value is None:
                return UNKNOWN
            return b.value
        if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name):
            b = self._names.get(e.value.id)
            if b is not None and b.attrs is not None:
                v = b.attrs.get(e.attr)
                return UNKNOWN if v is None else v
            return UNKNOWN
        if isinstance(e, ast.Subscript):
            return self._eval_subscript(e, depth)
        if isinstance(e, ast.JoinedStr):
            return self._eval_fstring(e, depth)
        if isinstance(e, ast.BinOp):
            return self._eval_binop(e, depth)
        if isinstance(e, (ast.Tuple, ast.List)):
            items = [self._eval(x, depth + 1) for x in e.elts]
            if any(i is UNKNOWN or i.partial for i in items):
                return UNKNOWN
            values = [i.value for i in items]
            return Value(tuple(values) if isinstance(e, ast.Tuple) else values)
        if isinstance(e, ast.Dict):
            return self._eval_dict(e, depth)
        if isinstance(e, ast.Call):
            return self._eval_call(e, depth)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            v = self._eval(e.operand, depth + 1)
            return UNKNOWN if v is UNKNOWN or v.partial else Value(not v.value)
        return UNKNOWN

    def _eval_subscript(self, e: ast.Subscript, depth: int) -> Any:
        """``CONFIG["model"]`` of a known dict, ``URLS[0]`` of a known list or tuple."""
        base = self._eval(e.value, depth + 1)
        if base is UNKNOWN or base.partial or isinstance(e.slice, ast.Slice):
            return UNKNOWN
        key = self._eval(e.slice, depth + 1)
        if key is UNKNOWN or key.partial:
            return UNKNOWN
        container, k = base.value, key.value
        if isinstance(container, dict):
            try:
                entry = container.get(k)
            except TypeError:
                return UNKNOWN
            if not isinstance(entry, DictEntry) or entry.value is None:
                return UNKNOWN
            v = entry.value
            return Value(v.value, v.origin or base.origin, v.partial)
        if isinstance(container, (list, tuple)) and isinstance(k, int) and not isinstance(k, bool):
            if -len(container) <= k < len(container):
                return Value(container[k], base.origin)
        return UNKNOWN

    def _eval_fstring(self, e: ast.JoinedStr, depth: int) -> Any:
        out: list[str] = []
        origin = None
        for part in e.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
                continue
            if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion == -1:
                v = self._eval(part.value, depth + 1)
                if v is not UNKNOWN and isinstance(v.value, (str, int, float)) and not isinstance(v.value, bool):
                    out.append(str(v.value))
                    origin = origin or v.origin
                    if v.partial:
                        return Value("".join(out), origin, partial=True)
                    continue
            return Value("".join(out), origin, partial=True)
        return Value("".join(out)[:MAX_STR], origin)

    def _eval_binop(self, e: ast.BinOp, depth: int) -> Any:
        if isinstance(e.op, ast.Add):
            left = self._eval(e.left, depth + 1)
            if left is UNKNOWN or not isinstance(left.value, str):
                return UNKNOWN
            if left.partial:
                return left
            right = self._eval(e.right, depth + 1)
            if right is UNKNOWN or not isinstance(right.value, str):
                return Value(left.value, left.origin, partial=True)
            return Value((left.value + right.value)[:MAX_STR], left.origin or right.origin, right.partial)
        if isinstance(e.op, ast.Mod):
            left = self._eval(e.left, depth + 1)
            if left is not UNKNOWN and isinstance(left.value, str):
                return Value(left.value.split("%", 1)[0], left.origin, partial=True)
        return UNKNOWN

    def _eval_dict(self, e: ast.Dict, depth: int) -> Any:
        out: dict = {}
        for k, v in zip(e.keys, e.values):
            if k is None:
                inner = self._eval(v, depth + 1)
                if inner is UNKNOWN or not isinstance(inner.value, dict):
                    return UNKNOWN
                out.update(inner.value)
                continue
            kv = self._eval(k, depth + 1)
            if kv is UNKNOWN or kv.partial:
                return UNKNOWN
            vv = self._eval(v, depth + 1)
            try:
                out[kv.value] = DictEntry(v, None if vv is UNKNOWN else vv)
            except TypeError:
                return UNKNOWN
        return Value(out)

    def _eval_call(self, e: ast.Call, depth: int) -> Any:
        q = self.qualname(e.func)
        if q == "dict" and not e.args:
            out = {}
            for kw in e.keywords:
                if kw.arg is None:
                    return UNKNOWN
                vv = self._eval(kw.value, depth + 1)
                out[kw.arg] = DictEntry(kw.value, None if vv is UNKNOWN else vv)
            return Value(out)
        if q in ("os.path.join", "posixpath.join", "urllib.parse.urljoin") and e.args:
            first = self._eval(e.args[0], depth + 1)
            if first is UNKNOWN or not isinstance(first.value, str):
                return UNKNOWN
            parts = [self._eval(a, depth + 1) for a in e.args[1:]]
            if any(p is UNKNOWN or not isinstance(p.value, str) or p.partial for p in parts) or first.partial:
                return Value(first.value, first.origin, partial=True)
            if q == "urllib.parse.urljoin":
                return Value(first.value, first.origin, partial=True)
            import posixpath

            return Value(posixpath.join(first.value, *[p.value for p in parts]), first.origin)
        if isinstance(e.func, ast.Attribute) and e.func.attr == "format":
            base = self._eval(e.func.value, depth + 1)
            if base is not UNKNOWN and isinstance(base.value, str):
                return Value(base.value.split("{", 1)[0], base.origin, partial=True)
        if q in ("str", "bool", "int") and len(e.args) == 1 and not e.keywords:
            v = self._eval(e.args[0], depth + 1)
            if v is UNKNOWN or v.partial:
                return UNKNOWN
            try:
                return Value({"str": str, "bool": bool, "int": int}[q](v.value), v.origin)
            except (TypeError, ValueError):
                return UNKNOWN
        return UNKNOWN


@dataclass(frozen=True)
class DictEntry:
    """A value in a statically known dict: its expression and, if known, its value."""

    expr: ast.expr
    value: Value | None


class CallSite:
    """A call with its resolved callee and keyword lookup that sees through ``**{...}``."""

    __slots__ = ("node", "qualname", "attr", "scope", "_kw", "_memo")

    def __init__(self, node: ast.Call, scope: Scope) -> None:
        self.node = node
        self.scope = scope
        self.qualname = scope.qualname(node.func) or ""
        f = node.func
        self.attr = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        self._kw: dict[str, ast.expr] | None = None
        self._memo: dict | None = None

    @property
    def memo(self) -> dict:
        """Scratch space shared by every rule that sees this call (one CallSite per call per run):
        a helper that several rules call on the same call can do its work once, keyed by its name."""
        if self._memo is None:
            self._memo = {}
        return self._memo

    def _keywords(self) -> dict[str, ast.expr]:
        if self._kw is None:
            kw: dict[str, ast.expr] = {}
            for k in self.node.keywords:
                if k.arg is not None:
                    kw[k.arg] = k.value
                else:
                    v = self.scope.value(k.value)
                    if v is not None and isinstance(v.value, dict):
                        for name, entry in v.value.items():
                            if isinstance(name, str) and isinstance(entry, DictEntry):
                                kw.setdefault(name, entry.expr)
            self._kw = kw
        return self._kw

    def arg(self, name: str | None, pos: int | None = None) -> ast.expr | None:
        """The expression passed as ``name=`` (also through ``**{...}``) or at position ``pos``."""
        if name is not None:
            e = self._keywords().get(name)
            if e is not None:
                return e
        if pos is not None and pos < len(self.node.args):
            a = self.node.args[pos]
            if not any(isinstance(x, ast.Starred) for x in self.node.args[: pos + 1]):
                return a
        return None

    def value(self, name: str | None, pos: int | None = None) -> Value | None:
        return self.scope.value(self.arg(name, pos))

    def has_opaque_kwargs(self) -> bool:
        """``**kw`` whose contents are not statically known."""
        for k in self.node.keywords:
            if k.arg is None:
                v = self.scope.value(k.value)
                if v is None or not isinstance(v.value, dict):
                    return True
        return False

    def matches(self, *suffixes: str) -> bool:
        q = self.qualname
        if not q.endswith(suffixes):  # one C-level test rules out almost every call
            return False
        return any(q == s or q.endswith("." + s) for s in suffixes)


def truthy(v: Value | None) -> bool | None:
    """True/False when the value is known, else None."""
    if v is None or v.partial:
        return None
    try:
        return bool(v.value)
    except Exception:
        return None
