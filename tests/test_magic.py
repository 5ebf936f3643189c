"""``%nbguard`` in real kernels (nbclient), in a terminal IPython, and the panel's pieces in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import nb, write_nb

import nbguard
from nbguard.model import Report

HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
OPENAI = "sk-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx"
HF_MASKED = 'TOKEN = "hf_Q***'
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# -- kernels ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kernel_name():
    import importlib.util

    pytest.importorskip("nbclient")
    if importlib.util.find_spec("ipykernel") is None:  # the kernel runs in a subprocess: no need to import it
        pytest.skip("ipykernel is not installed")
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():  # a fresh machine: install it for this venv
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True,
                       capture_output=True)
    return "python3"


def execute(cells: list[str], cwd, kernel_name: str, session_file: str | None = None):
    """Run ``cells`` in a fresh kernel (errors allowed); JPY_SESSION_NAME set as jupyter_server sets it."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.from_dict(nb(*cells))
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME",)}
    if session_file:
        env["JPY_SESSION_NAME"] = session_file
    client = NotebookClient(notebook, timeout=60, kernel_name=kernel_name, allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env)
    return notebook


def streams(cell, name: str | None = None) -> str:
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and name in (None, o["name"]))


def result(cell) -> dict:
    (out,) = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    return out["data"]


def widget_html(notebook, model_id: str) -> list[str]:
    """The HTML values of every widget under ``model_id``, as the front-end would draw them."""
    state = notebook.metadata["widgets"][WIDGET_STATE]["state"]
    out: list[str] = []

    def walk(mid: str) -> None:
        model = state[mid]
        s = model["state"]
        if model["model_name"] == "HTMLModel":
            out.append(s.get("value", ""))
        for child in s.get("children", []):
            walk(child.removeprefix("IPY_MODEL_"))

    walk(model_id)
    return out


def everything_shown(notebook) -> str:
    """Every output and widget state: what a user (or a saved .ipynb) could see."""
    return json.dumps([c.get("outputs", []) for c in notebook.cells]) + json.dumps(notebook.metadata.get("widgets"))


def test_panel_from_kernel_history(tmp_path, kernel_name):
    notebook = execute([
        f'TOKEN = "{HF}"',
        "%load_ext nbguard",
        "%nbguard",
        "print(type(_nbguard).__name__, [(f.rule, f.cell + 1) for f in _nbguard.findings])",
        "df = _nbguard.to_dataframe(); print(df.shape[0], list(df.columns[:3]))",
    ], tmp_path, kernel_name)
    magic = notebook.cells[2]
    # no notebook file is known to this kernel: it says so and lints what ran
    assert "linted the kernel's input history" in streams(magic, "stdout")
    data = result(magic)
    assert WIDGET_VIEW in data  # the panel
    assert "NBG101" in data["text/plain"]  # and the text fallback for front-ends without widgets
    html = widget_html(notebook, data[WIDGET_VIEW]["model_id"])
    table = next(h for h in html if "nbg-magic-table" in h)
    assert "NBG101" in table and "hf_Q***" in table
    chips = next(h for h in html if "nbg-magic-chip" in h)
    assert 'data-severity="high"' in chips
    # the variable _nbguard is the Report; cell numbers are execution counts (In[1] holds the key)
    assert streams(notebook.cells[3]) == "Report [('NBG101', 1)]\n"
    assert streams(notebook.cells[4]).startswith("1 ['path', 'rule', 'name']")
    assert HF not in everything_shown(notebook)


