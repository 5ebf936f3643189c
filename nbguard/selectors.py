"""Rule selectors: what ``--select``/``--ignore``, ``per-path-ignores``, ``# nbguard: ignore[...]``
and a notebook's ``nbguard.ignore`` metadata name (a code, a code prefix, a name, a category or ALL).

A selector is matched against a rule's identity (its ``code``, ``name`` and ``category``) only,
so this module needs no rule: the config, the baseline and the engine's suppression all use it,
and the list of known rules is handed in by whoever has it (:func:`nbguard.api.load_config`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .model import CATEGORIES

if TYPE_CHECKING:  # (a Protocol costs import time; this one is for readers and type checkers only)
    from typing import Protocol

    class RuleIdentity(Protocol):
        """What a selector is matched against: a rule class (or anything with these three names)."""

        code: str
        name: str
        category: str


def matches(rule: RuleIdentity, selector: str) -> bool:
    """Does a --select/--ignore item name this rule? Code, code prefix, name, category or ALL."""
    s = selector.strip()
    if not s:
        return False
    if s.upper() == "ALL":
        return True
    if s.upper().startswith("NBG"):
        return rule.code.startswith(s.upper())
    return s.lower() in (rule.name, rule.category)


def known_selector(selector: str, rules: Iterable[RuleIdentity]) -> bool:
    """A category (even one without enabled rules), ALL, or something that names one of ``rules``."""
    s = selector.strip()
    return s.lower() in CATEGORIES or any(matches(r, s) for r in rules)
