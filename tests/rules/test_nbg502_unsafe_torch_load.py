import pytest
from helpers import lint, nb

from nbguard.model import Severity

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG502").findings]


@pytest.mark.parametrize("source, severity", [
    ("import torch\nsd = torch.load('model.pt')", M),
    ("import torch\nsd = torch.load('model.pt', map_location='cpu')", M),
    ("import torch\nsd = torch.load('model.pt', weights_only=False)", H),
    ("import torch\nsd = torch.load('model.pt', weights_only=0)", H),
    ("import torch\nsd = torch.load('model.pt', **{'weights_only': False})", H),
    ("import torch, dill\nsd = torch.load('model.pt', 'cpu', dill)", H),
    ("import torch, dill\nsd = torch.load('model.pt', pickle_module=dill)", H),
    ("from torch import load as tl\nsd = tl('model.pt')", M),
    ("import torch as T\nsd = T.serialization.load('model.pt')", M),
    ("import torch\nf = torch.load\nsd = f('model.pt', weights_only=False)", H),
    ("import torch\nsd = torch.load(path, **opts)", L),
])
def test_unsafe_torch_load(source, severity):
    assert found(source) == [("NBG502", 0, source.count("\n") + 1, severity)]


def test_constant_weights_only_false_from_earlier_cell():
    assert found("WO = False", "import torch\nsd = torch.load('m.pt', weights_only=WO)") == [("NBG502", 1, 2, H)]


@pytest.mark.parametrize("source", [
    "import torch\nsd = torch.load('model.pt', weights_only=True)",
    "import torch\nsd = torch.load('model.pt', **{'weights_only': True})",
    "import torch\nsd = torch.load('model.pt', weights_only=args.safe)",  # unknown: benefit of the doubt
    "import torch\ntorch.save(model.state_dict(), 'model.pt')",
    "import torch\nm = torch.jit.load('model.pt')",
    "import numpy as np\na = np.load('a.npy')",
    "from safetensors.torch import load_file\nsd = load_file('model.safetensors')",
])
def test_safe(source):
    assert found(source) == []


WO_CONST = "WEIGHTS_ONLY = True"


def test_weights_only_constant_is_fine():
    assert found(WO_CONST, "import torch\nsd = torch.load('m.pt', weights_only=WEIGHTS_ONLY)") == []


def test_self_saved_checkpoint_is_low():
    (f,) = lint(nb("import torch\ntorch.save(model.state_dict(), 'ckpt.pt')",
                   "model.load_state_dict(torch.load('ckpt.pt'))"), "NBG502").findings
    assert (f.cell, f.line, f.severity) == (1, 1, L) and "written by this notebook" in f.message


def test_torch_26_pin_lowers_missing_weights_only():
    assert found("%pip install torch==2.6.0 torchvision", "import torch\nsd = torch.load('m.pt')") \
        == [("NBG502", 1, 2, L)]
    assert found("!pip install 'torch>=2.7'", "import torch\nsd = torch.load('m.pt')") == [("NBG502", 1, 2, L)]
    assert found("%pip install torch==2.5.1", "import torch\nsd = torch.load('m.pt')") == [("NBG502", 1, 2, M)]
    # an explicit weights_only=False stays high whatever the version
    assert found("%pip install torch==2.6.0", "import torch\nsd = torch.load('m.pt', weights_only=False)") \
        == [("NBG502", 1, 2, H)]


@pytest.mark.parametrize("toggle", [
    "%env TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1",
    "import os\nos.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] = '1'",
    "import os\nos.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')",
])
def test_env_toggle_is_high_and_taints_later_loads(toggle):
    n = toggle.count("\n") + 1
    assert found(toggle, "import torch\nsd = torch.load('m.pt')") == [("NBG502", 0, n, H), ("NBG502", 1, 2, H)]


