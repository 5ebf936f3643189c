from __future__ import annotations

from ...model import Severity
from .._calls import last_names
from .._paths import canon, provenance
from ..base import Rule

# qualname -> (label, position of the data/file argument, its keyword)
_LOADERS: dict[str, tuple[int, str]] = {}
for _mod in ("pickle", "_pickle", "cPickle", "pickle5", "dill", "cloudpickle"):
    _LOADERS[f"{_mod}.load"] = (0, "file")
    _LOADERS[f"{_mod}.loads"] = (0, "data")
    _LOADERS[f"{_mod}.Unpickler"] = (0, "file")
_LOADERS.update({
    "dill.load_session": (0, "filename"), "dill.load_module": (0, "filename"),
    "joblib.load": (0, "filename"), "sklearn.externals.joblib.load": (0, "filename"),
    "shelve.open": (0, "filename"), "shelve.DbfilenameShelf": (0, "filename"),
    "jsonpickle.decode": (0, "string"), "jsonpickle.unpickler.decode": (0, "string"),
    "pandas.read_pickle": (0, "filepath_or_buffer"), "marshal.load": (0, "file"), "marshal.loads": (0, "bytes"),
    "skops.io.load": (0, "file"), "skops.io.loads": (0, "data"),
    # model loaders that are pickle underneath: MLflow flavours stored with (cloud)pickle,
    # fastai learners (torch.load of a pickled Learner)
    "mlflow.sklearn.load_model": (0, "model_uri"), "mlflow.pytorch.load_model": (0, "model_uri"),
    "mlflow.statsmodels.load_model": (0, "model_uri"), "mlflow.pmdarima.load_model": (0, "model_uri"),
    "fastai.learner.load_learner": (0, "fname"), "fastai.basic_train.load_learner": (0, "path"),
    "fastai.vision.all.load_learner": (0, "fname"), "fastai.tabular.all.load_learner": (0, "fname"),
    "fastai.text.all.load_learner": (0, "fname"),
})


def _canon(q: str) -> str:
    q = canon(q)
    return "pandas." + q[3:] if q.startswith("pd.") else q


