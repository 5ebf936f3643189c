from __future__ import annotations

import ast
import re

from ...model import Severity
from .._calls import anchor, known_true, last_names
from .._shell import words_span
from .._urls import callee, invocations
from ..base import Rule

_ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]", "*"})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# `docker run` options that take a separate value (the rest are flags, or carry it after "=")
_DOCKER_VALUE_OPTS = frozenset({
    "-p", "--publish", "-v", "--volume", "-e", "--env", "--env-file", "-w", "--workdir", "-u", "--user",
    "-h", "--hostname", "-m", "--memory", "-l", "--label", "--name", "--gpus", "--network", "--net",
    "--entrypoint", "--mount", "--shm-size", "--ipc", "--cpus", "--add-host", "--device", "--runtime",
    "--platform", "--restart", "--ulimit", "--cap-add", "--cap-drop", "--security-opt", "--log-driver",
    "--log-opt", "--pid", "--dns", "--expose", "--link", "--volumes-from", "--tmpfs", "--cidfile"})
_HOST_KWARGS = ("host", "server_name", "server_host", "hostname", "listen", "bind", "ip", "dashboard_host",
                "address", "bind_addr")
_RUN_ATTRS = frozenset({"run", "run_server", "run_simple", "launch", "serve", "run_app", "listen", "start",
                        "start_server", "configure", "init", "run_with_ngrok", "queue"})
_TUNNELS = ("pyngrok.ngrok.connect", "ngrok.connect", "flask_ngrok.run_with_ngrok", "ngrok.forward",
            "pyngrok.ngrok.connect()")
_ACI_CONFIG = "AciWebservice.deploy_configuration"
_SERVER_CLASSES = ("HTTPServer", "TCPServer", "ThreadingHTTPServer", "ThreadingTCPServer")
_SERVERS = {
    # program -> options that carry the bind address
    "uvicorn": ("--host",), "hypercorn": ("--bind", "-b"), "gunicorn": ("--bind", "-b"),
    "flask": ("--host", "-h"), "streamlit": ("--server.address",), "mlflow": ("--host", "-h"),
    "tensorboard": ("--host",), "vllm": ("--host",), "code-server": ("--bind-addr",), "ray": ("--dashboard-host",),
    "panel": ("--address",), "bokeh": ("--address",), "voila": ("--Voila.ip", "--ip"), "gradio": (),
    "text-generation-launcher": ("--hostname",), "ollama": (), "datasette": ("--host", "-h"),
}
_TOKEN_OPTS = re.compile(r"^--(?:NotebookApp|ServerApp|IdentityProvider)\.(?:token|password)=(?:''|\"\"|)$")


def _host_part(value: str) -> str:
    v = value.strip().strip("'\"")
    if v.startswith("[") and "]" in v:
        return v[:v.index("]") + 1]
    if v.count(":") == 1:
        return v.split(":", 1)[0]
    return v


def _is_all(value) -> bool:
    return isinstance(value, str) and _host_part(value) in _ALL_INTERFACES


def _ngrok_tunnel(texts: list[str]) -> bool:
    """``ngrok http 8000`` opens a tunnel; ``ngrok authtoken ...`` / ``ngrok config ...`` do not."""
    first = next((t for t in texts if not t.startswith("-")), "")
    if first in ("authtoken", "config", "update", "version", "help", "diagnose", "service", "api", "completion"):
        return False
    return any(t in ("http", "tcp", "tls", "start", "tunnel") for t in texts[:6])


def _npx_package(texts: list[str]) -> str:
    """The package ``npx [--yes] [-p pkg] <package> ...`` runs (``npm exec`` too)."""
    i = 1 if texts[:1] == ["exec"] else 0
    while i < len(texts) and texts[i].startswith("-"):
        i += 2 if texts[i] in ("-p", "--package", "-c", "--call") else 1
    return texts[i].split("@", 1)[0] if i < len(texts) else ""


