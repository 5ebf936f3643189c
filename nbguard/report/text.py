"""Human report, ruff-like: location line, the source line, a caret under the range."""

from __future__ import annotations

from ..model import Severity

_SEV_COLOR = {Severity.LOW: "36", Severity.MEDIUM: "33", Severity.HIGH: "31", Severity.CRITICAL: "1;31"}


def _c(code: str, s: str, color: bool) -> str:
    return f"\x1b[{code}m{s}\x1b[0m" if color else s


def location(f) -> str:
    cell = f"cell {f.cell + 1}" if f.cell >= 0 else "notebook"
    return f"{f.path}:{cell}:{f.line}:{f.column}:"


def where_suffix(f) -> str:
    if f.where == "output":
        return f" (in output {f.output + 1 if f.output is not None else '?'})"
    if f.where == "metadata":
        return " (in metadata)"
    return ""


def render_finding(f, color: bool = False) -> str:
    head = (f"{_c('1', location(f), color)} {_c('1;31' if color else '0', f.rule, color)} "
            f"[{_c(_SEV_COLOR[f.severity], f.severity.label, color)}] {f.message}{where_suffix(f)}")
    lines = [head]
    snippet = f.snippet.expandtabs(1) if "\t" in f.snippet else f.snippet
    if snippet.strip():
        gutter = str(f.line)
        pad = " " * len(gutter)
        lines.append(f"{pad} |")
        lines.append(f"{gutter} | {snippet}")
        if not snippet.startswith("…"):
            width = (f.end_column - f.column) if f.end_line == f.line else len(snippet) - f.column + 1
            width = max(1, min(width, max(1, len(snippet) - f.column + 1)))
            lines.append(f"{pad} | {' ' * (f.column - 1)}{_c('31', '^' * width, color)}")
        lines.append(f"{pad} = fix: {f.fix}" if f.fix else f"{pad} |")
    return "\n".join(lines)


def render(report, color: bool = False) -> str:
    out = []
    for f in report.findings:
        out.append(render_finding(f, color))
        out.append("")
    for e in report.errors:
        out.append(_c("31", str(e), color))
    out.append(summary_line(report))
    return "\n".join(out) + "\n"


def summary_line(report) -> str:
    s = report.summary()
    if s["findings"]:
        sev = ", ".join(f"{n} {k}" for k, n in reversed(list(s["by_severity"].items())) if n)
        line = (f"Found {s['findings']} finding{'s' if s['findings'] != 1 else ''} ({sev}) in "
                f"{s['files_with_findings']} of {s['files']} notebook{'s' if s['files'] != 1 else ''}.")
    else:
        line = f"No findings in {s['files']} notebook{'s' if s['files'] != 1 else ''}."
    if s["errors"]:
        line += f" {s['errors']} file{'s' if s['errors'] != 1 else ''} could not be read."
    return line
