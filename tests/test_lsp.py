"""``nbguard lsp``: the language server, driven over stdio by a real (small) LSP client.

Every test starts ``python -m nbguard lsp`` as a subprocess and speaks JSON-RPC to it
(tests/lsp_client.py), as VS Code, Neovim or JupyterLab-LSP would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from lsp_client import LspClient

from nbguard import api, cli
from nbguard.suppress import line_suppression_edit
from nbguard.model import Finding, Severity

SECRET = "hf_" + "kQzXwVbNmLpRtYsDfGhJcVbNmQwErTyUiO"
OUTPUT_SECRET = "sk-proj-" + "Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNmQwErTy"
CELL1 = f'import pandas as pd, torch\nnote = "naïve 😀"; HF_TOKEN = "{SECRET}"'
CELL2 = 'URL = "http://data.mycompany.org/train.csv"'
CELL3 = 'df = pd.read_csv(URL)\nmodel = torch.load("model.pt")'


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position(text: str, needle: str, line: int) -> dict:
    """The LSP position (UTF-16) of ``needle`` on 0-based ``line`` of ``text``."""
    row = text.split("\n")[line]
    return {"line": line, "character": utf16(row[:row.index(needle)])}


def apply(text: str, edits: list[dict]) -> str:
    """Apply LSP text edits (UTF-16 positions, all relative to the original text) to ``text``."""
    lines = text.split("\n")

    def offset(p: dict) -> int:
        row, units, col = lines[p["line"]], 0, 0
        while col < len(row) and units < p["character"]:
            units += utf16(row[col])
            col += 1
        return sum(len(x) + 1 for x in lines[:p["line"]]) + col

    for e in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        a, b = offset(e["range"]["start"]), offset(e["range"]["end"])
        text = text[:a] + e["newText"] + text[b:]
    return text


class Notebook:
    """An open notebook document: its cells' URIs, texts and versions."""

    def __init__(self, client: LspClient, path: Path, cells: list[str], kinds: list[int] | None = None) -> None:
        self.client, self.uri = client, path.as_uri()
        self.cells = [f"vscode-notebook-cell:{path}#cell{i}" for i in range(len(cells))]
        self.texts = list(cells)
        self.versions = [1] * len(cells)
        self.version = 1
        kinds = kinds or [2] * len(cells)
        client.notify("notebookDocument/didOpen", {
            "notebookDocument": {"uri": self.uri, "notebookType": "jupyter-notebook", "version": 1,
                                 "cells": [{"kind": k, "document": u} for k, u in zip(kinds, self.cells, strict=True)]},
            "cellTextDocuments": [{"uri": u, "languageId": "python" if k == 2 else "markdown", "version": 1,
                                   "text": t} for u, t, k in zip(self.cells, cells, kinds, strict=True)]})

    def set_text(self, i: int, text: str) -> int:
        """Replace cell ``i``'s text (one full-content change); its new version."""
        self.version += 1
        self.versions[i] += 1
        self.texts[i] = text
        self.client.notify("notebookDocument/didChange", {
            "notebookDocument": {"uri": self.uri, "version": self.version},
            "change": {"cells": {"textContent": [{"document": {"uri": self.cells[i], "version": self.versions[i]},
                                                  "changes": [{"text": text}]}]}}})
        return self.versions[i]

    def code_actions(self, i: int, pos: dict) -> list[dict]:
        reply = self.client.request("textDocument/codeAction", {
            "textDocument": {"uri": self.cells[i]}, "range": {"start": pos, "end": pos},
            "context": {"diagnostics": []}})
        assert "error" not in reply, reply
        return reply["result"] or []


@pytest.fixture
def client(tmp_path):
    c = LspClient(cwd=str(tmp_path))
    yield c
    c.kill()


def _codes(diags: list[dict]) -> list[str]:
    return sorted(d["code"] for d in diags)


