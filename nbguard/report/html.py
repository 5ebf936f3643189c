"""A standalone HTML report a person can open: findings grouped by notebook and cell,
the masked snippet, how to fix, and each rule's explanation (collapsible). One file,
inline CSS, no external assets; every piece of text is escaped.
"""

from __future__ import annotations

import html
import re

from .._version import __version__
from ..model import Severity
from .text import summary_line

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--code:#f6f8fa;
--critical:#8b0000;--high:#cf222e;--medium:#9a6700;--low:#0969da}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:32px 0 8px;word-break:break-all}
h3{font-size:15px;margin:16px 0 6px;color:var(--muted)}
.summary{color:var(--muted);margin:0 0 16px}
.counts span{display:inline-block;margin-right:12px}
nav ul{padding-left:20px;margin:4px 0} nav a{word-break:break-all}
.finding{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}
.finding.critical{border-left-color:var(--critical)} .finding.high{border-left-color:var(--high)}
.finding.medium{border-left-color:var(--medium)} .finding.low{border-left-color:var(--low)}
.sev{font-weight:600;text-transform:uppercase;font-size:12px;margin-right:8px}
.sev.critical{color:var(--critical)} .sev.high{color:var(--high)} .sev.medium{color:var(--medium)}
.sev.low{color:var(--low)} .loc{color:var(--muted);margin-left:8px}
.msg{margin:4px 0}
pre{background:var(--code);padding:8px 10px;border-radius:6px;overflow-x:auto;margin:6px 0;
font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:var(--code);padding:0 3px;border-radius:3px;font-family:ui-monospace,Menlo,Consolas,monospace}
.fix{color:var(--muted);margin:4px 0 0}
details{border:1px solid var(--line);border-radius:6px;padding:6px 12px;margin:8px 0}
summary{cursor:pointer;font-weight:600}
.errors li{color:var(--high)}
"""

_SCRIPT = ("document.addEventListener('click',function(e){var a=e.target.closest('a[href^=\"#rule-\"]');"
           "if(a){var d=document.getElementById(a.getAttribute('href').slice(1));if(d)d.open=true;}});")


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


_INLINE_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


def _inline(escaped: str) -> str:
    escaped = _INLINE_CODE.sub(r"<code>\1</code>", escaped)
    return _LINK.sub(r'<a href="\2" rel="noopener noreferrer">\1</a>', escaped)


def doc_html(doc: str) -> str:
    """The rule docstrings' small Markdown subset (headings, fences, lists, paragraphs) as HTML."""
    out: list[str] = []
    para: list[str] = []
    in_list = False
    lines = doc.split("\n")
    i = 0

    def flush() -> None:
        nonlocal in_list
        if para:
            out.append(f"<p>{_inline(esc(' '.join(para)))}</p>")
            para.clear()
        if in_list:
            out.append("</ul>")
            in_list = False

    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("```"):
            flush()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            indent = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
            out.append(f"<pre><code>{esc(chr(10).join(b[indent:] for b in body))}</code></pre>")
        elif line.startswith("#"):
            flush()
            out.append(f"<h4>{_inline(esc(line.lstrip('#').strip()))}</h4>")
        elif line.startswith(("- ", "* ")):
            if para:
                out.append(f"<p>{_inline(esc(' '.join(para)))}</p>")
                para.clear()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{_inline(esc(line[2:]))}</li>")
        elif not line:
            flush()
        else:
            if in_list:
                out.append("</ul>")
                in_list = False
            para.append(line)
        i += 1
    flush()
    return "\n".join(out)


def _finding(f) -> str:
    sev = f.severity.label
    loc = f"line {f.line}, column {f.column}"
    if f.where == "output":
        loc += f" · output {f.output + 1 if f.output is not None else '?'}"
    elif f.where == "metadata":
        loc += " · metadata"
    parts = [
        f'<article class="finding {sev}">',
        (f'<div><span class="sev {sev}">{esc(sev)}</span>'
         f'<a class="rule" href="#rule-{esc(f.rule)}">{esc(f.rule)} {esc(f.name)}</a>'
         f'<span class="loc">{esc(loc)}</span></div>'),
        f'<p class="msg">{esc(f.message)}</p>',
    ]
    if f.snippet.strip():
        snippet = f.snippet.expandtabs(4)
        parts.append(f'<pre class="snippet">{esc(f.line)} | {esc(snippet)}</pre>')
    if f.fix:
        parts.append(f'<p class="fix">Fix: {esc(f.fix)}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def render(report) -> str:
    from ..rules.base import all_rules

    s = report.summary()
    by_path: dict[str, list] = {}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)
    body: list[str] = [
        "<header><h1>nbguard report</h1>",
        f'<p class="summary">{esc(summary_line(report))}</p>',
        '<p class="counts">' + "".join(
            f'<span class="sev {sev.label}">{s["by_severity"][sev.label]} {esc(sev.label)}</span>'
            for sev in sorted(Severity, reverse=True)) + "</p></header>",
    ]
    if by_path:
        body.append("<nav><strong>Notebooks</strong><ul>")
        for n, (path, fs) in enumerate(by_path.items(), 1):
            body.append(f'<li><a href="#nb-{n}">{esc(path)}</a> ({len(fs)})</li>')
        body.append("</ul></nav>")
    for n, (path, fs) in enumerate(by_path.items(), 1):
        body.append(f'<section class="notebook" id="nb-{n}"><h2>{esc(path)}</h2>')
        cells: dict[int, list] = {}
        for f in fs:
            cells.setdefault(f.cell, []).append(f)
        for cell, cfs in cells.items():
            if cell < 0:
                title = "Notebook metadata"
            else:
                first = cfs[0]
                kind = f"{first.cell_type} cell" if first.cell_type else "cell"
                title = f"Cell {cell + 1} ({kind}" + (f", id {first.cell_id}" if first.cell_id else "") + ")"
            body.append(f'<section class="cell"><h3>{esc(title)}</h3>')
            body.extend(_finding(f) for f in cfs)
            body.append("</section>")
        body.append("</section>")
    if report.errors:
        body.append('<section class="errors"><h2>Notebooks that could not be read</h2><ul>')
        body.extend(f"<li>{esc(e.path)}: {esc(e.message)}</li>" for e in report.errors)
        body.append("</ul></section>")
    rules = all_rules()
    used = sorted({f.rule for f in report.findings})
    if used:
        body.append('<section class="rules"><h2>Rules</h2>')
        for code in used:
            r = rules.get(code)
            if r is None:
                continue
            body.append(f'<details id="rule-{esc(code)}"><summary>{esc(code)} {esc(r.name)} '
                        f'<span class="loc">{esc(r.category)} · {esc(r.severity.label)}</span></summary>'
                        f"{doc_html(r.doc())}</details>")
        body.append("</section>")
    body.append(f'<footer><p class="summary">Generated by nbguard {esc(__version__)}. '
                "Secrets are masked: only a short prefix of each is shown.</p></footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>nbguard report</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + f"\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
