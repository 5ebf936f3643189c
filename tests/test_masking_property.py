"""Masking is line-wide (issues 14 and 17): every text that leaves nbguard -- every report format,
the fix diff, error lines -- hides every credential-like token of each line it shows, found by a
rule or not. A property test puts generated credentials in every place a notebook holds text."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from helpers import code, md, nb, stream

from nbguard import api, mask
from nbguard.config import Config
from nbguard.report import FORMATS, render

RNG_ALNUM = string.ascii_letters + string.digits


def _rand(rng: random.Random, n: int, alphabet: str = RNG_ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def credentials(rng: random.Random) -> dict[str, str]:
    """Provider-shaped credentials, freshly generated (never a documented example)."""
    b32 = string.ascii_uppercase + "234567"
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": _rand(rng, 8)}).encode()).decode().rstrip("=")
    return {
        "aws_id": "AKIA" + _rand(rng, 16, b32),
        "aws_secret": _rand(rng, 40, RNG_ALNUM + "+/"),
        "hf": "hf_" + _rand(rng, 34, string.ascii_letters),
        "openai": "sk-proj-" + _rand(rng, 48, RNG_ALNUM + "_-"),
        "anthropic": "sk-ant-api03-" + _rand(rng, 93, RNG_ALNUM + "_-"),
        "github": "ghp_" + _rand(rng, 36),
        "slack": f"xoxb-{rng.randint(10**9, 10**10)}-{rng.randint(10**9, 10**10)}-{_rand(rng, 24).lower()}",
        "wandb": _rand(rng, 40, "0123456789abcdef"),
        "jwt": f"{header}.{body}.{_rand(rng, 43, RNG_ALNUM + '_-')}",
        "db_password": _rand(rng, 10, RNG_ALNUM) + "!" + _rand(rng, 3, string.digits),
        "pem_body": _rand(rng, 60, RNG_ALNUM + "+/"),
    }


def placements(c: dict[str, str]) -> list[dict]:
    """Cells and outputs holding the credentials in every place a notebook can hold text."""
    pem = f"-----BEGIN PRIVATE KEY-----\\n{c['pem_body']}\\n-----END PRIVATE KEY-----"
    return [
        code(f'import boto3\ns3 = boto3.client("s3", "us-east-1", None, True, None, None, "{c["aws_id"]}", '
             f'"{c["aws_secret"]}")'),
        code(f'cfg = {{"api_key": "{c["openai"]}", "other": 1}}\nclient = OpenAI(**cfg)'),
        code(f'import pickle\nm = pickle.load(open("m.pkl", "rb")); k = "{c["aws_secret"]}"'),
        code(f'login(token=f"{c["hf"]}")  # then {c["github"]}'),
        code(f"%env ANTHROPIC_API_KEY={c['anthropic']}\n!export SLACK_TOKEN={c['slack']}"),
        code(f"%%bash\ncat > ~/.aws/credentials <<EOF\n[default]\naws_access_key_id = {c['aws_id']}\n"
             f"aws_secret_access_key = {c['aws_secret']}\nEOF"),
        code(f"%%writefile .env\nWANDB_API_KEY={c['wandb']}\nDB_PASSWORD={c['db_password']}\n"),
        md(f"Use `{c['hf']}` and the service account\n```json\n{{\"private_key\": \"{pem}\"}}\n```"),
        md(f"Token `{c['hf']}`, AWS secret {c['aws_secret']}, the db password is {c['db_password']}"),
        code("print(os.environ)", outputs=[stream(
            f"{{'WANDB_API_KEY': '{c['wandb']}', 'DB_PASSWORD': '{c['db_password']}', 'HOME': '/root'}}\n")]),
        code("resp", outputs=[{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {
            "text/plain": f"Token: {c['jwt']}", "text/html": f"<pre>password: {c['db_password']}</pre>",
            "application/json": {"aws_secret_access_key": c["aws_secret"]}}}]),
        code("connect()", outputs=[{"output_type": "error", "ename": "AuthError",
                                    "evalue": f"invalid secret {c['aws_secret']} for {c['aws_id']}",
                                    "traceback": [f"AuthError: invalid secret {c['aws_secret']} for {c['aws_id']}"]}]),
    ]


def _outputs(report) -> str:
    return "\n".join(render(report, fmt) for fmt in FORMATS) + report.to_json()


def _leaks(text: str, creds: dict[str, str]) -> list[str]:
    return [k for k, v in creds.items() if v in text]


def test_issue_17_cases_are_never_printed_whole_in_any_format():
    rng = random.Random(17)
    creds = credentials(rng)
    report = api.lint_notebook(nb(*placements(creds)), Config())
    assert report.findings, "the notebook holds credentials: there must be findings"
    assert _leaks(_outputs(report), creds) == []


@pytest.mark.parametrize("seed", range(5))
def test_generated_notebooks_never_show_a_credential_whole(seed):
    """500 generated notebooks per run (5 x 100): each a random subset and order of the placements,
    with fresh credentials; every format of every report is searched for each credential whole."""
    rng = random.Random(seed)
    for _ in range(100):
        creds = credentials(rng)
        cells = placements(creds)
        rng.shuffle(cells)
        picked = cells[:rng.randint(1, len(cells))]
        report = api.lint_notebook(nb(*picked), Config())
        leaked = _leaks(_outputs(report), creds)
        assert leaked == [], (leaked, [c["source"][:80] for c in picked])


def test_a_secret_beside_an_unrelated_finding_is_masked_in_the_snippet():
    secret = "q7Ld9Xk2ZtVb8NwR3yHs5PfJm1aC6uEo4GiK0zTe"
    report = api.lint_notebook(nb(f'import pickle\nm = pickle.load(open("m.pkl", "rb")); k = "{secret}"'),
                               Config(select=["unsafe-deserialization"]))
    (f,) = report.findings
    assert f.rule == "NBG501" and secret not in f.snippet and "q7Ld****" in f.snippet


def test_readable_things_stay_readable():
    """Model ids, commit pins, checksums, UUIDs and identifiers are not credentials: kept whole on
    every printed line (a bare 40-hex run with no pin or checksum context would be masked)."""
    rev = "0123456789abcdef0123456789abcdef01234567"
    source = (f'from transformers import AutoModelForSequenceClassification\n'
              f'm = AutoModelForSequenceClassification.from_pretrained("meta-llama/Llama-2-7b-chat-hf", revision="main")\n'
              f'q = AutoModel.from_pretrained("Qwen/Qwen3-Coder-30B-A3B-Instruct")  # id 123e4567-e89b-12d3-a456-426614174000\n'
              f'!pip install torch==2.1.0 --hash=sha256:{"ab" * 32}\n'
              f'p = AutoModel.from_pretrained("org/pinned", revision="{rev}")  # StableDiffusionXLInstructPix2PixPipeline')
    assert mask.mask_text(source) == source
    text = render(api.lint_notebook(nb(source), Config()), "text")
    for readable in ("meta-llama/Llama-2-7b-chat-hf", "Qwen/Qwen3-Coder-30B-A3B-Instruct",
                     "AutoModelForSequenceClassification", "123e4567-e89b-12d3-a456-426614174000"):
        assert readable in text, readable


def test_fix_diff_masks_a_secret_in_a_comment_on_both_sides(tmp_path):
    secret = "q7Ld9Xk2ZtVb8NwR3yHs5PfJm1aC6uEo4GiK0zTe"
    hf = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb(f'login(token="{hf}")  # old key {secret}')))
    config = Config()
    (item, result), = list(api.iter_fixes([str(path)], config, for_diff=True))
    diff = api.fix_diff(result, config)
    assert "os.environ" in diff
    assert secret not in diff and hf not in diff


def test_error_lines_are_masked(tmp_path):
    secret = "q7Ld9Xk2ZtVb8NwR3yHs5PfJm1aC6uEo4GiK0zTe"
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps({"nbformat": secret, "cells": []}))
    report = api.lint_paths([str(path)], Config())
    assert report.errors, "a notebook with a bad nbformat field is an error"
    out = _outputs(report) + "\n".join(str(e) for e in report.errors)
    assert secret not in out


def test_every_surface_of_the_cli_and_server_masks_the_issue_17_cases(tmp_path):
    """The same notebook through every way out: each CLI format, the baseline file, ``fix --diff``
    and the JupyterLab server's JSON reply."""
    from helpers import run

    from nbguard.server.handlers import NbguardState

    creds = credentials(random.Random(1717))
    notebook = nb(*placements(creds))
    notebook["metadata"]["papermill"] = {"parameters": {"aws_secret_access_key": creds["aws_secret"]}}
    path = tmp_path / "leaky.ipynb"
    path.write_text(json.dumps(notebook))
    seen = []
    for fmt in FORMATS:
        rc, out, err = run("lint", path, "--format", fmt, "--no-cache")
        assert rc == 1, (fmt, err)
        seen += [out, err]
    baseline = tmp_path / "baseline.json"
    rc, out, err = run("baseline", "create", path, "--output", baseline)
    seen += [out, err, baseline.read_text()]
    rc, out, err = run("fix", path, "--diff")
    assert "os.environ" in out
    seen += [out, err]
    reply = NbguardState(str(tmp_path), 10**7, 10**4).lint(json.dumps(
        {"path": "leaky.ipynb", "cells": notebook["cells"], "metadata": notebook["metadata"]}).encode())
    assert reply["findings"]
    seen.append(json.dumps(reply))
    assert _leaks("\n".join(seen), creds) == []
    assert json.loads(path.read_text()) == notebook, "fix --diff never writes the notebook"


