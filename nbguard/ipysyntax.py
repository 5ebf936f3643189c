"""IPython syntax: turn a code cell into something ``ast`` parses, without losing lines.

A code cell is one of:

* a shell cell (``%%bash``, ``%%sh``, ``%%script bash``...): every line is shell;
* a foreign cell (``%%html``, ``%%javascript``, ``%%writefile notes.txt``...): text only;
* Python, possibly with IPython syntax (``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``)
  and possibly under a Python cell magic (``%%time``, ``%%capture``...).

For Python, IPython's own input transformer rewrites the IPython syntax; we keep
its output only when it preserves the line count (so positions stay exact), and
blank the prefix of ``%time stmt``-style magics so the statement is linted at its
real column. Every magic and shell line is also recorded, with its exact position
in the cell, for the shell and magic rules.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

SHELL_CELL_MAGICS = frozenset({"bash", "sh", "system", "sx", "script"})
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "mprun",
                                "debug", "pypy", "python", "python3", "ipython", "tensorflow_version",
                                "nbguard"})
# Line magics whose argument is a Python statement, linted as Python.
PYTHON_LINE_MAGICS = ("time", "timeit", "prun", "capture", "memit", "debug")
# Line magics that run a shell command with the magic name as the program.
SHELL_LINE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
SHELL_RUNNER_MAGICS = frozenset({"sx", "system"})


@dataclass(frozen=True)
class ShellCommand:
    """One shell command line, as the shell rules see it."""

    text: str  # e.g. "pip install torch"
    line: int  # 1-based line in the cell source
    col: int  # 1-based column of text[0] in that line
    origin: str  # "!", "%pip", "%%bash", "os.system", ...
    end_line: int = 0  # last line, for continued commands
    # (offset in text, line, col) where each physical line of a backslash-continued
    # command starts; empty when text is not a copy of the cell's lines (os.system args).
    segments: tuple[tuple[int, int, int], ...] = ()

    def span(self, start: int, end: int) -> tuple[int, int, int, int]:
        """(line, col, end_line, end_col) of text[start:end] in the cell."""
        if len(self.segments) > 1:
            return (*self._pos(start), *self._pos(max(start, end)))
        if self.end_line and self.end_line != self.line:
            return self.line, self.col, self.end_line, self.col
        return self.line, self.col + start, self.line, self.col + end

    def _pos(self, offset: int) -> tuple[int, int]:
        seg = self.segments[0]
        for s in self.segments:
            if s[0] > offset:
                break
            seg = s
        return seg[1], seg[2] + offset - seg[0]


@dataclass(frozen=True)
class LineMagic:
    name: str  # "env", "load", "run", ...
    args: str
    line: int
    col: int  # 1-based column of args[0]


@dataclass
class CellCode:
    kind: str  # "python" | "shell" | "text"
    cell_magic: str | None = None
    tree: ast.Module | None = None
    python_source: str = ""  # what was parsed (line-aligned with the cell source)
    shell: list[ShellCommand] = field(default_factory=list)
    magics: list[LineMagic] = field(default_factory=list)
    syntax_error: str | None = None
    file_kind: str | None = None  # "dockerfile": a %%writefile Dockerfile, its RUN lines in ``shell``


_CELL_MAGIC = re.compile(r"%%(\w+)[ \t]*(.*)")
_LINE_ESCAPE = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<assign>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*))?"
    r"(?P<esc>!!?|%(?!%))(?P<rest>.*)$")
# IPython's automagic: "pip install x" without the % runs %pip (a NAME NAME line is never valid Python)
_AUTOMAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<rest>(?:pip|conda|mamba|micromamba)[ \t]+[A-Za-z-].*)$")
_TIMED_PREFIX = re.compile(r"^([ \t]*)(%(?:" + "|".join(PYTHON_LINE_MAGICS) + r")\b(?:[ \t]+-[^\s]+(?:[ \t]+\d+)?)*[ \t]+)")

_transformer = None


def _ipython_transform(source: str) -> str | None:
    global _transformer
    if _transformer is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from IPython.core.inputtransformer2 import TransformerManager
        _transformer = TransformerManager()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _transformer.transform_cell(source)
    except Exception:  # IPython raises on some broken input; fall back to our masking
        return None


class _AnalysisLRU:
    """Recently analysed cells by (source, language), bounded by total source size.

    For the editor path: after one cell changes, relinting the notebook re-parses only that
    cell. The CellCode (and its syntax tree) is shared, so nothing may modify it; the engine
    and the rules only read it."""

    def __init__(self, max_chars: int = 1_000_000, max_entries: int = 4096) -> None:  # ~40 MB of trees
        import threading
        from collections import OrderedDict

        self.max_chars = max_chars
        self.max_entries = max_entries
        self._d: OrderedDict[tuple[str, str], CellCode] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def __call__(self, source: str, language: str = "python") -> CellCode:
        key = (source, language)
        with self._lock:
            code = self._d.get(key)
            if code is not None:
                self._d.move_to_end(key)
                return code
        code = analyse_cell(source, language)
        if len(source) <= self.max_chars // 4:
            with self._lock:
                if key not in self._d:
                    self._d[key] = code
                    self._chars += len(source)
                    while self._chars > self.max_chars or len(self._d) > self.max_entries:
                        (old, _lang), _ = self._d.popitem(last=False)
                        self._chars -= len(old)
        return code

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self._chars = 0


analyse_cell_cached = _AnalysisLRU()


def analyse_cell(source: str, language: str = "python") -> CellCode:
    lines = source.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first < len(lines):
        m = _CELL_MAGIC.match(lines[first].lstrip())
        if m and lines[first].lstrip().startswith("%%"):
            return _cell_magic(m.group(1), m.group(2), lines, first)
    if language != "python":
        return CellCode(kind="text", shell=[], magics=[])
    return _python_cell(lines, 0)


def _cell_magic(name: str, args: str, lines: list[str], magic_line: int) -> CellCode:
    body_start = magic_line + 1
    if name in SHELL_CELL_MAGICS:
        interp = args.split()[0] if args.split() else ""
        if name != "script" or interp.split("/")[-1] in ("bash", "sh", "zsh", "dash"):
            code = CellCode(kind="shell", cell_magic=name)
            code.shell = list(shell_lines(lines, body_start, f"%%{name}"))
            return code
        return CellCode(kind="text", cell_magic=name)
    if name == "writefile":
        target = args.split()[-1] if args.split() else ""
        if target.endswith(".py"):
            code = _python_cell(lines, body_start)
            code.cell_magic = name
            return code
        if target.endswith((".sh", ".bash")):
            code = CellCode(kind="shell", cell_magic=name)
            code.shell = list(shell_lines(lines, body_start, "%%writefile"))
            return code
        if _DOCKERFILE.search(target):
            code = CellCode(kind="shell", cell_magic=name, file_kind="dockerfile")
            code.shell = list(shell_lines(dockerfile_run_lines(lines, body_start), body_start, "RUN"))
            return code
        return CellCode(kind="text", cell_magic=name)
    if name in PYTHON_CELL_MAGICS:
        code = _python_cell(lines, body_start)
        code.cell_magic = name
        return code
    return CellCode(kind="text", cell_magic=name)


_DOCKERFILE = re.compile(r"(?:^|[/\\])(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?$|\.(?:dockerfile|containerfile)$", re.I)
_RUN = re.compile(r"^([ \t]*)(RUN)((?:[ \t]+--[\w-]+=\S*)*)(?=[ \t])", re.I)


def dockerfile_run_lines(lines: list[str], start: int) -> list[str]:
    """A Dockerfile's lines with only its ``RUN`` commands left, column for column: ``RUN`` and
    its ``--mount=...`` flags become blanks, other instructions and comments empty lines, so
    :func:`shell_lines` finds each command (continuations joined) where it is in the file.
    The exec form (``RUN ["pip", "install", "x"]``) is left out."""
    out = list(lines[:start])
    in_run = continued = False
    for line in lines[start:]:
        stripped = line.strip()
        if continued:
            out.append(line if in_run else "")
        elif stripped.startswith("#"):
            out.append("")
            stripped = ""
        elif (m := _RUN.match(line)) and not line[m.end():].lstrip().startswith("["):
            in_run = True
            out.append(m.group(1) + " " * (len(m.group(2)) + len(m.group(3))) + line[m.end():])
        else:
            in_run = False
            out.append("")
        continued = stripped.endswith("\\")
    return out


def shell_lines(lines: list[str], start: int, origin: str):
    """Shell commands in lines[start:], joining backslash continuations."""
    i = start
    while i < len(lines):
        raw = lines[i]
        stripped = raw.lstrip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        col = len(raw) - len(stripped) + 1
        text, end, segments = _join_continued(lines, i, col, stripped.rstrip())
        yield ShellCommand(text, i + 1, col, origin, end + 1, segments)
        i = end + 1


def _join_continued(lines: list[str], i: int, col: int, text: str) -> tuple[str, int, tuple]:
    """Join the backslash-continued lines after lines[i] (whose command text starts at col)."""
    segments = [(0, i + 1, col)]
    end = i
    while text.endswith("\\") and end + 1 < len(lines):
        end += 1
        nxt = lines[end]
        text = text[:-1] + " "
        segments.append((len(text), end + 1, len(nxt) - len(nxt.lstrip()) + 1))
        text += nxt.strip()
    return text, end, tuple(segments)


def _python_cell(lines: list[str], body_start: int) -> CellCode:
    code = CellCode(kind="python")
    # Lines before the body (a cell magic line) are blanked so line numbers stay exact.
    src_lines = [""] * body_start + lines[body_start:] if body_start else lines
    source = "\n".join(src_lines)
    tree, err = _parse(source)
    escape_lines = [i for i, ln in enumerate(src_lines) if _might_escape(ln)] if _may_hold_escapes(source) else []
    if tree is not None and not escape_lines:
        code.tree, code.python_source = tree, source
        return code
    transformed_lines: list[str] | None = None
    if tree is None:
        # Fast path: mask the escape lines ourselves, line for line. When that does not
        # give valid Python, ask IPython's own transformer (slower, knows every corner).
        masked_lines = _masked(src_lines, escape_lines)
        err2 = None
        for candidate in _candidates(masked_lines, src_lines, source, escape_lines):
            tree, e = _parse(_keep_timed(candidate, src_lines))
            if tree is None:
                tree, e = _parse("\n".join(candidate))
                if tree is not None:
                    code.tree, code.python_source = tree, "\n".join(candidate)
            else:
                code.tree, code.python_source = tree, _keep_timed(candidate, src_lines)
            err2 = err2 or e
            if tree is not None:
                transformed_lines = candidate
                break
        if tree is None:
            transformed_lines = masked_lines
            code.syntax_error = err2 or err
    else:
        code.tree, code.python_source = tree, source
        transformed_lines = src_lines
    # Record magics and shell escapes on the lines IPython would treat as such.
    for i in escape_lines:
        if code.tree is not None and transformed_lines is not None and transformed_lines[i] == src_lines[i]:
            continue  # the line parsed as Python as it was (e.g. inside a string)
        _record_escape(code, src_lines, i)
    return code


IPYTHON_MAX_CHARS = 50_000  # IPython's tokenizer is slow on huge cells: our own masking only


def _masked(src_lines: list[str], escape_lines: list[int]) -> list[str]:
    escape_set = set(escape_lines)
    masked = [_mask_line(ln) if i in escape_set else ln for i, ln in enumerate(src_lines)]
    for i in escape_lines:  # blank the backslash-continued lines of `!cmd \` and `%pip ... \`
        j = i
        while src_lines[j].rstrip().endswith("\\") and j + 1 < len(src_lines):
            j += 1
            masked[j] = ""
    return masked


def _candidates(masked: list[str], original: list[str], source: str, escape_lines: list[int]):
    if escape_lines:  # (none: the masked text is the source, which just failed to parse)
        yield masked
        # A line that only looks like an escape because it continues an open bracket or
        # string (`"... %s"` then `% (a, b)` inside parentheses) is Python: IPython sees
        # escapes only where a logical line starts. Mask the others alone before paying for
        # IPython's tokenizer.
        starts = _logical_line_starts(source, len(original))
        at_start = [i for i in escape_lines if starts[i]]
        if len(at_start) != len(escape_lines):
            yield _masked(original, at_start)
    if len(source) > IPYTHON_MAX_CHARS or not _ipython_may_change(source):
        return
    transformed = _ipython_transform(source)
    if transformed is not None:
        t_lines = transformed.split("\n")
        if t_lines and t_lines[-1] == "" and not source.endswith("\n"):
            t_lines.pop()
        if len(t_lines) == len(original):
            yield t_lines


# Tokens that matter to where a logical line starts: comments, string openers, brackets,
# backslash continuations and newlines.
_LEX = re.compile(r"""#[^\n]*|\"\"\"|'''|["'()\[\]{}]|\\\n|\n""")
# The rest of a string after its opening quote (a one-line string also ends at a newline:
# Python would report it unterminated, and IPython's tokenizer resumes there too).
_STRING_END = {
    '"""': re.compile(r'(?:[^\\]|\\.)*?"""', re.S),
    "'''": re.compile(r"(?:[^\\]|\\.)*?'''", re.S),
    '"': re.compile(r'(?:[^\\\n]|\\.)*?(?:"|(?=\n)|$)', re.S),
    "'": re.compile(r"(?:[^\\\n]|\\.)*?(?:'|(?=\n)|$)", re.S),
}


