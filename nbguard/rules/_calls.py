"""HTTP client calls, environment settings and known values, for the transport rules.

* :func:`http_call` recognises ``requests``/``httpx``/``aiohttp`` requests (module
  functions and session or client methods) and says which argument is the URL
  and which HTTP method is used.
* :func:`env_sets` / :func:`magic_env_sets` find environment variables set in
  Python (``os.environ[K] = v``, ``setdefault``, ``update``, ``putenv``) and by
  ``%env`` / ``%set_env``.
* :func:`known_false` / :func:`known_true` read a flag's statically known value
  (``verify=0`` and a constant from an earlier cell count; ``None`` is not false).
* :func:`credentials_sent` / :func:`data_sent` describe what a request carries.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis import CallSite, DictEntry, Scope, Value
from ._filters import is_secret_name

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
SENDING_VERBS = frozenset({"post", "put", "patch"})
# The last names http_call accepts (it returns None for any other callee): a rule that
# reports only what http_call finds may use them as ``call_names``.
HTTP_CALL_NAMES = VERBS | {"request", "stream"}

_CLIENTS = {
    "requests": ("requests", False), "requests.api": ("requests", False),
    "requests.Session()": ("requests", True), "requests.session()": ("requests", True),
    "requests.sessions.Session()": ("requests", True),
    "httpx": ("httpx", False), "httpx.Client()": ("httpx", True), "httpx.AsyncClient()": ("httpx", True),
    "aiohttp": ("aiohttp", False), "aiohttp.ClientSession()": ("aiohttp", True),
}


@dataclass(frozen=True)
class HttpCall:
    library: str  # "requests" | "httpx" | "aiohttp"
    method: str  # "get", "post"... ; "" when the method is not known statically
    url: ast.expr | None
    session: bool  # a Session/Client method rather than a module function


def http_call(call: CallSite) -> HttpCall | None:
    """``requests.get(u)``, ``requests.request("POST", u)``, ``s.get(u)`` on a Session, httpx, aiohttp."""
    head, _, attr = call.qualname.rpartition(".")
    lib = _CLIENTS.get(head)
    if lib is None:
        return None
    library, session = lib
    if attr not in HTTP_CALL_NAMES:
        return None
    if attr in VERBS:
        if library == "aiohttp" and not session:
            return None
        return HttpCall(library, attr, call.arg("url", 0), session)
    if attr == "request" or (attr == "stream" and library == "httpx"):
        m = call.value("method", 0)
        method = m.value.lower() if m is not None and isinstance(m.value, str) and not m.partial else ""
        return HttpCall(library, method, call.arg("url", 1), session)
    return None


# -- values ----------------------------------------------------------------------

def known_false(v: Value | None) -> bool:
    """A flag set to a known falsy value (``False``, ``0``, ``""``); ``None`` means "default"."""
    if v is None or v.partial or v.value is None:
        return False
    if isinstance(v.value, (bool, int, float, str)):
        return not v.value
    return False


def known_true(v: Value | None) -> bool:
    if v is None or v.partial or v.value is None:
        return False
    if isinstance(v.value, (bool, int, float)):
        return bool(v.value)
    if isinstance(v.value, str):
        return v.value.strip().lower() in ("1", "true", "yes", "on")
    return False


def dict_value(scope: Scope, expr: ast.expr | None) -> dict | None:
    """A statically known dict: ``{key: DictEntry}``."""
    if expr is None:
        return None
    v = scope.value(expr)
    return v.value if v is not None and isinstance(v.value, dict) else None


def entry_value(entry) -> Value | None:
    return entry.value if isinstance(entry, DictEntry) else None


def describe_value(node: ast.expr, scope: Scope) -> str:
    """`` ('VERIFY' set in cell 2, line 1)`` when the value came from a named constant."""
    v = scope.value(node)
    if v is not None and v.origin is not None:
        return f" ({v.origin.describe()})"
    return ""


# -- what a request carries ----------------------------------------------------------

_CRED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey",
                           "x-auth-token", "x-access-token", "private-token", "x-goog-api-key", "ocp-apim-subscription-key"})


def is_credential_key(key: str) -> bool:
    k = key.strip().lower()
    return k in _CRED_HEADERS or is_secret_name(key)


def credentials_sent(call: CallSite, url_text: str = "") -> str | None:
    """What credentials a request sends, in words, or None."""
    auth = call.arg("auth", None)
    if auth is not None and not (isinstance(auth, ast.Constant) and auth.value is None):
        return "auth="
    for kw, what in (("headers", "header"), ("cookies", "cookie"), ("params", "query parameter")):
        d = dict_value(call.scope, call.arg(kw, None))
        if d:
            for key in d:
                if isinstance(key, str) and (kw == "cookies" or is_credential_key(key)):
                    return f"the '{key}' {what}"
        elif kw == "cookies" and call.arg(kw, None) is not None:
            return "cookies"
    if url_text and _URL_CREDENTIALS.search(url_text):
        return "credentials in the URL"
    return None


_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/@\s:]+:[^/@\s]*@"
                              r"|[?&](?:api_?key|apikey|key|token|access_token|auth|password|sig|secret|appid|app_?key"
                              r"|access_?key|subscription-?key)=", re.IGNORECASE)


def url_has_credentials(url: str) -> bool:
    """``http://user:pw@host/`` or ``?api_key=...`` in a URL."""
    return bool(_URL_CREDENTIALS.search(url))


