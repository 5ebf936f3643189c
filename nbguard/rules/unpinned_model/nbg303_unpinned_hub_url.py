from __future__ import annotations

import re
from urllib.parse import unquote

from ...model import Severity
from .._filters import HEX40
from .. import _shell
from .._hub import describe_ref, is_pin, short
from .._calls import anchor
from ..base import Rule

# huggingface.co/<org>/<repo>/(resolve|raw|blob)/<ref>/<file>, also datasets/ and spaces/
HUB_FILE_URL = re.compile(
    r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<kind>datasets/|spaces/)?"
    r"(?P<repo>[\w.\-]+(?:/[\w.\-]+)?)/(?:resolve|raw|blob)/(?P<ref>[^/\s\"'?#]+)/(?P<file>[^\s\"'?#]*)")
HUB_REPO_URL = re.compile(r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?:datasets/|spaces/)?[\w.\-]+(?:/[\w.\-]+)?")
# Files whose download matters for this rule even from a dataset or Space repo: weights and code.
_MODEL_FILES = re.compile(
    r"\.(?:bin|pt|pth|ckpt|safetensors|onnx|gguf|ggml|h5|keras|pb|tflite|pkl|pickle|joblib|npz|msgpack|py|"
    r"model|mlmodel)$", re.I)
_MEDIA_FILES = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|mp[34]|wav|flac|ogg|avi|mov|webm|md|html?|pdf|txt|csv|"
                          r"tsv|parquet|jsonl|arrow)$", re.I)
# Python callees that fetch a URL they are given (by method or function name).
_FETCH_CALLS = frozenset({
    "get", "post", "request", "stream", "urlopen", "urlretrieve", "Request", "download", "download_file",
    "download_url", "download_url_to_file", "load_state_dict_from_url", "load_url", "get_file", "cached_download",
    "cached_path", "from_single_file", "from_pretrained", "load_dataset", "open", "fetch", "read_pickle", "load",
    "read_csv", "read_parquet", "read_json", "load_file", "from_url", "load_from_url",
})
_DOWNLOADERS = frozenset({"wget", "curl", "aria2c", "axel", "http", "https", "gdown"})
_SHA_CHECKOUT = re.compile(r"\bgit\b[^\n]*?\b(?:checkout|reset\s+--hard|switch\s+--detach)\s+[0-9a-f]{40}\b")


def model_download(file: str, repo_kind: str) -> bool:
    """Is fetching ``file`` from a repo of ``repo_kind`` ("" model, "dataset", "space") a model download?
    Media and data files are not; from dataset and Space repos only weights and code are."""
    if _MEDIA_FILES.search(file):
        return False
    return not repo_kind or bool(_MODEL_FILES.search(file))


def unpinned_hub_url(url: str) -> tuple[str, str] | None:
    """(ref, file) of a huggingface.co file URL whose ref is not a commit sha and whose file
    is model-like, else None."""
    m = HUB_FILE_URL.search(url)
    if not m:
        return None
    ref = unquote(m.group("ref"))
    if HEX40.match(ref):
        return None
    file = m.group("file")
    if not model_download(file, (m.group("kind") or "").rstrip("s/")):
        return None
    return ref, file


