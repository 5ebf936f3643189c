"""``nbguard fix``: safe, surgical autofixes.

A fix is applied only where its result is certain to mean what the author meant,
minus the risk:

* NBG101/NBG102: a credential written as a whole string literal in a code cell
  becomes ``os.environ["NAME"]`` (NAME from the context: an env-like variable
  name, the SDK it is passed to, the token's format); ``import os`` is added at the
  top of the cell when no earlier code imports ``os``;
* NBG502: ``weights_only=True`` is added to a ``torch.load(...)`` call that does
  not set ``weights_only`` at all (an explicit ``False`` is the author's choice);
* NBG504: ``yaml.load(x)`` / ``yaml.load(x, Loader=...)`` becomes ``yaml.safe_load(x)``;
* ``--clear-leaking-outputs``: outputs that hold a secret or personal data are
  removed (the cell keeps its ``execution_count``).

Each fix lives beside its rule (``Rule.autofix(finding, site)``, given a
:class:`nbguard.fixsite.FixSite`); this module lints, asks each finding's rule, applies the
edits (adding ``import os`` where a secret became ``os.environ[...]``) and rewrites the JSON.

Nothing else in the file changes. Notebooks are not re-serialised: only the JSON
values that change (a cell's ``source``, a cell's ``outputs``) are rewritten in the
raw text, in the layout the file already uses, so every other byte stays as it
was. The result is checked before it is written (it parses to exactly the
intended notebook, it still validates as nbformat if it did before), and written
atomically: a failure leaves the original file untouched.
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .engine import NotebookRun, RuleSet, lint
from .fixsite import CellText, Edit, FixSite
from .ipysyntax import analyse_cell
from .mask import mask_line, secret_spans
from .model import SENSITIVE_CATEGORIES, Finding
from .notebook import Cell, Notebook, NotebookError, parse_notebook
from .rules.base import all_rules


def fixers() -> dict[str, type]:
    """The rules that have an autofix (``Rule.autofix``), by code: the fixes live beside their
    rules, and this module applies them (and rewrites the notebook's JSON)."""
    return {code: r for code, r in all_rules().items() if r.fixable()}

_BOM = b"\xef\xbb\xbf"


class FixError(Exception):
    """A notebook that could not be fixed; the message is one line, without the path, and masked:
    a parser's reason may quote the file (``'nbformat' is '<value>'``)."""

    def __init__(self, message: str) -> None:
        from .mask import mask_text

        super().__init__(mask_text(message))


# ---------------------------------------------------------------------------
# Results


@dataclass
class Change:
    """One applied fix."""

    finding: Finding
    description: str  # e.g. 'os.environ["HF_TOKEN"]'


@dataclass
class FixResult:
    path: str
    changes: list[Change] = field(default_factory=list)
    cleared: list[tuple[int, int, list[Finding]]] = field(default_factory=list)  # (cell, output, why)
    sources: dict[int, tuple[str, str]] = field(default_factory=dict)  # cell -> (old, new)
    remaining: list[Finding] = field(default_factory=list)
    data: bytes | None = None  # the fixed file, None when nothing changed
    # sensitive spans (cell -> [(line, col, end_line, end_col)]) in the old and new sources, for --diff
    old_sensitive: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    new_sensitive: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.data is not None


# ---------------------------------------------------------------------------
# Entry point


def fix_file(path: str, config: Config, *, clear_outputs: bool = False, ruleset: RuleSet | None = None,
             mask_config: Config | None = None) -> FixResult:
    """Compute the fixes for one notebook. Nothing is written; ``FixResult.data`` holds the new file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(config.max_file_size + 1)
    except OSError as e:
        raise FixError(f"cannot read file ({e.strerror or e})") from None
    if len(data) > config.max_file_size:
        raise FixError("file is over the max-file-size limit")
    try:
        nb = parse_notebook(data, path)
    except NotebookError as e:
        raise FixError(str(e)) from None
    bom = _BOM if data.startswith(_BOM) else b""
    ruleset = ruleset or RuleSet.for_config(config)
    findings = lint(nb, config, ruleset)
    result = FixResult(path)
    plan = _Plan(nb)
    fixable = fixers()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        mine = [f for f in findings if f.cell == cell.index and f.where == "source" and f.rule in fixable]
        if mine:
            _fix_cell(nb, cell, mine, plan, result, fixable)
    if clear_outputs:
        leaks: dict[tuple[int, int], list[Finding]] = {}
        for f in findings:
            if f.where == "output" and f.category in SENSITIVE_CATEGORIES and f.output is not None:
                leaks.setdefault((f.cell, f.output), []).append(f)
        for (ci, oi), why in sorted(leaks.items()):
            plan.clear_output(nb.cells[ci], oi)
            result.cleared.append((ci, oi, why))
    if plan.empty():
        result.remaining = findings
        return result
    new_text = plan.apply()
    new_nb = parse_notebook(new_text, path)
    result.remaining = lint(new_nb, config, ruleset)
    result.data = bom + new_text.encode("utf-8")
    for ci, new_source in plan.sources.items():
        result.sources[ci] = (nb.cells[ci].source, new_source)
    if mask_config is not None:  # spans to mask when the change is shown (--diff)
        mask_rules = RuleSet.for_config(mask_config)
        result.old_sensitive = _sensitive_spans(nb, mask_config, mask_rules)
        result.new_sensitive = _sensitive_spans(new_nb, mask_config, mask_rules)
    return result


def _sensitive_spans(nb: Notebook, config: Config, ruleset: RuleSet) -> dict[int, list[tuple[int, int, int, int]]]:
    """The secrets' spans in each cell's source, suppressed ones included: a ``# nbguard: ignore``
    stops a report, not the masking of the line wherever it is shown (as in finalize)."""
    run = NotebookRun(nb, config, ruleset)
    try:
        raw = run.run()
    finally:
        run.close()
    out: dict[int, list[tuple[int, int, int, int]]] = {}
    for f in raw:
        if f.where == "source" and f.sensitive:
            out.setdefault(f.cell, []).append((f.line, f.column, f.end_line, f.end_column))
    return out


# ---------------------------------------------------------------------------
# Fixing one cell


def _fix_cell(nb: Notebook, cell: Cell, findings: list[Finding], plan: "_Plan", result: FixResult,
              fixable: dict[str, type]) -> None:
    code = analyse_cell(cell.source, nb.language)
    if code.kind != "python" or code.tree is None:
        return
    edits = _cell_edits(cell, code, findings, fixable)
    # one edit per place; overlapping edits (two findings on one literal) keep the first
    edits.sort(key=lambda e: (e.start, e.end))
    kept: list[Edit] = []
    for e in edits:
        if kept and e.start < kept[-1].end:
            continue
        env = _ENV_READ.match(e.text)
        if env is not None:
            literal = cell.source[e.start:e.end]
            if plan.env_literals.setdefault(env.group(1), literal) != literal:
                continue  # another credential already reads this variable: no safe name, left as found
        kept.append(e)
    if not kept:
        return
    new = cell.source
    for e in reversed(kept):
        new = new[:e.start] + e.text + new[e.end:]
    if any(e.text.startswith("os.environ[") for e in kept):
        first_line = min(cell.source.count("\n", 0, e.start) + 1 for e in kept if e.text.startswith("os.environ["))
        if not plan.os_imported and not _os_imported_before(nb, cell, code.tree, first_line):
            at = _import_position(cell.source, code.tree)
            new = new[:at] + "import os\n" + new[at:]
            plan.os_imported = True  # later cells can rely on it
    plan.set_source(cell, new)
    result.changes.extend(Change(e.finding, e.description) for e in kept)


_ENV_READ = re.compile(r'^os\.environ\["([A-Z_][A-Z0-9_]*)"\]$')


def _cell_edits(cell: Cell, code, findings: list[Finding], fixable: dict[str, type]) -> list[Edit]:
    """Each fixable finding's rewrite in one parsed code cell, asked of its rule (unordered; may overlap)."""
    text = CellText(cell.source, code.python_source)
    parents: dict[ast.AST, ast.AST] = {}
    calls: list[ast.Call] = []
    constants: list[ast.Constant] = []
    for node in ast.walk(code.tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            constants.append(node)
    edits: list[Edit] = []
    for f in findings:
        start = text.offset(f.line, f.column)
        end = text.offset(f.end_line, f.end_column)
        if start is None or end is None:
            continue
        e = fixable[f.rule].autofix(f, FixSite(text, start, end, calls, constants, parents))
        if e is not None and not _carries_secret(e):
            edits.append(e)
    return edits


def _carries_secret(e: Edit) -> bool:
    """Does the replacement text hold a credential (a URL password inside a rewritten call)? Such
    an edit is not offered: an editor's quick fix would send the secret whole over the wire."""
    return any(secret_spans(ln) for ln in e.text.split("\n"))


def finding_fix(nb: Notebook, cell: Cell, finding: Finding) -> tuple[str, list[tuple[int, int, str]]] | None:
    """The safe fix of one finding in a code cell, on its own (an editor's quick fix): its
    description and the ``(start, end, new text)`` edits of the cell source (character offsets,
    in order, not overlapping), or None when ``nbguard fix`` would leave it alone. The rewrite
    is the one ``nbguard fix`` makes, with ``import os`` added when no earlier code imports it."""
    fixable = fixers()
    if finding.rule not in fixable or finding.where != "source" or cell.cell_type != "code":
        return None
    code = analyse_cell(cell.source, nb.language)
    if code.kind != "python" or code.tree is None:
        return None
    edits = _cell_edits(cell, code, [finding], fixable)
    if not edits:
        return None
    e = edits[0]
    out = [(e.start, e.end, e.text)]
    if e.text.startswith("os.environ["):
        line = cell.source.count("\n", 0, e.start) + 1
        if not _os_imported_before(nb, cell, code.tree, line):
            at = _import_position(cell.source, code.tree)
            out.append((at, at, "import os\n"))
    return e.description, sorted(out)


def _os_imported_before(nb: Notebook, cell: Cell, tree: ast.Module, line: int) -> bool:
    """Does code that runs before ``line`` of ``cell`` (earlier cells, earlier lines) import ``os``?"""
    def imports_os(stmts: list[ast.stmt], before: int | None = None) -> bool:
        for stmt in stmts:
            if before is not None and (stmt.end_lineno or 0) >= before:
                break
            if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == "os" and a.asname in (None, "os")
                                                    for a in stmt.names):
                return True
            if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):  # module-level blocks
                blocks = [getattr(stmt, k, []) for k in ("body", "orelse", "finalbody")]
                blocks += [h.body for h in getattr(stmt, "handlers", [])]
                if any(imports_os(b) for b in blocks):
                    return True
        return False

    for c in nb.cells[:cell.index]:
        if c.cell_type != "code" or "os" not in c.source:
            continue
        code = analyse_cell(c.source, nb.language)
        if code.tree is not None and imports_os(code.tree.body):
            return True
    return imports_os(tree.body, before=line)


