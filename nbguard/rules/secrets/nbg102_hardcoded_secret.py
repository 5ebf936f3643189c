from __future__ import annotations

import ast
import re

from ...model import Severity
from ..base import Rule
from ._shared import PROVIDER_ENV, credential_value, literal_source, report_literal, secret_name_kind

# Top-level modules (and bare class names) of ML and cloud SDKs: a literal credential passed
# to them unlocks paid models, data or infrastructure, so it is reported as high.
SDK_MODULES = frozenset({
    "huggingface_hub", "transformers", "diffusers", "datasets", "sentence_transformers", "peft", "trl", "evaluate",
    "wandb", "openai", "anthropic", "cohere", "mistralai", "groq", "replicate", "together", "voyageai",
    "google", "vertexai", "azure", "boto3", "botocore", "sagemaker", "s3fs", "gcsfs", "adlfs", "fsspec",
    "pinecone", "qdrant_client", "weaviate", "chromadb", "langchain", "langchain_openai", "langchain_anthropic",
    "langchain_community", "langchain_google_genai", "llama_index", "mlflow", "comet_ml", "neptune", "clearml",
    "kaggle", "databricks", "snowflake", "sqlalchemy", "pymongo", "psycopg2", "psycopg", "pymysql", "redis",
    "elasticsearch", "opensearchpy", "tavily", "litellm", "github", "gitlab", "slack_sdk", "twilio", "stripe",
})
SDK_CLASSES = frozenset({"OpenAI", "AsyncOpenAI", "AzureOpenAI", "Anthropic", "AsyncAnthropic", "Pinecone",
                         "ChatOpenAI", "ChatAnthropic", "OpenAIEmbeddings", "HfApi", "InferenceClient", "Groq",
                         "MongoClient", "Mistral", "Together", "QdrantClient", "Elasticsearch"})

# Keyword arguments that carry a credential whatever their name says.
_CREDENTIAL_KWARGS = {"use_auth_token": "secret", "hf_token": "secret", "aws_access_key_id": "weak",
                      "storage_key": "weak", "account_key": "secret", "sas_token": "secret"}
# Keys of fsspec/pandas storage_options that are credentials.
_STORAGE_KEYS = {"key": "secret", "secret": "secret", "token": "secret", "password": "password",
                 "account_key": "secret", "sas_token": "secret", "client_secret": "secret",
                 "connection_string": "secret", "session_token": "secret"}