def _no_secret_left_the_server(c: LspClient, *secrets: str) -> None:
    c.drain(0.2)
    for s in secrets:
        assert s.encode() not in bytes(c.raw), "a secret was sent to the client"
        assert s.encode() not in bytes(c.stderr), "a secret was written to stderr"
        assert s[:12].encode() not in bytes(c.raw)


# -- the scenario -------------------------------------------------------------------------------

def test_notebook_diagnostics_cross_cell_fix_and_clean_exit(client, tmp_path):
    """A 3-cell notebook: the secret in cell 1 and the URL set in cell 2 and read in cell 3 are
    reported on the right cells and ranges (UTF-16 columns on a non-ASCII line), the secret masked
    everywhere; https:// in cell 2 clears cell 3; the weights_only=True action fixes torch.load;
    shutdown + exit ends the server with status 0."""
    reply = client.initialize(str(tmp_path))
    caps = reply["result"]["capabilities"]
    assert caps["notebookDocumentSync"]["notebookSelector"][0]["cells"][0] == {"language": "python"}
    assert caps["positionEncoding"] == "utf-16"
    nb = Notebook(client, tmp_path / "train.ipynb", [CELL1, CELL2, CELL3])

    first = client.diagnostics(nb.cells[0])
    assert _codes(first) == ["NBG101"]
    d = first[0]
    line = CELL1.split("\n")[1]
    start = line.index(SECRET)
    assert start != utf16(line[:start])  # the emoji makes UTF-16 and code points differ on this line
    assert d["range"] == {"start": {"line": 1, "character": utf16(line[:start])},
                          "end": {"line": 1, "character": utf16(line[:start]) + len(SECRET)}}
    assert d["severity"] == 1 and d["source"] == "nbguard"
    assert d["codeDescription"]["href"].endswith("docs/rules/NBG101.md")
    assert "fix: read the key from the environment" in d["message"]

    assert client.diagnostics(nb.cells[1]) == []
    third = client.diagnostics(nb.cells[2])
    assert _codes(third) == ["NBG201", "NBG502"]
    url = next(x for x in third if x["code"] == "NBG201")
    assert url["range"] == {"start": position(CELL3, "URL", 0), "end": {"line": 0, "character": 20}}
    assert "set in cell 2" in url["message"] and url["severity"] == 2

    # https:// in cell 2: the finding in cell 3 goes (cell 3 itself was not edited)
    nb.set_text(1, CELL2.replace("http://", "https://"))
    assert _codes(client.diagnostics(nb.cells[2])) == ["NBG502"]

    # the quick fix for torch.load, applied as the editor would
    torch_pos = position(CELL3, "torch.load", 1)
    actions = nb.code_actions(2, torch_pos)
    fix = next(a for a in actions if "weights_only=True" in a["title"])
    assert fix["kind"] == "quickfix" and fix["diagnostics"][0]["code"] == "NBG502"
    fixed = apply(nb.texts[2], fix["edit"]["changes"][nb.cells[2]])
    assert fixed == 'df = pd.read_csv(URL)\nmodel = torch.load("model.pt", weights_only=True)'
    version = nb.set_text(2, fixed)
    assert client.diagnostics(nb.cells[2], version=version) == []

    inside = {"line": 1, "character": d["range"]["start"]["character"] + 3}
    hover = client.request("textDocument/hover", {"textDocument": {"uri": nb.cells[0]}, "position": inside})
    text = hover["result"]["contents"]["value"]
    assert "NBG101" in text and "## Why is this bad?" in text

    _no_secret_left_the_server(client, SECRET)
    assert client.close() == 0


