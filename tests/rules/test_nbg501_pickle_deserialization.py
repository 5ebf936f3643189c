import pytest
from helpers import lint, nb

from nbguard.model import Severity


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG501").findings]


H, L, C = Severity.HIGH, Severity.LOW, Severity.CRITICAL


@pytest.mark.parametrize("source, severity", [
    ("import pickle\nwith open('model.pkl', 'rb') as f:\n    m = pickle.load(f)", H),
    ("import pickle\nm = pickle.loads(blob)", H),
    ("import pickle\nm = pickle.Unpickler(f).load()", H),
    ("import _pickle as cPickle\nm = cPickle.load(open('x.pkl', 'rb'))", H),
    ("from pickle import load as pl\nm = pl(open('x.pkl', 'rb'))", H),
    ("import dill\nm = dill.load(open('x.pkl', 'rb'))", H),
    ("import cloudpickle\nf = cloudpickle.loads(data)", H),
    ("import joblib\nclf = joblib.load('model.joblib')", H),
    ("from sklearn.externals import joblib\nclf = joblib.load('model.joblib')", H),
    ("import shelve\ndb = shelve.open('cache')", H),
    ("import jsonpickle\nobj = jsonpickle.decode(text)", H),
    ("import pandas as pd\ndf = pd.read_pickle('data.pkl')", H),
    ("import marshal\ncode = marshal.loads(raw)", H),
    ("import skops.io as sio\nm = sio.load('m.skops', trusted=True)", H),
    ("import pandas as pd\ndf = pd.read_pickle('https://example.com/data.pkl')", C),
    ("import pickle, requests\nm = pickle.loads(requests.get(url).content)", C),
    ("import pickle\nfrom urllib.request import urlopen\nm = pickle.load(urlopen(url))", C),
])
def test_unpickling(source, severity):
    assert found(source) == [("NBG501", 0, source.count("\n") + 1, severity)]


def test_url_constant_from_earlier_cell_is_remote():
    (f,) = lint(nb("URL = 'http://example.com/d.pkl'", "import pandas as pd\ndf = pd.read_pickle(URL)"),
                "NBG501").findings
    assert f.severity == Severity.CRITICAL and "remote" in f.message


@pytest.mark.parametrize("writer", [
    "import pickle\npickle.dump(obj, open('state.pkl', 'wb'))",
    "import pickle\nwith open('state.pkl', 'wb') as fh:\n    pickle.dump(obj, fh)",
    "import joblib\njoblib.dump(obj, 'state.pkl')",
    "df.to_pickle('state.pkl')",
])
def test_file_the_notebook_wrote_is_low(writer):
    report = lint(nb(writer, "import pickle\nwith open('state.pkl', 'rb') as f:\n    obj = pickle.load(f)"),
                  "NBG501")
    (f,) = report.findings
    assert (f.cell, f.line, f.severity) == (1, 3, Severity.LOW)
    assert "written by this notebook" in f.message


def test_writing_after_loading_is_no_evidence():
    assert found("import joblib\nm = joblib.load('m.joblib')", "joblib.dump(m, 'm.joblib')") == \
        [("NBG501", 0, 2, H)]


def test_downloaded_file_is_not_lowered():
    assert found("!wget -O m.pkl https://example.com/m.pkl", "import pickle\nm = pickle.load(open('m.pkl', 'rb'))") \
        == [("NBG501", 1, 2, H)]


@pytest.mark.parametrize("source", [
    "import pickle\npickle.dump(obj, open('x.pkl', 'wb'))",
    "import pickle\ns = pickle.dumps(obj)",
    "import json\nd = json.load(open('x.json'))",
    "import joblib\njoblib.dump(model, 'm.joblib')",
    "import shelve\ndb = shelve.open('cache', flag='n')",
    "import skops.io as sio\nm = sio.load('m.skops', trusted=['sklearn.linear_model.LogisticRegression'])",
    "import pandas as pd\ndf = pd.read_parquet('data.parquet')",
    "import torch\nm = torch.load('m.pt', weights_only=True)",
    "s = 'pickle.load(f)'",
])
def test_not_unpickling(source):
    assert found(source) == []


@pytest.mark.parametrize("source", [
    "import mlflow\nclf = mlflow.sklearn.load_model('models:/churn/Production')",
    "import mlflow.pytorch\nnet = mlflow.pytorch.load_model(f'runs:/{run_id}/model')",
    "from fastai.learner import load_learner\nlearn = load_learner('export.pkl')",
    "from fastai.vision.all import *\nlearn = load_learner('export.pkl')",  # star import, as fastai tutorials do
])
def test_model_loaders_that_unpickle(source):
    assert [(r, c, ln) for r, c, ln, _ in found(source)] == [("NBG501", 0, 2)]


@pytest.mark.parametrize("source", [
    "import mlflow\nbooster = mlflow.xgboost.load_model('models:/churn/Production')",
    "import mlflow\nm = mlflow.pyfunc.load_model(uri)",  # the flavour decides; not assumed to be pickle
    "from fastai.vision.all import *\nlearn = vision_learner(dls, resnet34)",
    "from mymodule import *\nlearn = load_learner('export.pkl')",
])
def test_model_loaders_that_do_not_unpickle(source):
    assert found(source) == []


