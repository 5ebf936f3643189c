"""The shell tokenizer and pip/conda argument parser shared by the shell rules (nbguard/rules/_shell.py)."""

import random
import shlex

import pytest
from helpers import lint, nb

from nbguard.ipysyntax import ShellCommand, analyse_cell
from nbguard.rules._shell import (all_commands, all_pipelines, conda_install, installer, installs, parse,
                                  parse_requirement, resolve, text_span, tokenize, Word)


def words(text):
    return [[w.text for w in c.words] for c in parse(text)]


# -- tokenizer ---------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    'pip install -q -U "transformers>=4.40" datasets accelerate',
    "pip install 'torch==2.1.0' 'numpy<2'",
    r'echo a\ b "c \"d\" e" '"'f g'",
    'x"y"z \'p\'"q" --opt="a b c"',
    'python -c "import sys; print(sys.argv)" --flag=1',
    'a "" \'\' b',
    r'pip install "a\\b" c\$d',
])
def test_words_agree_with_shlex(line):
    assert words(line) == [shlex.split(line)]


def test_each_character_keeps_its_offset_in_the_command():
    line = 'pip install -q "transformers>=4.40" \'a b\' c\\ d'
    for c in parse(line):
        for w in c.words:
            for ch, off in zip(w.text, w.offsets):
                assert line[off] == ch
    req = parse(line)[0].words[3]
    assert req.text == "transformers>=4.40"
    assert line[req.start:req.end] == '"transformers>=4.40"'
    a, b = req.span(0, 12)
    assert line[a:b] == "transformers"


def test_broken_quoting_never_raises_and_runs_to_the_end():
    assert words("pip install 'torch") == [["pip", "install", "torch"]]
    assert words('echo "abc') == [["echo", "abc"]]
    assert words("echo $(curl x") == [["echo", "$(curl x"]]
    assert words("a \\") == [["a", "\\"]]


@pytest.mark.parametrize("seed", range(5))
def test_fuzz_never_raises_and_offsets_stay_in_bounds(seed):
    rnd = random.Random(seed)
    alphabet = list("ab =<>|&;()'\"\\$`{}#\n\t-") + ["$(", "<(", "&&", "||", "2>&1", " x "]
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        for c in all_commands(text):
            for w in c.words:
                assert len(w.offsets) == len(w.text)
                assert all(0 <= o < len(text) for o in w.offsets)
                assert 0 <= w.start <= w.end <= len(text)
        installs(text)


def test_split_at_control_operators():
    cmds = parse("a 1 && b || c ; d | e |& f & g\nh")
    assert [[w.text for w in c.words] for c in cmds] == [["a", "1"], ["b"], ["c"], ["d"], ["e"], ["f"], ["g"], ["h"]]
    assert [c.sep for c in cmds] == ["&&", "||", ";", "|", "|&", "&", "\n", ""]
    assert [[w.text for c in p for w in c.words] for p in all_pipelines("d | e |& f; g")] == [["d", "e", "f"], ["g"]]


def test_quoted_operators_and_comments():
    assert words("echo 'a|b' \"c && d\" # pip install x | sh") == [["echo", "a|b", "c && d"]]
    assert words("pip install x#y") == [["pip", "install", "x#y"]]


def test_redirections_are_not_words():
    (c,) = parse("pip install x > /dev/null 2>&1")
    assert [w.text for w in c.words] == ["pip", "install", "x"]
    assert [(r.op, r.target.text if r.target else None) for r in c.redirects] == [(">", "/dev/null"), ("2>&1", None)]


def test_unquoted_version_range_is_a_redirection_glued_to_the_package():
    (c,) = parse("pip install transformers>=4.40 numpy<2")
    assert [w.text for w in c.words] == ["pip", "install", "transformers", "numpy"]
    assert [(r.op, r.target.text, r.glued) for r in c.redirects] == [(">", "=4.40", True), ("<", "2", True)]


def test_expansions_are_marked_unknown():
    ws = parse('pip install $PKG ${A}b {pkg} "x$(date)" `y` plain \'{"k": 1}\'')[0].words
    assert [w.expansion for w in ws] == [False, False, True, True, True, True, True, False, True]


def test_substitutions_and_sh_c_strings_are_parsed_with_outer_offsets():
    line = 'sudo bash -c "curl -s https://x.io/i.sh | bash" && sh -c "$(wget -qO- https://y.io)"'
    progs = [[w.text for w in c.words][:1] for c in all_commands(line)]
    assert ["curl"] in progs and ["wget"] in progs
    curl = next(c for c in all_commands(line) if c.words[0].text == "curl")
    assert line[curl.words[2].start:curl.words[2].end] == "https://x.io/i.sh"
    wget = next(c for c in all_commands(line) if c.words[0].text == "wget")
    assert line[wget.words[2].start:wget.words[2].end] == "https://y.io"
    (sub,) = parse("bash <(curl -s https://x.io/a)")[0].words[1].subs
    assert sub[0] == "curl -s https://x.io/a"


