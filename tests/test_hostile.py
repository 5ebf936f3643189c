"""Hostile input: nbguard stays up, bounded, offline and silent about secrets."""

import os
import socket
import time

import pytest
from conftest import CORPUS, corpus_notebooks
from helpers import nb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbguard.api import lint_notebook, lint_paths
from nbguard.config import Config
from nbguard.ipysyntax import analyse_cell
from nbguard.notebook import NotebookError, parse_notebook
from nbguard.engine import lint
from nbguard.rules.base import all_rules

HF = "hf_" + "LkJhGfDsApOiUyTrEwQzXcVbNmLkJhGfDs"

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=20)

cell_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from([
        "import pickle", "pickle.load(f)", "!pip install torch", "%pip install -U x", "%%bash", "x = !ls",
        "%env TOKEN=abc123def456", "def f(:", "print 'py2'", "obj?", "??obj", "%time y = 1", "if x:",
        "    !echo hi", 'requests.get("http://example.org", verify=False)', f'k = "{HF}"', "\\", '"""',
        "from transformers import AutoModel as A", 'A.from_pretrained("org/m")', "%%writefile a.py", "\x00",
        "\ud800", "é = 1", "\t\t", "lambda: (yield)", "async def f(): await x", "%%script bash",
    ]), max_size=12).map("\n".join),
)

outputs = st.lists(st.one_of(
    json_values,
    st.fixed_dictionaries({"output_type": st.sampled_from(["stream", "error", "execute_result", "display_data",
                                                            "weird"]),
                           "text": st.one_of(st.text(max_size=50), st.lists(st.text(max_size=20)), json_scalars),
                           "data": st.one_of(st.dictionaries(st.sampled_from(["text/plain", "text/html",
                                                                              "image/png", "application/json"]),
                                                             json_values, max_size=3), json_scalars),
                           "traceback": st.one_of(st.lists(st.text(max_size=30)), json_scalars),
                           "evalue": json_values}),
), max_size=3)

cells = st.one_of(
    json_values,
    st.fixed_dictionaries({
        "cell_type": st.one_of(st.sampled_from(["code", "markdown", "raw", "heading", "bogus"]), json_scalars),
        "source": st.one_of(cell_text, st.lists(cell_text, max_size=3), json_scalars),
        "metadata": st.one_of(st.dictionaries(st.text(max_size=10), json_values, max_size=3), json_scalars),
        "outputs": st.one_of(outputs, json_scalars),
        "id": st.one_of(st.text(max_size=10), json_scalars),
        "execution_count": json_scalars,
    }),
)

notebooks = st.fixed_dictionaries({
    "nbformat": st.one_of(st.integers(min_value=1, max_value=5), json_scalars),
    "nbformat_minor": json_scalars,
    "metadata": st.one_of(st.dictionaries(st.text(max_size=10), json_values, max_size=3), json_scalars),
    "cells": st.one_of(st.lists(cells, max_size=6), json_values),
    "worksheets": st.one_of(st.lists(st.fixed_dictionaries({"cells": st.lists(cells, max_size=3)}), max_size=2),
                            json_values),
})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(notebooks)
def test_any_notebook_shape_gives_findings_or_a_clear_error(obj):
    report = lint_notebook(obj, Config())
    for e in report.errors:
        assert e.message and "\n" not in e.message
    for f in report.findings:
        assert HF not in f.snippet and HF not in f.message


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cell_text)
def test_any_cell_text_is_linted_without_exception(src):
    analyse_cell(src)
    report = lint_notebook(nb(src, src), Config())
    assert report.errors == []
    assert all(HF not in f.snippet for f in report.findings)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300))
def test_any_bytes_give_a_notebook_or_a_clear_error(data):
    try:
        parse_notebook(data, "x.ipynb")
    except NotebookError as e:
        assert str(e) and "\n" not in str(e)