def test_gated_rule_still_sees_facts_and_aliases():
    # pickle.dump is not a name NBG501 checks; the engine still records the file it wrote
    assert found("import pickle\npickle.dump(obj, open('m.pkl', 'wb'))", "from pickle import load as pl\n"
                 "x = pl(open('m.pkl', 'rb'))") == [("NBG501", 1, 2, Severity.LOW)]
    # a call is not its own evidence: loading and writing the same name in one call
    assert found("import joblib\nm = joblib.load(joblib.dump(m, 'm.joblib'))")[0][3] != Severity.LOW
    assert found("from fastai.vision.all import *\nlearn = load_learner('export.pkl')") == \
        [("NBG501", 0, 2, Severity.HIGH)]


# A job script the notebook writes (%%writefile): its local inputs are the job's own artefacts.
_EVALUATE = ("%%writefile code/evaluate.py\nimport pickle, tarfile\n"
             "with tarfile.open('/opt/ml/processing/model/model.tar.gz') as tar:\n    tar.extractall(path='.')\n"
             "model = pickle.load(open('xgboost-model', 'rb'))\n")


@pytest.mark.parametrize("script", [
    _EVALUATE,
    "%%writefile script.py\nimport joblib, os\ndef model_fn(model_dir):\n"
    "    return joblib.load(os.path.join(model_dir, 'model.joblib'))\n",
    "%%writefile src/register.py\nimport mlflow\ndef main(args):\n    m = mlflow.sklearn.load_model(args.model_input_path)\n",
])
def test_a_job_script_loading_its_own_inputs_is_not_reported(script):
    assert found(script) == []


def test_the_same_load_in_the_kernel_and_a_job_script_fetching_bytes_are_reported():
    assert found(_EVALUATE.split("\n", 1)[1]) == [("NBG501", 0, 4, H)]  # the body run as a cell
    fetching = "%%writefile job.py\nimport pickle, requests\nm = pickle.loads(requests.get(URL).content)\n"
    assert found(fetching) == [("NBG501", 0, 3, C)]
    assert found("%%writefile notes.txt\npickle.load(open('m.pkl', 'rb'))") == []  # not Python



def test_a_written_module_the_kernel_imports_is_still_a_job_script():
    # Vertex AI: the predictor class is imported to be handed to LocalModel.build_cpr_model;
    # its load() runs in the serving container, on the artefacts the notebook uploaded
    assert found(_EVALUATE, "from code.evaluate import model") == []

@pytest.mark.parametrize("writer", [
    "import pickle\npickle.dump(obj, open('state.pkl', 'wb'))",
    "import pickle\nwith open('state.pkl', 'wb') as fh:\n    pickle.dump(obj, fh)",
    "import joblib\njoblib.dump(obj, 'state.pkl')",
    "df.to_pickle('state.pkl')",
])
def test_a_file_written_just_above_in_the_same_cell_is_not_reported(writer):
    load = "\nimport pickle\nwith open('state.pkl', 'rb') as f:\n    obj = pickle.load(f)"
    assert found(writer + load) == []
    # the same write behind a branch, or after the load, is no proof of what the load reads
    branch = "if rebuild:\n    " + writer.replace("\n", "\n    ")
    assert [(f[0], f[3]) for f in found(branch + load)] == [("NBG501", L)]
    assert [(f[0], f[3]) for f in found(load.lstrip() + "\n" + writer)] == [("NBG501", H)]


@pytest.mark.parametrize("uri_cell", [
    "m = mlflow.sklearn.load_model(f'runs:/{run.info.run_id}/pipeline')",
    "run_id = run.info.run_id\nm = mlflow.pyfunc.load_model(f'runs:/{run_id}/pipeline')",
    "m = mlflow.sklearn.load_model('runs:/{}/pipeline'.format(run.info.run_id))",
    "m = mlflow.sklearn.load_model(info.model_uri)",
])
def test_a_model_from_the_notebooks_own_mlflow_run_is_not_reported(uri_cell):
    train = ("import mlflow\nwith mlflow.start_run() as run:\n"
             "    info = mlflow.sklearn.log_model(pipe, artifact_path='pipeline')")
    assert found(train, uri_cell) == []


@pytest.mark.parametrize("uri_cell", [
    "m = mlflow.sklearn.load_model(f'runs:/{RUN_ID}/pipeline')",  # someone else's run
    "m = mlflow.sklearn.load_model('models:/fraud/3')",  # the registry: whoever registered it
    "m = mlflow.sklearn.load_model(uri)",
])
def test_other_mlflow_models_are_reported(uri_cell):
    train = ("import mlflow\nwith mlflow.start_run() as run:\n"
             "    mlflow.sklearn.log_model(pipe, artifact_path='pipeline')")
    assert [f[0] for f in found(train, uri_cell)] == ["NBG501"]
