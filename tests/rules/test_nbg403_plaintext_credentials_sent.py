import pytest
from helpers import codes, lint, nb

RQ = "import requests\n"
API = "http://api.example-corp.io/v1/score"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG403"))


def findings(*cells):
    return lint(nb(*cells), "NBG403").findings


@pytest.mark.parametrize("source, severity", [
    (RQ + f'r = requests.get("{API}", auth=("user", pw))', "high"),
    (RQ + f'r = requests.get("{API}", headers={{"Authorization": f"Bearer {{tok}}"}})', "high"),
    (RQ + f'r = requests.get("{API}", headers={{"X-API-Key": key}})', "high"),
    (RQ + f'r = requests.get("{API}", cookies=jar)', "high"),
    (RQ + f'r = requests.get("{API}", params={{"api_key": key}})', "high"),
    (RQ + 'r = requests.get("http://user:pw@api.example-corp.io/v1")', "high"),
    (RQ + f'r = requests.post("{API}", json=rows)', "medium"),
    (RQ + f'r = requests.put("{API}", data=blob)', "medium"),
    (RQ + f'r = requests.request("POST", "{API}", files={{"f": fh}})', "medium"),
    (RQ + f's = requests.Session(); r = s.post("{API}", json=rows, auth=creds)', "high"),
    (f'import urllib.request\nreq = urllib.request.Request("{API}", data=b"x", headers={{"Authorization": t}})',
     "high"),
    ("from openai import OpenAI\nc = OpenAI(base_url='http://gpu.example-corp.io:8000/v1', api_key=k)", "high"),
    ("import openai\nopenai.api_base = 'http://gpu.example-corp.io:8000/v1'", "high"),
    ("import mlflow\nmlflow.set_tracking_uri('http://mlflow.example-corp.io:5000')", "medium"),
    ("import wandb\nwandb.login(host='http://wandb.example-corp.io')", "high"),
    ("import os\nos.environ['WANDB_BASE_URL'] = 'http://wandb.example-corp.io'", "high"),
    ("import os\nos.environ['MLFLOW_TRACKING_URI'] = 'http://10.2.3.4:5000'", "medium"),
    ("x = 1\n%env HF_ENDPOINT=http://hf-mirror.example-corp.io", "high"),
    ("import ftplib\nftp = ftplib.FTP('ftp.example-corp.io', 'bob', pw)", "high"),
    ("import telnetlib\nt = telnetlib.Telnet('router.example-corp.io')", "high"),
    ("import paramiko\nclient.set_missing_host_key_policy(paramiko.AutoAddPolicy())", "high"),
    ("x = 1\n!curl -u bob:pw http://api.example-corp.io/x", "high"),
    ("x = 1\n!curl -H 'Authorization: Bearer t' http://api.example-corp.io/x", "high"),
    ("x = 1\n!curl -X POST -d @rows.json http://api.example-corp.io/score", "medium"),
    ("x = 1\n!wget --password=pw http://files.example-corp.io/x", "high"),
    ("x = 1\n!git clone http://bob:tok@git.example-corp.io/r.git", "high"),
])
def test_sent_in_cleartext(source, severity):
    found = findings(source)
    assert [(f.cell, f.line, f.severity.label) for f in found] == [(0, 2, severity)]


def test_ftp_login_after_connect():
    source = "import ftplib\nftp = ftplib.FTP('ftp.example-corp.io')\nftp.login('bob', pw)"
    assert fired(source) == [("NBG403", 0, 3)]


def test_smtp_login_without_starttls():
    assert fired("import smtplib\ns = smtplib.SMTP('smtp.example-corp.io', 587)\ns.login(u, p)") == [("NBG403", 0, 3)]


def test_url_from_earlier_cell_names_its_origin():
    found = findings('SCORING = "http://ml.example-corp.io/score"', RQ + "r = requests.post(SCORING, json=rows)")
    assert [(f.cell, f.line) for f in found] == [(1, 2)]
    assert "'SCORING' set in cell 1, line 1" in found[0].message


