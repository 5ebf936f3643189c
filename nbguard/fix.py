"""``nbguard fix``: safe, surgical autofixes.

A fix is applied only where its result is certain to mean what the author meant,
minus the risk:

* NBG101/NBG102: a credential written as a whole string literal in a code cell
  becomes ``os.environ["NAME"]`` (NAME from the context: an env-like variable
  name, the SDK it is passed to, the token's format); ``import os`` is added at the
  top of the cell when no earlier code imports ``os``;
* NBG502: ``weights_only=True`` is added to a ``torch.load(...)`` call that does
  not set ``weights_only`` at all (an explicit ``False`` is the author's choice);
* NBG504: ``yaml.load(x)`` / ``yaml.load(x, Loader=...)`` becomes ``yaml.safe_load(x)``;
* ``--clear-leaking-outputs``: outputs that hold a secret or personal data are
  removed (the cell keeps its ``execution_count``).

Nothing else in the file changes. Notebooks are not re-serialised: only the JSON
values that change (a cell's ``source``, a cell's ``outputs``) are rewritten in the
raw text, in the layout the file already uses, so every other byte stays as it
was. The result is checked before it is written (it parses to exactly the
intended notebook, it still validates as nbformat if it did before), and written
atomically: a failure leaves the original file untouched.
"""

from __future__ import annotations

import ast
import copy
import difflib
import io
import json
import keyword
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .engine import RuleSet, lint
from .ipysyntax import analyse_cell
from .mask import mask_line
from .model import SENSITIVE_CATEGORIES, Finding
from .notebook import Cell, Notebook, NotebookError, parse_notebook

SECRET_RULES = ("NBG101", "NBG102")
TORCH_LOAD_RULE = "NBG502"
YAML_LOAD_RULE = "NBG504"
FIXABLE = SECRET_RULES + (TORCH_LOAD_RULE, YAML_LOAD_RULE)

_BOM = b"\xef\xbb\xbf"


class FixError(Exception):
    """A notebook that could not be fixed; the message is one line, without the path."""


# ---------------------------------------------------------------------------
# Results


@dataclass
class Change:
    """One applied fix."""

    finding: Finding
    description: str  # e.g. 'os.environ["HF_TOKEN"]'


@dataclass
class FixResult:
    path: str
    changes: list[Change] = field(default_factory=list)
    cleared: list[tuple[int, int, list[Finding]]] = field(default_factory=list)  # (cell, output, why)
    sources: dict[int, tuple[str, str]] = field(default_factory=dict)  # cell -> (old, new)
    remaining: list[Finding] = field(default_factory=list)
    data: bytes | None = None  # the fixed file, None when nothing changed
    # sensitive spans (cell -> [(line, col, end_line, end_col)]) in the old and new sources, for --diff
    old_sensitive: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    new_sensitive: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.data is not None


# ---------------------------------------------------------------------------
# Entry point