class UnpinnedHubUrl(Rule):
    """## What it does
    Finds Hugging Face Hub downloads that bypass the client library and so its
    `revision=` argument: `huggingface.co/<repo>/resolve/main/...` URLs (or any ref that is
    not a 40-hex commit sha) fetched with `wget`, `curl`, `requests`, `urlretrieve`,
    `torch.hub.load_state_dict_from_url`, `from_single_file` and the like;
    `hf_hub_url(...)` without a pinned revision; `huggingface-cli download` / `hf download`
    without `--revision <sha>`; and `git clone https://huggingface.co/...` with no later
    `git checkout <sha>` in the same cell.

    Data files (images, audio, CSV, Parquet) from dataset repositories are not model
    downloads and are not reported; weights and code files from any repository are.

    ## Why is this bad?
    `resolve/main` serves whatever is on the branch today. A replaced `.bin`, `.ckpt` or
    `.pkl` runs code when it is loaded, and a replaced `.py` runs directly. Pinning the
    URL to a commit makes the download immutable.

    ## Example
    ```python
    !wget https://huggingface.co/org/model/resolve/main/model.ckpt
    !huggingface-cli download org/model
    ```

    Use instead:
    ```python
    !wget https://huggingface.co/org/model/resolve/<40-hex commit sha>/model.ckpt
    !huggingface-cli download org/model --revision <40-hex commit sha>
    ```

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [Hugging Face: download files from the Hub](https://huggingface.co/docs/huggingface_hub/guides/download)
    """

    code = "NBG303"
    call_names = _FETCH_CALLS | {"hf_hub_url"}  # check_call tests call.attr against these
    name = "unpinned-hub-url"
    category = "unpinned-model"
    severity = Severity.MEDIUM
    cwe = 494
    peers = ()
    fix = "use a commit sha in the URL (resolve/<sha>/...) or --revision <sha>"

    # -- Python ------------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if call.attr == "hf_hub_url" and (q.startswith("huggingface_hub.") or q == "hf_hub_url"):
            self._hf_hub_url(call, ctx)
            return
        if call.attr not in _FETCH_CALLS:
            return
        node = call.node
        for arg in list(node.args) + [k.value for k in node.keywords if k.arg]:
            v = ctx.scope.value(arg)
            if v is None or not isinstance(v.value, str) or "huggingface.co" not in v.value and "hf.co" not in v.value:
                continue
            found = unpinned_hub_url(v.value)
            if found:
                ref, file = found
                where = f" ({v.origin.describe()})" if v.origin else ""
                ctx.report_node(self, arg, f"{call.attr or 'call'}() downloads '{short(file.rsplit('/', 1)[-1], 50)}' "
                                           f"from the Hugging Face Hub at {_ref_text(ref)}{where}")
                return

    def _hf_hub_url(self, call, ctx) -> None:
        fname = call.value("filename", 1)
        kind = call.value("repo_type", 3)
        if fname is not None and isinstance(fname.value, str) and not model_download(
                fname.value, kind.value if kind is not None and isinstance(kind.value, str) else ""):
            return
        rev_expr = call.arg("revision")
        if rev_expr is not None:
            rev = ctx.scope.value(rev_expr)
            if rev is None or rev.partial or not isinstance(rev.value, str) or is_pin(rev.value):
                return
            ctx.report_node(self, anchor(call, rev_expr), f"hf_hub_url() builds a download URL for revision '{short(rev.value, 40)}', "
                                            f"{describe_ref(rev.value)}, not a commit sha")
            return
        if call.has_opaque_kwargs():
            return
        ctx.report_node(self, call.node, "hf_hub_url() without revision= builds a .../resolve/main/... URL")

    # -- shell ---------------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        low = cmd.text.lower()
        if "huggingface" not in low and "hf" not in low:
            return
        for c in _shell.all_commands(cmd.text):
            inv = _shell.resolve(c)
            if inv is None or not inv.args:
                continue
            prog, args = inv.program, list(inv.args)
            texts = [w.text for w in args]
            if prog in ("huggingface-cli", "hf") and texts[0] == "download":
                self._cli_download(cmd, prog, args[1:], ctx)
            elif prog == "git" and "clone" in texts:
                self._git_clone(cmd, args[texts.index("clone") + 1:], ctx)
            elif prog in _DOWNLOADERS or _shell.is_python(inv):
                for w in args:
                    found = unpinned_hub_url(w.text)
                    if found:
                        ref, file = found
                        ctx.report(self, _shell.word_span(cmd, ctx, w),
                                   f"{prog} downloads '{short(file.rsplit('/', 1)[-1], 50)}' from the Hugging Face "
                                   f"Hub at {_ref_text(ref)}")
                        break

    def _cli_download(self, cmd, prog, args, ctx) -> None:
        positional = []
        rev = None
        i = 0
        while i < len(args):
            w = args[i].text
            if w == "--revision" and i + 1 < len(args):
                rev = args[i + 1]
                i += 2
                continue
            if w.startswith("--revision="):
                rev = args[i].slice(len("--revision="))
            elif w.startswith("-"):
                if w in _CLI_VALUE_OPTS:
                    i += 1
            else:
                positional.append(args[i])
            i += 1
        if not positional or positional[0].expansion:
            return
        repo = positional[0]
        if rev is None:
            msg = f"{prog} download {short(repo.text)} has no --revision, so it fetches the 'main' branch"
        elif rev.expansion or is_pin(rev.text):
            return
        else:
            msg = (f"{prog} download {short(repo.text)} uses --revision {short(rev.text, 40)}, "
                   f"{describe_ref(rev.text)}, not a commit sha")
        ctx.report(self, _shell.word_span(cmd, ctx, repo if rev is None else rev), msg)

    def _git_clone(self, cmd, args, ctx) -> None:
        url = next((w for w in args if HUB_REPO_URL.match(w.text)), None)
        if url is None or "/datasets/" in url.text:
            return  # a dataset clone is data, not a model
        if _SHA_CHECKOUT.search(cmd.text) or _SHA_CHECKOUT.search(ctx.view.text):
            return
        ctx.report(self, _shell.word_span(cmd, ctx, url),
                   f"git clone of {short(url.text, 80)} checks out the default branch and is never pinned to a commit")


_CLI_VALUE_OPTS = frozenset({"--repo-type", "--local-dir", "--cache-dir", "--include", "--exclude", "--token",
                             "--max-workers", "--local-dir-use-symlinks"})


def _ref_text(ref: str) -> str:
    if ref in ("main", "master"):
        return f"branch '{ref}'"
    return f"'{short(ref, 40)}', {describe_ref(ref)}, not a commit sha"
