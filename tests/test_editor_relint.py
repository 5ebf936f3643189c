"""The editor path (lint_notebook on a dict, as the JupyterLab extension calls it) reuses the
unchanged cells' work, and its result is always exactly what a full run gives."""

import copy
import json
import random

import pytest
from conftest import corpus_notebooks
from helpers import code, md, nb, stream

import nbguard.incremental as inc
from nbguard.api import lint_notebook
from nbguard.config import Config
from nbguard.engine import RuleSet, lint
from nbguard.notebook import notebook_from_dict
from nbguard.rules.base import Rule

HF = "hf_" + "PlMoKnIjBuHvYgCtFxRdZeSwAqPlMoKnIj"
CONFIG = Config()
RULES = RuleSet.for_config(CONFIG)


def full(d: dict, path: str) -> list[dict]:
    return [f.to_dict() for f in lint(notebook_from_dict(copy.deepcopy(d), path), CONFIG, RULES)]


def editor(d: dict, path: str) -> list[dict]:
    report = lint_notebook(copy.deepcopy(d), CONFIG, path=path)
    assert not report.errors
    return [f.to_dict() for f in report.findings]


def _src(c: dict) -> str:
    s = c.get("source", "")
    return "".join(s) if isinstance(s, list) else s


EDITS = [
    lambda c, k: _src(c) + f'\npasted_{k} = "{HF}"',  # a new binding, as pasting a key does
    lambda c, k: _src(c) + "  # edited",
    lambda c, k: "import pickle, torch\n" + _src(c),  # imports change: everything after may resolve anew
    lambda c, k: _src(c) + '\ntorch.save(model, "w.pt")\nos.environ["HF_HUB_OFFLINE"] = "1"',  # facts
    lambda c, k: _src(c) + '\nm = torch.load("w.pt")\nAutoModel.from_pretrained(MODEL_ID)',
    lambda c, k: "MODEL_ID = 'org/model'\nURL = 'http://data.example.org/x.csv'\n" + _src(c),  # read later
    lambda c, k: "%env TRUST_REMOTE_CODE=1\n!git clone https://github.com/x/y\n" + _src(c),
    lambda c, k: _src(c) + "\nclass CFG:\n    name = 'gpt2'\nCFG.name = 'org/m'\nAutoModel.from_pretrained(CFG.name)",
]


def mutate(d: dict, rng: random.Random, k: int) -> None:
    cells = d["cells"]
    code_cells = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    what = rng.randrange(len(EDITS) + 3)
    if what < len(EDITS) and code_cells:
        i = rng.choice(code_cells)
        cells[i] = dict(cells[i], source=EDITS[what](cells[i], k))
    elif what == len(EDITS):
        cells.insert(rng.randrange(len(cells) + 1), code(f"y{k} = requests.get(URL, verify=False)"))
    elif what == len(EDITS) + 1 and len(cells) > 1:
        del cells[rng.randrange(len(cells))]
    else:
        cells.append(md(f"token {HF}") if k % 2 else code("print(1)", outputs=[stream(f"key={HF}\n")]))


def corpus_sample(n: int) -> list[str]:
    paths = corpus_notebooks()
    return random.Random(6).sample(paths, min(n, len(paths)))


@pytest.mark.parametrize("seed", range(3))
def test_random_edits_give_exactly_the_full_result(seed):
    inc.forget()
    before = dict(inc.stats)
    rng = random.Random(seed)
    checked = 0
    for path in corpus_sample(30)[seed * 10:(seed + 1) * 10]:
        try:
            with open(path, encoding="utf-8") as fh:
                d = json.load(fh)
        except ValueError:
            continue
        if not isinstance(d, dict) or not isinstance(d.get("cells"), list):
            continue
        for k in range(7):
            if k:
                mutate(d, rng, k)
            assert editor(d, path) == full(d, path), (path, k)
            checked += 1
    assert checked >= 50
    assert inc.stats["unsupported"] == before["unsupported"]
    assert inc.stats["cells_reused"] - before["cells_reused"] > inc.stats["cells_linted"] - before["cells_linted"]


