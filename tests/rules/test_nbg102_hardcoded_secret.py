import pytest
from helpers import codes, lint, md, nb

KEY = "a8f3K2j9d8s7F6g5h4j3"  # no provider prefix: only NBG102 can see it
WANDB = "3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d1e3f5a7b"
PW = "Xy7!pQ2r-corp"


def found(notebook):
    return [(f.cell, f.line, f.severity.label) for f in lint(notebook, "NBG102").findings]


@pytest.mark.parametrize("source, line, severity", [
    (f'API_KEY = "{KEY}"', 1, "medium"),
    (f'OPENAI_API_KEY: str = "{KEY}"', 1, "medium"),
    (f'db_password = "{PW}"', 1, "medium"),
    (f'import openai\nopenai.api_key = "{KEY}"', 2, "high"),
    (f'from openai import OpenAI\nclient = OpenAI(api_key="{KEY}")', 2, "high"),
    (f'from openai import OpenAI\nclient = OpenAI(\n    base_url=u,\n    api_key="{KEY}",\n)', 4, "high"),
    (f'import wandb\nwandb.login(key="{WANDB}")', 2, "high"),
    (f'from huggingface_hub import login\nlogin("{KEY}")', 2, "high"),
    (f'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/m", token="{KEY}")', 2, "high"),
    (f'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/m", use_auth_token="{KEY}")', 2, "high"),
    (f'import boto3\ns3 = boto3.client("s3", aws_secret_access_key="{KEY}/abcDEF+ghi01234")', 2, "high"),
    (f'import pandas as pd\ndf = pd.read_csv("s3://b/k.csv", storage_options={{"key": "AKIA", "secret": "{KEY}"}})', 2,
     "high"),
    (f'import os\nos.environ["WANDB_API_KEY"] = "{WANDB}"', 2, "high"),
    (f'import os\nos.environ["MY_SERVICE_TOKEN"] = "{KEY}"', 2, "medium"),
    (f'import os\nos.environ.setdefault("KAGGLE_KEY", "{WANDB[:32]}")', 2, "high"),
    (f'import os\nos.putenv("DB_PASSWORD", "{PW}")', 2, "medium"),
    (f'import os\ntoken = os.getenv("HF_TOKEN", "{KEY}")', 2, "high"),
    (f'conn = psycopg2.connect(host="db.corp.com", user="etl", password="{PW}")', 1, "high"),
    (f'conn = make_conn(host="db.corp.com", user="etl", password="{PW}")', 1, "medium"),
    (f'cfg = {{"user": "etl", "password": "{PW}"}}', 1, "medium"),
    (f'r = requests.get(url, auth=("etl", "{PW}"))', 1, "medium"),
    (f'headers = {{"Authorization": "Bearer {KEY}"}}', 1, "high"),
    (f'def connect(user, password="{PW}"):\n    pass', 1, "medium"),
    (f'AZURE_OPENAI_KEY = "{WANDB[:32]}"', 1, "medium"),
])
def test_hardcoded_secret(source, line, severity):
    assert found(nb(source)) == [(0, line, severity)]


def test_literal_defined_earlier_is_reported_where_written_once():
    notebook = nb(f'k = "{KEY}"', "import os",
                  "from openai import OpenAI\nc = OpenAI(api_key=k)\nd = OpenAI(api_key=k)")
    report = lint(notebook, "NBG102")
    assert codes(report) == [("NBG102", 0, 1)]
    (f,) = report.findings
    assert f.severity.label == "high"
    assert "'k'" in f.message and "cell 3" in f.message


def test_secret_name_then_sdk_use_is_one_high_finding():
    notebook = nb(f'API_KEY = "{KEY}"', "from openai import OpenAI\nclient = OpenAI(api_key=API_KEY)")
    assert found(notebook) == [(0, 1, "high")]


def test_chain_of_names_reaches_the_literal():
    notebook = nb(f'raw = "{KEY}"', "alias = raw", "import wandb\nwandb.login(key=alias)")
    assert found(notebook) == [(0, 1, "high")]


