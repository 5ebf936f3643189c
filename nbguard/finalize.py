"""From a run's raw findings to what a person sees: suppressed (:mod:`nbguard.suppress`),
filtered by severity and per-path ignores, de-duplicated, **masked**, clipped, located in the raw
file, fingerprinted (:func:`content_hash`, which baselines use) and sorted."""

from __future__ import annotations

import bisect
import hashlib

from .config import Config
from .context import RawFinding
from .mask import MAX_SCANNED_LINE, mask_line, mask_location, mask_text, secret_spans
from .model import Finding
from .notebook import Notebook
from .selectors import matches
from .suppress import is_suppressed, suppressions

SNIPPET_MAX = 240


_TO_END = 1 << 30  # an end column past any line: mask_line clips it


def finalize(nb: Notebook, raw: list[RawFinding], config: Config) -> list[Finding]:
    sup = suppressions(nb)
    path_ignores = config.ignores_for_path(nb.path)
    kept = [f for f in raw
            if f.severity >= config.min_severity
            and not any(matches(f.rule, x) for x in path_ignores)
            and not is_suppressed(f, sup)]
    # Sensitive spans are masked wherever their line is shown, by any finding.
    sensitive: dict[tuple, list[tuple[int, int]]] = {}
    for f in raw:
        if f.sensitive:  # a value over several lines ("ab" "cd" across a break, a backslash): each line's part
            for ln in range(f.line, max(f.line, f.end_line) + 1):
                span = (f.column if ln == f.line else 1, f.end_column if ln == f.end_line else _TO_END)
                sensitive.setdefault((f.cell, f.where, f.output, id(f.text), ln), []).append(span)
    kept = _dedupe(kept)
    # every raw-file line the findings need, located in one pass over the file
    nb.prepare_raw_lines([(f.text.source.json_path, f.text.source.is_list, f.line)
                          for f in kept if f.text.source is not None])
    out = []
    huge_spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for f in kept:
        cell = nb.cells[f.cell] if 0 <= f.cell < len(nb.cells) else None
        lines = f.text.lines
        line_text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        spans = sensitive.get((f.cell, f.where, f.output, id(f.text), f.line), [])
        if len(line_text) <= MAX_SCANNED_LINE:
            spans = spans + secret_spans(line_text)  # line-wide, whatever rules are selected
            snippet = _clip(mask_line(line_text, spans) if spans else line_text, f.column)
        else:  # the net over the whole line in overlapping pieces (once per line), so a name or a token
            # cut at the edge of the shown window is still seen whole; then only the window is masked
            key = (id(f.text), f.line)
            if key not in huge_spans:
                huge_spans[key] = _pieces_spans(line_text)
            snippet = _huge_snippet(line_text, f.column, spans, huge_spans[key])
        src = f.text.source
        raw_line = nb.raw_line(src.json_path, src.is_list, f.line) if src is not None else None
        out.append(Finding(
            path=mask_location(nb.path), rule=f.rule.code, name=f.rule.name, category=f.rule.category,
            severity=f.severity, cell=f.cell, cell_id=cell.id if cell else None,
            cell_type=cell.cell_type if cell else None, where=f.where, output=f.output,
            line=f.line, column=f.column, end_line=f.end_line, end_column=f.end_column,
            message=mask_text(f.message), snippet=snippet, fix=f.rule.fix, cwe=f.rule.cwe, raw_line=raw_line,
            content_hash=content_hash(f.rule.code, f.where, span_text(lines, f.line, f.column, f.end_line,
                                                                      f.end_column) or line_text)))
    out.sort(key=lambda x: x.sort_key)
    return out


def span_text(lines: list[str], line: int, col: int, end_line: int, end_col: int) -> str:
    """The text of a 1-based, end-exclusive span over ``lines``."""
    if not 0 < line <= len(lines):
        return ""
    if end_line <= line:
        return lines[line - 1][col - 1:max(col - 1, end_col - 1)]
    parts = [lines[line - 1][col - 1:]]
    parts.extend(lines[line:min(end_line - 1, len(lines))])
    if end_line <= len(lines):
        parts.append(lines[end_line - 1][:end_col - 1])
    return "\n".join(parts)


