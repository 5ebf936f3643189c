"""The real-estate review set (issue 14): every secrets and data-exposure finding nbguard makes on
the corpus of real notebooks (``../shared/corpus``), judged by hand.

``corpus_secrets_review.tsv`` holds one row per finding: where it is (notebook path relative to
the corpus, rule, cell, where, output, line), a short fingerprint (tells two findings on one line
apart), the
verdict (``true`` / ``false``) and one line of reason. The secret itself is never written here, nor
anything computed from it: the fingerprint hashes the report's own masked snippet and column.

``python -m tests.review`` prints precision per rule and, as TSV rows ready to judge, every
finding the file does not hold yet; tests/test_review_set.py fails on those, on a finding judged
true that disappeared, and on a precision below 0.95 in either category.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
REVIEW_FILE = os.path.join(HERE, "corpus_secrets_review.tsv")
CORPUS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared", "corpus")
CATEGORIES = ("secrets", "data-exposure")
MIN_PRECISION = 0.95
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


def corpus_findings(corpus: str = CORPUS) -> list:
    """Every secrets and data-exposure finding on the corpus: all their rules, outputs scanned,
    every severity."""
    from nbguard.api import lint_paths
    from nbguard.config import Config
    from nbguard.model import Severity

    config = Config(select=list(CATEGORIES), min_severity=Severity.LOW, outputs=True, root=corpus)
    return [f for f in lint_paths([corpus], config).findings if f.category in CATEGORIES]


def load(path: str = REVIEW_FILE) -> dict[Key, Judgement]:
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


def problems(findings: list, judged: dict[Key, Judgement]) -> list[str]:
    """What keeps the review set from passing: unjudged findings (as rows to fill in), findings
    judged true that are gone, a category below MIN_PRECISION."""
    keys = {finding_key(f) for f in findings}
    out = [f"unjudged finding: {row(finding_key(f))}" for f in findings if finding_key(f) not in judged]
    out += [f"finding judged true is no longer reported: {row(k, 'true', j.reason)}"
            for k, j in judged.items() if j.verdict and k not in keys]
    counts = table(findings, judged)
    for cat in CATEGORIES:
        if cat in counts and precision(counts[cat]) < MIN_PRECISION:
            n, t, f, _ = counts[cat]
            out.append(f"{cat}: precision {precision(counts[cat]):.3f} < {MIN_PRECISION} ({t} true, {f} false)")
    return out
