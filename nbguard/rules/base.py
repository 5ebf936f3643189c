"""The rule contract and the registry.

A rule is one class in one module under ``nbguard/rules/<category>/``. It
declares its metadata as class attributes, documents itself in its docstring
(the fixed shape below, checked by ``tests/test_meta.py``) and overrides one or
more hooks. The engine calls only the hooks a rule overrides.

Docstring shape (ruff's)::

    ## What it does
    ## Why is this bad?
    ## Example
    Use instead:
    ## References      (must link the CWE when the rule has one)

Hooks (each reports through ``ctx.report``):

* ``check_call(call, ctx)`` -- every Python call, with its callee resolved;
* ``check_node(node, ctx)`` -- AST nodes of the types in ``nodes``;
* ``check_shell(cmd, ctx)`` -- shell lines (``!cmd``, ``%%bash``, ``%pip``, ``os.system``...);
* ``check_magic(magic, ctx)`` -- IPython line magics (``%env``, ``%load``...);
* ``check_text(text, ctx)`` -- raw text of the kinds in ``texts``: ``code``
  (code-cell source, magics and comments included), ``markdown``, ``raw``,
  ``output`` and ``metadata``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from typing import TYPE_CHECKING, Callable, ClassVar

from .. import selectors
from ..model import CATEGORIES, Severity
from ..selectors import matches  # noqa: F401 (re-exported: plugins import it from here)

if TYPE_CHECKING:
    from ..analysis import CallSite
    from ..context import CellContext, TextView
    from ..fixsite import Edit, FixSite
    from ..ipysyntax import LineMagic, ShellCommand
    from ..model import Finding

CODE_RE = re.compile(r"^NBG\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## References")
TEXT_KINDS = frozenset({"code", "markdown", "raw", "output", "metadata"})


class Rule:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    category: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.MEDIUM
    cwe: ClassVar[int | None] = None
    peers: ClassVar[tuple[str, ...]] = ()  # e.g. ("bandit:B614", "ruff:S301", "detect-secrets:AWSKeyDetector")
    fix: ClassVar[str] = ""  # one line: what to do instead, shown with each finding
    nodes: ClassVar[tuple[type[ast.AST], ...]] = ()
    texts: ClassVar[frozenset[str]] = frozenset()
    # Optional preconditions, for speed: the engine skips a hook call they rule out (None:
    # always call). Declare one only when the hook could not report otherwise.
    # check_call only for calls whose callee ends in one of these names: the last part of the
    # resolved name ("load" for torch.load, even if imported as tl) or the name as written.
    call_names: ClassVar[frozenset[str] | None] = None
    # check_call only for calls that pass one of these keyword names (``verify=...``), or any
    # ``**expr`` (whose keys may be these, statically known or not). Either a set of names or a
    # pure predicate on a keyword name (the engine caches its answer per name).
    call_keywords: ClassVar["frozenset[str] | Callable[[str], bool] | None"] = None
    # check_call only when the resolved callee name ends with one of these strings
    # (``str.endswith``; for tests like ``q.endswith("HTTPServer")`` that need no dot).
    call_suffixes: ClassVar[tuple[str, ...] | None] = None
    # check_call only when this pattern matches (``re.search``) the last part of the resolved
    # callee name or the name as written (``download`` in ``my_utils.download_image``).
    call_pattern: ClassVar["re.Pattern[str] | None"] = None
    # The call preconditions above combine with OR: a rule that declares several runs when any
    # of them holds (e.g. some callee names, or a keyword on any call). None declared: every call.
    # check_text only when one of these substrings occurs in the text (case-sensitive).
    text_anchors: ClassVar[tuple[str, ...] | None] = None
    # check_shell only when one of these substrings occurs in the command's text.
    shell_anchors: ClassVar[tuple[str, ...] | None] = None
    # The rule reads the path facts of nbguard/rules/_paths.py: the engine then records them from
    # every call, shell line and os.environ assignment, after all rules have seen it.
    uses_path_facts: ClassVar[bool] = False

    def __init__(self, config=None) -> None:
        self.config = config

    # hooks -------------------------------------------------------------------
    def check_call(self, call: "CallSite", ctx: "CellContext") -> None: ...
    def check_node(self, node: ast.AST, ctx: "CellContext") -> None: ...
    def check_shell(self, cmd: "ShellCommand", ctx: "CellContext") -> None: ...
    def check_magic(self, magic: "LineMagic", ctx: "CellContext") -> None: ...
    def check_text(self, text: "TextView", ctx: "CellContext") -> None: ...

    # metadata ----------------------------------------------------------------
    @classmethod
    def autofix(cls, finding: "Finding", site: "FixSite") -> "Edit | None":
        """A safe rewrite for one of this rule's findings in a code cell (``nbguard fix``), or None.
        Override it to make the rule fixable; return None wherever the rewrite could change
        what the code means. Fixes live here, beside their rule; :mod:`nbguard.fix` applies them."""
        return None

    @classmethod
    def fixable(cls) -> bool:
        return cls.autofix.__func__ is not Rule.autofix.__func__

    @classmethod
    def hooks(cls) -> frozenset[str]:
        return frozenset(h for h in ("check_call", "check_node", "check_shell", "check_magic", "check_text")
                         if getattr(cls, h) is not getattr(Rule, h))

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First sentence of '## What it does'."""
        doc = cls.doc()
        m = re.search(r"## What it does\s*\n(.+?)(?:\n\s*\n|\n##|$)", doc, re.S)
        text = " ".join(m.group(1).split()) if m else ""
        return text.split(". ")[0].rstrip(".")

    @classmethod
    def cwe_url(cls) -> str | None:
        return f"https://cwe.mitre.org/data/definitions/{cls.cwe}.html" if cls.cwe else None

    @classmethod
    def to_dict(cls) -> dict:
        return {
            "code": cls.code,
            "name": cls.name,
            "category": cls.category,
            "severity": cls.severity.label,
            "cwe": cls.cwe,
            "peers": list(cls.peers),
            "summary": cls.summary(),
            "fix": cls.fix,
            "doc": cls.doc(),
        }

    @classmethod
    def validate(cls) -> list[str]:
        """Problems with this rule's metadata and docs (empty when fine)."""
        errs = []
        if not CODE_RE.match(cls.code):
            errs.append(f"{cls.__name__}: code {cls.code!r} is not NBGnnn")
        if not NAME_RE.match(cls.name):
            errs.append(f"{cls.code}: name {cls.name!r} is not kebab-case")
        if cls.category not in CATEGORIES:
            errs.append(f"{cls.code}: unknown category {cls.category!r}")
        expected_prefix = str(CATEGORIES.index(cls.category) + 1) if cls.category in CATEGORIES else "?"
        if cls.code[3:4] != expected_prefix:
            errs.append(f"{cls.code}: code should start with NBG{expected_prefix} for {cls.category}")
        doc = cls.doc()
        pos = -1
        for sec in DOC_SECTIONS:
            i = doc.find(sec)
            if i < 0:
                errs.append(f"{cls.code}: doc lacks {sec!r}")
            elif i < pos:
                errs.append(f"{cls.code}: doc section {sec!r} out of order")
            pos = max(pos, i)
        if cls.cwe and f"CWE-{cls.cwe}" not in doc:
            errs.append(f"{cls.code}: References must name CWE-{cls.cwe}")
        if not cls.hooks():
            errs.append(f"{cls.code}: overrides no check_* hook")
        if not cls.fix:
            errs.append(f"{cls.code}: no fix hint")
        if cls.texts - TEXT_KINDS:
            errs.append(f"{cls.code}: unknown text kinds {sorted(cls.texts - TEXT_KINDS)}")
        return errs


