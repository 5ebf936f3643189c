from __future__ import annotations

import ast

from ...analysis import truthy
from ...model import Severity
from .._hub import HUB_CALL_NAMES, describe_ref, hub_call, is_pin, local_reason, partial_hub_prefix, repo_label, short
from .._paths import env_truthy, env_value, observe_magic
from .._calls import anchor
from ..base import Rule

_OFFLINE_ENV = {
    "dataset": ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"),
    "from_pretrained": ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"),
    "pipeline": ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"),
    "metric": ("HF_HUB_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_DATASETS_OFFLINE"),
}
# The Hub organisations of evaluate's canonical modules ("rouge" is evaluate-metric/rouge).
_CANONICAL_METRIC_ORGS = frozenset({"evaluate-metric", "evaluate-comparison", "evaluate-measurement"})


def _canonical_metric(name: str) -> bool:
    return "/" not in name or name.split("/", 1)[0] in _CANONICAL_METRIC_ORGS


class UnpinnedHubModel(Rule):
    """## What it does
    Finds Hugging Face Hub downloads that are not pinned to a commit: `from_pretrained`
    (transformers, diffusers, peft, sentence-transformers, timm, tokenizers, optimum,
    setfit, trl...), `transformers.pipeline`, `SentenceTransformer` / `CrossEncoder`,
    `hf_hub_download`, `snapshot_download`, `datasets.load_dataset`,
    `timm.create_model("hf-hub:...")`, `vllm.LLM`, adapters and extra weights loaded
    into a built model (diffusers' `load_lora_weights` / `load_textual_inversion` /
    `load_ip_adapter`, transformers' `load_adapter`) and the LangChain / LlamaIndex
    wrappers (`HuggingFaceEmbeddings`, `HuggingFaceBgeEmbeddings`,
    `HuggingFaceEmbedding`, `HuggingFacePipeline.from_model_id`, whose revision goes in
    `model_kwargs`), called without `revision=` or with a revision that is not a 40-hex
    commit sha (`"main"`, a tag, `"refs/pr/1"`, a short sha). A `pipeline(task)` with no
    `model=` is reported too, at low severity: it downloads the default model that the
    installed transformers names for the task, pinned only to the short commit id the
    library holds, so the model changes with the transformers version (pin that with
    NBG601, or name the model and its revision). A wrapper given no model name is
    reported at the rule's severity.

    Evaluation modules are code, not weights: `evaluate.load("org/metric")` and
    `datasets.load_metric(...)` download a Python script (from the Hub, or for old
    `datasets` releases from its GitHub repository) and import it into the kernel. A
    community module (`"org/name"`) without a pinned revision comes from `main`; a
    canonical one (`"rouge"`, `"glue"`, `"evaluate-metric/mase"`) is reported at low severity, as it is fetched at
    the tag of the installed library's version (and from `main` when that tag is
    missing), as it is when that tag is named in `revision=`.

    Local paths are not Hub ids and are skipped: `./x`, `/x`, `~/x`, `a/b/c`, file
    names, Trainer checkpoints, folders the notebook wrote or downloaded earlier
    (`save_pretrained`, `output_dir=`, `os.makedirs`, `!mkdir`, `!git clone`,
    `local_dir=`), calls with `local_files_only=True`, and everything after
    `HF_HUB_OFFLINE=1`. A revision held in a variable whose value is unknown gets the
    benefit of the doubt; a constant set in an earlier cell is followed.

    When the call also passes `trust_remote_code=True` and NBG605 is enabled, the
    call is reported once, by NBG605, whose message says the revision is unpinned.

    ## Why is this bad?
    Branches and tags on the Hub are mutable. Whoever controls the repository (or its
    token) can replace the weights, the tokenizer, or, with `trust_remote_code=True`,
    the Python code the notebook runs, and the next run picks the change up silently.
    Pickle-based weights (`pytorch_model.bin`) execute code when loaded. Even without
    an attacker, an unpinned notebook is not reproducible: results change when the
    model card's author pushes.

    ## Example
    ```python
    from transformers import AutoModel
    model = AutoModel.from_pretrained("bert-base-uncased")
    pipe = pipeline("text-generation", model="gpt2", revision="main")
    ```

    Use instead:
    ```python
    model = AutoModel.from_pretrained(
        "bert-base-uncased", revision="86b5e0934494bd15c9632b12f734a8a67f723594")
    ```
    Find the sha on the repository's "Files and versions" tab or with
    `huggingface_hub.HfApi().model_info(repo).sha`, or load from a local snapshot.

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [CWE-829: Inclusion of Functionality from Untrusted Control Sphere](https://cwe.mitre.org/data/definitions/829.html)
    - Bandit B615 (`huggingface_unsafe_download`): accepts 7+ hex characters as a pin and
      misses `pipeline`, `SentenceTransformer` and diffusers pipelines
    - [Hugging Face: revisions](https://huggingface.co/docs/huggingface_hub/guides/download#from-specific-version)
    """

    code = "NBG301"
    uses_path_facts = True  # the engine records what earlier code wrote (see _paths.py)
    call_names = HUB_CALL_NAMES  # check_call reports only what hub_call accepts
    name = "unpinned-hub-model"
    category = "unpinned-model"
    severity = Severity.MEDIUM
    cwe = 494
    peers = ("bandit:B615",)
    fix = "pass revision='<40-hex commit sha>' (or load from a local snapshot)"

    def check_magic(self, magic, ctx) -> None:
        observe_magic(magic, ctx)  # %env HF_HUB_OFFLINE=1

    def check_call(self, call, ctx) -> None:
        hc = hub_call(call, ctx)
        if hc is not None:
            self._check(hc, call, ctx)

    def _folded_into_trust_remote_code(self) -> bool:
        from ..base import get_rule

        rule = get_rule("NBG605")
        return bool(self.config is not None and rule is not None and self.config.rule_enabled(rule))

    def _check(self, hc, call, ctx) -> None:
        if truthy(call.value("local_files_only")):
            return
        for var in _OFFLINE_ENV.get(hc.kind, ("HF_HUB_OFFLINE",)):
            env = env_value(ctx, var)
            if env is not None and env_truthy(env[0]):
                return
        node = call.node
        trc = " and runs the repository's code (trust_remote_code=True)" \
            if truthy(call.value("trust_remote_code")) else ""
        if trc and self._folded_into_trust_remote_code():
            return  # one finding per call: NBG605 reports it, and says the revision is unpinned

        if hc.repo is None:
            if hc.kind == "pipeline" and not call.has_opaque_kwargs() \
                    and not any(isinstance(a, ast.Starred) for a in node.args):
                task = call.value("task", 0)
                if task is None and call.arg("task", 0) is not None:
                    return  # a task we cannot read; the model may come from elsewhere
                t = f"'{task.value}'" if task is not None and isinstance(task.value, str) else ""
                if not t:
                    return
                ctx.report_node(self, node, f"pipeline({t}) has no model=, so it downloads the default model the "
                                            f"installed transformers picks for the task (at a short commit id set in "
                                            f"the library): the model changes whenever transformers does{trc}",
                                severity=Severity.LOW)
            return

        value = ctx.scope.value(hc.repo)
        if value is None or not isinstance(value.value, str):
            return  # unknown or not a name (a model object): benefit of the doubt
        if hc.kind == "timm":
            self._check_timm(value, call, ctx)
            return
        if value.partial:
            if not partial_hub_prefix(value.value):
                return
        elif local_reason(value.value, ctx, dataset=hc.kind == "dataset") is not None:
            return
        where = f" ({value.origin.describe()})" if value.origin and not isinstance(hc.repo, ast.Constant) else ""
        kw = "model=" if hc.kind in ("pipeline", "vllm") else ""
        target = f"{hc.label}({kw}{repo_label(value)}){where}"

        rev_expr = next((e for e in (call.arg(k) for k in hc.revision_kw) if e is not None), None)
        if rev_expr is None:
            for kw in hc.revision_in:  # HuggingFaceEmbeddings(model_kwargs={"revision": ...})
                if call.arg(kw) is None:
                    continue
                d = ctx.scope.value(call.arg(kw))
                if d is None or not isinstance(d.value, dict):
                    return  # model_kwargs we cannot read: benefit of the doubt
                entry = d.value.get("revision")
                if entry is not None:
                    rev_expr = entry.expr
        if rev_expr is not None:
            rev = ctx.scope.value(rev_expr)
            if rev is None or rev.partial:
                return  # a revision we cannot read: benefit of the doubt
            if isinstance(rev.value, str):
                if is_pin(rev.value):
                    return
                origin = f" ({rev.origin.describe()})" if rev.origin and not isinstance(rev_expr, ast.Constant) else ""
                ref = describe_ref(rev.value)
                # a canonical metric at a version tag is what it gets by default (see the docstring)
                sev = Severity.LOW if hc.kind == "metric" and _canonical_metric(value.value) \
                    and ref.startswith("a tag") else None
                ctx.report_node(self, anchor(call, rev_expr), f"{target} uses revision '{short(rev.value, 50)}'{origin}, "
                                                f"{ref}, not a commit sha{trc}", severity=sev)
                return
            if rev.value is not None:
                return
        span = _span_to(ctx, node, anchor(call, hc.repo) if hc.repo is not None else None)
        if call.has_opaque_kwargs():
            ctx.report(self, span, f"{target} downloads from the Hugging Face Hub with no visible revision= "
                                   f"(it may be in **kwargs){trc}", severity=Severity.LOW)
            return
        if hc.kind == "metric":
            if not _canonical_metric(value.value):
                ctx.report(self, span, f"{target} downloads the metric's Python script from Hugging Face and "
                                       f"runs it in the kernel, without a pinned revision (from main: a "
                                       f"community module has no tag of the library's version)")
            else:
                ctx.report(self, span, f"{target} downloads the metric's Python script from Hugging Face and "
                                       f"runs it in the kernel, at the tag of the installed library's version "
                                       f"(main when the tag is missing)", severity=Severity.LOW)
            return
        ctx.report(self, span, f"{target} downloads from the Hugging Face Hub without a pinned revision{trc}")

    def _check_timm(self, value, call, ctx) -> None:
        v = value.value
        if value.partial or not v.startswith(("hf-hub:", "hf_hub:")):
            return
        repo, _, rev = v.partition(":")[2].partition("@")
        if rev and is_pin(rev):
            return
        target = f"timm.create_model('{v if len(v) < 70 else v[:69] + '…'}')"
        if rev:
            ctx.report_node(self, call.node, f"{target} uses revision '{short(rev, 50)}', {describe_ref(rev)}, "
                                             f"not a commit sha")
        else:
            ctx.report(self, _span_to(ctx, call.node, call.arg("model_name", 0)),
                       f"{target} downloads from the Hugging Face Hub without a pinned revision "
                       f"(add '@<40-hex sha>' to the name)")


def _span_to(ctx, start: ast.AST, end: ast.AST | None) -> tuple[int, int, int, int]:
    """From the start of ``start`` to the end of ``end`` (the callee through the repo id)."""
    a = ctx.node_span(start)
    if end is None:
        return a
    b = ctx.node_span(end)
    return a[0], a[1], b[2], b[3]