@pytest.mark.parametrize("source", [
    RQ + 'r = requests.post("https://api.example-corp.io/v1/score", json=rows, auth=creds)',
    RQ + 'r = requests.post("http://localhost:8080/invocations", json=rows)',
    RQ + 'r = requests.post("http://0.0.0.0:8080/invocations", json=rows)',
    RQ + 'r = requests.post("http://model-server:8501/v1/models/m:predict", json=rows)',
    RQ + 'r = requests.post(f"http://{ip}:8080/predict", json=rows)',  # host only known at run time
    RQ + f'r = requests.get("{API}")',  # a plain download: NBG201
    RQ + f'r = requests.get("{API}", headers={{"User-Agent": "x"}})',
    "from openai import OpenAI\nc = OpenAI(base_url='http://localhost:8000/v1', api_key='EMPTY')",
    "from openai import OpenAI\nc = OpenAI(base_url='https://gpu.example-corp.io/v1', api_key=k)",
    "import mlflow\nmlflow.set_tracking_uri('http://127.0.0.1:5000')",
    "import mlflow\nmlflow.set_tracking_uri('databricks')",
    "import ftplib\nftp = ftplib.FTP('ftp.example-corp.io')\nftp.login()",  # anonymous
    "import ftplib\nftp = ftplib.FTP_TLS('ftp.example-corp.io')\nftp.login('bob', pw)",
    "import smtplib\ns = smtplib.SMTP('smtp.example-corp.io', 587)\ns.starttls()\ns.login(u, p)",
    "import smtplib\ns = smtplib.SMTP_SSL('smtp.example-corp.io')\ns.login(u, p)",
    "import paramiko\nclient.set_missing_host_key_policy(paramiko.RejectPolicy())",
    "x = 1\n!curl -X POST -d @rows.json http://localhost:8080/invocations",
    "x = 1\n!curl -u bob:pw https://api.example-corp.io/x",
])
def test_not_a_finding(source):
    assert fired(source) == []


def test_password_in_url_is_not_shown_in_the_snippet():
    report = lint(nb(RQ + 'r = requests.get("http://bob:hunter2pw@api.example-corp.io/v1")',
                     "!git clone http://bob:tok98765@git.example-corp.io/r.git"), "NBG403")
    assert [(f.cell, f.line) for f in report.findings] == [(0, 2), (1, 1)]
    for f in report.findings:
        assert "hunter2pw" not in f.snippet + f.message and "tok98765" not in f.snippet + f.message
    assert "hunter2pw" not in report.to_json() and "tok98765" not in report.to_text()


@pytest.mark.parametrize("source", [
    'from elasticsearch import Elasticsearch\nes = Elasticsearch("http://es.corp-data.com:9200", basic_auth=("elastic", pw))',
    'from elasticsearch import Elasticsearch\nes = Elasticsearch(["http://es.corp-data.com:9200"], api_key=key)',
    'from opensearchpy import OpenSearch\nos_ = OpenSearch(hosts=["http://search.corp-data.com:9200"], http_auth=(u, p))',
    'from qdrant_client import QdrantClient\nq = QdrantClient(url="http://qdrant.corp-data.com:6333", api_key=key)',
])
def test_search_and_vector_stores_with_credentials_over_http(source):
    assert fired(source) == [("NBG403", 0, 2)]


@pytest.mark.parametrize("source", [
    'from elasticsearch import Elasticsearch\nes = Elasticsearch("https://es.corp-data.com:9200", basic_auth=("elastic", pw))',
    'from elasticsearch import Elasticsearch\nes = Elasticsearch("http://localhost:9200", basic_auth=("elastic", pw))',
    'from elasticsearch import Elasticsearch\nes = Elasticsearch("http://es.corp-data.com:9200")',  # no credentials
    'from qdrant_client import QdrantClient\nq = QdrantClient(":memory:")',
])
def test_search_and_vector_stores_not_reported(source):
    assert fired(source) == []