def test_cells_added_removed_and_reordered(client, tmp_path):
    """Cell order is the notebook's: a cell inserted between the URL and its read that rebinds
    the URL to https:// clears the read; removing it brings the finding back; moving the read
    above the URL's cell loses the value (it is not set yet when the read runs)."""
    client.initialize(str(tmp_path))
    nb = Notebook(client, tmp_path / "s.ipynb", [CELL1, CELL2, CELL3])
    assert _codes(client.diagnostics(nb.cells[2])) == ["NBG201", "NBG502"]
    new_uri = f"{nb.cells[0]}-inserted"

    def structure(start: int, delete: int, cells: list[str], opened: list[dict], closed: list[str]) -> None:
        nb.version += 1
        client.notify("notebookDocument/didChange", {
            "notebookDocument": {"uri": nb.uri, "version": nb.version},
            "change": {"cells": {"structure": {
                "array": {"start": start, "deleteCount": delete, "cells": [{"kind": 2, "document": u} for u in cells]},
                "didOpen": opened, "didClose": [{"uri": u} for u in closed]}}}})

    structure(2, 0, [new_uri], [{"uri": new_uri, "languageId": "python", "version": 1,
                                 "text": 'URL = "https://data.mycompany.org/train.csv"'}], [])
    assert _codes(client.diagnostics(nb.cells[2])) == ["NBG502"]
    structure(2, 1, [], [], [new_uri])
    assert _codes(client.diagnostics(nb.cells[2])) == ["NBG201", "NBG502"]
    structure(1, 2, [nb.cells[2], nb.cells[1]], [], [])  # the read now comes before the URL is set
    assert _codes(client.diagnostics(nb.cells[2])) == ["NBG502"]


def test_malformed_messages_get_lsp_errors_and_the_server_goes_on(client, tmp_path):
    client.initialize(str(tmp_path))
    client.send_raw(b'{"jsonrpc": "2.0", "id": 7, "method": ')  # cut short: not JSON
    err = client.wait_for(lambda m: "error" in m and m.get("id") is None)
    assert err["error"]["code"] == -32700
    bad = client.request("textDocument/hover", {"textDocument": 5, "position": "here"})
    assert bad["error"]["code"] == -32602 and "textDocument/hover" in bad["error"]["message"]
    client.send_raw(b'{"id": 9, "method": "initialize"}')  # JSON, but not JSON-RPC 2.0
    assert client.wait_for(lambda m: m.get("id") == 9)["error"]["code"] == -32600
    client.send_raw(b"[1, 2, 3]")
    assert client.wait_for(lambda m: "error" in m and m["error"]["code"] == -32600 and m.get("id") is None)
    unknown = client.request("nbguard/noSuchMethod", {})
    assert unknown["error"]["code"] == -32601
    # a malformed notification carrying a secret is dropped without quoting it anywhere
    client.notify("notebookDocument/didOpen", {"notebookDocument": 5, "cellTextDocuments": [{"text": SECRET}]})
    client.notify("textDocument/didOpen", {"textDocument": {"uri": 1, "text": SECRET}})
    # still serving
    nb = Notebook(client, tmp_path / "x.ipynb", [CELL1])
    assert _codes(client.diagnostics(nb.cells[0])) == ["NBG101"]
    _no_secret_left_the_server(client, SECRET)
    assert client.close() == 0
    assert b"Traceback" not in bytes(client.stderr)


def test_pull_diagnostics_result_ids_and_refresh(client, tmp_path):
    """A client that pulls gets no pushed diagnostics; an edit in cell 2 that changes cell 3's
    diagnostics makes the server ask for a refresh."""
    client.initialize(str(tmp_path), pull=True)
    nb = Notebook(client, tmp_path / "p.ipynb", [CELL1, CELL2, CELL3])

    def pull(i: int, previous: str | None = None) -> dict:
        params: dict = {"textDocument": {"uri": nb.cells[i]}}
        if previous:
            params["previousResultId"] = previous
        reply = client.request("textDocument/diagnostic", params)
        assert "error" not in reply, reply
        return reply["result"]

    third = pull(2)
    assert third["kind"] == "full" and _codes(third["items"]) == ["NBG201", "NBG502"]
    assert pull(2, third["resultId"]) == {"kind": "unchanged", "resultId": third["resultId"]}
    assert _codes(pull(0)["items"]) == ["NBG101"]
    nb.set_text(1, CELL2.replace("http://", "https://"))
    assert pull(1)["items"] == []
    client.wait_for(lambda m: m.get("method") == "workspace/diagnostic/refresh", 10)
    assert _codes(pull(2, third["resultId"])["items"]) == ["NBG502"]
    # an edit that changes only the pulled cell's own diagnostics needs no refresh
    nb.set_text(0, CELL1 + "  # a comment")
    assert _codes(pull(0)["items"]) == ["NBG101"]
    client.drain(0.5)
    refreshes = [m for m in client.received if m.get("method") == "workspace/diagnostic/refresh"]
    assert len(refreshes) == 1
    assert not any(m.get("method") == "textDocument/publishDiagnostics" for m in client.received)
    assert client.close() == 0


