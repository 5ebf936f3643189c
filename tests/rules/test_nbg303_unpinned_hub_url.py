import pytest
from helpers import codes, lint, nb

SHA = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG303"))


@pytest.mark.parametrize("source, line", [
    ("!wget https://huggingface.co/org/model/resolve/main/model.ckpt", 1),
    ("!wget -q -O m.bin https://huggingface.co/org/model/resolve/main/pytorch_model.bin", 1),
    ("x = 1\n!curl -L -o w.safetensors https://hf.co/org/m/resolve/v1.0/w.safetensors", 2),
    ("!wget https://huggingface.co/datasets/org/d/resolve/main/loader.py", 1),
    ("!huggingface-cli download org/model", 1),
    ("!hf download org/model config.json --local-dir m", 1),
    ("!huggingface-cli download org/model --revision main", 1),
    ("!huggingface-cli download org/model --revision=v2", 1),
    ("!git clone https://huggingface.co/org/model", 1),
    ("!git lfs install && git clone https://huggingface.co/spaces/org/demo", 1),
    ("%%bash\ngit clone https://huggingface.co/org/model", 2),
    ("import requests\nr = requests.get('https://huggingface.co/org/m/resolve/main/model.onnx')", 2),
    ("import urllib.request\nurllib.request.urlretrieve('https://huggingface.co/org/m/resolve/main/m.pt', 'm.pt')", 2),
    ("import torch\nsd = torch.hub.load_state_dict_from_url('https://huggingface.co/org/m/resolve/main/w.pth')", 2),
    ("from diffusers import StableDiffusionPipeline\n"
     "p = StableDiffusionPipeline.from_single_file('https://huggingface.co/org/m/blob/main/m.safetensors')", 2),
    ("from huggingface_hub import hf_hub_url\nu = hf_hub_url('org/m', 'model.bin')", 2),
    ("from huggingface_hub import hf_hub_url\nu = hf_hub_url('org/m', 'model.bin', revision='main')", 2),
])
def test_unpinned_hub_url(source, line):
    assert fired(source) == [("NBG303", 0, line)]


def test_url_constant_from_earlier_cell():
    (f,) = lint(nb("URL = 'https://huggingface.co/org/m/resolve/main/model.bin'",
                   "import wget\nwget.download(URL)"), "NBG303").findings
    assert (f.cell, f.line) == (1, 2) and "'URL' set in cell 1" in f.message and "model.bin" in f.message


@pytest.mark.parametrize("source", [
    f"!wget https://huggingface.co/org/model/resolve/{SHA}/model.ckpt",
    f"!huggingface-cli download org/model --revision {SHA}",
    f"!git clone https://huggingface.co/org/model && cd model && git checkout {SHA}",
    f"!git clone https://huggingface.co/org/model\n!git -C model checkout {SHA}",
    "!git clone https://huggingface.co/datasets/org/corpus",
    "!wget https://huggingface.co/datasets/huggingface/documentation-images/resolve/main/cats.png",
    "!wget https://huggingface.co/datasets/org/d/resolve/main/train.parquet",
    "!git clone https://github.com/org/repo",
    "!huggingface-cli login",
    "!huggingface-cli download $REPO",
    "print('https://huggingface.co/org/m/resolve/main/model.bin')",
    "from diffusers.utils import load_image\nimg = load_image('https://huggingface.co/org/m/resolve/main/x.png')",
    "from huggingface_hub import hf_hub_url\n"
    "u = hf_hub_url(repo_id='org/d', filename='issues.jsonl', repo_type='dataset')",
    f"from huggingface_hub import hf_hub_url\nu = hf_hub_url('org/m', 'model.bin', revision='{SHA}')",
    "# !wget https://huggingface.co/org/model/resolve/main/model.ckpt",
])
def test_pinned_or_not_a_model_download(source):
    assert fired(source) == []
