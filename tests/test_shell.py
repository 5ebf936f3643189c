"""The one shell lexer (nbguard/rules/_shell.py) on its own: words, quotes, expansions, NAME=value
prefixes, wrappers (sudo, env, nohup...), redirections and heredocs, pipelines, subshells, offsets.
Every shell rule reads command lines through it (NBG104-NBG107, NBG2xx, NBG4xx, NBG6xx)."""

import random
import shlex
import time

import pytest
from helpers import lint, nb

from nbguard.rules._shell import (
    all_commands,
    all_pipelines,
    assignment,
    installs,
    leading_assignments,
    parse,
    pipelines,
    program,
    resolve,
    stdout_to_file,
    tokenize,
)

# -- tokenizer ---------------------------------------------------------------------

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


def test_resolve_kept_on_the_command_is_the_fresh_answer():
    from nbguard.rules._shell import SimpleCommand, _resolve

    for line in ["sudo -E X=1 /usr/bin/pip3 install x", "command -v pip", "A=1 B=2", "env -u X curl u | sh",
                 "if true; then wget x; fi", "$(which pip) install y", "nice -5 python -m pip install z"]:
        for c in all_commands(line):
            first = resolve(c)
            assert resolve(c) is first and first == _resolve(c.words)
            assert SimpleCommand(c.words, c.redirects, c.sep) == c  # the memo is no field



# -- NAME=value words ----------------------------------------------------------------

def test_assignment_splits_name_and_value_with_the_values_offsets():
    line = 'TOKEN="ab c" B=x\\ y run --k=v'
    c = parse(line)[0]
    assert [(n, v.text) for n, v in leading_assignments(c)] == [("TOKEN", "ab c"), ("B", "x y")]
    _name, value = assignment(c.words[0])
    a, b = value.span()
    assert line[a:b] == "ab c"  # inside the quotes
    assert assignment(c.words[2]) is None and assignment(c.words[3]) is None  # "run", "--k=v"
    assert leading_assignments(parse("run A=1")[0]) == []  # an argument, not a prefix


def test_value_span_of_an_option_value_inside_quotes():
    line = "curl -H 'Authorization: Bearer abc123'"
    w = parse(line)[0].words[2]
    a, b = w.span(len("Authorization: Bearer "))
    assert line[a:b] == "abc123"


# -- wrappers and the program --------------------------------------------------------

@pytest.mark.parametrize("line, prog, args", [
    ("env", "env", []),
    ("env -0", "env", ["-0"]),
    ("sudo -E env", "env", []),
    ("sudo printenv HF_TOKEN", "printenv", ["HF_TOKEN"]),
    ("A=1 sudo /usr/bin/env", "env", []),
    ("nohup env -i A=1 python x.py", "python", ["x.py"]),
    ("time env", "env", []),
    ("exec wandb login KEY", "wandb", ["login", "KEY"]),
    ("sudo command printenv HF_TOKEN", "printenv", ["HF_TOKEN"]),
])
def test_program_is_the_wrapped_program_or_a_wrapper_run_alone(line, prog, args):
    inv = program(parse(line)[0])
    assert (inv.program, [w.text for w in inv.args]) == (prog, args)


def test_program_of_assignments_only_is_none_and_resolve_still_says_no_run_for_a_bare_wrapper():
    assert program(parse("X=1 Y=2")[0]) is None
    assert resolve(parse("env")[0]) is None and resolve(parse("sudo")[0]) is None
    assert program(parse("command -v pip")[0]) is None  # a lookup, not a run


def test_program_kept_on_the_command_is_the_fresh_answer():
    for line in ["sudo -E env", "env | grep KEY", "X=1", "nohup env -i python x.py"]:
        for c in parse(line):
            first = program(c)
            assert program(c) is first


# -- redirections, heredocs ----------------------------------------------------------

@pytest.mark.parametrize("line, target", [
    ("env > env.txt", "env.txt"), ("env >>log", "log"), ("env &> all.txt", "all.txt"), ("env 1> o", "o"),
    ("env 2>/dev/null", None), ("env 2>&1", None), ("env", None), ("cat < in.txt", None),
])
def test_stdout_to_file(line, target):
    r = stdout_to_file(parse(line)[0])
    assert (r.target.text if r else None) == target


