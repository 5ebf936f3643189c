from __future__ import annotations

import re
from urllib.parse import unquote

from ...model import Severity
from .._filters import HEX40
from .._hub import describe_ref, is_pin, short
from .._paths import shell_words, split_commands
from ..base import Rule

# huggingface.co/<org>/<repo>/(resolve|raw|blob)/<ref>/<file>, also datasets/ and spaces/
HUB_FILE_URL = re.compile(
    r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<kind>datasets/|spaces/)?"
    r"(?P<repo>[\w.\-]+(?:/[\w.\-]+)?)/(?:resolve|raw|blob)/(?P<ref>[^/\s\"'?#]+)/(?P<file>[^\s\"'?#]*)")
HUB_REPO_URL = re.compile(r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?:datasets/|spaces/)?[\w.\-]+(?:/[\w.\-]+)?")
# Files whose download matters for this rule even from a dataset or Space repo: weights and code.
_MODEL_FILES = re.compile(
    r"\.(?:bin|pt|pth|ckpt|safetensors|onnx|gguf|ggml|h5|keras|pb|tflite|pkl|pickle|joblib|npz|msgpack|py|"
    r"zip|tar|tgz|gz|model|mlmodel)$", re.I)
_MEDIA_FILES = re.compile(r"\.(?:png|jpe?g|gif|webp|bmp|svg|mp[34]|wav|flac|ogg|avi|mov|webm|md|html?|pdf|txt|csv|"
                          r"tsv|parquet|jsonl|arrow)$", re.I)
# Python callees whose URL argument is *not* a download (displaying or logging a link).
_NOT_DOWNLOADS = re.compile(r"(?:^|\.)(?:print|display|Markdown|HTML|IFrame|Image|Video|Audio|info|debug|warning|"
                            r"error|log|write|format|append|open_new_tab|open_new|webbrowser\.open)$")
_DOWNLOADERS = frozenset({"wget", "curl", "aria2c", "axel", "http", "https", "gdown"})
_SHA_CHECKOUT = re.compile(r"\bgit\b[^\n]*?\b(?:checkout|reset\s+--hard|switch\s+--detach)\s+[0-9a-f]{40}\b")


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
    if _MEDIA_FILES.search(file):
        return None
    if m.group("kind") and not _MODEL_FILES.search(file):
        return None  # a data file from a dataset or Space: not a model download
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
        if _NOT_DOWNLOADS.search(q or call.attr):
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
        rev_expr = call.arg("revision")
        if rev_expr is not None:
            rev = ctx.scope.value(rev_expr)
            if rev is None or rev.partial or not isinstance(rev.value, str) or is_pin(rev.value):
                return
            ctx.report_node(self, rev_expr, f"hf_hub_url() builds a download URL for revision '{short(rev.value, 40)}', "
                                            f"{describe_ref(rev.value)}, not a commit sha")
            return
        if call.has_opaque_kwargs():
            return
        ctx.report_node(self, call.node, "hf_hub_url() without revision= builds a .../resolve/main/... URL")

    # -- shell ---------------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        text = cmd.text
        low = text.lower()
        if "huggingface" not in low and "hf" not in low:
            return
        for words in split_commands(text):
            if words and words[0] == "sudo":
                words = words[1:]
            if not words:
                continue
            prog = words[0].rsplit("/", 1)[-1]
            if prog in ("huggingface-cli", "hf") and len(words) > 1 and words[1] == "download":
                self._cli_download(cmd, words, ctx)
            elif prog == "git" and "clone" in words:
                self._git_clone(cmd, words, ctx)
            elif prog in _DOWNLOADERS or prog in ("python", "python3"):
                for w in words[1:]:
                    found = unpinned_hub_url(w)
                    if found:
                        ref, file = found
                        start = text.find(w)
                        ctx.report(self, ctx.shell_span(cmd, max(0, start), max(0, start) + len(w)),
                                   f"{prog} downloads '{short(file.rsplit('/', 1)[-1], 50)}' from the Hugging Face "
                                   f"Hub at {_ref_text(ref)}")
                        break

    def _cli_download(self, cmd, words, ctx) -> None:
        positional = []
        rev = None
        i = 2
        while i < len(words):
            w = words[i]
            if w == "--revision" and i + 1 < len(words):
                rev = words[i + 1]
                i += 2
                continue
            if w.startswith("--revision="):
                rev = w.split("=", 1)[1]
            elif w.startswith("-"):
                if "=" not in w and w in ("--repo-type", "--local-dir", "--cache-dir", "--include", "--exclude",
                                          "--token", "--max-workers", "--local-dir-use-symlinks"):
                    i += 1
            else:
                positional.append(w)
            i += 1
        if not positional or "$" in positional[0] or "{" in positional[0]:
            return
        repo = positional[0]
        prog = words[0].rsplit("/", 1)[-1]
        if rev is None:
            msg = f"{prog} download {short(repo)} has no --revision, so it fetches the 'main' branch"
        elif "$" in rev or "{" in rev or is_pin(rev):
            return
        else:
            msg = f"{prog} download {short(repo)} uses --revision {short(rev, 40)}, {describe_ref(rev)}, not a commit sha"
        start = cmd.text.find(repo)
        ctx.report(self, ctx.shell_span(cmd, max(0, start), max(0, start) + len(repo)), msg)

    def _git_clone(self, cmd, words, ctx) -> None:
        url = next((w for w in words[words.index("clone") + 1:] if HUB_REPO_URL.match(w)), None)
        if url is None:
            return
        rest_of_cell = ctx.view.text
        if _SHA_CHECKOUT.search(cmd.text) or _SHA_CHECKOUT.search(rest_of_cell):
            return
        start = cmd.text.find(url)
        ctx.report(self, ctx.shell_span(cmd, max(0, start), max(0, start) + len(url)),
                   f"git clone of {short(url, 80)} checks out the default branch and is never pinned to a commit")


def _ref_text(ref: str) -> str:
    if ref in ("main", "master"):
        return f"branch '{ref}'"
    return f"'{short(ref, 40)}', {describe_ref(ref)}, not a commit sha"
