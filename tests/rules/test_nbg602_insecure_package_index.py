import pytest
from helpers import code, codes, lint, nb, pointed_at

from nbguard.model import Severity


def found(*cells):
    """(cell, line, pointed-at text, severity, message) per finding."""
    notebook = nb(*cells)
    return [(f.cell, f.line, pointed_at(notebook, f), f.severity, f.message)
            for f in lint(notebook, "NBG602").findings]


@pytest.mark.parametrize("source, text, severity, words", [
    ("!pip install torch==2.0.1+cu118 --extra-index-url https://download.pytorch.org/whl/cu118",
     "--extra-index-url https://download.pytorch.org/whl/cu118", Severity.MEDIUM, "dependency confusion"),
    ("!pip install x==1 --extra-index-url=http://pypi.corp.com/simple",
     "--extra-index-url=http://pypi.corp.com/simple", Severity.HIGH, "https"),
    ("!uv pip install x==1 --index https://pypi.corp.com/simple",
     "--index https://pypi.corp.com/simple", Severity.MEDIUM, "dependency confusion"),
    ("!pip install -i http://pypi.corp.com/simple x==1", "http://pypi.corp.com/simple", Severity.HIGH, "plaintext"),
    ("!pip install --index-url=http://10.1.2.3:8080/simple x==1", "http://10.1.2.3:8080/simple", Severity.HIGH,
     "plaintext"),
    ("!pip install --index-url http://pypi-mirror/simple x==1", "http://pypi-mirror/simple", Severity.MEDIUM,
     "plaintext"),
    ("!pip install x==1 -f http://wheels.corp.com/links.html", "http://wheels.corp.com/links.html", Severity.HIGH,
     "--find-links"),
    ("!pip install --trusted-host pypi.corp.com x==1", "--trusted-host pypi.corp.com", Severity.HIGH,
     "certificate checks"),
    ("!pip --trusted-host=pypi.corp.com install x==1", "--trusted-host=pypi.corp.com", Severity.HIGH,
     "certificate checks"),
    ("!pip install -r https://raw.githubusercontent.com/org/repo/main/requirements.txt",
     "https://raw.githubusercontent.com/org/repo/main/requirements.txt", Severity.MEDIUM, "remote requirements"),
    ("!pip install -r http://example.org/requirements.txt", "http://example.org/requirements.txt", Severity.HIGH,
     "plaintext"),
    ("!pip install -c http://example.org/constraints.txt x", "http://example.org/constraints.txt", Severity.HIGH,
     "constraints"),
    ("!pip install http://files.example.org/pkg-1.0-py3-none-any.whl",
     "http://files.example.org/pkg-1.0-py3-none-any.whl", Severity.HIGH, "plaintext"),
    ("!pip install 'pkg @ http://files.example.org/pkg-1.0.tar.gz'", "http://files.example.org/pkg-1.0.tar.gz",
     Severity.HIGH, "plaintext"),
    ("!pip config set global.trusted-host pypi.corp.com", "pypi.corp.com", Severity.HIGH, "trusted"),
    ("!pip config set global.index-url http://pypi.corp.com/simple", "http://pypi.corp.com/simple", Severity.HIGH,
     "plaintext"),
    ("!pip config --user set global.extra-index-url https://pypi.corp.com/simple", "https://pypi.corp.com/simple",
     Severity.MEDIUM, "dependency confusion"),
    ("!export PIP_TRUSTED_HOST=pypi.corp.com", "pypi.corp.com", Severity.HIGH, "trusted"),
    ("!PIP_INDEX_URL=http://pypi.corp.com/simple pip install x==1", "http://pypi.corp.com/simple", Severity.HIGH,
     "plaintext"),
    ("%env PIP_EXTRA_INDEX_URL=https://pypi.corp.com/simple", "https://pypi.corp.com/simple", Severity.MEDIUM,
     "dependency confusion"),
    ("!conda install -c http://conda.corp.com/main x=1", "http://conda.corp.com/main", Severity.HIGH, "plaintext"),
    ("!conda install --insecure x=1", "--insecure", Severity.HIGH, "certificate checks"),
    ("!conda config --set ssl_verify false", "false", Severity.HIGH, "certificate checks"),
    ("!conda config --add channels http://conda.corp.com/main", "http://conda.corp.com/main", Severity.HIGH,
     "plaintext"),
])
def test_insecure_sources(source, text, severity, words):
    ((cell, line, got, sev, msg),) = found(source)
    assert (cell, line, got, sev) == (0, 1, text, severity)
    assert words in msg


def test_python_forms():
    notebook = nb(
        "import os, subprocess, sys",
        'os.environ["PIP_TRUSTED_HOST"] = "pypi.corp.com"',
        'subprocess.run([sys.executable, "-m", "pip", "install", "x==1", "-i", "http://pypi.corp.com/simple"])',
        'os.system("pip install --trusted-host pypi.corp.com x==1")',
        "%%bash\nexport PIP_INDEX_URL=http://pypi.corp.com/simple\npip install x==1\n",
    )
    assert codes(lint(notebook, "NBG602")) == [
        ("NBG602", 1, 1), ("NBG602", 2, 1), ("NBG602", 3, 1), ("NBG602", 4, 2)]


@pytest.mark.parametrize("source", [
    "!pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121",
    "!pip install -i https://pypi.org/simple x==1",
    "!pip install -i http://localhost:8080/simple x==1",
    "!pip install --index-url http://127.0.0.1:3141/root/pypi/+simple/ x==1",
    "!pip install torch-scatter -f https://data.pyg.org/whl/torch-2.0.0+cu118.html",
    "!pip install -r requirements.txt",
    "!pip install -c https://raw.githubusercontent.com/apache/airflow/constraints-2.7.1/constraints-3.8.txt x",
    "!pip install https://storage.googleapis.com/tpu-pytorch/wheels/torch_xla-2.0-cp310-linux_x86_64.whl",
    "!pip install -i $INDEX_URL x==1",
    "!pip config list",
    "!conda install -c conda-forge -c https://conda.corp.com/main x=1",
    "!conda config --set ssl_verify true",
    "!echo --trusted-host pypi.corp.com",
    "%env PIP_INDEX_URL=https://pypi.corp.com/simple",
    'os.environ["PIP_INDEX_URL"] = "https://pypi.corp.com/simple"',
    "# !pip install --trusted-host pypi.corp.com x",
])
def test_safe_sources_are_silent(source):
    assert found(source) == []


def test_markdown_is_not_code():
    notebook = nb({"cell_type": "markdown", "id": "m", "metadata": {},
                   "source": "`pip install --trusted-host h x`"}, code("x = 1"))
    assert lint(notebook, "NBG602").findings == []