def _import_position(source: str, tree: ast.Module) -> int:
    """Where ``import os`` goes: the top of the cell, after a ``%%time``-style cell magic line,
    a module docstring and ``from __future__`` imports."""
    lines = source.split("\n")
    after = 0
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        after = first + 1
    body = tree.body
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        after = max(after, body[0].end_lineno)
        i = 1
    while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":
        after = max(after, body[i].end_lineno)
        i += 1
    if after == 0:
        return 0
    offset = sum(len(ln) + 1 for ln in lines[:after])
    if offset > len(source):  # the cell ends on that line without a newline
        return len(source)
    return offset


# ---------------------------------------------------------------------------
# Surgical JSON edits

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)


def json_spans(raw: str) -> dict[tuple, tuple[int, int]]:
    """Character span of every JSON value in ``raw``, by path (("cells", 3, "source") ...)."""
    spans: dict[tuple, tuple[int, int]] = {}
    stack: list[list[Any]] = []  # [path, is_object, key_or_index, expecting_key, start]
    for m in _JSON_TOKEN.finditer(raw):
        tok = m.group()
        c = tok[0]
        if c == ",":
            if stack:
                top = stack[-1]
                if top[1]:
                    top[3] = True
                else:
                    top[2] += 1
            continue
        if c == ":":
            continue
        if c in "}]":
            if stack:
                top = stack.pop()
                spans[top[0]] = (top[4], m.end())
            continue
        if stack and stack[-1][1] and stack[-1][3]:
            stack[-1][2] = json.loads(tok) if c == '"' else tok
            stack[-1][3] = False
            continue
        vpath = stack[-1][0] + (stack[-1][2],) if stack else ()
        if c in "{[":
            stack.append([vpath, c == "{", None if c == "{" else 0, c == "{", m.start()])
        else:
            spans[vpath] = (m.start(), m.end())
    return spans


