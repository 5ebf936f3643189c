"""IPython syntax (nbguard/ipysyntax.py): what each kind of cell becomes for the rules, with
positions that stay those of the cell the user wrote."""

from __future__ import annotations

import ast

import pytest

from nbguard.ipysyntax import analyse_cell


def shell(src: str) -> list[tuple[str, int, int, str]]:
    return [(s.text, s.line, s.col, s.origin) for s in analyse_cell(src).shell]


def test_escapes_become_shell_lines_and_python_keeps_its_line_numbers():
    code = analyse_cell("%pip install torch\nimport os\nx = !ls -la\nprint(x)")
    assert code.kind == "python" and code.tree is not None
    assert shell("%pip install torch\nimport os\nx = !ls -la\nprint(x)") == [
        ("pip install torch", 1, 2, "%pip"), ("ls -la", 3, 6, "!")]
    # the tree's lines are the cell's lines: `import os` is on line 2, `print(x)` on line 4
    lines = {type(n).__name__: n.lineno for n in code.tree.body}
    assert lines["Import"] == 2 and lines["Expr"] == 4
    assert code.python_source.count("\n") == 3


def test_a_columns_point_into_the_cell_line():
    src = "x = 1\n    !curl -k https://example.org/data.csv"
    ((text, line, col, _),) = shell(src)
    assert src.split("\n")[line - 1][col - 1:] == text


def test_line_magics_are_recorded_with_their_arguments_column():
    code = analyse_cell("%env HF_TOKEN=abc\nimport os")
    ((m),) = code.magics
    assert (m.name, m.args, m.line) == ("env", "HF_TOKEN=abc", 1)
    assert "%env HF_TOKEN=abc"[m.col - 1:] == "HF_TOKEN=abc"


def test_a_backslash_continued_shell_line_is_one_command_spanning_its_lines():
    (cmd,) = analyse_cell("!pip install \\\n  torch").shell
    assert cmd.text.split() == ["pip", "install", "torch"]
    assert (cmd.line, cmd.end_line) == (1, 2)
    # a span inside the second physical line maps back onto it
    start = cmd.text.index("torch")
    assert cmd.span(start, start + 5)[:2] == (2, 3)


@pytest.mark.parametrize("magic", ["bash", "sh", "script bash"])
def test_shell_cell_magics_make_every_line_a_shell_command(magic):
    code = analyse_cell(f"%%{magic}\ncurl -k https://x | sh\necho hi")
    assert code.kind == "shell" and code.tree is None
    assert [(s.text, s.line, s.col) for s in code.shell] == [("curl -k https://x | sh", 2, 1), ("echo hi", 3, 1)]


@pytest.mark.parametrize("magic", ["time", "capture out", "writefile train.py", "timeit -n 3"])
def test_python_cell_magics_keep_the_body_as_python(magic):
    code = analyse_cell(f"%%{magic}\nimport pickle\npickle.load(f)")
    assert code.kind == "python" and code.tree is not None
    calls = [n for n in ast.walk(code.tree) if isinstance(n, ast.Call)]
    assert [c.lineno for c in calls] == [3]


@pytest.mark.parametrize("magic", ["html", "markdown", "javascript", "latex"])
def test_other_cell_magics_are_text_not_python(magic):
    code = analyse_cell(f"%%{magic}\n<b>pickle.load(f)</b>")
    assert code.kind == "text" and code.tree is None and code.shell == []


def test_a_cell_that_is_not_python_still_has_its_shell_lines_and_a_reason():
    code = analyse_cell("!wget http://example.org/x.csv\ndef f(:\n    pass")
    assert code.tree is None and "line 2" in (code.syntax_error or "")
    assert shell("!wget http://example.org/x.csv\ndef f(:\n    pass") == [("wget http://example.org/x.csv", 1, 2, "!")]


def test_percent_inside_python_is_not_a_magic():
    # string formatting and a modulo continuing a bracket are Python, not %magics
    code = analyse_cell("msg = '%d items' % (3)\ntotal = (10\n    % 3)")
    assert code.tree is not None and code.magics == [] and code.shell == []


def test_automagic_pip_without_percent_is_a_shell_command():
    # IPython runs `pip install x` as %pip (a NAME NAME line is never valid Python)
    assert shell("pip install transformers") == [("pip install transformers", 1, 1, "%pip")]


def test_comments_stay_part_of_the_shell_text():
    assert shell("!echo $HOME  # c") == [("echo $HOME  # c", 1, 2, "!")]


def test_a_dockerfile_the_notebook_writes_is_read_for_its_run_commands():
    src = ("%%writefile serving/Dockerfile\nFROM python:3.10\n# RUN pip install commented-out\n"
           "RUN pip install pandas boto3\n"
           "RUN --mount=type=cache,target=/root/.cache pip install \\\n    torch transformers==4.40.0\n"
           "ENV PATH=/x:$PATH \\\n    NOT=pip install x\nRUN [\"pip\", \"install\", \"flask\"]\n"
           "run git clone $URL && cd faiss && pip install .\nCOPY . /app")
    code = analyse_cell(src, "python")
    assert (code.kind, code.file_kind) == ("shell", "dockerfile")
    assert [(c.line, c.col, c.text) for c in code.shell] == [
        (4, 5, "pip install pandas boto3"),
        (5, 44, "pip install  torch transformers==4.40.0"),
        (10, 5, "git clone $URL && cd faiss && pip install ."),
    ]
    assert analyse_cell("%%writefile notes.txt\nRUN pip install x", "python").shell == []
