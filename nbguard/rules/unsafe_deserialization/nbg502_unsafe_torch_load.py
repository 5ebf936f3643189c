from __future__ import annotations

import ast
import re

from ...analysis import truthy
from ...model import Severity
from .. import _shell
from .._paths import env_truthy, facts, observe_magic, parse_env_magic, provenance, shell_programs
from .._calls import anchor, last_names
from ..base import Rule

_LOADS = ("torch.load", "torch.serialization.load")
_ENV = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"
_FACTS = "torch_load"  # ctx.facts key: {"patched": Evidence text, "safe_torch": str, "env": str, "unsafe_funcs": set}
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def _at_least_26(specifiers) -> bool:
    """``==2.6.0``, ``>=2.7``, ``~=2.6``: every version allowed is 2.6 or later."""
    for op, version in specifiers:
        m = _VERSION.match(version)
        if op in ("==", "===", ">=", "~=", ">") and m and (int(m.group(1)), int(m.group(2))) >= (2, 6):
            return True
    return False


def _state(ctx) -> dict:
    s = ctx.facts.get(_FACTS)
    if s is None:
        s = ctx.facts[_FACTS] = {"patched": None, "safe_torch": None, "unsafe_funcs": set(), "unsafe_ranges": []}
    return s


_SETTERS = ("setdefault", "__setitem__")
_NO_CHILD_NODES = frozenset({"ctx", "op", "ops", "id", "attr", "arg"})  # fields with no node of interest


_fields: dict[type, tuple[str, ...]] = {}  # node type -> the fields that may hold a node
# Never pushed on the walk's stack: not nodes (None in Dict.keys, names in Global.names), and
# Name/Constant, which are none of the types tested and hold no field the walk follows.
_NOT_PUSHED = frozenset({type(None), str, ast.Name, ast.Constant})


def _sets_weights_only_false(node: ast.AST, ctx) -> bool:
    """Does ``node`` pass ``weights_only=False`` or ``setdefault("weights_only", False)`` anywhere?"""
    scope = ctx.scope
    keyword, Call, Attribute, Assign, Subscript, Dict, Constant = (ast.keyword, ast.Call, ast.Attribute, ast.Assign,
                                                                   ast.Subscript, ast.Dict, ast.Constant)
    AST = ast.AST
    stack = [node]
    pop, push = stack.pop, stack.append
    # every node under `node` (as ast.walk, in another order: the answer is a yes/no)
    while stack:
        n = pop()
        t = type(n)
        if t is keyword:
            if n.arg == "weights_only" and truthy(scope.value(n.value)) is False:
                return True
        elif t is Call:
            if len(n.args) >= 2 and type(n.func) is Attribute and n.func.attr in _SETTERS:
                k, v = scope.value(n.args[0]), scope.value(n.args[1])
                if k is not None and k.value == "weights_only" and truthy(v) is False:
                    return True
        elif t is Assign:
            if type(n.targets[0]) is Subscript:
                sl = n.targets[0].slice
                # a constant is its own value: test it without the scope
                k = None if type(sl) is Constant and sl.value != "weights_only" else scope.value(sl)
                if k is not None and k.value == "weights_only" and truthy(scope.value(n.value)) is False:
                    return True
        elif t is Dict:
            for k, v in zip(n.keys, n.values, strict=False):
                if type(k) is Constant and k.value != "weights_only":
                    continue  # a constant is its own value
                kv = scope.value(k) if k is not None else None
                if kv is not None and kv.value == "weights_only" and truthy(scope.value(v)) is False:
                    return True
        fields = _fields.get(t)
        if fields is None:
            fields = _fields[t] = tuple(f for f in t._fields if f not in _NO_CHILD_NODES
                                        and not (t is Constant and f in ("value", "kind")))
        for name in fields:
            v = getattr(n, name, None)
            if v.__class__ is list:
                for x in v:
                    if x.__class__ not in _NOT_PUSHED and isinstance(x, AST):
                        push(x)
            elif v.__class__ not in _NOT_PUSHED and isinstance(v, AST):
                push(v)
    return False