def _split_source(text: str) -> list[str]:
    """nbformat's layout: one list element per line, each keeping its newline."""
    return text.splitlines(keepends=True)


class _Plan:
    """Changes to one notebook's JSON, applied to the raw text in one go."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self.raw: str = nb.raw or ""
        self.sources: dict[int, str] = {}
        self.cleared: dict[int, set[int]] = {}
        self.os_imported = False  # a fix added `import os` to an earlier cell
        # environment variable -> the literal it replaced: two different credentials must not
        # be rewritten to read the same variable (ghp_... and github_pat_... both "GITHUB_TOKEN")
        self.env_literals: dict[str, str] = {}

    def empty(self) -> bool:
        return not self.sources and not self.cleared

    def set_source(self, cell: Cell, new: str) -> None:
        self.sources[cell.index] = new

    def clear_output(self, cell: Cell, output: int) -> None:
        self.cleared.setdefault(cell.index, set()).add(output)

    def apply(self) -> str:
        raw = self.raw
        spans = json_spans(raw)
        expected = json.loads(raw)
        ensure_ascii = raw.isascii()
        replacements: list[tuple[int, int, str]] = []
        for ci, new in self.sources.items():
            cell = self.nb.cells[ci]
            path = cell.json_path
            if path not in spans:
                raise FixError(f"cannot locate the source of cell {ci + 1} in the file")
            start, end = spans[path]
            old_value = _get(expected, path)
            if isinstance(old_value, list):
                elements = [raw[slice(*spans[path + (k,)])] for k in range(len(old_value))]
                new_lines = _split_source(new)
                text = _render_list(raw, start, end, elements, [spans[path + (k,)] for k in range(len(old_value))],
                                    old_value, new_lines, ensure_ascii)
                _set(expected, path, new_lines)
            else:
                text = _dumps(new, ensure_ascii)
                _set(expected, path, new)
            replacements.append((start, end, text))
        for ci, outs in self.cleared.items():
            path = self.nb.cells[ci].json_path[:-1] + ("outputs",)
            old_value = _get(expected, path)
            if path not in spans or not isinstance(old_value, list):
                raise FixError(f"cannot locate the outputs of cell {ci + 1} in the file")
            start, end = spans[path]
            keep = [k for k in range(len(old_value)) if k not in outs]
            el_spans = [spans[path + (k,)] for k in range(len(old_value))]
            if not keep:
                text = "[]"
            else:
                elements = [raw[slice(*s)] for s in el_spans]
                text = _join_list(raw, start, end, el_spans, [elements[k] for k in keep])
            _set(expected, path, [old_value[k] for k in keep])
            replacements.append((start, end, text))
        replacements.sort()
        out, pos = [], 0
        for start, end, text in replacements:
            if start < pos:
                raise FixError("overlapping edits")
            out.append(raw[pos:start])
            out.append(text)
            pos = end
        out.append(raw[pos:])
        new_raw = "".join(out)
        # The new text must be exactly the intended notebook, and still valid if it was.
        if json.loads(new_raw) != expected:
            raise FixError("internal error: the edited file does not match the intended change; nothing written")
        _check_valid(json.loads(raw), expected)
        return new_raw


def _get(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def _set(obj: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def _join_list(raw: str, start: int, end: int, el_spans: list[tuple[int, int]], elements: list[str]) -> str:
    """A JSON array holding ``elements`` (raw JSON texts), laid out as the array at raw[start:end] was."""
    if el_spans:
        prefix = raw[start:el_spans[0][0]]
        suffix = raw[el_spans[-1][1]:end]
        sep = raw[el_spans[0][1]:el_spans[1][0]] if len(el_spans) > 1 else "," + prefix[1:]
    else:  # an empty array: guess nbformat's layout from its indentation
        line_start = raw.rfind("\n", 0, start) + 1
        indent = len(raw[line_start:start]) - len(raw[line_start:start].lstrip())
        prefix, suffix = "[\n" + " " * (indent + 1), "\n" + " " * indent + "]"
        sep = ",\n" + " " * (indent + 1)
    if not elements:
        return "[]"
    return prefix + sep.join(elements) + suffix


def _render_list(raw: str, start: int, end: int, elements: list[str], el_spans: list[tuple[int, int]],
                 old_lines: list[str], new_lines: list[str], ensure_ascii: bool) -> str:
    """The new source array: unchanged lines keep their exact JSON text."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(elements[i1:i2])
        else:
            out.extend(_dumps(s, ensure_ascii) for s in new_lines[j1:j2])
    return _join_list(raw, start, end, el_spans, out)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _dumps(s: str, ensure_ascii: bool) -> str:
    """A JSON string in the file's style; lone surrogates (legal in JSON escapes, not in UTF-8)
    stay escaped."""
    return json.dumps(s, ensure_ascii=ensure_ascii or bool(_SURROGATE.search(s)))


