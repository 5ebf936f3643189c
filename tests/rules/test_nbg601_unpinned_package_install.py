import pytest
from helpers import code, codes, lint, nb, pointed_at


def found(*cells, select="NBG601"):
    """(cell, line, the exact text each finding points at, message) for each finding."""
    notebook = nb(*cells)
    out = []
    for f in lint(notebook, select).findings:
        assert f.line == f.end_line
        out.append((f.cell, f.line, pointed_at(notebook, f), f.message))
    return out


@pytest.mark.parametrize("source, packages", [
    # the real corpus forms
    ('!pip install -q -U "transformers>=4.40" datasets accelerate', ["transformers>=4.40", "datasets", "accelerate"]),
    ("%pip install --upgrade --quiet google-cloud-aiplatform", ["google-cloud-aiplatform"]),
    ("!pip install datasets evaluate transformers[sentencepiece]",
     ["datasets", "evaluate", "transformers[sentencepiece]"]),
    ("! pip install transformers datasets evaluate accelerate",
     ["transformers", "datasets", "evaluate", "accelerate"]),
    ("!pip install 'smolagents[toolkit]' --upgrade -q", ["smolagents[toolkit]"]),
    ('!pip install "sagemaker>=2.66.2" --upgrade', ["sagemaker>=2.66.2"]),
    ("!{sys.executable} -m pip install -U sagemaker", ["sagemaker"]),
    ("! pip3 install -U google-cloud-automl --user", ["google-cloud-automl"]),
    # mixed pinned and unpinned: one finding per unpinned package
    ("!pip install -q a b==1.0 'c>=2' d~=1.4 e==2.* f===3", ["a", "c>=2", "d~=1.4", "e==2.*"]),
    ("!pip3 install x", ["x"]),
    ("!python -m pip install x", ["x"]),
    ("!python3 -m pip install --user x", ["x"]),
    ("!uv pip install --system x", ["x"]),
    ("!PIP_NO_CACHE_DIR=1 sudo -H pip install x", ["x"]),
    ("!cd src && pip install x && cd ..", ["x"]),
    ("%conda install -c conda-forge shap -y", ["shap"]),
    ("!conda install -c conda-forge ipywidgets -y", ["ipywidgets"]),
    ("!mamba install -y 'numpy>=1.26' scipy=1.11", ["numpy>=1.26"]),
    ("!micromamba install -y conda-forge::polars", ["polars"]),
    ("!pip install -U pip setuptools transformers", ["transformers"]),
    # IPython automagic: "pip install" without % or ! runs %pip
    ("pip install diffusers torch==2.3.1\nimport torch", ["diffusers"]),
])
def test_unpinned_packages_are_reported_one_by_one(source, packages):
    assert [t for _, _, t, _ in found(source)] == packages


def test_message_says_upgrade_range_pre_and_shell_redirection():
    (upg,) = found("%pip install --upgrade --quiet google-cloud-aiplatform")
    assert "upgrades 'google-cloud-aiplatform'" in upg[3] and "--upgrade" in upg[3]
    (rng,) = found('!pip install "transformers>=4.40"')
    assert "version range (>=4.40)" in rng[3]
    (pre,) = found("!pip install --pre torch")
    assert "--pre" in pre[3]
    (redir,) = found("!pip install transformers>=4.40")
    assert redir[2] == "transformers" and "redirection" in redir[3] and "'>=4.40'" in redir[3]
    (conda,) = found("!conda install -y shap")
    assert conda[3].startswith("conda installs 'shap'") and "shap=X.Y.Z" in conda[3]


def test_continued_lines_point_at_each_package():
    src = ("%pip install --upgrade --quiet \\\n"
           "    google-cloud-aiplatform \\\n"
           "    'langchain==0.1.0' \\\n"
           "    kfp\n"
           "import os")
    assert [(line, text) for _, line, text, _ in found(src)] == [(2, "google-cloud-aiplatform"), (4, "kfp")]


