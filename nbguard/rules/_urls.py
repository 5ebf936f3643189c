"""URLs as the transport rules see them: in call arguments and in shell lines.

Shared by the unencrypted-data (NBG2xx) and insecure-network (NBG4xx) rules.

* :func:`parse_url` reads a URL, or the known prefix of one (an f-string or a
  concatenation whose tail is unknown), into a :class:`UrlInfo`: scheme, host
  (when the known text settles it) and where the value came from.
* :func:`url_args` finds the URLs passed to one parameter of a call: a string,
  a list of strings or the values of a dict (``data_files={"train": URL}``),
  constants from earlier cells included.
* :func:`shell_commands` splits a shell line into simple commands of
  :class:`Word` s with their offsets, so a finding lands on the URL itself;
  :func:`expand_word` resolves IPython's ``{var}`` / ``$var`` expansions in ``!``
  lines and ``$VAR`` set earlier in a ``%%bash`` cell.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from ..analysis import CallSite, DictEntry, Origin, Scope, Value
from ._filters import is_local_host

_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.\-]*)://")
_PLACEHOLDER_HOST = re.compile(r"[<>{}$%\[\]*]|^(?:your|my)[-_.]|^x{3,}|^host(?:name)?$|^server$|^ip$|^domain$", re.I)
# Documentation-only domains (RFC 2606 / 6761): never real traffic.
_DOC_DOMAINS = ("example.com", "example.org", "example.net", ".example", ".test", ".invalid")
PLAINTEXT = frozenset({"http", "ftp"})


@dataclass(frozen=True)
class UrlInfo:
    url: str  # the known text (a prefix when ``partial``)
    scheme: str  # lower case: "http", "ftp", "https", "redis", ...
    host: str  # lower case; "" when not known statically
    host_known: bool
    partial: bool
    origin: Origin | None = None
    placeholder: bool = False  # "http://<your-host>/", "http://example.com"

    @property
    def local(self) -> bool:
        return self.host_known and is_local_host(self.host)

    @property
    def plaintext(self) -> bool:
        """``http://``/``ftp://`` to a host that is not known to be local or a placeholder."""
        return self.scheme in PLAINTEXT and not self.local and not self.placeholder

    @property
    def where(self) -> str:
        """``'from archive.ics.uci.edu'`` or ``'to a host only known at run time'``."""
        return f"{self.host}" if self.host_known else "a host only known at run time"

    def source(self) -> str:
        """`` (URL from 'DATA_URL' set in cell 2, line 1)`` or ``''``."""
        return f" (URL from {self.origin.describe()})" if self.origin else ""


def parse_url(text: str, partial: bool = False, origin: Origin | None = None) -> UrlInfo | None:
    """The scheme and host of ``text`` (or of its known prefix), or None when it is no URL."""
    m = _SCHEME.match(text)
    if not m:
        return None
    scheme = m.group(1).lower()
    rest = text[m.end():]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=-1)
    netloc = rest if cut < 0 else rest[:cut]
    complete = cut >= 0 or not partial
    hostport = netloc.rsplit("@", 1)[-1]
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, known = (hostport[1:end], True) if end > 0 else (hostport, complete)
    elif ":" in hostport:
        host, known = hostport.split(":", 1)[0], True
    else:
        host, known = hostport, complete
    host = host.lower()
    placeholder = bool(_PLACEHOLDER_HOST.search(host)) if host else False
    if known and not host:
        known = bool(netloc) or not partial
    if placeholder:
        known = False
    if host and any(host == d.lstrip(".") or host.endswith("." + d.lstrip(".")) for d in _DOC_DOMAINS):
        placeholder = True
    return UrlInfo(text, scheme, host if known else "", known, partial, origin, placeholder)


def url_of(value: Value | None) -> UrlInfo | None:
    if value is None or not isinstance(value.value, str):
        return None
    return parse_url(value.value, value.partial, value.origin)


def url_args(call: CallSite, name: str | None, pos: int | None = None) -> Iterator[tuple[ast.expr, UrlInfo]]:
    """URLs passed as ``name=`` / position ``pos``: a string, a list of them, or a dict's values."""
    expr = call.arg(name, pos)
    if expr is not None:
        yield from urls_in(expr, call.scope)


