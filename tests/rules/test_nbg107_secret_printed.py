import pytest
from helpers import code, lint, md, nb, stream


def found(notebook):
    return [(f.cell, f.line, f.severity.label) for f in lint(notebook, "NBG107").findings]


@pytest.mark.parametrize("source, line", [
    ('import os\nprint(os.environ["HF_TOKEN"])', 2),
    ('import os\nprint(os.getenv("OPENAI_API_KEY"))', 2),
    ('import os\ntoken = os.environ.get("WANDB_API_KEY")\nprint("key:", token)', 3),
    ('import os\ntok = os.environ["HF_TOKEN"]\nprint(f"using {tok}")', 3),
    ('import os\ntok = os.environ["HF_TOKEN"]\nprint("using " + tok)', 3),
    ('import os\ntok = os.environ["HF_TOKEN"]\nprint("using {}".format(tok))', 3),
    ('import os\ntok = os.environ["HF_TOKEN"]\nprint("using %s" % tok)', 3),
    ('import getpass\npw = getpass.getpass("DB password: ")\nprint(pw)', 3),
    ('from getpass import getpass\npw = getpass()\npw', 3),
    ('from google.colab import userdata\nkey = userdata.get("OPENAI_KEY")\ndisplay(key)', 3),
    ('from google.colab import userdata\nuserdata.get("OPENAI_KEY")', 2),
    ('from kaggle_secrets import UserSecretsClient\ns = UserSecretsClient().get_secret("hf")\nprint(s)', 3),
    ('import logging\nimport os\nlogging.info("token=%s", os.environ["HF_TOKEN"])', 3),
    ('import openai\nprint(openai.api_key)', 2),
    ('!echo $HF_TOKEN', 1),
    ('!echo "key: ${OPENAI_API_KEY}"', 1),
    ('!printenv WANDB_API_KEY', 1),
    ('%env HF_TOKEN', 1),
    ('%%bash\necho $AWS_SECRET_ACCESS_KEY', 2),
])
def test_secret_printed(source, line):
    assert found(nb(source)) == [(0, line, "medium")]


def test_name_followed_across_cells():
    notebook = nb('import os\ntoken = os.environ["HF_TOKEN"]', "x = 1", "print(token)")
    assert found(notebook) == [(2, 1, "medium")]


def test_ipython_expansion_of_a_python_secret():
    notebook = nb("from getpass import getpass\npw = getpass()", "!echo {pw}", "!echo $pw")
    assert found(notebook) == [(1, 1, "medium"), (2, 1, "medium")]


def test_saved_output_makes_it_high():
    notebook = nb(code('import os\nprint(os.environ["HF_TOKEN"])', outputs=[stream("hf_notreal\n")]))
    assert found(notebook) == [(0, 2, "high")]


@pytest.mark.parametrize("source", [
    'import os\nprint(os.environ["CUDA_VISIBLE_DEVICES"])',
    'import os\nprint(os.getenv("HF_HOME"))',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint(tok[:4] + "...")',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint(len(tok))',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint("token set:", bool(tok))',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint("set" if tok else "missing")',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint(tok is not None)',
    'import os\ntok = os.environ["HF_TOKEN"]\ntok;',
    'import os\ntok = os.environ["HF_TOKEN"]\nlogin(token=tok)',
    'import os\ntok = os.environ["HF_TOKEN"]\nprint(f"{tok:.4}")',
    'print(tokenizer.pad_token)',
    'print(tokenizer.eos_token, tokenizer.eos_token_id)',
    'token = "[CLS]"\nprint(token)',
    'print(max_tokens)',
    'from google.colab import userdata\nkey = userdata.get("OPENAI_KEY")\nclient = OpenAI(api_key=key)',
    '!echo $HF_HOME',
    '!echo $HF_TOKEN > ~/.cache/huggingface/token',
    '!echo $HF_TOKEN | huggingface-cli login --token-stdin',
    '%env HF_HOME',
])
def test_not_secret_printed(source):
    assert found(nb(source)) == []


def test_markdown_not_code():
    assert found(nb(md('print(os.environ["HF_TOKEN"])'))) == []


@pytest.mark.parametrize("source", [
    '%%writefile task.py\nimport os\ntoken = os.environ["HF_TOKEN"]\nprint(f"token {token}")',
    '%%capture\nimport os\nprint(os.environ["HF_TOKEN"])',
    '%%writefile run.sh\necho $HF_TOKEN',
])
def test_output_not_in_the_notebook(source):
    assert found(nb(source)) == []


@pytest.mark.parametrize("source, line", [
    ('import os\nfrom pprint import pprint as show\nshow(os.environ["HF_TOKEN"])', 3),
    ('import os, logging\nlog = logging.getLogger(__name__)\nlog.info(os.environ["HF_TOKEN"])', 3),
    ('import os, sys\nsys.stdout.write(os.environ["HF_TOKEN"])', 2),
])
def test_aliased_show_calls(source, line):
    assert [x[:2] for x in found(nb(source))] == [(0, line)]
