"""The NBG101/NBG102 autofix: a literal credential becomes a read of the environment variable
its SDK expects (``nbguard fix``; ``import os`` is added by the fixer when needed)."""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize

from ...fixsite import Edit, FixSite
from ...model import Finding

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")

# Token formats whose owner is certain: value prefix -> the variable its SDK reads.
_PREFIX_ENV = (
    ("hf_", "HF_TOKEN"), ("api_org_", "HF_TOKEN"), ("sk-ant-", "ANTHROPIC_API_KEY"),
    ("sk-or-", "OPENROUTER_API_KEY"), ("sk-proj-", "OPENAI_API_KEY"), ("sk-", "OPENAI_API_KEY"),
    ("ghp_", "GITHUB_TOKEN"), ("gho_", "GITHUB_TOKEN"), ("ghs_", "GITHUB_TOKEN"), ("github_pat_", "GITHUB_TOKEN"),
    ("glpat-", "GITLAB_TOKEN"), ("xoxb-", "SLACK_BOT_TOKEN"), ("xoxp-", "SLACK_USER_TOKEN"),
    ("sk_live_", "STRIPE_API_KEY"), ("rk_live_", "STRIPE_API_KEY"), ("AKIA", "AWS_ACCESS_KEY_ID"),
    ("ASIA", "AWS_ACCESS_KEY_ID"), ("AIza", "GOOGLE_API_KEY"), ("r8_", "REPLICATE_API_TOKEN"),
    ("gsk_", "GROQ_API_KEY"), ("pypi-", "PYPI_TOKEN"), ("npm_", "NPM_TOKEN"), ("dop_v1_", "DIGITALOCEAN_TOKEN"),
)

# (callee's last name, argument) -> variable. A None argument matches any credential argument.
_CALL_ENV = {
    ("OpenAI", "api_key"): "OPENAI_API_KEY", ("AsyncOpenAI", "api_key"): "OPENAI_API_KEY",
    ("ChatOpenAI", "api_key"): "OPENAI_API_KEY", ("ChatOpenAI", "openai_api_key"): "OPENAI_API_KEY",
    ("OpenAIEmbeddings", "api_key"): "OPENAI_API_KEY", ("OpenAIEmbeddings", "openai_api_key"): "OPENAI_API_KEY",
    ("AzureOpenAI", "api_key"): "AZURE_OPENAI_API_KEY", ("AzureChatOpenAI", "api_key"): "AZURE_OPENAI_API_KEY",
    ("Anthropic", "api_key"): "ANTHROPIC_API_KEY", ("AsyncAnthropic", "api_key"): "ANTHROPIC_API_KEY",
    ("ChatAnthropic", "api_key"): "ANTHROPIC_API_KEY", ("ChatAnthropic", "anthropic_api_key"): "ANTHROPIC_API_KEY",
    ("Groq", "api_key"): "GROQ_API_KEY", ("Mistral", "api_key"): "MISTRAL_API_KEY",
    ("MistralClient", "api_key"): "MISTRAL_API_KEY", ("Together", "api_key"): "TOGETHER_API_KEY",
    ("Pinecone", "api_key"): "PINECONE_API_KEY", ("configure", "api_key"): "GOOGLE_API_KEY",
    ("ChatGoogleGenerativeAI", "google_api_key"): "GOOGLE_API_KEY", ("Client", "api_token"): "REPLICATE_API_TOKEN",
    ("login", "token"): "HF_TOKEN", ("login", "key"): "WANDB_API_KEY", ("notebook_login", "token"): "HF_TOKEN",
    ("HfApi", "token"): "HF_TOKEN", ("InferenceClient", "token"): "HF_TOKEN", ("HfFolder.save_token", None): "HF_TOKEN",
    ("connect", "password"): "DB_PASSWORD", ("create_engine", "password"): "DB_PASSWORD",
}
# Hugging Face loaders: a token argument is a Hub token.
_HF_CALLS = frozenset({"from_pretrained", "pipeline", "snapshot_download", "hf_hub_download", "load_dataset",
                       "push_to_hub", "SentenceTransformer", "upload_file", "upload_folder", "create_repo"})
_HF_ARGS = frozenset({"token", "use_auth_token", "hf_token"})
# Credential positions: callee's last name -> (position, variable).
_POSITIONAL_ENV = {"login": (0, "HF_TOKEN"), "interpreter_login": (0, "HF_TOKEN")}