def _check_valid(before: dict, after: dict) -> None:
    try:
        import nbformat
        from nbformat import ValidationError
    except ImportError:  # pragma: no cover - nbformat is a dependency
        return
    if not isinstance(after.get("nbformat"), int) or after["nbformat"] < 4:
        return  # old notebooks are read upgraded; their own schema is not ours to enforce

    def valid(nbdict: dict) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                nbformat.validate(copy.deepcopy(nbdict))
            except ValidationError:
                return False
            except Exception:
                return False
        return True

    if not valid(after) and valid(before):
        raise FixError("the fixed notebook would not be valid nbformat; nothing written")


# ---------------------------------------------------------------------------
# Showing the change (--diff), secrets masked


def _mask_text(source: str, spans: list[tuple[int, int, int, int]], extra=()) -> list[str]:
    from .rules._tokens import scan

    lines = source.split("\n")
    per_line: dict[int, list[tuple[int, int]]] = {}
    for line, col, end_line, end_col in spans:
        for ln in range(line, end_line + 1):
            if not 0 < ln <= len(lines):
                continue
            a = col if ln == line else 1
            b = end_col if ln == end_line else len(lines[ln - 1]) + 1
            per_line.setdefault(ln, []).append((a, b))
    out = []
    for i, text in enumerate(lines, 1):
        marks = list(per_line.get(i, []))
        marks += secret_spans(text)  # every credential-like token of the line (comments too)
        if extra:  # and the text of the plugins' extra patterns
            marks += [(m.start + 1, m.end + 1) for m in scan(text, extra)]
        out.append(mask_line(text, marks) if marks else text)
    return out


