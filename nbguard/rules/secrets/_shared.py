"""Helpers shared by the secrets rules (NBG102-NBG107): where a literal was written,
what a cell shows (shell lines are read by ``nbguard.rules._shell``).

Nothing here reports; the rules decide.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .._filters import (
    is_dummy_password,
    is_hash_name,
    is_key_name,
    is_password_name,
    is_secret_name,
    looks_like_key,
    looks_like_password,
    shannon_entropy,
)

if TYPE_CHECKING:
    from ...analysis import Origin, Scope
    from ...context import CellContext

# -- values --------------------------------------------------------------------


def literal_source(expr: ast.expr | None, scope: "Scope", depth: int = 0
                   ) -> tuple[ast.Constant, "Origin | None"] | None:
    """The string literal ``expr`` is, or the one a name chain leads to (``KEY = "..."``
    in cell 1, ``B = KEY`` in cell 2). Origin is None for a literal written in place."""
    if expr is None or depth > 8:
        return None
    if isinstance(expr, ast.Constant):
        return (expr, None) if isinstance(expr.value, str) else None
    if isinstance(expr, ast.Name):
        bound = scope.bound_expr(expr.id)
        if bound is None:
            return None
        inner, origin = bound
        found = literal_source(inner, scope, depth + 1)
        if found is None:
            return None
        return found[0], found[1] or origin
    return None


def report_literal(rule, ctx: "CellContext", node: ast.Constant, origin: "Origin | None", message: str,
                   **kw) -> None:
    """Report a literal where it is written: here, or in the earlier cell that defined it."""
    if origin is None or (ctx.cell is not None and origin.cell == ctx.cell.index):
        ctx.report_node(rule, node, message, **kw)
        return
    home = ctx.source_context(origin.cell)
    if home is not None:
        home.report_node(rule, node, message, **kw)


# Well-known environment variables that ML and cloud SDKs read their credential from.
PROVIDER_ENV = frozenset({
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "HF_API_TOKEN", "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_KEY", "ANTHROPIC_API_KEY", "COHERE_API_KEY", "CO_API_KEY",
    "GOOGLE_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY", "GROQ_API_KEY", "REPLICATE_API_TOKEN",
    "TOGETHER_API_KEY", "PINECONE_API_KEY", "VOYAGE_API_KEY", "WANDB_API_KEY", "COMET_API_KEY",
    "NEPTUNE_API_TOKEN", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "KAGGLE_KEY",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_CLIENT_SECRET", "DATABRICKS_TOKEN", "LANGCHAIN_API_KEY", "LANGSMITH_API_KEY", "SERPAPI_API_KEY",
    "TAVILY_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "QDRANT_API_KEY", "WEAVIATE_API_KEY", "ELEVEN_API_KEY",
    "PERPLEXITY_API_KEY", "XAI_API_KEY", "NVIDIA_API_KEY", "FIREWORKS_API_KEY", "DEEPSEEK_API_KEY",
    "LLAMA_CLOUD_API_KEY", "ASSEMBLYAI_API_KEY", "SNOWFLAKE_PASSWORD", "OPENROUTER_API_KEY",
})


# Every word SECRET_NAME and _KEY_NAME (nbguard/rules/_filters.py) can match contains one of
# these, compared with the same re.IGNORECASE folding; most names contain none of them and are
# answered with this one search instead of four (tests/rules/test_secret_name_prefilter.py).
NAME_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "bearer")
_NAME_WORD = re.compile("|".join(NAME_WORDS), re.I)


# Pagination cursors ("nextPageToken", "continuation_token") are tokens of a list, not of a user.
_CURSOR_NAME = re.compile(r"(?:page|continuation|sync|next|prev(?:ious)?|cursor|resume)[_\-]?token$", re.I)
# Environment variables the system or the shell sets, whose names only look like secrets:
# PWD is the working directory, not a password.
SYSTEM_ENV = frozenset({"PWD", "OLDPWD", "HOME", "PATH", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "HOSTNAME",
                        "TMPDIR", "JAVA_HOME", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PS1", "DISPLAY"})


def secret_env_name(name: str | None) -> bool:
    """Does the environment variable ``name`` hold a credential (``HF_TOKEN``, ``DB_PASSWORD``,
    ``AWS_SECRET_ACCESS_KEY``)? Not the variables the system sets (``PWD``, ``HOME``...)."""
    if not name or name.upper() in SYSTEM_ENV:
        return False
    return name.upper() in PROVIDER_ENV or secret_name_kind(name) in ("secret", "password")


@lru_cache(maxsize=1 << 16)  # a pure function of the name; the same names recur in every notebook
def secret_name_kind(name: str) -> str | None:
    """Does ``name`` (a variable, key, argument or environment variable) hold a credential?
    "password" (chosen by people), "secret" (a key or token), "weak" (``*_key``: only
    when the value looks generated) or None."""
    if not name or (not _NAME_WORD.search(name) and name.upper() not in PROVIDER_ENV):
        return None  # no secret word: neither is_secret_name nor is_key_name can match
    if is_hash_name(name) or _CURSOR_NAME.search(name):
        return None
    if name.upper() in PROVIDER_ENV:
        return "secret"
    if is_secret_name(name):
        return "password" if is_password_name(name) else "secret"
    if is_key_name(name):
        return "weak"
    return None


_HASHED = re.compile(r"^(?:sha\d*|argon2|pbkdf2[\w:-]*|bcrypt|scrypt|md5):|^\$(?:2[aby]|argon2\w*|pbkdf2[\w-]*|\d)\$")


def credential_value(value: str, kind: str | None) -> bool:
    """Is ``value`` a real-looking credential for a name of this kind (see :func:`secret_name_kind`)?"""
    if kind is None or not isinstance(value, str) or _HASHED.match(value.strip()):
        return False  # a password hash ("sha1:...", "$2b$...") is not the password
    if kind == "password":
        return looks_like_password(value) and not is_dummy_password(value)
    if not looks_like_key(value):
        return False
    if kind == "weak":
        return len(value.strip()) >= 16 and shannon_entropy(value.strip()) >= 3.0
    return True


# -- what a cell shows -----------------------------------------------------------

# Calls whose arguments end up in the cell's output.
_SHOW_EXACT = frozenset({"print", "display", "pprint", "pp", "IPython.display.display", "pprint.pprint",
                         "pprint.pp", "rich.print", "rich.pretty.pprint", "tqdm.tqdm.write", "tqdm.write",
                         "sys.stdout.write", "sys.stderr.write", "warnings.warn", "click.echo", "typer.echo",
                         "icecream.ic", "ic"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log"})
# Every callee name shown_args accepts, as resolved (last part of the qualname) or as written
# (``call.attr``): a rule that only looks at shown arguments may use it as ``call_names``.
SHOWN_CALL_NAMES = frozenset(q.rpartition(".")[2] for q in _SHOW_EXACT) | {"print", "log"} | _LOG_METHODS
# Wrappers that are shown when displayed: display(Markdown(f"...{x}")).
_WRAPPERS = frozenset({"Markdown", "HTML", "Pretty", "JSON", "Code", "Latex", "Text"})


def output_is_shown(ctx: "CellContext") -> bool:
    """Does what this cell prints land in its output? Not for ``%%writefile`` (the code runs
    elsewhere, later) or ``%%capture`` (the output goes to a variable)."""
    code = ctx.code
    return code is None or code.cell_magic not in ("writefile", "capture")


def shown_args(call, ctx: "CellContext | None" = None) -> list[ast.expr]:
    """The expressions a ``print``/``display``/``pprint``/``logging`` call puts in the output."""
    if ctx is not None and not output_is_shown(ctx):
        return []
    q = call.qualname
    node: ast.Call = call.node
    if call.attr not in SHOWN_CALL_NAMES and q.rpartition(".")[2] not in SHOWN_CALL_NAMES:
        return []  # every branch below needs one of these names
    if q in _SHOW_EXACT or q.endswith((".console.print", "Console().print", "Console().log")):
        args = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
    elif call.attr in _LOG_METHODS and ("logging" in q or "log" in q.split(".")[0].lower()):
        args = list(node.args)
    else:
        return []
    out: list[ast.expr] = []
    for a in args:
        if isinstance(a, ast.Call) and isinstance(a.func, (ast.Name, ast.Attribute)):
            fname = a.func.id if isinstance(a.func, ast.Name) else a.func.attr
            if fname in _WRAPPERS:
                out.extend(a.args)
                continue
        out.append(a)
    return out


def is_displayed_last_expr(node: ast.AST, ctx: "CellContext") -> bool:
    """Is ``node`` the cell's last top-level expression, which IPython displays?"""
    code = ctx.code
    if code is None or code.tree is None or not code.tree.body or code.tree.body[-1] is not node:
        return False  # (the cheap test first: most nodes asked about are not the last statement)
    last = code.tree.body[-1]
    if not isinstance(last, ast.Expr) or not output_is_shown(ctx):
        return False
    memo = ctx.memo  # NBG105, NBG106 and NBG107 all ask about the same node
    shown = memo.get(_LAST_SHOWN)
    if shown is None or shown[0] is not last:
        # a trailing ';' silences the display
        lines = code.python_source.split("\n")
        end = getattr(last, "end_lineno", None) or last.lineno
        tail = lines[end - 1][last.end_col_offset or 0:] if 0 < end <= len(lines) else ""
        shown = memo[_LAST_SHOWN] = (last, not tail.split("#", 1)[0].strip().startswith(";"))
    return shown[1]