def urls_in(expr: ast.expr, scope: Scope, depth: int = 0) -> Iterator[tuple[ast.expr, UrlInfo]]:
    if depth > 3:
        return
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        for e in expr.elts:
            yield from urls_in(e, scope, depth + 1)
        return
    if isinstance(expr, ast.Dict):
        for v in expr.values:
            yield from urls_in(v, scope, depth + 1)
        return
    v = scope.value(expr)
    if v is None:
        return
    for item in _flatten(v.value):
        if isinstance(item, DictEntry):
            if item.value is not None:
                info = url_of(_with_origin(item.value, v.origin))
                if info:
                    yield expr, info
            continue
        if isinstance(item, str):
            info = parse_url(item, v.partial, v.origin)
            if info:
                yield expr, info


def _flatten(obj, depth: int = 0):
    if depth > 3:
        return
    if isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _flatten(x, depth + 1)
    elif isinstance(obj, dict):
        for x in obj.values():
            if isinstance(x, DictEntry) and x.value is not None and isinstance(x.value.value, (list, tuple, dict)):
                yield from _flatten(x.value.value, depth + 1)
            else:
                yield x
    else:
        yield obj


def _with_origin(v: Value, origin: Origin | None) -> Value:
    return v if v.origin or origin is None else Value(v.value, origin, v.partial)


def callee(call: CallSite) -> str:
    """How a message names the callee: ``requests.Session().get`` -> ``requests.Session.get``."""
    q = call.qualname.replace("()", "")
    return q or call.attr or "this call"


def plain_message(info: UrlInfo) -> str:
    """``plaintext http:// to archive.ics.uci.edu (URL from 'URL' set in cell 2, line 1)``."""
    return f"plaintext {info.scheme}:// ({info.where}){info.source()}"


# -- shell -----------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    """One shell word: its unquoted text and its [start, end) offsets in the command text."""

    text: str
    start: int
    end: int


_SEPARATORS = ("&&", "||", "|&", ";;", "$(", "<(", ">(", "|", ";", "&", "(", ")", "`", "\n")
_REDIRECT = "<>"


def shell_commands(text: str) -> list[list[Word]]:
    """Simple commands of a shell line, split on ``| ; && || ( ) $( `` and backquotes."""
    cmds: list[list[Word]] = [[]]
    buf: list[str] = []
    start = -1
    i, n = 0, len(text)

    def flush(end: int) -> None:
        nonlocal buf, start
        if start >= 0:
            cmds[-1].append(Word("".join(buf), start, end))
        buf, start = [], -1

    while i < n:
        c = text[i]
        if c in " \t\r":
            flush(i)
            i += 1
            continue
        if c == "#" and start < 0:  # a comment runs to the end of the line
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        sep = next((s for s in _SEPARATORS if text.startswith(s, i)), None)
        if sep is not None and not (sep == "&" and i > 0 and text[i - 1] in _REDIRECT):
            flush(i)
            if cmds[-1]:
                cmds.append([])
            i += len(sep)
            continue
        if c in _REDIRECT:
            flush(i)
            j = i
            while j < n and text[j] in "<>&":
                j += 1
            i = j
            continue
        if start < 0:
            start = i
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            buf.append(text[i + 1:j])
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    j += 1
                buf.append(text[j])
                j += 1
            i = j + 1
        elif c == "\\" and i + 1 < n:
            buf.append(text[i + 1])
            i += 2
        else:
            buf.append(c)
            i += 1
    flush(min(i, n))
    return [c for c in cmds if c]


