"""SARIF 2.1.0, as GitHub code scanning reads it.

Regions point at the line of the ``.ipynb`` file that holds the offending text
(``Finding.raw_line``), so annotations land on the right line of the JSON; the
cell, the line in the cell and the output index are kept in ``properties``.
"""

from __future__ import annotations

import hashlib
import json
import os

from .._version import __version__
from ..model import Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.LOW: "note", Severity.MEDIUM: "warning", Severity.HIGH: "error", Severity.CRITICAL: "error"}
_SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}


def _uri(path: str) -> str:
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        try:
            rel = os.path.relpath(path)
            if not rel.startswith(".."):
                p = rel.replace(os.sep, "/")
        except ValueError:
            pass
    while p.startswith("./"):
        p = p[2:]
    return p.replace(" ", "%20")


def _rule_descriptor(rule) -> dict:
    d = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary() or rule.name},
        "fullDescription": {"text": rule.summary() or rule.name},
        "help": {"text": rule.fix or rule.summary(), "markdown": rule.doc()},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "category": rule.category,
            "tags": ["security", rule.category] + ([f"external/cwe/cwe-{rule.cwe}"] if rule.cwe else []),
            "security-severity": _SECURITY_SEVERITY[rule.severity.label],
            "precision": "high",
        },
    }
    if rule.cwe_url():
        d["helpUri"] = rule.cwe_url()
    return d


def result(f, index: dict[str, int]) -> dict:
    """One finding as a SARIF result (``index``: rule code -> position in the driver's rules)."""
    region = {"startLine": f.raw_line or 1}
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    fp = hashlib.sha256(f"{f.rule}|{f.cell_id or f.cell}|{f.where}|{f.snippet.strip()}".encode()).hexdigest()
    return {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.message} (cell {f.cell + 1}, line {f.line})" if f.cell >= 0 else f.message},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": _uri(f.path)}, "region": region},
            "logicalLocations": [{"name": f"cell {f.cell + 1}" if f.cell >= 0 else "notebook metadata",
                                  "kind": "module"}],
        }],
        "partialFingerprints": {"nbguard/v1": fp[:32]},
        "properties": {
            "severity": f.severity.label, "category": f.category, "cell": f.cell, "cell_id": f.cell_id,
            "cell_type": f.cell_type, "where": f.where, "output": f.output, "line": f.line,
            "column": f.column, "end_line": f.end_line, "end_column": f.end_column,
        },
    }


def sarif_dict(report) -> dict:
    from ..rules.base import all_rules

    rules = all_rules()
    used = sorted({f.rule for f in report.findings} | set(rules))
    index = {code: i for i, code in enumerate(used)}
    results = [result(f, index) for f in report.findings]
    notifications = [{
        "level": "error",
        "message": {"text": f"{e.path}: {e.message}"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path)}}}],
    } for e in report.errors]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nbguard",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(rules[c]) for c in used if c in rules],
            }},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }


def render(report) -> str:
    return json.dumps(sarif_dict(report), indent=2, ensure_ascii=False) + "\n"
