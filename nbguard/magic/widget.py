"""How a :class:`~nbguard.model.Report` shows itself in IPython: an ipywidgets panel.

``Report._repr_mimebundle_`` lands here. In a kernel with ipywidgets the bundle
holds a widget view (the panel) plus a static HTML table and the plain-text
report, so a front-end without a widget manager (nbconvert, GitHub, ``jupyter
console``) still shows the findings. In a terminal IPython, or without
ipywidgets, it is the text report only.

The panel: counts by severity as coloured chips; a table (severity, rule, cell,
line, message, snippet) filtered by category and severity; each rule's
documentation on demand. Every string shown comes from a finding's ``message``
and ``snippet``, which the engine has already masked, or from a rule's
documentation. This module never reads a notebook's source.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ..model import CATEGORIES, Severity

SEVERITY_COLORS = {
    "critical": "#8e0000",
    "high": "#d32f2f",
    "medium": "#e65100",
    "low": "#1565c0",
}
CLEAN_COLOR = "#2e7d32"
ALL = "all"
HISTORY_NOTE = "cell = execution count In[n]"
MAX_ROWS = 500  # a table row per finding; beyond this the filters (or the DataFrame) are the way in


# -- where can a widget render? ------------------------------------------------

def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def in_kernel() -> bool:
    """True in a Jupyter kernel (a front-end is attached); False in plain Python or terminal IPython."""
    ip = _shell()
    return ip is not None and getattr(ip, "kernel", None) is not None


def widgets_available() -> bool:
    """True in a kernel with ipywidgets installed: a front-end may render the panel."""
    if not in_kernel():
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def mimebundle(report, include=None, exclude=None) -> dict[str, Any]:
    """The report's display data: panel + static HTML + text in a kernel, text elsewhere."""
    text = report.to_text()
    if not in_kernel():
        return {"text/plain": text}
    data: dict[str, Any] = {"text/plain": text, "text/html": static_html(report)}
    if widgets_available():
        view = Panel(report).widget._repr_mimebundle_() or {}
        if isinstance(view, tuple):
            view = view[0]
        key = "application/vnd.jupyter.widget-view+json"
        if key in view:
            data[key] = view[key]
    return data


# -- HTML pieces (pure functions; the widgets only hold their output) -----------

def _e(s: Any) -> str:
    return html.escape(str(s), quote=True)


def chip(label: str, count: int | str, color: str) -> str:
    return (f'<span class="nbg-magic-chip" data-severity="{_e(label)}" style="display:inline-block;'
            f"background:{color};color:#fff;border-radius:12px;padding:1px 10px;margin:0 6px 2px 0;"
            f'font-weight:600;font-size:12px;line-height:20px">{_e(label)} {_e(count)}</span>')


def chips_html(report) -> str:
    by_sev = report.summary()["by_severity"]
    if not report.findings:
        return chip("no findings", "✓", CLEAN_COLOR)
    parts = [chip(s.label, by_sev[s.label], SEVERITY_COLORS[s.label])
             for s in sorted(Severity, reverse=True) if by_sev[s.label]]
    return "".join(parts)


def _paths(report) -> list[str]:
    return sorted({f.path for f in report.findings})


def title_html(report) -> str:
    paths = _paths(report)
    n = len(report.findings)
    where = ""
    if len(paths) == 1:
        where = f" in <code>{_e(paths[0])}</code>"
    elif len(paths) > 1:
        where = f" in {len(paths)} notebooks"
    elif report.files == 1:
        where = " in 1 notebook"
    note = f' <span style="opacity:.7">({HISTORY_NOTE})</span>' if paths and paths[0].startswith("<") else ""
    head = (f'<div class="nbg-magic-title" style="margin-bottom:4px"><b>nbguard</b>: '
            f'{n} finding{"" if n == 1 else "s"}{where}{note}</div>')
    errors = "".join(f'<div class="nbg-magic-error" style="color:{SEVERITY_COLORS["high"]}">{_e(e)}</div>'
                     for e in report.errors)
    return head + errors


