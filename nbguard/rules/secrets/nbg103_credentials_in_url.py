from __future__ import annotations

import ast
import re
from typing import Iterator

from ...model import Severity
from .._filters import is_dummy_password, is_templated, looks_like_key
from .._hosts import is_local_host
from ..base import Rule

# scheme://user:password@host  (the password may be empty, templated or a placeholder: checked after)
_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{1,30})://(?P<user>[^\s:/?#@'\"<>\[\]\\]*)"
    r"(?::(?P<pw>[^\s/?#@'\"\\]*))?@(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/?#:@'\"<>\\,;)]+)")
# ?api_key=...&token=...
_QUERY = re.compile(
    r"[?&](?P<key>api[_\-]?key|apikey|access[_\-]?token|auth[_\-]?token|private[_\-]?token|token|client[_\-]?secret"
    r"|password|passwd|key|sig|X-Amz-Security-Token|appid|app[_\-]?key|access[_\-]?key|subscription[_\-]?key)"
    r"=(?P<v>[^&\s'\"#<>\\)]+)", re.I)
_ANCHORS = ("://", "?", "&")
_SCHEME_BEFORE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}$|$")
_URL_REST = re.compile(r"[^\s'\"<>()\\]*")
# Signed URLs carry their expiry: Azure SAS se=, AWS X-Amz-Expires= / Expires=, GCS X-Goog-Expires=.
_EXPIRES = re.compile(r"[?&](?:se|X-Amz-Expires|Expires|X-Goog-Expires)=", re.I)
_IMAGE_PATH = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|bmp|ico|avif|tiff?)(?:[?#]|$)", re.I)
_IMAGE_CONTEXT = re.compile(r"(?:!\[[^\]\n]*\]\(\s*|<img\b[^>\n]*\bsrc\s*=\s*[\"']?|<source\b[^>\n]*\bsrcset\s*=\s*[\"']?)$",
                            re.I)


def _published_image(text: str, start: int, url: str) -> bool:
    """Is the URL at ``start`` an image shown in markdown or HTML (``![..](url)``, ``<img src=url>``,
    or a path ending in an image extension)? Image CDNs put a ``token=`` or ``sig=`` in links
    meant to be embedded in public pages; the notebook publishes them on purpose."""
    if _IMAGE_CONTEXT.search(text, max(0, start - 300), start) is not None:
        return True
    return _IMAGE_PATH.search(url.split("?", 1)[0] + "?") is not None


def userinfo_matches(t: str) -> Iterator[re.Match]:
    """``_USERINFO.finditer(t)``, run only on the lines that hold "://" and "@" (every match holds
    both, none holds a newline, and the pattern has no lookaround or anchor: the same matches)."""
    find, n = t.find, len(t)
    i = find("://")
    while i >= 0:
        a = t.rfind("\n", 0, i) + 1
        b = find("\n", i)
        b = n if b < 0 else b
        if find("@", a, b) >= 0:
            yield from _USERINFO.finditer(t, a, b)
        i = find("://", b)
_NO_USER_SCHEMES = ("ssh", "git", "git+ssh", "ssh+git", "sftp", "scp", "mailto", "xmpp", "sip")
# libpq / ODBC / ADO.NET keyword connection strings: "host=db user=etl password=..." / "Server=..;Pwd=..;"
_CONN_KEYWORD = re.compile(r"(?:^|[\s;\"'])(?:host|hostaddr|server|dbname|database|data source|uid|user id|user|port)"
                           r"\s*=", re.I)
_CONN_PASSWORD = re.compile(r"(?:^|[\s;])(?:password|pwd|passwd)\s*=\s*(?P<q>['{]?)(?P<pw>[^;\s'}]+)", re.I)

_WHERE = {"code": "", "markdown": " in a markdown cell", "raw": " in a raw cell", "output": " in a cell output",
          "metadata": " in metadata"}


class CredentialsInUrl(Rule):
    """## What it does
    Finds credentials written into a URL or connection string, in any text of the
    notebook (code, shell lines, markdown, outputs, metadata):

    - `scheme://user:password@host`: database DSNs for `create_engine`, `MongoClient`,
      `redis.from_url`, proxies, `pip --index-url`;
    - a token as the user part, as in `git clone https://<token>@github.com/org/repo`;
    - credentials in a query string: `?api_key=`, `?token=`, `?access_token=`, `?key=`,
      `?appid=` / `?app_key=` / `?access_key=` (weather, geo and data APIs),
      `?subscription-key=` (Azure), an Azure SAS `sig=`, `X-Amz-Security-Token=`;
    - `password=` / `Pwd=` in libpq and ODBC connection strings in code.

    Empty (`user:@`), templated (`{pw}`, `${PW}`, `<password>`, `%s`) and placeholder
    passwords, and documentation dummies (`scott:tiger`, `postgres:postgres`), are not
    reported. Credentials for a local host (`localhost`, `127.0.0.1`, an in-cluster
    name such as `db`) are reported as low: a Jupyter server's `?token=` or a dev
    database. A signed URL with an expiry (`se=`, `X-Amz-Expires=`) is low too: it stops
    working. Tokens in the links of images shown in markdown or outputs (`![..](...)`,
    `<img src=...>`, an image path) are the public links of a CDN, not a leak.

    ## Why is this bad?
    A URL is copied everywhere: SQLAlchemy and driver errors, tracebacks, logs, `repr`
    of the engine, `git remote -v`. A notebook that builds or prints one stores the
    password in the file, and `git clone https://<token>@...` also writes the token
    into `.git/config`.

    ## Example
    ```python
    engine = create_engine("postgresql://etl:Xy7pQ2r@db.corp.example:5432/sales")
    ```

    Use instead:
    ```python
    from sqlalchemy import URL
    engine = create_engine(URL.create("postgresql", username="etl",
                                      password=os.environ["PGPASSWORD"], host="db.corp.example"))
    ```
    For git, use a credential helper or `gh auth login`; for libpq, `~/.pgpass`.

    ## References
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    - [CWE-598: Use of GET Request Method With Sensitive Query Strings](https://cwe.mitre.org/data/definitions/598.html)
    - detect-secrets BasicAuthDetector
    """

    code = "NBG103"
    name = "credentials-in-url"
    category = "secrets"
    severity = Severity.HIGH
    cwe = 798
    peers = ("detect-secrets:BasicAuthDetector",)
    fix = "build the URL from parts at run time (URL.create(password=os.environ[...])) or use a credential helper"
    texts = frozenset({"code", "markdown", "raw", "output", "metadata"})
    # check_text reports userinfo (needs "@") or a query parameter (needs "=")
    text_anchors = ("@", "=")
    nodes = (ast.Constant,)

    def check_text(self, text, ctx) -> None:
        t = text.text
        if "://" not in t and "=" not in t:
            return
        where = _WHERE[text.kind]
        if "@" in t:
            for m in userinfo_matches(t):
                self._userinfo(m, ctx, where)
        if "=" in t and ("?" in t or "&" in t):
            for m in _QUERY.finditer(t):
                self._query(m, t, ctx, where)

    def _userinfo(self, m: re.Match, ctx, where: str) -> None:
        scheme = m.group("scheme").lower()
        host = m.group("host").lower().strip("[]")
        pw = m.group("pw")
        user = m.group("user")
        if pw is None:
            # a bare token as the user name: https://<token>@github.com
            if scheme not in ("http", "https") or not (len(user) >= 20 and looks_like_key(user)):
                return
            start, end, what = m.start("user"), m.end("user"), "token"
        else:
            if not pw or is_templated(pw) or is_templated(user) or is_dummy_password(pw) or pw == user:
                return
            if scheme in ("http", "https") and pw.isdigit() and len(pw) <= 5:
                return  # host:port written after a user name, not a password
            start, end, what = m.start("pw"), m.end("pw"), "password"
        severity = Severity.LOW if is_local_host(host) else None
        ctx.report_offsets(self, start, end, f"{what} in a {scheme}:// URL{where}", severity=severity)

    def _query(self, m: re.Match, t: str, ctx, where: str) -> None:
        value = m.group("v")
        if is_templated(value) or not looks_like_key(value.replace("%2F", "/").replace("%3D", "=").replace("%2B", "+")):
            return
        # the host of the URL this query belongs to
        line_start = t.rfind("\n", 0, m.start()) + 1
        head = t[line_start:m.start()]
        scheme_at = head.rfind("://")
        if scheme_at < 0:
            return  # a query string without a URL ("a?b&token=x" in prose) is not enough
        host = re.split(r"[/?#:@]", head[scheme_at + 3:], maxsplit=1)[0].lower()
        url_start = line_start + scheme_at - len(_SCHEME_BEFORE.search(head[:scheme_at]).group())
        url = _URL_REST.match(t, url_start).group()
        if where and _published_image(t, url_start, url):
            return  # the access token of a public image link the author shows on purpose
        if is_local_host(host):
            severity = Severity.LOW
        elif _EXPIRES.search(url):
            severity = Severity.LOW  # a signed URL: it stops working at its expiry
        else:
            severity = None
        key = m.group("key")
        ctx.report_offsets(self, m.start("v"), m.end("v"), f"credential in the '{key}' query parameter of a URL{where}",
                           severity=severity)

    # libpq / ODBC keyword strings, only in Python string literals
    def check_node(self, node, ctx) -> None:
        v = node.value
        if not isinstance(v, str) or "=" not in v or len(v) > 2000:
            return
        low = v.lower()
        if "pwd" not in low and "pass" not in low:
            return
        m = _CONN_PASSWORD.search(v)
        if m is None or not _CONN_KEYWORD.search(v):
            return
        pw = m.group("pw")
        if is_templated(pw) or is_dummy_password(pw) or len(pw) < 4:
            return
        line, col, end_line, _ = ctx.node_span(node)
        if end_line != line:
            ctx.report_node(self, node, "password in a database connection string")
            return
        src = ctx.view.lines[line - 1] if 0 < line <= len(ctx.view.lines) else ""
        i = src.find(pw, col - 1)
        if i < 0:
            ctx.report_node(self, node, "password in a database connection string")
            return
        host = re.search(r"(?:host|server|data source)\s*=\s*([^;\s]+)", v, re.I)
        severity = Severity.LOW if host and is_local_host(host.group(1).split(",")[0].split(":")[0]) else None
        ctx.report(self, (line, i + 1, line, i + 1 + len(pw)), "password in a database connection string",
                   severity=severity)
