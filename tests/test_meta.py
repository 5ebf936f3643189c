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


def test_codes_and_names_are_unique():
    assert len({r.name for r in RULES}) == len(RULES)


def test_every_category_has_at_least_two_rules():
    for cat in CATEGORIES:
        assert len([r for r in RULES if r.category == cat]) >= 2, cat


def test_generated_docs_are_fresh():
    stale = write_docs(os.path.join(REPO, "docs", "rules"), check=True)
    assert stale == [], "run: python -m nbguard.docs"
