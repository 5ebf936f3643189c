from __future__ import annotations

import ast
import re

from ...model import Severity
from .._shell import parse, program, stdout_to_file
from ..base import Rule
from ._shared import (
    SHOWN_CALL_NAMES,
    cell_has_output,
    is_displayed_last_expr,
    secret_env_name,
    secret_name_kind,
    shown_args,
)

_GETPASS = ("getpass.getpass", "getpass")
_SECRET_STORES = ("google.colab.userdata.get", "UserSecretsClient().get_secret", "kaggle_secrets.UserSecretsClient",
                  "huggingface_hub.get_token", "HfFolder.get_token", "huggingface_hub.HfFolder.get_token",
                  ".get_secret_value", ".access_secret_version", "keyring.get_password")
_SHELL_VAR = re.compile(r"\$\{?(?P<name>[A-Za-z_]\w*)\}?|\{(?P<expr>[A-Za-z_][\w.]*)\}")


_secret_env = secret_env_name

# Attribute names that are a credential only on a credential object: ``credentials.token`` (a
# google.auth access token), ``session.token`` -- but ``out.token`` is a language model's output
# token and ``tokenizer.token`` a vocabulary entry.
_BARE_ATTRS = frozenset({"token", "key", "secret", "value"})
_CREDENTIAL_OBJECT = re.compile(r"cred|auth|oauth|login|session|secret|passw|jwt|bearer|api_?key|access|sts", re.I)


def _credential_object(expr: ast.expr, scope) -> bool:
    """Is ``expr`` (the object of an attribute) a credentials or auth object, by its name or by
    what it was made from (``creds = google.auth.default()[0]``, ``s = boto3.Session()``)?"""
    names = []
    e = expr
    while isinstance(e, (ast.Attribute, ast.Call, ast.Subscript)):
        e = e.func if isinstance(e, ast.Call) else e.value
        if isinstance(e, ast.Attribute):
            names.append(e.attr)
    if isinstance(e, ast.Name):
        names.append(e.id)
        bound = scope.bound_expr(e.id)
        if bound is not None:
            names.append(scope.qualname(bound[0].func if isinstance(bound[0], ast.Call) else bound[0]) or "")
    if isinstance(expr, ast.Attribute):
        names.append(expr.attr)
    return any(_CREDENTIAL_OBJECT.search(n) for n in names if n)


def secret_source(expr: ast.expr | None, scope, depth: int = 0) -> str | None:
    """Where ``expr`` gets a secret from ("environment variable HF_TOKEN", "getpass()"), or None."""
    if expr is None or depth > 8:
        return None
    if isinstance(expr, ast.Name):
        bound = scope.bound_expr(expr.id)
        if bound is None:
            return None
        src = secret_source(bound[0], scope, depth + 1)
        return f"{src} (via '{expr.id}')" if src and "via" not in src else src
    if isinstance(expr, ast.Subscript):
        if scope.qualname(expr.value) == "os.environ":
            k = scope.str_value(expr.slice)
            return f"environment variable {k.value}" if k is not None and _secret_env(k.value) else None
        key = expr.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):  # resp["SecretString"]
            return secret_source(expr.value, scope, depth + 1)
        return None
    if isinstance(expr, ast.Attribute):
        if secret_name_kind(expr.attr) in ("secret", "password") and not (
                isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls")):
            if expr.attr.lower() in _BARE_ATTRS and not _credential_object(expr.value, scope):
                return None
            return f"attribute '{expr.attr}'"
        return None
    if isinstance(expr, ast.Call):
        q = scope.qualname(expr.func) or ""
        if q in ("os.getenv", "os.environ.get", "os.environ.pop", "os.environ.setdefault") and expr.args:
            k = scope.str_value(expr.args[0])
            return f"environment variable {k.value}" if k is not None and _secret_env(k.value) else None
        if q in _GETPASS or q.endswith(".getpass.getpass"):
            return "getpass()"
        if any(q == s or q.endswith(s if s.startswith(".") else "." + s) for s in _SECRET_STORES):
            return "a secrets store" if "userdata" not in q else "a Colab secret (userdata.get)"
    return None


def exposed(expr: ast.expr, scope) -> tuple[ast.expr, str] | None:
    """The part of a printed expression that shows a secret whole, and where it comes from.
    ``tok``, ``f"key={tok}"``, ``"key " + tok``, ``str(tok)``, ``"{}".format(tok)`` -- not
    ``tok[:4]``, ``len(tok)``, ``bool(tok)``, ``"set" if tok else "missing"``."""
    src = secret_source(expr, scope)
    if src:
        return expr, src
    if isinstance(expr, ast.JoinedStr):
        for v in expr.values:
            if isinstance(v, ast.FormattedValue) and v.format_spec is None:
                found = exposed(v.value, scope)
                if found:
                    return found
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)):
        for side in ((expr.left, expr.right) if isinstance(expr.op, ast.Add) else (expr.right,)):
            found = exposed(side, scope)
            if found:
                return found
    elif isinstance(expr, (ast.Tuple, ast.List)):
        for e in expr.elts:
            found = exposed(e, scope)
            if found:
                return found
    elif isinstance(expr, ast.Call):
        q = scope.qualname(expr.func) or ""
        f = expr.func
        if q in ("str", "repr", "format") and expr.args:
            return exposed(expr.args[0], scope)
        if isinstance(f, ast.Attribute) and f.attr == "format":
            for a in list(expr.args) + [k.value for k in expr.keywords]:
                found = exposed(a, scope)
                if found:
                    return found
    return None