# Found by an adversarial pass (2026-12-07): each shape printed whole, or mostly, beside another finding.
_PASSPHRASE = "correct horse battery staple"
_PUNCTUATED = "Xy7;q(w)e{r}t[y],9zB"


@pytest.mark.parametrize("source, secret, select", [
    # a quoted value is masked whole: spaces and ; ( ) { } [ ] , inside it
    (f'import requests\ndb_password = "{_PASSPHRASE}"; r = requests.get("https://x.org", verify=False, timeout=5)',
     "horse battery staple", None),
    (f'import requests\nr = requests.get("https://x.org", verify=False, timeout=5)  # db_password="{_PUNCTUATED}"',
     _PUNCTUATED, None),
    # a value split over lines: every line of the secret finding is masked wherever it is shown
    ('import requests\nr = requests.post("https://x.org/v1", timeout=5,\n'
     '                  headers={"X-Api-Key": "Rk3vQ9xT"\n                             "9yZI60sJqTEugnPucb"}, verify=False)',
     "9yZI60sJqTEugnPucb", None),
    # with the secrets category off, the line-wide net still catches what HTTP clients are handed
    ('import requests\nr = requests.get("https://x.org", auth=("admin", "Zq8!vN2#pL"), verify=False, timeout=5)',
     "Zq8!vN2#pL", ["insecure-network"]),
    ('import requests\nr = requests.get("https://x.org", headers={"Authorization": '
     '"Bearer s9q4ugnucbasu2zuzeeu3hqn84wql8nt"}, verify=False, timeout=5)',
     "s9q4ugnucbasu2zuzeeu3hqn84wql8nt", ["insecure-network"]),
    # generated single-case secrets: a session cookie, an API key in query parameters
    ('import requests\nr = requests.get("https://x.org", cookies={"sessionid": "vg8fpobpzer9eebasw54jg6ue6lljjut"}, '
     'verify=False, timeout=5)', "vg8fpobpzer9eebasw54jg6ue6lljjut", None),
    ('import requests\nr = requests.get("https://x.org", params={"key": "g6sinj8cu9nlt18kdpqe219q8283azvkq5b0bdw"}, '
     'verify=False, timeout=5)', "g6sinj8cu9nlt18kdpqe219q8283azvkq5b0bdw", None),
])
def test_secrets_of_every_shape_beside_another_finding_are_masked(source, secret, select):
    report = api.lint_notebook(nb(source), Config(select=select) if select else Config())
    assert any(f.rule == "NBG401" for f in report.findings)
    out = _outputs(report)
    assert secret not in out
    assert all(part not in out for part in secret.split() if len(part) > 5)