_LAST_SHOWN = "secrets.last_expr_shown"  # ctx.memo key: (the last statement, is it displayed)


def cell_has_output(ctx: "CellContext") -> bool:
    """Does the cell carry a saved text output (where a printed value would now sit)?"""
    cell = ctx.cell
    return bool(cell and any(t.text.strip() for o in cell.outputs for t in o.texts))


# -- saved output ---------------------------------------------------------------

_ENV_LISTING = re.compile(r"(?m)(?:^|[\s{,'\"(])([A-Z][A-Z0-9_]{2,60})(?:=|['\"]\s*:\s*['\"])")


def saved_secret_env_names(ctx: "CellContext", limit: int = 2) -> list[str]:
    """Secret-like environment variable names that the cell's saved output lists with a value
    (``HF_TOKEN=...``, ``'OPENAI_API_KEY': '...'``): evidence that a dump leaked them."""
    names: list[str] = []
    cell = ctx.cell
    if cell is None:
        return names
    for o in cell.outputs:
        for t in o.texts:
            for m in _ENV_LISTING.finditer(t.text):
                n = m.group(1)
                if n not in names and secret_env_name(n):
                    names.append(n)
                    if len(names) >= limit:
                        return names
    return names


# -- environment reads -------------------------------------------------------------

def env_dump(expr: ast.expr | None, scope: "Scope") -> bool:
    """Does ``expr`` show the whole environment (names *and* values) when printed?
    ``os.environ``, ``dict(os.environ)``, ``os.environ.items()``, ``{**os.environ}``, ``f"{os.environ}"``,
    ``json.dumps(dict(os.environ))``, or a name bound to one of these -- not ``sorted(os.environ)`` (names)."""
    return _env_kind(expr, scope, 0) is not None