def _callee(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        if isinstance(f.value, ast.Name) and f.value.id == "wandb" and f.attr == "login":
            return "wandb.login"
        if isinstance(f.value, ast.Name) and f.value.id == "HfFolder":
            return f"HfFolder.{f.attr}"
        return f.attr
    return ""


def _upper_name(name: str) -> str | None:
    n = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().strip("_")
    return n if re.fullmatch(r"[A-Z][A-Z0-9_]*", n) and len(n) >= 2 else None


def _env_name(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The environment variable a literal credential should be read from, or None (no safe fix)."""
    value: str = node.value
    parent = parents.get(node)
    by_prefix = next((env for prefix, env in _PREFIX_ENV if value.startswith(prefix)), None)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        if len(targets) != 1 or parent.value is not node:
            return None
        t = targets[0]
        if isinstance(t, ast.Name):
            if _ENV_NAME.match(t.id):
                return t.id
            return by_prefix or _upper_name(t.id)
        if isinstance(t, ast.Attribute):  # openai.api_key = "..."
            base = t.value.id if isinstance(t.value, ast.Name) else ""
            if base == "openai" and t.attr == "api_key":
                return "OPENAI_API_KEY"
            return by_prefix or _upper_name(f"{base}_{t.attr}" if base else t.attr)
        return None  # os.environ["K"] = "..." and other subscripts: not a read, no safe rewrite
    if isinstance(parent, ast.keyword) and parent.arg:
        call = parents.get(parent)
        if not isinstance(call, ast.Call):
            return None
        callee, arg = _callee(call), parent.arg
        if callee == "wandb.login":
            return "WANDB_API_KEY"
        env = _CALL_ENV.get((callee, arg)) or _CALL_ENV.get((callee, None))
        if env:
            return by_prefix if env == "DB_PASSWORD" and by_prefix else env
        if callee in _HF_CALLS and arg in _HF_ARGS:
            return "HF_TOKEN"
        if _ENV_NAME.match(arg.upper()) and arg.lower().startswith(("aws_", "azure_", "openai_", "anthropic_")):
            return arg.upper()
        return by_prefix or _upper_name(arg)
    if isinstance(parent, ast.Call) and node in parent.args:
        callee = _callee(parent)
        if callee in ("getenv", "get", "setdefault", "putenv", "pop"):
            return None  # a default value or an environment write: no safe rewrite
        pos = parent.args.index(node)
        if callee == "wandb.login" and pos == 1:
            return "WANDB_API_KEY"
        hit = _POSITIONAL_ENV.get(callee)
        if hit and hit[0] == pos:
            return hit[1]
        return by_prefix
    if isinstance(parent, ast.Dict) and node in parent.values:
        key = parent.keys[parent.values.index(node)]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if _ENV_NAME.match(key.value):
                return key.value
            return by_prefix or _upper_name(re.sub(r"[^A-Za-z0-9]+", "_", key.value))
        return None
    return None


def _single_string_token(segment: str) -> bool:
    """Is the source text one plain string literal (not implicit concatenation, not an f-string)?"""
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(segment).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT)]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    if len(toks) != 1 or toks[0].type != tokenize.STRING:
        return False
    prefix = re.match(r"[A-Za-z]*", toks[0].string).group().lower()
    return "f" not in prefix and "b" not in prefix


def fix_secret(f: Finding, site: FixSite) -> Edit | None:
    """A credential written as one whole string literal becomes ``os.environ["NAME"]``, NAME from
    the context (an env-like variable name, the SDK it is passed to, the token's format); None
    where that rewrite could change what the code means (f-strings, part of a longer string...)."""
    start, end, text, constants, parents = site.start, site.end, site.text, site.constants, site.parents
    for node in constants:
        rng = text.range(node)
        if rng is None or not (rng[0] <= start and end <= rng[1]):
            continue
        if isinstance(parents.get(node), ast.JoinedStr):
            return None  # part of an f-string
        span = text.source[start:end]
        if (start, end) != rng and span != node.value:
            return None  # the secret is part of a longer string (a URL, a header): not a safe rewrite
        value = node.value
        if not value or any(c.isspace() for c in value):
            return None  # "Bearer ..." and the like carry more than the credential
        if not _single_string_token(text.source[rng[0]:rng[1]]):
            return None
        env = _env_name(node, parents)
        if env is None or not _ENV_NAME_OK.match(env) or keyword.iskeyword(env):
            return None
        replacement = f'os.environ["{env}"]'
        return Edit(rng[0], rng[1], replacement, f, replacement)
    return None


_ENV_NAME_OK = re.compile(r"^[A-Z_][A-Z0-9_]*$")
