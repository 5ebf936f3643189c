from __future__ import annotations

from ...model import Severity
from .._calls import HTTP_CALL_NAMES, http_call, last_names
from .._urls import callee
from ..base import Rule

_URLOPEN = frozenset({"urllib.request.urlopen", "urllib2.urlopen", "six.moves.urllib.request.urlopen"})


class RequestWithoutTimeout(Rule):
    """## What it does
    Finds HTTP requests that can wait forever.

    `requests` functions, `requests.request` and Session methods called without `timeout=` (or with
    `timeout=None`), `httpx` calls with `timeout=None`, and `urllib.request.urlopen`
    without a timeout (unless the notebook calls `socket.setdefaulttimeout`). Calls
    that pass an opaque `**kwargs` are skipped, since it may hold a timeout.

    ## Why is this bad?
    `requests` and `urlopen` have no default timeout: a server that accepts the
    connection and never answers blocks the call, and the kernel, indefinitely. In a
    scheduled run (papermill, a pipeline step) the job hangs instead of failing, and
    holds its GPU and credentials while it does.

    ## Example
    ```python
    r = requests.get("https://api.example.org/v1/items")
    ```

    Use instead:
    ```python
    r = requests.get("https://api.example.org/v1/items", timeout=(5, 60))  # connect, read
    ```

    ## References
    - [CWE-400: Uncontrolled Resource Consumption](https://cwe.mitre.org/data/definitions/400.html)
    - bandit B113 `request_without_timeout`; ruff S113
    - semgrep `python.requests.best-practice.use-timeout`
    - [requests: timeouts](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)
    """

    code = "NBG405"
    call_names = HTTP_CALL_NAMES | last_names(_URLOPEN)
    name = "request-without-timeout"
    category = "insecure-network"
    severity = Severity.LOW
    cwe = 400
    peers = ("bandit:B113", "ruff:S113", "semgrep:python.requests.best-practice.use-timeout")
    fix = "pass timeout=(connect_seconds, read_seconds), e.g. timeout=(5, 60)"

    def check_call(self, call, ctx) -> None:
        http = http_call(call)
        if http is not None:
            if http.library not in ("requests", "httpx"):
                return
            node = call.arg("timeout", None)
            if node is None:
                if http.library == "httpx" or call.has_opaque_kwargs():
                    return  # httpx defaults to 5 seconds
                ctx.report_node(self, call.node.func, f"{callee(call)} without timeout=: a server that never "
                                                      f"answers hangs the kernel")
                return
            v = call.scope.value(node)
            if v is not None and v.value is None:
                ctx.report_node(self, node, f"{callee(call)} with timeout=None: a server that never answers "
                                            f"hangs the kernel")
            return
        if call.qualname in _URLOPEN:
            node = call.arg("timeout", 2)
            if node is None and not call.has_opaque_kwargs() and not _has_default_timeout(ctx):
                ctx.report_node(self, call.node.func, f"{callee(call)} without timeout: a server that never "
                                                      f"answers hangs the kernel")


def _has_default_timeout(ctx) -> bool:
    return any("setdefaulttimeout" in c.source for c in ctx.notebook.cells)