@pytest.mark.parametrize("patch", [
    "import torch, functools\ntorch.load = functools.partial(torch.load, weights_only=False)",
    "import torch\nfrom functools import partial\ntorch.load = partial(torch.load, weights_only=False)",
    "import torch\n_orig = torch.load\ndef _load(*a, **kw):\n    kw.setdefault('weights_only', False)\n"
    "    return _orig(*a, **kw)\ntorch.load = _load",
])
def test_monkeypatch_is_high_and_taints_later_loads(patch):
    n = patch.count("\n") + 1
    f = lint(nb(patch, "import torch\nsd = torch.load('m.pt')"), "NBG502").findings
    assert [(x.cell, x.line, x.severity) for x in f][-2:] == [(0, n, H), (1, 2, H)]
    assert "patched" in f[-1].message


def test_wrapper_setting_weights_only_false():
    src = ("import torch\n_orig = torch.load\ndef _load(*a, **kw):\n    kw.setdefault('weights_only', False)\n"
           "    return _orig(*a, **kw)\ntorch.load = _load")
    f = lint(nb(src), "NBG502").findings
    assert [(x.line, x.severity) for x in f] == [(5, H), (6, H)]
    assert "inside _load()" in f[0].message


def test_safe_monkeypatch_is_fine():
    assert found("import torch, functools\ntorch.load = functools.partial(torch.load, weights_only=True)",
                 "import torch\nsd = torch.load('m.pt')") == [("NBG502", 1, 2, M)]


def test_weights_only_false_in_kwargs_from_earlier_cell_is_reported_on_this_call():
    report = lint(nb("OPTS = {'map_location': 'cpu', 'weights_only': False}",
                     "import torch\n\nsd = torch.load('m.pt', **OPTS)"), "NBG502")
    assert [(f.cell, f.line, f.severity) for f in report.findings] == [(1, 3, H)]


# check_call runs only for calls named load/setdefault (Rule.call_names); the path facts it
# reads are fed by the engine from every call, whatever its name, and only from earlier calls.
@pytest.mark.parametrize("cells, severity", [
    (["import torch\ntorch.save(model.state_dict(), 'm.pt')", "sd = torch.load('m.pt')"], L),
    (["import torch, os\nos.system('wget -O m.pt http://x.org/m.pt')\nsd = torch.load('m.pt')"], M),
    (["import torch, shutil\nshutil.copy(src, 'ckpt/m.pt')\ntorch.save(m, 'out/m.pt')", "sd = torch.load('out/m.pt')"], L),
])
def test_path_facts_from_calls_the_rule_does_not_check(cells, severity):
    assert [f[3] for f in found(*cells)] == [severity]


def test_aliased_and_object_calls_still_checked():
    assert found("import torch.serialization as ser\nsd = ser.load('m.pt')") == [("NBG502", 0, 2, M)]
    assert found("import os\nos.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')")[0][3] == H


def test_a_job_script_resuming_its_checkpoint_is_not_reported_but_a_download_is():
    resume = "%%writefile trainer/main.py\nimport torch\nstate = torch.load('/tmp/checkpoint.pth.tar')\n"
    assert found(resume) == []
    assert [f[0] for f in found(resume.split("\n", 1)[1])] == ["NBG502"]  # the same load in the kernel
    fetched = ("%%writefile job.py\nimport torch, urllib.request\n"
               "urllib.request.urlretrieve('https://example.com/w.pt', 'w.pt')\nsd = torch.load('w.pt')\n")
    assert [f[0] for f in found(fetched)] == ["NBG502"]


def test_a_checkpoint_saved_just_above_in_the_same_cell_is_not_reported():
    # rasbt/LLMs-from-scratch: save, rebuild the module, load what was just saved
    cell = ("import torch\ntorch.save(m.state_dict(), 'model.pth')\n\nm2 = M()\n"
            "m2.load_state_dict(torch.load('model.pth'))")
    assert found(cell) == []
    assert found(cell, "m3.load_state_dict(torch.load('model.pth'))") == [("NBG502", 1, 1, L)]  # a later cell
    guarded = "import torch\nif save:\n    torch.save(m, 'model.pth')\nm2 = torch.load('model.pth')"
    assert found(guarded) == [("NBG502", 0, 4, L)]
    other = "import torch\ntorch.save(m, 'other.pth')\nm2 = torch.load('model.pth')"
    assert found(other) == [("NBG502", 0, 3, M)]
