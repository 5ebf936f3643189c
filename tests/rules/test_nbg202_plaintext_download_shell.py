import pytest
from helpers import codes, lint, md, nb


def fired(*cells):
    return codes(lint(nb(*cells), "NBG202"))


def findings(*cells):
    return lint(nb(*cells), "NBG202").findings


@pytest.mark.parametrize("source", [
    "x = 1\n!wget http://kdd.ics.uci.edu/databases/kddcup99/kddcup.data_10_percent.gz",
    "x = 1\n!wget -q -O data.gz 'http://kdd.ics.uci.edu/kddcup.data.gz'",
    "x = 1\n!curl -L -O http://files.grouplens.org/datasets/movielens/ml-20m.zip",
    "x = 1\n!curl -O ftp://ftp.ncbi.nlm.nih.gov/genomes/x.gz",
    "x = 1\n!curl -sSL --url=http://files.grouplens.org/ml.zip -o ml.zip",
    "x = 1\n! git clone http://github.com/tensorflow/models tf-models",
    "x = 1\n!aria2c -x 8 http://data.example-corp.io/big.tar",
    "x = 1\n!sudo wget http://data.example-corp.io/big.tar",
    "x = 1\n!cd data && wget http://data.example-corp.io/big.tar && tar xf big.tar",
    "x = 1\n!rsync -av rsync://mirror.example-corp.io/pub/ data/",
    "x = 1\n!apt-key adv --fetch-keys http://developer.download.nvidia.com/compute/cuda/repos/7fa2af80.pub",
    "%%bash\ncurl -o ml.zip http://files.grouplens.org/datasets/movielens/ml-20m.zip",
    "%%bash\nURL=http://files.grouplens.org/ml.zip\ncurl -O $URL",
    "import os\nos.system('wget http://data.example-corp.io/big.tar')",
    "import subprocess\nsubprocess.run(['curl', '-o', 'x', 'http://data.example-corp.io/x'])",
])
def test_plaintext_shell_download(source):
    found = fired(source)
    assert len(found) == 1 and found[0][0] == "NBG202" and found[0][1] == 0
    assert found[0][2] == source.count("\n") + 1


def test_position_is_the_url():
    (f,) = findings("!wget -q http://kdd.ics.uci.edu/kdd.gz -O kdd.gz")
    assert (f.line, f.column, f.end_column) == (1, 10, 10 + len("http://kdd.ics.uci.edu/kdd.gz"))
    assert f.message == "wget downloads over plaintext http:// from kdd.ics.uci.edu"


def test_python_variable_expansion_names_its_origin():
    found = findings('BASE = "http://images.cocodataset.org/zips"', "!wget -nd -c {BASE}/val2017.zip\n!wget $BASE/x.zip")
    assert [(f.cell, f.line) for f in found] == [(1, 1), (1, 2)]
    assert "images.cocodataset.org" in found[0].message and "'BASE' set in cell 1, line 1" in found[0].message


def test_python_string_position_inside_literal():
    (f,) = findings("import os\nos.system('wget http://data.example-corp.io/big.tar')")
    assert (f.line, f.column) == (2, len("os.system('wget ") + 1)


@pytest.mark.parametrize("source", [
    "!wget https://kdd.ics.uci.edu/databases/kddcup99/kddcup.data_10_percent.gz",
    "!curl -O https://files.grouplens.org/ml.zip",
    "!curl http://localhost:8080/invocations",
    "!curl http://0.0.0.0:8080/ping",
    "!wget http://host.docker.internal:8000/x",
    "!echo 'get it from http://files.grouplens.org/ml.zip'",
    "!pip install --index-url http://pypi.example-corp.io/simple pkg",  # supply-chain rules
    "!curl -X POST -d @payload.json http://api.example-corp.io/score",  # an upload: NBG403
    "!curl -u me:secret http://api.example-corp.io/x",  # credentials: NBG403
    "!git clone https://github.com/tensorflow/models",
    "!rsync -av user@host.example-corp.io:/data .",  # over ssh
    "# !wget http://kdd.ics.uci.edu/kdd.gz",
    "%%html\n<a href='http://kdd.ics.uci.edu/kdd.gz'>data</a>",
    "%%writefile notes.txt\nRUN wget http://kdd.ics.uci.edu/kdd.gz",  # not a Dockerfile
])
def test_not_plaintext_download(source):
    assert fired(source) == []


def test_markdown_is_not_a_finding():
    assert fired(md("```\n!wget http://kdd.ics.uci.edu/kdd.gz\n```")) == []


@pytest.mark.parametrize("payload", [
    "http://" + "a:" * 100_000 + "@x",
    "--header=" + "token" * 40_000,
    "x" * 200_000 + "://",
    "'" + "http://a" * 25_000,
    "{" * 100_000,
    "$" * 100_000,
])
def test_transport_rules_are_fast_on_hostile_shell_and_strings(payload):
    import time

    cells = [f"!curl -k -u a:b {payload}", f"%%bash\nX={payload}\nwget $X", f"import requests\nrequests.post({payload!r}, json=1)",
             f"import pandas as pd\npd.read_csv({payload!r}, storage_options={{'use_ssl': False}})"]
    t = time.perf_counter()
    lint(nb(*cells), ["NBG2", "NBG4"])
    assert time.perf_counter() - t < 4.0


def test_a_dockerfile_the_notebook_writes_downloads_when_the_image_is_built():
    assert fired("%%writefile Dockerfile\nFROM python:3.10\nRUN wget http://kdd.ics.uci.edu/kdd.gz") == \
        [("NBG202", 0, 3)]