def test_notebook_file_stale_then_saved(tmp_path, kernel_name):
    cells = [
        f'TOKEN = "{HF}"',
        "%load_ext nbguard",
        "%nbguard",
        "x = 1  # ran, but not in the saved file",
        "%nbguard",
        "import os; os.utime(os.environ['JPY_SESSION_NAME'])  # the user saves",
        "%nbguard",
        "%nbguard missing.ipynb",
        "%nbguard --min-severity urgent",
    ]
    saved = cells[:3] + cells[4:]
    path = write_nb(tmp_path / "analysis.ipynb", nb(*saved))
    notebook = execute(cells, tmp_path, kernel_name, session_file=path)

    first = notebook.cells[2]  # the file holds everything that ran: lint the file
    assert streams(first) == ""
    assert result(first)["text/plain"].startswith("analysis.ipynb:cell 1:1:10: NBG101")

    stale = notebook.cells[4]  # In[4] is not in the file, which is older: lint the history, say so
    note = streams(stale, "stdout")
    assert "analysis.ipynb on disk is older than what ran" in note and "In[4]" in note
    assert result(stale)["text/plain"].startswith("<kernel history>:cell 1:1:10: NBG101")

    saved_now = notebook.cells[6]  # saved after In[4] ran: the file again
    assert streams(saved_now) == ""
    assert result(saved_now)["text/plain"].startswith("analysis.ipynb:cell 1:")

    missing = notebook.cells[7]
    assert missing.outputs == [{"output_type": "stream", "name": "stderr",
                                "text": "nbguard: missing.ipynb: no such file\n"}]
    bad = notebook.cells[8]
    assert [o["output_type"] for o in bad.outputs] == ["stream"]
    assert streams(bad, "stderr").startswith("nbguard: argument --min-severity: invalid choice: 'urgent'")
    assert streams(bad).count("\n") == 1
    assert HF not in everything_shown(notebook)


def test_on_warns_block_stops_off_resumes(tmp_path, kernel_name):
    notebook = execute([
        "%load_ext nbguard",
        "%nbguard on",
        f'KEY = "{OPENAI}"',
        "%nbguard on --block high",
        f'LEAK = "{OPENAI}"',
        "print('LEAK' in globals(), 'KEY' in globals())",
        f'OK = "{OPENAI}"  # nbguard: ignore[NBG101]',
        "%nbguard off",
        f'AFTER = "{OPENAI}"',
        f"%%nbguard\nCELL = '{HF}'\nprint('body ran')",
        "print(sorted(k for k in ('OK', 'AFTER', 'CELL') if k in globals()))",
    ], tmp_path, kernel_name)
    cells = notebook.cells
    warn = streams(cells[2], "stderr")
    assert warn.startswith("nbguard: 1 finding in this cell\n  line 1:8: NBG101 [high]")
    assert 'KEY = "sk-p***' in warn

    (err,) = [o for o in cells[4].outputs if o["output_type"] == "error"]
    assert err["ename"] == "CellBlocked"
    message = "\n".join(err["traceback"])
    assert "nbguard blocked this cell" in message and "NBG101" in message
    assert "# nbguard: ignore[NBG101]" in message and "%nbguard off" in message
    assert "Traceback" not in message and 'LEAK = "sk-p***' in message
    assert streams(cells[5]) == "False True\n"  # the blocked cell's variable stays unset

    assert cells[6].outputs == []  # suppressed on the line: runs, no warning
    assert streams(cells[8]) == ""  # off: no check
    body = streams(cells[9])
    assert "NBG101" in body and body.index("NBG101") < body.index("body ran")  # %%nbguard: findings, then run
    assert streams(cells[10]) == "['AFTER', 'CELL', 'OK']\n"
    shown = everything_shown(notebook)
    assert OPENAI not in shown and HF not in shown


