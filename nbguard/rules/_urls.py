"""URLs as the transport rules see them: in call arguments and in shell lines.

Shared by the unencrypted-data (NBG2xx) and insecure-network (NBG4xx) rules.

* :func:`parse_url` reads a URL, or the known prefix of one (an f-string or a
  concatenation whose tail is unknown), into a :class:`UrlInfo`: scheme, host
  (when the known text settles it) and where the value came from.
* :func:`url_args` finds the URLs passed to one parameter of a call: a string,
  a list of strings or the values of a dict (``data_files={"train": URL}``),
  constants from earlier cells included.
* :func:`invocations` lists the programs a shell line runs (parsed by the shared
  ``_shell`` module); :func:`word_urls` finds the URLs among their arguments,
  resolving IPython's ``{var}`` / ``$var`` expansions in ``!`` lines and ``$VAR``
  set earlier in a ``%%bash`` cell, and :func:`word_span` points at the URL itself.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis import CallSite, DictEntry, Origin, Scope, Value
from ._calls import is_credential_key
from ._hosts import is_internal_host, split_host, split_url
from ._shell import ASSIGN, UNKNOWN_ARG, Invocation, Word, all_commands, resolve
from ._shell import word_span as shell_word_span

_PLACEHOLDER_HOST = re.compile(r"[<>{}$%\[\]*]|^(?:your|my)[-_.]|^x{3,}|^host(?:name)?$|^server$|^ip$|^domain$", re.IGNORECASE)
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
        return self.host_known and is_internal_host(self.host)

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
    parts = split_url(text)
    if parts is None:
        return None
    scheme, netloc, ended = parts
    complete = ended or not partial
    host, closed = split_host(netloc.rsplit("@", 1)[-1])
    known = closed or complete
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


# -- shell -----------------------------------------------------------------------
# Shell lines are parsed by the shared ``_shell`` module; these helpers find URLs in them.


def invocations(text: str) -> list[Invocation]:
    """Every program a command line runs (nested ``$(...)`` and ``sh -c '...'`` included)."""
    return list(_invocations(text))


@lru_cache(maxsize=2048)
def _invocations(text: str) -> tuple[Invocation, ...]:
    # cached: five shell rules ask about the same lines (resolve is pure, Invocation frozen)
    out = []
    for c in all_commands(text):
        inv = resolve(c)
        if inv is not None and inv.program:
            out.append(inv)
    return tuple(out)


_PY_EXPANSION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_PY_EXPANDING = frozenset({"!", "%system", "%sx"})


def expand_word(text: str, origin: str, scope: Scope, shell_vars: dict[str, str] | None = None
                ) -> tuple[str, bool, Origin | None]:
    """A word's text with the expansions IPython (``!`` lines) or the cell's shell would make.

    Returns (text, partial, origin): ``partial`` when an expansion is unknown (the
    text stops there), ``origin`` the Python constant an expansion came from.
    """
    if "{" not in text and "$" not in text:
        return text, False, None
    cut = text.find(UNKNOWN_ARG)  # the engine's mark for the unknown tail of a partial string
    if cut >= 0:
        head, _partial, found = expand_word(text[:cut], origin, scope, shell_vars)
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
    if code is None or not cmd.origin.startswith("%%"):
        return {}
    out: dict[str, str] = {}
    for other in code.shell:
        if other.line >= cmd.line:
            break
        for c in all_commands(other.text):
            ws = c.words
            if ws and ws[0].text in ("export", "declare", "local", "readonly"):
                ws = ws[1:]
            if ws and all(ASSIGN.match(w.text) for w in ws):
                for w in ws:
                    k, v = w.text.split("=", 1)
                    out[k] = v
    return out


def word_urls(cmd, words, ctx) -> Iterator[tuple[Word, UrlInfo]]:
    """URLs among ``words`` (also in ``--opt=URL`` and after ``{var}``/``$VAR`` expansion)."""
    svars = shell_vars_before(cmd, ctx)
    for w in words:
        text, partial, origin = expand_word(w.text, cmd.origin, ctx.scope, svars)
        k = _url_start(text)
        if k < 0:
            continue
        info = parse_url(text[k:], partial, origin)
        if info is not None:
            yield w, info


def _url_start(text: str) -> int:
    """Offset of the URL in a word (``http://...``, ``--url=http://...``), or -1."""
    k = text.find("://")
    if k <= 0:
        return -1
    i = k
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "+.-"):
        i -= 1
    if i == k or not text[i].isalpha():
        return -1
    if i == 0 or text[i - 1] in "=:'\"@":
        return i
    return -1


def word_span(cmd, word: Word, ctx) -> tuple[int, int, int, int]:
    """The span of the URL inside ``word`` when it is written out, else of the whole word."""
    k = _url_start(word.text)
    return shell_word_span(cmd, ctx, word, max(k, 0))


def option_value(words, names: tuple[str, ...]) -> tuple[int, str, Word] | None:
    """``--name value`` / ``--name=value``: (index of the option, its value, the last word)."""
    for i, w in enumerate(words):
        t = w.text
        for name in names:
            if t == name and i + 1 < len(words):
                return i, words[i + 1].text, words[i + 1]
            if name.startswith("--") and t.startswith(name + "="):
                return i, t[len(name) + 1:], w
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
def _credential_header(value: str) -> bool:
    """``-H "Authorization: Bearer ..."``, ``--header=X-API-Key:...``: a header that carries a credential."""
    name, colon, _ = value.partition(":")
    name = name.strip().lower()
    if not colon or not name or len(name) > 100:
        return False
    return is_credential_key(name)


def shell_sends(prog: str, words) -> tuple[str | None, str | None]:
    """(credentials, data) a ``curl`` / ``wget`` command sends, in words; None for none."""
    creds = data = None
    i = 0
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
            elif (opt == "--header" or last == "H") and _credential_header(val if opt == "--header" else sval):
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
            elif opt == "--header" and _credential_header(val):
                creds = creds or "an authorization header"
            elif opt in ("--post-data", "--post-file", "--body-data", "--body-file"):
                data = data or f"'{opt}'"
            elif opt == "--method" and val.upper() in ("POST", "PUT", "PATCH"):
                data = data or f"a {val.upper()} request"
        i += 1
    return creds, data