class SecretPrinted(Rule):
    """## What it does
    Finds a secret read at run time and then printed into the output:
    `print(x)`, `display(x)`, `logging.info(...)`, an f-string or concatenation in
    them, or `x` as the cell's last expression, where `x` comes from
    `os.environ[K]` / `os.getenv(K)` with a credential-like `K` (`HF_TOKEN`,
    `OPENAI_API_KEY`...), `getpass()`, Colab `userdata.get(...)`, Kaggle
    `UserSecretsClient().get_secret(...)`, `huggingface_hub.get_token()`, a cloud secrets
    manager, or a credential attribute (`openai.api_key`). Names are followed across
    cells (`tok = os.environ["HF_TOKEN"]` in cell 1, `print(tok)` in cell 4). Shell forms:
    `!echo $HF_TOKEN`, `!printenv OPENAI_API_KEY`, `%env HF_TOKEN`.

    A masked print (`tok[:4]`, `len(tok)`, `bool(tok)`, `"set" if tok else "missing"`)
    and non-secret variables (`os.environ["CUDA_VISIBLE_DEVICES"]`) are fine. The
    finding is high when the cell has a saved output, where the value most likely is.

    ## Why is this bad?
    Reading the key from the environment or a prompt keeps it out of the source, but
    printing it puts it in the output, which is saved in the `.ipynb` and published
    with it: the protection is undone by a debugging line.

    ## Example
    ```python
    token = userdata.get("HF_TOKEN")
    print(f"Using token {token}")
    ```

    Use instead:
    ```python
    print(f"Using token {token[:4]}…")  # or: print("token set:", bool(token))
    ```

    ## References
    - [CWE-532: Insertion of Sensitive Information into Log File](https://cwe.mitre.org/data/definitions/532.html)
    - [CWE-200: Exposure of Sensitive Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/200.html)
    """

    code = "NBG107"
    call_names = SHOWN_CALL_NAMES  # check_call looks only at shown_args()
    name = "secret-printed"
    category = "secrets"
    severity = Severity.MEDIUM
    cwe = 532
    peers = ("semgrep:python.lang.security.audit.logging.logger-credential-leak",)
    fix = "print a masked prefix or whether the value is set, not the value; clear the output that shows it"
    nodes = (ast.Expr,)

    def _report(self, ctx, span, message: str) -> None:
        if cell_has_output(ctx):
            ctx.report(self, span, message + " (the cell has a saved output)", severity=Severity.HIGH, sensitive=False)
        else:
            ctx.report(self, span, message, sensitive=False)

    def check_call(self, call, ctx) -> None:
        for arg in shown_args(call, ctx):
            found = exposed(arg, ctx.scope)
            if found:
                node, src = found
                self._report(ctx, ctx.node_span(node), f"the value of {src} is printed with {call.qualname}")
                return

    def check_node(self, node, ctx) -> None:
        if not is_displayed_last_expr(node, ctx):
            return
        found = exposed(node.value, ctx.scope)
        if found:
            self._report(ctx, ctx.node_span(node),
                         f"the value of {found[1]} is displayed as the cell's last expression")

    def check_magic(self, magic, ctx) -> None:
        args = magic.args.strip()
        if magic.name == "env" and re.fullmatch(r"[A-Za-z_]\w*", args) and _secret_env(args):
            self._report(ctx, ctx.magic_span(magic), f"%env {args} displays the value of environment variable {args}")

    def check_shell(self, cmd, ctx) -> None:
        if cmd.origin == "%%writefile":
            return  # a script written to a file: its output is not the notebook's
        commands = parse(cmd.text)
        for i, c in enumerate(commands):
            if c.sep == "|" and i + 1 < len(commands):
                after = program(commands[i + 1])
                if after is None or after.program not in ("tee", "cat", "less", "more", "head", "tail", "sed", "awk"):
                    continue
            inv = program(c)
            if inv is None or stdout_to_file(c):
                continue
            if inv.program == "printenv":
                for w in inv.args:
                    if _secret_env(w.text):
                        self._report(ctx, cmd.span(w.start, w.end),
                                     f"printenv shows the value of environment variable {w.text}")
                        return
            elif inv.program in ("echo", "printf"):
                for w in inv.args:
                    for m in _SHELL_VAR.finditer(cmd.text, w.start, w.end):
                        what = self._shell_var(m, ctx)
                        if what:
                            self._report(ctx, cmd.span(m.start(), m.end()), f"{inv.program} shows the value of {what}")
                            return

    def _shell_var(self, m: re.Match, ctx) -> str | None:
        name = m.group("name")
        if name:
            # IPython expands $name from the Python namespace first, then the shell does
            if ctx.scope.bound_expr(name) is not None:
                return secret_source(ast.Name(id=name), ctx.scope)
            return f"environment variable {name}" if _secret_env(name) else None
        expr = m.group("expr")
        try:
            node = ast.parse(expr, mode="eval").body
        except SyntaxError:
            return None
        return secret_source(node, ctx.scope)