def test_ignore_this_rule_on_this_line(client, tmp_path):
    client.initialize(str(tmp_path))
    nb = Notebook(client, tmp_path / "i.ipynb", [CELL1, CELL2, CELL3])
    assert _codes(client.diagnostics(nb.cells[0])) == ["NBG101"]
    actions = nb.code_actions(0, position(CELL1, SECRET, 1))
    titles = [a["title"] for a in actions]
    assert 'Fix NBG101: os.environ["HF_TOKEN"]' in titles and "Ignore NBG101 on this line" in titles
    ignore = next(a for a in actions if a["title"] == "Ignore NBG101 on this line")
    new = apply(nb.texts[0], ignore["edit"]["changes"][nb.cells[0]])
    assert new.split("\n")[1].endswith('"  # nbguard: ignore[NBG101]') and new.split("\n")[0] == CELL1.split("\n")[0]
    version = nb.set_text(0, new)
    assert client.diagnostics(nb.cells[0], version=version) == []

    env_fix = next(a for a in nb.code_actions(2, position(CELL3, "URL", 0)) if a["title"].startswith("Ignore"))
    assert env_fix["title"] == "Ignore NBG201 on this line"
    _no_secret_left_the_server(client, SECRET)


def test_secret_fix_moves_the_key_to_the_environment(client, tmp_path):
    client.initialize(str(tmp_path))
    nb = Notebook(client, tmp_path / "e.ipynb", [CELL1])
    client.diagnostics(nb.cells[0])
    fix = next(a for a in nb.code_actions(0, position(CELL1, SECRET, 1)) if a["title"].startswith("Fix"))
    assert apply(nb.texts[0], fix["edit"]["changes"][nb.cells[0]]) == (
        'import os\nimport pandas as pd, torch\nnote = "naïve 😀"; HF_TOKEN = os.environ["HF_TOKEN"]')


def test_outputs_and_metadata_are_linted_when_the_notebook_is_saved(client, tmp_path):
    """LSP's notebook model has no outputs: they come from the saved file, on open and on save."""
    path = tmp_path / "saved.ipynb"
    code = "print(key)"
    client.initialize(str(tmp_path))
    nb = Notebook(client, path, [code, "# Notes"], kinds=[2, 1])  # not on disk yet
    assert client.diagnostics(nb.cells[0]) == []
    saved = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"id": "c1", "cell_type": "code", "metadata": {}, "execution_count": 1, "source": [code],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"using {OUTPUT_SECRET}\n"]}]},
        {"id": "c2", "cell_type": "markdown", "metadata": {}, "source": ["# Notes"]}]}
    path.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    client.notify("notebookDocument/didSave", {"notebookDocument": {"uri": nb.uri}})
    diags = client.diagnostics(nb.cells[0])
    assert [(d["code"], d["data"]["where"]) for d in diags] == [("NBG101", "output")]
    assert diags[0]["message"].startswith("OpenAI API key in a cell output (in output 1)")
    assert diags[0]["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": len(code)}}
    _no_secret_left_the_server(client, OUTPUT_SECRET)


