"""False-positive classes seen on real notebook estates (issue 14), each with its look-alike that
must stay found. Realistic cells and outputs: encoded images, sequences, system environment
variables, pagination and language-model tokens, image CDN links, printed arrays."""

from __future__ import annotations

import base64
import random

import pytest
from helpers import code, lint, md, nb, result, stream

AKIA = "AKIA2OGYBAH6RWQXJ7LM"  # shaped like an AWS access key id (invented)
AWS_SECRET = "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"  # shaped like an AWS secret key (invented)


def _blob(inside: str, n: int = 3000, seed: int = 0) -> str:
    """Base64 of random bytes with ``inside`` written into the middle of it, as an encoded image
    happens to contain a run of capitals."""
    rng = random.Random(seed)
    b = base64.b64encode(bytes(rng.randrange(256) for _ in range(n))).decode()
    return b[:800] + inside + b[800 + len(inside):]


def secrets(notebook: dict) -> list[tuple[str, int]]:
    return [(f.rule, f.cell) for f in lint(notebook, "secrets").findings]


# -- 1. provider key patterns inside encoded blobs ---------------------------------------------

@pytest.mark.parametrize("cell", [
    md(f"![chart](data:image/png;base64,{_blob(AKIA)})"),
    md("<img src=\"data:image/jpeg;base64," + _blob("AKIAIOSFODNN7ABCDEFG") + "\">"),
    code("show()", outputs=[result({"text/plain": _blob(AKIA)})]),  # long base64 printed as text
    code("print(b64)", outputs=[stream(_blob("ghp_" + "a1B2" * 9) + "\n")]),
    code("w", outputs=[result({"text/plain": "'" + _blob("xoxb-1234567890-abcdefghij") + "'"})]),
])
def test_key_shapes_inside_encoded_payloads_are_not_keys(cell):
    assert secrets(nb(cell)) == []


def test_base64_wrapped_over_lines_in_a_data_uri_is_not_scanned():
    payload = _blob(AKIA, 1500)
    wrapped = "\n".join(payload[i:i + 60] for i in range(0, len(payload), 60))
    assert secrets(nb(md(f"<img src='data:image/png;base64,{wrapped}'>"))) == []


def test_widget_state_buffers_in_metadata_are_not_keys():
    meta = {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"buffers": [
        {"encoding": "base64", "data": _blob(AKIA)}]}}}}}
    assert secrets(nb(code("x = 1"), metadata=meta)) == []


@pytest.mark.parametrize("text", [
    f"key = '{AKIA}'",
    f"AWS_ACCESS_KEY_ID={AKIA}",
    f"boto3.client('s3', aws_access_key_id=\"{AKIA}\")",
    f"creds: {AKIA} / {AWS_SECRET}",
])
def test_a_key_standing_on_its_own_is_still_found(text):
    assert ("NBG101", 0) in secrets(nb(code("print(x)", outputs=[stream(text + "\n")])))


# -- 2. letter runs (DNA and other sequences) -------------------------------------------------

def test_a_dna_sequence_holding_an_aws_like_run_is_not_a_key():
    rng = random.Random(3)
    dna = "".join(rng.choice("ACGT") for _ in range(400))
    dna = dna[:150] + "AKIAGATTACAGATTACAGA" + dna[170:]
    assert secrets(nb(code("print(seq)", outputs=[stream(dna + "\n")]))) == []


# -- 3. NBG107: values that are not secrets ---------------------------------------------------

@pytest.mark.parametrize("source", [
    "import os\nprint(os.environ['PWD'])",
    "import os\nprint(os.getenv('HOME'), os.environ.get('JAVA_HOME'))",
    "!echo $PWD $USER $SHELL $PATH",
    "%env PWD",
    "resp = svc.list(pageToken=tok)\nprint(resp.next_page_token)\nprint(resp.nextPageToken)",
    "out = model.generate(ids)\nprint(out.token, out.logprobs)",
    "for t in tokenizer(text).tokens():\n    print(t)",
    "print(tokenizer.eos_token, tokenizer.pad_token)",
])
def test_printing_a_value_that_is_not_a_secret_is_not_a_finding(source):
    assert lint(nb(source), "NBG107").findings == []


