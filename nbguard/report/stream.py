"""Reports written while a run is still producing them (``nbguard lint --dask``).

A scan of an estate can find more than the machine that writes the report can hold, so these
writers take one notebook's :class:`~nbguard.model.Report` at a time, in order, and write it out;
what the end of a report needs (the errors, the summary) is kept as counts. For the same
findings the bytes are those of :func:`nbguard.report.render`: the tests compare them.

JSON, SARIF, text and GitHub annotations stream. JUnit and HTML group by notebook and put totals
at the top, so they are rendered from the whole report at the end (say so when that matters).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from typing import TextIO

from .._version import __version__
from ..model import FileError, Report, Severity

STREAMED = ("json", "sarif", "text", "github")


class Tally:
    """What a report's summary needs, counted as reports arrive (the findings themselves are not kept)."""

    def __init__(self) -> None:
        self.files = 0
        self.findings = 0
        self.errors: list[FileError] = []
        self.by_severity = {s.label: 0 for s in Severity}
        self.by_category: dict[str, int] = {}
        self._paths: set[str] = set()

    def add(self, report: Report) -> None:
        self.files += report.files
        self.errors.extend(report.errors)
        for f in report.findings:
            self.findings += 1
            self.by_severity[f.severity.label] += 1
            self.by_category[f.category] = self.by_category.get(f.category, 0) + 1
            self._paths.add(f.path)

    def summary(self) -> dict:
        """The same dict as :meth:`Report.summary` for the same reports."""
        return {
            "files": self.files,
            "files_with_findings": len(self._paths),
            "findings": self.findings,
            "errors": len(self.errors),
            "by_severity": dict(self.by_severity),
            "by_category": dict(sorted(self.by_category.items())),
        }


def _nested(value, level: int) -> str:
    """``value`` as json.dumps(indent=2) writes it ``level`` containers deep."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


class Writer:
    """Base: ``add`` one notebook's report at a time, in order; ``close`` writes the end."""

    def __init__(self, out: TextIO, color: bool = False) -> None:
        self.out = out
        self.color = color
        self.tally = Tally()

    def add(self, report: Report) -> None:
        self.tally.add(report)
        self._add(report)

    def _add(self, report: Report) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class TextWriter(Writer):
    def _add(self, report: Report) -> None:
        from .text import render_finding

        for f in report.findings:
            self.out.write(render_finding(f, self.color) + "\n\n")

    def close(self) -> None:
        from .text import _c, summary_line

        for e in self.tally.errors:
            self.out.write(_c("31", str(e), self.color) + "\n")
        self.out.write(summary_line(self.tally) + "\n")


class GithubWriter(Writer):
    def _add(self, report: Report) -> None:
        from .github import annotation

        for f in report.findings:
            self.out.write(annotation(f) + "\n")

    def close(self) -> None:
        from .github import render

        self.out.write(render(Report(errors=self.tally.errors)))


class JsonWriter(Writer):
    def __init__(self, out: TextIO, color: bool = False) -> None:
        super().__init__(out, color)
        self.written = 0
        self.out.write('{\n  "version": ' + json.dumps(__version__) + ',\n  "findings": [')

    def _add(self, report: Report) -> None:
        for f in report.findings:
            self.out.write((",\n    " if self.written else "\n    ") + _nested(f.to_dict(), 2))
            self.written += 1

    def close(self) -> None:
        self.out.write("\n  ]" if self.tally.findings else "]")
        self.out.write(',\n  "errors": ' + _nested([e.to_dict() for e in self.tally.errors], 1)
                       + ',\n  "summary": ' + _nested(self.tally.summary(), 1) + "\n}\n")


class SarifWriter(Writer):
    """Results go to an anonymous spool file: SARIF puts the run's errors (and whether it succeeded)
    before the results, and those are known only at the end."""

    _PLACEHOLDER = "\x00nbguard-results\x00"

    def __init__(self, out: TextIO, color: bool = False) -> None:
        from ..rules.base import all_rules

        super().__init__(out, color)
        self.index = {code: i for i, code in enumerate(sorted(all_rules()))}
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")

    def _add(self, report: Report) -> None:
        from .sarif import result

        for f in report.findings:
            self.spool.write(",\n        " if self.spool.tell() else "\n        ")
            self.spool.write(_nested(result(f, self.index), 4))

    def close(self) -> None:
        from .sarif import sarif_dict

        doc = sarif_dict(Report(errors=self.tally.errors))
        doc["runs"][0]["results"] = self._PLACEHOLDER
        head, tail = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").split(
            json.dumps(self._PLACEHOLDER, ensure_ascii=False))
        self.out.write(head + "[")
        if self.tally.findings:
            self.spool.seek(0)
            shutil.copyfileobj(self.spool, self.out)
            self.out.write("\n      ")
        self.out.write("]" + tail)
        self.spool.close()


class WholeWriter(Writer):
    """JUnit and HTML: collected, rendered at the end (they group by notebook with totals first)."""

    def __init__(self, out: TextIO, fmt: str, color: bool = False) -> None:
        super().__init__(out, color)
        self.fmt = fmt
        self.report = Report()

    def _add(self, report: Report) -> None:
        self.report.extend(report)

    def close(self) -> None:
        from . import render

        self.out.write(render(self.report, self.fmt, color=self.color))


def writer(fmt: str, out: TextIO, color: bool = False) -> Writer:
    if fmt == "json":
        return JsonWriter(out, color)
    if fmt == "sarif":
        return SarifWriter(out, color)
    if fmt == "text":
        return TextWriter(out, color)
    if fmt == "github":
        return GithubWriter(out, color)
    return WholeWriter(out, fmt, color)
