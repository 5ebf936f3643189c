"""Which rule hooks a notebook's code reaches: :class:`RuleSet` groups the enabled rules by the
hooks they implement and turns their declared preconditions (``call_names``, ``call_keywords``,
``call_suffixes``, ``call_pattern``, ``text_anchors``, ``shell_anchors``) into lookup tables,
so the engine's walk (:mod:`nbguard.engine`) asks it, per call or text, which rules to run.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable

from .analysis import CallSite
from .config import Config
from .ipysyntax import ShellCommand
from .rules.base import Rule, all_rules

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