_WRAPPERS = frozenset({"sudo", "time", "nohup", "env", "exec", "command", "nice", "stdbuf", "builtin"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def program(words: list[Word]) -> tuple[str, int]:
    """The program a simple command runs (basename) and its index, past ``sudo``, ``env`` and ``A=b``."""
    i = 0
    while i < len(words):
        w = words[i].text
        if _ASSIGN.match(w):
            i += 1
            continue
        base = w.rsplit("/", 1)[-1]
        if base in _WRAPPERS:
            i += 1
            while i < len(words) and words[i].text.startswith("-"):  # sudo -E, env -i, nice -n 5
                flag = words[i].text
                i += 1
                if flag in ("-u", "-g", "-n") and i < len(words):
                    i += 1
            continue
        if base == "timeout" and i + 1 < len(words):
            i += 2
            continue
        return base, i
    return "", len(words)


_PY_EXPANSION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_PY_EXPANDING = frozenset({"!", "%system", "%sx"})


def expand_word(word: Word, origin: str, scope: Scope, shell_vars: dict[str, str] | None = None
                ) -> tuple[str, bool, Origin | None]:
    """The word with the expansions IPython (``!`` lines) or the cell's shell would make.

    Returns (text, partial, origin): ``partial`` when an expansion is unknown (the
    text stops there), ``origin`` the Python constant an expansion came from.
    """
    text = word.text
    if "{" not in text and "$" not in text:
        return text, False, None
    cut = text.find("{\u2026}")  # the engine's mark for the unknown tail of a partial string
    if cut >= 0:
        head, partial, found = expand_word(Word(text[:cut], word.start, word.end), origin, scope, shell_vars)
        return head, True, found
    out: list[str] = []
    pos = 0
    found: Origin | None = None
    for m in _PY_EXPANSION.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        name = m.group(1) or m.group(2)
        if origin in _PY_EXPANDING:
            v = scope.value(ast.Name(id=name, ctx=ast.Load()))
            if v is not None and isinstance(v.value, (str, int)) and not isinstance(v.value, bool):
                out.append(str(v.value))
                found = found or v.origin or scope.binding_origin(name)
                if v.partial:
                    return "".join(out), True, found
                continue
        if m.group(2) is not None and shell_vars and name in shell_vars:
            out.append(shell_vars[name])
            continue
        return "".join(out), True, found
    out.append(text[pos:])
    return "".join(out), False, found


def shell_vars_before(cmd, ctx) -> dict[str, str]:
    """``NAME=value`` / ``export NAME=value`` lines earlier in the same shell cell."""
    code = getattr(ctx, "code", None)
    if code is None or cmd.origin not in ("%%bash", "%%sh", "%%script", "%%system"):
        return {}
    out: dict[str, str] = {}
    for other in code.shell:
        if other.line >= cmd.line:
            break
        for words in shell_commands(other.text):
            ws = words[1:] if words and words[0].text in ("export", "declare", "local", "readonly") else words
            if len(ws) == 1 and _ASSIGN.match(ws[0].text):
                k, v = ws[0].text.split("=", 1)
                out[k] = v
    return out


def word_urls(cmd, words: list[Word], ctx, skip: int = 0) -> Iterator[tuple[Word, UrlInfo]]:
    """URLs among ``words[skip:]`` (also in ``--opt=URL`` and after ``{var}`` expansion)."""
    svars = shell_vars_before(cmd, ctx)
    for w in words[skip:]:
        text, partial, origin = expand_word(w, cmd.origin, ctx.scope, svars)
        k = _url_start(text)
        if k < 0:
            continue
        info = parse_url(text[k:], partial, origin)
        if info is not None:
            yield w, info


def _url_start(text: str) -> int:
    m = re.search(r"[A-Za-z][A-Za-z0-9+.\-]*://", text)
    if not m:
        return -1
    if m.start() == 0 or text[m.start() - 1] in "=:'\"@":
        return m.start()
    return -1


def word_span(cmd, word: Word, ctx) -> tuple[int, int, int, int]:
    """The span of the URL inside ``word`` when it is written out, else of the whole word."""
    raw = cmd.text[word.start:word.end]
    m = re.search(r"[A-Za-z][A-Za-z0-9+.\-]*://", raw)
    start, end = word.start, word.end
    if m:
        start += m.start()
        if raw[-1:] in "'\"" and len(raw) > 1:
            end -= 1
    if cmd.origin.startswith(("!", "%")):
        return ctx.shell_span(cmd, start, end)
    # A command string from Python (os.system, subprocess): offsets map into the source
    # only when it is a plain string literal; otherwise point at the whole argument.
    lines = ctx.view.lines
    src = lines[cmd.line - 1][cmd.col - 1:] if 0 < cmd.line <= len(lines) else ""
    q = re.match(r"[rRuUfFbB]{0,2}(['\"])", src)
    known = cmd.text.split("{\u2026}", 1)[0]
    if q and cmd.end_line in (0, cmd.line) and src[q.end():].startswith(known) and start < len(known):
        shift = q.end()
        return cmd.line, cmd.col + shift + start, cmd.line, cmd.col + shift + min(end, len(known) + 1)
    return ctx.shell_span(cmd, 0, len(cmd.text))


def option_value(words: list[Word], names: tuple[str, ...], start: int = 0) -> tuple[int, str] | None:
    """Index and value of ``--name value`` / ``--name=value`` / ``-n value`` (first match)."""
    for i in range(start, len(words)):
        t = words[i].text
        for name in names:
            if t == name and i + 1 < len(words):
                return i, words[i + 1].text
            if name.startswith("--") and t.startswith(name + "="):
                return i, t[len(name) + 1:]
    return None


def short_flags(word: str, takes_arg: str = "") -> str:
    """Letters of a short-option cluster (``-sSLk`` -> ``sSLk``), up to one that takes an argument."""
    if not word.startswith("-") or word.startswith("--") or len(word) < 2:
        return ""
    out = []
    for ch in word[1:]:
        if not ch.isalpha():
            break
        out.append(ch)
        if ch in takes_arg:
            break
    return "".join(out)


_CURL_TAKES_ARG = "oHdXuAeFTwxbcmrKECyYzUQDtP"
_CRED_HEADER = re.compile(r"^\s*(?:authorization|proxy-authorization|cookie|x-api-key|api-?key|x-auth-token"
                          r"|private-token|x-goog-api-key|[\w-]*(?:token|secret|api[-_]?key)[\w-]*)\s*:", re.I)


def shell_sends(prog: str, words: list[Word], start: int = 0) -> tuple[str | None, str | None]:
    """(credentials, data) a ``curl`` / ``wget`` command sends, in words; None for none."""
    creds = data = None
    i = start
    while i < len(words):
        t = words[i].text
        nxt = words[i + 1].text if i + 1 < len(words) else ""
        opt, _, inline = t.partition("=") if t.startswith("--") else (t, "", "")
        val = inline or nxt
        if prog == "curl":
            flags = short_flags(t, _CURL_TAKES_ARG)
            last = flags[-1:] if flags else ""
            sval = t[1 + len(flags):] or nxt if flags else ""
            if opt in ("--user", "--oauth2-bearer", "--cookie") or last in ("u", "b"):
                creds = creds or f"'{t if not flags else '-' + last}'"
            elif (opt == "--header" or last == "H") and _CRED_HEADER.match(val if opt == "--header" else sval):
                creds = creds or "an authorization header"
            elif opt in ("--data", "--data-binary", "--data-raw", "--data-urlencode", "--form", "--upload-file",
                         "--json", "--form-string") or last in ("d", "F", "T"):
                data = data or f"'{opt if opt.startswith('--') else '-' + last}'"
            elif (opt == "--request" or last == "X") and (val if opt == "--request" else sval).upper() in (
                    "POST", "PUT", "PATCH"):
                data = data or f"a {(val if opt == '--request' else sval).upper()} request"
        elif prog == "wget":
            if opt in ("--user", "--password", "--http-user", "--http-password", "--ftp-user", "--ftp-password",
                       "--load-cookies"):
                creds = creds or f"'{opt}'"
            elif opt == "--header" and _CRED_HEADER.match(val):
                creds = creds or "an authorization header"
            elif opt in ("--post-data", "--post-file", "--body-data", "--body-file"):
                data = data or f"'{opt}'"
            elif opt == "--method" and val.upper() in ("POST", "PUT", "PATCH"):
                data = data or f"a {val.upper()} request"
        i += 1
    return creds, data
