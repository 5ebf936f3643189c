"""Issue 14: secrets and data-exposure findings on real notebooks are worth acting on.

The review set (tests/review/corpus_secrets_review.tsv) judges every finding the two categories
make on the corpus; this fails when one is new and unjudged (listing the rows to add), when one
judged true disappears, or when precision falls below 0.95."""

from __future__ import annotations

import dataclasses
import os

import pytest

from tests.review import CORPUS, Judgement, corpus_findings, finding_key, load, problems

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


def test_the_file_holds_no_secret_value():
    with open(os.path.join(os.path.dirname(__file__), "review", "corpus_secrets_review.tsv"), encoding="utf-8") as fh:
        text = fh.read()
    from nbguard.rules._tokens import scan

    assert scan(text) == [] and "\"" not in text  # no quoted value copied from a cell
