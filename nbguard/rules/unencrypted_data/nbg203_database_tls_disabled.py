from __future__ import annotations

import ast
import re
from urllib.parse import parse_qsl

from ...model import Severity
from .._calls import anchor, dict_value, entry_value, env_sets, known_false, known_true, magic_env_sets, may_have_kw
from .._hosts import authority_hosts
from .._urls import is_internal_host
from ..base import Rule

_DB_SCHEMES = {"postgres": "PostgreSQL", "postgresql": "PostgreSQL", "pgsql": "PostgreSQL", "mysql": "MySQL",
               "mariadb": "MariaDB", "mongodb": "MongoDB", "redis": "Redis", "rediss": "Redis",
               "mssql": "SQL Server"}
_WEAK_SSLMODES = {
    "disable": "sslmode=disable sends queries, results and the password exchange in cleartext",
    "allow": "sslmode=allow connects in cleartext unless the server insists on TLS",
    "prefer": "sslmode=prefer falls back to cleartext and never checks the server certificate",
}
# Calls that only display or take apart a string: a DSN given to them opens no connection.
_NOT_SINKS = frozenset({"print", "display", "repr", "str", "len", "format", "append", "extend", "join", "split",
                        "replace", "startswith", "endswith", "strip", "encode", "urlparse", "urlsplit", "make_url",
                        "info", "debug", "warning", "warn", "error", "exception", "log", "write", "Markdown",
                        "HTML", "get", "getenv", "setdefault", "compile", "match", "search", "sub", "findall"})
_PSYCOPG = ("psycopg2.connect", "psycopg.connect", "psycopg.AsyncConnection.connect", "psycopg.Connection.connect")
_MONGO = ("MongoClient", "AsyncIOMotorClient", "AsyncMongoClient", "MotorClient")
_REDIS = ("redis.Redis", "redis.StrictRedis", "redis.asyncio.Redis", "redis.client.Redis", "aioredis.Redis",
          "redis.asyncio.client.Redis")


_REDIS_PSYCOPG = frozenset(_REDIS + _PSYCOPG)
_KW_NAMES = frozenset({"host", "sslmode", "ssl_mode", "connect_args", "query", "ssl_disabled", "ssl", "tls",
                       "tlsAllowInvalidCertificates", "tlsInsecure", "tlsAllowInvalidHostnames", "ssl_cert_reqs"})
_STRINGISH = (ast.Constant, ast.Name, ast.JoinedStr, ast.BinOp, ast.Call, ast.Attribute)
_STRINGISH_TYPES = frozenset(_STRINGISH)  # parsed trees hold these exact classes


def _q(text: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(text, keep_blank_values=True)}


def _all_local(hosts: list[str]) -> bool:
    return all(not h or h.startswith("/") or "%2f" in h or is_internal_host(h) for h in hosts)


def _loopback(h: str) -> bool:
    """The same machine: no host (the default Unix socket), a socket path, localhost, 127/8, ::1."""
    return not h or h.startswith("/") or "%2f" in h or h in ("localhost", "::1") or h.startswith("127.") \
        or h.endswith(".localhost")


def _reach(hosts: list[str]) -> str:
    """"loopback" (TLS adds nothing), "internal" (a single-label, cluster or LAN name: still a
    network hop, where turning TLS off is a lower-severity finding) or "remote"."""
    if all(_loopback(h) for h in hosts):
        return "loopback"
    return "internal" if _all_local(hosts) else "remote"


_INTERNAL_NOTE = " (an internal host, but still a network hop)"


