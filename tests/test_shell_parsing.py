"""pip/conda command lines as the shell rules read them (nbguard/rules/_shell.py): installers, requirements,
locations. The lexer itself is tested in tests/test_shell.py."""

import shlex

import pytest
from helpers import lint, nb

from nbguard.ipysyntax import ShellCommand, analyse_cell
from nbguard.rules._shell import Word, conda_install, installer, installs, parse, parse_requirement, resolve, text_span

# -- programs ----------------------------------------------------------------------

@pytest.mark.parametrize("line, tool, label, sub", [
    ("pip install x", "pip", "pip", "install"),
    ("pip3.11 install x", "pip", "pip", "install"),
    ("pip -q --disable-pip-version-check install x", "pip", "pip", "install"),
    ("pip --proxy http://p:3128 install x", "pip", "pip", "install"),
    ("python -m pip install x", "pip", "python -m pip", "install"),
    ("python3 -u -X utf8 -m pip install x", "pip", "python -m pip", "install"),
    ("python -mpip install x", "pip", "python -m pip", "install"),
    ("{sys.executable} -m pip install x", "pip", "python -m pip", "install"),
    ("$PYTHON -m pip uninstall -y x", "pip", "python -m pip", "uninstall"),
    ("uv pip install x", "uv", "uv pip", "install"),
    ("uv --quiet pip install x", "uv", "uv pip", "install"),
    ("python -m uv pip install x", "uv", "uv pip", "install"),
    ("conda install -y x", "conda", "conda", "install"),
    ("mamba install x", "conda", "mamba", "install"),
    ("micromamba install x", "conda", "micromamba", "install"),
])
def test_installer(line, tool, label, sub):
    inst = installer(resolve(parse(line)[0]))
    assert (inst.tool, inst.label, inst.subcommand) == (tool, label, sub)


@pytest.mark.parametrize("line", [
    "python script.py install x", "python -c 'import pip'", "uv add x", "pipx install x", "pipenv install x",
    "python -m venv .venv", "echo pip install x", "apt-get install -y python3-pip",
])
def test_not_an_installer(line):
    assert installer(resolve(parse(line)[0])) is None


# -- pip install ---------------------------------------------------------------

def reqs(line):
    (inst,) = installs(line)
    return [(r.kind, r.name or r.text) for r in inst.requirements]


@pytest.mark.parametrize("line, expected", [
    ('pip install -q -U "transformers>=4.40" datasets accelerate',
     [("name", "transformers"), ("name", "datasets"), ("name", "accelerate")]),
    ("pip install -r requirements.txt -c constraints.txt x", [("name", "x")]),
    ("pip install -rrequirements.txt -qr other.txt", []),
    ("pip install --index-url https://a/simple --extra-index-url=https://b/simple x", [("name", "x")]),
    ("pip install -i https://a/simple -f ./wheels --trusted-host a x", [("name", "x")]),
    ("pip install --upgrade-strategy eager --progress-bar off --root-user-action ignore x", [("name", "x")]),
    ("pip install --target /opt/lib --prefix /p --src ./s -C k=v x", [("name", "x")]),
    ("pip install -e . -e ./sub", [("path", ""), ("path", "")]),
    ("pip install --upgrade --ind https://a/simple --extra-index https://b x", [("name", "x")]),
    ("pip install -- -weird", [("unknown", "")]),
    ("uv pip install --system -p 3.11 --torch-backend cu121 x", [("name", "x")]),
    ("pip install $PKGS {more} x==1", [("unknown", ""), ("unknown", ""), ("name", "x")]),
])
def test_pip_install_requirements(line, expected):
    assert reqs(line) == expected


def test_pip_install_options():
    (inst,) = installs("pip install -qU --pre -i https://a/simple --trusted-host=a -rreq.txt x")
    names = [o.name for o in inst.options]
    assert names == ["--quiet", "--upgrade", "--pre", "--index-url", "--trusted-host", "--requirement"]
    assert [v.text for v in inst.values("--index-url", "--trusted-host", "--requirement")] == \
        ["https://a/simple", "a", "req.txt"]
    assert inst.upgrade and inst.pre


@pytest.mark.parametrize("line", ["pip uninstall -y x", "pip download x", "pip list", "pip show x",
                                  "pip freeze", "pip wheel x", "conda list", "uv pip sync r.txt"])
def test_other_subcommands_are_not_installs(line):
    assert installs(line) == ()


def w(text):
    return Word(text, 0, len(text), tuple(range(len(text))))


