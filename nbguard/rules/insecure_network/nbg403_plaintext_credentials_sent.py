from __future__ import annotations

import ast

from ...model import Severity
from .._calls import (
    ENV_SET_CALL_NAMES,
    HTTP_CALL_NAMES,
    anchor,
    last_names,
    credentials_sent,
    data_sent,
    env_sets,
    http_call,
    magic_env_sets,
    may_have_kw,
    url_has_credentials,
)
from .._urls import callee, invocations, parse_url, shell_sends, url_of, urls_in, word_span, word_urls
from ..base import Rule

# Keyword arguments that point an SDK at its server.
_BASE_URL_KWARGS = ("base_url", "api_base", "openai_api_base", "azure_endpoint", "api_url", "server_url",
                    "endpoint_url", "tracking_uri", "registry_uri")
_BASE_URL_SET = frozenset(_BASE_URL_KWARGS)
# SDKs that send an API key or token with every request.
_KEYED_ROOTS = frozenset({"openai", "anthropic", "langchain_openai", "langchain_anthropic", "langchain_community",
                          "langchain", "llama_index", "cohere", "mistralai", "groq", "together", "litellm",
                          "huggingface_hub", "wandb", "replicate", "google", "vertexai", "pinecone", "weaviate",
                          "qdrant_client", "elasticsearch", "opensearchpy", "azure"})
# Environment variables naming a server that receives the tool's credentials.
_ENDPOINT_ENV = {
    "WANDB_BASE_URL": ("Weights & Biases", Severity.HIGH),
    "HF_ENDPOINT": ("Hugging Face Hub", Severity.HIGH),
    "OPENAI_BASE_URL": ("OpenAI client", Severity.HIGH),
    "OPENAI_API_BASE": ("OpenAI client", Severity.HIGH),
    "ANTHROPIC_BASE_URL": ("Anthropic client", Severity.HIGH),
    "LANGCHAIN_ENDPOINT": ("LangSmith", Severity.HIGH),
    "LANGSMITH_ENDPOINT": ("LangSmith", Severity.HIGH),
    "MLFLOW_TRACKING_URI": ("MLflow", Severity.MEDIUM),
    "MLFLOW_REGISTRY_URI": ("MLflow", Severity.MEDIUM),
}
_MLFLOW = ("mlflow.set_tracking_uri", "mlflow.set_registry_uri", "mlflow.tracking.set_tracking_uri")
# Search and vector-database clients: (keyword, position) of the server URL(s), and the
# keywords that carry a credential.
_STORE_CLIENTS = {
    "elasticsearch.Elasticsearch": ("hosts", 0), "elasticsearch.AsyncElasticsearch": ("hosts", 0),
    "opensearchpy.OpenSearch": ("hosts", 0), "opensearchpy.AsyncOpenSearch": ("hosts", 0),
    "qdrant_client.QdrantClient": ("url", None), "pymilvus.MilvusClient": ("uri", 0),
    "weaviate.Client": ("url", 0),
}
_STORE_CREDENTIALS = ("basic_auth", "http_auth", "api_key", "token", "password", "auth_client_secret")
_ANONYMOUS = ("", "anonymous", "ftp")
_URLLIB_REQUEST = ("urllib.request.Request", "urllib2.Request")
_URLLIB_OPEN = ("urllib.request.urlopen", "urllib2.urlopen")
_WANDB_LOGIN = "wandb.login"
_FTP = ("ftplib.FTP", "ftplib.FTP().login")
_TELNET = ("telnetlib.Telnet", "telnetlib3.open_connection")
_SMTP_LOGIN = "smtplib.SMTP().login"
_HOST_KEY_POLICY = "set_missing_host_key_policy"


