from __future__ import annotations

import ast

from ...model import Severity
from .._calls import anchor
from ..base import Rule

_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "RoundTripLoader"})
_UNSAFE_LOADERS = frozenset({"Loader", "UnsafeLoader", "CLoader", "CUnsafeLoader"})
_FULL_LOADERS = frozenset({"FullLoader", "CFullLoader"})
_LOAD = frozenset({"load", "load_all"})
_UNSAFE_LOAD = ("unsafe_load", "unsafe_load_all")
_FULL_LOAD = ("full_load", "full_load_all")


class UnsafeYamlLoad(Rule):
    """## What it does
    Finds YAML loading that can build arbitrary Python objects. **High**:
    `yaml.unsafe_load` / `unsafe_load_all`, `yaml.load` / `load_all` with
    `Loader=yaml.Loader`, `UnsafeLoader` or `CLoader` (keyword or second positional
    argument, also through an alias or a variable), and `ruamel.yaml.YAML(typ="unsafe")`.
    **Medium**: `yaml.load` without a `Loader`, `yaml.full_load` and `Loader=FullLoader`,
    and the old `ruamel.yaml.load` without a safe Loader.
    `yaml.safe_load`, `SafeLoader`, `CSafeLoader` and `BaseLoader` are fine; a custom
    Loader class gets the benefit of the doubt.

    ## Why is this bad?
    PyYAML's full and unsafe loaders honour tags such as
    `!!python/object/apply:os.system ["..."]`, so loading a config file, a model card or
    an experiment's YAML from elsewhere runs code in the kernel. `FullLoader` was meant
    to be safer but has had several code-execution bypasses (CVE-2020-1747,
    CVE-2020-14343). PyYAML before 5.1 used the unsafe loader when no `Loader` was given;
    6.0 and later raise an error instead.

    ## Example
    ```python
    cfg = yaml.load(open("config.yaml"), Loader=yaml.Loader)
    ```

    Use instead:
    ```python
    cfg = yaml.safe_load(open("config.yaml"))
    ```

    ## References
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    - [PyYAML: yaml.load(input) deprecation](https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation)
    - Bandit B506 and ruff S506 (both miss `yaml.unsafe_load`)
    """

    code = "NBG504"
    # every report needs call.attr to be one of these (YAML: ruamel's YAML(typ="unsafe"))
    call_names = _LOAD | frozenset(_UNSAFE_LOAD + _FULL_LOAD + ("YAML",))
    name = "unsafe-yaml-load"
    category = "unsafe-deserialization"
    severity = Severity.HIGH
    cwe = 502
    peers = ("bandit:B506", "ruff:S506", "semgrep:python.lang.security.deserialization.avoid-pyyaml-load")
    fix = "use yaml.safe_load (or Loader=yaml.SafeLoader / CSafeLoader)"

    @classmethod
    def autofix(cls, finding, site):
        return _fix_yaml_load(finding, site)

    def check_call(self, call, ctx) -> None:
        q = call.qualname
        attr = call.attr
        star = any(m.split(".")[0] in ("yaml", "ruamel") for m in ctx.scope.star_imports)
        bare = "." not in q and star
        if q.startswith("ruamel.yaml") or (bare and attr == "YAML" and "ruamel" in ctx.scope.modules):
            self._ruamel(call, ctx)
            return
        if not (q.startswith("yaml.") or bare):
            return
        if attr in _UNSAFE_LOAD:
            ctx.report_node(self, call.node, f"yaml.{attr}() builds arbitrary Python objects from the document")
        elif attr in _FULL_LOAD:
            ctx.report_node(self, call.node, f"yaml.{attr}() uses FullLoader, which has had code-execution bypasses",
                            severity=Severity.MEDIUM)
        elif attr in _LOAD:
            self._loader(call, ctx, f"yaml.{attr}()")

    def _loader(self, call, ctx, label: str, ruamel: bool = False) -> None:
        expr = call.arg("Loader", 1)
        if expr is None:
            if call.has_opaque_kwargs():
                return
            msg = f"{label} without a Loader uses the unsafe loader on PyYAML < 5.1 (and fails on 6.0+)" if not ruamel \
                else f"{label} without a Loader uses the unsafe loader (ruamel.yaml's old API)"
            ctx.report_node(self, call.node, msg, severity=Severity.MEDIUM)
            return
        q = ctx.scope.qualname(expr) or ""
        name = q.rsplit(".", 1)[-1]
        if not (q.startswith(("yaml.", "ruamel.")) or "." not in q):
            return  # a loader from elsewhere: benefit of the doubt
        if name in _SAFE_LOADERS or name.endswith("SafeLoader"):
            return
        if name in _UNSAFE_LOADERS:
            ctx.report_node(self, anchor(call, expr), f"{label} with Loader={name} builds arbitrary Python objects from the document")
        elif name in _FULL_LOADERS:
            ctx.report_node(self, anchor(call, expr), f"{label} with Loader={name} has had code-execution bypasses; use SafeLoader",
                            severity=Severity.MEDIUM)

    def _ruamel(self, call, ctx) -> None:
        if call.attr == "YAML":
            typ = call.value("typ", 0)
            if typ is None:
                return
            values = typ.value if isinstance(typ.value, (list, tuple)) else [typ.value]
            if "unsafe" in values:
                ctx.report_node(self, anchor(call, call.arg("typ", 0)), "ruamel.yaml.YAML(typ='unsafe') builds arbitrary Python "
                                                          "objects from the document")
        elif call.attr in _LOAD and call.qualname in ("ruamel.yaml.load", "ruamel.yaml.load_all",
                                                      "ruamel.yaml.main.load", "ruamel.yaml.main.load_all"):
            self._loader(call, ctx, f"ruamel.yaml.{call.attr}()", ruamel=True)


# -- autofix (nbguard fix) ----------------------------------------------------------------


_YAML_SAFE = {"load": "safe_load", "load_all": "safe_load_all", "unsafe_load": "safe_load",
              "unsafe_load_all": "safe_load_all"}


def _fix_yaml_load(f, site):
    """``yaml.load(x)`` / ``yaml.load(x, Loader=...)`` becomes ``yaml.safe_load(x)``."""
    from ...fixsite import Edit

    text = site.text
    hit = site.enclosing_call(tuple(_YAML_SAFE), allow_name=False)
    if hit is None:
        return None
    call, rng = hit
    func = call.func
    if not isinstance(func, ast.Attribute) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    loader = None
    if len(call.args) == 2 and not call.keywords:
        loader = call.args[1]
    elif len(call.args) == 1 and len(call.keywords) == 1 and call.keywords[0].arg == "Loader":
        loader = call.keywords[0]
    elif not (len(call.args) == 1 and not call.keywords):
        return None  # stream= keyword or extra arguments: leave it to a person
    func_rng = text.range(func)
    if func_rng is None or not text.source[:func_rng[1]].endswith(func.attr):
        return None
    head = text.source[rng[0]:func_rng[1] - len(func.attr)] + _YAML_SAFE[func.attr]
    first_rng = text.range(call.args[0])
    if first_rng is None:
        return None
    if loader is None:
        new = head + text.source[func_rng[1]:rng[1]]
    else:
        loader_rng = text.range(loader)
        if loader_rng is None:
            return None
        new = head + text.source[func_rng[1]:first_rng[1]] + text.source[loader_rng[1]:rng[1]]
    return Edit(rng[0], rng[1], new, f, f"yaml.{_YAML_SAFE[func.attr]}")