@pytest.mark.parametrize("source", [
    "import os\nprint(os.environ['DB_PWD'])",
    "import os\nprint(os.environ['HF_TOKEN'])",
    "!echo $OPENAI_API_KEY",
    "import google.auth\ncredentials, project = google.auth.default()\nprint(credentials.token)",
    "import google.auth\ncreds = google.auth.default()[0]\nprint(creds.token)",
    "print(session.token)",
    "print(client.api_key)",
])
def test_printing_a_credential_is_still_found(source):
    assert [f.rule for f in lint(nb(source), "NBG107").findings] == ["NBG107"]


# -- 4. NBG103: image links and signed URLs --------------------------------------------------

@pytest.mark.parametrize("source", [
    "![badge](https://img.shields.io/endpoint?url=x&token=Zm9vYmFyYmF6cXV4YWJj)",
    "<img src='https://images.cdn.example.net/p/1.png?sig=Zm9vYmFyYmF6cXV4YWJj&se=2030-01-01'>",
    "See https://cdn.example.net/figures/fig3.jpg?token=Zm9vYmFyYmF6cXV4YWJj for the figure",
])
def test_tokens_of_public_image_links_in_markdown_are_not_leaks(source):
    assert lint(nb(md(source)), "NBG103").findings == []


def test_a_signed_url_with_an_expiry_is_lower_than_a_standing_key():
    sas = "https://acct.blob.core.windows.net/data/train.csv?sv=2022-11-02&se=2030-01-01&sp=r&sig=Zm9vYmFyYmF6cXV4YWJjZGVm"
    standing = "https://api.example.org/v1/data?api_key=Zm9vYmFyYmF6cXV4YWJjZGVm"
    f_sas = lint(nb(f"df = pd.read_csv({sas!r})"), "NBG103").findings
    f_key = lint(nb(f"r = requests.get({standing!r})"), "NBG103").findings
    assert [f.severity.label for f in f_sas] == ["low"]
    assert [f.severity.label for f in f_key] == ["high"]


def test_a_token_in_a_data_link_in_markdown_is_still_found():
    link = "[download](https://api.example.org/export.csv?api_key=Zm9vYmFyYmF6cXV4YWJjZGVm)"
    assert [f.rule for f in lint(nb(md(link)), "NBG103").findings] == ["NBG103"]


# -- 5. NBG703: numbers in printed arrays are not card numbers -------------------------------

@pytest.mark.parametrize("text", [
    "[ 595  255 6393 6400 4532 0151 1283 0366 1234 5678]\n",
    "tensor([[4532 0151 1283 0366]])\n",
    "[[ 12  4532 0151 1283 0366  77]\n [  1     2    3    4    5   6]]\n",
    "  6393 6400 4532 0151 1283 0366 1234 5678\n",  # a wrapped array's next line
])
def test_elements_of_a_printed_array_are_not_a_card_number(text):
    assert lint(nb(code("print(a)", outputs=[stream(text)])), "NBG703").findings == []


@pytest.mark.parametrize("text", [
    "card: 4532 0151 1283 0366\n",
    "   name               card\n0  Alice  4532015112830366\n",
    "['4532015112830366', '4716190207394368']\n",
])
def test_a_card_number_on_its_own_or_in_a_table_is_still_found(text):
    assert [f.rule for f in lint(nb(code("x", outputs=[stream(text)])), "NBG703").findings] == ["NBG703"]


# -- missed: positional secret keys ----------------------------------------------------------

@pytest.mark.parametrize("source, callee", [
    (f'import boto\nconn = boto.connect_s3("{AKIA}", "{AWS_SECRET}")', "boto.connect_s3"),
    (f'import boto3\ns = boto3.Session("{AKIA}", "{AWS_SECRET}")', "boto3.Session"),
    (f'import boto3\nc = boto3.client("s3", None, None, True, None, None, "{AKIA}", "{AWS_SECRET}")',
     "boto3.client"),
    (f'from minio import Minio\nm = Minio("play.min.io", "{AKIA}", "{AWS_SECRET}")', "minio.Minio"),
])
def test_a_secret_key_passed_positionally_is_found_with_its_key_id_and_neither_is_printed(source, callee):
    report = lint(nb(source), "secrets")
    messages = [f.message for f in report.findings]
    assert any(f"secret key to {callee}" in m for m in messages), messages
    out = report.to_text() + report.to_json() + report.to_sarif()
    assert AKIA not in out and AWS_SECRET not in out
