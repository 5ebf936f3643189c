from __future__ import annotations

import ast
import re

from ...model import Severity
from .._shell import parse, program, stdout_to_file
from ..base import Rule
from ._shared import SHOWN_CALL_NAMES, is_displayed_last_expr, shown_args

# Files whose whole content is a credential (or a store of them).
CREDENTIAL_FILE = re.compile(
    r"(?:^|/)(?:"
    r"\.aws/credentials|\.netrc|_netrc|\.git-credentials|\.pgpass|\.pypirc|\.databrickscfg|\.npmrc"
    r"|\.cache/huggingface/(?:token|stored_tokens)|\.huggingface/token"
    r"|kaggle\.json"
    r"|\.env(?:\.(?!example|sample|template|dist|defaults?\b)[\w\-]+)?"
    r"|\.config/gcloud/(?:application_default_credentials\.json|credentials\.db|access_tokens\.db|legacy_credentials/\S+)"
    r"|application_default_credentials\.json"
    r"|\.ssh/id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?"
    r"|\.docker/config\.json|\.kube/config|\.azure/(?:accessTokens|msal_token_cache)\.json"
    r"|\.streamlit/secrets\.toml|secrets\.toml"
    r"|client_secrets?(?:_[\w\-.]+)?\.json|credentials\.json|service[_\-]?account(?:[_\-][\w\-.]*)?\.json"
    r")$")
# Programs that print a file's content.
_PRINTERS = frozenset({"cat", "head", "tail", "less", "more", "bat", "batcat", "tac", "nl", "xxd", "od", "hexdump",
                       "strings", "base64", "jq", "grep", "egrep", "fgrep", "rg", "awk", "sed", "column", "sort",
                       "uniq", "cut", "view", "type", "pygmentize"})
_PRINT_MAGICS = frozenset({"cat", "less", "more", "head", "tail", "pycat", "load"})
_READ_METHODS = frozenset({"read", "read_text", "readlines", "readline", "read_bytes"})
_LOADERS = ("json.load", "yaml.safe_load", "yaml.load", "yaml.full_load", "toml.load", "tomllib.load", "tomli.load")
_DOTENV = ("dotenv.dotenv_values", "dotenv.main.dotenv_values")


def credential_path(path: str) -> bool:
    """Does ``path`` name a credential file (``~/.aws/credentials``, ``.env``, ``kaggle.json``...)?"""
    p = path.strip().strip("'\"").replace("\\", "/").rstrip("/")
    if not p or len(p) > 400 or "\n" in p:
        return False
    return CREDENTIAL_FILE.search(p) is not None


class CredentialFileDisplayed(Rule):
    """## What it does
    Finds a credential file printed into the notebook: `!cat ~/.aws/credentials`,
    `!cat ~/.kaggle/kaggle.json`, `!head ~/.netrc`, `!cat .env`,
    `!cat ~/.cache/huggingface/token`, `!cat ~/.config/gcloud/application_default_credentials.json`,
    `!cat ~/.ssh/id_rsa`, the `%pycat` / `%load` magics on such a file, and Python that
    shows one: `print(open(".env").read())`, `Path(p).read_text()` as the last
    expression, `print(json.load(f))` of `kaggle.json`, `print(dotenv_values())`.
    Listing (`!ls ~/.aws`), copying or `chmod`-ing the file is fine.

    ## Why is this bad?
    These files hold the credential in clear text. Displaying one writes its content
    into the cell output, which is saved with the notebook; `%load` even pastes it into
    the cell source.

    ## Example
    ```python
    !cat ~/.kaggle/kaggle.json
    ```

    Use instead:
    ```python
    !ls -l ~/.kaggle/kaggle.json   # check it exists, not what it holds
    ```
    and let the SDK read the file itself.

    ## References
    - [CWE-200: Exposure of Sensitive Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/200.html)
    - [CWE-538: Insertion of Sensitive Information into Externally-Accessible File or Directory](https://cwe.mitre.org/data/definitions/538.html)
    """

    code = "NBG106"
    call_names = SHOWN_CALL_NAMES  # check_call looks only at shown_args()
    name = "credential-file-displayed"
    category = "secrets"
    severity = Severity.HIGH
    cwe = 200
    peers = ()
    fix = "check that the file exists (ls -l) instead of printing it, and clear the output that shows it"

    # -- shell ------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        if cmd.origin == "%%writefile":
            return  # a script written to a file: its output is not the notebook's
        for c in parse(cmd.text):
            inv = program(c)
            if inv is None or inv.program not in _PRINTERS or stdout_to_file(c):
                continue
            for w in inv.args:
                if not w.text.startswith("-") and credential_path(w.text):
                    ctx.report(self, cmd.span(w.start, w.end),
                               f"credential file {w.text} is printed with {inv.program}", sensitive=False)
                    break

    def check_magic(self, magic, ctx) -> None:
        if magic.name not in _PRINT_MAGICS:
            return
        for m in re.finditer(r"\S+", magic.args):
            if not m.group().startswith("-") and credential_path(m.group()):
                verb = "pasted into the cell" if magic.name == "load" else "shown"
                span = (magic.line, magic.col + m.start(), magic.line, magic.col + m.end())
                ctx.report(self, span, f"credential file {m.group()} is {verb} with %{magic.name}", sensitive=False)
                return

    # -- Python -----------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        for arg in shown_args(call, ctx):
            path = self._read_path(arg, ctx.scope)
            if path:
                ctx.report(self, ctx.node_span(arg), f"credential file {path} is printed with {call.qualname}",
                           sensitive=False)
                return

    nodes = (ast.Expr,)

    def check_node(self, node, ctx) -> None:
        if not isinstance(node.value, ast.Call) or not is_displayed_last_expr(node, ctx):
            return
        path = self._read_path(node.value, ctx.scope)
        if path:
            ctx.report(self, ctx.node_span(node), f"credential file {path} is displayed as the cell's last expression",
                       sensitive=False)

    def _read_path(self, expr: ast.expr, scope, depth: int = 0) -> str | None:
        """The credential file whose content ``expr`` is, if any."""
        if depth > 6:
            return None
        if isinstance(expr, ast.Name):
            bound = scope.bound_expr(expr.id)
            return self._read_path(bound[0], scope, depth + 1) if bound else None
        if isinstance(expr, ast.JoinedStr):
            for v in expr.values:
                if isinstance(v, ast.FormattedValue):
                    p = self._read_path(v.value, scope, depth + 1)
                    if p:
                        return p
            return None
        if not isinstance(expr, ast.Call):
            return None
        q = scope.qualname(expr.func) or ""
        f = expr.func
        if isinstance(f, ast.Attribute) and f.attr in _READ_METHODS:
            return _opened_path(f.value, scope)
        if q in _LOADERS or q.endswith(tuple("." + x for x in _LOADERS)):
            return _opened_path(expr.args[0], scope) if expr.args else None
        if q in _DOTENV or q.endswith(".dotenv_values"):
            p = _path(expr.args[0], scope) if expr.args else ".env"
            return p if p and credential_path(p) else None
        if q in ("str", "repr", "json.dumps", "dict") and expr.args:
            return self._read_path(expr.args[0], scope, depth + 1)
        return None


