"""Shell command lines as the shell rules see them.

A :class:`~nbguard.ipysyntax.ShellCommand`'s text (``!pip install -q "a>=1" b``,
a ``%%bash`` line, an ``os.system`` string) is read the way a POSIX shell would:

* :func:`parse` splits it into :class:`SimpleCommand` s at ``&& || ; | |& &``,
  newlines and parentheses, honouring quotes (single, double, backslash) like
  :func:`shlex.split`, but never raising: broken quoting runs to the end.
  Every :class:`Word` keeps the offset of each of its characters in the
  command text, so a finding can point at one package inside a quoted word.
  ``$VAR``, ``${VAR}``, ``$(...)``, backquotes, ``<(...)`` and IPython's
  ``{expr}`` mark a word as an *expansion* (its value is unknown statically);
  command substitutions are kept so rules can look inside them.
* :func:`all_commands` / :func:`all_pipelines` also walk into ``$(...)``,
  ``<(...)`` and ``sh -c '...'`` strings, with offsets still in the outer text.
* :func:`resolve` finds the program past ``A=1`` prefixes, ``sudo``, ``env``,
  ``time``, ``nohup``..., and :func:`installer` recognises ``pip``, ``pip3``,
  ``python -m pip``, ``{sys.executable} -m pip``, ``uv pip`` and
  ``conda``/``mamba``/``micromamba``.
* :func:`pip_install` / :func:`conda_install` parse an install's options and
  requirements (:class:`Requirement`: name, specifiers, extras, marker, URL, path).
* :func:`word_span` turns offsets into a cell span; :func:`argv_command` builds
  a command from ``subprocess.run([sys.executable, "-m", "pip", ...])``, whose
  list the engine cannot evaluate.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

from ..ipysyntax import ShellCommand
from ._hosts import is_url

# -- words -----------------------------------------------------------------------

_NAME_VAR = re.compile(r"[A-Za-z_0-9@*#?!$-]")
_PY_BRACES = re.compile(r"\{[^{}\s]*\}|\{[^{}]*[A-Za-z_][^{}]*\}")


@dataclass(frozen=True)
class Word:
    """One shell word: its value (quotes removed) and where each character was."""

    text: str
    start: int  # raw [start, end) in the command text, quotes included
    end: int
    offsets: tuple[int, ...]  # raw offset of each character of text
    quoted: bool = False
    expansion: bool = False  # holds $VAR, $(...), `...`, <(...), {expr}: value unknown
    subs: tuple[tuple[str, tuple[int, ...]], ...] = ()  # command substitutions: (inner text, its offsets)

    def span(self, i: int = 0, j: int | None = None) -> tuple[int, int]:
        """Raw [start, end) of text[i:j]."""
        n = len(self.text)
        j = n if j is None else j
        if not self.offsets or i >= n:
            return (self.start, self.end) if i == 0 else (self.end, self.end)
        a = self.offsets[i]
        b = self.offsets[max(i, j) - 1] + 1 if j > 0 else a
        return a, max(a, b)

    def slice(self, i: int, j: int | None = None) -> "Word":
        j = len(self.text) if j is None else j
        a, b = self.span(i, j)
        return Word(self.text[i:j], a, b, self.offsets[i:j], self.quoted, self.expansion, self.subs)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Redirect:
    op: str  # ">", ">>", "2>", "2>&1", "<", "<<<", "&>"...
    start: int
    end: int
    target: Word | None
    glued: bool  # no space between the previous word and the operator ("pkg>=1")


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[Word, ...]
    redirects: tuple[Redirect, ...]
    sep: str  # the operator after it: "|", "|&", "&&", "||", ";", "&", "\n", "(", ")" or ""

    @property
    def start(self) -> int:
        return self.words[0].start if self.words else 0

    @property
    def end(self) -> int:
        return self.words[-1].end if self.words else 0


_OPS = ("&&", "||", "|&", ";;", "|", ";", "&", "(", ")", "\n")
_REDIR = re.compile(r"(\d*)(&>>|&>|>>|>&|>\||<<<|<<-|<<|<>|<&|>|<)")
_WORD_END = frozenset(" \t\r\n|&;()<>")
_OP_START = frozenset(o[0] for o in _OPS)
# runs _read_word copies as they are: no word end, quote, escape, $ or backtick (outside
# quotes; the first character is known to be none of these), none of "\$` (inside "...")
_PLAIN = re.compile(r"[^ \t\r\n|&;()<>'\"\\$`]*")
_DQ_PLAIN = re.compile(r"[^\"\\$`]+")
_WORD_START_SPECIAL = _WORD_END | frozenset("'\"\\$`")  # a character _PLAIN does not match


def _balanced(text: str, i: int) -> int:
    """Index after the ``)`` matching the ``(`` at text[i]; len(text) if unterminated."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


_PLAIN_NO_BRACE = re.compile(r"[^ \t\r\n|&;()<>'\"\\$`{]*")


_FIELD_MAX = 200  # characters of one {expr} field, at most (a call with its arguments)
_FIELD_TRIES = 32  # after this many "{" that open no field, a line's braces are taken as written


def _ipython_brace_end(text: str, i: int) -> int:
    """Index after the ``}`` closing the ``{`` at text[i] when the braces hold a call
    (``{os.path.join(d, 'x')}``: IPython evaluates it before the shell sees the line), else -1.
    Such a field would otherwise be cut at its parentheses and blanks. The search stops after
    _FIELD_MAX characters, and a field needs a ``(`` and a ``}`` on its line within that span
    (two searches in C), so a line of unclosed braces costs linear time with a small constant."""
    n = min(len(text), i + _FIELD_MAX)
    line_end = text.find("\n", i, n)
    if line_end >= 0:
        n = line_end
    if text.find("}", i, n) < 0 or text.find("(", i, n) < 0:
        return -1
    depth, call = 0, False
    j = i
    while j < n:
        c = text[j]
        if c == "\n":
            return -1
        if c in "'\"":
            k = text.find(c, j + 1, n)
            if k < 0:
                return -1
            j = k + 1
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1 if call else -1
        elif c == "(":
            call = True
        j += 1
    return -1


def _read_word(text: str, i: int, pos: Sequence[int], brace_tries: list[int]) -> tuple[Word, int]:
    """The word at text[i]. brace_tries holds how many more stray "{" (ones that open no
    IPython call field) the line may test before its braces are taken as written."""
    n = len(text)
    start = i
    if text[i] not in _WORD_START_SPECIAL:
        # Fast path, same Word as the loop below: a plain first character starts a _PLAIN run;
        # when that run ends the text or meets a word end (not at the start: the run holds at
        # least one character), the loop copies that run alone and stops there.
        j = _PLAIN.match(text, i).end()
        if (j == n or text[j] in _WORD_END) and "{" not in text[i:j]:  # (a "{" may open an IPython call field)
            value = text[i:j]
            expansion = "{" in value and _PY_BRACES.search(value) is not None
            return Word(value, pos[i], pos[j - 1] + 1, tuple(pos[i:j]), False, expansion, ()), j
    chars: list[str] = []
    offs: list[int] = []
    subs: list[tuple[str, tuple[int, ...]]] = []
    quoted = expansion = False

    def add(s: str, at: int) -> None:  # s is text[at:at + len(s)]
        chars.append(s)
        offs.extend(pos[at:at + len(s)])

    def sub(a: int, b: int) -> None:  # text[a:b] is a command substitution's body
        subs.append((text[a:b], tuple(pos[a:b])))

    def paren_sub(at: int) -> int:  # $(...), <(...), >(...) at text[at]: kept as written
        j = _balanced(text, at + 1)
        sub(at + 2, max(at + 2, j - 1))
        add(text[at:j], at)
        return j

    def backtick_sub(at: int) -> int:  # `...` at text[at]: kept as written
        j = text.find("`", at + 1)
        j = n if j < 0 else j
        sub(at + 1, j)
        add(text[at:j + 1], at)
        return j + 1

    while i < n:
        c = text[i]
        if c in _WORD_END:
            if c in "<>" and i == start and i + 1 < n and text[i + 1] == "(":
                i = paren_sub(i)  # process substitution <(...) / >(...)
                expansion = True
                continue
            break
        if c == "'":
            quoted = True
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            add(text[i + 1:j], i + 1)
            i = j + 1
        elif c == '"':
            quoted = True
            i += 1
            while i < n and text[i] != '"':
                m = _DQ_PLAIN.match(text, i)
                if m:  # a run of characters that stand for themselves inside "..."
                    add(m.group(), i)
                    i = m.end()
                    continue
                d = text[i]
                if d == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                    add(text[i + 1], i + 1)
                    i += 2
                elif d == "$" and i + 1 < n and text[i + 1] == "(":
                    i = paren_sub(i)
                    expansion = True
                elif d == "`":
                    i = backtick_sub(i)
                    expansion = True
                else:
                    if d == "$" and i + 1 < n and (text[i + 1] == "{" or _NAME_VAR.match(text[i + 1])):
                        expansion = True
                    add(d, i)
                    i += 1
            i += 1
        elif c == "\\":
            if i + 1 < n:
                if text[i + 1] != "\n":
                    add(text[i + 1], i + 1)
                i += 2
            else:
                add(c, i)
                i += 1
        elif c == "$" and i + 1 < n and text[i + 1] == "(":
            i = paren_sub(i)
            expansion = True
        elif c == "$" and i + 1 < n and text[i + 1] == "{":
            j = text.find("}", i)
            j = n - 1 if j < 0 else j
            add(text[i:j + 1], i)
            expansion = True
            i = j + 1
        elif c == "`":
            i = backtick_sub(i)
            expansion = True
        elif c == "{" and brace_tries[0] > 0 and (j := _ipython_brace_end(text, i)) > 0:
            add(text[i:j], i)  # IPython's {f(x, 'y')}: one expansion, parentheses and blanks included
            expansion = True
            i = j
        elif c != "$":  # a run of characters that stand for themselves
            brace_tries[0] -= c == "{"
            j = _PLAIN_NO_BRACE.match(text, i + 1).end()
            add(text[i:j], i)
            i = j
        else:
            if i + 1 < n and _NAME_VAR.match(text[i + 1]):
                expansion = True
            add(c, i)
            i += 1
    i = min(i, n)
    value = "".join(chars)
    if not expansion and "{" in value and _PY_BRACES.search(value):
        expansion = True  # IPython's {expr} (and brace expansion): unknown statically
    end = pos[i - 1] + 1 if i > start else pos[start]
    return Word(value, pos[start], end, tuple(offs), quoted, expansion, tuple(subs)), i


def tokenize(text: str, origin: Sequence[int] | None = None) -> list:
    """Words, operators (as ``str``) and :class:`Redirect` s of one command line."""
    pos = list(origin) if origin is not None else list(range(len(text)))
    pos.append(pos[-1] + 1 if pos else 0)
    out: list = []
    brace_tries = [_FIELD_TRIES]
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "#":  # at a token boundary: a comment runs to the end of the line
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        m = _REDIR.match(text, i) if (c.isdigit() or c in "<>&") else None
        if m and not (m.group(2) in ("<", ">") and text.startswith("(", m.end())):
            op, j = m.group(0), m.end()
            glued = bool(out) and isinstance(out[-1], Word) and out[-1].end == pos[i]
            dup = re.match(r"\d+-?|-", text[j:]) if op.endswith("&") else None
            if dup:  # 2>&1, >&2
                j += dup.end()
                out.append(Redirect(text[i:j], pos[i], pos[j - 1] + 1, None, glued))
                i = j
                continue
            while j < n and text[j] in " \t":
                j += 1
            target = None
            if j < n and (text[j] not in _WORD_END or (text[j] in "<>" and text.startswith("(", j + 1))):
                target, j = _read_word(text, j, pos, brace_tries)
            out.append(Redirect(op, pos[i], pos[m.end() - 1] + 1, target, glued))
            i = j
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None) if c in _OP_START else None
        if op is not None:
            out.append(op)
            i += len(op)
            continue
        word, i = _read_word(text, i, pos, brace_tries)
        out.append(word)
    return out