def test_bash_cells_python_calls_and_cells_positions():
    notebook = nb(
        "import os, subprocess, sys",
        "%%bash\nset -e\npip install torch\n",
        'os.system("pip install -q requests")',
        'subprocess.check_call([sys.executable, "-m", "pip", "install", "numpy", "scipy==1.11.4"])',
        'subprocess.run(["pip", "install", "--upgrade", "google-cloud-storage"])',
        "if True:\n    !pip install tqdm\n",
        "%%capture\n%pip install rich\n",
    )
    assert codes(lint(notebook, "NBG601")) == [
        ("NBG601", 1, 3), ("NBG601", 2, 1), ("NBG601", 3, 1), ("NBG601", 4, 1), ("NBG601", 5, 2), ("NBG601", 6, 2)]
    msgs = [f.message for f in lint(notebook, "NBG601").findings]
    assert "'numpy'" in msgs[2] and "python -m pip" in msgs[2]


@pytest.mark.parametrize("source", [
    "!pip install torch==2.3.1 'transformers[torch]==4.44.2' numpy===1.26.4",
    "!pip install 'numpy==1.26.4; python_version >= \"3.9\"'",
    "!pip install -r requirements.txt",
    "!pip install -r requirements.txt -c constraints.txt",
    "!pip install -c constraints.txt torch transformers",
    "!pip install -e .",
    "!pip install .",
    "!pip install ./my_pkg ../other '.[dev]'",
    "!pip install dist/mylib-0.1-py3-none-any.whl mylib-0.1.tar.gz",
    "!pip install --no-index --find-links ./wheels torch",
    "!pip install --upgrade pip setuptools wheel",
    "!python -m pip install -U pip",
    "!conda update -n base conda",
    "!pip uninstall -y torch",
    "!pip download torch",
    "!pip list | grep torch",
    "!pip show torch",
    "!pip freeze > requirements.txt",
    "!pip install $PACKAGES",
    "!pip install {pkg}",
    "!pip3 install {USER_FLAG} --upgrade google-cloud-aiplatform==1.7.0",
    "!pip install torch=={TORCH_VERSION}",
    "!pip install -i https://pypi.org/simple --target /opt/lib -q torch==2.3.1",
    "!pip install --upgrade-strategy only-if-needed --progress-bar off x==1",
    "!pip install git+https://github.com/org/repo.git",
    "!pip install https://example.org/x-1.0-py3-none-any.whl",
    "!conda install -y numpy=1.26 scipy==1.11.4 conda-forge::polars=1.0",
    "!conda install --file environment.txt",
    "# !pip install torch",
    "print('!pip install torch')",
    "!echo pip install torch",
    'os.system(f"pip install torch{suffix}")',
    "!pip install -q transformers==4.44.2 # pip install datasets",
    "!python -m pip freeze | grep gym || python -m pip install --user gym==0.26.2",
])
def test_pinned_local_and_non_install_lines_are_silent(source):
    assert found(source) == []


def test_markdown_and_strings_are_not_code():
    notebook = nb({"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "Run `!pip install torch` first"},
                  'script = """\npip install torch\n"""',
                  code("%%writefile requirements.txt\ntorch\n"))
    assert lint(notebook, "NBG601").findings == []


def test_argv_list_through_an_alias_still_checked():
    # check_call runs only for subprocess call names (call_names); an alias resolves to them
    from helpers import codes, lint, nb
    src = "import sys, subprocess as sp\nsp.check_call([sys.executable, '-m', 'pip', 'install', 'requests'])"
    assert [c[0] for c in codes(lint(nb(src), "NBG601"))] == ["NBG601"]
    src = "import sys\nfrom subprocess import run as r\nr([sys.executable, '-m', 'pip', 'install', 'requests'])"
    assert [c[0] for c in codes(lint(nb(src), "NBG601"))] == ["NBG601"]


def test_run_lines_of_a_dockerfile_the_notebook_writes():
    src = ("%%writefile Dockerfile\nFROM python:3.10\nRUN pip install sklearn google-cloud-bigquery==3.11.0\n"
           "RUN pip3 install --upgrade --quiet \\\n    cloudml-hypertune\nENV X=1")
    got = [(f.line, f.message) for f in lint(nb(src), "NBG601").findings]
    assert got == [(3, "pip installs 'sklearn' with no version pin"),
                   (5, "pip upgrades 'cloudml-hypertune' to its latest release (--upgrade) with no version pin")]
