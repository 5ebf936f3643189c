"""The real-estate review set: what nbguard reports on the corpus of real notebooks
(``../shared/corpus``), judged by hand.

Two files, one row per judged finding: where it is (notebook path relative to the corpus, rule,
cell, where, output, line), a short fingerprint (tells two findings on one line apart), the verdict
(``true`` / ``false``) and one line of reason. The secret itself is never written here, nor
anything computed from it: the fingerprint hashes the report's own masked snippet and column.

- ``corpus_secrets_review.tsv`` (issue 14): every secrets and data-exposure finding.
- ``corpus_rules_review.tsv``: the other four categories. Every finding of every rule, except the
  three rules with hundreds of findings (:data:`SAMPLED`): for those, a fixed sample (the first N
  findings in sha256 order of their keys, drawn once) is judged.

``python -m tests.review`` prints precision per rule and, as TSV rows ready to judge, every
finding that must be judged and is not yet; tests/test_review_set.py fails on those, on a finding
judged true that disappeared, on a sampled rule with fewer judged findings left than its sample,
and on a category whose precision is below :data:`MIN_PRECISION`.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass

from nbguard.model import CATEGORIES

HERE = os.path.dirname(os.path.abspath(__file__))
SECRETS_FILE = os.path.join(HERE, "corpus_secrets_review.tsv")
RULES_FILE = os.path.join(HERE, "corpus_rules_review.tsv")
REVIEW_FILES = (SECRETS_FILE, RULES_FILE)
CORPUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "corpus")
# A linter that cries wolf is switched off: a secret reported wrongly costs most (people stop reading
# the category), so those two categories are held to more.
MIN_PRECISION = {
    "secrets": 0.95, "data-exposure": 0.95,
}
DEFAULT_MIN_PRECISION = 0.90
SAMPLED = {"NBG301": 50, "NBG405": 40, "NBG601": 50}  # rule -> findings judged (of hundreds)
COLUMNS = ("path", "rule", "cell", "where", "output", "line", "fingerprint", "verdict", "reason")

Key = tuple[str, str, int, str, str, int, str]


@dataclass(frozen=True)
class Judgement:
    key: Key
    verdict: bool
    reason: str


def fingerprint(finding) -> str:
    """8 hex digits of sha256(column, masked snippet): what any report already shows, so nothing of
    the value (a prefix of the content hash would let a short password be confirmed by guessing)."""
    return hashlib.sha256(f"{finding.column}\0{finding.snippet}".encode()).hexdigest()[:8]


def finding_key(finding, corpus: str = CORPUS) -> Key:
    rel = os.path.relpath(finding.path, corpus).replace(os.sep, "/")
    out = "" if finding.output is None else str(finding.output)
    return (rel, finding.rule, finding.cell, finding.where, out, finding.line, fingerprint(finding))


def sample_order(key: Key) -> str:
    """The order SAMPLED rules were drawn in: sha256 of the key's columns."""
    return hashlib.sha256("\t".join(map(str, key)).encode()).hexdigest()


def corpus_findings(corpus: str = CORPUS) -> list:
    """Every finding on the corpus: all rules, outputs scanned, every severity."""
    from nbguard.api import lint_paths
    from nbguard.config import Config
    from nbguard.model import Severity

    config = Config(min_severity=Severity.LOW, outputs=True, root=corpus)
    return lint_paths([corpus], config).findings


def load(paths: tuple[str, ...] = REVIEW_FILES) -> dict[Key, Judgement]:
    out: dict[Key, Judgement] = {}
    for path in paths:
        out.update(_load(path))
    return out


def _load(path: str) -> dict[Key, Judgement]:
    out: dict[Key, Judgement] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        for row in rows:
            key = (row["path"], row["rule"], int(row["cell"]), row["where"], row["output"], int(row["line"]),
                   row["fingerprint"])
            if row["verdict"] not in ("true", "false") or not row["reason"].strip():
                raise ValueError(f"{path}: row {key} needs a verdict (true/false) and a reason")
            out[key] = Judgement(key, row["verdict"] == "true", row["reason"].strip())
    return out


def row(key: Key, verdict: str = "?", reason: str = "?") -> str:
    return "\t".join([*map(str, key), verdict, reason])


def table(findings: list, judged: dict[Key, Judgement]) -> dict[str, list[int]]:
    """rule (and category) -> [findings, true, false, unjudged]."""
    out: dict[str, list[int]] = {}
    for f in findings:
        j = judged.get(finding_key(f))
        for name in (f.rule, f.category):
            t = out.setdefault(name, [0, 0, 0, 0])
            t[0] += 1
            t[1 if j and j.verdict else 2 if j else 3] += 1
    return out


def precision(counts: list[int]) -> float:
    _, true, false, _ = counts
    return true / (true + false) if true + false else 1.0


def min_precision(category: str) -> float:
    return MIN_PRECISION.get(category, DEFAULT_MIN_PRECISION)


def must_judge(findings: list, judged: dict[Key, Judgement]) -> list:
    """The findings the review set must hold and does not: every finding of a rule that is not
    SAMPLED."""
    return [f for f in findings if f.rule not in SAMPLED and finding_key(f) not in judged]


def sample_shortfall(findings: list, judged: dict[Key, Judgement]) -> dict[str, tuple[int, list[Key]]]:
    """SAMPLED rule -> (its judged findings still reported, the unjudged ones next in sample order
    that would bring it back to its sample size)."""
    out: dict[str, tuple[int, list[Key]]] = {}
    for rule, n in SAMPLED.items():
        keys = sorted({finding_key(f) for f in findings if f.rule == rule}, key=sample_order)
        left = sum(1 for k in keys if k in judged)
        out[rule] = (left, [k for k in keys if k not in judged][:max(n - left, 0)])
    return out


def problems(findings: list, judged: dict[Key, Judgement]) -> list[str]:
    """What keeps the review set from passing: unjudged findings (as rows to fill in), findings
    judged true that are gone, a sampled rule whose judged findings shrank below its sample, a
    category below its minimum precision."""
    keys = {finding_key(f) for f in findings}
    out = [f"unjudged finding: {row(finding_key(f))}" for f in must_judge(findings, judged)]
    out += [f"finding judged true is no longer reported: {row(k, 'true', j.reason)}"
            for k, j in judged.items() if j.verdict and k not in keys]
    for rule, (left, _) in sample_shortfall(findings, judged).items():
        if left < SAMPLED[rule]:
            out.append(f"{rule}: {left} judged findings left of its sample of {SAMPLED[rule]}: judge more "
                       f"(python -m tests.review lists them)")
    counts = table(findings, judged)
    for cat in CATEGORIES:
        if cat in counts and precision(counts[cat]) < min_precision(cat):
            n, t, f, _ = counts[cat]
            out.append(f"{cat}: precision {precision(counts[cat]):.3f} < {min_precision(cat)} ({t} true, {f} false)")
    return out
