"""JSON report: ``{"version", "findings", "errors", "summary"}`` (SPEC.md)."""

from __future__ import annotations

import json

from .._version import __version__

FINDING_FIELDS = ("path", "rule", "name", "category", "severity", "cell", "cell_id", "cell_type", "where",
                  "output", "line", "column", "end_line", "end_column", "message", "snippet", "fix", "cwe",
                  "raw_line")


def report_dict(report) -> dict:
    return {
        "version": __version__,
        "findings": [f.to_dict() for f in report.findings],
        "errors": [e.to_dict() for e in report.errors],
        "summary": report.summary(),
    }


def render(report, indent: int | None = 2) -> str:
    return json.dumps(report_dict(report), indent=indent, ensure_ascii=False) + "\n"