@lru_cache(maxsize=2048)
def _parse(text: str, origin: tuple[int, ...] | None) -> tuple[SimpleCommand, ...]:
    cmds: list[SimpleCommand] = []
    words: list[Word] = []
    redirs: list[Redirect] = []
    for tok in tokenize(text, origin):
        if isinstance(tok, Word):
            words.append(tok)
        elif isinstance(tok, Redirect):
            redirs.append(tok)
        else:
            if words or redirs:
                cmds.append(SimpleCommand(tuple(words), tuple(redirs), tok))
            elif cmds and tok in ("|", "|&") and cmds[-1].sep in (")",):
                cmds[-1] = SimpleCommand(cmds[-1].words, cmds[-1].redirects, tok)
            words, redirs = [], []
    if words or redirs:
        cmds.append(SimpleCommand(tuple(words), tuple(redirs), ""))
    return tuple(cmds)


def parse(text: str, origin: Sequence[int] | None = None) -> tuple[SimpleCommand, ...]:
    """The simple commands of a command line (one nesting level)."""
    return _parse(text, tuple(origin) if origin is not None else None)


def pipelines(cmds: Sequence[SimpleCommand]) -> list[list[SimpleCommand]]:
    """Group commands joined by ``|`` / ``|&``."""
    out: list[list[SimpleCommand]] = []
    cur: list[SimpleCommand] = []
    for c in cmds:
        if c.words or c.redirects:
            cur.append(c)
        if c.sep not in ("|", "|&"):
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "busybox"})