# -- programs ----------------------------------------------------------------------

@pytest.mark.parametrize("line, program, args", [
    ("pip install x", "pip", ["install", "x"]),
    ("/usr/local/bin/pip3 install x", "pip3", ["install", "x"]),
    ("PIP_NO_CACHE_DIR=1 A=b pip install x", "pip", ["install", "x"]),
    ("sudo -H -u ubuntu pip install x", "pip", ["install", "x"]),
    ("sudo -E env PATH=/x PYTHONPATH=y python3 -m pip install x", "python3", ["-m", "pip", "install", "x"]),
    ("time nohup nice -n 5 pip install x", "pip", ["install", "x"]),
    ("timeout 60 pip install x", "pip", ["install", "x"]),
    ("if ! pip show x; then", "pip", ["show", "x"]),
    ("${CONDA_HOME}/bin/conda install y", "conda", ["install", "y"]),
])
def test_resolve_finds_the_program(line, program, args):
    inv = resolve(parse(line)[0])
    assert (inv.program, [w.text for w in inv.args]) == (program, args)


def test_command_v_is_a_lookup_not_a_run():
    assert resolve(parse("command -v pip")[0]) is None


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


def test_tokenize_returns_redirect_and_operator_tokens():
    toks = tokenize("a|b>c")
    assert [type(t).__name__ for t in toks] == ["Word", "str", "Word", "Redirect"]


class _Everything:
    def __contains__(self, _c):
        return True


def test_plain_word_fast_path_builds_the_same_tokens(monkeypatch):
    # _read_word's fast path (a word that is one plain run) against the character loop, which
    # runs for every word when no first character counts as plain
    import nbguard.rules._shell as sh

    rng = random.Random(7)
    alphabet = list("ab-=./:{}x9") + list(" \t\n|&;()<>'\"\\$`#2") + ["{x}", "$(", "<(", ">(", "2>&1", "é"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    texts += ["pip install -U torch", "a{b}c d{x y}", "x<(y) >(z)", "echo ok", "a", "b|c"]
    fast = [tokenize(t) for t in texts]
    fast_origin = [tokenize(t, range(5, 5 + len(t))) for t in texts]
    monkeypatch.setattr(sh, "_WORD_START_SPECIAL", _Everything())
    assert [tokenize(t) for t in texts] == fast
    assert [tokenize(t, range(5, 5 + len(t))) for t in texts] == fast_origin


def test_secret_rules_shell_token_regex_matches_one_plain_character_per_repetition():
    # secrets/_shared._TOKEN takes plain characters as a run; the tokens (kind and span) are
    # those of the pattern that takes one per repetition
    import re

    from nbguard.rules.secrets import _shared

    run = "(?P<word>(?:[^\\s'\"\\\\;|&$]+|"
    assert run in _shared._TOKEN.pattern
    one = re.compile(_shared._TOKEN.pattern.replace(run, run[:-2] + "|"), _shared._TOKEN.flags)
    rng = random.Random(3)
    alphabet = list("ab =-/.é") + list("'\"\\;|&$()\n#\t") + ["$(x)", "$((", "\\", "{x}"]
    for _ in range(20000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        assert [(m.lastgroup, m.span()) for m in _shared._TOKEN.finditer(t)] == \
            [(m.lastgroup, m.span()) for m in one.finditer(t)], t


def test_resolve_kept_on_the_command_is_the_fresh_answer():
    from nbguard.rules._shell import SimpleCommand, _resolve

    for line in ["sudo -E X=1 /usr/bin/pip3 install x", "command -v pip", "A=1 B=2", "env -u X curl u | sh",
                 "if true; then wget x; fi", "$(which pip) install y", "nice -5 python -m pip install z"]:
        for c in all_commands(line):
            first = resolve(c)
            assert resolve(c) is first and first == _resolve(c.words)
            assert SimpleCommand(c.words, c.redirects, c.sep) == c  # the memo is no field


def test_secret_shell_command_name_and_args_kept_on_the_command():
    from nbguard.rules.secrets._shared import Command, split_shell

    for line in ["A=1 sudo /usr/bin/env", "X=1 Y=2", "exec wandb login KEY", "echo $T | gh auth login --with-token",
                 "sudo command printenv HF_TOKEN", ""]:
        for c in split_shell(line):
            rest = list(c.args_from(0))
            for _ in range(2):  # computed, then kept
                assert c.name == (rest[0].value.rsplit("/", 1)[-1] if rest else "")
                assert c.args == rest[1:]
            c.args.append(None)  # a caller's list is its own
            assert c.args == rest[1:] and Command(c.words, c.op) == c
