"""Helpers shared by the secrets rules (NBG102-NBG107): where a literal was written,
what a cell shows, and a small shell-word lexer.

Nothing here reports; the rules decide.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .._filters import (is_dummy_password, is_hash_name, is_key_name, is_password_name, is_secret_name,
                        looks_like_key, looks_like_password, shannon_entropy)

if TYPE_CHECKING:
    from ...analysis import Origin, Scope
    from ...engine import CellContext

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


def secret_name_kind(name: str) -> str | None:
    """Does ``name`` (a variable, key, argument or environment variable) hold a credential?
    "password" (chosen by people), "secret" (a key or token), "weak" (``*_key``: only
    when the value looks generated) or None."""
    if not name or is_hash_name(name):
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
# Wrappers that are shown when displayed: display(Markdown(f"...{x}")).
_WRAPPERS = frozenset({"Markdown", "HTML", "Pretty", "JSON", "Code", "Latex", "Text"})


def shown_args(call) -> list[ast.expr]:
    """The expressions a ``print``/``display``/``pprint``/``logging`` call puts in the output."""
    q = call.qualname
    node: ast.Call = call.node
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
    if code is None or code.tree is None or not code.tree.body:
        return False
    last = code.tree.body[-1]
    if not isinstance(last, ast.Expr) or last is not node:
        return False
    # a trailing ';' silences the display
    lines = code.python_source.split("\n")
    end = getattr(last, "end_lineno", None) or last.lineno
    tail = lines[end - 1][last.end_col_offset or 0:] if 0 < end <= len(lines) else ""
    return not tail.split("#", 1)[0].strip().startswith(";")


def cell_has_output(ctx: "CellContext") -> bool:
    """Does the cell carry a saved text output (where a printed value would now sit)?"""
    cell = ctx.cell
    return bool(cell and any(t.text.strip() for o in cell.outputs for t in o.texts))


# -- shell words ------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    value: str  # unquoted
    start: int  # offsets in the command text, quotes included
    end: int
    quoted: bool

    @property
    def expands(self) -> bool:
        """Does the word contain a shell or IPython expansion (``$X``, ``$(...)``, `` `...` ``, ``{x}``)?"""
        return bool(re.search(r"\$|`|\{[^}]*\}", self.value))


@dataclass(frozen=True)
class Command:
    words: tuple[Word, ...]
    op: str  # the operator before it: "" (start), ";", "&&", "||", "|", "&"

    @property
    def name(self) -> str:
        """The program, after leading ``VAR=value`` words and ``sudo``."""
        for w in self.args_from(0):
            return w.value.rsplit("/", 1)[-1]
        return ""

    def args_from(self, i: int) -> Iterator[Word]:
        started = False
        for w in self.words[i:]:
            if not started and (re.match(r"[A-Za-z_]\w*=", w.value) or w.value in ("sudo", "command", "exec")):
                continue
            started = True
            yield w

    @property
    def args(self) -> list[Word]:
        return list(self.args_from(0))[1:]


_OPS = ("&&", "||", ";", "|", "&", "\n")


def split_shell(text: str) -> list[Command]:
    """Words of each simple command in a shell line, with offsets (quotes removed)."""
    cmds: list[Command] = []
    words: list[Word] = []
    op = ""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        if c == "#" :
            break
        matched = next((o for o in _OPS if text.startswith(o, i)), None)
        if matched:
            cmds.append(Command(tuple(words), op))
            words, op = [], matched.strip() or ";"
            i += len(matched)
            continue
        start = i
        buf: list[str] = []
        quoted = False
        depth = 0
        while i < n:
            c = text[i]
            if depth == 0 and (c in " \t" or any(text.startswith(o, i) for o in _OPS)):
                break
            if c == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                i += 2
                continue
            if c in "'\"":
                quoted = True
                j = text.find(c, i + 1)
                while c == '"' and j > 0 and text[j - 1] == "\\":
                    j = text.find(c, j + 1)
                if j < 0:
                    j = n
                buf.append(text[i + 1:j])
                i = j + 1
                continue
            if text.startswith("$(", i):
                depth += 1
                buf.append("$(")
                i += 2
                continue
            if c == ")" and depth:
                depth -= 1
            buf.append(c)
            i += 1
        words.append(Word("".join(buf), start, min(i, n), quoted))
    cmds.append(Command(tuple(words), op))
    return [c for c in cmds if c.words]


def value_span(word: Word, text: str, value_start: int) -> tuple[int, int]:
    """Offsets in ``text`` of ``word.value[value_start:]``, skipping an opening quote."""
    raw = text[word.start:word.end]
    if not word.quoted:
        return word.start + value_start, word.end
    # NAME="value" or "value": find the value after the prefix, inside the quotes
    prefix = word.value[:value_start]
    k = raw.find(prefix) + len(prefix) if prefix else 0
    while k < len(raw) and raw[k] in "'\"":
        k += 1
    end = len(raw)
    while end > k and raw[end - 1] in "'\"":
        end -= 1
    return word.start + k, word.start + end
