"""Plain data: severities, categories, findings, errors and the report.

Everything here is immutable and free of I/O; front-ends (CLI, magic, server)
render these objects through :mod:`nbguard.report`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any, Iterable


class Severity(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


CATEGORIES: tuple[str, ...] = (
    "secrets",
    "unencrypted-data",
    "unpinned-model",
    "insecure-network",
    "unsafe-deserialization",
    "supply-chain",
    "data-exposure",
)

# Categories whose matched text is itself sensitive and is masked everywhere.
SENSITIVE_CATEGORIES = frozenset({"secrets", "data-exposure"})
# The baseline file `nbguard baseline` writes by default (here, so the CLI parser needs no
# import of nbguard.baseline).
BASELINE_FILE = ".nbguard-baseline.json"


# Exit codes of the command-line front-ends (cli, the Dask runner).
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be carried out (bad option, unreachable scheduler): one line, exit 2."""


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Built once by the engine, never mutated."""

    path: str
    rule: str
    name: str
    category: str
    severity: Severity
    cell: int  # 0-based index into nb.cells (all cell types); -1 for notebook metadata
    cell_id: str | None
    cell_type: str | None
    where: str  # "source" | "output" | "metadata"
    output: int | None
    line: int  # 1-based, within the cell source / output text / metadata value
    column: int  # 1-based
    end_line: int
    end_column: int
    message: str
    snippet: str  # the offending line, secrets masked
    fix: str = ""
    cwe: int | None = None
    raw_line: int | None = None  # line in the .ipynb file holding the text
    # sha256 of (rule, where, whitespace-normalised offending text): stable across cell moves,
    # re-runs and edits elsewhere; the baseline salts it. Never shown: it is a hash of the
    # secret itself, so it stays out of to_dict() and every report.
    content_hash: str = field(default="", repr=False)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell, _WHERE_ORDER.get(self.where, 9), self.output or 0,
                self.line, self.column, self.rule)

    def to_dict(self) -> dict[str, Any]:
        # Every field is a str, int or None: a flat copy (asdict deep-copies each value, ~20x slower).
        d = {name: getattr(self, name) for name in _FINDING_FIELDS}
        del d["content_hash"]
        d["severity"] = self.severity.label
        return d


_WHERE_ORDER = {"metadata": 0, "source": 1, "output": 2}
_FINDING_FIELDS = tuple(f.name for f in fields(Finding))


@dataclass(frozen=True)
class FileError:
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: error: {self.message}"


@dataclass
class Report:
    """The result of a lint run: findings, unreadable files, and what was read."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0  # notebooks read successfully

    def extend(self, other: "Report") -> None:
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.files += other.files

    def filtered(self, keep: Iterable[Finding]) -> "Report":
        return Report(findings=list(keep), errors=list(self.errors), files=self.files)

    def summary(self) -> dict[str, Any]:
        by_sev = {s.label: 0 for s in Severity}
        by_cat: dict[str, int] = {}
        for f in self.findings:
            by_sev[f.severity.label] += 1
            by_cat[f.category] = by_cat.get(f.category, 0) + 1
        return {
            "files": self.files,
            "files_with_findings": len({f.path for f in self.findings}),
            "findings": len(self.findings),
            "errors": len(self.errors),
            "by_severity": by_sev,
            "by_category": dict(sorted(by_cat.items())),
        }

    # One-line conveniences, so API users need one import. Each imports its renderer when
    # called, never at module level: the data layer depends on no renderer (tests/test_layers.py
    # allows exactly these late imports).
    def to_json(self, indent: int | None = 2) -> str:
        from .report import render

        return render(self, "json", indent=indent)

    def to_sarif(self) -> str:
        from .report import render

        return render(self, "sarif")

    def to_text(self, color: bool = False) -> str:
        from .report import render

        return render(self, "text", color=color)

    def to_dataframe(self):  # pandas is imported only then
        from .report import to_dataframe

        return to_dataframe(self)

    def _repr_mimebundle_(self, include=None, exclude=None):  # IPython display: the panel, or text
        from .magic.widget import mimebundle

        return mimebundle(self, include, exclude)

    def __len__(self) -> int:
        return len(self.findings)