# Positional credentials: qualname suffix -> (position, what it is).
_POSITIONAL = {
    "huggingface_hub.login": (0, "token"), "huggingface_hub.interpreter_login": (0, "token"),
    "wandb.login": (1, "key"), "requests.auth.HTTPBasicAuth": (1, "password"),
    "requests.auth.HTTPDigestAuth": (1, "password"), "requests.auth.HTTPProxyAuth": (1, "password"),
    "aiohttp.BasicAuth": (1, "password"), "httpx.BasicAuth": (1, "password"), "httpx.DigestAuth": (1, "password"),
    "SMTP().login": (1, "password"), "SMTP_SSL().login": (1, "password"), "FTP().login": (1, "password"),
    "FTP_TLS().login": (1, "password"), "IMAP4().login": (1, "password"), "IMAP4_SSL().login": (1, "password"),
    "pymysql.connect": (2, "password"), "dotenv.set_key": (2, "value"),
    # SDK clients whose first positional parameter is the API key or token
    "cohere.Client": (0, "api_key"), "cohere.ClientV2": (0, "api_key"), "cohere.AsyncClient": (0, "api_key"),
    "cohere.AsyncClientV2": (0, "api_key"), "voyageai.Client": (0, "api_key"),
    "voyageai.AsyncClient": (0, "api_key"), "pyngrok.ngrok.set_auth_token": (0, "token"),
    "huggingface_hub.HfFolder.save_token": (0, "token"), "github.Github": (0, "token"),
    "tweepy.Client": (0, "bearer_token"), "elevenlabs.set_api_key": (0, "api_key"),
    # AWS and S3-compatible object stores: the access key id comes first, the secret key after it
    # (the id is found by its AKIA... shape, NBG101; the secret has no shape of its own)
    "boto.connect_s3": (1, "secret key"), "boto.connect_ec2": (1, "secret key"),
    "boto.connect_sqs": (1, "secret key"), "boto.connect_sns": (1, "secret key"),
    "boto.connect_dynamodb": (1, "secret key"), "boto.s3.connection.S3Connection": (1, "secret key"),
    "boto3.Session": (1, "secret key"), "boto3.session.Session": (1, "secret key"),
    "boto3.client": (7, "secret key"), "boto3.resource": (7, "secret key"),
    "Session().client": (7, "secret key"), "Session().resource": (7, "secret key"),
    "minio.Minio": (2, "secret key"),
}
_AUTH_HEADER = re.compile(r"^(?:Bearer|Basic|Token|Bot|ApiKey|Api-Key|SSWS|Key)\s+(\S+)\s*$", re.I)
# _POSITIONAL by the suffix's last name: a call can match only the entries of its own last name.
_POSITIONAL_BY_NAME: dict[str, list[tuple[str, tuple[int, str]]]] = {}
for _suffix, _spec in _POSITIONAL.items():
    if _suffix != "dotenv.set_key":  # handled with os.environ.setdefault
        _POSITIONAL_BY_NAME.setdefault(_suffix.rpartition(".")[2], []).append((_suffix, _spec))
# Environment calls whose key names the value: set it, or read it with a fallback.
_ENV_SETTERS = ("os.environ.setdefault", "os.putenv", "dotenv.set_key")
_ENV_GETTERS = ("os.environ.get", "os.getenv")
_ENV_CALL_NAMES = frozenset(s.rpartition(".")[2] for s in _ENV_SETTERS + _ENV_GETTERS)  # a cheap test first
_AUTH_PAIR_KWARGS = ("auth", "basic_auth", "http_auth")
_SDK_KEY_KWARGS = ("key", "secret")  # credentials for wandb.login and s3fs/boto3
_CONFIG_SETTERS = ("set", "config")
# Keyword names check_call's keyword loop looks at; any other keyword is skipped at once.
_KW_SPECIAL = frozenset(("storage_options",) + _AUTH_PAIR_KWARGS + _SDK_KEY_KWARGS) | frozenset(_CREDENTIAL_KWARGS)


def _kw_checked(name: str) -> bool:
    """Could check_call report through a keyword of this name? (a pure function of the name)"""
    return name in _KW_SPECIAL or secret_name_kind(name) is not None


# Calls where `token=` is a vocabulary word, not a credential.
_TOKEN_WORD_CALLS = ("load_textual_inversion", "add_tokens", "convert_tokens_to_ids", "token_to_id",
                     "add_special_tokens", "encode", "decode", "tokenize")


# Dotted configuration keys (Spark / Hadoop connectors) that hold a credential, matched on one
# segment or two adjacent ones: fs.azure.account.key.<acct>..., fs.s3a.secret.key,
# fs.azure.sas.<container>..., fs.azure.account.oauth2.client.secret, ...private.key...
_CONFIG_PAIRS = {"account_key": "secret", "secret_key": "secret", "session_token": "secret",
                 "client_secret": "secret", "private_key": "secret", "access_token": "secret",
                 "sas_token": "secret", "auth_token": "secret", "access_key": "weak"}
_CONFIG_SEGMENTS = {"password": "password", "secret": "secret", "token": "secret", "sas": "secret"}


