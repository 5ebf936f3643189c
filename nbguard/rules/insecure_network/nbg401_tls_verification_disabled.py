from __future__ import annotations

import ast
import re

from ...model import Severity
from .._calls import (
    ENV_SET_CALL_NAMES,
    VERBS,
    anchor,
    describe_value,
    env_sets,
    http_call,
    known_false,
    known_true,
    magic_env_sets,
    may_have_kw,
)
from .._shell import text_span
from .._shell import word_span as shell_word_span
from .._urls import callee, invocations, short_flags, urls_in, word_urls
from ..base import Rule

# keyword -> what a falsy value turns off
_FLAGS = ("verify", "verify_ssl", "verify_certs", "ssl_verify", "verify_ssl_certs", "check_certificate")
_KWARGS = frozenset(_FLAGS + ("ssl", "cert_reqs"))
_CONTAINERS = frozenset({"dict", "collections.OrderedDict", "collections.defaultdict", "types.SimpleNamespace",
                         "argparse.Namespace", "OrderedDict", "SimpleNamespace"})
_REQUEST_METHODS = VERBS | {"request", "stream", "send", "ws_connect"}
# Environment variables and the values that switch certificate checks off.
_ENV_OFF = {
    "PYTHONHTTPSVERIFY": lambda v: v.strip() == "0",
    "CURL_CA_BUNDLE": lambda v: v.strip() == "",
    "REQUESTS_CA_BUNDLE": lambda v: v.strip() == "",
    "GIT_SSL_NO_VERIFY": lambda v: v.strip().lower() in ("1", "true", "yes"),
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v.strip() == "0",
}
_CURL_TAKES_ARG = "oHdXuAeFTwxbcmrKECyYzUQDtP"
# Headless browsers: options that accept any certificate (Playwright, Pyppeteer, Selenium).
_BROWSER_KWARGS = frozenset({"ignore_https_errors", "ignoreHTTPSErrors", "accept_insecure_certs",
                             "acceptInsecureCerts"})
_BROWSER_FLAGS = frozenset({"--ignore-certificate-errors", "--ignore-ssl-errors"})


def _browser_flag(text: str) -> bool:
    """``--ignore-certificate-errors``, ``--ignore-ssl-errors=yes`` (Chromium / PhantomJS switches)."""
    flag, _, val = text.strip().partition("=")
    return flag in _BROWSER_FLAGS and val.lower() not in _FALSE_WORDS
_GIT_SSL_KEY = re.compile(r"^http\.(?:[^=\s]*\.)?sslverify$", re.IGNORECASE)
_FALSE_WORDS = ("false", "0", "no", "off")