def test_readable_words_after_auth_schemes_stay_readable():
    line = 'print("Basic authentication is off; use Bearer tokens", auth_type="basic auth", max_tokens=512)'
    assert mask.mask_text(line) == line


def test_fix_errors_are_masked(tmp_path, capsys):
    from nbguard.cli import main

    secret = "sk-proj-" + "Gejkc5bJq7Ld9Xk2ZtVb8NwR3yHs5PfJm1aC6uEo4GiK0zTe"
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps({"nbformat": secret, "cells": []}))
    for argv in (["fix", str(path)], ["fix", "--diff", str(path)]):
        main(argv)
        err = capsys.readouterr().err
        assert "not a notebook" in err and secret not in err


def test_a_hyphenated_word_ending_in_key_is_not_an_option():
    line = "apt-key fetches a signing key over plaintext http://example.com; my-token refreshes daily"
    assert mask.mask_text(line) == line
    assert "hunter22x" not in mask.mask_text("mysql --password hunter22x db")


# A second adversarial pass (2026-12-07): shapes the line-wide net missed with NBG102 off,
# and places a secret reached the screen by another way.
_PW = "Tr0ub4dorXq7"


@pytest.mark.parametrize("line", [
    f'os.environ["DB_PASSWORD"] = "{_PW}"',
    f'x = os.getenv("DB_PASSWORD", "{_PW}")',
    f'os.environ.setdefault("API_TOKEN", "{_PW}")',
    f'spark.conf.set("fs.azure.account.key.acct.dfs.core.windows.net", "{_PW}")',
    f'auth = HTTPBasicAuth(user, "{_PW}")',
    f'db_password = """{_PW}"""',
    f'password: str = "{_PW} and more"',
    f'ok = (password := "{_PW}")',
    f'password = b"{_PW}"',
    f'setattr(cfg, "password", "{_PW}")',
])
def test_the_net_masks_named_credentials_with_the_secret_rules_off(line):
    source = f"import requests, os\n{line}; r = requests.get('https://x.org', verify=False, timeout=5)"
    report = api.lint_notebook(nb(source), Config(ignore=["secrets"]))
    assert [f.rule for f in report.findings] == ["NBG401"]
    assert _PW not in _outputs(report)