class PickleDeserialization(Rule):
    """## What it does
    Finds calls that unpickle data: `pickle.load` / `loads` / `Unpickler` (and `_pickle`,
    `cPickle`, `pickle5`), `dill`, `cloudpickle`, `joblib.load`, `shelve.open`,
    `jsonpickle.decode`, `pandas.read_pickle`, `marshal.load(s)`,
    `skops.io.load(..., trusted=True)`, and model loaders that unpickle underneath: MLflow's
    `sklearn` / `pytorch` / `statsmodels` / `pmdarima` flavours' `load_model` and fastai's
    `load_learner`.

    Severity follows where the bytes come from: **critical** for a remote URL or data
    fetched over the network (`pd.read_pickle("https://...")`,
    `pickle.loads(requests.get(u).content)`), **high** otherwise, and **low** when the
    notebook itself wrote the same path earlier (`pickle.dump(obj, open("m.pkl", "wb"))`,
    `joblib.dump(model, "m.joblib")`). A literal path is not a reason to stay silent: in
    a notebook it is usually a downloaded artefact.

    Not reported: in a script the notebook writes with `%%writefile x.py` (a training,
    evaluation or serving entry point that a job runs, not the kernel), loads of local
    files the script does not download itself. Such a script reads what its job hands it
    (SageMaker's `/opt/ml/`, a `model_fn(model_dir)`, Vertex's `load(artifacts_uri)`, an
    Azure ML component's input), in practice its own pipeline's model; what that is is
    decided in the pipeline's definition, not the script. Bytes the script fetches over the network are
    reported as in a cell.

    Not reported either, because what is read is what the notebook itself just made:
    a file written earlier in the same cell by code that always runs before the load
    (not behind an `if`, a loop or a `try`), and a model of the notebook's own MLflow run
    (`f"runs:/{run.info.run_id}/model"` with `run` from `mlflow.start_run()`, or
    `info.model_uri` with `info = mlflow.sklearn.log_model(...)`). A write in an earlier
    cell stays low: cells run out of order, and the file may be swapped in between.

    ## Why is this bad?
    Unpickling runs code: a pickle names callables and their arguments, and
    `pickle.load` calls them (`os.system`, `exec`...). Anyone who can change the file (a
    shared drive, a dataset download, a model from a hub, a cache) runs code in the
    kernel, with the notebook's credentials. `marshal` and `shelve` have the same
    problem, and `joblib`/`dill`/`cloudpickle` are pickle underneath.

    ## Example
    ```python
    import pickle
    with open("model.pkl", "rb") as f:
        model = pickle.load(f)
    df = pd.read_pickle("https://example.com/data.pkl")
    ```

    Use instead:
    ```python
    df = pd.read_parquet("data.parquet")          # data: Parquet, CSV, JSON
    model = skops.io.load("model.skops", trusted=["sklearn.linear_model.LogisticRegression"])
    ```
    For weights use safetensors; if a pickle is unavoidable, verify its sha256 before
    loading it.

    ## References
    - [CWE-502: Deserialization of Untrusted Data](https://cwe.mitre.org/data/definitions/502.html)
    - [pickle: security warning](https://docs.python.org/3/library/pickle.html)
    - Bandit B301/B302, ruff S301/S302 (they skip cloudpickle and joblib); semgrep skips literal paths
    """

    code = "NBG501"
    uses_path_facts = True  # the engine records what earlier code wrote (see _paths.py)
    # _canon and the star-import lookup keep the callee's last name
    call_names = last_names(_LOADERS)
    name = "pickle-deserialization"
    category = "unsafe-deserialization"
    severity = Severity.HIGH
    cwe = 502
    peers = ("bandit:B301", "bandit:B302", "ruff:S301", "ruff:S302",
             "semgrep:python.lang.security.deserialization.pickle.avoid-pickle")
    fix = "use a data format (Parquet, JSON, safetensors, skops with an audited trusted list); never unpickle untrusted files"

    def check_call(self, call, ctx) -> None:
        q = _canon(call.qualname)
        spec = _LOADERS.get(q)
        if spec is None and q and "." not in q and ctx.scope.star_imports:  # from fastai.vision.all import *
            for module in ctx.scope.star_imports:
                if f"{module}.{q}" in _LOADERS:
                    q = f"{module}.{q}"
                    spec = _LOADERS[q]
                    break
        if spec is not None:
            self._check(q, spec, call, ctx)

    def _check(self, q: str, spec: tuple[int, str], call, ctx) -> None:
        pos, kw = spec
        if q.startswith("skops.io."):
            trusted = call.value("trusted")
            if trusted is None or trusted.value is not True:
                return  # skops checks types unless told to trust everything
        if q.startswith("shelve."):
            flag = call.value("flag", 1)
            if flag is not None and flag.value == "n":
                return  # always a new, empty database
        prov = provenance(ctx, call.arg(kw, pos))
        if prov.own:
            return  # the notebook's or its job's own output (see _paths.Provenance.own)
        label = f"{q}()"
        what = "unpickles data" if not q.startswith("marshal") else "unmarshals code objects"
        if prov.kind == "remote":
            ctx.report_node(self, call.node, f"{label} {what}{prov.text}: whoever controls it can run code in "
                                             f"this kernel", severity=Severity.CRITICAL)
        elif prov.kind == "self":
            ctx.report_node(self, call.node, f"{label} {what}{prov.text}; lower risk, but a swapped file still "
                                             f"runs code on load", severity=Severity.LOW)
        elif q.startswith("skops."):
            ctx.report_node(self, call.node, f"{label} with trusted=True loads any type the file names, like pickle"
                                             f"{prov.text}")
        else:
            ctx.report_node(self, call.node, f"{label} {what}{prov.text}, which can run arbitrary code from the file")
