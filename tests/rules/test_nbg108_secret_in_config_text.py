"""NBG108: credentials written as settings in text that is not Python (issue 17's misses)."""

import pytest
from helpers import code, lint, md, nb, raw, result, stream

from nbguard.report import FORMATS, render

AWS_ID = "AKIAQ3EGRT5YHUWK7ZQB"
AWS_SECRET = "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"
WANDB = "7eda7108c477d54173073216746add2b2ac3a121"
PW = "Tr0ub4dor&3x"


def found(notebook):
    report = lint(notebook, "NBG108")
    return [(f.cell, f.where, f.line, f.column) for f in report.findings], report


@pytest.mark.parametrize("cell, expected", [
    # %%writefile of a non-Python file: .env, YAML, ini
    (code(f"%%writefile .env\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nDB_PASSWORD={PW}\n"),
     [(0, "source", 2, 23), (0, "source", 3, 13)]),
    (code(f"%%writefile config.yaml\ndatabase:\n  password: '{PW}'\n  api_key: {WANDB[:32]}\n"),
     [(0, "source", 3, 14), (0, "source", 4, 12)]),
    (code(f"%%writefile -a ~/.aws/credentials\n[default]\naws_secret_access_key = {AWS_SECRET}\n"),
     [(0, "source", 3, 25)]),
    # a here-document in a shell cell, with or without the key id beside it
    (code(f"%%bash\nmkdir -p ~/.aws\ncat > ~/.aws/credentials <<'EOF'\n[default]\n"
          f"aws_secret_access_key = {AWS_SECRET}\nEOF"), [(0, "source", 5, 25)]),
    # markdown: a <details><pre> block, a fenced block
    (md(f"<details><summary>creds</summary><pre>\naws_secret_access_key = {AWS_SECRET}\npassword: {PW}\n"
        f"</pre></details>"), [(0, "source", 2, 25), (0, "source", 3, 11)]),
    (md(f"```ini\n[db]\npassword = {PW}\n```"), [(0, "source", 3, 12)]),
    (raw(f"export DB_PASSWORD='{PW}'"), [(0, "source", 1, 21)]),
])
def test_settings_in_cells_are_found(cell, expected):
    assert found(nb(cell))[0] == expected


@pytest.mark.parametrize("output, line", [
    (stream(f"aws_secret_access_key = {AWS_SECRET}\n"), 1),
    (stream(f"loaded config\npassword: {PW}\n"), 2),
    (result({"text/plain": f"{{'user': 'svc', 'password': '{PW}'}}"}), 1),
    (result({"text/markdown": f"**config**\n\naws_secret_access_key = {AWS_SECRET}"}), 3),
    (result({"text/html": f"<pre>password: {PW}</pre>"}), 1),
    (result({"application/json": {"aws_secret_access_key": AWS_SECRET, "region": "eu-west-1"}}), 2),
])
def test_settings_in_outputs_are_found(output, line):
    (f,) = lint(nb(code("show_config()", outputs=[output])), "NBG108").findings
    assert (f.where, f.output, f.line) == ("output", 0, line)


def test_environment_listing_in_an_output():
    """print(os.environ): NBG105 on the call, the W&B key by its format (NBG101), the password here."""
    out = stream(f"environ({{'WANDB_API_KEY': '{WANDB}', 'DB_PASSWORD': '{PW}', 'HOME': '/root'}})\n")
    report = lint(nb(code("import os\nprint(os.environ)", outputs=[out])), "secrets")
    assert sorted(f.rule for f in report.findings) == ["NBG101", "NBG105", "NBG108"]


@pytest.mark.parametrize("metadata, label", [
    ({"kernelspec": {"name": "py", "display_name": "py", "env": {"AWS_SECRET_ACCESS_KEY": AWS_SECRET}}},
     "kernelspec.env.AWS_SECRET_ACCESS_KEY"),
    ({"papermill": {"parameters": {"api_key": WANDB, "alpha": 0.1}}}, "papermill.parameters.api_key"),
    ({"papermill": {"parameters": {"aws_secret_access_key": AWS_SECRET}}}, "papermill.parameters.aws_secret_access_key"),
])
def test_credentials_in_notebook_metadata(metadata, label):
    (f,) = lint(nb("x = 1", metadata=metadata), "NBG108").findings
    assert f.where == "metadata" and label in f.message


def test_credentials_in_cell_metadata():
    cell = code("run()", papermill={"parameters": {"db_password": PW}})
    (f,) = lint(nb(cell), "NBG108").findings
    assert f.cell == 0 and f.where == "metadata"


@pytest.mark.parametrize("cell", [
    # placeholders, templates, values read from elsewhere, names that are not credentials
    code("%%writefile .env\nOPENAI_API_KEY=<your key here>\nDB_PASSWORD=${DB_PASSWORD}\nHF_TOKEN=\n"),
    code("%%writefile config.yaml\npassword: changeme\ntoken: xxxxxxxxxxxx\nmax_tokens: 4096\ntokenizer: gpt2\n"),
    code("%%writefile settings.ini\n[auth]\npassword_file = /run/secrets/db\nsecret_name = prod/db\n"),
    md("Set `password: <your password>` in the file, then run:\n\n    api_key = os.environ['API_KEY']"),
    md("the password is the one you chose when the account was made"),
    code("tok(text)", outputs=[stream("{'token': 30412, 'token_str': ' mathematical', 'score': 0.12}\n")]),
    code("print(cfg)", outputs=[stream("password: ********\npassword_hash: sha256:9f86d081884c7d65\n")]),
    # Python belongs to hardcoded-secret (NBG102); shell lines to secret-in-magic-or-shell (NBG104)
    code(f"password = '{PW}'"),
    code(f"%%bash\nexport DB_PASSWORD='{PW}'"),
    # a provider-format key is hardcoded-provider-token's (NBG101), not reported twice
    code("%%writefile .env\nHF_TOKEN=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\n"),
])
def test_not_reported(cell):
    assert found(nb(cell))[0] == []


def test_never_printed_whole():
    notebook = nb(code(f"%%writefile .env\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
                  code("cfg", outputs=[stream(f"password: {PW}\n")]),
                  metadata={"papermill": {"parameters": {"api_key": WANDB}}})
    report = lint(notebook, "ALL")
    assert len([f for f in report.findings if f.rule == "NBG108"]) == 3
    text = "\n".join(render(report, fmt) for fmt in FORMATS) + report.to_json()
    for secret in (AWS_SECRET, PW, WANDB):
        assert secret not in text


def test_env_and_arg_settings_in_a_dockerfile_the_notebook_writes():
    secret = "Zp4Rm8Qe2Lw7Tn1Vy5Hc9Bx3Kd6Gs0Jf2Ua8Ni4O"
    src = f"%%writefile Dockerfile\nFROM python:3.10\nENV AWS_SECRET_ACCESS_KEY={secret}\nRUN pip install x==1.0"
    (f,) = lint(nb(src), "NBG108").findings
    assert f.line == 3 and "AWS_SECRET_ACCESS_KEY" in f.message and secret not in f.snippet