def test_a_secret_bound_in_one_cell_and_used_later_follows_edits():
    inc.forget()
    d = nb("import requests", f'API_KEY = "{HF}"', "x = 1",
           "requests.post('https://api.example.com', headers={'Authorization': API_KEY})")
    path = "nb.ipynb"
    assert editor(d, path) == full(d, path)
    d["cells"][1] = code('API_KEY = os.environ["API_KEY"]')  # the source of the value changes
    assert editor(d, path) == full(d, path)
    d["cells"][1] = code(f'API_KEY = "{HF}"')
    assert editor(d, path) == full(d, path)
    before = dict(inc.stats)
    d["cells"][2] = code("x = 2")  # unrelated: only that cell is linted again
    assert editor(d, path) == full(d, path)
    assert inc.stats["cells_linted"] - before["cells_linted"] == 1


@pytest.mark.parametrize("before, after, later", [
    ("URL = 'http://files.grouplens.org/datasets/movielens/ml-100k.zip'",
     "URL = 'https://files.grouplens.org/datasets/movielens/ml-100k.zip'", "df = pd.read_csv(URL)"),
    ("URL = 'http://files.grouplens.org/datasets/movielens/ml-100k.zip'",
     "URL = 'https://files.grouplens.org/datasets/movielens/ml-100k.zip'", "!wget {URL}"),
    ("MODEL = 'bert-base-uncased'", "MODEL = './local-dir'", "m = AutoModel.from_pretrained(MODEL)"),
    ("import pickle as p", "import json as p", "obj = p.load(open('m.bin', 'rb'))"),
    ("VERIFY = False", "VERIFY = True", "requests.get('https://x.org', verify=VERIFY)"),
])
def test_a_value_changed_upstream_changes_the_later_finding(before, after, later):
    inc.forget()
    d = nb("import pandas as pd\nimport requests\nfrom transformers import AutoModel", before, "x = 1", later)
    path = "upstream.ipynb"
    first = editor(d, path)
    assert first == full(d, path)
    d["cells"][1] = code(after)
    second = editor(d, path)
    assert second == full(d, path)
    assert {f["cell"] for f in first} != {f["cell"] for f in second} or first != second


def test_a_rule_that_reads_the_whole_notebook_sees_a_later_edit():
    inc.forget()
    d = nb("import urllib.request", "r = urllib.request.urlopen('https://api.example.com/items')", "x = 1")
    path = "timeout.ipynb"
    first = editor(d, path)
    assert first == full(d, path) and [f["rule"] for f in first] == ["NBG405"]
    d["cells"][2] = code("import socket\nsocket.setdefaulttimeout(10)")  # a later cell changes an earlier finding
    assert editor(d, path) == full(d, path) == []


class _OpaqueFacts(Rule):
    """Keeps something the recorder cannot compare in ctx.facts."""

    code = "NBG799"
    name = "opaque-facts"
    category = "data-exposure"
    texts = frozenset({"code"})

    def check_text(self, text, ctx) -> None:
        ctx.facts.setdefault("opaque", object())


def test_state_it_cannot_compare_means_full_runs_not_wrong_ones():
    inc.forget()
    rules = RuleSet([type(r) for r in RULES.rules] + [_OpaqueFacts], CONFIG)
    d = nb("import pickle", "pickle.load(open('m.pkl', 'rb'))")
    before = inc.stats["unsupported"]
    for k in range(3):
        d["cells"].append(code(f"z{k} = pickle.loads(b)"))
        got = inc.lint(notebook_from_dict(copy.deepcopy(d), "o.ipynb"), CONFIG, rules)
        want = lint(notebook_from_dict(copy.deepcopy(d), "o.ipynb"), CONFIG, rules)
        assert [f.to_dict() for f in got] == [f.to_dict() for f in want]
    assert inc.stats["unsupported"] == before + 1  # tried once, then plain runs for this notebook