def test_markdown_cells_are_linted(client, tmp_path):
    client.initialize(str(tmp_path))
    md = f"Use the token `{SECRET}` to log in"
    nb = Notebook(client, tmp_path / "m.ipynb", [md, "x = 1"], kinds=[1, 2])
    diags = client.diagnostics(nb.cells[0])
    assert [d["code"] for d in diags] == ["NBG101"] and "markdown cell" in diags[0]["message"]
    assert diags[0]["range"] == {"start": {"line": 0, "character": md.index(SECRET)},
                                 "end": {"line": 0, "character": md.index(SECRET) + len(SECRET)}}
    assert nb.code_actions(0, diags[0]["range"]["start"]) == []  # no comment goes into markdown
    _no_secret_left_the_server(client, SECRET)


def test_python_script_with_percent_cells(client, tmp_path):
    path = tmp_path / "train.py"
    text = ('import pandas as pd, yaml\n\n# %%\nURL = "http://data.mycompany.org/train.csv"\n\n'
            '# %% [markdown]\n# Load it\n\n# %%\ndf = pd.read_csv(URL)\ncfg = yaml.load(open("c.yml"))\n')
    client.initialize(str(tmp_path))
    client.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "python",
                                                             "version": 1, "text": text}})
    diags = client.diagnostics(path.as_uri())
    assert _codes(diags) == ["NBG201", "NBG504"]
    url = next(d for d in diags if d["code"] == "NBG201")
    assert url["range"]["start"] == position(text, "URL", 9)  # line 10 of the file, in the 3rd cell
    reply = client.request("textDocument/codeAction", {
        "textDocument": {"uri": path.as_uri()}, "range": {"start": position(text, "yaml", 10),
                                                          "end": position(text, "yaml", 10)},
        "context": {"diagnostics": []}})
    fix = next(a for a in reply["result"] if a["title"] == "Fix NBG504: yaml.safe_load")
    assert apply(text, fix["edit"]["changes"][path.as_uri()]).split("\n")[10] == 'cfg = yaml.safe_load(open("c.yml"))'


def test_ipynb_opened_as_json_text(client, tmp_path):
    path = tmp_path / "raw.ipynb"
    nbjson = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"id": "a", "cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import os\n", f'TOKEN = "{SECRET}"']}]}
    text = json.dumps(nbjson, indent=1)
    client.initialize(str(tmp_path))
    client.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "json",
                                                             "version": 1, "text": text}})
    diags = client.diagnostics(path.as_uri())
    assert _codes(diags) == ["NBG101"]
    row = next(i for i, ln in enumerate(text.split("\n")) if "TOKEN" in ln)
    raw = text.split("\n")[row]
    assert raw.index(SECRET) != len('TOKEN = "') + raw.index("TOKEN")  # the JSON escapes the quote: \"
    assert diags[0]["range"] == {"start": {"line": row, "character": raw.index(SECRET)},
                                 "end": {"line": row, "character": raw.index(SECRET) + len(SECRET)}}
    _no_secret_left_the_server(client, SECRET)


def test_project_config_and_initialization_options(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nbguard]\nignore = ["NBG201"]\n', encoding="utf-8")
    c = LspClient(cwd=str(tmp_path))
    try:
        c.initialize(str(tmp_path), options={"minSeverity": "high"})
        nb = Notebook(c, tmp_path / "cfg.ipynb", [CELL1, CELL2, CELL3])
        assert _codes(c.diagnostics(nb.cells[0])) == ["NBG101"]
        assert c.diagnostics(nb.cells[2]) == []  # NBG201 ignored by the project, NBG502 below "high"
        c.notify("workspace/didChangeConfiguration", {"settings": {"nbguard": {"select": ["NBG5"]}}})
        assert _codes(c.diagnostics(nb.cells[2])) == ["NBG502"]
        assert c.diagnostics(nb.cells[0]) == []
    finally:
        c.kill()


def test_bad_initialization_options_are_reported_not_fatal(client, tmp_path):
    client.initialize(str(tmp_path), options={"select": ["NBG999"], "minSeverity": "extreme"})
    nb = Notebook(client, tmp_path / "o.ipynb", [CELL1])
    assert _codes(client.diagnostics(nb.cells[0])) == ["NBG101"]
    shown = [m["params"]["message"] for m in client.received if m.get("method") == "window/showMessage"]
    assert any("minSeverity" in s for s in shown) and any("NBG999" in s for s in shown)