def _cell_label(f) -> str:
    if f.cell < 0:
        return "notebook"
    label = str(f.cell + 1)
    if f.where == "output":
        label += f" (output {f.output + 1 if f.output is not None else '?'})"
    elif f.where == "metadata":
        label += " (metadata)"
    return label


def table_html(findings, show_path: bool = False) -> str:
    th = 'style="text-align:left;padding:3px 8px;border-bottom:2px solid var(--jp-border-color1,#bbb)"'
    td = 'style="text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid var(--jp-border-color2,#ddd)"'
    wide = 'style="text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid var(--jp-border-color2,#ddd);min-width:24ch;max-width:60ch"'
    cols = (["file"] if show_path else []) + ["severity", "rule", "cell", "line", "message", "snippet"]
    head = "".join(f"<th {th}>{c}</th>" for c in cols)
    rows = []
    for f in findings[:MAX_ROWS]:
        sev = f.severity.label
        cells = [_e(f.path)] if show_path else []
        cells += [
            f'<span style="color:{SEVERITY_COLORS[sev]};font-weight:600">{sev}</span>',
            f'<span title="{_e(f.name)}">{_e(f.rule)}</span>',
            _e(_cell_label(f)),
            f"{f.line}:{f.column}",
            _e(f.message) + (f'<br><span style="opacity:.7">fix: {_e(f.fix)}</span>' if f.fix else ""),
            f'<code style="white-space:pre-wrap;overflow-wrap:anywhere">{_e(f.snippet.strip())}</code>',
        ]
        rows.append(f'<tr class="nbg-magic-row" data-rule="{_e(f.rule)}">'
                    + "".join(f"<td {wide if i >= len(cells) - 2 else td}>{c}</td>" for i, c in enumerate(cells))
                    + "</tr>")
    if not rows:
        rows.append(f'<tr><td {td} colspan="{len(cols)}"><i>no findings match the filters</i></td></tr>')
    elif len(findings) > MAX_ROWS:
        rows.append(f'<tr><td {td} colspan="{len(cols)}"><i>{len(findings) - MAX_ROWS} more not shown: narrow the '
                    "filters, or use <code>_nbguard.to_dataframe()</code></i></td></tr>")
    return ('<table class="nbg-magic-table" style="border-collapse:collapse;width:100%;font-size:12.5px;line-height:1.45">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def static_html(report) -> str:
    """The panel without interaction: for front-ends that do not render widgets."""
    return (f'<div class="nbg-magic-report">{title_html(report)}<div>{chips_html(report)}</div>'
            f"{table_html(report.findings, len(_paths(report)) > 1)}</div>")


def filter_findings(findings, category: str = ALL, severity: str = ALL) -> list:
    return [f for f in findings
            if (category == ALL or f.category == category) and (severity == ALL or f.severity.label == severity)]


# -- rule documentation: a small Markdown subset to HTML -----------------------

_INLINE = re.compile(r"`([^`]+)`|\[([^\]]+)\]\((https?://[^)\s]+)\)|\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(_e(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(f"<code>{_e(m.group(1))}</code>")
        elif m.group(2) is not None:
            out.append(f'<a href="{_e(m.group(3))}" target="_blank" rel="noopener">{_inline(m.group(2))}</a>')
        else:
            out.append(f"<b>{_e(m.group(4))}</b>")
        pos = m.end()
    out.append(_e(text[pos:]))
    return "".join(out)


def _pre(lines: list[str]) -> str:
    style = "background:var(--jp-layout-color2,#f5f5f5);padding:6px 10px;border-radius:4px;overflow-x:auto"
    return f'<pre style="{style}"><code>{_e(chr(10).join(lines))}</code></pre>'


def markdown_html(md: str) -> str:
    """Headings, paragraphs, bullet lists, fenced code, inline code, links and bold."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in md.splitlines():
        if code is not None:
            if line.strip().startswith("```"):
                out.append(_pre(code))
                code = None
            else:
                code.append(line)
            continue
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = []
        elif not stripped:
            flush()
        elif m := re.match(r"(#{1,6})\s+(.*)", stripped):
            flush()
            level = min(6, len(m.group(1)) + 2)  # h3.. inside an output
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif m := re.match(r"[-*]\s+(.*)", stripped):
            if para:
                flush()
            items.append(m.group(1))
        elif items and line.startswith("  "):
            items[-1] += " " + stripped
        else:
            if items:
                flush()
            para.append(stripped)
    if code is not None:
        out.append(_pre(code))
    flush()
    return "\n".join(out)


def rule_doc_html(code: str) -> str:
    from ..api import get_rule
    from ..docs import render_rule

    rule = get_rule(code)
    if rule is None:
        return f"<p>unknown rule {_e(code)}</p>"
    return (f'<div class="nbg-magic-doc" data-rule="{_e(rule.code)}" style="line-height:1.5">'
            f"{markdown_html(render_rule(rule))}</div>")


# -- the panel -------------------------------------------------------------------

class Panel:
    """The ipywidgets view of one report. ``widget`` is what gets displayed."""

    def __init__(self, report) -> None:
        import ipywidgets as w

        self.report = report
        findings = report.findings
        show_path = len(_paths(report)) > 1
        self._show_path = show_path

        self.header = w.HTML(value=title_html(report) + f"<div>{chips_html(report)}</div>")
        self.header.add_class("nbg-magic-header")

        cats = [c for c in CATEGORIES if any(f.category == c for f in findings)]
        cats += sorted({f.category for f in findings} - set(cats))
        self.category = w.Dropdown(
            options=[(f"all categories ({len(findings)})", ALL)]
            + [(f"{c} ({sum(f.category == c for f in findings)})", c) for c in cats],
            value=ALL, description="Category", layout=w.Layout(width="auto"))
        sevs = [s.label for s in sorted(Severity, reverse=True)]
        by_sev = report.summary()["by_severity"]
        self.severity = w.ToggleButtons(
            options=[(f"all ({len(findings)})", ALL)] + [(f"{s} ({by_sev[s]})", s) for s in sevs],
            value=ALL, style={"button_width": "auto"},
            tooltips=["every severity"] + [f"only {s} findings" for s in sevs])
        self.shown = w.HTML()
        self.table = w.HTML(layout=w.Layout(max_height="520px", overflow="auto"))
        self.table.add_class("nbg-magic-findings")

        rules: dict[str, tuple[str, int]] = {}
        for f in findings:
            name, n = rules.get(f.rule, (f.name, 0))
            rules[f.rule] = (name, n + 1)
        self.rule = w.Dropdown(
            options=[("choose a rule…", "")] + [(f"{c} {name} ({n})", c) for c, (name, n) in sorted(rules.items())],
            value="", description="Explain", layout=w.Layout(width="auto"))
        self.doc = w.HTML(layout=w.Layout(max_height="480px", overflow="auto"))
        self.doc.add_class("nbg-magic-doc")

        self.category.observe(self._refresh, names="value")
        self.severity.observe(self._refresh, names="value")
        self.rule.observe(self._explain, names="value")
        self._refresh()

        children = [self.header]
        if findings:
            children += [w.HBox([self.category, self.severity, self.shown],
                                layout=w.Layout(align_items="center", flex_flow="row wrap")),
                         self.table, self.rule, self.doc]
        self.widget = w.VBox(children, layout=w.Layout(padding="4px"))
        self.widget.add_class("nbg-magic-panel")

    def _refresh(self, _change=None) -> None:
        shown = filter_findings(self.report.findings, self.category.value, self.severity.value)
        self.table.value = table_html(shown, self._show_path)
        total = len(self.report.findings)
        self.shown.value = f'<span style="margin-left:12px;opacity:.75">showing {len(shown)} of {total}</span>'

    def _explain(self, change=None) -> None:
        code = self.rule.value
        self.doc.value = rule_doc_html(code) if code else ""

    def select(self, category: str = ALL, severity: str = ALL, rule: str = "") -> Panel:
        """Set the filters (as a user clicking would); used by scripts and tests."""
        self.category.value = category
        self.severity.value = severity
        self.rule.value = rule
        return self