def nested(cmd: SimpleCommand) -> Iterator[tuple[str, tuple[int, ...]]]:
    """Command lines inside a command: ``$(...)``, backquotes, ``<(...)``, ``sh -c '...'``."""
    for w in cmd.words:
        yield from w.subs
    for r in cmd.redirects:
        if r.target is not None:
            yield from r.target.subs
    inv = resolve(cmd)
    if inv is not None and inv.program in SHELLS:
        args = inv.args
        k = 0
        while k < len(args):
            t = args[k].text
            if t.startswith("-") and not t.startswith("--") and "c" in t[1:]:
                if k + 1 < len(args) and args[k + 1].text:
                    yield args[k + 1].text, args[k + 1].offsets
                break
            if not t.startswith(("-", "+")):
                break
            k += 2 if t in ("-o", "+o", "-O", "+O") else 1


def all_pipelines(text: str, origin: Sequence[int] | None = None) -> tuple[tuple[SimpleCommand, ...], ...]:
    """Pipelines at every nesting level (outer first), offsets in the outer text."""
    return _all_pipelines(text, tuple(origin) if origin is not None else None, 0)


@lru_cache(maxsize=2048)
def _all_pipelines(text: str, origin: tuple[int, ...] | None, depth: int) -> tuple[tuple[SimpleCommand, ...], ...]:
    cmds = parse(text, origin)
    out = [tuple(p) for p in pipelines(cmds)]
    if depth < 4:
        for c in cmds:
            for inner, offs in nested(c):
                out.extend(_all_pipelines(inner, tuple(offs), depth + 1))
    return tuple(out)


@lru_cache(maxsize=2048)
def all_commands(text: str) -> tuple[SimpleCommand, ...]:
    """Every simple command of a line, nested ones included."""
    return tuple(c for p in all_pipelines(text) for c in p)


# -- programs --------------------------------------------------------------------

# a NAME=value word (an assignment before the program, or export's argument)
ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED = frozenset({"!", "if", "then", "else", "elif", "do", "while", "until", "{", "}", "fi", "done"})
# wrapper -> its options that take a value
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-U", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-R", "--user", "--group",
                       "--chdir", "--prompt", "--role", "--type", "--close-from", "--host", "--other-user"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nohup": frozenset(),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p", "--class", "--classdata"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "xargs": frozenset({"-n", "-I", "-P", "-d", "-E", "-L", "-s", "-a", "--max-args", "--max-procs",
                        "--delimiter", "--arg-file", "--max-lines", "--replace"}),
    "caffeinate": frozenset(),
    "unbuffer": frozenset(),
}


