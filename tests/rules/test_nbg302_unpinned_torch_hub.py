import pytest
from helpers import lint, nb

from nbguard.model import Severity

SHA = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG302").findings]


@pytest.mark.parametrize("source, severity", [
    ('import torch\nm = torch.hub.load("ultralytics/yolov5", "yolov5s")', Severity.HIGH),
    ('import torch\nm = torch.hub.load("pytorch/vision:main", "resnet18")', Severity.HIGH),
    ('import torch\nm = torch.hub.load("pytorch/vision:master", "resnet18")', Severity.HIGH),
    ('import torch\nm = torch.hub.load("facebookresearch/dino:my-feature", "dino_vits16")', Severity.HIGH),
    ('import torch\nm = torch.hub.load("pytorch/vision:v0.10.0", "resnet18")', Severity.MEDIUM),
    ('import torch\nm = torch.hub.load("pytorch/vision:v0.10.0", "resnet18", trust_repo=True)', Severity.HIGH),
    ('import torch\nm = torch.hub.load(repo, "resnet18", trust_repo=True)', Severity.MEDIUM),
    (f'import torch\nm = torch.hub.load("pytorch/vision:{SHA}", "resnet18", trust_repo=True)', Severity.LOW),
    ('import torch\nm = torch.hub.list("pytorch/vision", skip_validation=True)', Severity.HIGH),
    ('import torch\nprint(torch.hub.help("pytorch/vision", "resnet18"))', Severity.HIGH),
    ('from torch.hub import load as hl\nm = hl(repo_or_dir="snakers4/silero-vad", model="silero_vad")', Severity.HIGH),
    ('from torch import hub\nm = hub.load("snakers4/silero-vad", "silero_vad", source="github")', Severity.HIGH),
])
def test_unpinned_torch_hub(source, severity):
    assert found(source) == [("NBG302", 0, 2, severity)]


def test_repo_from_earlier_cell():
    assert found('REPO = "ultralytics/yolov5"', 'import torch\nm = torch.hub.load(REPO, "yolov5s")') \
        == [("NBG302", 1, 2, Severity.HIGH)]


@pytest.mark.parametrize("source", [
    f'import torch\nm = torch.hub.load("pytorch/vision:{SHA}", "resnet18")',
    f'import torch\nm = torch.hub.load("pytorch/vision:{SHA}", "resnet18", trust_repo="check")',
    'import torch\nm = torch.hub.load("./yolov5", "custom", source="local")',
    'import torch\nm = torch.hub.load("ultralytics/yolov5", "custom", source="local")',
    'import torch\nm = torch.hub.load(repo_dir, "yolov5s")',  # unknown repo, no flags
    'import torch\nsd = torch.hub.load_state_dict_from_url(url, check_hash=True)',
    'import mylib\nm = mylib.hub.loader("pytorch/vision")',
])
def test_pinned_or_local(source):
    assert found(source) == []