def fix_file(path: str, config: Config, *, clear_outputs: bool = False, ruleset: RuleSet | None = None,
             mask_config: Config | None = None) -> FixResult:
    """Compute the fixes for one notebook. Nothing is written; ``FixResult.data`` holds the new file."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(config.max_file_size + 1)
    except OSError as e:
        raise FixError(f"cannot read file ({e.strerror or e})") from None
    if len(data) > config.max_file_size:
        raise FixError("file is over the max-file-size limit")
    try:
        nb = parse_notebook(data, path)
    except NotebookError as e:
        raise FixError(str(e)) from None
    bom = _BOM if data.startswith(_BOM) else b""
    ruleset = ruleset or RuleSet.for_config(config)
    findings = lint(nb, config, ruleset)
    result = FixResult(path)
    plan = _Plan(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        mine = [f for f in findings if f.cell == cell.index and f.where == "source" and f.rule in FIXABLE]
        if mine:
            _fix_cell(nb, cell, mine, plan, result)
    if clear_outputs:
        leaks: dict[tuple[int, int], list[Finding]] = {}
        for f in findings:
            if f.where == "output" and f.category in SENSITIVE_CATEGORIES and f.output is not None:
                leaks.setdefault((f.cell, f.output), []).append(f)
        for (ci, oi), why in sorted(leaks.items()):
            plan.clear_output(nb.cells[ci], oi)
            result.cleared.append((ci, oi, why))
    if plan.empty():
        result.remaining = findings
        return result
    new_text = plan.apply()
    new_nb = parse_notebook(new_text, path)
    result.remaining = lint(new_nb, config, ruleset)
    result.data = bom + new_text.encode("utf-8")
    for ci, new_source in plan.sources.items():
        result.sources[ci] = (nb.cells[ci].source, new_source)
    if mask_config is not None:  # spans to mask when the change is shown (--diff)
        mask_rules = RuleSet.for_config(mask_config)
        result.old_sensitive = _sensitive_spans(lint(nb, mask_config, mask_rules))
        result.new_sensitive = _sensitive_spans(lint(new_nb, mask_config, mask_rules))
    return result


def _sensitive_spans(findings: list[Finding]) -> dict[int, list[tuple[int, int, int, int]]]:
    out: dict[int, list[tuple[int, int, int, int]]] = {}
    for f in findings:
        if f.where == "source" and f.category in SENSITIVE_CATEGORIES:
            out.setdefault(f.cell, []).append((f.line, f.column, f.end_line, f.end_column))
    return out


# ---------------------------------------------------------------------------
# Fixing one cell


@dataclass
class _Edit:
    start: int
    end: int
    text: str
    finding: Finding
    description: str


class _CellText:
    """Maps between AST positions (in the parsed, line-aligned Python text) and offsets in the
    cell source, refusing any node whose text differs between the two."""

    def __init__(self, source: str, python_source: str) -> None:
        self.source = source
        self.python_source = python_source
        self.src_lines = source.split("\n")
        self.py_lines = python_source.split("\n")
        self.starts = [0]
        for line in self.src_lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, col: int) -> int | None:
        """Offset of a 1-based line, 1-based character column."""
        if not 0 < line <= len(self.src_lines):
            return None
        return self.starts[line - 1] + col - 1

    def _char_col(self, line: int, byte_col: int) -> int | None:
        if not 0 < line <= len(self.py_lines):
            return None
        text = self.py_lines[line - 1]
        return byte_col if text.isascii() else len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def range(self, node: ast.AST) -> tuple[int, int] | None:
        line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if line is None or end_line is None:
            return None
        c1 = self._char_col(line, node.col_offset)
        c2 = self._char_col(end_line, node.end_col_offset)
        if c1 is None or c2 is None or end_line > len(self.src_lines):
            return None
        start, end = self.starts[line - 1] + c1, self.starts[end_line - 1] + c2
        segment = ast.get_source_segment(self.python_source, node)
        if segment is None or self.source[start:end] != segment:
            return None  # masked IPython syntax on this line: leave it alone
        return start, end


def _fix_cell(nb: Notebook, cell: Cell, findings: list[Finding], plan: "_Plan", result: FixResult) -> None:
    code = analyse_cell(cell.source, nb.language)
    if code.kind != "python" or code.tree is None:
        return
    edits = _cell_edits(cell, code, findings)
    # one edit per place; overlapping edits (two findings on one literal) keep the first
    edits.sort(key=lambda e: (e.start, e.end))
    kept: list[_Edit] = []
    for e in edits:
        if kept and e.start < kept[-1].end:
            continue
        kept.append(e)
    if not kept:
        return
    new = cell.source
    for e in reversed(kept):
        new = new[:e.start] + e.text + new[e.end:]
    if any(e.text.startswith("os.environ[") for e in kept):
        first_line = min(cell.source.count("\n", 0, e.start) + 1 for e in kept if e.text.startswith("os.environ["))
        if not plan.os_imported and not _os_imported_before(nb, cell, code.tree, first_line):
            at = _import_position(cell.source, code.tree)
            new = new[:at] + "import os\n" + new[at:]
            plan.os_imported = True  # later cells can rely on it
    plan.set_source(cell, new)
    result.changes.extend(Change(e.finding, e.description) for e in kept)


def _cell_edits(cell: Cell, code, findings: list[Finding]) -> list[_Edit]:
    """The rewrite of each fixable finding of one parsed code cell (unordered; may overlap)."""
    text = _CellText(cell.source, code.python_source)
    parents: dict[ast.AST, ast.AST] = {}
    calls: list[ast.Call] = []
    constants: list[ast.Constant] = []
    for node in ast.walk(code.tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            constants.append(node)
    edits: list[_Edit] = []
    for f in findings:
        start = text.offset(f.line, f.column)
        end = text.offset(f.end_line, f.end_column)
        if start is None or end is None:
            continue
        if f.rule in SECRET_RULES:
            e = _fix_secret(f, start, end, text, constants, parents)
        elif f.rule == TORCH_LOAD_RULE:
            e = _fix_torch_load(f, start, text, calls)
        else:
            e = _fix_yaml_load(f, start, text, calls)
        if e is not None:
            edits.append(e)
    return edits


def finding_fix(nb: Notebook, cell: Cell, finding: Finding) -> tuple[str, list[tuple[int, int, str]]] | None:
    """The safe fix of one finding in a code cell, on its own (an editor's quick fix): its
    description and the ``(start, end, new text)`` edits of the cell source (character offsets,
    in order, not overlapping), or None when ``nbguard fix`` would leave it alone. The rewrite
    is the one ``nbguard fix`` makes, with ``import os`` added when no earlier code imports it."""
    if finding.rule not in FIXABLE or finding.where != "source" or cell.cell_type != "code":
        return None
    code = analyse_cell(cell.source, nb.language)
    if code.kind != "python" or code.tree is None:
        return None
    edits = _cell_edits(cell, code, [finding])
    if not edits:
        return None
    e = edits[0]
    out = [(e.start, e.end, e.text)]
    if e.text.startswith("os.environ["):
        line = cell.source.count("\n", 0, e.start) + 1
        if not _os_imported_before(nb, cell, code.tree, line):
            at = _import_position(cell.source, code.tree)
            out.append((at, at, "import os\n"))
    return e.description, sorted(out)


# -- secrets -------------------------------------------------------------------

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


def _fix_secret(f: Finding, start: int, end: int, text: _CellText, constants: list[ast.Constant],
                parents: dict[ast.AST, ast.AST]) -> _Edit | None:
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
        return _Edit(rng[0], rng[1], replacement, f, replacement)
    return None


_ENV_NAME_OK = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _os_imported_before(nb: Notebook, cell: Cell, tree: ast.Module, line: int) -> bool:
    """Does code that runs before ``line`` of ``cell`` (earlier cells, earlier lines) import ``os``?"""
    def imports_os(stmts: list[ast.stmt], before: int | None = None) -> bool:
        for stmt in stmts:
            if before is not None and (stmt.end_lineno or 0) >= before:
                break
            if isinstance(stmt, ast.Import) and any(a.name.split(".")[0] == "os" and a.asname in (None, "os")
                                                    for a in stmt.names):
                return True
            if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):  # module-level blocks
                blocks = [getattr(stmt, k, []) for k in ("body", "orelse", "finalbody")]
                blocks += [h.body for h in getattr(stmt, "handlers", [])]
                if any(imports_os(b) for b in blocks):
                    return True
        return False

    for c in nb.cells[:cell.index]:
        if c.cell_type != "code" or "os" not in c.source:
            continue
        code = analyse_cell(c.source, nb.language)
        if code.tree is not None and imports_os(code.tree.body):
            return True
    return imports_os(tree.body, before=line)


def _import_position(source: str, tree: ast.Module) -> int:
    """Where ``import os`` goes: the top of the cell, after a ``%%time``-style cell magic line,
    a module docstring and ``from __future__`` imports."""
    lines = source.split("\n")
    after = 0
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        after = first + 1
    body = tree.body
    i = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        after = max(after, body[0].end_lineno)
        i = 1
    while i < len(body) and isinstance(body[i], ast.ImportFrom) and body[i].module == "__future__":
        after = max(after, body[i].end_lineno)
        i += 1
    if after == 0:
        return 0
    offset = sum(len(ln) + 1 for ln in lines[:after])
    if offset > len(source):  # the cell ends on that line without a newline
        return len(source)
    return offset


# -- torch.load / yaml.load ---------------------------------------------------------


def _enclosing_call(start: int, text: _CellText, calls: list[ast.Call], attrs: tuple[str, ...],
                    allow_name: bool) -> tuple[ast.Call, tuple[int, int]] | None:
    best = None
    for call in calls:
        f = call.func
        name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) and allow_name else None)
        if name not in attrs:
            continue
        rng = text.range(call)
        if rng is None or not rng[0] <= start < rng[1]:
            continue
        if best is None or rng[1] - rng[0] < best[1][1] - best[1][0]:
            best = (call, rng)
    return best


def _fix_torch_load(f: Finding, start: int, text: _CellText, calls: list[ast.Call]) -> _Edit | None:
    hit = _enclosing_call(start, text, calls, ("load",), allow_name=True)
    if hit is None:
        return None
    call, _ = hit
    if any(k.arg is None or k.arg == "weights_only" for k in call.keywords):
        return None  # set explicitly, or possibly inside **kwargs
    args = list(call.args) + list(call.keywords)
    if not args:
        return None
    last = max(args, key=lambda a: (a.end_lineno, a.end_col_offset))
    rng = text.range(last)
    if rng is None:
        return None
    return _Edit(rng[1], rng[1], ", weights_only=True", f, "weights_only=True")


_YAML_SAFE = {"load": "safe_load", "load_all": "safe_load_all", "unsafe_load": "safe_load",
              "unsafe_load_all": "safe_load_all"}


def _fix_yaml_load(f: Finding, start: int, text: _CellText, calls: list[ast.Call]) -> _Edit | None:
    hit = _enclosing_call(start, text, calls, tuple(_YAML_SAFE), allow_name=False)
    if hit is None:
        return None
    call, rng = hit
    func = call.func
    if not isinstance(func, ast.Attribute) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    loader: ast.AST | None = None
    if len(call.args) == 2 and not call.keywords:
        loader = call.args[1]
    elif len(call.args) == 1 and len(call.keywords) == 1 and call.keywords[0].arg == "Loader":
        loader = call.keywords[0]
    elif not (len(call.args) == 1 and not call.keywords):
        return None  # stream= keyword or extra arguments: leave it to a person
    func_rng = text.range(func)
    if func_rng is None or not text.source[:func_rng[1]].endswith(func.attr):
        return None
    head = text.source[rng[0]:func_rng[1] - len(func.attr)] + _YAML_SAFE[func.attr]
    first_rng = text.range(call.args[0])
    if first_rng is None:
        return None
    if loader is None:
        new = head + text.source[func_rng[1]:rng[1]]
    else:
        loader_rng = text.range(loader)
        if loader_rng is None:
            return None
        new = head + text.source[func_rng[1]:first_rng[1]] + text.source[loader_rng[1]:rng[1]]
    return _Edit(rng[0], rng[1], new, f, f"yaml.{_YAML_SAFE[func.attr]}")


# ---------------------------------------------------------------------------
# Surgical JSON edits

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)


def json_spans(raw: str) -> dict[tuple, tuple[int, int]]:
    """Character span of every JSON value in ``raw``, by path (("cells", 3, "source") ...)."""
    spans: dict[tuple, tuple[int, int]] = {}
    stack: list[list[Any]] = []  # [path, is_object, key_or_index, expecting_key, start]
    for m in _JSON_TOKEN.finditer(raw):
        tok = m.group()
        c = tok[0]
        if c == ",":
            if stack:
                top = stack[-1]
                if top[1]:
                    top[3] = True
                else:
                    top[2] += 1
            continue
        if c == ":":
            continue
        if c in "}]":
            if stack:
                top = stack.pop()
                spans[top[0]] = (top[4], m.end())
            continue
        if stack and stack[-1][1] and stack[-1][3]:
            stack[-1][2] = json.loads(tok) if c == '"' else tok
            stack[-1][3] = False
            continue
        vpath = stack[-1][0] + (stack[-1][2],) if stack else ()
        if c in "{[":
            stack.append([vpath, c == "{", None if c == "{" else 0, c == "{", m.start()])
        else:
            spans[vpath] = (m.start(), m.end())
    return spans


def _split_source(text: str) -> list[str]:
    """nbformat's layout: one list element per line, each keeping its newline."""
    return text.splitlines(keepends=True)


class _Plan:
    """Changes to one notebook's JSON, applied to the raw text in one go."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self.raw: str = nb.raw or ""
        self.sources: dict[int, str] = {}
        self.cleared: dict[int, set[int]] = {}
        self.os_imported = False  # a fix added `import os` to an earlier cell

    def empty(self) -> bool:
        return not self.sources and not self.cleared

    def set_source(self, cell: Cell, new: str) -> None:
        self.sources[cell.index] = new

    def clear_output(self, cell: Cell, output: int) -> None:
        self.cleared.setdefault(cell.index, set()).add(output)

    def apply(self) -> str:
        raw = self.raw
        spans = json_spans(raw)
        expected = json.loads(raw)
        ensure_ascii = raw.isascii()
        replacements: list[tuple[int, int, str]] = []
        for ci, new in self.sources.items():
            cell = self.nb.cells[ci]
            path = cell.json_path
            if path not in spans:
                raise FixError(f"cannot locate the source of cell {ci + 1} in the file")
            start, end = spans[path]
            old_value = _get(expected, path)
            if isinstance(old_value, list):
                elements = [raw[slice(*spans[path + (k,)])] for k in range(len(old_value))]
                new_lines = _split_source(new)
                text = _render_list(raw, start, end, elements, [spans[path + (k,)] for k in range(len(old_value))],
                                    old_value, new_lines, ensure_ascii)
                _set(expected, path, new_lines)
            else:
                text = _dumps(new, ensure_ascii)
                _set(expected, path, new)
            replacements.append((start, end, text))
        for ci, outs in self.cleared.items():
            path = self.nb.cells[ci].json_path[:-1] + ("outputs",)
            old_value = _get(expected, path)
            if path not in spans or not isinstance(old_value, list):
                raise FixError(f"cannot locate the outputs of cell {ci + 1} in the file")
            start, end = spans[path]
            keep = [k for k in range(len(old_value)) if k not in outs]
            el_spans = [spans[path + (k,)] for k in range(len(old_value))]
            if not keep:
                text = "[]"
            else:
                elements = [raw[slice(*s)] for s in el_spans]
                text = _join_list(raw, start, end, el_spans, [elements[k] for k in keep])
            _set(expected, path, [old_value[k] for k in keep])
            replacements.append((start, end, text))
        replacements.sort()
        out, pos = [], 0
        for start, end, text in replacements:
            if start < pos:
                raise FixError("overlapping edits")
            out.append(raw[pos:start])
            out.append(text)
            pos = end
        out.append(raw[pos:])
        new_raw = "".join(out)
        # The new text must be exactly the intended notebook, and still valid if it was.
        if json.loads(new_raw) != expected:
            raise FixError("internal error: the edited file does not match the intended change; nothing written")
        _check_valid(json.loads(raw), expected)
        return new_raw


def _get(obj: Any, path: tuple) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def _set(obj: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


def _join_list(raw: str, start: int, end: int, el_spans: list[tuple[int, int]], elements: list[str]) -> str:
    """A JSON array holding ``elements`` (raw JSON texts), laid out as the array at raw[start:end] was."""
    if el_spans:
        prefix = raw[start:el_spans[0][0]]
        suffix = raw[el_spans[-1][1]:end]
        sep = raw[el_spans[0][1]:el_spans[1][0]] if len(el_spans) > 1 else "," + prefix[1:]
    else:  # an empty array: guess nbformat's layout from its indentation
        line_start = raw.rfind("\n", 0, start) + 1
        indent = len(raw[line_start:start]) - len(raw[line_start:start].lstrip())
        prefix, suffix = "[\n" + " " * (indent + 1), "\n" + " " * indent + "]"
        sep = ",\n" + " " * (indent + 1)
    if not elements:
        return "[]"
    return prefix + sep.join(elements) + suffix


def _render_list(raw: str, start: int, end: int, elements: list[str], el_spans: list[tuple[int, int]],
                 old_lines: list[str], new_lines: list[str], ensure_ascii: bool) -> str:
    """The new source array: unchanged lines keep their exact JSON text."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    out: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(elements[i1:i2])
        else:
            out.extend(_dumps(s, ensure_ascii) for s in new_lines[j1:j2])
    return _join_list(raw, start, end, el_spans, out)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _dumps(s: str, ensure_ascii: bool) -> str:
    """A JSON string in the file's style; lone surrogates (legal in JSON escapes, not in UTF-8)
    stay escaped."""
    return json.dumps(s, ensure_ascii=ensure_ascii or bool(_SURROGATE.search(s)))


def _check_valid(before: dict, after: dict) -> None:
    try:
        import nbformat
        from nbformat import ValidationError
    except ImportError:  # pragma: no cover - nbformat is a dependency
        return
    if not isinstance(after.get("nbformat"), int) or after["nbformat"] < 4:
        return  # old notebooks are read upgraded; their own schema is not ours to enforce

    def valid(nbdict: dict) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                nbformat.validate(copy.deepcopy(nbdict))
            except ValidationError:
                return False
            except Exception:
                return False
        return True

    if not valid(after) and valid(before):
        raise FixError("the fixed notebook would not be valid nbformat; nothing written")


# ---------------------------------------------------------------------------
# Showing the change (--diff), secrets masked


def _mask_text(source: str, spans: list[tuple[int, int, int, int]], extra=()) -> list[str]:
    from .rules._tokens import scan

    lines = source.split("\n")
    per_line: dict[int, list[tuple[int, int]]] = {}
    for line, col, end_line, end_col in spans:
        for ln in range(line, end_line + 1):
            if not 0 < ln <= len(lines):
                continue
            a = col if ln == line else 1
            b = end_col if ln == end_line else len(lines[ln - 1]) + 1
            per_line.setdefault(ln, []).append((a, b))
    out = []
    for i, text in enumerate(lines, 1):
        marks = list(per_line.get(i, []))
        for m in scan(text, extra):  # belt and braces: any credential-shaped text
            marks.append((m.start + 1, m.end + 1))
        out.append(mask_line(text, marks) if marks else text)
    return out


def render_diff(result: FixResult, extra_patterns=()) -> str:
    """A unified diff of each changed cell's source, with every secret masked, plus cleared outputs."""
    out: list[str] = []
    for ci in sorted(result.sources):
        old, new = result.sources[ci]
        a = _mask_text(old, result.old_sensitive.get(ci, []), extra_patterns)
        b = _mask_text(new, result.new_sensitive.get(ci, []), extra_patterns)
        label = f"{result.path.lstrip('/')} (cell {ci + 1})"
        out.extend(difflib.unified_diff(a, b, f"a/{label}", f"b/{label}", lineterm=""))
    for ci, oi, why in result.cleared:
        rules = ", ".join(sorted({f.rule for f in why}))
        label = f"{result.path.lstrip('/')} (cell {ci + 1}, output {oi + 1})"
        out.append(f"--- a/{label}")
        out.append(f"+++ b/{label}")
        out.append(f"@@ output removed: it holds {rules} @@")
    return "\n".join(out) + ("\n" if out else "")


def summarize(result: FixResult) -> str:
    counts: dict[str, int] = {}
    for c in result.changes:
        counts[c.finding.rule] = counts.get(c.finding.rule, 0) + 1
    parts = [f"{n} {rule}" for rule, n in sorted(counts.items())]
    if result.cleared:
        parts.append(f"{len(result.cleared)} leaking output{'s' if len(result.cleared) != 1 else ''} cleared")
    return f"{result.path}: fixed " + ", ".join(parts)


__all__ = ["FIXABLE", "FixError", "FixResult", "finding_fix", "fix_file", "json_spans", "render_diff",
           "summarize"]