def _logical_line_starts(source: str, n_lines: int) -> list[bool]:
    """For each line of ``source``: does a logical line start there, i.e. is it outside
    brackets, strings and backslash continuations? A light lexer, enough to tell where
    IPython looks for escapes (only at the start of a logical line)."""
    starts = [True] * n_lines
    line, depth, pos = 0, 0, 0
    search = _LEX.search
    while True:
        m = search(source, pos)
        if m is None:
            return starts
        tok = m.group()
        pos = m.end()
        if tok == "\n" or tok == "\\\n":
            line += 1
            if line < n_lines:
                starts[line] = depth == 0 and tok == "\n"
        elif tok in _STRING_END:
            end = _STRING_END[tok].match(source, pos)
            end_pos = len(source) if end is None else end.end()  # None: unterminated """
            for _ in range(source.count("\n", pos, end_pos)):
                line += 1
                if line < n_lines:
                    starts[line] = False
            pos = end_pos
        elif tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth = max(0, depth - 1)
        # a comment: nothing to do


_IPY_ESCAPE_START = re.compile(r"^\s*[!?%,;/]", re.M)  # IPython's ESCAPE_SINGLES at a line start
_IPY_ASSIGN_ESCAPE = re.compile(r"=\s*[!%]")  # x = !cmd, x = %magic


