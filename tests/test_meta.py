"""Every rule is self-describing, documented in the fixed shape, tested, and its docs are fresh."""

import os

import pytest

from nbguard.docs import write_docs
from nbguard.model import CATEGORIES
from nbguard.rules.base import all_rules

HERE = os.path.dirname(__file__)
REPO = os.path.dirname(HERE)
RULES = list(all_rules().values())


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata_and_doc_shape(rule):
    assert rule.validate() == []


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_rule_has_its_own_tests(rule):
    tests = [f for f in os.listdir(os.path.join(HERE, "rules")) if f.startswith(f"test_{rule.code.lower()}")]
    assert tests, f"no tests/rules/test_{rule.code.lower()}_*.py for {rule.code}"


def _declared_codes() -> list[tuple[str, str]]:
    """(code, file) of every ``code = "..."`` a rule class declares under nbguard/rules/, read
    from the source: the registry is a dict by code, so it cannot show a duplicate itself."""
    import ast

    found = []
    for folder, _, files in os.walk(os.path.join(REPO, "nbguard", "rules")):
        for name in files:
            if not name.endswith(".py"):
                continue
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
                for stmt in cls.body:
                    if isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == ["code"] \
                            and isinstance(stmt.value, ast.Constant) and stmt.value.value:
                        found.append((stmt.value.value, name))
    return found


def test_codes_and_names_are_unique():
    declared = _declared_codes()
    codes = [c for c, _ in declared]
    assert sorted(codes) == sorted(r.code for r in RULES)  # every declared rule is registered
    assert [c for c in set(codes) if codes.count(c) > 1] == []
    names = [r.name for r in RULES]
    assert [n for n in set(names) if names.count(n) > 1] == []
    for code, file in declared:  # one rule per file, named after it
        assert code.startswith("NBG") and len(code) == 6 and code[3:].isdigit(), code
        assert file.startswith(code.lower() + "_"), (code, file)


def test_every_category_has_at_least_two_rules():
    for cat in CATEGORIES:
        assert len([r for r in RULES if r.category == cat]) >= 2, cat


def test_generated_docs_are_fresh():
    stale = write_docs(os.path.join(REPO, "docs", "rules"), check=True)
    assert stale == [], "run: python -m nbguard.docs"
