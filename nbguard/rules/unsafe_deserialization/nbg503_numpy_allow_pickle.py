from __future__ import annotations

from ...analysis import truthy
from ...model import Severity
from .._paths import canon, provenance
from .._calls import anchor, last_names
from ..base import Rule

_LOADS = ("numpy.load", "numpy.lib.npyio.load")


class NumpyAllowPickle(Rule):
    """## What it does
    Finds `numpy.load(..., allow_pickle=<true>)`, including the positional form
    `np.load(f, None, True)` and truthy values such as `allow_pickle=1` or a constant set
    in an earlier cell. Loading a file the notebook saved itself (`np.save`) is reported
    at low severity. Not reported: in a script the notebook writes with
    `%%writefile x.py` (a training, evaluation or serving entry point that a job runs,
    not the kernel), a local file the script does not download itself, and a file
    `np.save`d earlier in the same cell by code that always runs before the load.

    ## Why is this bad?
    `.npy`/`.npz` files may contain object arrays, which numpy stores as pickles.
    With `allow_pickle=True`, `np.load` unpickles them, and a crafted file runs code in
    the kernel. The default has been `False` since numpy 1.16.3 for that reason.

    ## Example
    ```python
    data = np.load("features.npy", allow_pickle=True)
    ```

    Use instead:
    ```python
    data = np.load("features.npy")                # numeric arrays need no pickle
    ```
    Store object data as JSON or Parquet instead of object arrays.

    ## References
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    - [numpy.load](https://numpy.org/doc/stable/reference/generated/numpy.load.html)
    - Trail of Bits semgrep rule `pickles-in-numpy` (it skips literal paths)
    """

    code = "NBG503"
    uses_path_facts = True  # the engine records what earlier code wrote (see _paths.py)
    call_names = last_names(_LOADS)  # canon() keeps the last name
    name = "numpy-allow-pickle"
    category = "unsafe-deserialization"
    severity = Severity.HIGH
    cwe = 502
    peers = ("semgrep:trailofbits.python.pickles-in-numpy.pickles-in-numpy",)
    fix = "drop allow_pickle=True and store plain arrays (or JSON/Parquet for objects)"

    def check_call(self, call, ctx) -> None:
        if canon(call.qualname) in _LOADS:
            expr = call.arg("allow_pickle", 2)
            if expr is not None and truthy(ctx.scope.value(expr)):
                prov = provenance(ctx, call.arg("file", 0))
                if prov.own:
                    return  # the notebook's or its job's own output (see _paths.Provenance.own)
                sev = {"self": Severity.LOW, "remote": Severity.CRITICAL}.get(prov.kind, Severity.HIGH)
                tail = "; lower risk, but a swapped file still runs code" if prov.kind == "self" else ""
                ctx.report_node(self, anchor(call, expr), f"np.load(allow_pickle=True) unpickles object arrays{prov.text}{tail}",
                                severity=sev)
