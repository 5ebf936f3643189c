import pytest
from helpers import codes, lint, md, nb, code, stream, error, result

HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
OPENAI = "sk-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx"
AWS = "AKIA" + "Z7QWERTYUIOPASDF"
GH = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"


@pytest.mark.parametrize("source", [
    f'login(token="{HF}")',
    f"client = OpenAI(api_key='{OPENAI}')",
    f'%env AWS_ACCESS_KEY_ID={AWS}',
    f"!git clone https://{GH}@github.com/org/repo",
    f"# old key: {HF}",
])
def test_token_in_code(source):
    assert codes(lint(nb(source), "NBG101")) == [("NBG101", 0, 1)]


def test_token_in_markdown_output_traceback_metadata():
    notebook = nb(
        md(f"Use this key: {AWS}"),
        code("print(key)", outputs=[stream(f"key is {OPENAI}\n")]),
        code("boom()", outputs=[error("HTTPError", f"401 for url https://x/?token={HF}",
                                      [f"\x1b[0;31mHTTPError\x1b[0m: {HF}"])]),
        code("x", papermill={"parameters": {"token": HF}}),
    )
    found = [(f.cell, f.where) for f in lint(notebook, "NBG101").findings]
    assert found == [(0, "source"), (1, "output"), (2, "output"), (2, "output"), (3, "metadata")]


@pytest.mark.parametrize("source", [
    'sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    'model = AutoModel.from_pretrained("bert-base-uncased", revision="0a6aa9128b6194f4f3c4db429b6cb4891cdb421b")',
    'run_id = "123e4567-e89b-12d3-a456-426614174000"',
    'token = "<YOUR_TOKEN>"',
    'token = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
    'token = os.environ["HF_TOKEN"]',
    'aws_key = "AKIAIOSFODNN7EXAMPLE"',
])
def test_not_a_token(source):
    assert lint(nb(source), "NBG101").findings == []


def test_base64_png_output_is_skipped():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" + "hf_" + "A" * 34 + "AAAAAElFTkSuQmCC"
    notebook = nb(code("plot()", outputs=[result({"image/png": png, "text/plain": "<Figure>"})]))
    assert lint(notebook, "NBG101").findings == []


def test_secret_is_masked_in_snippet_and_message():
    report = lint(nb(f'token = "{HF}"'), "NBG101")
    (f,) = report.findings
    assert HF not in f.snippet and HF not in f.message
    assert f.snippet.startswith('token = "hf_')
    assert HF not in report.to_json() and HF not in report.to_sarif() and HF not in report.to_text()


KAGGLE = "8baa7196b50ac2f8" + "6702824c1c099724"


@pytest.mark.parametrize("text", [
    '{"username":"tomasz_k","key":"' + KAGGLE + '"}\n',  # !cat ~/.kaggle/kaggle.json
    "{'key': '" + KAGGLE + "', 'username': 'tomasz_k'}\n",  # print(json.load(f)), keys in the other order
    "KAGGLE_KEY=" + KAGGLE + "\nKAGGLE_USERNAME=tomasz_k\n",  # !env
])
def test_kaggle_key_in_output(text):
    found = lint(nb(code("show()", outputs=[stream(text)])), "NBG101").findings
    assert [(f.where, f.message) for f in found] == [("output", "Kaggle API key in a cell output")]


@pytest.mark.parametrize("source", [
    # a Twilio Account SID is an identifier (the auth token is the secret)
    'TWILIO_ACCOUNT_SID = "ACf2d133187c8df95247f2866028de7115"',
    # 32 hex next to a "key" that is not kaggle.json: a checksum table
    'meta = {"key": "' + KAGGLE + '", "algo": "md5"}',
])
def test_not_a_provider_token_by_shape(source):
    assert lint(nb(source), "NBG101").findings == []


def test_discord_webhook_url():
    hook = "https://discord.com/api/webhooks/1234567890123456789/" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789" + "AbCdEfGhIjKlMnOpQrStUvWxYz01"
    found = lint(nb(f'WEBHOOK = "{hook}"'), "NBG101").findings
    assert [f.message for f in found] == ["Discord webhook URL in code"]
    assert lint(nb('WEBHOOK = "https://discord.com/api/webhooks/<id>/<token>"'), "NBG101").findings == []
