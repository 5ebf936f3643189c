from __future__ import annotations

import re

from ...analysis import truthy
from ...model import Severity
from .._hub import short
from .._calls import last_names
from ..base import Rule

_STATE_DICT = ("torch.hub.load_state_dict_from_url", "torch.utils.model_zoo.load_url", "torch.model_zoo.load_url")
_DOWNLOAD = ("torch.hub.download_url_to_file",)
_GET_FILE = ("keras.utils.get_file", "tensorflow.keras.utils.get_file", "tf.keras.utils.get_file",
             "keras.utils.data_utils.get_file", "tensorflow.keras.utils.data_utils.get_file", "tf_keras.utils.get_file")
# Model files (what get_file is about here: datasets are the unencrypted-data rules' business),
# judged on the file name only (the last path segment of fname or origin).
_MODEL_FILE = re.compile(r"\.(?:h5|hdf5|keras|pb|pt|pth|bin|ckpt|safetensors|onnx|tflite|pkl|joblib|npz|weights)$"
                         r"|(?:model|weights|ckpt|checkpoint).*\.(?:zip|tar|tgz|tar\.gz)$", re.I)


def _file_name(value: str) -> str:
    return value.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class WeightsWithoutIntegrityCheck(Rule):
    """## What it does
    Finds weight downloads whose helper can verify a hash but is not asked to:
    `torch.hub.load_state_dict_from_url` / `torch.utils.model_zoo.load_url` without
    `check_hash=True`, `torch.hub.download_url_to_file` without `hash_prefix=`, and
    `keras.utils.get_file` of a model file (`.h5`, `.keras`, `.pt`, weights...) without
    `file_hash=` (or the older `md5_hash=`).

    ## Why is this bad?
    These helpers cache the file and load it later, often through pickle. Without the
    hash check, a file swapped on the server, on a mirror or in the local cache is loaded
    as if it were the original. The check costs one argument: torch compares the
    sha256 prefix in the file name (`resnet50-0676ba61.pth`), Keras compares the hash
    you pass.

    ## Example
    ```python
    state = torch.hub.load_state_dict_from_url("https://example.com/resnet50-0676ba61.pth")
    path = keras.utils.get_file("model.h5", "https://example.com/model.h5")
    ```

    Use instead:
    ```python
    state = torch.hub.load_state_dict_from_url(url, check_hash=True)
    path = keras.utils.get_file("model.h5", url, file_hash="<sha256>")
    ```

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [torch.hub.load_state_dict_from_url](https://pytorch.org/docs/stable/hub.html#torch.hub.load_state_dict_from_url)
    - [keras.utils.get_file](https://keras.io/api/utils/python_utils/#getfile-function)
    """

    code = "NBG304"
    call_names = last_names(_STATE_DICT, _DOWNLOAD, _GET_FILE)
    name = "weights-without-integrity-check"
    category = "unpinned-model"
    severity = Severity.LOW
    cwe = 494
    peers = ()
    fix = "verify the download: check_hash=True / hash_prefix= (torch), file_hash= (keras)"

    def check_call(self, call, ctx) -> None:
        if call.matches(*_STATE_DICT):
            check = call.value("check_hash", 4)
            if call.arg("check_hash", 4) is not None and (check is None or truthy(check) is not False):
                return  # True, or a value we cannot read
            if call.has_opaque_kwargs():
                return
            ctx.report_node(self, call.node.func, f"{call.attr}() loads downloaded weights without check_hash=True"
                                                  f"{_url(call, ctx, 0, 'url')}")
        elif call.matches(*_DOWNLOAD):
            h = call.arg("hash_prefix", 2)
            if h is not None:
                v = ctx.scope.value(h)
                if v is None or v.value is not None:
                    return
            if call.has_opaque_kwargs():
                return
            ctx.report_node(self, call.node.func, f"download_url_to_file() saves a download without hash_prefix="
                                                  f"{_url(call, ctx, 0, 'url')}")
        elif call.matches(*_GET_FILE):
            for kw, pos in (("file_hash", 4), ("md5_hash", 3)):
                e = call.arg(kw, pos)
                if e is not None:
                    v = ctx.scope.value(e)
                    if v is None or v.value is not None:
                        return
            if call.has_opaque_kwargs():
                return
            names = [v.value for v in (call.value("fname", 0), call.value("origin", 1)) if v is not None
                     and isinstance(v.value, str)]
            if not any(_MODEL_FILE.search(_file_name(n)) for n in names):
                return
            ctx.report_node(self, call.node.func, f"get_file() downloads a model file without file_hash="
                                                  f"{_url(call, ctx, 1, 'origin')}")


def _url(call, ctx, pos: int, kw: str) -> str:
    v = call.value(kw, pos)
    if v is None or not isinstance(v.value, str) or "://" not in v.value:
        return ""
    tail = v.value.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return f" ('{short(tail, 60)}')"
