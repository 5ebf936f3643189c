from __future__ import annotations

import ast
import re

from ...analysis import DictEntry, Value, truthy
from ...model import Severity
from .._calls import contains
from .._filters import HEX40
from .._shell import all_commands, resolve, word_span
from .._paths import local_before
from ..base import Rule

_KEY = "trust_remote_code"
_PIN_KEYS = ("revision", "code_revision")
_MODEL_KEYS = ("pretrained_model_name_or_path", "model", "model_name_or_path", "path", "repo_id", "model_id")
_LOCAL = re.compile(r"^(?:\.{1,2}/|/|~|[A-Za-z]:[\\/])")
_SHELL_FLAG = re.compile(r"^--trust[-_]remote[-_]code(?:=(?P<v>.*))?$", re.I)
_SHELL_KV = re.compile(r"(?:^|[,\s])trust_remote_code=(true|1|yes)\b", re.I)


class TrustRemoteCode(Rule):
    """## What it does
    Flags `trust_remote_code=True`, which imports Python code shipped with a model or dataset.

    It is reported on any call: `AutoModel*.from_pretrained`,
    `AutoConfig`, `AutoTokenizer`, `pipeline(...)`, `datasets.load_dataset`,
    `SentenceTransformer`, `vllm.LLM`, `load_tool`, ... It sees truthy constants
    (`trust_remote_code=1`), values set in an earlier cell (`TRC = True`), `**{...}`
    and `**kwargs` dicts built earlier, and nested keyword dicts such as
    `model_kwargs={"trust_remote_code": True}`. On the command line it flags
    `--trust-remote-code` (`vllm serve`, `lm_eval`, `text-generation-launcher`...)
    and `trust_remote_code=True` inside `--model_args`.

    diffusers' `custom_pipeline=` imports code too: a Hub repository's `pipeline.py`
    (`custom_pipeline="org/name"`, high unless `custom_revision=` is a full commit)
    or a community pipeline from the diffusers repository
    (`custom_pipeline="lpw_stable_diffusion"`, low: it is fetched at the installed
    diffusers version's tag; medium with `custom_revision="main"`). Local files and
    folders are not reported.

    The message says whether the code is pinned: with `revision=` (or
    `code_revision=`) set to a full 40-hex commit the severity drops to medium, since
    the code that runs is fixed and can be reviewed; a branch or tag (`"main"`,
    `"v1.0"`) is not a pin. A model loaded from a local folder is also medium.
    `trust_remote_code=False` and values that are unknown statically
    (`trust_remote_code=args.trust`) are not reported.

    ## Why is this bad?
    `trust_remote_code=True` downloads Python files from the model or dataset
    repository and imports them: arbitrary code from whoever can push to that repo,
    run in the kernel with its credentials and data. Without a commit pin the code
    can change between two runs, silently. Hugging Face's own docs ask for a
    `revision` pin whenever it is used.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("org/model", trust_remote_code=True)
    ```

    Use instead:
    ```python
    # prefer an architecture supported natively by transformers (no remote code);
    # otherwise review the code at one commit and pin it
    model = AutoModelForCausalLM.from_pretrained(
        "org/model", trust_remote_code=True,
        revision="0a6aa9128b6194f4f3c4db429b6cb4891cdb421b")
    ```

    ## References
    - [CWE-94: Improper Control of Generation of Code ('Code Injection')](https://cwe.mitre.org/data/definitions/94.html)
    - [Hugging Face: using custom code (`trust_remote_code`, pin a revision)](https://huggingface.co/docs/transformers/main/en/custom_models#using-a-model-with-custom-code)
    - HF transformers-mlinter TRF014 (`trust_remote_code=True`)
    """

    code = "NBG605"
    uses_path_facts = True  # custom_pipeline= of a folder the notebook wrote (see _paths.py)
    name = "trust-remote-code"
    category = "supply-chain"
    severity = Severity.HIGH
    cwe = 94
    peers = ("transformers-mlinter:TRF014",)
    fix = "use a natively supported architecture, or review the remote code and pin revision=<40-hex commit>"

    # -- python ------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        if call.qualname in ("dict", "builtins.dict"):
            return  # reported where the dict is passed to a call
        node = call.node
        if not node.args and not node.keywords:
            return  # every check below reads an argument
        if node.keywords and any(k.arg == "custom_pipeline" for k in node.keywords):
            self._custom_pipeline(call, ctx)
        # call.arg(_KEY) finds only a keyword of that name or one in a **dict
        expr = call.arg(_KEY) if any(k.arg == _KEY or k.arg is None for k in node.keywords) else None
        if expr is not None:
            direct = next((k for k in node.keywords if k.arg == _KEY), None)
            value = ctx.scope.value(expr)
            if truthy(value):
                if direct is not None:
                    target: ast.AST = direct
                    how = ""
                elif _inside(expr, node):
                    target, how = expr, " (through **{...})"
                else:
                    target, how = node, " (through **kwargs)"
                    for k in node.keywords:
                        kv = ctx.scope.value(k.value) if k.arg is None else None
                        if kv is not None and isinstance(kv.value, dict) and _KEY in kv.value:
                            target = k.value
                            if kv.origin is not None:
                                how = f" (through **{kv.origin.name}, {kv.origin.describe()})"
                            break
                self._report(ctx, target, call, value, how, {})
            return
        # nested keyword dicts: model_kwargs={"trust_remote_code": True}, **kw with such a dict...
        args = (node.args + [k.value for k in node.keywords if k.arg is not None]) if node.keywords else node.args
        for arg in args:
            if type(arg) not in _HOLDER_TYPES or not _may_hold_key(arg):
                continue
            v = ctx.scope.value(arg)
            if v is None or not isinstance(v.value, dict):
                continue
            entry = v.value.get(_KEY)
            if not isinstance(entry, DictEntry) or not truthy(entry.value):
                continue
            target = entry.expr if _inside(entry.expr, node) else arg
            how = "" if target is entry.expr else f" (in a dict from {v.origin.describe()})" if v.origin else ""
            self._report(ctx, target, call, entry.value, how, v.value)
            return

    def _report(self, ctx, target: ast.AST, call, value: Value | None, how: str, inner: dict) -> None:
        pin = _pin(call, inner)
        model = _model(call)
        local = bool(model and _LOCAL.match(model))
        origin = f", value from {value.origin.describe()}" if value is not None and value.origin else ""
        subject = f"'{model}'" if model else "the model or dataset repository"
        if local:
            msg = f"trust_remote_code=True{how} imports the Python files shipped in the local folder {subject}"
            sev = Severity.MEDIUM
        elif pin:
            msg = f"trust_remote_code=True{how} runs Python code from {subject}, pinned to commit {pin[:12]}: " \
                  f"review that commit's code"
            sev = Severity.MEDIUM
        else:
            msg = f"trust_remote_code=True{how} runs Python code from {subject} at an unpinned revision: " \
                  f"whoever can push to it controls what runs"
            sev = self.severity
        ctx.report_node(self, target, msg + origin, severity=sev)

    def _custom_pipeline(self, call, ctx) -> None:
        """diffusers' ``custom_pipeline=``: the named pipeline's Python file is downloaded and imported."""
        v = call.value("custom_pipeline")
        if v is None or not isinstance(v.value, str) or v.partial or not v.value.strip():
            return
        name = v.value.strip()
        if _LOCAL.match(name) or name.endswith(".py") or name.count("/") > 1 or local_before(ctx, name):
            return  # a local file or folder
        if _DOC_PLACEHOLDER.search(name):
            return  # "filename_in_the_community_folder", "your_pipeline": a documentation template
        rev = call.value("custom_revision")
        ref = rev.value if rev is not None and isinstance(rev.value, str) and not rev.partial else None
        target = next(k for k in call.node.keywords if k.arg == "custom_pipeline")
        if "/" in name:  # a Hub repository holding pipeline.py
            if ref and HEX40.match(ref):
                ctx.report_node(self, target, f"custom_pipeline='{name}' runs the pipeline code of that Hub "
                                              f"repository, pinned to commit {ref[:12]}: review that commit's code",
                                severity=Severity.MEDIUM)
            else:
                ctx.report_node(self, target, f"custom_pipeline='{name}' runs Python code from the Hub repository "
                                              f"'{name}' at an unpinned revision: whoever can push to it controls "
                                              f"what runs")
        elif ref == "main":
            ctx.report_node(self, target, f"custom_pipeline='{name}' runs the community pipeline's Python code from "
                                          f"the diffusers repository's main branch", severity=Severity.MEDIUM)
        else:
            ctx.report_node(self, target, f"custom_pipeline='{name}' runs a community pipeline's Python code "
                                          f"downloaded from the diffusers repository, at the installed diffusers "
                                          f"version's tag (main for a development version)", severity=Severity.LOW)

    # -- shell -------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for c in all_commands(cmd.text):
            inv = resolve(c)
            if inv is None:
                continue
            prog = inv.program or "the command"
            for w in inv.args:
                m = _SHELL_FLAG.match(w.text)
                if m:
                    v = (m.group("v") or "true").lower()
                    if v in ("false", "0", "no", "off"):
                        continue
                    ctx.report(self, word_span(cmd, ctx, w),
                               f"--trust-remote-code lets {prog} import Python code from the model repository: "
                               f"whoever can push to it controls what runs")
                    continue
                k = _SHELL_KV.search(w.text)
                if k:
                    i = k.start(1) - len("trust_remote_code=")
                    ctx.report(self, word_span(cmd, ctx, w, i, k.end(1)),
                               f"trust_remote_code=True in {prog}'s arguments imports Python code from the model "
                               f"repository: whoever can push to it controls what runs")