@dataclass(frozen=True)
class Invocation:
    """What a simple command runs: ``sudo -E PIP_X=1 /usr/bin/pip3 install x`` -> program ``pip3``."""

    program: str  # basename, lower case ("pip3", "python3", "curl"); "" when the program is an expansion
    word: Word  # the program's word
    args: tuple[Word, ...]
    env: tuple[tuple[str, Word], ...] = ()  # NAME=value prefixes (and env's NAME=value)
    wrappers: tuple[str, ...] = ()  # ("sudo",) ...


def resolve(cmd: SimpleCommand) -> Invocation | None:
    """The program a simple command runs, past assignments, reserved words and wrappers."""
    # Kept on the command: its fields are frozen and the answer depends on them alone, and the
    # shell rules resolve the same (cached) parse's commands over and over.
    memo = cmd.__dict__
    if _RESOLVED in memo:
        return memo[_RESOLVED]
    inv = memo[_RESOLVED] = _resolve(cmd.words)
    return inv


_RESOLVED = "_resolved"  # SimpleCommand.__dict__ key of resolve's answer (not a field: no effect on ==)


def program(cmd: SimpleCommand) -> Invocation | None:
    """:func:`resolve`, except that a wrapper run with no program (``env``, ``sudo env -0``) is
    itself the program: ``env`` alone prints the environment, which :func:`resolve` calls no run."""
    memo = cmd.__dict__
    if _PROGRAM in memo:
        return memo[_PROGRAM]
    inv = memo[_PROGRAM] = resolve(cmd) or _resolve(cmd.words, bare=True)
    return inv


_PROGRAM = "_program"  # SimpleCommand.__dict__ key of program's answer


def assignment(word: Word) -> tuple[str, Word] | None:
    """``NAME=value`` -> (NAME, the value as a slice of the word, offsets kept); None for other words."""
    t = word.text
    m = ASSIGN.match(t)
    return (t[:m.end() - 1], word.slice(m.end())) if m else None


def leading_assignments(cmd: SimpleCommand) -> list[tuple[str, Word]]:
    """The ``NAME=value`` words a simple command starts with (before any wrapper or program)."""
    out: list[tuple[str, Word]] = []
    for w in cmd.words:
        a = assignment(w)
        if a is None:
            break
        out.append(a)
    return out


# redirections that send standard output to a file (``>`` ``>>`` ``>|`` ``1>`` ``&>`` ...)
_STDOUT_TO_FILE = frozenset({">", ">>", ">|", "1>", "1>>", "1>|", "&>", "&>>"})


def stdout_to_file(cmd: SimpleCommand) -> Redirect | None:
    """The redirection that writes the command's standard output to a file (not to the cell), if any."""
    return next((r for r in cmd.redirects if r.op in _STDOUT_TO_FILE and r.target is not None), None)


def _resolve(words: tuple[Word, ...], bare: bool = False) -> Invocation | None:
    i, n = 0, len(words)
    env: list[tuple[str, Word]] = []
    wrappers: list[str] = []
    last_wrapper = -1
    while i < n:
        w = words[i]
        t = w.text
        if ASSIGN.match(t) and not (w.offsets and w.quoted and w.offsets[0] != w.start):
            env.append((t.split("=", 1)[0], w.slice(t.index("=") + 1)))
            i += 1
            continue
        if t in _RESERVED and not w.quoted:
            i += 1
            continue
        base = t.rsplit("/", 1)[-1]
        if base in _WRAPPERS and not w.expansion:
            if base == "command" and i + 1 < n and words[i + 1].text in ("-v", "-V"):
                return None  # `command -v pip` only looks the program up
            value_opts = _WRAPPERS[base]
            wrappers.append(base)
            last_wrapper = i
            i += 1
            while i < n:
                o = words[i].text
                if o == "--":
                    i += 1
                    break
                if base == "timeout" and not o.startswith("-"):
                    i += 1  # the duration
                    break
                if base == "nice" and re.fullmatch(r"-\d+", o):
                    i += 1
                    continue
                if not o.startswith("-") or o == "-":
                    break
                i += 1
                if o in value_opts and "=" not in o:
                    i += 1
            continue
        prog = base.lower() if not w.expansion else ""
        if w.expansion and "/" in t and not _has_expansion(base):
            prog = base.lower()  # ${CONDA_HOME}/bin/conda
        return Invocation(prog, w, tuple(words[i + 1:]), tuple(env), tuple(wrappers))
    if bare and last_wrapper >= 0:  # only wrappers: the last one is what runs
        w = words[last_wrapper]
        return Invocation(wrappers[-1], w, tuple(words[last_wrapper + 1:]), tuple(env), tuple(wrappers[:-1]))
    return None


def _has_expansion(s: str) -> bool:
    return "$" in s or "`" in s or bool(_PY_BRACES.search(s))


_PYTHON = re.compile(r"^(?:python(?:\d+(?:\.\d+)*)?|py|pypy\d*|ipython\d*)(?:\.exe)?$")
_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)*)?(?:\.exe)?$")
_CONDA = frozenset({"conda", "mamba", "micromamba", "conda.exe", "mamba.exe"})
_PY_VALUE_OPTS = frozenset({"-X", "-W", "--check-hash-based-pycs"})


def is_python(inv: Invocation) -> bool:
    """``python3``, ``/usr/bin/python3.11``, ``{sys.executable}``, ``$PYTHON``."""
    if _PYTHON.match(inv.program):
        return True
    return inv.word.expansion and bool(re.search(r"executable|python", inv.word.text, re.I))