def _ipython_may_change(source: str) -> bool:
    """False when IPython's TransformerManager would give ``source`` back unchanged, so a cell
    that does not parse is not worth its tokenizer (about 1 s over the corpus, in 150 of 200
    broken cells, mostly Python 2). A superset of what its transforms look for: a common
    indent (leading_indent), prompts (classic_prompt, ipython_prompt), an escape character
    starting a line (EscapedCommand, cell_magic), ``= !``/``= %`` (SystemAssign, MagicAssign)
    and ``?`` (HelpEnd)."""
    first = next((ln for ln in source.split("\n") if ln.strip()), "")
    return (first[:1] in (" ", "\t") or "?" in source or ">>>" in source or "..." in source
            or "In [" in source or _IPY_ASSIGN_ESCAPE.search(source) is not None
            or _IPY_ESCAPE_START.search(source) is not None)


def _keep_timed(lines: list[str], original: list[str]) -> str:
    """``%time stmt`` keeps its statement, at its real column."""
    out = lines
    for i, ln in enumerate(original):
        if "%" in ln:
            m = _TIMED_PREFIX.match(ln)
            if m:
                if out is lines:
                    out = list(lines)
                # "%time stmt" -> "if 1: stmt", same width, so columns stay exact
                out[i] = m.group(1) + "if 1:" + " " * (len(m.group(2)) - 5) + ln[m.end():]
    return "\n".join(out)