def content_hash(rule: str, where: str, text: str) -> str:
    """A fingerprint of what a finding is about, not where it is: the rule, the kind of place
    (source/output/metadata) and the offending text with whitespace normalised. It survives
    moving cells, inserting cells, edits elsewhere and re-running; a changed secret changes it."""
    norm = " ".join(text.split())
    return hashlib.sha256(f"{rule}\0{where}\0{norm}".encode("utf-8", "surrogatepass")).hexdigest()


def _dedupe(findings: list[RawFinding]) -> list[RawFinding]:
    """One finding per place and category: the most severe, then the lowest code, wins."""
    order = sorted(findings, key=lambda f: (-f.severity, f.rule.code))
    result = []
    # per place, the kept spans sorted by (start, end); they never overlap each other, so
    # their ends are sorted too and only the neighbours of a new span can overlap it
    taken: dict[tuple, list[tuple[int, int, int, int]]] = {}
    for f in order:
        key = (f.cell, f.where, f.output, id(f.text), f.rule.category)
        span = (f.line, f.column, f.end_line, f.end_column)
        spans = taken.setdefault(key, [])
        pos = bisect.bisect_left(spans, span)
        if any(_overlap(span, s) for s in spans[max(0, pos - 2):pos + 2]):
            continue
        spans.insert(pos, span)
        result.append(f)
    return result


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (a[0], a[1]) < (b[2], b[3]) and (b[0], b[1]) < (a[2], a[3])


_PIECE, _OVERLAP = 8_000, 2_000  # a huge line is read by the line-wide net in pieces this long, overlapping


def _pieces_spans(line: str) -> list[tuple[int, int]]:
    """:func:`secret_spans` of a line too long to scan whole, read in overlapping pieces (a credential
    is far shorter than the overlap, so each one lies whole in some piece); sorted."""
    out: list[tuple[int, int]] = []
    for lo in range(0, max(1, len(line) - _OVERLAP), _PIECE - _OVERLAP):
        out += [(a + lo, b + lo) for a, b in secret_spans(line[lo:lo + _PIECE])]
    return sorted(set(out))


def _huge_snippet(line: str, col: int, spans: list[tuple[int, int]], net: list[tuple[int, int]]) -> str:
    """The clipped window of a huge line, masked with the spans that reach into it. A span cut by
    the window's left edge is masked whole in the window (its visible prefix is not there)."""
    start = _clip_start(line, col)
    end = start + SNIPPET_MAX
    window = list(line[start:end])
    # net is sorted by start, and no span of it is longer than a piece
    near = net[bisect.bisect_left(net, (start - _PIECE, 0)):bisect.bisect_right(net, (end + 1, 0))] + spans
    whole = []
    for a, b in near:  # 1-based, end-exclusive columns of the line
        if b - 1 <= start or a - 1 >= end:
            continue
        if a - 1 >= start:
            whole.append((a - start, min(b - start, SNIPPET_MAX + 1)))
        else:
            for i in range(0, min(b - 1, end) - start):
                if not window[i].isspace():
                    window[i] = "*"
    text = mask_line("".join(window), whole) if whole else "".join(window)
    return ("…" if start else "") + text + ("…" if end < len(line) else "")


def _clip_start(line: str, col: int) -> int:
    return max(0, min(col - 1 - SNIPPET_MAX // 3, len(line) - SNIPPET_MAX))


def _clip(line: str, col: int) -> str:
    if len(line) <= SNIPPET_MAX:
        return line
    start = _clip_start(line, col)
    clipped = line[start:start + SNIPPET_MAX]
    return ("…" if start else "") + clipped + ("…" if start + SNIPPET_MAX < len(line) else "")
