import pytest
from helpers import codes, lint, nb, pointed_at

from nbguard.model import Severity


def found(*cells):
    notebook = nb(*cells)
    return [(f.cell, f.line, pointed_at(notebook, f), f.severity, f.message)
            for f in lint(notebook, "NBG604").findings]


@pytest.mark.parametrize("source, text, words", [
    ("!curl -s https://packagecloud.io/install/repositories/github/git-lfs/script.rpm.sh | sudo bash",
     "curl -s https://packagecloud.io/install/repositories/github/git-lfs/script.rpm.sh | sudo bash",
     "piped into sudo bash"),
    ("!curl -LsSf https://astral.sh/uv/install.sh | sh", "curl -LsSf https://astral.sh/uv/install.sh | sh",
     "(astral.sh)"),
    ("!curl -fsSL https://deb.nodesource.com/setup_18.x | sudo -E bash - && apt-get install -y nodejs",
     "curl -fsSL https://deb.nodesource.com/setup_18.x | sudo -E bash -", "sudo bash"),
    ("!wget -qO- https://get.example.io | sh", "wget -qO- https://get.example.io | sh", "wget"),
    ("!wget -O - https://get.example.io/i.sh | bash -s -- --yes",
     "wget -O - https://get.example.io/i.sh | bash -s -- --yes", "bash"),
    ("!curl https://x.io/setup.py | python3", "curl https://x.io/setup.py | python3", "python3"),
    ("!curl https://x.io/setup.py | python -", "curl https://x.io/setup.py | python -", "python"),
    ("!curl -s https://x.io/i.sh | tee install.log | zsh", "curl -s https://x.io/i.sh | tee install.log | zsh",
     "zsh"),
    ("!curl $INSTALLER_URL | bash", "curl $INSTALLER_URL | bash", "only known at run time"),
    ("!bash <(curl -s https://x.io/i.sh)", "bash <(curl -s https://x.io/i.sh)", "process substitution"),
    ("!source <(curl -s https://x.io/env.sh)", "source <(curl -s https://x.io/env.sh)", "process substitution"),
    ('!sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"',
     'sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"',
     "raw.githubusercontent.com"),
    ('!python -c "$(curl -s https://x.io/a.py)"', 'python -c "$(curl -s https://x.io/a.py)"', "python"),
    ('!eval "$(curl -s https://x.io/env)"', 'eval "$(curl -s https://x.io/env)"', "eval"),
    ("!bash -s < <(curl https://x.io/i.sh)", "bash -s < <(curl https://x.io/i.sh)", "bash"),
    ('!sudo bash -c "curl -s https://x.io/i.sh | bash"', "curl -s https://x.io/i.sh | bash", "piped into bash"),
])
def test_download_and_run_in_shell(source, text, words):
    ((cell, line, got, sev, msg),) = found(source)
    assert (cell, line, got, sev) == (0, 1, text, Severity.HIGH)
    assert words in msg


def test_bash_cells_and_python_shell_strings():
    notebook = nb(
        "import os, subprocess",
        "%%bash\nset -e\ncurl -LsSf https://astral.sh/uv/install.sh | sh\n",
        'os.system("curl -fsSL https://x.io/i.sh | sudo -E bash -")',
        'subprocess.run("wget -qO- https://x.io/i.sh | sh", shell=True)',
        'subprocess.run(["bash", "-c", "curl https://x.io/i.sh | bash"])',
    )
    assert codes(lint(notebook, "NBG604")) == [("NBG604", 1, 3), ("NBG604", 2, 1), ("NBG604", 3, 1),
                                               ("NBG604", 4, 1)]


def test_python_exec_of_fetched_text():
    notebook = nb(
        "import requests\nfrom urllib.request import urlopen",
        'exec(requests.get("https://x.io/a.py").text)',
        'exec(urlopen("https://x.io/a.py").read().decode())',
        'r = requests.get(URL)\ncode = r.text',
        "exec(code)",
        "eval(compile(r.content, 'a.py', 'exec'))",
        "s = requests.Session()\nexec(s.get(URL).text)",
        "get_ipython().run_cell(requests.get(URL).text)",
    )
    assert codes(lint(notebook, "NBG604")) == [
        ("NBG604", 1, 1), ("NBG604", 2, 1), ("NBG604", 4, 1), ("NBG604", 5, 1), ("NBG604", 6, 2), ("NBG604", 7, 1)]
    msgs = [f.message for f in lint(notebook, "NBG604").findings]
    assert "requests.get" in msgs[0] and "urllib.request.urlopen" in msgs[1]


def test_load_and_run_magics():
    ((_, _, text, sev, msg),) = found("%run https://x.io/a.py")
    assert (text, sev) == ("https://x.io/a.py", Severity.HIGH)
    ((_, _, text, sev, msg),) = found("%load -r 1-10 https://x.io/a.py")
    assert (text, sev) == ("https://x.io/a.py", Severity.MEDIUM) and "%load" in msg


@pytest.mark.parametrize("source", [
    "!curl -s https://api.github.com/repos/o/r | head -n 5",
    "!curl -L https://x.io/a.tar.gz | tar xz",
    "!wget -qO- https://x.io/a.tar.gz | tar -xz -C /tmp",
    "!curl -s https://api.github.com/repos/o/r | jq .stargazers_count",
    "!curl -s https://x.io/list.txt | grep model",
    "!curl -s http://localhost:4040/api/tunnels | python3 -c \"import sys, json; print(json.load(sys.stdin))\"",
    "!curl -s https://x.io/data.json | python3 -c 'import json,sys; print(json.load(sys.stdin))'",
    "!curl -s https://x.io/data.csv | python process.py",
    "!curl -s http://localhost:8000/install.sh | sh",
    "!wget https://x.io/i.sh | sh",  # wget saves to a file: nothing is piped
    "!curl -o install.sh https://x.io/i.sh && sha256sum -c install.sh.sha256 && sh install.sh",
    "!curl -sSLO https://x.io/i.sh | sh",
    "!echo 'curl https://x.io/i.sh | sh'",
    "# !curl https://x.io/i.sh | sh",
    'script = "curl https://x.io/i.sh | sh"',
    "exec(open('local_setup.py').read())",
    "exec('print(1)')",
    "eval(expr)",
    "%run ./local_script.py",
    "%load utils.py",
    "%run http://localhost:8888/files/a.py",
    'os.system("bash install.sh")',
])
def test_look_alikes_are_silent(source):
    assert found(source) == []