def _may_hold_escapes(source: str) -> bool:
    """False when no line of ``source`` can be an IPython escape (the common cell): each case of
    :func:`_might_escape` needs one of these characters or an automagic's name."""
    return ("%" in source or "!" in source or "?" in source or "pip" in source or "conda" in source
            or "mamba" in source)


def _might_escape(line: str) -> bool:
    s = line.lstrip()
    if not s:
        return False
    c = s[0]
    if c in "!%?":
        return True
    if "=" in s and ("!" in s or "%" in s):
        return _LINE_ESCAPE.match(line) is not None
    if c in "pcm" and _AUTOMAGIC.match(line):
        return True
    return s.endswith("?")


def _record_escape(code: CellCode, lines: list[str], i: int) -> None:
    m = _LINE_ESCAPE.match(lines[i]) or _AUTOMAGIC.match(lines[i])
    if not m:
        return
    esc, rest = m.groupdict().get("esc") or "%", m.group("rest")
    base_col = m.start("rest") + 1
    if esc.startswith("!"):
        text = rest.rstrip()
        stripped = text.lstrip()
        col = base_col + (len(text) - len(stripped))
        stripped, end, segments = _join_continued(lines, i, col, stripped)
        if stripped:
            code.shell.append(ShellCommand(stripped, i + 1, col, "!", end + 1, segments))
        return
    mm = re.match(r"(\w+)[ \t]*(.*)", rest)
    if not mm:
        return
    name, args = mm.group(1), mm.group(2).rstrip()
    args_col = base_col + mm.start(2)
    if name in SHELL_LINE_MAGICS:  # the text is the line as written ("pip  install x"), continuations joined
        text, end, segments = _join_continued(lines, i, base_col, (rest[:mm.start(2)] + args).rstrip())
        code.shell.append(ShellCommand(text, i + 1, base_col, f"%{name}", end + 1, segments))
    elif name in SHELL_RUNNER_MAGICS and args:
        text, end, segments = _join_continued(lines, i, args_col, args)
        code.shell.append(ShellCommand(text, i + 1, args_col, f"%{name}", end + 1, segments))
    code.magics.append(LineMagic(name, args, i + 1, args_col))


def _mask_line(line: str) -> str:
    """Our own line-preserving fallback when IPython's transformer cannot be used."""
    m = _LINE_ESCAPE.match(line)
    if m:
        indent = m.group("indent")
        if m.group("assign"):
            return f"{indent}{m.group('assign')}None"
        return f"{indent}pass"
    m = _AUTOMAGIC.match(line)
    if m:
        return f"{m.group('indent')}pass"
    s = line.rstrip()
    if s.endswith("?") and not s.lstrip().startswith("#"):
        return line[: len(line) - len(line.lstrip())] + "pass"
    return line


def _parse(source: str) -> tuple[ast.Module | None, str | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes etc.
            return ast.parse(source), None
    except SyntaxError as e:
        return None, f"{e.msg} (line {e.lineno})"
    except (ValueError, RecursionError, MemoryError) as e:
        return None, type(e).__name__