def render_diff(result: FixResult, extra_patterns=()) -> str:
    """A unified diff of each changed cell's source, with every secret masked, plus cleared outputs."""
    out: list[str] = []
    for ci in sorted(result.sources):
        old, new = result.sources[ci]
        a = _mask_text(old, result.old_sensitive.get(ci, []), extra_patterns)
        b = _mask_text(new, result.new_sensitive.get(ci, []), extra_patterns)
        label = f"{result.path.lstrip('/')} (cell {ci + 1})"
        out.extend(difflib.unified_diff(a, b, f"a/{label}", f"b/{label}", lineterm=""))
    for ci, oi, why in result.cleared:
        rules = ", ".join(sorted({f.rule for f in why}))
        label = f"{result.path.lstrip('/')} (cell {ci + 1}, output {oi + 1})"
        out.append(f"--- a/{label}")
        out.append(f"+++ b/{label}")
        out.append(f"@@ output removed: it holds {rules} @@")
    return "\n".join(out) + ("\n" if out else "")


def summarize(result: FixResult) -> str:
    counts: dict[str, int] = {}
    for c in result.changes:
        counts[c.finding.rule] = counts.get(c.finding.rule, 0) + 1
    parts = [f"{n} {rule}" for rule, n in sorted(counts.items())]
    if result.cleared:
        parts.append(f"{len(result.cleared)} leaking output{'s' if len(result.cleared) != 1 else ''} cleared")
    return f"{result.path}: fixed " + ", ".join(parts)


__all__ = ["FixError", "FixResult", "finding_fix", "fix_file", "fixers", "json_spans", "render_diff", "summarize"]