def test_edits_are_debounced(tmp_path):
    c = LspClient(cwd=str(tmp_path))
    try:
        c.initialize(str(tmp_path), options={"debounce": 600})
        nb = Notebook(c, tmp_path / "d.ipynb", ["x = 1"])
        assert c.diagnostics(nb.cells[0]) == []
        for k in range(5):
            last = nb.set_text(0, f'x = 1\nk{k} = "{SECRET}"')
        assert _codes(c.diagnostics(nb.cells[0])) == ["NBG101"]
        c.drain(0.8)
        versions = [m["params"]["version"] for m in c.received
                    if m.get("method") == "textDocument/publishDiagnostics"]
        assert versions == [1, last]  # the open, then only the last of five quick edits
    finally:
        c.kill()


def test_closing_clears_diagnostics(client, tmp_path):
    client.initialize(str(tmp_path))
    nb = Notebook(client, tmp_path / "c.ipynb", [CELL1])
    assert client.diagnostics(nb.cells[0])
    client.notify("notebookDocument/didClose", {"notebookDocument": {"uri": nb.uri},
                                                "cellTextDocuments": [{"uri": nb.cells[0]}]})
    assert client.diagnostics(nb.cells[0]) == []


def test_without_pygls_one_line_hint(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    assert cli.main(["lsp"]) == 2
    err = capsys.readouterr().err
    assert err == "nbguard: the language server needs pygls: pip install 'nbguard[lsp]'\n"


# -- the API functions the server uses ---------------------------------------------------------------

def _finding(line: int, end_line: int | None = None, rule: str = "NBG101") -> Finding:
    return Finding(path="p", rule=rule, name="n", category="secrets", severity=Severity.HIGH, cell=0, cell_id=None,
                   cell_type="code", where="source", output=None, line=line, column=1, end_line=end_line or line,
                   end_column=2, message="m", snippet="")


def _apply_line_edit(line: str, code: str) -> str:
    edit = line_suppression_edit(line, code)
    return line if edit is None else line[:edit[0]] + edit[2] + line[edit[1]:]


def test_line_suppression_edit_extends_an_existing_comment():
    assert _apply_line_edit("x = 1", "NBG101") == "x = 1  # nbguard: ignore[NBG101]"
    assert _apply_line_edit("x = 1   ", "NBG101") == "x = 1  # nbguard: ignore[NBG101]"
    assert _apply_line_edit("x = 1  # nbguard: ignore[NBG5]", "NBG101") == "x = 1  # nbguard: ignore[NBG5, NBG101]"
    assert line_suppression_edit("x = 1  # nbguard: ignore", "NBG101") is None
    assert line_suppression_edit("x = 1  # nbguard: ignore[NBG101]", "NBG101") is None
    assert _apply_line_edit("x = 1\r", "NBG101") == "x = 1  # nbguard: ignore[NBG101]\r"


def test_ignore_line_edit_refuses_lines_inside_strings():
    src = 'a = """\nsecret\n"""\nb = 1 + \\\n  2'
    assert api.ignore_line_edit(src, _finding(2)) is None  # inside the string: a comment would change it
    assert api.ignore_line_edit(src, _finding(1, 3)).edits == ((3, 4, 3, 4, "  # nbguard: ignore[NBG101]"),)
    assert api.ignore_line_edit(src, _finding(4)) is None  # a line continuation


def test_notebook_from_script_cells_and_starts():
    nb, starts = api.notebook_from_script("import os\n# %%\nx = 1\n# %% [markdown]\n# hi\n")
    assert [c["cell_type"] for c in nb["cells"]] == ["code", "code", "markdown"]
    assert starts == [0, 2, 4]
    assert [c["source"] for c in nb["cells"]] == ["import os", "x = 1", "# hi\n"]
    nb, starts = api.notebook_from_script("")
    assert len(nb["cells"]) == 1 and starts == [0]
