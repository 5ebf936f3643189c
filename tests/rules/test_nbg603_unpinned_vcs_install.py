import pytest
from helpers import codes, lint, nb, pointed_at

from nbguard.model import Severity

SHA = "a1d071733d7111c9c014f024669f959182114e33"


def found(*cells):
    notebook = nb(*cells)
    return [(f.line, pointed_at(notebook, f), f.severity, f.message) for f in lint(notebook, "NBG603").findings]


@pytest.mark.parametrize("source, text, severity, words", [
    ("!pip install -q git+https://github.com/huggingface/transformers.git",
     "git+https://github.com/huggingface/transformers.git", Severity.MEDIUM, "default branch"),
    ("!pip install -q -U git+https://github.com/huggingface/peft.git",
     "git+https://github.com/huggingface/peft.git", Severity.MEDIUM, "'github.com/huggingface/peft'"),
    ("!uv pip install git+https://github.com/xhinker/sd_embed.git@main",
     "git+https://github.com/xhinker/sd_embed.git@main", Severity.MEDIUM, "at 'main'"),
    ("!pip install git+https://github.com/org/repo@v1.2.0#egg=repo",
     "git+https://github.com/org/repo@v1.2.0#egg=repo", Severity.MEDIUM, "branch or tag"),
    ('!pip install "mylib @ git+ssh://git@github.com/org/mylib.git@release"',
     "git+ssh://git@github.com/org/mylib.git@release", Severity.MEDIUM, "'github.com/org/mylib'"),
    ("!pip install -e git+https://github.com/org/repo#egg=repo",
     "git+https://github.com/org/repo#egg=repo", Severity.MEDIUM, "default branch"),
    ("!pip install git+https://github.com/cocodataset/cocoapi#subdirectory=PythonAPI",
     "git+https://github.com/cocodataset/cocoapi#subdirectory=PythonAPI", Severity.MEDIUM, "default branch"),
    ("!pip install git+http://github.com/org/repo", "git+http://github.com/org/repo", Severity.HIGH, "plaintext"),
    ("%pip install -q git+git://github.com/seatgeek/fuzzywuzzy.git@0.18.0#egg=fuzzywuzzy --upgrade",
     "git+git://github.com/seatgeek/fuzzywuzzy.git@0.18.0#egg=fuzzywuzzy", Severity.HIGH, "plaintext"),
    ("!pip install git+https://github.com/org/repo@a1d0717", "git+https://github.com/org/repo@a1d0717",
     Severity.LOW, "abbreviated commit"),
    ("!pip install hg+https://hg.example.org/repo", "hg+https://hg.example.org/repo", Severity.MEDIUM,
     "default branch"),
    ("!pip install https://github.com/org/repo/archive/main.zip", "https://github.com/org/repo/archive/main.zip",
     Severity.MEDIUM, "'github.com/org/repo' at 'main'"),
    ("!pip install https://github.com/org/repo/archive/refs/tags/v1.0.tar.gz",
     "https://github.com/org/repo/archive/refs/tags/v1.0.tar.gz", Severity.MEDIUM, "at 'v1.0'"),
    ("!pip install https://codeload.github.com/org/repo/zip/refs/heads/dev",
     "https://codeload.github.com/org/repo/zip/refs/heads/dev", Severity.MEDIUM, "at 'dev'"),
    ("!pip install https://gitlab.com/org/repo/-/archive/main/repo-main.tar.gz",
     "https://gitlab.com/org/repo/-/archive/main/repo-main.tar.gz", Severity.MEDIUM, "at 'main'"),
])
def test_mutable_vcs_refs(source, text, severity, words):
    ((line, got, sev, msg),) = found(source)
    assert (line, got, sev) == (1, text, severity)
    assert words in msg


def test_one_finding_per_url_and_python_forms():
    notebook = nb(
        "import subprocess, sys",
        "!pip install torch==2.3.1 git+https://github.com/a/b.git git+https://github.com/c/d@main",
        'subprocess.run(["pip", "install", "git+https://github.com/o/r@dev"])',
        'subprocess.check_call([sys.executable, "-m", "pip", "install", "git+https://github.com/o/r"])',
        "%%bash\npip install \\\n  git+https://github.com/o/r.git\n",
    )
    assert codes(lint(notebook, "NBG603")) == [
        ("NBG603", 1, 1), ("NBG603", 1, 1), ("NBG603", 2, 1), ("NBG603", 3, 1), ("NBG603", 4, 3)]


