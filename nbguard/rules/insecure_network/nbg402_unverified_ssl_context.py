from __future__ import annotations

import ast

from ...model import Severity
from .._calls import anchor, known_false
from .._urls import callee
from ..base import Rule

_UNVERIFIED_FACTORIES = frozenset({"ssl._create_unverified_context", "ssl._create_stdlib_context"})
_WEAK_PROTOCOLS = frozenset({
    "ssl.PROTOCOL_SSLv2", "ssl.PROTOCOL_SSLv3", "ssl.PROTOCOL_TLSv1", "ssl.PROTOCOL_TLSv1_1",
    "ssl.TLSVersion.SSLv3", "ssl.TLSVersion.TLSv1", "ssl.TLSVersion.TLSv1_1",
    "OpenSSL.SSL.SSLv2_METHOD", "OpenSSL.SSL.SSLv3_METHOD", "OpenSSL.SSL.TLSv1_METHOD", "OpenSSL.SSL.TLSv1_1_METHOD",
})


def _is_cert_none(expr, scope) -> bool:
    q = scope.qualname(expr) or ""
    if q.endswith("CERT_NONE") and (q.startswith("ssl.") or q == "CERT_NONE"):
        return True
    v = scope.value(expr)
    return v is not None and not v.partial and (v.value == "CERT_NONE" or (v.value == 0 and v.value is not False))


# last names of _WEAK_PROTOCOLS: `ssl.PROTOCOL_TLSv1` written as an attribute ends in one
_WEAK_NAMES = frozenset(p.rpartition(".")[2] for p in _WEAK_PROTOCOLS)


_PROTOCOL_KWARGS = ("protocol", "ssl_version", "method")


def _may_be_weak(expr) -> bool:
    # only a name or an attribute resolves to a dotted name without "()"
    t = type(expr)
    return t is ast.Name or (t is ast.Attribute and expr.attr in _WEAK_NAMES)


def _weak(expr, scope) -> str | None:
    if not _may_be_weak(expr):
        return None
    q = scope.qualname(expr) or ""
    return q.rsplit(".", 1)[-1] if q in _WEAK_PROTOCOLS else None


class UnverifiedSslContext(Rule):
    """## What it does
    Finds SSL contexts and sockets that skip certificate checks or allow outdated
    protocol versions.

    - `ssl._create_unverified_context()` (and `ssl._create_stdlib_context()`);
    - the global patch `ssl._create_default_https_context = ssl._create_unverified_context`;
    - `ctx.check_hostname = False` and `ctx.verify_mode = ssl.CERT_NONE`;
    - `ssl.wrap_socket(...)` without `cert_reqs=ssl.CERT_REQUIRED` (its default is `CERT_NONE`);
    - SSLv2/SSLv3/TLS 1.0/TLS 1.1 as a protocol or as `minimum_version`/`maximum_version`
      (medium severity).

    ## Why is this bad?
    An unverified context accepts any certificate, so anyone who can intercept the
    connection can impersonate the server. The global patch is the worst form: after
    it runs, every `urllib`/`http.client` HTTPS request in the kernel (including the
    ones inside libraries such as `torchvision`, `nltk` and `tensorflow_datasets`
    downloaders) stops checking certificates. TLS 1.0 and 1.1 have known weaknesses
    and are refused by up-to-date servers.

    ## Example
    ```python
    import ssl
    ssl._create_default_https_context = ssl._create_unverified_context
    ```

    Use instead:
    ```python
    import ssl, certifi
    ctx = ssl.create_default_context(cafile=certifi.where())  # pass context=ctx where needed
    ```
    If a download fails with `CERTIFICATE_VERIFY_FAILED`, install the missing CA
    bundle (`pip install certifi`, or run macOS's "Install Certificates.command").

    ## References
    - [CWE-295: Improper Certificate Validation](https://cwe.mitre.org/data/definitions/295.html)
    - [CWE-327: Use of a Broken or Risky Cryptographic Algorithm](https://cwe.mitre.org/data/definitions/327.html)
    - bandit B323 `unverified_context`, B502-B504; ruff S323, S502-S504
    - semgrep `python.lang.security.unverified-ssl-context`, `python.lang.security.audit.weak-ssl-version`
    - [Python docs: ssl security considerations](https://docs.python.org/3/library/ssl.html#security-considerations)
    """

    code = "NBG402"
    name = "unverified-ssl-context"
    category = "insecure-network"
    severity = Severity.HIGH
    cwe = 295
    peers = ("bandit:B323", "ruff:S323", "bandit:B502", "bandit:B504", "ruff:S502",
             "semgrep:python.lang.security.unverified-ssl-context")
    fix = "use ssl.create_default_context() (with cafile=certifi.where() if a CA is missing) and leave its checks on"
    nodes = (ast.Assign,)

    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if q in _UNVERIFIED_FACTORIES:
            ctx.report_node(self, call.node, f"{q}() makes an SSL context that accepts any certificate")
            return
        if q in ("ssl.wrap_socket", "ssl.SSLSocket"):
            reqs = call.arg("cert_reqs", 3)
            if reqs is None:
                ctx.report_node(self, call.node.func, "ssl.wrap_socket() without cert_reqs: the default is "
                                                      "CERT_NONE, so the peer certificate is not checked")
                return
            if _is_cert_none(reqs, call.scope):
                ctx.report_node(self, anchor(call, reqs), "ssl.wrap_socket() with cert_reqs=CERT_NONE: the peer "
                                                          "certificate is not checked")
                return
        # call.arg finds these keywords only when one is written, or in a **dict
        keywords = call.node.keywords
        kws = [call.arg(n, None) for n in _PROTOCOL_KWARGS] \
            if keywords and any(k.arg is None or k.arg in _PROTOCOL_KWARGS for k in keywords) else []
        first = call.node.args[:1]
        if not kws and not (first and _may_be_weak(first[0])):
            return  # _weak would say None to every candidate
        for node in first + kws:
            if node is None:
                continue
            weak = _weak(node, call.scope)
            if weak:
                ctx.report_node(self, anchor(call, node), f"{callee(call)} with {weak}: an outdated, weak protocol "
                                                          f"version", severity=Severity.MEDIUM)
                return

    def check_node(self, node, ctx) -> None:
        scope = ctx.scope
        for t in node.targets:
            if not isinstance(t, ast.Attribute):
                continue
            tq = scope.qualname(t) or ""
            if tq == "ssl._create_default_https_context":
                # `= ssl._create_unverified_context` (or a lambda around it); a lambda that
                # builds a verified context with certifi's CA file is the fix, not the bug
                if any(isinstance(n, (ast.Name, ast.Attribute)) and scope.qualname(n) in _UNVERIFIED_FACTORIES
                       for n in ast.walk(node.value)):
                    ctx.report_node(self, node, "ssl._create_default_https_context is patched: every urllib HTTPS "
                                                "request in this kernel stops checking certificates")
                continue
            if t.attr == "check_hostname" and known_false(scope.value(node.value)):
                ctx.report_node(self, node, "check_hostname = False: the certificate is not matched to the host name")
            elif t.attr == "verify_mode" and _is_cert_none(node.value, scope):
                ctx.report_node(self, node, "verify_mode = CERT_NONE: the peer certificate is not checked")
            elif t.attr in ("minimum_version", "maximum_version"):
                weak = _weak(node.value, scope)
                if weak:
                    ctx.report_node(self, node, f"{t.attr} = {weak}: allows an outdated, weak protocol version",
                                    severity=Severity.MEDIUM)