@pytest.mark.parametrize("line, secret", [
    ('requests.post("https://api.telegram.org/bot6209123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage", '
     'data=d, verify=False)', "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    # an Azure DevOps personal access token as the user name of a pip VCS URL (NBG603's finding)
    ("!pip install git+https://2ibyq3m7x4kd5wnp6ts2hvdd7gzba4z3jxqkeulzqp7yr5f4cmia@dev.azure.com/org/p/_git/r",
     "2ibyq3m7x4kd5wnp6ts2hvdd7gzba4z3jxqkeulzqp7yr5f4cmia"),
])
def test_tokens_inside_urls_are_masked(line, secret):
    report = api.lint_notebook(nb(f"import requests\n{line}"), Config())
    assert {f.rule for f in report.findings} & {"NBG401", "NBG603"}
    assert secret not in _outputs(report) and secret[8:24] not in _outputs(report)
    assert "https://github.com/org/repo" == mask.mask_text("https://github.com/org/repo")


def test_a_huge_line_is_masked_around_the_shown_window():
    """Over MAX_SCANNED_LINE a line is shown as a window around the finding: a credential whose name,
    or whose first characters, lie just outside the window is still masked."""
    token = "Qm8Zt2Vx9Lk4Pw7Rn3Yb6Hc1Jd5Fg0SaEu"
    phrase = "Tr0ub4dor Xq7 correct horse battery staple"
    call = "; r = requests.get('https://x.org', verify=False, timeout=5)"
    # near the end of the line the window is its last 240 characters: it starts 5 characters into
    # the phrase, whose name is cut off, or 16 into the token, whose last 18 show
    for middle, secret in ((f' password = "{phrase}" ' + "y" * 140, "horse battery staple"),
                           (f" {token} " + "y" * 160, token[-18:])):
        source = "import requests\nblob = '" + "x" * 25_000 + middle + "'" + call
        report = api.lint_notebook(nb(source), Config())
        assert [f.rule for f in report.findings] == ["NBG401"]
        assert secret not in _outputs(report)


def test_fix_diff_masks_a_suppressed_secret_too(tmp_path):
    """A suppression stops the report, not the masking: a key only NBG102 knows (a positional
    credential, no name, too short to look generated) stays masked on the diff's lines."""
    key = "Tr0ub4dorXq7abc"
    assert mask.mask_text(f'co = cohere.Client("{key}")') == f'co = cohere.Client("{key}")'
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb(f'import yaml, cohere\nco = cohere.Client("{key}")  # nbguard: ignore[NBG102]\n'
                                  f'c = yaml.load(f)')))
    config = Config()
    (item, result), = list(api.iter_fixes([str(path)], config, for_diff=True))
    diff = api.fix_diff(result, config)
    assert "safe_load" in diff and "cohere.Client" in diff and key not in diff


def test_a_fix_that_would_carry_a_credential_is_not_offered(tmp_path):
    source = 'import yaml, requests\ncfg = yaml.load(requests.get("https://admin:38AiQw9Zk2@cfg.example.com/c.yaml").text)'
    notebook = nb(source)
    report = api.lint_notebook(notebook, Config())
    assert any(f.rule == "NBG504" for f in report.findings)
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    (item, result), = list(api.iter_fixes([str(path)], Config(), for_diff=True))
    assert not result.changed  # the rewrite would hold the URL's password: left to a person


def test_a_path_argument_with_a_password_is_masked_in_its_error():
    report = api.lint_paths(["https://ci:Xq7RvB2mLw9s@nb.corp.io/a.ipynb"], Config())
    assert report.errors and all("Xq7RvB2mLw9s" not in f"{e.path} {e}" for e in report.errors)