def _config_key_kind(key: str) -> str | None:
    """``fs.azure.account.key.acme.dfs.core.windows.net`` -> "secret"; ``spark.sql.shuffle.partitions`` -> None."""
    segs = key.lower().split(".")
    if len(segs) < 2 or len(key) > 300:
        return None
    for i, seg in enumerate(segs):
        if i + 1 < len(segs) and f"{seg}_{segs[i + 1]}" in _CONFIG_PAIRS:
            return _CONFIG_PAIRS[f"{seg}_{segs[i + 1]}"]
        if seg in _CONFIG_SEGMENTS:
            return _CONFIG_SEGMENTS[seg]
    return None


def _is_sdk(qualname: str) -> bool:
    head = qualname.split(".", 1)[0].split("(", 1)[0]
    return head in SDK_MODULES or head in SDK_CLASSES


def _env_key(scope, node: ast.Subscript) -> str | None:
    """``os.environ["K"]`` -> "K"."""
    if scope.qualname(node.value) != "os.environ":
        return None
    v = scope.str_value(node.slice)
    return v.value if v is not None and not v.partial else None


class HardcodedSecret(Rule):
    """## What it does
    Finds a literal string given to something whose name says it is a credential: a
    variable (`API_KEY = "..."`), an attribute (`openai.api_key = "..."`), a keyword
    argument (`OpenAI(api_key="...")`, `wandb.login(key="...")`,
    `boto3.client(aws_secret_access_key="...")`), a dict key (`{"password": "..."}`,
    `storage_options={"secret": ...}`, an `Authorization` header), an environment
    variable (`os.environ["WANDB_API_KEY"] = "..."`, `os.environ.setdefault`,
    `os.putenv`), a connector setting (`spark.conf.set("fs.azure.account.key.<acct>...", "...")`,
    `hadoopConfiguration().set("fs.s3a.secret.key", "...")`), a default (`os.getenv("TOKEN", "...")`, `def f(password="...")`) or
    a positional credential (`huggingface_hub.login("...")`, `HTTPBasicAuth(user, "...")`,
    `cohere.Client("...")`, `ngrok.set_auth_token("...")`).
    A literal defined in one cell and used in a later one is reported where it is
    written, once. Passing the literal to an ML or cloud SDK makes the finding high.

    Tokenizer words (`pad_token="[PAD]"`, `eos_token="</s>"`, `max_new_tokens`),
    booleans (`use_auth_token=True`), placeholders (`"YOUR_API_KEY"`, `"<key>"`),
    environment-variable names (`token="HF_TOKEN"`), file paths, checksums and
    revisions, and values read at run time (`os.environ[...]`, `getpass()`,
    `userdata.get(...)`) are not reported. Token- and key-like names need a value that
    looks generated (letters and digits mixed); password-like names take any value
    that is not a documentation dummy (`"postgres"`, `"tiger"`).

    ## Why is this bad?
    Keys without a recognisable prefix (W&B, Kaggle, database passwords, internal
    APIs) slip past format-based scanners, but a shared notebook publishes them all
    the same. Bandit and ruff only match `_`-delimited password names, so they miss
    `OPENAI_API_KEY = ...` and `OpenAI(api_key=...)`.

    ## Example
    ```python
    WANDB_KEY = "3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d1e3f5a7b"
    wandb.login(key=WANDB_KEY)
    ```

    Use instead:
    ```python
    wandb.login()  # reads WANDB_API_KEY from the environment, or prompts
    ```
    or `os.environ["..."]`, `getpass.getpass()`, Colab `userdata.get(...)`. Then revoke
    the exposed credential.

    ## References
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    - [CWE-259: Use of Hard-coded Password](https://cwe.mitre.org/data/definitions/259.html)
    - Bandit B105/B106/B107, ruff S105/S106/S107 (password names only)
    """

    code = "NBG102"
    name = "hardcoded-secret"
    category = "secrets"
    severity = Severity.MEDIUM
    cwe = 798
    peers = ("bandit:B105", "bandit:B106", "bandit:B107", "ruff:S105", "ruff:S106", "ruff:S107",
             "detect-secrets:KeywordDetector", "semgrep:python.boto3.security.hardcoded-token")
    fix = "read the credential at run time (os.environ, getpass, a secrets manager) and revoke the exposed one"
    nodes = (ast.Assign, ast.AnnAssign, ast.Dict, ast.arguments)
    # check_call reports through a keyword _kw_checked admits, or on the callees it names
    # (environment setters/getters, set/config, _POSITIONAL)
    call_names = _ENV_CALL_NAMES | frozenset(_CONFIG_SETTERS) | frozenset(_POSITIONAL_BY_NAME)
    call_keywords = staticmethod(_kw_checked)

    # -- nodes -----------------------------------------------------------------
    @classmethod
    def autofix(cls, finding, site):
        """A whole-literal credential becomes ``os.environ["NAME"]`` (see ``secrets/_autofix.py``)."""
        from ._autofix import fix_secret

        return fix_secret(finding, site)

    def check_node(self, node, ctx) -> None:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if type(t) is ast.Name and secret_name_kind(t.id) is None:
                    continue  # what _target does with this name: nothing
                self._target(t, node.value, ctx)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._target(node.target, node.value, ctx)
        elif isinstance(node, ast.Dict):
            self._dict(node, ctx)
        elif isinstance(node, ast.arguments):
            self._defaults(node, ctx)

    def _target(self, target: ast.expr, value: ast.expr, ctx) -> None:
        scope = ctx.scope
        if isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts):
                    self._target(t, v, ctx)
            return
        high = False
        if isinstance(target, ast.Name):
            if secret_name_kind(target.id) is None:
                return  # _check would stop at once
            name, what = target.id, f"assigned to '{target.id}'"
        elif isinstance(target, ast.Attribute):
            if secret_name_kind(target.attr) is None:
                return  # _check would stop at once
            name, what = target.attr, f"assigned to '{ast.unparse(target)[:60]}'"
            high = _is_sdk(scope.qualname(target) or "")
        elif isinstance(target, ast.Subscript):
            env = _env_key(scope, target)
            if env is not None:
                name, what = env, f"assigned to environment variable {env}"
                high = env.upper() in PROVIDER_ENV
            else:
                key = scope.str_value(target.slice)
                if key is None or key.partial:
                    return
                name, what = key.value, f"assigned to key '{key.value}'"
        else:
            return
        self._check(name, value, what, ctx, high)

    def _dict(self, node: ast.Dict, ctx) -> None:
        for k, v in zip(node.keys, node.values):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                continue
            if k.value.lower() in ("authorization", "proxy-authorization"):
                found = literal_source(v, ctx.scope)
                if found is not None:
                    m = _AUTH_HEADER.match(found[0].value)
                    if m and credential_value(m.group(1), "secret"):
                        report_literal(self, ctx, found[0], found[1], f"hard-coded credential in the "
                                       f"{k.value} header", severity=Severity.HIGH)
                continue
            if secret_name_kind(k.value) is not None:  # else _check would stop at once
                self._check(k.value, v, f"in dict key '{k.value}'", ctx, False)

    def _defaults(self, node: ast.arguments, ctx) -> None:
        positional = node.posonlyargs + node.args
        pairs = list(zip(positional[len(positional) - len(node.defaults):], node.defaults))
        pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None]
        for arg, default in pairs:
            if isinstance(default, ast.Constant) and secret_name_kind(arg.arg) is not None:
                self._check(arg.arg, default, f"as the default of parameter '{arg.arg}'", ctx, False)

    # -- calls -----------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        node = call.node
        if not node.args and not node.keywords:
            return  # every check below reads an argument
        q = call.qualname
        sdk = _is_sdk(q) if node.keywords else False  # for the keyword checks
        callee = q or call.attr
        last = q.rpartition(".")[2]
        token_words = call.attr in _TOKEN_WORD_CALLS
        for kw in node.keywords:
            if kw.arg is None or not _kw_checked(kw.arg):
                continue  # **kw is not read here; other names stop at the tests below
            if kw.arg == "storage_options":
                self._storage_options(call, ctx)
                continue
            if kw.arg in _AUTH_PAIR_KWARGS and isinstance(kw.value, (ast.Tuple, ast.List)) \
                    and len(kw.value.elts) == 2:
                self._check("password", kw.value.elts[1], f"as the password in {kw.arg}= of {callee}", ctx, sdk)
                continue
            if token_words and kw.arg == "token":
                continue
            kind = _CREDENTIAL_KWARGS.get(kw.arg)
            if kw.arg in _SDK_KEY_KWARGS and (call.matches("wandb.login") or q.startswith(("s3fs.", "boto3."))):
                kind = "secret"
            if kind is None and secret_name_kind(kw.arg) is None:
                continue  # _check would stop at once
            self._check(kw.arg, kw.value, f"passed as {kw.arg}= to {callee}", ctx, sdk, kind=kind)
        if last in _ENV_CALL_NAMES and (call.matches(*_ENV_SETTERS) or
                                        (call.matches(*_ENV_GETTERS) and len(node.args) >= 2)):
            key_pos = 1 if call.matches("dotenv.set_key") else 0
            k = call.scope.str_value(call.arg(None, key_pos))
            if k is not None and not k.partial:
                default = call.matches(*_ENV_GETTERS)
                what = f"{'as the fallback of' if default else 'assigned to'} environment variable {k.value}"
                self._check(k.value, call.arg(None, key_pos + 1), what, ctx, k.value.upper() in PROVIDER_ENV)
            return
        if call.attr in _CONFIG_SETTERS and len(node.args) >= 2:
            # spark.conf.set("fs.azure.account.key.<acct>.dfs.core.windows.net", "..."),
            # hadoopConfiguration().set("fs.s3a.secret.key", "..."), builder.config(...)
            k = call.scope.str_value(node.args[0])
            if k is not None and not k.partial and "." in k.value:
                kind = _config_key_kind(k.value)
                if kind is not None:
                    self._check(k.value, node.args[1], f"set as configuration '{k.value[:60]}' by {callee}", ctx,
                                True, kind=kind)
                    return
        for suffix, (pos, label) in _POSITIONAL_BY_NAME.get(last, ()):
            if call.matches(suffix) or (suffix.startswith(("SMTP", "FTP", "IMAP")) and q.endswith(suffix)):
                if pos < len(node.args):
                    kind = "password" if label == "password" else "secret"
                    self._check(label, node.args[pos], f"passed as the {label} to {callee}", ctx,
                                _is_sdk(q) or label != "password", kind=kind)
                return

    def _storage_options(self, call, ctx) -> None:
        v = call.value("storage_options")
        if v is None or not isinstance(v.value, dict):
            return
        for key, entry in v.value.items():
            kind = _STORAGE_KEYS.get(key) if isinstance(key, str) else None
            if kind is not None:
                self._check(key, entry.expr, f"in storage_options['{key}'] of {call.qualname or call.attr}",
                            ctx, True, kind=kind)

    # -- the check ---------------------------------------------------------------
    def _check(self, name: str, value: ast.expr, what: str, ctx, high: bool, kind: str | None = None) -> None:
        kind = kind or secret_name_kind(name)
        if kind is None:
            return
        found = literal_source(value, ctx.scope)
        if found is None:
            return
        node, origin = found
        if not credential_value(node.value, kind):
            return
        if origin is not None and not isinstance(value, ast.Constant):
            here = f"cell {ctx.cell.index + 1}" if ctx.cell is not None else "a later cell"
            message = f"hard-coded credential '{origin.name}' {what} in {here}, line {value.lineno}"
        else:
            message = f"hard-coded credential {what}"
        severity = Severity.HIGH if high else None
        report_literal(self, ctx, node, origin, message, severity=severity)
