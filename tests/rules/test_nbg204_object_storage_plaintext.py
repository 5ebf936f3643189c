import pytest
from helpers import codes, lint, nb

B3 = "import boto3\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG204"))


def findings(*cells):
    return lint(nb(*cells), "NBG204").findings


@pytest.mark.parametrize("source, severity", [
    (B3 + 's3 = boto3.client("s3", use_ssl=False)', "high"),
    (B3 + 's3 = boto3.client("s3", endpoint_url="http://storage.example-corp.io:9000")', "high"),
    (B3 + 's3 = boto3.resource("s3", endpoint_url="http://10.1.2.3:9000")', "high"),
    (B3 + 's3 = boto3.Session().client("s3", use_ssl=0)', "high"),
    ("import s3fs\nfs = s3fs.S3FileSystem(use_ssl=False)", "high"),
    ("import s3fs\nfs = s3fs.S3FileSystem(client_kwargs={'endpoint_url': 'http://storage.example-corp.io'})", "high"),
    ("import pandas as pd\ndf = pd.read_csv('s3://b/k.csv', storage_options={'use_ssl': False})", "high"),
    (("import pandas as pd\ndf = pd.read_csv('s3://b/k.csv', storage_options={'client_kwargs': "
     "{'endpoint_url': 'http://storage.example-corp.io'}})"), "high"),
    ("from minio import Minio\nc = Minio('play.min.io:9000', access_key=a, secret_key=s, secure=False)", "high"),
    (B3 + 's3.put_object(Bucket="b", Key="k", Body=data, ACL="public-read")', "medium"),
    (B3 + 's3.upload_file("f", "b", "k", ExtraArgs={"ACL": "public-read"})', "medium"),
    (("from google.cloud import storage\nstorage.Client().bucket('b').blob('k').upload_from_filename("
     "'f', predefined_acl='publicRead')"), "medium"),
    ("x = 1\n!aws s3 cp data.csv s3://b/ --endpoint-url http://storage.example-corp.io:9000", "high"),
    ("x = 1\n!aws s3 cp data.csv s3://b/ --acl public-read", "medium"),
    ("x = 1\n!gsutil iam ch allUsers:objectViewer gs://my-bucket", "medium"),
])
def test_object_storage_finding(source, severity):
    found = findings(source)
    assert [(f.cell, f.line, f.severity.label) for f in found] == [(0, 2, severity)]


def test_options_dict_from_earlier_cell_reported_on_the_argument():
    found = findings("SO = {'use_ssl': False, 'anon': False}", "import pandas as pd\ndf = pd.read_parquet('s3://b/k', storage_options=SO)")
    assert [(f.cell, f.line) for f in found] == [(1, 2)]
    assert found[0].column == len("df = pd.read_parquet('s3://b/k', storage_options=") + 1


def test_make_public():
    source = ("from google.cloud import storage\nclient = storage.Client()\n"
              "blob = client.bucket('b').blob('k')\nblob.make_public()")
    assert fired(source) == [("NBG204", 0, 4)]


@pytest.mark.parametrize("source", [
    B3 + 's3 = boto3.client("s3")',
    B3 + 's3 = boto3.client("s3", endpoint_url="https://storage.example-corp.io")',
    B3 + 's3 = boto3.client("s3", endpoint_url="http://localhost:4566")',  # LocalStack
    B3 + 's3 = boto3.client("s3", endpoint_url="http://minio:9000")',  # in-cluster MinIO
    B3 + 's3 = boto3.client("s3", use_ssl=True)',
    B3 + 's3.put_object(Bucket="b", Key="k", Body=data, ACL="private")',
    B3 + 's3.put_object(Bucket="b", Key="k", Body=data, ACL="bucket-owner-full-control")',
    "import s3fs\nfs = s3fs.S3FileSystem(client_kwargs={'endpoint_url': 'http://127.0.0.1:9000'})",
    "from minio import Minio\nc = Minio('localhost:9000', secure=False)",
    "from minio import Minio\nc = Minio('minio-service.kubeflow:9000', secure=False)",  # in-cluster
    "from minio import Minio\nc = Minio('play.min.io:9000', access_key=a, secret_key=s)",
    "x = 1\n!aws s3 cp data.csv s3://b/",
    "x = 1\n!gcloud run services add-iam-policy-binding svc --member=allUsers --role=roles/run.invoker",
])
def test_not_a_finding(source):
    assert fired(source) == []