def test_heredoc_delimiter_is_the_redirect_target_and_output_redirect_is_kept():
    cmds = parse("cat <<'EOF' > ~/.netrc\nmachine h password X\nEOF")
    cat = cmds[0]
    assert [(r.op, r.target.text) for r in cat.redirects] == [("<<", "EOF"), (">", "~/.netrc")]
    assert stdout_to_file(cat).target.text == "~/.netrc"
    assert cat.sep == "\n" and [w.text for w in cmds[1].words] == ["machine", "h", "password", "X"]


# -- pipelines and subshells ---------------------------------------------------------

def test_pipes_and_subshells():
    cmds = parse("(cd d && env) | grep KEY; ls")
    assert [[w.text for w in c.words] for c in cmds] == [["cd", "d"], ["env"], ["grep", "KEY"], ["ls"]]
    assert [c.sep for c in cmds] == ["&&", "|", ";", ""]  # the subshell's last command pipes on
    assert [[w.text for c in p for w in c.words] for p in pipelines(cmds)] == [["cd", "d"], ["env", "grep", "KEY"],
                                                                             ["ls"]]
    assert [c.sep for c in parse("a |& b")] == ["|&", ""]


# -- the secrets rules read the same commands as every other shell rule --------------

@pytest.mark.parametrize("source, code", [
    ("!sudo -E env", "NBG105"),  # sudo's options skipped
    ("!time env", "NBG105"),
    ("!env 2>/dev/null", "NBG105"),  # only stderr is redirected: the listing is shown
    ("!(env)", "NBG105"),  # a subshell
    ("!for f in a; do cat ~/.netrc; done", "NBG106"),  # reserved words skipped
])
def test_secrets_rules_see_through_wrappers_subshells_and_reserved_words(source, code):
    assert [f.rule for f in lint(nb(source), code).findings] == [code]


@pytest.mark.parametrize("source, code", [
    ("!env &> env.txt", "NBG105"), ("!env > env.txt", "NBG105"), ("!cat ~/.netrc > copy", "NBG106"),
    ("!env -u X cmd", "NBG105"),
])
def test_output_to_a_file_or_a_command_run_is_not_shown(source, code):
    assert lint(nb(source), code).findings == []


def test_an_ipython_field_with_a_call_is_one_word():
    line = "ls -R {os.path.join(BASE_DIR, 'data')} --token x"
    ws = parse(line)[0].words
    assert [w.text for w in ws] == ["ls", "-R", "{os.path.join(BASE_DIR, 'data')}", "--token", "x"]
    assert ws[2].expansion and line[ws[2].start:ws[2].end] == ws[2].text
    assert [w.text for w in parse("echo { x; }")[0].words] == ["echo", "{", "x"]  # a shell group stays a group


def test_secret_after_an_ipython_call_field_is_found():
    source = "!python up.py --data {os.path.join(d, 'x')} --hub_token hf_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3x"
    (f,) = lint(nb(source), "NBG104").findings
    assert "--hub_token" in f.message


@pytest.mark.parametrize("noise", ["{" * 100_000, ("{" * 150 + " '(x}' ") * 600])
def test_stray_braces_are_read_in_linear_time(noise):
    # Each stray "{" once cost a scan of up to 200 characters in Python: 100k of them took 4 s.
    line = f"curl {noise} --token x"
    t = time.perf_counter()
    ws = parse(line)[0].words
    assert time.perf_counter() - t < 1.0  # ~0.1 s here
    assert "".join(w.text for w in ws[1:-2]) == noise.replace(" ", "").replace("'", "")
    assert [w.text for w in ws[-2:]] == ["--token", "x"]


def test_a_call_field_after_a_few_stray_braces_is_still_one_word():
    ws = parse("ls {{ {x} {os.path.join(d, 'x')} --token x")[0].words
    assert [w.text for w in ws] == ["ls", "{{", "{x}", "{os.path.join(d, 'x')}", "--token", "x"]