def dsn_problem(text: str, complete: bool) -> tuple[Severity, str, str] | None:
    """(severity, message, host) for a connection string without verified TLS, or None.

    ``complete`` is False when only part of the text is known (an f-string with
    unknown fields): absences then prove nothing.
    """
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9]*)(?:\+[\w.]+)?://", text)
    if not m:
        return _keyword_dsn(text)
    scheme = m.group(1).lower()
    kind = _DB_SCHEMES.get(scheme)
    if kind is None:
        return None
    rest = text[m.end():]
    netloc, _, tail = rest.partition("/")
    if "?" in netloc:
        netloc, _, q = netloc.partition("?")
        tail = "?" + q
    query = _q(tail.split("?", 1)[1]) if "?" in tail else {}
    hosts = authority_hosts(netloc)
    if "host" in query:
        hosts = [query["host"].lower()]
    if "\x00" in "".join(hosts) or (not complete and not netloc):
        hosts_known = False
    else:
        hosts_known = True
        reach = _reach(hosts)
        if reach == "loopback":
            return None
        if reach == "internal":
            # TLS switched off on purpose is a finding (lower); its mere absence is not, inside a cluster
            problem = _dsn_problem(scheme, kind, m, query, hosts, True, complete)
            if problem is None or not problem[3]:
                return None
            return Severity.LOW, problem[1] + _INTERNAL_NOTE, problem[2]
    problem = _dsn_problem(scheme, kind, m, query, hosts, hosts_known, complete)
    return problem[:3] if problem is not None else None


def _dsn_problem(scheme: str, kind: str, m: re.Match, query: dict, hosts: list[str], hosts_known: bool,
                 complete: bool) -> tuple[Severity, str, str, bool] | None:
    """dsn_problem's findings with a flag: True when TLS is switched off explicitly (a parameter
    says so), False when the finding is the absence of TLS (no sslmode, redis://)."""
    host = hosts[0] if hosts_known and hosts else ""
    where = f" to {host}" if host else ""
    if kind == "PostgreSQL":
        mode = query.get("sslmode", "").lower()
        if mode in _WEAK_SSLMODES:
            return Severity.MEDIUM, f"PostgreSQL connection{where}: {_WEAK_SSLMODES[mode]}", host, True
        if not mode and complete and hosts_known:
            return (Severity.LOW, (f"PostgreSQL connection{where} without sslmode: libpq defaults to "
                                  f"'prefer', which never checks the server certificate"), host, False)
    elif kind in ("MySQL", "MariaDB"):
        if query.get("ssl_disabled", "").lower() in ("true", "1") or \
                query.get("ssl_mode", query.get("ssl-mode", "")).lower() == "disabled":
            return Severity.MEDIUM, f"{kind} connection{where} with TLS disabled", host, True
    elif kind == "MongoDB":
        for key in ("tls", "ssl"):
            if query.get(key.lower(), "").lower() == "false":
                return Severity.MEDIUM, f"MongoDB connection{where} with {key}=false", host, True
        for key in ("tlsallowinvalidcertificates", "tlsinsecure", "tlsallowinvalidhostnames"):
            if query.get(key, "").lower() == "true":
                return Severity.MEDIUM, f"MongoDB connection{where} that does not verify the server ({key})", host, True
        if m.group(0).rstrip("/").lower().startswith("mongodb:") and "+srv" not in m.group(0).lower() \
                and complete and hosts_known and not any(query.get(k, "").lower() == "true" for k in ("tls", "ssl")):
            return (Severity.MEDIUM, (f"MongoDB connection{where} over mongodb:// without tls=true: "
                                     f"queries, results and credentials travel in cleartext"), host, False)
    elif kind == "Redis":
        if scheme == "redis" and hosts_known:
            return (Severity.MEDIUM, (f"Redis connection{where} over redis://: commands, data and the AUTH "
                                     f"password travel in cleartext (use rediss://)"), host, False)
        if scheme == "rediss" and query.get("ssl_cert_reqs", "").lower() in ("none", "cert_none"):
            return (Severity.MEDIUM, f"Redis connection{where} with ssl_cert_reqs=none: the certificate is not checked",
                    host, True)
    return None


