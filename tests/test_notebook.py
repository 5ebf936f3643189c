"""The notebook model: loading, IPython syntax, and the source map back to cells and raw lines."""

import json

import pytest
from helpers import code, lint, md, nb, result, stream, write_nb

from nbguard.ipysyntax import analyse_cell
from nbguard.notebook import NotebookError, parse_notebook, read_notebook

HF = "hf_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBaZyXwVuTs"


def test_source_as_list_and_as_string_give_same_positions(tmp_path):
    as_list = nb(code(["import os\n", "x = 1\n", f'token = "{HF}"\n']))
    as_str = nb(code(f'import os\nx = 1\ntoken = "{HF}"\n'))
    for notebook in (as_list, as_str):
        (f,) = lint(notebook, "NBG101").findings
        assert (f.cell, f.line, f.column, f.end_column) == (0, 3, 10, 47)


def test_cell_index_counts_markdown_cells():
    notebook = nb(md("# Title"), md("intro"), f'key = "{HF}"')
    (f,) = lint(notebook, "NBG101").findings
    assert f.cell == 2 and f.cell_type == "code"


def test_raw_line_points_at_the_json_line_of_the_text(tmp_path):
    notebook = nb(md("# T"), code(["a = 1\n", "b = 2\n", f"c = '{HF}'\n"]),
                  code("print(c)", outputs=[stream(["line one\n", f"tok {HF}\n"])]))
    path = write_nb(tmp_path / "n.ipynb", notebook)
    raw = open(path).read().split("\n")
    from nbguard.api import lint_file
    from nbguard.config import Config

    findings = lint_file(path, Config()).findings
    assert [f.where for f in findings] == ["source", "output"]
    for f in findings:
        assert HF in raw[f.raw_line - 1], (f, raw[f.raw_line - 1])


def test_raw_line_for_single_string_source(tmp_path):
    notebook = nb(md("x"), code(f"a = 1\nkey = '{HF}'\n"))
    path = write_nb(tmp_path / "n.ipynb", notebook)
    raw = open(path).read().split("\n")
    from nbguard.api import lint_file
    from nbguard.config import Config

    (f,) = lint_file(path, Config()).findings
    assert f.line == 2 and HF in raw[f.raw_line - 1]


def test_output_position_is_within_the_output_text():
    notebook = nb(code("show()", outputs=[result({"text/plain": ["header\n", f"  value: {HF}"]})]))
    (f,) = lint(notebook, "NBG101").findings
    assert (f.where, f.output, f.line, f.column) == ("output", 0, 2, 10)


def test_v3_notebook_is_upgraded_and_linted(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "source": ["Title"], "metadata": {}},
        {"cell_type": "code", "language": "python", "input": ["import os\n", f"tok = '{HF}'"],
         "outputs": [], "metadata": {}, "collapsed": False}]}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3, indent=1))
    from nbguard.api import lint_file
    from nbguard.config import Config

    (f,) = lint_file(str(path), Config()).findings
    assert (f.cell, f.line) == (1, 2)
    assert HF in path.read_text().split("\n")[f.raw_line - 1]


