import pytest
from helpers import code, lint, nb, result, stream


def found(notebook):
    return [(f.cell, f.line, f.severity.label) for f in lint(notebook, "NBG105").findings]


@pytest.mark.parametrize("source, line", [
    ("import os\nprint(os.environ)", 2),
    ("import os\ndisplay(os.environ)", 2),
    ("import os\nfrom pprint import pprint\npprint(dict(os.environ))", 3),
    ("import os\nprint(f'env: {os.environ}')", 2),
    ("import os, json\nprint(json.dumps(dict(os.environ), indent=2))", 2),
    ("from os import environ\nprint(environ)", 2),
    ("import os\nos.environ", 2),
    ("import os\ndict(os.environ)", 2),
    ("import os\nx = 1\nos.environ.items()", 3),
    ("import os\nenv = dict(os.environ)\nprint(env)", 3),
    ("import os\nfor_later = os.environ.copy()\nfor_later", 3),
])
def test_environment_dump_python(source, line):
    assert found(nb(source)) == [(0, line, "medium")]


def test_loop_over_items():
    src = "import os\nfor k, v in os.environ.items():\n    print(k, v)"
    assert found(nb(src)) == [(0, 2, "medium")]
    src = "import os\nfor k in os.environ:\n    print(f'{k}={os.environ[k]}')"
    assert found(nb(src)) == [(0, 2, "medium")]


@pytest.mark.parametrize("source, line", [
    ("%env", 1),
    ("x = 1\n%env", 2),
    ("!env", 1),
    ("!printenv", 1),
    ("!set", 1),
    ("!export -p", 1),
    ("!env | sort", 1),
    ("!env | grep -i token", 1),
    ("%%bash\necho start\nenv\n", 3),
])
def test_environment_dump_shell(source, line):
    assert found(nb(source)) == [(0, line, "medium")]


def test_saved_output_with_a_secret_variable_is_high():
    notebook = nb(code("!env", outputs=[stream("PATH=/usr/bin\nHF_TOKEN=hf_notarealtoken\nHOME=/root\n")]),
                  code("import os\nos.environ", outputs=[result({"text/plain": "environ({'WANDB_API_KEY': 'x'})"})]))
    report = lint(notebook, "NBG105")
    assert found(notebook) == [(0, 1, "high"), (1, 2, "high")]
    assert "HF_TOKEN" in report.findings[0].message


@pytest.mark.parametrize("source", [
    'import os\nprint(os.environ["CUDA_VISIBLE_DEVICES"])',
    'import os\nprint(os.environ.get("HOME"))',
    "import os\nprint(sorted(os.environ))",
    "import os\nprint(list(os.environ.keys()))",
    "import os\nos.environ;",
    "import os\nos.environ\nx = 1",
    "import os\nenv = dict(os.environ)",
    "import os\nenv = os.environ.copy()\nenv['X'] = '1'\nsubprocess.run(cmd, env=env)",
    "%env CUDA_VISIBLE_DEVICES=0",
    "%env HF_HOME",
    "!env CUDA_VISIBLE_DEVICES=0 python train.py",
    "!printenv HOME",
    "!set -e",
    "!env | grep CUDA",
    "!env | wc -l",
    "!env > env.txt",
    "import os\nfor k in os.environ:\n    print(k)",
])
def test_not_environment_dump(source):
    assert found(nb(source)) == []


@pytest.mark.parametrize("source", [
    "%%writefile job.py\nimport os\nprint(os.environ)",
    "%%writefile job.sh\nenv",
    "%%capture\nimport os\nprint(os.environ)",
])
def test_output_not_in_the_notebook(source):
    assert found(nb(source)) == []


@pytest.mark.parametrize("source", [
    "import os\nprint({k: v for k, v in os.environ.items()})",
    "import os\nprint([f'{k}={os.environ[k]}' for k in os.environ])",
    "import os\ndisplay({k: os.getenv(k) for k in os.environ.keys()})",
    "import os\nprint({k: v for k, v in os.environ.items() if 'KEY' in k or 'TOKEN' in k})",  # selects the secrets
    "import os\n{k: v for k, v in os.environ.items()}",  # displayed as the last expression
])
def test_comprehension_dump(source):
    assert found(nb(source)) == [(0, 2, "medium")]


@pytest.mark.parametrize("source", [
    "import os\nprint([k for k in os.environ])",  # names only
    "import os\nprint({k: v for k, v in os.environ.items() if k.startswith('CUDA')})",  # a selection
    "import os\nprint({k: '***' for k, v in os.environ.items()})",  # values masked
    "import os\nenv = {k: v for k, v in os.environ.items()}",  # not shown
])
def test_comprehension_not_a_dump(source):
    assert found(nb(source)) == []