class TlsVerificationDisabled(Rule):
    """## What it does
    Finds HTTPS clients told not to check the server's certificate.

    - `verify=False` (or `0`, `""`, through `**{"verify": False}` or a constant from
      another cell) on `requests` functions, `requests.request`, Session methods,
      `httpx` functions and clients, `boto3` clients and any other `.get/.post/...`;
      `session.verify = False`; `verify_ssl=False`, `verify_certs=False`, `ssl_verify=False`;
    - aiohttp `ssl=False` / `verify_ssl=False` and `TCPConnector(ssl=False)`;
    - urllib3 `cert_reqs="CERT_NONE"`;
    - headless browsers: Playwright `new_context(ignore_https_errors=True)`, Pyppeteer
      `ignoreHTTPSErrors=True`, Selenium `accept_insecure_certs = True`, and the Chromium
      switch `--ignore-certificate-errors` in `launch(args=[...])` or
      `options.add_argument(...)`;
    - `PYTHONHTTPSVERIFY=0`, `CURL_CA_BUNDLE=""`, `REQUESTS_CA_BUNDLE=""`,
      `GIT_SSL_NO_VERIFY=1` set through `os.environ`, `%env` or `export`;
    - shell `curl -k`/`--insecure`, `wget --no-check-certificate`,
      `git -c http.sslVerify=false`, `git config http.sslVerify false`,
      `aria2c --check-certificate=false`, `aws --no-verify-ssl`,
      `kubectl`/`helm --insecure-skip-tls-verify`.

    Loopback hosts are not exempt (a self-signed development certificate is still
    reported, at medium severity). `urllib3.disable_warnings()` alone is not a finding.
    Package-index options such as `pip --trusted-host` belong to the supply-chain rules.

    ## Why is this bad?
    TLS without certificate checks encrypts the traffic to whoever answers. Anyone
    who can intercept the connection (public Wi-Fi, a hostile proxy, DNS spoofing)
    can present any certificate, read API keys and tokens from the headers, and
    return altered data or model files. The switch is often copied from a forum
    answer to silence one error, and then stays in the notebook.

    ## Example
    ```python
    r = requests.get("https://internal.example.org/data.csv", verify=False)
    ```

    Use instead:
    ```python
    r = requests.get("https://internal.example.org/data.csv", verify="/etc/ssl/corp-ca.pem")
    ```
    Point `verify` (or `REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE`) at the CA that signed the
    server's certificate; `certifi` or `truststore` cover the public and system CAs.

    ## References
    - [CWE-295: Improper Certificate Validation](https://cwe.mitre.org/data/definitions/295.html)
    - bandit B501 `request_with_no_cert_validation`; ruff S501
    - semgrep `python.requests.security.disabled-cert-validation`
    - [requests: SSL certificate verification](https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification)
    """

    code = "NBG401"
    name = "tls-verification-disabled"
    category = "insecure-network"
    severity = Severity.HIGH
    cwe = 295
    peers = ("bandit:B501", "ruff:S501", "semgrep:python.requests.security.disabled-cert-validation",
             "semgrep:python.lang.security.audit.network.disabled-cert-validation")
    fix = "keep certificate checks on; point verify= / REQUESTS_CA_BUNDLE at the right CA bundle instead"
    nodes = (ast.Assign,)
    # check_call reports: env_sets of an os.* call; add_argument(flag); else only through a
    # keyword it reads (_BROWSER_KWARGS, args=, _KWARGS) or a **dict (may_have_kw)
    call_names = ENV_SET_CALL_NAMES | {"add_argument"}
    call_keywords = _KWARGS | _BROWSER_KWARGS | {"args"}

    # -- Python calls --------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if q.startswith("os."):
            for e in env_sets(call.node, ctx.scope):
                self._env(e.name, e.value, e.node, ctx)
            return
        if not call.node.keywords and call.attr != "add_argument":
            return  # _browser and every check below read a keyword
        if self._browser(call, ctx):
            return
        if not may_have_kw(call, _KWARGS):
            return
        if q.startswith("jwt.") or call.attr == "decode":
            return  # PyJWT's verify= is about signatures, not TLS
        if q in _CONTAINERS or call.attr in ("update", "setdefault"):
            return  # `SETTINGS = dict(verify=False)`: reported where it is passed with **SETTINGS
        for name in _FLAGS:
            node = call.arg(name, None)
            if node is not None and known_false(call.scope.value(node)):
                self._report(call, ctx, node, f"{name}={_lit(call.scope.value(node).value)}")
                return
        aio = q.startswith("aiohttp.") or (call.attr in _REQUEST_METHODS and not q.startswith(("requests.", "httpx.")))
        if aio:
            node = call.arg("ssl", None)
            if node is not None and call.scope.value(node) is not None and call.scope.value(node).value is False:
                self._report(call, ctx, node, "ssl=False")
                return
        node = call.arg("cert_reqs", None)
        if node is not None and q not in ("ssl.wrap_socket", "ssl.SSLContext().wrap_socket"):
            v = call.scope.value(node)
            name = (ctx.scope.qualname(node) or "") if v is None else str(v.value)
            if name.endswith("CERT_NONE") or name == "none":
                self._report(call, ctx, node, "cert_reqs=CERT_NONE")

    def _browser(self, call, ctx) -> bool:
        """Playwright ``new_context(ignore_https_errors=True)``, Chromium ``--ignore-certificate-errors``
        in ``launch(args=[...])`` or Selenium ``options.add_argument(...)``."""
        node = call.node
        if call.attr == "add_argument" and len(node.args) == 1 and not node.keywords:  # not argparse's
            v = call.scope.str_value(node.args[0])
            if v is not None and not v.partial and _browser_flag(v.value):
                ctx.report_node(self, node.args[0], f"{callee(call)}('{v.value}'): the browser accepts any "
                                                    f"certificate")
                return True
            return False
        for kw in node.keywords:
            if kw.arg in _BROWSER_KWARGS and known_true(call.scope.value(kw.value)):
                ctx.report_node(self, kw.value, f"{callee(call)} with {kw.arg}=True: the browser accepts any "
                                                f"certificate")
                return True
            if kw.arg == "args" and isinstance(kw.value, (ast.List, ast.Tuple)):
                for e in kw.value.elts:
                    v = call.scope.str_value(e)
                    if v is not None and not v.partial and _browser_flag(v.value):
                        ctx.report_node(self, e, f"{callee(call)} with '{v.value}': the browser accepts any "
                                                 f"certificate")
                        return True
        return False

    def _report(self, call, ctx, node, what: str) -> None:
        sev = None
        http = http_call(call)
        url_node = http.url if http is not None else call.arg("url", 0) if call.attr in _REQUEST_METHODS else None
        if url_node is not None:
            urls = [info for _, info in urls_in(url_node, call.scope)]
            if urls and all(u.local for u in urls):
                sev = Severity.MEDIUM
        ctx.report_node(self, anchor(call, node), f"{callee(call)} with {what}: the server certificate is not "
                                                  f"checked{describe_value(node, call.scope)}", severity=sev)

    # -- assignments -----------------------------------------------------------------
    def check_node(self, node, ctx) -> None:
        for e in env_sets(node, ctx.scope):
            self._env(e.name, e.value, e.node, ctx)
        for t in node.targets:
            if isinstance(t, ast.Attribute) and t.attr in ("accept_insecure_certs", "ignore_https_errors") \
                    and known_true(ctx.scope.value(node.value)):
                ctx.report_node(self, node, f"{t.attr} = True: the browser accepts any certificate")
            if isinstance(t, ast.Attribute) and t.attr in ("verify", "verify_ssl") \
                    and known_false(ctx.scope.value(node.value)):
                owner = (ctx.scope.qualname(t.value) or "").replace("()", "")
                label = owner or ast.unparse(t.value)
                ctx.report_node(self, node, f"{label}.{t.attr} = {_lit(ctx.scope.value(node.value).value)}: "
                                            f"requests through it do not check certificates")

    def _env(self, name: str, value, node, ctx) -> None:
        test = _ENV_OFF.get(name)
        if test is None or value is None or value.partial or not isinstance(value.value, (str, int)):
            return
        if test(str(value.value)):
            ctx.report_node(self, node, _env_message(name, str(value.value)))

    def check_magic(self, magic, ctx) -> None:
        env = magic_env_sets(magic)
        if env is None:
            if magic.name == "config" and re.search(r"sslverify\s*=\s*(?:False|0)", magic.args, re.IGNORECASE):
                ctx.report(self, ctx.magic_span(magic), "%config turns certificate checks off")
            return
        name, value, _off = env
        test = _ENV_OFF.get(name)
        if test is not None and test(value):
            ctx.report(self, (magic.line, magic.col, magic.line, magic.col + max(1, len(magic.args))),
                       _env_message(name, value))

    # -- shell ---------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for inv in invocations(cmd.text):
            prog, args = inv.program, inv.args
            for name, value in inv.env:  # GIT_SSL_NO_VERIFY=1 git clone ...
                if name in _ENV_OFF and _ENV_OFF[name](value.text):
                    ctx.report(self, _assignment_span(cmd, ctx, name, value), _env_message(name, value.text))
            if prog in ("export", "set", "declare"):
                for w in args:
                    k, eq, v = w.text.partition("=")
                    if eq and k in _ENV_OFF and _ENV_OFF[k](v):
                        ctx.report(self, shell_word_span(cmd, ctx, w), _env_message(k, v))
                continue
            hit = self._shell_flag(prog, args)
            if hit is None:
                continue
            w, what = hit
            sev = None
            urls = [info for _, info in word_urls(cmd, args, ctx)]
            if urls and all(u.local for u in urls):
                sev = Severity.MEDIUM
            ctx.report(self, shell_word_span(cmd, ctx, w), f"{prog} {what}: the server certificate is "
                                                           f"not checked", severity=sev)

    @staticmethod
    def _shell_flag(prog: str, rest):
        if prog == "curl":
            for w in rest:
                if w.text in ("--insecure", "--proxy-insecure") or "k" in short_flags(w.text, _CURL_TAKES_ARG):
                    return w, f"{w.text}" if w.text.startswith("--") else "-k"
        elif prog == "wget":
            for w in rest:
                if w.text == "--no-check-certificate":
                    return w, "--no-check-certificate"
        elif prog == "aria2c":
            for w in rest:
                if w.text.lower() in ("--check-certificate=false",):
                    return w, w.text
        elif prog == "aws":
            for w in rest:
                if w.text == "--no-verify-ssl":
                    return w, "--no-verify-ssl"
        elif prog in ("kubectl", "helm", "oc"):
            for w in rest:
                if w.text.startswith("--insecure-skip-tls-verify") and not w.text.endswith("=false"):
                    return w, "--insecure-skip-tls-verify"
        elif prog == "git":
            for k, w in enumerate(rest):
                if w.text == "-c" and k + 1 < len(rest):
                    key, _, val = rest[k + 1].text.partition("=")
                    if _GIT_SSL_KEY.match(key) and val.lower() in _FALSE_WORDS:
                        return rest[k + 1], f"-c {rest[k + 1].text}"
                if w.text == "config":
                    args = [x for x in rest[k + 1:] if not x.text.startswith("-")]
                    if len(args) >= 2 and _GIT_SSL_KEY.match(args[0].text) and args[1].text.lower() in _FALSE_WORDS:
                        return args[0], f"config {args[0].text} {args[1].text}"
        elif prog in ("http", "https"):  # HTTPie
            for w in rest:
                if w.text.lower() in ("--verify=no", "--verify=false"):
                    return w, w.text
        return None


def _assignment_span(cmd, ctx, name: str, value) -> tuple[int, int, int, int]:
    """``NAME=value`` before a command: from the name to the end of the value."""
    start = max(0, value.start - len(name) - 1)
    return text_span(cmd, ctx, start, max(value.end, start + len(name) + 1))


def _lit(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _env_message(name: str, value: str) -> str:
    shown = value if value else '""'
    if name in ("CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        return f"{name}={shown}: a known trick to switch off certificate checks in requests-based clients"
    if name == "GIT_SSL_NO_VERIFY":
        return f"{name}={shown}: git stops checking server certificates"
    return f"{name}={shown}: HTTPS certificate checks are switched off"