def test_deeply_nested_json_is_an_error_not_a_crash():
    with pytest.raises(NotebookError):
        parse_notebook(b"[" * 100_000 + b"]" * 100_000, "deep.ipynb")
    deep = {"cells": [], "nbformat": 4, "metadata": {}}
    node = deep["metadata"]
    for _ in range(500):
        node["a"] = {}
        node = node["a"]
    assert lint_notebook(deep, Config()).errors == []


def test_deeply_nested_python_is_not_a_crash():
    src = "x = " + "(" * 300 + "1" + ")" * 300 + "\n" + "y = " + "[" * 1000 + "]" * 1000
    assert lint_notebook(nb(src), Config()).errors == []


ADVERSARIAL = [
    "a" * 1_000_000,
    "hf_" * 333_333,
    "sk-" + "A" * 999_997,
    "http://" + "a" * 999_993,
    "-" * 1_000_000,
    "eyJ" + "a." * 499_998,
    "x@" * 500_000,
    "1" * 1_000_000,
    " " * 999_999 + "!",
    ("pip install " + "a" * 50 + " ") * 15_000,
    "://" + ":" * 999_997 + "@",
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[t[:12].encode().hex() for t in ADVERSARIAL])
def test_every_rule_is_fast_on_one_megabyte_adversarial_text(text):
    from nbguard.notebook import notebook_from_dict
    from helpers import code, md, stream

    notebook = notebook_from_dict(nb(code(text[:200_000]), md(text), code("x", outputs=[stream(text)])), "adv.ipynb")
    for rule in all_rules().values():
        t = time.perf_counter()
        lint(notebook, Config(select=[rule.code]))
        assert time.perf_counter() - t < 2.0, f"{rule.code} took too long on adversarial input"


def test_lint_opens_no_socket_and_runs_no_code(monkeypatch, tmp_path):
    def no_network(*a, **kw):
        raise AssertionError("nbguard opened a socket while linting")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    marker = tmp_path / "executed"
    notebook = nb(f"open({str(marker)!r}, 'w').write('x')", "import os; os.system('touch /tmp/nbguard-ran')",
                  f"__import__('pathlib').Path({str(marker)!r}).touch()")
    lint_notebook(notebook, Config())
    assert not marker.exists()
    corpus_notebooks()  # fails in CI when the corpus is missing
    report = lint_paths([CORPUS], Config(), jobs=1)
    assert report.files > 900


def test_thousands_of_cells(tmp_path):
    notebook = nb(*[f"x{i} = {i}\nimport pickle\npickle.loads(b'')" for i in range(3000)])
    t = time.perf_counter()
    report = lint_notebook(notebook, Config())
    assert time.perf_counter() - t < 30
    assert report.errors == []


def test_large_notebook_over_the_limit_is_refused(tmp_path):
    p = tmp_path / "huge.ipynb"
    with open(p, "w") as fh:
        fh.write('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", '
                 '"metadata": {}, "execution_count": 1, "source": "x", "outputs": [{"output_type": "stream", '
                 '"name": "stdout", "text": "')
        chunk = "a" * (1 << 20)
        for _ in range(60):
            fh.write(chunk)
        fh.write('"}]}]}')
    report = lint_paths([str(p)], Config())
    assert len(report.errors) == 1 and "over the 52 MB limit" in report.errors[0].message


def test_unreadable_folder_is_reported(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = lint_paths([str(tmp_path)], Config())
    assert [e.message for e in report.errors] == ["permission denied (folder)"]


@pytest.mark.parametrize("worksheets", [True, 3, "x", {"cells": []}, [True], [{"cells": True}]])
def test_found_crasher_old_notebook_with_odd_worksheets(worksheets):
    # found by test_any_notebook_shape_gives_findings_or_a_clear_error: 'worksheets': True crashed the loader
    report = lint_notebook({"nbformat": 3, "worksheets": worksheets, "metadata": {}}, Config())
    assert report.findings == [] and all("\n" not in e.message for e in report.errors)
