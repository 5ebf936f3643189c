import pytest
from helpers import lint, md, nb


def found(notebook):
    return [(f.cell, f.line) for f in lint(notebook, "NBG106").findings]


@pytest.mark.parametrize("source, line", [
    ("!cat ~/.aws/credentials", 1),
    ("!cat ~/.netrc", 1),
    ("!cat ~/.cache/huggingface/token", 1),
    ("!mkdir -p ~/.kaggle\n!cp kaggle.json ~/.kaggle/\n!cat ~/.kaggle/kaggle.json", 3),
    ("!cat .env", 1),
    ("!cat /content/drive/MyDrive/project/.env.local", 1),
    ("!head -n 3 $HOME/.aws/credentials", 1),
    ("!cat ~/.config/gcloud/application_default_credentials.json", 1),
    ("!cat ~/.ssh/id_ed25519", 1),
    ("%%bash\nset -e\ncat ~/.git-credentials", 3),
    ("%pycat .env", 1),
    ("%load ~/.aws/credentials", 1),
    ('print(open(".env").read())', 1),
    ('import os\nprint(open(os.path.expanduser("~/.kaggle/kaggle.json")).read())', 2),
    ('from pathlib import Path\nPath.home().joinpath(".netrc").read_text()', 2),
    ('from pathlib import Path\n(Path.home() / ".cache" / "huggingface" / "token").read_text()', 2),
    ('import json\nwith open("kaggle.json") as f:\n    print(json.load(f))', 3),
    ('f = open("/root/.aws/credentials")\ntext = f.read()\nprint(text)', 3),
    ('from dotenv import dotenv_values\nprint(dotenv_values())', 2),
    ('from dotenv import dotenv_values\ndotenv_values(".env")', 2),
])
def test_credential_file_displayed(source, line):
    assert found(nb(source)) == [(0, line)]


@pytest.mark.parametrize("source", [
    "!ls ~/.aws",
    "!ls -l ~/.kaggle/kaggle.json",
    "!chmod 600 ~/.kaggle/kaggle.json",
    "!cp kaggle.json ~/.kaggle/",
    "!cat .env.example",
    "!cat requirements.txt",
    "!cat ~/.aws/credentials > /tmp/backup",
    "%env",
    'from dotenv import load_dotenv\nload_dotenv()',
    'data = open(".env").read()',
    'import json\nwith open("kaggle.json") as f:\n    creds = json.load(f)',
    'print(open("config.json").read())',
    'os.environ["KAGGLE_CONFIG_DIR"] = "/content"',
])
def test_not_credential_file_displayed(source):
    assert found(nb(source)) == []


def test_markdown_instructions_are_not_commands():
    assert found(nb(md("Run `!cat ~/.kaggle/kaggle.json` to check"))) == []


def test_path_is_not_masked_in_snippet():
    (f,) = lint(nb("!cat ~/.aws/credentials"), "NBG106").findings
    assert f.snippet == "!cat ~/.aws/credentials"