@pytest.mark.parametrize("source", [
    'tokenizer.pad_token = "[PAD]"',
    'tok = AutoTokenizer.from_pretrained("gpt2", eos_token="</s>", pad_token="<pad>")',
    'tokenizer.add_special_tokens({"pad_token": "[PAD]", "sep_token": "[SEP]"})',
    'out = model.generate(ids, max_new_tokens=200)',
    'token_type_ids = "segment_a1"',
    'm = AutoModel.from_pretrained("org/m", use_auth_token=True)',
    'm = AutoModel.from_pretrained("org/m", token=True)',
    'api_key = ""',
    'api_key = "YOUR_API_KEY"',
    'client = OpenAI(api_key="<key>")',
    'api_key = None',
    'api_key = os.environ["OPENAI_API_KEY"]',
    'password = getpass.getpass("Password: ")',
    'from google.colab import userdata\ntoken = userdata.get("HF_TOKEN")',
    'expected_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    'model = AutoModel.from_pretrained("org/m", revision="0a6aa9128b6194f4f3c4db429b6cb4891cdb421b")',
    'commit_token = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"',
    'login(token="HF_TOKEN")',
    'secret_id = "HUGGINGFACE_API_TOKEN"',
    'connect(password_file="creds.txt")',
    'boto3.client("s3", aws_access_key_id="testing", aws_secret_access_key="testing")',
    'pipe.load_textual_inversion("sd-concepts-library/cat-toy", token="EasyNegative2")',
    'token = "toy"',
    'sort_key = "created_at_2023_v2"',
    'API_KEY = "EXAMPLE_API_KEY"',
    'client = OpenAI(api_key="sk-...")',
    'c.NotebookApp.password = "sha1:74ba40f8a388:c913541b7ee99d15d5ed31d4226bf7838f83a50e"',
    'engine = connect(password="postgres")',
    'api_key = f"{prefix}{suffix}"',
    'GOOGLE_APPLICATION_CREDENTIALS = "service-account-key.json"',
    'token_url = "https://oauth2.googleapis.com/token"',
    'secret_name = "projects/p1/secrets/hf-token-2"',
])
def test_not_a_hardcoded_secret(source):
    assert found(nb(source)) == []


def test_markdown_is_not_code():
    assert found(nb(md(f'```python\nAPI_KEY = "{KEY}"\n```'))) == []


def test_value_is_masked_everywhere():
    report = lint(nb(f'from openai import OpenAI\nclient = OpenAI(api_key="{KEY}")'), "NBG102")
    assert len(report.findings) == 1
    assert KEY not in report.to_json() and KEY not in report.to_text() and KEY not in report.to_sarif()
    assert KEY not in report.findings[0].message


COHERE = "CloiADN5RpVI2XQWhX1ssrKrxqVqmCplppjs46Lm"
AZURE_KEY = "dMwRv+6A5YkXqIYQvrx5QM8T2EM8usE0O72m+XV+2GETeumvScQLnaGkMhOZJVRBpr6xTZ+RIgN7D3xE+KwZsQ=="


@pytest.mark.parametrize("source, line", [
    # SDK clients that take the key as their first positional argument
    (f'import cohere\nco = cohere.Client("{COHERE}")', 2),
    (f'import voyageai\nvo = voyageai.Client("{COHERE}")', 2),
    (f'from pyngrok import ngrok\nngrok.set_auth_token("{COHERE}")', 2),
    # Spark / Hadoop connector settings
    (f'spark.conf.set("fs.azure.account.key.acme.dfs.core.windows.net",\n               "{AZURE_KEY}")', 2),
    (f'sc._jsc.hadoopConfiguration().set("fs.s3a.secret.key", "{KEY}")', 1),
    (f'spark = SparkSession.builder.config("spark.hadoop.fs.azure.sas.raw.acme.blob.core.windows.net", "{KEY}")', 1),
])
def test_positional_and_connector_credentials(source, line):
    assert found(nb(source)) == [(0, line, "high")]


@pytest.mark.parametrize("source", [
    'import cohere\nco = cohere.Client(os.environ["CO_API_KEY"])',
    'import cohere\nco = cohere.Client()',
    'from pyngrok import ngrok\nngrok.set_auth_token(userdata.get("NGROK"))',
    'spark.conf.set("fs.azure.account.oauth2.client.id.acme.dfs.core.windows.net", "3fa85f64-5717-4562-b3fc-2c963f66afa6")',
    'spark.conf.set("spark.sql.shuffle.partitions", "200")',
    'spark.conf.set("fs.azure.account.key.acme.dfs.core.windows.net", dbutils.secrets.get("kv", "acme-key"))',
    'spark.conf.set("fs.azure.account.auth.type.acme.dfs.core.windows.net", "OAuth")',
    'spark.conf.set("spark.app.name", "nightly-etl-2024")',
])
def test_positional_and_connector_look_alikes(source):
    assert found(nb(source)) == []


@pytest.mark.parametrize("kw", ["basic_auth", "http_auth"])
def test_search_client_auth_tuple(kw):
    src = f'from elasticsearch import Elasticsearch\nes = Elasticsearch("https://es.corp.com:9200", {kw}=("elastic", "{PW}"))'
    assert found(nb(src)) == [(0, 2, "high")]
    src = f'from elasticsearch import Elasticsearch\nes = Elasticsearch("https://es.corp.com:9200", {kw}=("elastic", os.environ["ES_PW"]))'
    assert found(nb(src)) == []
