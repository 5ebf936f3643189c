import pytest
from helpers import codes, lint, nb

from nbguard.model import Severity


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG506").findings]


M = Severity.MEDIUM


@pytest.mark.parametrize("source", [
    "import tarfile\nwith tarfile.open('data.tar.gz') as tar:\n    tar.extractall('data')",
    "import tarfile\ntar = tarfile.open('data.tar.gz', 'r:gz')\ntar.extractall()",
    "import tarfile\nwith tarfile.open(fname) as t:\n    t.extractall(path='.')",
    "import tarfile\ntarfile.open('data.tar').extractall()",
    "import tarfile\ntarfile.TarFile('data.tar').extractall('out')",
    "import tarfile\nwith tarfile.open('d.tar') as t:\n    t.extractall('out', filter='fully_trusted')",
    "import tarfile as tf\nwith tf.open('d.tar') as t:\n    t.extractall(filter=tf.fully_trusted_filter)",
])
def test_unfiltered_tar_extraction(source):
    assert found(source) == [("NBG506", 0, source.count("\n") + 1, M)]


def test_downloaded_archive_unpacked():
    assert found("!wget https://example.com/dataset.tar.gz",
                 "import shutil\nshutil.unpack_archive('dataset.tar.gz', 'data')") == [("NBG506", 1, 2, M)]
    assert found("import urllib.request\nurllib.request.urlretrieve(URL, 'd.tgz')",
                 "import shutil\nshutil.unpack_archive('d.tgz')") == [("NBG506", 1, 2, M)]


def test_archive_built_by_the_notebook_is_low():
    assert found("import tarfile\nwith tarfile.open('out.tgz', 'w:gz') as t:\n    t.add('results')",
                 "import tarfile\nwith tarfile.open('out.tgz') as t:\n    t.extractall('copy')") \
        == [("NBG506", 1, 3, Severity.LOW)]


@pytest.mark.parametrize("source", [
    "import tarfile\nwith tarfile.open('d.tar') as tar:\n    tar.extractall('data', filter='data')",
    "import tarfile\nwith tarfile.open('d.tar') as tar:\n    tar.extractall(filter='tar')",
    "import tarfile\nwith tarfile.open('d.tar') as tar:\n    tar.extractall(filter=tarfile.data_filter)",
    "import tarfile\nwith tarfile.open('d.tar') as tar:\n    tar.extractall(members=safe_members(tar))",
    "import tarfile\nwith tarfile.open('d.tar') as tar:\n    tar.extractall(filter=my_filter)",
    "import zipfile\nwith zipfile.ZipFile('d.zip') as z:\n    z.extractall('data')",
    "import zipfile\nzipfile.ZipFile('d.zip').extractall()",
    "import shutil\nshutil.unpack_archive('local.tar.gz', 'x')",  # not known to be downloaded
    "!wget https://example.com/d.zip\nimport shutil\nshutil.unpack_archive('d.zip', 'x')",
    "!wget https://example.com/d.tgz\nimport shutil\nshutil.unpack_archive('d.tgz', 'x', filter='data')",
])
def test_safe(source):
    assert found(source) == []


def test_a_call_is_not_its_own_evidence_whatever_rules_run():
    # unpack_archive's extract_dir 'data' is recorded as fetched only after the call: it does not
    # make 'data/x.tar.gz' a downloaded archive for this same call (before the engine observed paths
    # once after all rules, it did when NBG301 ran first, so the answer depended on --select)
    src = "import shutil\nshutil.unpack_archive('data/x.tar.gz', 'data')"
    assert codes(lint(nb(src), "ALL")) == codes(lint(nb(src), "NBG506")) == []
    # evidence from an earlier call still counts
    src = "import shutil, urllib.request\nurllib.request.urlretrieve(URL, 'data/x.tar.gz')\n" \
          "shutil.unpack_archive('data/x.tar.gz', 'out')"
    assert [c for c in codes(lint(nb(src), "ALL")) if c[0] == "NBG506"] == [("NBG506", 0, 3)]


def test_a_job_script_extracting_its_model_archive_is_not_reported_unless_it_downloads_it():
    body = ("import tarfile\nwith tarfile.open('/opt/ml/processing/model/model.tar.gz') as tar:\n"
            "    tar.extractall(path='.')\n")
    assert found("%%writefile code/evaluation.py\n" + body) == []
    assert found(body) == [("NBG506", 0, 3, M)]  # the same code in the kernel
    downloaded = ("%%writefile job.py\nimport tarfile, urllib.request\n"
                  "urllib.request.urlretrieve('https://example.com/d.tar.gz', 'd.tar.gz')\n"
                  "tarfile.open('d.tar.gz').extractall('d')\n")
    assert [f[0] for f in found(downloaded)] == ["NBG506"]


def test_the_model_archive_of_the_notebooks_own_training_job_is_not_reported():
    # SageMaker: the estimator's model_data fetched back and unpacked (huggingface/notebooks)
    fetched = ("import os, tarfile\nfrom sagemaker.s3 import S3Downloader\nlocal_path = 'my_model'\n"
               "os.makedirs(local_path, exist_ok=True)\n"
               "S3Downloader.download(s3_uri={src}, local_path=local_path)\n"
               "tar = tarfile.open(f'{{local_path}}/model.tar.gz', 'r:gz')\ntar.extractall(path=local_path)")
    assert found(fetched.format(src="estimator.model_data")) == []
    assert found("uri = estimator.model_data", fetched.format(src="uri")) == []
    assert found(fetched.format(src="'s3://someone/model.tar.gz'")) == [("NBG506", 0, 7, M)]
    # describe_training_job's S3ModelArtifacts copied down with the AWS CLI ($name is IPython's expansion)
    job = ("resp = sm.describe_training_job(TrainingJobName=name)\n"
           "s3_artifacts = resp['ModelArtifacts']['S3ModelArtifacts']")
    extract = "import tarfile\nwith tarfile.open('model.tar.gz') as t:\n    t.extractall('model')"
    assert found(job, "!aws s3 cp $s3_artifacts .", extract) == []
    assert found("s3_artifacts = 's3://bucket/public/model.tar.gz'", "!aws s3 cp $s3_artifacts .", extract) \
        == [("NBG506", 2, 3, M)]