class UnsafeTorchLoad(Rule):
    """## What it does
    Finds `torch.load` / `torch.serialization.load` calls that may unpickle arbitrary
    objects: **high** with `weights_only=False` or a custom `pickle_module=`, **medium**
    when `weights_only` is not given (the default was `False` before torch 2.6; **low**
    when the notebook installs `torch>=2.6`). Aliases (`from torch import load as tl`,
    `f = torch.load`) are followed, and `weights_only=True` passed through `**{...}` or a
    constant counts.

    Also reports, at high severity, what turns the protection off for every later call:
    `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1` (through `os.environ` or `%env`) and
    monkeypatches such as `torch.load = functools.partial(torch.load, weights_only=False)`;
    `torch.load` calls after such a patch are high too. Loading a file the notebook
    saved itself with `torch.save` is lowered to low. Not reported: in a script the
    notebook writes with `%%writefile x.py` (a training, evaluation or serving entry
    point that a job runs, not the kernel), loads of a local file the script does not
    download itself (its job's checkpoint or model; the kernel's `%env` does not reach
    the job either), and a load of a file `torch.save`d earlier in the same cell by code
    that always runs before it (save, rebuild, load back: what is read is what the cell
    just wrote).

    ## Why is this bad?
    A `.pt`/`.pth`/`.bin`/`.ckpt` checkpoint is a pickle. With `weights_only=False`,
    loading it runs whatever code the file names: a checkpoint downloaded from a hub, a
    shared drive or a bucket can take over the kernel. `weights_only=True` restricts
    unpickling to tensors and plain containers.

    ## Example
    ```python
    state = torch.load("model.pt", weights_only=False)
    ckpt = torch.load(path)
    ```

    Use instead:
    ```python
    state = torch.load("model.pt", weights_only=True)
    from safetensors.torch import load_file
    state = load_file("model.safetensors")
    ```

    ## References
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    - [torch.load](https://pytorch.org/docs/stable/generated/torch.load.html) (`weights_only` defaults to True since 2.6)
    - Bandit B614, TorchFix TOR102
    """

    code = "NBG502"
    name = "unsafe-torch-load"
    category = "unsafe-deserialization"
    severity = Severity.HIGH
    cwe = 502
    peers = ("bandit:B614", "torchfix:TOR102", "sonar:S6985")
    fix = "pass weights_only=True (or load safetensors); never turn weights_only off for files you did not write"
    nodes = (ast.Assign, ast.FunctionDef)
    uses_path_facts = True  # the engine records what earlier code wrote (see _paths.py)
    call_names = last_names(_LOADS) | {"setdefault"}

    # -- facts ----------------------------------------------------------------------------
    @classmethod
    def autofix(cls, finding, site):
        return _fix_torch_load(finding, site)

    def check_shell(self, cmd, ctx) -> None:
        for inst in _shell.installs(cmd.text):
            for req in getattr(inst, "requirements", ()):
                if req.kind == "name" and req.canonical == "torch" and _at_least_26(req.specifiers):
                    _state(ctx)["safe_torch"] = req.text
        for prog, words, _ in shell_programs(cmd.text):
            if prog == "export":
                for w in words:
                    if w.startswith(_ENV + "=") and env_truthy(w.split("=", 1)[1]):
                        self._report_env(ctx, ctx.shell_span(cmd), "export (it only lasts for that shell)",
                                         Severity.MEDIUM)

    def check_magic(self, magic, ctx) -> None:
        observe_magic(magic, ctx)
        kv = parse_env_magic(magic)
        if kv and kv[0] == _ENV and env_truthy(kv[1]):
            self._report_env(ctx, ctx.magic_span(magic), f"%{magic.name}")

    def check_node(self, node, ctx) -> None:
        if isinstance(node, ast.FunctionDef):
            if _sets_weights_only_false(node, ctx):
                state = _state(ctx)
                state["unsafe_funcs"].add(node.name)
                cell = ctx.cell.index if ctx.cell is not None else -1
                state["unsafe_ranges"].append((cell, node.lineno, node.end_lineno or node.lineno, node.name))
            return
        for t in node.targets:
            if isinstance(t, ast.Attribute) and t.attr == "load" and (ctx.scope.qualname(t) or "") in _LOADS:
                self._check_patch(node, ctx)
            elif isinstance(t, ast.Subscript) and ctx.scope.qualname(t.value) == "os.environ":
                k = ctx.scope.str_value(t.slice)
                v = ctx.scope.value(node.value)
                if k is not None and k.value == _ENV and v is not None and env_truthy(str(v.value)):
                    self._report_env(ctx, ctx.node_span(node), "os.environ")

    def _check_patch(self, node: ast.Assign, ctx) -> None:
        value = node.value
        unsafe = _sets_weights_only_false(value, ctx)
        if not unsafe and isinstance(value, ast.Name) and value.id in _state(ctx)["unsafe_funcs"]:
            unsafe = True
        if not unsafe:
            return
        where = f"cell {ctx.cell.index + 1}, line {node.lineno}" if ctx.cell is not None else f"line {node.lineno}"
        _state(ctx)["patched"] = where
        ctx.report_node(self, node, "torch.load is replaced by a version with weights_only=False: every later "
                                    "torch.load in this kernel unpickles arbitrary objects")

    def _report_env(self, ctx, span, how: str, severity: Severity = Severity.HIGH) -> None:
        ctx.report(self, span, f"{_ENV}=1 set with {how} makes torch.load ignore weights_only and unpickle "
                               f"arbitrary objects", severity=severity)

    # -- calls ----------------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        if call.matches(*_LOADS):
            self._check(call, ctx)
        elif call.attr == "setdefault" and call.qualname == "os.environ.setdefault":
            k, v = call.value(None, 0), call.value(None, 1)
            if k is not None and k.value == _ENV and v is not None and env_truthy(str(v.value)):
                self._report_env(ctx, ctx.node_span(call.node), "os.environ.setdefault")

    def _check(self, call, ctx) -> None:
        state = _state(ctx)
        prov = provenance(ctx, call.arg("f", 0))
        if prov.own:
            return  # the notebook's or its job's own output (see _paths.Provenance.own)
        wo_expr = call.arg("weights_only")
        pm = call.arg("pickle_module", 2)
        node = call.node
        if wo_expr is not None:
            wo = truthy(ctx.scope.value(wo_expr))
            if wo is None:
                return  # a value we cannot read: benefit of the doubt
            if wo:
                return  # weights_only=True (pickle_module with it is an error at runtime)
            sev = Severity.LOW if prov.kind == "self" else Severity.CRITICAL if prov.kind == "remote" else Severity.HIGH
            ctx.report_node(self, anchor(call, wo_expr), f"torch.load(weights_only=False) unpickles arbitrary objects{prov.text}",
                            severity=sev)
            return
        env = facts(ctx).env.get(_ENV)
        if state["patched"] or (env is not None and env_truthy(env[0])):
            why = f"torch.load was patched to weights_only=False ({state['patched']})" if state["patched"] \
                else f"{_ENV}=1 ({env[1].describe()})"
            ctx.report_node(self, node, f"torch.load() unpickles arbitrary objects: {why}{prov.text}",
                            severity=Severity.LOW if prov.kind == "self" else Severity.HIGH)
            return
        if pm is not None:
            ctx.report_node(self, anchor(call, pm), f"torch.load(pickle_module=...) without weights_only=True unpickles with a "
                                      f"custom unpickler{prov.text}",
                            severity=Severity.LOW if prov.kind == "self" else Severity.HIGH)
            return
        if call.has_opaque_kwargs():
            cell = ctx.cell.index if ctx.cell is not None else -1
            wrapper = next((name for c, a, b, name in state["unsafe_ranges"] if c == cell and a <= node.lineno <= b),
                           None)
            if wrapper:
                ctx.report_node(self, node, f"torch.load() inside {wrapper}(), which sets weights_only=False, "
                                            f"unpickles arbitrary objects")
            else:
                ctx.report_node(self, node, f"torch.load() with no visible weights_only (it may be in **kwargs)"
                                            f"{prov.text}", severity=Severity.LOW)
            return
        if prov.kind == "self":
            sev, extra = Severity.LOW, ""
        elif state["safe_torch"]:
            sev, extra = Severity.LOW, f"; the notebook installs {state['safe_torch']}, where it defaults to True"
        else:
            sev, extra = (Severity.HIGH if prov.kind == "remote" else Severity.MEDIUM), ""
        ctx.report_node(self, node, f"torch.load() without weights_only=True unpickles arbitrary objects on torch "
                                    f"< 2.6{prov.text}{extra}", severity=sev)


# -- autofix (nbguard fix) ----------------------------------------------------------------


def _fix_torch_load(f, site):
    """``weights_only=True`` added to a ``torch.load(...)`` that does not set it (an explicit
    ``False`` is the author's choice)."""
    from ...fixsite import Edit

    text = site.text
    hit = site.enclosing_call(("load",), allow_name=True)
    if hit is None:
        return None
    call, _ = hit
    if any(k.arg is None or k.arg == "weights_only" for k in call.keywords):
        return None  # set explicitly, or possibly inside **kwargs
    args = list(call.args) + list(call.keywords)
    if not args:
        return None
    last = max(args, key=lambda a: (a.end_lineno, a.end_col_offset))
    rng = text.range(last)
    if rng is None:
        return None
    return Edit(rng[1], rng[1], ", weights_only=True", f, "weights_only=True")
