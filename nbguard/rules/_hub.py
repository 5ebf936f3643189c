"""Hugging Face Hub downloads: which calls fetch from the Hub, and what is a pin.

Shared by the unpinned-model rules. Three questions:

* :func:`hub_call` -- is this call a Hub download, and which argument names the
  repository and which the revision? (``*.from_pretrained``, ``pipeline``,
  ``SentenceTransformer``, ``hf_hub_download``, ``snapshot_download``,
  ``load_dataset``, ``evaluate.load``, ``timm.create_model("hf-hub:...")``, ``vllm.LLM``, diffusers'
  ``load_lora_weights``, LangChain's ``HuggingFaceEmbeddings``...)
* :func:`local_reason` -- is a string a local path rather than a Hub id?
  (``./x``, ``/x``, ``~/x``, ``a/b/c``, ``model.bin``, a folder the notebook wrote
  or downloaded earlier, Trainer's ``checkpoint-500``...)
* :func:`is_pin` / :func:`describe_ref` -- is a revision a commit sha (40 hex), and
  if not, what is it (a branch, a tag, a pull-request ref, a short sha)?
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._filters import HEX40
from ._paths import local_before

if TYPE_CHECKING:
    from ..analysis import CallSite, Value
    from ..context import CellContext

# Packages whose ``from_pretrained`` (and friends) download from the Hugging Face Hub
# and accept ``revision=``.
HF_PACKAGES = frozenset({
    "transformers", "diffusers", "peft", "sentence_transformers", "timm", "tokenizers", "optimum", "setfit",
    "huggingface_hub", "trl", "unsloth", "auto_gptq", "awq", "gliner", "span_marker", "parler_tts",
    "controlnet_aux", "colpali_engine", "adapters", "transformers_neuronx", "optimum_neuron",
})
FROM_PRETRAINED = frozenset({"from_pretrained", "from_quantized"})
_REPO_KWARGS = ("pretrained_model_name_or_path", "model_id", "model_name", "pretrained_model_name",
                "model_name_or_path", "repo_id")
# A bare (unresolved) class name that looks like a Hugging Face class.
_HF_CLASS = re.compile(
    r"^(?:Auto|TF|Flax|Peft|SetFit|Sentence|Diffusion|StableDiffusion|Kandinsky|Flux|Qwen|Llama|Bert|Roberta|"
    r"GPT|T5|Whisper|Wav2Vec2|CLIP|Blip|ViT|Unet|UNet|Autoencoder|ControlNet|FastLanguageModel)\w*"
    r"|\w*(?:Model|Tokenizer|TokenizerFast|Processor|FeatureExtractor|Config|Pipeline|Scheduler|"
    r"ForCausalLM|LMHeadModel|For[A-Z]\w*|WithValueHead|Adapter)$")
DATASET_BUILDERS = frozenset({
    "csv", "json", "parquet", "text", "arrow", "pandas", "generator", "imagefolder", "audiofolder",
    "videofolder", "webdataset", "sql", "xml", "spark", "cache", "folder_based_builder", "tsv", "jsonl",
})
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][\w.\-]{0,95}/)?[A-Za-z0-9][\w.\-]{0,95}$")
FILE_EXTENSIONS = frozenset({
    "bin", "pt", "pth", "ckpt", "safetensors", "json", "h5", "hdf5", "keras", "onnx", "pkl", "pickle",
    "joblib", "gguf", "ggml", "msgpack", "zip", "tar", "gz", "tgz", "bz2", "xz", "txt", "yaml", "yml", "npz",
    "npy", "pb", "tflite", "csv", "tsv", "parquet", "jsonl", "arrow", "py", "mlmodel", "engine", "plan", "tf",
})
# Folder names people give to training output; "outputs/run1" is not an org/repo pair.
LOCAL_DIR_WORDS = frozenset({
    "output", "outputs", "out", "results", "result", "checkpoints", "checkpoint", "ckpt", "ckpts",
    "saved_models", "saved_model", "savedmodel", "save", "saved", "runs", "run", "tmp", "temp", "logs",
    "artifacts", "models", "model", "weights", "data", "datasets", "content", "drive", "mnt", "workspace",
    "home", "kaggle", "input", "export", "exports", "local", "cache", "pretrained", "trained", "finetuned",
    "path", "dir", "folder",
})
_CHECKPOINT_SEG = re.compile(r"^(?:checkpoint|ckpt|epoch|step|global_step)[-_]?\d+$", re.I)
_VERSION_TAG = re.compile(r"^v?\d+(?:\.\d+)+(?:[-.+]?\w+)?$|^v\d+$|^release[-_/]", re.I)
_SHORT_HEX = re.compile(r"^[0-9a-f]{7,39}$")
_PR_REF = re.compile(r"^refs/pr/\d+$")
_PATH_PLACEHOLDER = re.compile(r"(?:^|[-_/])path[-_/]to[-_/]|^path[-_]to$|(?:^|[-_])(?:local|saved)[-_](?:model|dir|path)", re.I)


@dataclass
class HubCall:
    """A Hub download: what to call it in messages, and where its repo id and revision are."""

    label: str  # "AutoModel.from_pretrained", "pipeline", "hf_hub_download"...
    kind: str  # "from_pretrained" | "pipeline" | "sentence_transformer" | "file" | "dataset" | "metric" | "timm" | "vllm"
    repo: ast.expr | None
    revision_kw: tuple[str, ...] = ("revision", "commit_id")
    revision_in: tuple[str, ...] = ()  # dict kwargs that may carry "revision" (model_kwargs={...})


# Loaders that fetch extra weights (adapters, embeddings) into an already built model or
# pipeline: diffusers' LoRA / textual-inversion / IP-Adapter mixins and transformers' PEFT
# integration. The receiver is a model object we rarely resolve, so the method name plus
# an imported Hugging Face package identifies them.
_ADAPTER_LOADERS = {
    "load_lora_weights": ("pretrained_model_name_or_path_or_dict", ("diffusers", "peft")),
    "load_textual_inversion": ("pretrained_model_name_or_path", ("diffusers",)),
    "load_ip_adapter": ("pretrained_model_name_or_path_or_dict", ("diffusers",)),
    "load_adapter": ("peft_model_id", ("transformers", "peft")),
}
# LangChain / LlamaIndex wrappers that build a SentenceTransformer or transformers model
# from the Hub; the revision, if any, travels in model_kwargs. Value: the model each
# downloads when no name is given (their documented defaults).
_EMBEDDING_WRAPPERS = {
    "HuggingFaceEmbeddings": "sentence-transformers/all-mpnet-base-v2",
    "HuggingFaceBgeEmbeddings": "BAAI/bge-large-en",
    "HuggingFaceInstructEmbeddings": "hkunlp/instructor-large",
    "HuggingFaceEmbedding": "BAAI/bge-small-en",
}
_WRAPPER_PACKAGES = frozenset({"langchain", "langchain_community", "langchain_huggingface", "llama_index"})


def is_pin(rev: str) -> bool:
    return bool(HEX40.match(rev))


def describe_ref(rev: str) -> str:
    """What a non-sha revision is, as a noun phrase for a message: "a branch", "a tag"..."""
    r = rev.strip()
    if r in ("main", "master", "dev", "develop", "trunk"):
        return "a branch"
    if _PR_REF.match(r):
        return "a pull-request ref"
    if _SHORT_HEX.match(r):
        return "a short sha (a branch or tag with that name would win)"
    if _VERSION_TAG.match(r):
        return "a tag (tags can be moved)"
    if HEX40.match(r.lower()):
        return "an upper-case sha (the Hub treats it as a branch or tag name)"
    return "a branch or tag name"


def short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def hf_imported(ctx: "CellContext") -> bool:
    return bool(ctx.scope.modules & HF_PACKAGES)


def _star(ctx: "CellContext", *modules: str) -> bool:
    return any(m.split(".")[0] in modules for m in ctx.scope.star_imports)


def _bare(q: str) -> bool:
    return bool(q) and "." not in q and "(" not in q


# Every callee name hub_call can accept, as resolved (last part of the qualname) or as
# written (``call.attr``): a rule that only reports Hub calls may use it as ``call_names``.
_FNAMES = ("pipeline", "SentenceTransformer", "CrossEncoder", "SparseEncoder", "hf_hub_download",
           "snapshot_download", "load_dataset", "create_model", "LLM", "from_model_id", "load", "load_metric")
# Loaders of evaluation modules: a Python script fetched from the Hub and imported into the kernel.
_METRIC_LOADERS = {"evaluate.load": "evaluate.load", "evaluate.loading.load": "evaluate.load",
                   "datasets.load_metric": "datasets.load_metric", "datasets.load.load_metric": "datasets.load_metric"}
HUB_CALL_NAMES = FROM_PRETRAINED | frozenset(_FNAMES) | frozenset(_EMBEDDING_WRAPPERS) | frozenset(_ADAPTER_LOADERS)


def hub_call(call: "CallSite", ctx: "CellContext") -> HubCall | None:
    """Classify a call as a Hub download, or None."""
    q = call.qualname
    attr = call.attr
    fname = q.rsplit(".", 1)[-1]  # the imported name, whatever alias it is called by
    if fname not in HUB_CALL_NAMES and attr not in HUB_CALL_NAMES:
        return None  # every branch below needs one of these names
    top = q.split(".", 1)[0]
    func = call.node.func

    if attr in FROM_PRETRAINED and isinstance(func, ast.Attribute):
        base = q[: -len(attr) - 1] if q.endswith("." + attr) else ""
        cls = base.rsplit(".", 1)[-1]
        if base and top in HF_PACKAGES:
            pass
        elif _bare(base):
            if not ((_star(ctx, *HF_PACKAGES) or hf_imported(ctx)) and _HF_CLASS.match(base)):
                return None
        elif not base:  # receiver we cannot resolve (self.cls, f()): only in a notebook that imports HF
            if not hf_imported(ctx):
                return None
            cls = ""
        else:
            return None
        label = f"{cls}.{attr}" if cls and "(" not in cls else attr
        pos = 1 if cls.startswith(("PeftModel", "PeftMixedModel")) else 0
        return HubCall(label, "from_pretrained", call.arg(None, pos) or _first_kw(call, _REPO_KWARGS))

    if fname == "pipeline" and (q in ("transformers.pipeline", "transformers.pipelines.pipeline")
                               or (q == "pipeline" and _star(ctx, "transformers"))):
        return HubCall("pipeline", "pipeline", call.arg("model", 1))

    if fname in ("SentenceTransformer", "CrossEncoder", "SparseEncoder"):
        if top == "sentence_transformers" or (_bare(q) and (_star(ctx, "sentence_transformers")
                                                           or "sentence_transformers" in ctx.scope.modules)):
            return HubCall(fname, "sentence_transformer",
                           call.arg(None, 0) or _first_kw(call, ("model_name_or_path", "model_name")))

    if fname in ("hf_hub_download", "snapshot_download"):
        if top == "huggingface_hub" or (_bare(q) and (_star(ctx, "huggingface_hub")
                                                     or "huggingface_hub" in ctx.scope.modules)):
            return HubCall(fname, "file", call.arg("repo_id", 0))

    if fname == "load_dataset" and (q in ("datasets.load_dataset", "datasets.load.load_dataset")
                                   or (q == "load_dataset" and _star(ctx, "datasets"))):
        return HubCall("load_dataset", "dataset", call.arg("path", 0))

    if fname in ("load", "load_metric") and (q in _METRIC_LOADERS or (
            q == "load_metric" and _star(ctx, "datasets"))):
        return HubCall(_METRIC_LOADERS.get(q, "datasets.load_metric"), "metric", call.arg("path", 0))

    if fname == "create_model" and (q in ("timm.create_model", "timm.models.create_model")
                                   or (q == "create_model" and _star(ctx, "timm"))):
        return HubCall("timm.create_model", "timm", call.arg("model_name", 0), ())

    if q == "vllm.LLM":
        return HubCall("vllm.LLM", "vllm", call.arg("model", 0), ("revision",))

    if fname in _EMBEDDING_WRAPPERS and (top in _WRAPPER_PACKAGES or (
            _bare(q) and (ctx.scope.modules & _WRAPPER_PACKAGES or _star(ctx, *_WRAPPER_PACKAGES)))):
        repo = call.arg("model_name", None) or call.arg("model", None)
        if repo is None:
            if call.node.args or call.has_opaque_kwargs():
                return None  # a positional or hidden model name we cannot place
            repo = ast.Constant(_EMBEDDING_WRAPPERS[fname])
        return HubCall(fname, "sentence_transformer", repo, ("revision",), ("model_kwargs",))

    if fname == "from_model_id" and q.endswith("HuggingFacePipeline.from_model_id") and top in _WRAPPER_PACKAGES:
        return HubCall("HuggingFacePipeline.from_model_id", "from_pretrained", call.arg("model_id", 0),
                       ("revision",), ("model_kwargs",))

    loader = _ADAPTER_LOADERS.get(attr)
    if loader is not None and isinstance(func, ast.Attribute) and ctx.scope.modules & set(loader[1]):
        return HubCall(attr, "from_pretrained", call.arg(loader[0], 0))
    return None


def _first_kw(call: "CallSite", names: tuple[str, ...]) -> ast.expr | None:
    for n in names:
        e = call.arg(n)
        if e is not None:
            return e
    return None


def local_reason(value: str, ctx: "CellContext", *, dataset: bool = False) -> str | None:
    """Why ``value`` is not a Hub repo id (a local path, a URL, a builder name), or None."""
    v = value.strip()
    if not v:
        return "empty"
    if v.startswith(("./", "/", "../", "~", ".\\")) or v in (".", ".."):
        return "a local path"
    if "\\" in v or "://" in v or re.match(r"^[A-Za-z]:", v):
        return "a local path or URL"
    if dataset and v.lower() in DATASET_BUILDERS:
        return "a packaged dataset builder"
    if v.count("/") > 1:
        return "a local path (Hub ids have at most one '/')"
    last = v.rsplit("/", 1)[-1]
    ext = last.rsplit(".", 1)[-1].lower() if "." in last else ""
    if ext in FILE_EXTENSIONS:
        return "a file name"
    if not _HUB_ID.match(v) or "--" in v or ".." in v:
        return "not a valid Hub id"
    if _PATH_PLACEHOLDER.search(v):
        return "a placeholder for a local path"
    ev = local_before(ctx, v)
    if ev is not None:
        return f"a local folder ({ev.describe()})"
    segs = v.split("/")
    if len(segs) == 2 and (segs[0].lower() in LOCAL_DIR_WORDS or _CHECKPOINT_SEG.match(segs[1])):
        return "a local path"
    if _CHECKPOINT_SEG.match(segs[-1]):
        return "a local checkpoint"
    return None


def repo_label(value: "Value") -> str:
    s = short(str(value.value))
    return f"'{s}…'" if value.partial else f"'{s}'"


def partial_hub_prefix(prefix: str) -> bool:
    """A known prefix ``"org/"`` of an f-string or concatenation that names a Hub org."""
    m = re.match(r"^([A-Za-z0-9][\w.\-]*)/[\w.\-]*$", prefix)
    return bool(m) and m.group(1).lower() not in LOCAL_DIR_WORDS and not _CHECKPOINT_SEG.match(m.group(1))
