"""Regenerate example_notebooks/ (run: python scripts/make_examples.py).

The examples look like real ML notebooks and, between them, trip every category.
Every credential in them is fake (made up for the demo) but has a real format.
"""

import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "example_notebooks")
META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7"}}
# Fake credentials, assembled so the source of this script is not itself a finding.
HF_TOKEN = "hf_" + "VfRtGbNhYuJmKiLoPzXsWqAeDcRfVtGbNh"
OPENAI_KEY = "sk-proj-" + "Tq3vX9bK2mN7pL4sR8wY1zC6fH5jD0gA2eU7iO3kM9nB4vQ"
WANDB_KEY = "3f9a1c7e5b2d4f6a8c0e9b7d5f3a1c2e4b6d8f0a"


def cell(src, outputs=None, count=None, **meta):
    c = new_code_cell(src, metadata=meta)
    c.outputs = outputs or []
    c.execution_count = count
    return c


def stream(text):
    return new_output("stream", name="stdout", text=text)


def finetune():
    nb = new_notebook(metadata=META)
    nb.cells = [
        new_markdown_cell("# Fine-tuning a small LLM on support tickets\n\nQuick experiment, do not share."),
        cell("%pip install -q transformers datasets accelerate peft==0.11.1\n"
             "!pip install git+https://github.com/huggingface/trl.git", count=1),
        cell("from huggingface_hub import login\nimport wandb\n\n"
             f'login(token="{HF_TOKEN}")\n'
             f"%env WANDB_API_KEY={WANDB_KEY}", count=2),
        cell('from transformers import AutoModelForCausalLM as LM, AutoTokenizer\n\n'
             'BASE = "mistralai/Mistral-7B-v0.1"\n'
             'tokenizer = AutoTokenizer.from_pretrained(BASE, revision="main")\n'
             'tokenizer.pad_token = "[PAD]"\n'
             'model = LM.from_pretrained(BASE, trust_remote_code=True)', count=3),
        cell("import torch\n\nstate = torch.load(\"adapter_checkpoint.pt\")\nmodel.load_state_dict(state, strict=False)",
             count=4),
        cell('from openai import OpenAI\n\nclient = OpenAI()\nprint("using key", client.api_key)',
             outputs=[stream(f"using key {OPENAI_KEY}\n")], count=5),
        cell("import yaml\n\nwith open(\"train_config.yaml\") as fh:\n    cfg = yaml.load(fh, Loader=yaml.Loader)",
             count=6),
    ]
    return nb


def pipeline():
    nb = new_notebook(metadata=META)
    nb.cells = [
        new_markdown_cell("# Churn data pipeline\n\nPulls the nightly export, joins CRM data, trains a baseline."),
        cell('DATA_URL = "http://data.example-corp.com/exports/churn.csv"', count=1),
        cell("import pandas as pd\n\ndf = pd.read_csv(DATA_URL)\ndf.head()", count=2,
             outputs=[new_output("execute_result", execution_count=2, data={"text/plain": (
                 "   customer_id              email        phone           ssn  churned\n"
                 "0        10231  jane.doe@gmail.com  415-555-0132  536-22-8841        0\n"
                 "1        10232  r.smith@outlook.com  212-555-0187  219-09-9999        1")})]),
        cell("import requests\n\nsession = requests.Session()\n"
             'resp = session.get("https://crm.internal-corp.net/api/accounts", verify=False)\n'
             "accounts = resp.json()", count=3),
        cell('from sqlalchemy import create_engine\n\n'
             'engine = create_engine("postgresql://analyst:Winter2024!@db.internal-corp.net:5432/crm?sslmode=disable")',
             count=4),
        cell("import pickle\n\nwith open(\"features.pkl\", \"rb\") as fh:\n    features = pickle.load(fh)", count=5),
        cell("!curl -fsSL https://get.example-tools.sh | bash", count=6),
        cell('import gradio as gr\n\ndemo = gr.Interface(fn=lambda x: x, inputs="text", outputs="text")\n'
             "demo.launch(share=True)", count=7),
    ]
    return nb


def clean():
    nb = new_notebook(metadata=META)
    nb.cells = [
        new_markdown_cell("# The same work, done safely\n\nnbguard reports nothing here."),
        cell("%pip install -q transformers==4.46.3 datasets==3.1.0", count=1),
        cell("import os\nfrom huggingface_hub import login\n\nlogin(token=os.environ[\"HF_TOKEN\"])", count=2),
        cell('from transformers import AutoModelForCausalLM, AutoTokenizer\n\n'
             'BASE = "mistralai/Mistral-7B-v0.1"\n'
             'REV = "7231864981174d9bee8c7687c24c8344414eae6b"  # pinned commit\n'
             'tokenizer = AutoTokenizer.from_pretrained(BASE, revision=REV)\n'
             'tokenizer.pad_token = "[PAD]"\n'
             'model = AutoModelForCausalLM.from_pretrained(BASE, revision=REV)', count=3),
        cell('import torch\n\nstate = torch.load("adapter_checkpoint.pt", weights_only=True)', count=4),
        cell('import pandas as pd\n\ndf = pd.read_csv("https://data.example-corp.com/exports/churn.csv")\n'
             'sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"', count=5),
        cell('import yaml\n\ncfg = yaml.safe_load(open("train_config.yaml"))', count=6),
    ]
    return nb


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, make in (("llm_finetune.ipynb", finetune), ("churn_pipeline.ipynb", pipeline),
                       ("clean_finetune.ipynb", clean)):
        nb = make()
        for i, c in enumerate(nb.cells):
            c.id = f"{name.split('.')[0][:12]}-{i}"
        nbformat.validate(nb)
        nbformat.write(nb, os.path.join(OUT, name))
        print("wrote", name)