def data_sent(call: CallSite, http: HttpCall) -> str | None:
    """What data a request uploads, in words, or None."""
    for kw in ("data", "json", "files", "content"):
        e = call.arg(kw, None)
        if e is not None and not (isinstance(e, ast.Constant) and e.value is None):
            return f"{kw}="
    if http.method in SENDING_VERBS:
        return f"a {http.method.upper()} request"
    return None


# -- environment -----------------------------------------------------------------

@dataclass(frozen=True)
class EnvSet:
    name: str
    value: Value | None  # None when not known statically
    node: ast.AST  # the value's node, for the report


_ENV_SET_PAIRS = ("os.environ.setdefault", "os.putenv", "os.environ.__setitem__")
# Every call env_sets reads: a rule whose check_call only looks at env_sets of an os.* call
# may use their last names (ENV_SET_CALL_NAMES) as call_names.
ENV_SET_CALLS = _ENV_SET_PAIRS + ("os.environ.update",)
ENV_SET_CALL_NAMES = frozenset(q.rpartition(".")[2] for q in ENV_SET_CALLS)


def env_sets(node: ast.AST, scope: Scope) -> Iterator[EnvSet]:
    """Environment variables an ``ast.Assign`` or ``ast.Call`` sets."""
    if isinstance(node, ast.Assign):
        for t in node.targets:
            if isinstance(t, ast.Subscript) and scope.qualname(t.value) == "os.environ":
                k = scope.value(t.slice)
                if k is not None and isinstance(k.value, str) and not k.partial:
                    yield EnvSet(k.value, scope.value(node.value), node.value)
        return
    if not isinstance(node, ast.Call):
        return
    q = scope.qualname(node.func) or ""
    if q in _ENV_SET_PAIRS and len(node.args) >= 2:
        k = scope.value(node.args[0])
        if k is not None and isinstance(k.value, str) and not k.partial:
            yield EnvSet(k.value, scope.value(node.args[1]), node.args[1])
    elif q == "os.environ.update":
        for kw in node.keywords:
            if kw.arg is not None:
                yield EnvSet(kw.arg, scope.value(kw.value), kw.value)
        if node.args and isinstance(node.args[0], ast.Dict):
            for k_node, v_node in zip(node.args[0].keys, node.args[0].values):
                if k_node is None:
                    continue
                k = scope.value(k_node)
                if k is not None and isinstance(k.value, str) and not k.partial:
                    yield EnvSet(k.value, scope.value(v_node), v_node)


_ENV_MAGIC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*|\s+)(.*)$")


def magic_env_sets(magic) -> tuple[str, str, int] | None:
    """``%env K=V`` / ``%env K V`` / ``%set_env K V`` -> (name, value, offset of the value in args)."""
    if magic.name not in ("env", "set_env", "setenv"):
        return None
    m = _ENV_MAGIC.match(magic.args)
    if not m:
        return None
    value = m.group(3).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return m.group(1), value, m.start(3)


def contains(root: ast.AST, target: ast.AST) -> bool:
    """Is ``target`` (this very node) ``root`` or under it? (``any(n is target for n in ast.walk(root))``)"""
    AST = ast.AST
    stack = [root]
    while stack:
        n = stack.pop()
        if n is target:
            return True
        for name in n._fields:
            v = getattr(n, name, None)
            if v.__class__ is list:
                stack.extend([x for x in v if isinstance(x, AST)])
            elif isinstance(v, AST):
                stack.append(v)
    return False


def anchor(call: CallSite, node: ast.AST | None, fallback: ast.AST | None = None) -> ast.AST:
    """Where to report an argument of ``call``.

    An argument found through ``**kwargs`` is a node of the dict literal, which may
    sit in another statement or cell; report on the ``**kwargs`` expression instead.
    """
    if node is not None and contains(call.node, node):
        return node
    if fallback is not None and contains(call.node, fallback):
        return fallback
    for kw in call.node.keywords:
        if kw.arg is None:
            return kw.value
    return call.node.func


def last_names(*groups) -> frozenset[str]:
    """The last parts of dotted callee names (``torch.load`` -> ``load``): a rule's
    ``call_names``, derived from the same table its check matches against."""
    return frozenset(name.rpartition(".")[2] for group in groups for name in group)


def may_have_kw(call: CallSite, names: frozenset[str]) -> bool:
    """Cheap pre-check: could one of ``names`` be passed by keyword (``**kwargs`` included)?"""
    for k in call.node.keywords:
        if k.arg is None or k.arg in names:
            return True
    return False