@pytest.mark.parametrize("source", [
    f"!pip install git+https://github.com/openai/CLIP.git@{SHA}",
    f"!pip install 'clip @ git+https://github.com/openai/CLIP.git@{SHA}#egg=clip'",
    f"!pip install -e git+ssh://git@github.com/org/repo.git@{SHA}#egg=repo",
    "!pip install svn+https://svn.example.org/repo/trunk@r1234",
    "!pip install git+file:///home/me/repo",
    f"!pip install https://github.com/org/repo/archive/{SHA}.zip",
    "!pip install https://github.com/org/repo/archive/main.zip#sha256=" + "ab" * 32,
    "!pip install https://storage.googleapis.com/tpu-pytorch/wheels/colab/torch_xla-2.0-cp310-cp310-linux_x86_64.whl",
    "!pip install http://github.com/org/repo/archive/main.zip",  # plaintext: NBG602's
    "!git clone https://github.com/org/repo.git",
    "# !pip install git+https://github.com/huggingface/transformers.git",
    "!pip install transformers==4.44.2",
    "!pip download git+https://github.com/org/repo",
])
def test_pinned_or_not_vcs_is_silent(source):
    assert found(source) == []


@pytest.mark.parametrize("cells, cell, line", [
    (("!git clone https://github.com/facebookresearch/mae.git && cd mae && pip install -e .",), 0, 1),
    (("!git clone https://github.com/facebookresearch/segment-anything.git\n%cd segment-anything\n!pip install -e .",),
     0, 3),
    (("!git clone https://github.com/org/tool.git", "!pip install -q ./tool"), 1, 1),
    (("%%bash\ngit clone https://github.com/org/tool.git src/tool\ncd src/tool\npython setup.py install",), 0, 4),
    (("!git clone --depth 1 --branch v1.2 https://github.com/org/tool.git", "%cd tool", "!pip install '.[dev]'"), 2, 1),
])
def test_local_install_of_an_unpinned_clone(cells, cell, line):
    found = lint(nb(*cells), "NBG603").findings
    assert [(f.cell, f.line) for f in found] == [(cell, line)]
    assert "git clone of 'github.com/" in found[0].message


@pytest.mark.parametrize("cells", [
    (f"!git clone https://github.com/openai/CLIP.git clip_src && git -C clip_src checkout {SHA} && pip install -e clip_src",),
    (f"%%bash\ngit clone https://github.com/org/tool.git\ncd tool\ngit checkout {SHA}\npip install -e .",),
    ("!git clone https://github.com/org/tool.git", "!pip install -e ./other"),  # not the clone
    ("!pip install -e .",),  # the notebook's own project
    ("!git clone https://github.com/org/tool.git && pip install -r tool/requirements.txt",),  # its dependencies
    ("!git clone https://huggingface.co/spaces/org/demo && cd demo && pip install -e .",),  # NBG303's
])
def test_pinned_or_unrelated_local_install_is_silent(cells):
    assert lint(nb(*cells), "NBG603").findings == []


_CLONE = "!git clone https://github.com/org/repo"


@pytest.mark.parametrize("cells, where, shown", [
    ((_CLONE, "!python repo/train.py --epochs 3"), (1, 1), "'repo/train.py'"),
    ((_CLONE + " && cd repo && bash setup.sh",), (0, 1), "'setup.sh'"),
    ((_CLONE, "%cd repo", "!python train.py"), (2, 1), "'train.py'"),
    ((_CLONE, "%run repo/demo.py"), (1, 1), "'repo/demo.py'"),
    ((_CLONE, "import sys\nsys.path.append('repo')\nimport repo_utils"), (1, 2), "'repo'"),
    ((_CLONE, "import sys\nsys.path.insert(0, 'repo/src')"), (1, 2), "'repo/src'"),
    # Vertex AI Model Garden: the samples repository cloned to import a helper module from it
    ((_CLONE, "import importlib\nu = importlib.import_module('repo.notebooks.common_util')\n"
              "v = importlib.import_module('repo.notebooks.other')"), (1, 2), "'repo.notebooks.common_util'"),
])
def test_code_run_or_imported_from_an_unpinned_clone(cells, where, shown):
    report = lint(nb(*cells), "NBG603")
    assert [(f.cell, f.line) for f in report.findings] == [where]  # once per clone
    assert shown in report.findings[0].message and "never checked out at a commit" in report.findings[0].message


@pytest.mark.parametrize("cells", [
    (_CLONE + "\n!cd repo && git checkout 6f1c2b1f0e6d2d5f4d8c0a4a7e3b9f2c1d0e5a6b", "!python repo/train.py"),
    (_CLONE, "import pandas as pd\ndf = pd.read_csv('repo/data.csv')"),  # data, not code
    ("!python train.py", "%run demo.py"),  # the notebook's own files
    ("import importlib, sys\nm = importlib.import_module('numpy')\nsys.path.append('src')",),
    (_CLONE, "import sys\nsys.path.append('other')"),
])
def test_pinned_clones_data_and_own_code_are_not_reported(cells):
    assert lint(nb(*cells), "NBG603").findings == []