def python_module(inv: Invocation) -> tuple[str, tuple[Word, ...]] | None:
    """For ``python [opts] -m mod args``: (mod, args). None for scripts and ``-c``."""
    args = inv.args
    i = 0
    while i < len(args):
        t = args[i].text
        if t == "-m" and i + 1 < len(args):
            return args[i + 1].text, args[i + 2:]
        if t.startswith("-m") and len(t) > 2 and not t.startswith("--"):
            return t[2:], args[i + 1:]
        if t in _PY_VALUE_OPTS:
            i += 2
            continue
        if t.startswith("--") or (t.startswith("-") and len(t) > 1 and "c" not in t):
            i += 1
            continue
        return None  # -c code, a script, or "-" (stdin)
    return None


@dataclass(frozen=True)
class Installer:
    """A package manager call: ``python -m pip install ...`` -> tool "pip", subcommand "install"."""

    tool: str  # "pip" | "uv" | "conda"
    label: str  # how to name it in a message: "pip", "uv pip", "conda", "mamba"
    invocation: Invocation
    subcommand: str  # "install", "uninstall", "config"...; "" when none
    pre: tuple[Word, ...]  # options before the subcommand
    args: tuple[Word, ...]  # words after the subcommand


# pip's general options that take a value (they may come before the subcommand)
_PIP_GENERAL_VALUE = frozenset({
    "--python", "--log", "--log-file", "--local-log", "--keyring-provider", "--proxy", "--retries", "--timeout",
    "--exists-action", "--trusted-host", "--cert", "--client-cert", "--cache-dir", "--use-feature",
    "--use-deprecated", "--resume-retries"})
_UV_GLOBAL_VALUE = frozenset({"--cache-dir", "--directory", "--project", "--config-file", "--color",
                              "--python", "-p", "--allow-insecure-host", "--trusted-host"})
_CONDA_GLOBAL_VALUE = frozenset({"-r", "--root-prefix", "--rc-file"})


def installer(inv: Invocation | None) -> Installer | None:
    if inv is None:
        return None
    prog = inv.program
    args = inv.args
    if _PIP.match(prog):
        return _subcommand("pip", "pip", inv, args, _PIP_GENERAL_VALUE)
    if is_python(inv):
        mod = python_module(inv)
        if mod is None:
            return None
        name, rest = mod
        if name == "pip":
            return _subcommand("pip", "python -m pip", inv, rest, _PIP_GENERAL_VALUE)
        if name == "uv" and rest and rest[0].text == "pip":
            return _subcommand("uv", "uv pip", inv, rest[1:], _UV_GLOBAL_VALUE)
        if name == "conda":
            return _subcommand("conda", "conda", inv, rest, _CONDA_GLOBAL_VALUE)
        return None
    if prog in ("uv", "uv.exe"):
        i = 0
        while i < len(args) and args[i].text.startswith("-"):
            i += 2 if args[i].text in _UV_GLOBAL_VALUE else 1
        if i < len(args) and args[i].text == "pip":
            return _subcommand("uv", "uv pip", inv, args[i + 1:], _UV_GLOBAL_VALUE)
        return None
    if prog in _CONDA:
        return _subcommand("conda", prog.replace(".exe", ""), inv, args, _CONDA_GLOBAL_VALUE)
    return None


def _subcommand(tool: str, label: str, inv: Invocation, args: tuple[Word, ...],
                value_opts: frozenset[str]) -> Installer:
    i = 0
    while i < len(args):
        t = args[i].text
        if not t.startswith("-") or t == "-":
            break
        i += 2 if t in value_opts else 1
    sub = args[i].text if i < len(args) and not args[i].expansion else ""
    return Installer(tool, label, inv, sub, args[:i], args[i + 1:])


# -- pip install -----------------------------------------------------------------

# uv pip install options pip does not have: canonical long name -> takes a value
_UV_LONG: dict[str, bool] = {
    "--default-index": True, "--index": True, "--index-strategy": True, "--resolution": True,
    "--prerelease": True, "--torch-backend": True, "--reinstall-package": True, "--upgrade-package": True,
    "--no-build-package": True, "--no-binary-package": True, "--only-binary-package": True,
    "--exclude-newer": True, "--config-setting": True, "--python-platform": True, "--link-mode": True,
    "--overrides": True, "--override": True, "--build-constraints": True, "--build-constraint": True,
    "--extra": True, "--refresh-package": True, "--allow-insecure-host": True, "--directory": True,
    "--project": True, "--config-file": True, "--color": True, "--system": False, "--reinstall": False,
    "--refresh": False, "--all-extras": False, "--strict": False, "--offline": False, "--native-tls": False,
    "--no-cache": False, "--requirements": True, "--constraints": True,
}
_UV_ONLY = frozenset(_UV_LONG)
# canonical long name -> takes a value (pip and uv)
_PIP_LONG: dict[str, bool] = {
    # pip install
    "--requirement": True, "--constraint": True, "--editable": True, "--target": True, "--platform": True,
    "--python-version": True, "--implementation": True, "--abi": True, "--root": True, "--prefix": True,
    "--src": True, "--upgrade-strategy": True, "--config-settings": True, "--global-option": True,
    "--install-option": True, "--build-option": True, "--no-binary": True, "--only-binary": True,
    "--progress-bar": True, "--root-user-action": True, "--report": True, "--group": True,
    "--index-url": True, "--extra-index-url": True, "--find-links": True, "--trusted-host": True,
    "--upgrade": False, "--pre": False, "--no-deps": False, "--user": False, "--force-reinstall": False,
    "--ignore-installed": False, "--no-index": False, "--quiet": False, "--verbose": False,
    "--require-hashes": False, "--dry-run": False, "--no-build-isolation": False, "--prefer-binary": False,
    "--break-system-packages": False, "--no-cache-dir": False, "--disable-pip-version-check": False,
    "--no-warn-script-location": False, "--no-warn-conflicts": False, "--compile": False, "--no-compile": False,
    "--ignore-requires-python": False, "--use-pep517": False, "--no-use-pep517": False, "--isolated": False,
    "--check-build-dependencies": False, "--no-clean": False, "--no-input": False, "--no-color": False,
    "--exists-action": True,
    # pip general options
    **{o: True for o in _PIP_GENERAL_VALUE},
    **_UV_LONG,
}
_PIP_ALIASES = {"--requirements": "--requirement", "--constraints": "--constraint", "--override": "--overrides",
                "--build-constraint": "--build-constraints", "--config-setting": "--config-settings",
                "--log-file": "--log", "--allow-insecure-host": "--trusted-host"}