class PlaintextCredentialsSent(Rule):
    """## What it does
    Finds credentials or uploads sent to a remote host without encryption.

    - `requests`/`httpx`/`aiohttp`/`urllib` requests to a non-local `http://` URL with
      `auth=`, an `Authorization`/`X-API-Key`/`Cookie` header, cookies, a key in the
      query or `user:password@` in the URL (high), or with `data=`/`json=`/`files=`
      or as a POST/PUT/PATCH (medium);
    - SDKs pointed at a plaintext server: `OpenAI(base_url="http://...")` and other
      keyed clients (high), search and vector stores given credentials
      (`Elasticsearch("http://...", basic_auth=...)`, OpenSearch, Qdrant, Milvus, Weaviate),
      `mlflow.set_tracking_uri("http://...")` (medium), and the
      `WANDB_BASE_URL`, `HF_ENDPOINT`, `OPENAI_BASE_URL`, `MLFLOW_TRACKING_URI`
      environment variables;
    - legacy cleartext protocols: `ftplib.FTP` logins, `telnetlib.Telnet`,
      `smtplib.SMTP(...).login()` with no `starttls()` in the notebook;
    - SSH clients that trust any host key: paramiko `AutoAddPolicy`/`WarningPolicy`;
    - `curl`/`wget` with `-u`, an authorization header or a request body to an `http://` URL.
    Local hosts (`localhost`, in-cluster service names, `*.local`) are exempt, and so
    are URLs whose host is only known at run time.

    ## Why is this bad?
    Over plain HTTP, FTP, Telnet or SMTP without STARTTLS, passwords, API keys and
    session cookies are readable by anyone on the network path, and so is the data
    you upload. An API key sniffed once keeps working until someone notices and
    revokes it. Accepting any SSH host key lets a machine in the middle collect the
    password or key you log in with.

    ## Example
    ```python
    client = OpenAI(base_url="http://gpu-box.example.org:8000/v1", api_key=os.environ["KEY"])
    requests.post("http://api.example.org/v1/score", json=rows, headers={"X-API-Key": key})
    ```

    Use instead:
    ```python
    client = OpenAI(base_url="https://gpu-box.example.org/v1", api_key=os.environ["KEY"])
    requests.post("https://api.example.org/v1/score", json=rows, headers={"X-API-Key": key}, timeout=30)
    ```
    For a server on your own machine, use `localhost` or an SSH tunnel; use
    `ftplib.FTP_TLS`, SFTP, `SMTP_SSL` or `starttls()`, and paramiko's `RejectPolicy`
    with known host keys.

    ## References
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html)
    - [CWE-523: Unprotected Transport of Credentials](https://cwe.mitre.org/data/definitions/523.html)
    - semgrep `python.requests.security.no-auth-over-http`,
      `python.lang.security.audit.insecure-transport.requests.request-with-http`
    - bandit B321 (ftplib), B312 (telnetlib), B507 (paramiko host keys); ruff S321, S312, S507
    """

    code = "NBG403"
    name = "plaintext-credentials-sent"
    category = "insecure-network"
    severity = Severity.HIGH
    cwe = 319
    peers = ("semgrep:python.requests.security.no-auth-over-http",
             "semgrep:python.lang.security.audit.insecure-transport.requests.request-with-http",
             "bandit:B321", "bandit:B312", "bandit:B507", "ruff:S321", "ruff:S312", "ruff:S507")
    fix = "use https:// (FTP_TLS, SFTP, SMTP_SSL/starttls) or keep the service on localhost / an SSH tunnel"
    nodes = (ast.Assign,)
    # check_call reports only: env_sets of an os.* call, the callees it names below (by
    # http_call or its tables), or a call given one of _BASE_URL_KWARGS (may_have_kw: or **)
    call_names = ENV_SET_CALL_NAMES | HTTP_CALL_NAMES | last_names(
        _URLLIB_REQUEST, _URLLIB_OPEN, _MLFLOW, _STORE_CLIENTS, (_WANDB_LOGIN, _SMTP_LOGIN), _FTP, _TELNET) \
        | {_HOST_KEY_POLICY}
    call_keywords = _BASE_URL_SET

    # -- Python calls --------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if q.startswith("os."):
            for e in env_sets(call.node, ctx.scope):
                self._env(e.name, e.value, e.node, ctx)
            return
        http = http_call(call)
        if http is not None:
            self._request(call, ctx, http.url, lambda: data_sent(call, http))
            return
        if q in _URLLIB_REQUEST:
            self._request(call, ctx, call.arg("url", 0),
                          lambda: "data=" if call.arg("data", 1) is not None else None, headers_pos=2)
            return
        if q in _URLLIB_OPEN:
            self._request(call, ctx, call.arg("url", 0), lambda: "data=" if call.arg("data", 1) is not None else None)
            return
        if q in _MLFLOW:
            self._endpoint(call, ctx, call.arg("uri", 0), "MLflow", Severity.MEDIUM)
            return
        if q in _STORE_CLIENTS:
            self._store(call, ctx, *_STORE_CLIENTS[q])
            return
        if q == _WANDB_LOGIN:
            self._endpoint(call, ctx, call.arg("host", None), "Weights & Biases", Severity.HIGH)
            return
        if q in _FTP:
            self._ftp(call, ctx)
            return
        if q in _TELNET:
            self._telnet(call, ctx)
            return
        if q == _SMTP_LOGIN:
            self._smtp(call, ctx)
            return
        if call.attr == _HOST_KEY_POLICY:
            self._paramiko(call, ctx)
            return
        if not may_have_kw(call, _BASE_URL_SET):
            return
        for kw in _BASE_URL_KWARGS:
            node = call.arg(kw, None)
            if node is None or (kw == "endpoint_url" and q.split(".", 1)[0] in ("boto3", "s3fs", "aioboto3")):
                continue  # object storage endpoints: NBG204
            keyed = q.split(".", 1)[0] in _KEYED_ROOTS or call.arg("api_key", None) is not None \
                or kw in ("openai_api_base", "azure_endpoint")
            what = "sends the API key and every prompt" if keyed else "sends its requests"
            self._endpoint(call, ctx, node, callee(call), Severity.HIGH if keyed else Severity.MEDIUM, what)
            return

    def _request(self, call, ctx, url_node, data, headers_pos: int | None = None) -> None:
        if url_node is None:
            return
        for _, info in urls_in(url_node, call.scope):
            if info.scheme != "http" or not info.plaintext or not info.host_known:
                continue
            creds = credentials_sent(call, info.url)
            if creds is None and headers_pos is not None:
                creds = _headers_creds(call, headers_pos)
            if creds:
                # a URL with user:password@ in it is itself a secret: keep it out of snippets
                ctx.report_node(self, anchor(call, url_node),
                                f"{callee(call)} sends credentials ({creds}) over plaintext http:// to "
                                f"{info.where}{info.source()}", sensitive=creds == "credentials in the URL")
                return
            sent = data()
            if sent:
                ctx.report_node(self, anchor(call, url_node),
                                f"{callee(call)} sends data ({sent}) over plaintext http:// to {info.where}"
                                f"{info.source()}", severity=Severity.MEDIUM)
            return

    def _endpoint(self, call, ctx, node, who: str, sev: Severity, what: str = "") -> None:
        if node is None:
            return
        info = url_of(call.scope.value(node))
        if info is None or info.scheme != "http" or not info.plaintext or not info.host_known:
            return
        what = what or ("sends run data, artifacts and any MLFLOW_TRACKING_* credentials" if who == "MLflow"
                        else "sends the API key")
        ctx.report_node(self, anchor(call, node), f"{who} {what} over plaintext http:// to {info.where}"
                                                  f"{info.source()}", severity=sev)

    def _store(self, call, ctx, kw: str, pos: int | None) -> None:
        """``Elasticsearch("http://es.corp:9200", basic_auth=(...))``: credentials to a plaintext server."""
        creds = next((k for k in _STORE_CREDENTIALS if call.arg(k, None) is not None), None)
        url_node = call.arg(kw, pos)
        if creds is None or url_node is None:
            return
        for _, info in urls_in(url_node, call.scope):
            if info.scheme == "http" and info.plaintext and info.host_known:
                ctx.report_node(self, anchor(call, url_node),
                                f"{callee(call)} sends credentials ({creds}=) over plaintext http:// to "
                                f"{info.where}{info.source()}")
                return

    def _ftp(self, call, ctx) -> None:
        if call.attr == "login":
            user = call.value("user", 0)
            pw = call.arg("passwd", 1)
            if pw is None and call.arg("user", 0) is None:
                return
            if user is not None and isinstance(user.value, str) and user.value.lower() in _ANONYMOUS:
                return
            ctx.report_node(self, call.node.func, "FTP login sends the user name and password in cleartext")
            return
        host = call.value("host", 0)
        if host is not None and isinstance(host.value, str) and not host.partial:
            info = parse_url("ftp://" + host.value)
            if info is None or info.local or info.placeholder:
                return
        user = call.value("user", 1)
        if call.arg("user", 1) is None or (user is not None and isinstance(user.value, str)
                                            and user.value.lower() in _ANONYMOUS):
            return
        ctx.report_node(self, call.node.func, "ftplib.FTP logs in with a password in cleartext (use FTP_TLS or SFTP)")

    def _telnet(self, call, ctx) -> None:
        host = call.value("host", 0)
        if host is None or not isinstance(host.value, str) or host.partial:
            return
        info = parse_url("telnet://" + host.value)
        if info is None or info.local or info.placeholder or not info.host_known:
            return
        ctx.report_node(self, call.node.func, f"Telnet session to {info.where}: everything, logins included, "
                                              f"travels in cleartext")

    def _smtp(self, call, ctx) -> None:
        if any("starttls" in c.source or "SMTP_SSL" in c.source for c in ctx.notebook.cells):
            return
        ctx.report_node(self, call.node.func, "SMTP login without starttls(): the password travels in cleartext")

    def _paramiko(self, call, ctx) -> None:
        node = call.arg("policy", 0)
        if node is None:
            return
        q = (call.scope.qualname(node) or "").replace("()", "")
        if q.endswith(("AutoAddPolicy", "WarningPolicy")):
            ctx.report_node(self, anchor(call, node), f"SSH client accepts unknown host keys ({q.rsplit('.', 1)[-1]}): "
                                                      f"a machine in the middle gets the login")

    # -- environment -------------------------------------------------------------------
    def check_node(self, node, ctx) -> None:
        for e in env_sets(node, ctx.scope):
            self._env(e.name, e.value, e.node, ctx)
        for t in node.targets:
            if isinstance(t, ast.Attribute) and t.attr in ("api_base", "base_url"):
                owner = ctx.scope.qualname(t.value) or ""
                if owner.split(".", 1)[0] in _KEYED_ROOTS:
                    info = url_of(ctx.scope.value(node.value))
                    if info is not None and info.scheme == "http" and info.plaintext and info.host_known:
                        ctx.report_node(self, node, f"{owner}.{t.attr} points at plaintext http:// ({info.where}): "
                                                    f"the API key and every prompt travel in cleartext")

    def _env(self, name: str, value, node, ctx) -> None:
        spec = _ENDPOINT_ENV.get(name)
        if spec is None or value is None or not isinstance(value.value, str):
            return
        info = url_of(value)
        if info is None or info.scheme != "http" or not info.plaintext or not info.host_known:
            return
        who, sev = spec
        ctx.report_node(self, node, f"{name} points {who} at plaintext http:// ({info.where}): its credentials "
                                    f"and data travel in cleartext", severity=sev)

    def check_magic(self, magic, ctx) -> None:
        env = magic_env_sets(magic)
        if env is None:
            return
        name, value, off = env
        spec = _ENDPOINT_ENV.get(name)
        info = parse_url(value) if spec else None
        if info is None or info.scheme != "http" or not info.plaintext or not info.host_known:
            return
        who, sev = spec
        start = magic.col + off
        ctx.report(self, (magic.line, start, magic.line, start + max(1, len(value))),
                   f"{name} points {who} at plaintext http:// ({info.where}): its credentials and data travel "
                   f"in cleartext", severity=sev)

    # -- shell ---------------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for inv in invocations(cmd.text):
            prog, args = inv.program, inv.args
            if prog not in ("curl", "wget", "git", "aria2c", "lftp", "svn", "hg"):
                continue
            creds = data = None
            if prog in ("curl", "wget"):
                creds, data = shell_sends(prog, args)
            for w, info in word_urls(cmd, args, ctx):
                if info.scheme not in ("http", "ftp") or not info.plaintext or not info.host_known:
                    continue
                if url_has_credentials(info.url):
                    ctx.report(self, word_span(cmd, w, ctx), f"{prog} sends credentials in the URL over plaintext "
                                                             f"{info.scheme}:// to {info.where}", sensitive=True)
                elif creds:
                    ctx.report(self, word_span(cmd, w, ctx), f"{prog} sends credentials ({creds}) over plaintext "
                                                             f"{info.scheme}:// to {info.where}")
                elif data:
                    ctx.report(self, word_span(cmd, w, ctx), f"{prog} sends data ({data}) over plaintext "
                                                             f"{info.scheme}:// to {info.where}",
                               severity=Severity.MEDIUM)
                else:
                    continue
                break


def _headers_creds(call, pos: int) -> str | None:
    from .._calls import dict_value, is_credential_key

    d = dict_value(call.scope, call.arg("headers", pos))
    for key in d or ():
        if isinstance(key, str) and is_credential_key(key):
            return f"the '{key}' header"
    return None