def test_text_report_in_terminal_ipython(tmp_path):
    path = write_nb(tmp_path / "leaky.ipynb", nb(f'TOKEN = "{HF}"'))
    proc = subprocess.run(
        [sys.executable, "-m", "IPython", "--quick", "--no-banner", "--colors=nocolor", "--ext=nbguard",
         "-c", f"%nbguard {tmp_path / 'missing.ipynb'}\n%nbguard {path}"],
        check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert "leaky.ipynb:cell 1:1:10: NBG101 [high]" in out and HF_MASKED in out
    assert "Found 1 finding" in out
    assert f"nbguard: {tmp_path / 'missing.ipynb'}: no such file" in out
    assert HF not in out and "Traceback" not in out and "VBox" not in out


# -- in-process: the Report's data and the panel's behaviour ---------------------------------------

def report_with(*sources: str) -> Report:
    from helpers import lint

    return lint(nb(*sources))


def test_to_dataframe_one_row_per_finding_with_json_fields():
    from nbguard.report.json_format import FINDING_FIELDS

    report = report_with(f'TOKEN = "{HF}"', "x = 1", f'KEY = "{OPENAI}"')
    df = report.to_dataframe()
    assert list(df.columns) == list(FINDING_FIELDS)
    assert {"path", "rule", "category", "severity", "cell", "line", "column", "snippet"} <= set(df.columns)
    assert df[["rule", "cell", "line", "severity"]].values.tolist() == [["NBG101", 0, 1, "high"],
                                                                        ["NBG101", 2, 1, "high"]]
    assert HF not in df.to_string() and OPENAI not in df.to_string()
    empty = report_with("x = 1").to_dataframe()
    assert empty.shape == (0, len(FINDING_FIELDS))


def test_panel_filters_and_explains():
    pytest.importorskip("ipywidgets")
    from nbguard.magic.widget import Panel

    report = report_with(f'TOKEN = "{HF}"', "x = 1", f'KEY = "{OPENAI}"')
    panel = Panel(report)
    assert panel.table.value.count('class="nbg-magic-row"') == 2
    assert "showing 2 of 2" in panel.shown.value
    panel.select(severity="medium")
    assert panel.table.value.count('class="nbg-magic-row"') == 0 and "showing 0 of 2" in panel.shown.value
    panel.select(category="secrets", severity="high")
    assert panel.table.value.count('class="nbg-magic-row"') == 2
    assert panel.doc.value == ""
    panel.select(rule="NBG101")
    assert 'data-rule="NBG101"' in panel.doc.value and "What it does" in panel.doc.value
    assert HF not in panel.table.value and OPENAI not in panel.table.value
    assert [o[1] for o in panel.category.options] == ["all", "secrets"]


def test_report_displays_as_text_outside_a_kernel():
    report = report_with(f'TOKEN = "{HF}"')
    bundle = report._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "NBG101" in bundle["text/plain"] and HF not in bundle["text/plain"]


def test_markdown_to_html_escapes_and_formats():
    from nbguard.magic.widget import markdown_html

    out = markdown_html("## Why\nUse `x<y` and [CWE-798](https://cwe.mitre.org/x).\n\n- a\n- b\n```python\n<b>\n```")
    assert "<h4>Why</h4>" in out and "<code>x&lt;y</code>" in out
    assert '<a href="https://cwe.mitre.org/x"' in out and "<li>a</li><li>b</li>" in out
    assert "<code>&lt;b&gt;</code></pre>" in out


# -- which notebook: pure logic -----------------------------------------------------------------

def test_notebook_path_sources(tmp_path):
    from nbguard.magic import notebook_path

    p = str(tmp_path / "a.ipynb")
    assert notebook_path({}, {"JPY_SESSION_NAME": p}) == (p, "JPY_SESSION_NAME")
    assert notebook_path({"__vsc_ipynb_file__": p}, {})[0] == p
    assert notebook_path({}, {"JPY_SESSION_NAME": "/console-1-abc"}) == (None, "")  # a console, not a notebook
    assert notebook_path({}, {}) == (None, "")


def test_unsaved_inputs_ignores_nbguard_lines_and_whitespace():
    from nbguard.magic import unsaved_inputs

    saved = ["import os\nx = 1\n", "y = 2"]
    ran = [(1, "import os\nx = 1"), (2, "%load_ext nbguard"), (3, "y = 2   \n"), (4, "%nbguard --select secrets"),
           (5, "z = 3")]
    assert unsaved_inputs(saved, ran) == [5]


@pytest.mark.parametrize("line, message", [
    ("--block high", "--block goes with 'on'"),
    ("--select NOPE", "unknown rule or category 'NOPE'"),
    ("'unterminated", "cannot parse arguments"),
])
def test_bad_options_are_one_line(line, message, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    try:
        nbguard.load_ipython_extension(ip)
        assert ip.run_line_magic("nbguard", line) is None
        err = capsys.readouterr().err
        assert err.startswith("nbguard: ") and message in err and err.count("\n") == 1
    finally:
        nbguard.unload_ipython_extension(ip)
        InteractiveShell.clear_instance()