def _opened_path(expr: ast.expr, scope, depth: int = 0) -> str | None:
    """``open(P)`` / ``Path(P)`` / a name bound to one -> P when it is a credential file."""
    if depth > 6:
        return None
    if isinstance(expr, ast.Name):
        bound = scope.bound_expr(expr.id)
        return _opened_path(bound[0], scope, depth + 1) if bound else None
    if isinstance(expr, ast.Call):
        q = scope.qualname(expr.func) or ""
        if q in ("open", "io.open", "codecs.open", "builtins.open") or q.endswith((".Path", "Path", ".PurePath")):
            p = _path(expr.args[0], scope) if expr.args else None
            return p if p and credential_path(p) else None
        if isinstance(expr.func, ast.Attribute) and expr.func.attr == "open":  # Path(P).open()
            return _opened_path(expr.func.value, scope, depth + 1)
    if isinstance(expr, (ast.Call, ast.BinOp)):  # Path.home() / ".netrc", Path.home().joinpath(...)
        p = _path(expr, scope)
        return p if p and credential_path(p) else None
    return None


def _path(expr: ast.expr, scope, depth: int = 0) -> str | None:
    """A path expression as text: literals, names, ``expanduser``, ``os.path.join``, ``Path.home() / ...``."""
    if depth > 8:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        a, b = _path(expr.left, scope, depth + 1), _path(expr.right, scope, depth + 1)
        return f"{a.rstrip('/')}/{b}" if a is not None and b is not None else None
    if isinstance(expr, ast.Call):
        q = scope.qualname(expr.func) or ""
        if q.endswith(("Path.home", "Path().home")) or (q.endswith("expanduser") and not expr.args):
            return "~"
        if q.endswith(("os.getenv", "os.environ.get")) and expr.args:
            k = scope.str_value(expr.args[0])
            return "~" if k is not None and k.value in ("HOME", "USERPROFILE") else None
        if q.endswith(("expanduser", "expandvars", "abspath", "realpath", "fspath", "Path", "PurePath", "str")) \
                and len(expr.args) == 1:
            return _path(expr.args[0], scope, depth + 1)
        if q.endswith(("path.join", "Path.joinpath", ".joinpath")) and expr.args:
            parts = [_path(a, scope, depth + 1) for a in expr.args]
            if isinstance(expr.func, ast.Attribute) and q.endswith(".joinpath") and not q.endswith("Path.joinpath"):
                base = _path(expr.func.value, scope, depth + 1)
                parts = [base] + parts
            if any(p is None for p in parts):
                return None
            return "/".join(p.rstrip("/") for p in parts)
        return None
    if isinstance(expr, ast.Subscript) and scope.qualname(expr.value) == "os.environ":
        k = scope.str_value(expr.slice)
        return "~" if k is not None and k.value in ("HOME", "USERPROFILE") else None
    v = scope.str_value(expr)
    if v is not None and not v.partial:
        return v.value
    if isinstance(expr, ast.Name):
        bound = scope.bound_expr(expr.id)
        return _path(bound[0], scope, depth + 1) if bound else None
    return None