def _env_kind(expr: ast.expr | None, scope: "Scope", depth: int) -> str | None:
    """"mapping" (iterating gives names only), "pairs" (iterating gives values too) or None."""
    if expr is None or depth > 6:
        return None
    if isinstance(expr, (ast.Name, ast.Attribute)):
        if scope.qualname(expr) == "os.environ":
            return "mapping"
        if isinstance(expr, ast.Name):
            bound = scope.bound_expr(expr.id)
            return _env_kind(bound[0], scope, depth + 1) if bound is not None else None
        return None
    if isinstance(expr, ast.Call):
        q = scope.qualname(expr.func) or ""
        if q in ("os.environ.items", "os.environ.values"):
            return "pairs"
        if q in ("os.environ.copy", "os.environ.__repr__", "os.environ.__str__"):
            return "mapping"
        if not expr.args:
            return None
        inner = _env_kind(expr.args[0], scope, depth + 1)
        if q in _ENV_ITERATORS:
            return "pairs" if inner == "pairs" else None
        if q in _ENV_WRAPPERS or q.endswith((".Series", ".DataFrame", ".from_dict")):
            return "mapping" if inner else None
        return None
    if isinstance(expr, ast.Dict):
        return "mapping" if any(k is None and _env_kind(v, scope, depth + 1) for k, v in zip(expr.keys, expr.values)) \
            else None
    if isinstance(expr, ast.JoinedStr):
        return "mapping" if any(isinstance(v, ast.FormattedValue) and _env_kind(v.value, scope, depth + 1)
                                for v in expr.values) else None
    if isinstance(expr, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return "mapping" if _env_comprehension(expr, scope) else None
    return None


_SECRET_FILTER = re.compile(r"key|token|secret|pass|pwd|auth|cred", re.I)


def _env_comprehension(expr, scope: "Scope") -> bool:
    """``{k: v for k, v in os.environ.items()}``, ``[f"{k}={os.environ[k]}" for k in os.environ]``:
    a comprehension that copies names and values. A filter (``if k.startswith("CUDA")``) makes it
    a selection, unless the filter selects credentials (``if "KEY" in k``)."""
    if len(expr.generators) != 1:
        return False
    gen = expr.generators[0]
    it = gen.iter
    q = scope.qualname(it.func) if isinstance(it, ast.Call) else scope.qualname(it)
    keys: set[str] = set()
    values: set[str] = set()
    if q == "os.environ.items" and isinstance(gen.target, ast.Tuple) and len(gen.target.elts) == 2:
        k, v = gen.target.elts
        keys |= {k.id} if isinstance(k, ast.Name) else set()
        values |= {v.id} if isinstance(v, ast.Name) else set()
    elif q == "os.environ.values" and isinstance(gen.target, ast.Name):
        values.add(gen.target.id)
    elif q in ("os.environ", "os.environ.keys") and isinstance(gen.target, ast.Name):
        keys.add(gen.target.id)
    else:
        return False
    parts = [expr.key, expr.value] if isinstance(expr, ast.DictComp) else [expr.elt]
    shows_value = False
    for part in parts:
        for n in ast.walk(part):
            if isinstance(n, ast.Name) and n.id in values:
                shows_value = True
            elif isinstance(n, ast.Subscript) and scope.qualname(n.value) == "os.environ" \
                    and isinstance(n.slice, ast.Name) and n.slice.id in keys:
                shows_value = True
            elif isinstance(n, ast.Call) and (scope.qualname(n.func) or "") in ("os.environ.get", "os.getenv") \
                    and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id in keys:
                shows_value = True
    if not shows_value:
        return False
    if gen.ifs:
        return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _SECRET_FILTER.search(n.value)
                   for cond in gen.ifs for n in ast.walk(cond))
    return True


_ENV_ITERATORS = frozenset({"list", "sorted", "tuple", "reversed", "enumerate", "set"})
_ENV_WRAPPERS = frozenset({"dict", "str", "repr", "json.dumps", "pprint.pformat", "yaml.dump", "yaml.safe_dump",
                           "collections.OrderedDict"})
