from __future__ import annotations

from ...analysis import truthy
from ...model import Severity
from .._calls import anchor, last_names
from ..base import Rule

_KERAS_PREFIXES = ("keras.", "tensorflow.keras.", "tf.keras.", "tf_keras.", "tensorflow.python.keras.")
_LOAD_MODEL = ("models.load_model", "saving.load_model")
_UNSAFE_SWITCH = "enable_unsafe_deserialization"
_CUSTOM_OPS = "register_custom_ops_library"
_NATIVE_LIBS = {
    "tensorflow.load_op_library": "tf.load_op_library", "tf.load_op_library": "tf.load_op_library",
    "tensorflow.load_library": "tf.load_library", "tf.load_library": "tf.load_library",
    "torch.classes.load_library": "torch.classes.load_library", "torch.ops.load_library": "torch.ops.load_library",
    "numpy.ctypeslib.load_library": "numpy.ctypeslib.load_library", "np.ctypeslib.load_library":
        "numpy.ctypeslib.load_library",
}


class KerasUnsafeLoad(Rule):
    """## What it does
    Finds model loading that runs code on purpose. **High**:
    `keras.models.load_model(..., safe_mode=False)` (also `keras.saving.load_model` and
    `tf.keras...`) and `keras.config.enable_unsafe_deserialization()`, which turns
    safe mode off for every later load. **Medium**: loading native libraries into the
    process: `tf.load_op_library`, `tf.load_library`, `torch.classes.load_library`,
    `torch.ops.load_library`, `numpy.ctypeslib.load_library` and onnxruntime's
    `SessionOptions.register_custom_ops_library`.

    ## Why is this bad?
    A Keras model can carry `Lambda` layers whose Python bytecode is stored in the
    file; `safe_mode=True` (the default for `.keras` files) refuses to rebuild them.
    Turning it off lets a crafted model run code when it is loaded. A native library
    (`.so`, `.dll`) runs its initialisers as soon as it is loaded, with the kernel's
    privileges.

    ## Example
    ```python
    model = keras.models.load_model("model.keras", safe_mode=False)
    ```

    Use instead:
    ```python
    model = keras.models.load_model("model.keras")   # safe_mode=True
    ```
    Rebuild custom layers from code you control (`custom_objects=`) instead of
    deserializing lambdas, and only load native libraries you built or verified.

    ## References
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    - [keras.saving.load_model: safe_mode](https://keras.io/api/models/model_saving_apis/model_saving_and_loading/)
    - Trail of Bits semgrep rules `pickles-in-keras`, `tensorflow-load-library`, `pytorch-classes-load-library`,
      `numpy-load-library`, `onnx-session-options`
    """

    code = "NBG505"
    name = "keras-unsafe-load"
    category = "unsafe-deserialization"
    severity = Severity.HIGH
    cwe = 502
    peers = ("semgrep:trailofbits.python.pickles-in-keras.pickles-in-keras",
             "semgrep:trailofbits.python.tensorflow-load-library.tensorflow-load-library")
    fix = "keep safe_mode=True (the default) and only load native libraries you built or verified"
    # check_call reports only: a Keras *models.load_model / *enable_unsafe_deserialization (no dot
    # before it: a suffix), a _NATIVE_LIBS callee, or register_custom_ops_library
    call_names = last_names(_LOAD_MODEL, _NATIVE_LIBS) | {_CUSTOM_OPS}
    call_suffixes = (_UNSAFE_SWITCH,)

    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if q.startswith(_KERAS_PREFIXES):
            if q.endswith(_LOAD_MODEL):
                # safe_mode is keyword-or-positional (4th) in Keras 3 only; tf.keras 2 has `options` there
                pos = 3 if q.startswith("keras.") else None
                expr = call.arg("safe_mode", pos)
                if expr is not None and truthy(ctx.scope.value(expr)) is False:
                    ctx.report_node(self, anchor(call, expr), f"{call.attr}(safe_mode=False) lets the model file run code "
                                                f"(Lambda layers) when it is loaded")
            elif q.endswith(_UNSAFE_SWITCH):
                ctx.report_node(self, call.node, "enable_unsafe_deserialization() turns Keras safe mode off for "
                                                 "every later load_model in this kernel")
            return
        label = _NATIVE_LIBS.get(q)
        if label is None and call.attr == _CUSTOM_OPS and q.startswith("onnxruntime."):
            label = "onnxruntime SessionOptions.register_custom_ops_library"
        if label is not None:
            ctx.report_node(self, call.node, f"{label}() loads a native library into the kernel process, where it "
                                             f"runs with full privileges", severity=Severity.MEDIUM)