# short option -> (canonical long name, takes a value)
_PIP_SHORT: dict[str, tuple[str, bool]] = {
    "r": ("--requirement", True), "c": ("--constraint", True), "e": ("--editable", True),
    "t": ("--target", True), "i": ("--index-url", True), "f": ("--find-links", True),
    "C": ("--config-settings", True), "U": ("--upgrade", False), "q": ("--quiet", False),
    "v": ("--verbose", False), "I": ("--ignore-installed", False), "p": ("--python", True),
    "P": ("--upgrade-package", True), "b": ("--build-constraints", True), "n": ("--no-cache", False),
}


@dataclass(frozen=True)
class Option:
    name: str  # canonical: "--index-url"
    word: Word  # the option's own word
    value: Word | None = None  # its value (a slice of word for --x=v / -rfile)


@dataclass(frozen=True)
class PipInstall:
    installer: Installer
    options: tuple[Option, ...]
    requirements: tuple["Requirement", ...]  # positional requirements and -e values

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def values(self, *names: str) -> list[Word]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    @property
    def upgrade(self) -> bool:
        return self.has("--upgrade", "--upgrade-package", "--force-reinstall")

    @property
    def pre(self) -> bool:
        return self.has("--pre") or any(v.text in ("allow", "explicit", "if-necessary-or-explicit")
                                        for v in self.values("--prerelease"))


def _long_name(text: str, tool: str) -> tuple[str, bool] | None:
    if text in _PIP_LONG:
        return _PIP_ALIASES.get(text, text), _PIP_LONG[text]
    if tool == "pip":  # optparse accepts unambiguous prefixes: --ind, --extra-index
        hits = [o for o in _PIP_LONG if o.startswith(text) and o not in _PIP_ALIASES and o not in _UV_ONLY]
        if len(hits) == 1:
            return hits[0], _PIP_LONG[hits[0]]
    return None


def pip_options(words: Sequence[Word], tool: str) -> tuple[list[Option], list[Word]]:
    """Options (with values) and positional words of a pip/uv argument list."""
    opts: list[Option] = []
    pos: list[Word] = []
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        t = w.text
        i += 1
        if w.expansion and not t.startswith("-"):
            pos.append(w)
            continue
        if t == "--":
            pos.extend(words[i:])
            break
        if t.startswith("--"):
            name, _, val = t.partition("=")
            known = _long_name(name, tool)
            takes = known[1] if known else False
            canon = known[0] if known else name
            if "=" in t:
                opts.append(Option(canon, w, w.slice(len(name) + 1)))
            elif takes and i < n:
                opts.append(Option(canon, w, words[i]))
                i += 1
            else:
                opts.append(Option(canon, w, None))
            continue
        if t.startswith("-") and len(t) > 1:
            k = 1
            while k < len(t):
                ch = t[k]
                canon, takes = _PIP_SHORT.get(ch, (f"-{ch}", False))
                if takes:
                    if k + 1 < len(t):
                        value = w.slice(k + 1 + (t[k + 1] == "="))
                    elif i < n:
                        value = words[i]
                        i += 1
                    else:
                        value = None
                    opts.append(Option(canon, w, value))
                    break
                opts.append(Option(canon, w, None))
                k += 1
            continue
        pos.append(w)
    return opts, pos


def pip_install(inst: Installer | None) -> PipInstall | None:
    """The options and requirements of ``pip install`` / ``uv pip install``."""
    if inst is None or inst.tool not in ("pip", "uv") or inst.subcommand != "install":
        return None
    opts, pos = pip_options(list(inst.pre) + list(inst.args), inst.tool)
    reqs = [parse_requirement(w) for w in pos]
    reqs += [parse_requirement(o.value, editable=True) for o in opts if o.name == "--editable" and o.value]
    reqs.sort(key=lambda r: r.word.start)
    return PipInstall(inst, tuple(opts), tuple(reqs))


# -- requirements ----------------------------------------------------------------

_REQ_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*")
_SPEC = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;()]+)\s*")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.I)
ARCHIVE_EXTS = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".egg", ".tar")