@pytest.mark.parametrize("data, reason", [
    (b"", "file is empty"),
    (b"   \n", "file is empty"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "top-level JSON is an array"),
    (b'{"a": 1}', "no 'cells'"),
    (b'{"cells": {}, "nbformat": 4}', "'cells' is an object"),
    (b'{"cells": [], "nbformat": 9}', "unsupported nbformat version 9"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
    (b"\xff\xfe{\x00", "binary data"),
    (b'{"cells": [\xff]}', "not UTF-8"),
])
def test_bad_input_gives_a_one_line_reason(data, reason):
    with pytest.raises(NotebookError) as e:
        parse_notebook(data, "x.ipynb")
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_missing_file():
    with pytest.raises(NotebookError, match="no such file"):
        read_notebook("/nonexistent/nb.ipynb")


def test_size_limit(tmp_path):
    p = tmp_path / "big.ipynb"
    p.write_text(json.dumps(nb("x = 1")) + " " * 2048)
    with pytest.raises(NotebookError, match="over the"):
        read_notebook(str(p), max_bytes=1024)


def test_broken_cells_do_not_stop_the_others():
    notebook = nb("def broken(:\n    pass", f"k = '{HF}'", {"cell_type": "code"}, 42, code(None))
    assert [f.cell for f in lint(notebook, "NBG101").findings] == [1]


class TestIPythonSyntax:
    def test_magics_and_shell_are_recorded_with_positions(self):
        c = analyse_cell("import os\n!pip install torch\nfiles = !ls -la\n%env A=1\n%time x = f()\nobj?")
        assert c.tree is not None
        assert [(s.text, s.line, s.col, s.origin) for s in c.shell] == [
            ("pip install torch", 2, 2, "!"), ("ls -la", 3, 10, "!")]
        assert [(m.name, m.args, m.line) for m in c.magics] == [("env", "A=1", 4), ("time", "x = f()", 5)]

    def test_timed_statement_is_still_python_at_its_column(self):
        c = analyse_cell("%time model = load('x')")
        call = c.tree.body[0].body[0].value  # if 1: model = load('x')
        assert call.func.id == "load" and call.col_offset == 14

    def test_pip_magic_is_a_shell_command(self):
        c = analyse_cell("%pip install -q transformers")
        assert [(s.text, s.origin) for s in c.shell] == [("pip install -q transformers", "%pip")]

    def test_bash_cell_is_shell(self):
        c = analyse_cell("%%bash\nset -e\ncurl http://x.org/a \\\n  -o a\n")
        assert c.kind == "shell"
        assert [(s.text, s.line, s.end_line) for s in c.shell] == [
            ("set -e", 2, 2), ("curl http://x.org/a  -o a", 3, 4)]

    @pytest.mark.parametrize("magic", ["%%time", "%%capture out", "%%timeit -n 1", "%%writefile train.py"])
    def test_python_cell_magics_keep_python(self, magic):
        c = analyse_cell(f"{magic}\nimport torch\nm = torch.load('x.pt')")
        assert c.kind == "python" and c.tree is not None
        assert c.tree.body[1].lineno == 3

    @pytest.mark.parametrize("magic", ["%%html", "%%javascript", "%%writefile notes.txt", "%%latex"])
    def test_foreign_cell_magics_are_text(self, magic):
        assert analyse_cell(f"{magic}\n<b>x</b>").kind == "text"

    def test_indented_shell_escape(self):
        c = analyse_cell("if True:\n    !echo hi\n    x = 1")
        assert c.tree is not None and [(s.text, s.line, s.col) for s in c.shell] == [("echo hi", 2, 6)]

    def test_python2_cell_still_yields_shell_lines(self):
        c = analyse_cell("print 'hello'\n!wget http://x.org/f")
        assert c.tree is None and c.syntax_error
        assert [s.text for s in c.shell] == ["wget http://x.org/f"]

    def test_bang_inside_string_is_not_shell(self):
        c = analyse_cell('doc = """\n!not a command\n"""')
        assert c.shell == []

    def test_percent_continuing_a_bracket_is_python_and_needs_no_ipython(self, monkeypatch):
        from nbguard import ipysyntax

        monkeypatch.setattr(ipysyntax, "_ipython_transform", lambda s: pytest.fail("IPython was asked"))
        c = analyse_cell('!pip install -q torch\nif region != REGION:\n    raise ValueError(\n'
                         '        "bucket %s is not in %s"\n        % (region, REGION)\n    )')
        assert c.tree is not None and c.syntax_error is None
        assert [(s.text, s.line) for s in c.shell] == [("pip install -q torch", 1)]
        assert c.magics == []  # "% (region, REGION)" is the string's formatting, not a magic

    def test_broken_python2_cell_is_not_sent_to_ipython(self, monkeypatch):
        from nbguard import ipysyntax

        monkeypatch.setattr(ipysyntax, "_ipython_transform", lambda s: pytest.fail("IPython was asked"))
        c = analyse_cell("print 'hello', 3 % 2\nfor k in d.keys(): print k")
        assert c.tree is None and "print" in c.syntax_error

    @pytest.mark.parametrize("src", [
        "    x = 1\n    !ls",  # common indent: IPython's leading_indent
        ">>> import os\n>>> os.getcwd()",  # a pasted prompt
        "In [1]: x = 1",
        "files = !ls\nprint 'x'",  # assignment from a shell escape
        "obj?\nprint 'x'",
        "/f 1 2\nprint 'x'",  # IPython's autocall escape
    ])
    def test_cells_ipython_may_transform_are_still_sent_to_it(self, src):
        from nbguard.ipysyntax import _ipython_may_change

        assert _ipython_may_change(src)

    @pytest.mark.parametrize("src, starts", [
        ("a = (1,\n     2)\nb", [True, False, True]),
        ('s = """\n%x\n"""\n%y', [True, False, False, True]),
        ("x = 1 + \\\n  2\ny", [True, False, True]),
        ("s = '(' # )\n% z", [True, True]),  # brackets in strings and comments do not count
        ("s = 'abc\n% z", [True, True]),  # an unterminated one-line string ends at its line
    ])
    def test_logical_line_starts(self, src, starts):
        from nbguard.ipysyntax import _logical_line_starts

        assert _logical_line_starts(src, len(src.split("\n"))) == starts