_KV_SSLMODE = re.compile(r"(?:^|\s)sslmode\s*=\s*'?(disable|allow|prefer)\b", re.IGNORECASE)
_KV_HOST = re.compile(r"(?:^|\s)host(?:addr)?\s*=\s*'?([^\s']*)", re.IGNORECASE)
_ODBC_WEAK = re.compile(r"(?:^|;)\s*(encrypt\s*=\s*(?:no|false|optional)|trustservercertificate\s*=\s*(?:yes|true))\s*(?:;|$)",
                        re.IGNORECASE)
_ODBC_SERVER = re.compile(r"(?:^|;)\s*(?:server|data source|address|addr)\s*=\s*(?:tcp:)?([^;,\\]*)", re.IGNORECASE)


def _keyword_dsn(text: str) -> tuple[Severity, str, str] | None:
    """libpq ``"host=db.example.com sslmode=disable"`` and ODBC ``"Server=...;Encrypt=no"``."""
    m = _KV_SSLMODE.search(text)
    if m and "=" in text:
        h = _KV_HOST.search(text)
        host = h.group(1).lower() if h else ""
        reach = "remote" if "\x00" in host else _reach([host])
        if reach == "loopback":
            return None
        host = "" if "\x00" in host else host
        mode = m.group(1).lower()
        msg = f"PostgreSQL connection{' to ' + host if host else ''}: {_WEAK_SSLMODES[mode]}"
        if reach == "internal":
            return Severity.LOW, msg + _INTERNAL_NOTE, host
        return Severity.MEDIUM, msg, host
    m = _ODBC_WEAK.search(text)
    if m:
        s = _ODBC_SERVER.search(text)
        host = s.group(1).strip().lower() if s else ""
        reach = "remote" if "\x00" in host else _reach([host])
        if reach == "loopback":
            return None
        host = "" if "\x00" in host else host
        msg = (f"SQL Server connection{' to ' + host if host else ''} with "
               f"'{' '.join(m.group(1).split())}': traffic is not protected by a verified TLS")
        if reach == "internal":
            return Severity.LOW, msg + _INTERNAL_NOTE, host
        return Severity.MEDIUM, msg, host
    return None


def template(expr: ast.expr | None, scope) -> tuple[str, bool] | None:
    """The text of a string expression with unknown parts as ``\\x00``, and whether it is complete."""
    if expr is None:
        return None
    v = scope.value(expr)
    if v is not None and isinstance(v.value, str) and not v.partial:
        return v.value, True
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for p in expr.values:
            if isinstance(p, ast.Constant) and isinstance(p.value, str):
                parts.append(p.value)
            else:
                pv = scope.value(p.value) if isinstance(p, ast.FormattedValue) else None
                parts.append(str(pv.value) if pv is not None and not pv.partial and p.format_spec is None
                             and isinstance(pv.value, (str, int)) else "\x00")
        return "".join(parts), "\x00" not in "".join(parts)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format" \
            and isinstance(expr.func.value, ast.Constant) and isinstance(expr.func.value.value, str):
        return re.sub(r"\{[^{}]*\}", "\x00", expr.func.value.value), False
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = template(expr.left, scope), template(expr.right, scope)
        lt = left[0] if left else "\x00"
        rt = right[0] if right else "\x00"
        return lt + rt, bool(left and right and left[1] and right[1])
    if v is not None and isinstance(v.value, str):
        return v.value + "\x00", False
    return None


def _dsn_hosts(text: str) -> list[str] | None:
    """Hosts named by a DSN (URL or libpq keywords); None when they are not known."""
    m = re.match(r"\s*[A-Za-z][A-Za-z0-9]*(?:\+[\w.]+)?://", text)
    if m:
        netloc = re.split(r"[/?]", text[m.end():], maxsplit=1)[0]
        q = text.split("?", 1)[1] if "?" in text else ""
        hosts = [_q(q)["host"].lower()] if "host" in _q(q) else authority_hosts(netloc)
    else:
        h = _KV_HOST.search(text)
        hosts = [h.group(1).lower()] if h else [""]
    return None if any("\x00" in h for h in hosts) else hosts


