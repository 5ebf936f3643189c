"""Findings on real notebooks are worth acting on (issue 14 for secrets, then every category).

The review set (tests/review/) judges by hand every finding nbguard makes on the corpus, except for
three rules with hundreds of findings, where a fixed sample is judged. This fails when a finding is
new and unjudged (listing the rows to add), when one judged true disappears, when a sampled rule has
fewer judged findings left than its sample, or when a category's precision falls below its minimum
(0.95 for secrets and data-exposure, 0.75 for unsafe-deserialization as measured, 0.90 for the rest)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from tests.review import CORPUS, REVIEW_FILES, SAMPLED, Judgement, corpus_findings, finding_key, load, problems

pytestmark = pytest.mark.skipif(not os.path.isdir(CORPUS), reason="corpus not available")


@pytest.fixture(scope="module")
def findings():
    return corpus_findings()


def test_every_finding_judged_none_lost_precision_kept(findings):
    found = problems(findings, load())
    assert not found, "\n".join(found)


def test_the_check_fails_on_an_unjudged_a_lost_and_a_false_finding(findings):
    judged = load()
    assert findings, "the corpus has secrets findings to judge"
    first = finding_key(findings[0])
    # an unjudged finding is listed as a row to fill in
    missing = {k: j for k, j in judged.items() if k != first}
    assert any(p.startswith("unjudged finding: " + first[0]) for p in problems(findings, missing))
    # a finding judged true that is no longer reported
    gone = ("x.ipynb", "NBG101", 0, "source", "", 1, "00000000")
    lost = {**judged, gone: Judgement(gone, True, "a key")}
    assert any("no longer reported" in p and "x.ipynb" in p for p in problems(findings, lost))
    # every finding judged false: precision 0
    wrong = {k: dataclasses.replace(j, verdict=False) for k, j in judged.items()}
    assert any(p.startswith("secrets: precision 0.000") for p in problems(findings, wrong))
    assert any(p.startswith("supply-chain: precision 0.000") for p in problems(findings, wrong))
    # a sampled rule whose judged findings are no longer all reported
    rule = next(iter(SAMPLED))
    dropped = next(k for k, j in judged.items() if k[1] == rule)
    fewer = [f for f in findings if finding_key(f) != dropped]
    assert any(p.startswith(f"{rule}: {SAMPLED[rule] - 1} judged findings left") for p in problems(fewer, judged))


def test_a_sampled_rule_holds_exactly_its_sample():
    judged = load()
    assert {rule: sum(1 for k in judged if k[1] == rule) for rule in SAMPLED} == SAMPLED


@pytest.mark.parametrize("path", REVIEW_FILES, ids=os.path.basename)
def test_the_file_holds_no_secret_value(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    from nbguard.rules._tokens import scan

    assert scan(text) == [] and "\"" not in text  # no quoted value copied from a cell