_REGISTRY: dict[str, type[Rule]] | None = None


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code, discovered from the ``nbguard.rules`` package and entry points."""
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, type[Rule]] = {}
        from .. import rules as pkg

        for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if mod.name.rsplit(".", 1)[-1].startswith("_") or mod.name.endswith(".base"):
                continue
            module = importlib.import_module(mod.name)
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.code \
                        and obj.__module__ == module.__name__:
                    if obj.code in found and found[obj.code] is not obj:
                        raise RuntimeError(f"duplicate rule code {obj.code}")
                    found[obj.code] = obj
        _load_plugins(found)
        _REGISTRY = dict(sorted(found.items()))
    return _REGISTRY


class PluginWarning(UserWarning):
    """A third-party rule (entry point group ``nbguard.rules``) that could not be used."""


def _load_plugins(found: dict[str, type[Rule]]) -> None:
    """Add the rules of installed plugins. Each entry point is loaded on its own: one that fails
    to import, is not a Rule, or takes a code already in use is one warning naming it, and the
    others still load (a broken plugin must not break the linter, nor hide the plugins after it)."""
    import warnings
    from importlib.metadata import entry_points

    try:
        eps = list(entry_points(group="nbguard.rules"))
    except Exception as e:  # broken installed metadata
        warnings.warn(f"plugins not loaded: {type(e).__name__}: {e}", PluginWarning, stacklevel=3)
        return
    for ep in eps:
        where = f"plugin {ep.name!r} ({ep.value})"
        try:
            obj = ep.load()
        except Exception as e:
            warnings.warn(f"{where} failed to load: {type(e).__name__}: {e}", PluginWarning, stacklevel=3)
            continue
        if not (isinstance(obj, type) and issubclass(obj, Rule) and obj.code):
            warnings.warn(f"{where} is not an nbguard Rule class with a code; ignored", PluginWarning,
                          stacklevel=3)
            continue
        taken = found.get(obj.code)
        if taken is not None and taken is not obj:
            warnings.warn(f"{where} declares {obj.code}, already used by {taken.__module__}.{taken.__name__};"
                          " ignored", PluginWarning, stacklevel=3)
            continue
        found[obj.code] = obj


def get_rule(selector: str) -> type[Rule] | None:
    rules = all_rules()
    s = selector.strip()
    if s.upper() in rules:
        return rules[s.upper()]
    for r in rules.values():
        if r.name == s.lower():
            return r
    return None


def known_selector(selector: str) -> bool:
    """A category (even one without enabled rules), ALL, or something that names a rule."""
    return selectors.known_selector(selector, all_rules().values())