@dataclass(frozen=True)
class Requirement:
    """One thing ``pip install`` was asked for."""

    word: Word
    kind: str  # "name" | "vcs" | "url" | "path" | "unknown"
    name: str = ""  # the project name as written
    start: int = 0  # text[start:end] of word: "name[extra]>=1" (name form) or the URL
    end: int = 0
    specifiers: tuple[tuple[str, str], ...] = ()
    marker: str = ""
    editable: bool = False

    @property
    def text(self) -> str:
        return self.word.text[self.start:self.end]

    @property
    def pinned(self) -> bool:
        """``==X`` (not ``==X.*``) or ``===X``."""
        return any(op == "===" or (op == "==" and not v.endswith("*")) for op, v in self.specifiers)

    @property
    def url(self) -> str:
        return self.text if self.kind in ("vcs", "url") else ""

    @property
    def canonical(self) -> str:
        return re.sub(r"[-_.]+", "-", self.name).lower()


def is_local_path(text: str) -> bool:
    t = text.strip()
    if not t or is_url(t):
        return t.lower().startswith("file:")
    if re.match(r"^\.{1,2}(?:[\\/\[]|$)", t) or t.startswith(("/", "~", "file:")):
        return True  # ".", "..", "./pkg", ".[extra]", "/abs", "~/x"
    if re.match(r"^[A-Za-z]:[\\/]", t):
        return True
    low = t.lower().split("#", 1)[0]
    if low.endswith(ARCHIVE_EXTS):
        return True
    return ("/" in t or "\\" in t) and "@" not in t


def parse_requirement(word: Word, editable: bool = False) -> Requirement:
    t = word.text
    if word.expansion:
        return Requirement(word, "unknown", editable=editable)
    if _VCS.match(t.strip()):
        s = len(t) - len(t.lstrip())
        return Requirement(word, "vcs", "", s, len(t.rstrip()), editable=editable)
    if is_url(t.strip()):
        s = len(t) - len(t.lstrip())
        kind = "path" if t.strip().lower().startswith("file:") else "url"
        return Requirement(word, kind, "", s, len(t.rstrip()), editable=editable)
    m = _REQ_NAME.match(t)
    if m:
        rest = t[m.end():]
        at = re.match(r"@\s*(\S+)", rest)
        if at and not rest.startswith("@="):  # name @ url (PEP 508 direct reference)
            url = at.group(1)
            s = m.end() + at.start(1)
            kind = "vcs" if _VCS.match(url) else "path" if url.lower().startswith("file:") else \
                "url" if is_url(url) else "unknown"
            return Requirement(word, kind, m.group(1), s, s + len(url), editable=editable)
        specs: list[tuple[str, str]] = []
        pos = m.end()
        paren = rest.lstrip().startswith("(")
        if paren:
            pos = t.index("(", pos) + 1
        while True:
            sm = _SPEC.match(t, pos)
            if not sm:
                break
            specs.append((sm.group(1), sm.group(2)))
            pos = sm.end()
            if pos < len(t) and t[pos] == ",":
                pos += 1
                continue
            break
        if paren and pos < len(t) and t[pos] == ")":
            pos += 1
        end = len(t[:pos].rstrip())
        tail = t[pos:].strip()
        marker = ""
        if tail.startswith(";"):
            marker = tail[1:].strip()
        elif tail:
            if is_local_path(t):
                return Requirement(word, "path", editable=editable)
            return Requirement(word, "unknown", editable=editable)
        if is_local_path(t) and not specs:
            return Requirement(word, "path", editable=editable)
        return Requirement(word, "name", m.group(1), m.start(1), end, tuple(specs), marker, editable)
    if is_local_path(t):
        return Requirement(word, "path", editable=editable)
    return Requirement(word, "unknown", editable=editable)


# -- conda install ---------------------------------------------------------------

_CONDA_VALUE = frozenset({"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "--repodata-fn",
                          "--solver", "--experimental-solver", "--subdir", "--platform", "--experimental",
                          "-r", "--root-prefix", "--rc-file", "--override-frozen"})


@dataclass(frozen=True)
class CondaInstall:
    installer: Installer
    options: tuple[Option, ...]
    packages: tuple["CondaSpec", ...]

    def values(self, *names: str) -> list[Word]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)


@dataclass(frozen=True)
class CondaSpec:
    word: Word
    name: str
    start: int  # word.text[start:end] is the spec without the channel
    end: int
    version: str  # what follows the name ("", "=1.2", ">=1.0", " 1.2.*", "[version='>=1']")

    @property
    def pinned(self) -> bool:
        v = self.version.strip()
        m = re.fullmatch(r"(==?|\s)\s*([^=<>!,|*\s\[\]]+)(=[^=\s]+)?", self.version) \
            or re.fullmatch(r"\[\s*version\s*=\s*['\"]?==?([^'\"*,|<>!]+)['\"]?\s*\]", v)
        return bool(m)


_CONDA_SPEC = re.compile(r"^(?:[^\s:]+::)?([A-Za-z0-9_][A-Za-z0-9_.+-]*)")
_CONDA_SHORT = {"c": "--channel", "n": "--name", "p": "--prefix", "y": "--yes", "q": "--quiet", "k": "--insecure",
                "S": "--satisfied-skip-solve", "v": "--verbose", "d": "--dry-run"}


