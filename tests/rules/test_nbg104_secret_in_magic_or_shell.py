import pytest
from helpers import lint, md, nb

KEY = "a8f3K2j9d8s7F6g5h4j3q9"
WANDB = "3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d1e3f5a7b"
PW = "Xy7pQ2rZ-9"


def found(notebook):
    return [(f.cell, f.line) for f in lint(notebook, "NBG104").findings]


@pytest.mark.parametrize("source, line", [
    (f"%env WANDB_API_KEY={WANDB}", 1),
    (f"import os\n%env OPENAI_API_KEY {KEY}", 2),
    (f'%env HF_TOKEN="{KEY}"', 1),
    (f"%set_env KAGGLE_KEY {WANDB[:32]}", 1),
    (f"!export HF_TOKEN={KEY}", 1),
    (f"%%bash\nset -e\nexport OPENAI_API_KEY='{KEY}'\npython run.py", 3),
    (f"%%sh\nWANDB_API_KEY={WANDB} python train.py", 2),
    (f"!huggingface-cli login --token {KEY}", 1),
    (f"!huggingface-cli login --token={KEY} --add-to-git-credential", 1),
    (f"!hf auth login --token {KEY}", 1),
    (f"!wandb login {WANDB}", 1),
    (f"!wandb login --relogin {WANDB}", 1),
    (f"!python run_clm.py --model_name_or_path gpt2 --push_to_hub --hub_token {KEY}", 1),
    (f"!kaggle config set -n key -v {WANDB[:32]}", 1),
    (f"!aws configure set aws_secret_access_key {KEY}", 1),
    (f'!curl -H "Authorization: Bearer {KEY}" https://api.example.io/v1/models', 1),
    (f"!curl -u admin:{PW} https://registry.corp.example.com/v2/", 1),
    (f"!docker login -u bot -p {PW} registry.corp.example.com", 1),
    (f"!echo {KEY} | gh auth login --with-token", 1),
    ('!mkdir -p ~/.kaggle\n!echo \'{"username":"alice","key":"' + WANDB[:32] + '"}\' > ~/.kaggle/kaggle.json', 2),
    (f'!echo "machine api.wandb.ai login user password {WANDB}" >> ~/.netrc', 1),
    (f'import os\nos.system("export HF_TOKEN={KEY} && python up.py")', 2),
])
def test_secret_in_magic_or_shell(source, line):
    assert found(nb(source)) == [(0, line)]


@pytest.mark.parametrize("source", [
    "%env",
    "%env HF_TOKEN",
    "%env HF_TOKEN=$MY_TOKEN",
    "%env HF_TOKEN={token}",
    "%env CUDA_VISIBLE_DEVICES=0",
    "%env GOOGLE_APPLICATION_CREDENTIALS ''",
    "%env GOOGLE_APPLICATION_CREDENTIALS your_path_to_credentials.json",
    "%env GOOGLE_APPLICATION_CREDENTIALS=/content/sa-key.json",
    "%env OPENAI_API_KEY=YOUR_API_KEY",
    "!export HF_TOKEN=$(cat ~/.hf_token)",
    "!export MODEL_NAME=gpt2",
    "%%bash\nexport PROJECT=$(gcloud config list project --format 'value(core.project)')",
    "!huggingface-cli login --token $HF_TOKEN",
    "!huggingface-cli login --token {hf_token}",
    "!huggingface-cli login",
    "!wandb login",
    "!wandb login $WANDB_API_KEY",
    "!python generate.py --max_new_tokens 200 --pad_token 0",
    "!python train.py --use_auth_token --output_dir out",
    '!curl -H "Content-Type: application/json" https://api.example.io',
    '!curl -H "Authorization: Bearer $TOKEN" https://api.example.io',
    "!kaggle datasets download -d org/data",
    "!echo 'hello' > notes.txt",
])
def test_not_secret_in_magic_or_shell(source):
    assert found(nb(source)) == []


def test_markdown_shell_sample_is_not_a_shell_line():
    assert found(nb(md(f"```bash\nexport HF_TOKEN={KEY}\n```"))) == []


def test_value_masked():
    report = lint(nb(f"%env WANDB_API_KEY={WANDB}"), "NBG104")
    (f,) = report.findings
    assert (f.line, f.column) == (1, 20)
    assert WANDB not in report.to_json() and WANDB not in report.to_text()


@pytest.mark.parametrize("source, line", [
    (f"!dvc remote modify --local storage secret_access_key {KEY}", 1),
    (f"%%bash\ndvc remote add -d storage azure://c/path\ndvc remote modify storage account_key {KEY}", 3),
    (f"!dvc remote modify -l myremote password {PW}", 1),
])
def test_dvc_remote_credentials(source, line):
    assert found(nb(source)) == [(0, line)]


@pytest.mark.parametrize("source", [
    "!dvc remote modify storage endpointurl https://s3.eu-central-1.amazonaws.com",
    "!dvc remote modify --local storage secret_access_key $AWS_SECRET_ACCESS_KEY",
    "!dvc remote modify storage credentialpath ~/.aws/credentials",
])
def test_dvc_remote_settings_that_are_not_credentials(source):
    assert found(nb(source)) == []


@pytest.mark.parametrize("source", [
    "!ngrok authtoken 2Xy8BUSZGi6HWGK10Zb0RLZ5TR9SPof_bciOx9gy1CJdObO",
    "!ngrok config add-authtoken 2Xy8BUSZGi6HWGK10Zb0RLZ5TR9SPof_bciOx9gy1CJdObO",
])
def test_ngrok_authtoken(source):
    assert found(nb(source)) == [(0, 1)]


def test_ngrok_authtoken_from_the_environment():
    assert found(nb("!ngrok config add-authtoken $NGROK_AUTHTOKEN")) == []