_DOC_PLACEHOLDER = re.compile(r"(?:^|[_\-/])(?:filename|your|my|name[_\-]of)(?:[_\-/]|$)|^<.*>$", re.I)
_HOLDER_TYPES = frozenset({ast.Name, ast.Dict, ast.Call})  # the only kinds _may_hold_key accepts


def _may_hold_key(arg: ast.expr) -> bool:
    """Cheap filter before evaluating an argument as a dict."""
    if isinstance(arg, ast.Name):
        return True
    if isinstance(arg, ast.Dict):
        return any(isinstance(k, ast.Constant) and k.value == _KEY for k in arg.keys) or None in arg.keys
    if isinstance(arg, ast.Call):
        return any(k.arg == _KEY or k.arg is None for k in arg.keywords)
    return False


def _inside(expr: ast.AST, node: ast.AST) -> bool:
    return contains(node, expr)


def _pin(call, inner: dict) -> str:
    for key in _PIN_KEYS:
        for v in (call.value(key), _entry(inner, key)):
            if v is not None and isinstance(v.value, str) and not v.partial and HEX40.match(v.value):
                return v.value
    return ""


def _entry(d: dict, key: str) -> Value | None:
    e = d.get(key) if isinstance(d, dict) else None
    return e.value if isinstance(e, DictEntry) else None


def _model(call) -> str:
    for key in _MODEL_KEYS:
        v = call.value(key)
        if v is not None and isinstance(v.value, str) and not v.partial:
            return v.value
    v = call.value(None, 1 if call.attr == "pipeline" else 0)
    if v is not None and isinstance(v.value, str) and not v.partial and len(v.value) < 200:
        return v.value
    return ""