def _call_reach(call, host_text: str | None) -> str:
    """Where a connect call goes (host=, or the DSN it is given): see :func:`_reach`."""
    if host_text is not None:
        return _reach([host_text])
    if call.arg("host", None) is not None:
        return "remote"  # a host that is not known statically
    if not call.node.args:
        return "loopback"  # no host, no DSN: the default Unix socket
    t = template(call.node.args[0], call.scope)
    hosts = _dsn_hosts(t[0]) if t is not None else None
    return _reach(hosts) if hosts is not None else "remote"


class DatabaseTlsDisabled(Rule):
    """## What it does
    Finds database connections that do not use verified TLS to a remote host.

    PostgreSQL `sslmode=disable|allow|prefer` (in a DSN, `connect_args`, a libpq
    keyword string, a psycopg `sslmode=` argument or `PGSSLMODE`), MySQL
    `ssl_disabled=True`, MongoDB `tls=False`/`ssl=False`/`tlsAllowInvalidCertificates`/
    `tlsInsecure` and `mongodb://` without `tls=true`, `redis://` (not `rediss://`),
    and SQL Server `Encrypt=no`/`TrustServerCertificate=yes`. A remote PostgreSQL DSN
    with no `sslmode` at all is reported at low severity: libpq then uses `prefer`.
    TLS switched off on purpose to an internal host (a single-label or cluster name such
    as `analytics-db`, `postgres`, `*.svc.cluster.local`) is reported at low severity: it
    is still a network hop; its mere absence there is not reported. Loopback, Unix sockets
    and the Cloud SQL socket path are exempt.

    ## Why is this bad?
    Without TLS, queries, result sets (often the very data the notebook analyses)
    and, for Redis and some MySQL setups, passwords cross the network in cleartext.
    `prefer` and `allow` are no better against an active attacker: they accept a
    downgrade to cleartext and never check who answers.

    ## Example
    ```python
    engine = create_engine("postgresql://analyst:{pw}@db.example.org/sales?sslmode=disable")
    ```

    Use instead:
    ```python
    engine = create_engine(
        "postgresql://analyst@db.example.org/sales",
        connect_args={"sslmode": "verify-full", "sslrootcert": "ca.pem"},
    )
    ```

    ## References
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html)
    - [PostgreSQL: SSL support, sslmode](https://www.postgresql.org/docs/current/libpq-ssl.html)
    - [MongoDB: TLS options](https://www.mongodb.com/docs/manual/reference/connection-string-options/#tls-options)
    - No bandit, ruff or semgrep rule checks `sslmode`.
    """

    code = "NBG203"
    name = "database-tls-disabled"
    category = "unencrypted-data"
    severity = Severity.MEDIUM
    cwe = 319
    peers = ()
    fix = "connect with verified TLS: sslmode=verify-full (+ sslrootcert), tls=true, rediss://"
    nodes = (ast.Assign,)

    # -- calls -------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        if call.qualname.startswith("os."):
            self._env(call.node, ctx)
            return
        if call.attr in _NOT_SINKS:
            return
        args, keywords = call.node.args, call.node.keywords
        explicit_tls = self._kw_problems(call, ctx) if keywords and may_have_kw(call, _KW_NAMES) else False
        if explicit_tls is None:
            return  # already reported from a keyword
        reported = False
        scope = call.scope
        for node in (args + [k.value for k in keywords if k.arg is not None]) if keywords else args:
            kind = type(node)
            if kind is ast.Constant:
                if not (isinstance(node.value, str) and ("://" in node.value or "=" in node.value)):
                    continue
            elif kind not in _STRINGISH_TYPES:
                continue
            elif kind is ast.Name or kind is ast.Attribute:
                # template() of a name is its string value (or None): test that value first
                v = scope.value(node)
                if v is None or not isinstance(v.value, str) or ("://" not in v.value and "=" not in v.value):
                    continue
            t = template(node, scope)
            if t is None or ("://" not in t[0] and "=" not in t[0]):
                continue
            problem = dsn_problem(t[0], t[1])
            if problem is None:
                continue
            sev, msg, _host = problem
            if explicit_tls and (sev == Severity.LOW or "without tls=true" in msg):
                continue
            v = call.scope.value(node)
            src = f" (DSN from {v.origin.describe()})" if v is not None and v.origin else ""
            ctx.report_node(self, node, msg + src, severity=sev)
            reported = True
        if not reported and (call.qualname in _REDIS_PSYCOPG or call.qualname.endswith(_MONGO)):
            self._mongo_redis_kwargs(call, ctx)  # (its own first test, done here for every call)

    def _kw_problems(self, call, ctx) -> bool | None:
        """Report keyword-level problems. None when reported; else whether TLS is set explicitly."""
        scope = call.scope
        host = call.value("host", None)
        host_text = host.value.lower() if host is not None and isinstance(host.value, str) and not host.partial else None
        reach = _call_reach(call, host_text)
        local = reach == "loopback"
        # TLS switched off to an internal host: reported, lower (the note says why)
        sev, note = (Severity.LOW, _INTERNAL_NOTE) if reach == "internal" else (None, "")
        explicit = False
        for name in ("sslmode", "ssl_mode"):
            v = call.value(name, None)
            if v is not None and isinstance(v.value, str) and not v.partial:
                explicit = True
                mode = v.value.lower()
                if mode in _WEAK_SSLMODES and not local:
                    ctx.report_node(self, anchor(call, call.arg(name, None)),
                                    f"PostgreSQL connection{' to ' + host_text if host_text else ''}: "
                                    f"{_WEAK_SSLMODES[mode]}{note}", severity=sev)
                    return None
                if mode == "disabled" and not local:
                    ctx.report_node(self, anchor(call, call.arg(name, None)), "MySQL connection with ssl_mode=DISABLED" + note,
                                    severity=sev)
                    return None
        for holder in ("connect_args", "query"):
            d = dict_value(scope, call.arg(holder, None))
            if not d:
                continue
            for key, entry in d.items():
                v = entry_value(entry)
                if key == "sslmode" and v is not None and isinstance(v.value, str) and not v.partial:
                    explicit = True
                    if v.value.lower() in _WEAK_SSLMODES and not local:
                        ctx.report_node(self, anchor(call, getattr(entry, "expr", None)),
                                        f"PostgreSQL connection: {_WEAK_SSLMODES[v.value.lower()]}" + note, severity=sev)
                        return None
                if key == "ssl_disabled" and known_true(v) and not local:
                    ctx.report_node(self, anchor(call, getattr(entry, "expr", None)),
                                    "MySQL connection with ssl_disabled=True" + note, severity=sev)
                    return None
                if key in ("ssl", "tls", "ssl_ca", "sslrootcert"):
                    explicit = True
        v = call.value("ssl_disabled", None)
        if known_true(v) and not local:
            ctx.report_node(self, anchor(call, call.arg("ssl_disabled", None)),
                            f"MySQL connection{' to ' + host_text if host_text else ''} with ssl_disabled=True" + note,
                            severity=sev)
            return None
        if call.qualname.startswith("asyncpg.") and call.attr in ("connect", "create_pool"):
            v = call.value("ssl", None)
            if v is not None and (known_false(v) or v.value == "disable") and not local:
                ctx.report_node(self, anchor(call, call.arg("ssl", None)),
                                "PostgreSQL (asyncpg) connection with ssl disabled" + note, severity=sev)
                return None
        for name in ("tls", "ssl"):
            v = call.value(name, None)
            if v is not None and v.value is not None:
                explicit = True
        return explicit

    def _mongo_redis_kwargs(self, call, ctx) -> None:
        q = call.qualname
        if not (q.endswith(_MONGO) or q in _REDIS or q in _PSYCOPG):
            return
        host = call.value("host", 0)
        host_text = host.value.strip() if host is not None and isinstance(host.value, str) and not host.partial \
            else None
        if host_text is not None:
            netloc = host_text.split("://", 1)[1].split("/", 1)[0] if "://" in host_text else host_text
            if _all_local(authority_hosts(netloc)):
                return
        if q.endswith(_MONGO):
            for name in ("tls", "ssl"):
                if known_false(call.value(name, None)):
                    ctx.report_node(self, anchor(call, call.arg(name, None)), f"MongoDB connection with {name}=False")
                    return
            for name in ("tlsAllowInvalidCertificates", "tlsInsecure", "tlsAllowInvalidHostnames"):
                if known_true(call.value(name, None)):
                    ctx.report_node(self, anchor(call, call.arg(name, None)),
                                    f"MongoDB connection that does not verify the server ({name}=True)")
                    return
            cr = call.arg("ssl_cert_reqs", None)
            if cr is not None and (call.scope.qualname(cr) or "").endswith("CERT_NONE"):
                ctx.report_node(self, anchor(call, cr), "MongoDB connection with ssl_cert_reqs=CERT_NONE")
            return
        if q in _REDIS and host_text is not None and "://" not in host_text and not call.has_opaque_kwargs():
            if known_true(call.value("ssl", None)):
                cr = call.arg("ssl_cert_reqs", None)
                crv = call.value("ssl_cert_reqs", None)
                if cr is not None and crv is not None and (crv.value is None or str(crv.value).lower() == "none"):
                    ctx.report_node(self, anchor(call, cr),
                                    "Redis TLS connection with ssl_cert_reqs=None: the certificate is not checked")
                return
            ctx.report_node(self, anchor(call, call.arg("host", 0)),
                            f"Redis connection to {host_text.lower()} without ssl=True: commands, data and the "
                            f"AUTH password travel in cleartext")
            return
        if q in _PSYCOPG and host_text is not None and call.arg("sslmode", None) is None \
                and not call.node.args and not call.has_opaque_kwargs():
            ctx.report_node(self, anchor(call, call.arg("host", None)),
                            f"PostgreSQL connection to {host_text.lower()} without sslmode: libpq defaults to "
                            f"'prefer', which never checks the server certificate", severity=Severity.LOW)

    # -- environment -------------------------------------------------------------
    def check_node(self, node, ctx) -> None:
        self._env(node, ctx)

    def _env(self, node, ctx) -> None:
        for e in env_sets(node, ctx.scope):
            if e.value is None or not isinstance(e.value.value, str):
                continue
            if e.name == "PGSSLMODE" and e.value.value.lower() in _WEAK_SSLMODES:
                ctx.report_node(self, e.node, f"PGSSLMODE={e.value.value}: {_WEAK_SSLMODES[e.value.value.lower()]}")
            elif "://" in e.value.value:
                problem = dsn_problem(e.value.value, not e.value.partial)
                if problem is not None and problem[0] > Severity.LOW:
                    ctx.report_node(self, e.node, f"{problem[1]} (in {e.name})", severity=problem[0])

    def check_magic(self, magic, ctx) -> None:
        env = magic_env_sets(magic)
        if env is not None:
            name, value, off = env
            start = magic.col + off
            span = (magic.line, start, magic.line, start + max(1, len(magic.args) - off))
            if name == "PGSSLMODE" and value.lower() in _WEAK_SSLMODES:
                ctx.report(self, span, f"PGSSLMODE={value}: {_WEAK_SSLMODES[value.lower()]}")
            elif "://" in value:
                problem = dsn_problem(value, True)
                if problem is not None and problem[0] > Severity.LOW:
                    ctx.report(self, span, f"{problem[1]} (in {name})", severity=problem[0])
            return
        if magic.name == "sql":
            m = re.search(r"\b[a-z][a-z0-9]*(?:\+\w+)?://\S+", magic.args)
            if m:
                problem = dsn_problem(m.group(0), True)
                if problem is not None:
                    ctx.report(self, (magic.line, magic.col + m.start(), magic.line, magic.col + m.end()),
                               problem[1], severity=problem[0])