@pytest.mark.parametrize("text, kind, name, pinned, specs", [
    ("torch", "name", "torch", False, ()),
    ("torch==2.1.0", "name", "torch", True, (("==", "2.1.0"),)),
    ("torch==2.1.0+cu118", "name", "torch", True, (("==", "2.1.0+cu118"),)),
    ("torch===2.1", "name", "torch", True, (("===", "2.1"),)),
    ("torch==2.*", "name", "torch", False, (("==", "2.*"),)),
    ("torch>=2,<3", "name", "torch", False, ((">=", "2"), ("<", "3"))),
    ("torch ~= 2.1", "name", "torch", False, (("~=", "2.1"),)),
    ("transformers[sentencepiece,torch]==4.40.0", "name", "transformers", True, (("==", "4.40.0"),)),
    ("pinecone-client[grpc]", "name", "pinecone-client", False, ()),
    ("numpy==1.26.4; python_version>='3.9'", "name", "numpy", True, (("==", "1.26.4"),)),
    ("x (==1.0)", "name", "x", True, (("==", "1.0"),)),
    ("x @ git+https://github.com/o/x@main", "vcs", "x", False, ()),
    ("x@https://h/x-1.0.tar.gz", "url", "x", False, ()),
    ("git+https://github.com/o/r.git@v1#egg=r", "vcs", "", False, ()),
    ("https://h.org/x-1.0-py3-none-any.whl", "url", "", False, ()),
    ("file:///tmp/x.whl", "path", "", False, ()),
    ("dist/x-1.0-py3-none-any.whl", "path", "", False, ()),
    ("x-1.0.tar.gz", "path", "", False, ()),
    ("./pkg", "path", "", False, ()),
    (".[train, dev]", "path", "", False, ()),
    ("~/src/pkg", "path", "", False, ()),
    ("C:\\src\\pkg", "path", "", False, ()),
    ("src/pkg", "path", "", False, ()),
])
def test_parse_requirement(text, kind, name, pinned, specs):
    r = parse_requirement(w(text))
    assert (r.kind, r.name, r.pinned, r.specifiers) == (kind, name, pinned, specs)


def test_requirement_text_excludes_marker_and_url_is_isolated():
    assert parse_requirement(w("numpy>=1; python_version<'3.8'")).text == "numpy>=1"
    assert parse_requirement(w("x @ git+https://g/o/x@main")).text == "git+https://g/o/x@main"


@pytest.mark.parametrize("spec, pinned", [
    ("numpy", False), ("numpy=1.26", True), ("numpy==1.26.4", True), ("numpy=1.26.4=py311h_0", True),
    ("numpy=1.*", False), ("numpy>=1.26", False), ("conda-forge::numpy=1.26", True), ("conda-forge::numpy", False),
    ("numpy[version='>=1.26']", False), ("numpy[version='==1.26.4']", True),
])
def test_conda_pins(spec, pinned):
    inst = conda_install(installer(resolve(parse(f"conda install -y -c conda-forge '{spec}'")[0])))
    (pkg,) = inst.packages
    assert pkg.pinned is pinned and pkg.name == "numpy"
    assert [v.text for v in inst.values("--channel")] == ["conda-forge"]


# -- locations ---------------------------------------------------------------------

class _Ctx:
    def __init__(self, source):
        self.view = type("V", (), {"lines": source.split("\n")})()


def test_continued_command_spans_map_to_each_physical_line():
    src = '%pip install --upgrade --quiet \\\n    google-cloud-aiplatform \\\n    "langchain>=0.1" kfp'
    (cmd,) = analyse_cell(src).shell
    (inst,) = installs(cmd.text)
    spans = [text_span(cmd, None, *r.word.span(r.start, r.end)) for r in inst.requirements]
    assert spans == [(2, 5, 2, 28), (3, 6, 3, 20), (3, 22, 3, 25)]


def test_python_string_commands_are_located_by_search():
    src = 'import subprocess\nsubprocess.run(["pip", "install",\n                "torch"])'
    cmd = ShellCommand(shlex.join(["pip", "install", "torch"]), 2, 16, "subprocess.run", 3)
    (inst,) = installs(cmd.text)
    r = inst.requirements[0]
    assert text_span(cmd, _Ctx(src), *r.word.span(r.start, r.end)) == (3, 18, 3, 23)


def test_argv_list_with_sys_executable_is_checked():
    notebook = nb('import subprocess, sys\nsubprocess.check_call([sys.executable, "-m", "pip", "install", "torch"])')
    (f,) = lint(notebook, "NBG601").findings
    assert (f.line, f.column, f.end_column) == (2, 65, 70)
    assert "python -m pip" in f.message


def test_engine_quotes_argv_lists_so_operators_stay_words():
    notebook = nb("import subprocess\nsubprocess.run(['python3', '-m', 'pip', 'install', 'kfp>=0.1.31'])")
    (f,) = lint(notebook, "NBG601").findings
    assert "version range (>=0.1.31)" in f.message and "redirection" not in f.message