class ServiceExposed(Rule):
    """## What it does
    Finds services that a notebook opens to the network or to the internet.

    - `app.run(host="0.0.0.0")`, `uvicorn.run(..., host="0.0.0.0")`, gradio
      `launch(server_name="0.0.0.0")`, `ray.init(dashboard_host="0.0.0.0")`,
      `TensorBoard.configure(bind_all=True)`, servers bound to `("", port)`;
    - public share links and tunnels: gradio `launch(share=True)` without `auth=`,
      `ngrok.connect`, `run_with_ngrok`, `!ngrok http`, `localtunnel`, `cloudflared tunnel`;
    - Cloud Run / Cloud Functions services opened to `allUsers` (`--allow-unauthenticated`,
      `add-iam-policy-binding --member=allUsers`), and Azure ML Container Instance web
      services deployed without `auth_enabled=True` (their default: a public scoring URI
      with no key);
    - shell servers on all interfaces: `jupyter notebook/lab --ip=0.0.0.0`,
      `mlflow ui/server --host 0.0.0.0`, `tensorboard --bind_all`, `uvicorn`/`gunicorn`/
      `streamlit`/`flask run` bound to `0.0.0.0`, and `python -m http.server` (which
      binds every interface unless told otherwise), also from `%tensorboard`;
    - containers whose ports are published on every interface of the host:
      `docker run -p 8080:8080 image` (or `-P`; `-p 127.0.0.1:8080:8080` is local only).
    High severity when the service runs code for whoever reaches it: Jupyter with an
    empty token or password on a public bind, Flask `debug=True` on a public bind.

    ## Why is this bad?
    A notebook server, a Flask debugger or an MLflow/TensorBoard UI has no
    authentication of its own (or it was switched off), and Jupyter and the Werkzeug
    debugger execute code by design. Bound to every interface, they are reachable
    by everyone on the network; behind a share link or tunnel, by everyone on the
    internet, and public tunnel URLs are scanned within minutes.

    ## Example
    ```python
    demo.launch(share=True)
    app.run(host="0.0.0.0", port=5000, debug=True)
    ```

    Use instead:
    ```python
    demo.launch(auth=("user", os.environ["DEMO_PASSWORD"]))  # local only; share=True only with auth
    app.run(host="127.0.0.1", port=5000)  # then an SSH tunnel: ssh -L 5000:localhost:5000 host
    ```
    In a container that must bind `0.0.0.0`, publish the port only to localhost
    (`-p 127.0.0.1:5000:5000`) and keep authentication on.

    ## References
    - [CWE-1327: Binding to an Unrestricted IP Address](https://cwe.mitre.org/data/definitions/1327.html)
    - [CWE-306: Missing Authentication for Critical Function](https://cwe.mitre.org/data/definitions/306.html)
    - bandit B104 `hardcoded_bind_all_interfaces`, B201 `flask_debug_true`; ruff S104, S201
    - [Jupyter Server: security](https://jupyter-server.readthedocs.io/en/latest/operators/security.html)
    """

    code = "NBG404"
    name = "service-exposed"
    category = "insecure-network"
    severity = Severity.MEDIUM
    cwe = 1327
    peers = ("bandit:B104", "ruff:S104", "bandit:B201", "ruff:S201")
    fix = "bind 127.0.0.1 and reach the service through an SSH tunnel; keep tokens/auth on; no public share links"
    # check_call reports only on the callees it tests below: _TUNNELS (and pyngrok's connect),
    # launch, the Azure ACI config, configure and _RUN_ATTRS, bind, and *HTTPServer/*TCPServer
    call_names = last_names(_TUNNELS, (_ACI_CONFIG,)) | _RUN_ATTRS | {"launch", "configure", "bind"}
    call_suffixes = _SERVER_CLASSES

    # -- Python ----------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if q in _TUNNELS or q.startswith("pyngrok.ngrok.") and call.attr == "connect":
            ctx.report_node(self, call.node.func, f"{callee(call)} publishes a local port on a public URL")
            return
        if call.attr == "launch" and known_true(call.value("share", None)) and call.arg("auth", None) is None:
            ctx.report_node(self, anchor(call, call.arg("share", None)),
                            f"{callee(call)}(share=True) without auth=: anyone with the public link can use the app")
            return
        if q.endswith(_ACI_CONFIG):
            # Azure ML: an Azure Container Instance gets a public scoring URI, and auth is off by default
            auth = call.value("auth_enabled", None)
            token = call.value("token_auth_enabled", None)
            if (call.arg("auth_enabled", None) is None or (auth is not None and auth.value is False)) \
                    and not known_true(token) and not call.has_opaque_kwargs():
                ctx.report_node(self, anchor(call, call.arg("auth_enabled", None)),
                                f"{callee(call)} without auth_enabled=True: the container's public scoring URI "
                                f"answers anyone")
            return
        if call.attr == "configure" and known_true(call.value("bind_all", None)):
            ctx.report_node(self, anchor(call, call.arg("bind_all", None)),
                            f"{callee(call)}(bind_all=True) serves on every network interface")
            return
        if call.attr in _RUN_ATTRS:
            for kw in _HOST_KWARGS:
                node = call.arg(kw, None)
                if node is None and kw == "host" and call.attr in ("run", "run_server", "run_simple"):
                    node = call.arg(None, 0)
                v = call.scope.value(node) if node is not None else None
                if v is not None and not v.partial and _is_all(v.value):
                    debug = call.attr in ("run", "run_server") and known_true(call.value("debug", None))
                    if debug:
                        ctx.report_node(self, anchor(call, node),
                                        f"{callee(call)} serves the interactive debugger on every network "
                                        f"interface ({kw}={v.value!r}, debug=True): anyone who reaches it runs code",
                                        severity=Severity.HIGH)
                    else:
                        ctx.report_node(self, anchor(call, node),
                                        f"{callee(call)} serves on every network interface ({kw}={v.value!r})")
                    return
        if q.endswith(_SERVER_CLASSES) or call.attr == "bind":
            addr = call.arg("server_address", 0) if call.attr != "bind" else call.arg("address", 0)
            if isinstance(addr, ast.Tuple) and addr.elts:
                v = call.scope.value(addr.elts[0])
                if v is not None and not v.partial and isinstance(v.value, str) and (v.value == "" or _is_all(v.value)):
                    shown = v.value or "''"
                    ctx.report_node(self, addr.elts[0], f"{callee(call)} listens on every network interface "
                                                        f"(address {shown})")

    # -- magics and shell --------------------------------------------------------------
    def check_magic(self, magic, ctx) -> None:
        if magic.name != "tensorboard":
            return
        prefix = "tensorboard "
        shift = len(prefix)

        def span(w, last=None):
            last = last or w
            return magic.line, magic.col + w.start - shift, magic.line, magic.col + last.end - shift

        self._check(prefix + magic.args, span, ctx)

    def check_shell(self, cmd, ctx) -> None:
        self._check(cmd.text, lambda w, last=None: words_span(cmd, ctx, w, last or w), ctx)

    def _check(self, text: str, span, ctx) -> None:
        for inv in invocations(text):
            prog, rest = inv.program, inv.args
            texts = [w.text for w in rest]
            if prog.startswith("jupyter"):
                self._jupyter(prog, rest, span, ctx)
            elif (prog == "ngrok" and _ngrok_tunnel(texts)) or prog in ("lt", "localtunnel") or (prog in ("npx", "npm") and _npx_package(texts) in (
                    "localtunnel", "lt")) or (prog == "cloudflared" and "tunnel" in texts):
                ctx.report(self, span(inv.word, rest[-1] if rest else None),
                           f"{prog if prog not in ('npx', 'npm') else 'localtunnel'} publishes a local port on a "
                           f"public URL")
            elif prog.startswith("python") and texts[:2] == ["-m", "http.server"]:
                if not any(t in ("-b", "--bind") or t.startswith("--bind=") for t in texts):
                    ctx.report(self, span(rest[0], rest[1]),
                               "python -m http.server serves the current folder on every network interface")
                else:
                    self._bind_opts(prog, rest, ("-b", "--bind"), span, ctx)
            elif prog == "gcloud" and ("run" in texts or "functions" in texts):
                for w in rest:
                    if w.text == "--allow-unauthenticated" or w.text.lower() in (
                            "--member=allusers", "--member=allauthenticatedusers"):
                        ctx.report(self, span(w), f"gcloud {'run' if 'run' in texts else 'functions'} service "
                                                  f"callable by anyone on the internet ({w.text})")
                        break
            elif prog == "tensorboard" and "--bind_all" in texts:
                ctx.report(self, span(rest[texts.index("--bind_all")]),
                           "tensorboard --bind_all serves on every network interface")
            elif prog in _SERVERS:
                self._bind_opts(prog, rest, _SERVERS[prog], span, ctx)
            elif prog in ("docker", "podman", "nerdctl") and (texts[:1] in (["run"], ["create"])
                                                            or texts[:2] == ["container", "run"]):
                self._published(prog, rest[2 if texts[0] == "container" else 1:], span, ctx)

    def _published(self, prog, opts, span, ctx) -> None:
        """``docker run -p 8080:8080 image``: published on every interface of the host unless the
        mapping names a loopback address (``-p 127.0.0.1:8080:8080``). Options end at the image."""
        k = 0
        while k < len(opts):
            t = opts[k].text
            if not t.startswith("-"):
                return  # the image: what follows is the container's command
            value = last = None
            if t in ("-p", "--publish") and k + 1 < len(opts):
                value, last = opts[k + 1].text, opts[k + 1]
            elif t.startswith("--publish="):
                value, last = t.split("=", 1)[1], opts[k]
            elif t.startswith("-p") and len(t) > 2 and t[2].isdigit():
                value, last = t[2:], opts[k]
            elif t in ("-P", "--publish-all"):
                ctx.report(self, span(opts[k]), f"{prog} run {t} publishes every exposed port of the container on "
                                                f"every network interface of the host")
                return
            if value is not None:
                host = value.rsplit(":", 2)[0] if value.count(":") == 2 or value.startswith("[") else ""
                if host.strip("[]") not in _LOOPBACK:
                    ctx.report(self, span(opts[k], last), f"{prog} run -p {value} publishes the container's port on "
                                                          f"every network interface of the host (bind it to "
                                                          f"127.0.0.1:)")
                    return
            k += 2 if t in _DOCKER_VALUE_OPTS else 1

    def _bind_opts(self, prog, rest, opts, span, ctx) -> None:
        for k, w in enumerate(rest):
            t = w.text
            value = last = None
            for o in opts:
                if t == o and k + 1 < len(rest):
                    value, last = rest[k + 1].text, rest[k + 1]
                elif t.startswith(o + "="):
                    value, last = t[len(o) + 1:], w
            if value is not None and _is_all(value):
                ctx.report(self, span(w, last), f"{prog} serves on every network interface ({_host_part(value)})")
                return

    def _jupyter(self, prog, rest, span, ctx) -> None:
        texts = [w.text for w in rest]
        sub = prog.split("-", 1)[1] if "-" in prog else (texts[0] if texts else "")
        if sub not in ("notebook", "lab", "server", "nbclassic"):
            return
        bind = bind_end = None
        for k, t in enumerate(texts):
            if t.startswith(("--ip=", "--NotebookApp.ip=", "--ServerApp.ip=")) and _is_all(t.split("=", 1)[1]):
                bind, bind_end = rest[k], rest[k]
            elif t in ("--ip", "--NotebookApp.ip", "--ServerApp.ip") and k + 1 < len(texts) and _is_all(texts[k + 1]):
                bind, bind_end = rest[k], rest[k + 1]
        no_auth = next((rest[k] for k, t in enumerate(texts) if _TOKEN_OPTS.match(t)), None)
        if bind is not None and no_auth is not None:
            ctx.report(self, span(bind, bind_end), f"jupyter {sub} on every network interface with an empty "
                                                   f"token: anyone who reaches it runs code", severity=Severity.HIGH)
        elif bind is not None:
            ctx.report(self, span(bind, bind_end), f"jupyter {sub} serves a code-running kernel on every "
                                                   f"network interface")
        elif no_auth is not None:
            ctx.report(self, span(no_auth), f"jupyter {sub} with an empty token: any local process or web page "
                                            f"can drive the kernel")