def conda_install(inst: Installer | None) -> CondaInstall | None:
    if inst is None or inst.tool != "conda" or inst.subcommand not in ("install", "create", "update", "upgrade"):
        return None
    opts: list[Option] = []
    pkgs: list[CondaSpec] = []
    words = list(inst.args)
    i = 0
    while i < len(words):
        w = words[i]
        t = w.text
        i += 1
        if t.startswith("--"):
            name = t.split("=", 1)[0]
            if "=" in t:
                opts.append(Option(name, w, w.slice(len(name) + 1)))
            elif name in _CONDA_VALUE and i < len(words):
                opts.append(Option(name, w, words[i]))
                i += 1
            else:
                opts.append(Option(name, w, None))
            continue
        if t.startswith("-") and len(t) > 1:
            for k, ch in enumerate(t[1:], 1):
                name = _CONDA_SHORT.get(ch, f"-{ch}")
                if f"-{ch}" in _CONDA_VALUE:
                    if k + 1 < len(t):
                        opts.append(Option(name, w, w.slice(k + 1)))
                    elif i < len(words):
                        opts.append(Option(name, w, words[i]))
                        i += 1
                    break
                opts.append(Option(name, w, None))
            continue
        if w.expansion:
            continue
        m = _CONDA_SPEC.match(t)
        if m and not is_local_path(t) and not is_url(t):
            pkgs.append(CondaSpec(w, m.group(1), m.start(1), len(t.rstrip()), t[m.end():]))
    return CondaInstall(inst, tuple(opts), tuple(pkgs))


# -- installs in a command line --------------------------------------------------

@lru_cache(maxsize=1024)
def installs(text: str) -> tuple[PipInstall | CondaInstall, ...]:
    """Every ``pip install`` / ``uv pip install`` / ``conda install`` in a command line."""
    out: list[PipInstall | CondaInstall] = []
    for c in all_commands(text):
        inst = installer(resolve(c))
        if inst is None:
            continue
        found = pip_install(inst) or conda_install(inst)
        if found is not None:
            out.append(found)
    return tuple(out)


# -- locations -------------------------------------------------------------------

def text_span(cmd: ShellCommand, ctx, start: int, end: int) -> tuple[int, int, int, int]:
    """Cell span of cmd.text[start:end].

    ``!``/``%``/``%%bash`` commands are copies of the cell's lines (``segments``);
    for Python strings (``os.system("...")``, argv lists) the text is looked up in
    the call's source lines, else the whole call argument is reported.
    """
    if cmd.segments:
        return cmd.span(start, end)
    needle = cmd.text[start:end]
    lines = ctx.view.lines if ctx is not None else []
    last = cmd.end_line or cmd.line
    if needle.strip():
        for ln in range(cmd.line, min(last, len(lines)) + 1):
            src = lines[ln - 1]
            frm = cmd.col - 1 if ln == cmd.line else 0
            for m in re.finditer(re.escape(needle), src[frm:]):
                a = frm + m.start()
                b = a + len(needle)
                if (a == 0 or not re.match(r"[\w.\-]", src[a - 1])) and \
                        (b >= len(src) or not re.match(r"[\w\-]", src[b])):
                    return ln, a + 1, ln, b + 1
    return cmd.span(0, len(cmd.text))


def word_span(cmd: ShellCommand, ctx, word: Word, i: int = 0, j: int | None = None) -> tuple[int, int, int, int]:
    """Cell span of word.text[i:j] (quotes excluded)."""
    a, b = word.span(i, j)
    return text_span(cmd, ctx, a, b)


def words_span(cmd: ShellCommand, ctx, first: Word, last: Word) -> tuple[int, int, int, int]:
    """Cell span from the start of ``first`` to the end of ``last``."""
    if cmd.segments:
        return cmd.span(first.start, last.end)
    s = text_span(cmd, ctx, first.start, first.end)
    e = text_span(cmd, ctx, last.start, last.end)
    return (s[0], s[1], e[2], e[3]) if (s[0], s[1]) <= (e[0], e[1]) else s


# -- argv lists from Python ------------------------------------------------------

SUBPROCESS_CALLS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call",
                              "subprocess.check_output", "subprocess.Popen"})
UNKNOWN_ARG = "{…}"


def argv_command(call, ctx) -> ShellCommand | None:
    """``subprocess.run([sys.executable, "-m", "pip", "install", "x"])`` as a command line.

    Only for argv lists the engine could not evaluate (it hands fully known ones
    to the shell rules itself): ``sys.executable`` reads as ``python``, other
    unknown items as expansions.
    """
    if call.qualname not in SUBPROCESS_CALLS:
        return None
    arg = call.arg("args", 0)
    if not isinstance(arg, (ast.List, ast.Tuple)) or not arg.elts:
        return None
    if ctx.scope.value(arg) is not None:
        return None  # known: the engine already made it a ShellCommand
    parts: list[str] = []
    for e in arg.elts:
        v = ctx.scope.str_value(e) if not isinstance(e, ast.Starred) else None
        if v is not None and not v.partial:
            parts.append(shlex.quote(v.value))
            continue
        q = ctx.scope.qualname(e) if isinstance(e, (ast.Name, ast.Attribute, ast.Call)) else None
        if q in ("sys.executable", "sys.executable()") or (q or "").endswith("sys.executable"):
            parts.append("python")
        else:
            parts.append(UNKNOWN_ARG)
    line, col, end_line, _ = ctx.node_span(arg)
    return ShellCommand(" ".join(parts), line, col, call.qualname, end_line)


class ShellViaArgv:
    """Mixin for a shell rule: its ``check_call`` hands ``subprocess.run([...])`` argv lists the
    engine could not evaluate to the rule's ``check_shell``, as a command line (see
    :func:`argv_command`). List it before ``Rule``: ``class X(ShellViaArgv, Rule)``."""

    def check_call(self, call, ctx) -> None:
        cmd = argv_command(call, ctx)
        if cmd is not None:
            self.check_shell(cmd, ctx)
