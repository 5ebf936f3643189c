"""`nbguard fix`: safe fixes that change nothing else, checked on the file a user keeps.

Each fix must (1) make the finding go away on re-lint, (2) leave every other byte of
the notebook as it was, (3) keep the file valid nbformat, (4) never half-write.
"""

import errno
import json
import os
import shutil
import tempfile

import nbformat
import pytest
from conftest import corpus_notebooks
from helpers import code, md, nb, result, run, run_process, stream, write_nb

from nbguard import cli
from nbguard.api import lint_paths
from nbguard.config import Config
from nbguard.fix import fix_file, json_spans

HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
OPENAI = "sk-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx"
WANDB = "3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d1e3f5a7b"


def fixed_source(tmp_path, *cells, select="ALL", **kw):
    """Fix a notebook made of ``cells`` and return the new source of every cell."""
    path = write_nb(tmp_path / "t.ipynb", nb(*cells))
    res = fix_file(path, Config(select=[select]), **kw)
    if res.changed:
        with open(path, "wb") as fh:
            fh.write(res.data)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in data["cells"]]


@pytest.mark.parametrize("source, expected", [
    (f'HF_TOKEN = "{HF}"', 'import os\nHF_TOKEN = os.environ["HF_TOKEN"]'),
    (f'token = "{HF}"\nlogin(token)', 'import os\ntoken = os.environ["HF_TOKEN"]\nlogin(token)'),
    (f'client = OpenAI(api_key="{OPENAI}")', 'import os\nclient = OpenAI(api_key=os.environ["OPENAI_API_KEY"])'),
    (f"login(token='{HF}')", 'import os\nlogin(token=os.environ["HF_TOKEN"])'),
    (f'import os\nWANDB_KEY = "{WANDB}"\nwandb.login(key=WANDB_KEY)',
     'import os\nWANDB_KEY = os.environ["WANDB_KEY"]\nwandb.login(key=WANDB_KEY)'),
    ('conn = psycopg2.connect(host="db", password="Tr0ub4dor&3x")',
     'import os\nconn = psycopg2.connect(host="db", password=os.environ["DB_PASSWORD"])'),
    (f'cfg = {{"api_key": "{HF}"}}', 'import os\ncfg = {"api_key": os.environ["HF_TOKEN"]}'),
    # a %%time cell keeps its magic first; a docstring stays on top
    (f'%%time\nHF = "{HF}"', '%%time\nimport os\nHF = os.environ["HF_TOKEN"]'),
    ('import torch\nm = torch.load(path)', 'import torch\nm = torch.load(path, weights_only=True)'),
    ('import torch\nm = torch.load(\n    "ckpt.pt",\n    map_location="cpu",\n)',
     'import torch\nm = torch.load(\n    "ckpt.pt",\n    map_location="cpu", weights_only=True,\n)'),
    ('import torch as T\nsd = T.load(f, map_location="cpu")["state"]',
     'import torch as T\nsd = T.load(f, map_location="cpu", weights_only=True)["state"]'),
    ('import yaml\nc = yaml.load(f)', 'import yaml\nc = yaml.safe_load(f)'),
    ('import yaml\nc = yaml.load(open("c.yml"), Loader=yaml.FullLoader)', 'import yaml\nc = yaml.safe_load(open("c.yml"))'),
    ('import yaml\nc = yaml.load(f, yaml.Loader)', 'import yaml\nc = yaml.safe_load(f)'),
])
def test_fix_rewrites_exactly_the_offending_code(tmp_path, source, expected):
    assert fixed_source(tmp_path, source) == [expected]


def test_import_os_is_added_once_and_not_when_an_earlier_cell_has_it(tmp_path):
    got = fixed_source(tmp_path, f'key = "{HF}"', f'client = OpenAI(api_key="{OPENAI}")')
    assert got == ['import os\nkey = os.environ["HF_TOKEN"]', 'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])']
    got = fixed_source(tmp_path, "import os, sys", f'HF = "{HF}"')
    assert got == ["import os, sys", 'HF = os.environ["HF_TOKEN"]']


def test_two_different_credentials_are_never_rewritten_to_read_one_variable(tmp_path):
    ghp = "ghp_" + "xJ4SXRVxfCQGgXkH1zxFUbEctT2NLLzPkkGo"
    pat = "github_pat_" + "aXmI63JozGw82KwD6rQJM9_UayY20948VGZiHXJnB8dE3xKJm8GAF0wAwaIINYNvDMbZoOlJLl3fZJZ207"
    got = fixed_source(tmp_path, f'GITHUB_TOKEN = "{ghp}"\npat = "{pat}"', f'gh = "{ghp}"')
    # the same token again reads the same variable; a different one is left for a person to name
    assert got == [f'import os\nGITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\npat = "{pat}"',
                   'gh = os.environ["GITHUB_TOKEN"]']


@pytest.mark.parametrize("source", [
    f'requests.get("https://x.io/api?token={HF}")',  # part of a longer string
    f'headers = {{"Authorization": "Bearer {HF}"}}',  # the literal carries more than the key
    f'os.environ["HF_TOKEN"] = "{HF}"',  # an environment write: no read to put there
    f'x = os.getenv("HF_TOKEN", "{HF}")',  # a default value
    f"!huggingface-cli login --token {HF}",  # shell
    f"# old key: {HF}",  # a comment
    f'url = f"https://x.io/?t={HF}&u={{user}}"',  # an f-string
    "m = torch.load(p, weights_only=False)",  # the author's explicit choice
    "m = torch.load(p, **kw)",  # weights_only may be in kw
    "from yaml import load\nc = load(f)",  # would need an import change
])
def test_unsafe_rewrites_are_left_to_a_person(tmp_path, source):
    path = write_nb(tmp_path / "t.ipynb", nb(source))
    before = open(path, "rb").read()
    res = fix_file(path, Config())
    assert not res.changed and res.changes == []
    assert res.remaining, "the finding is still reported"
    assert open(path, "rb").read() == before


def _leaky_notebook():
    return nb(
        md("# Training — données\n\nUses a token."),
        code(f'HF_TOKEN = "{HF}"\nlogin(token=HF_TOKEN)', outputs=[stream("Login successful\n")]),
        code("import torch\nmodel = torch.load('model.pt')", outputs=[result({"text/plain": "OK ✓"}, 3)],
             tags=["train"]),
        code("debug_dump()", outputs=[stream("starting\n"), stream(f"{HF}\n"),
                                         result({"text/plain": "'done'"}, 4)]),
        code("x = 1  # untouched ünïcode", outputs=[stream("1\n")]),
        code(f"!huggingface-cli login --token {HF}"),
    )


def _cells_raw(text):
    spans = json_spans(text)
    data = json.loads(text)
    return [text[slice(*spans[("cells", i)])] for i in range(len(data["cells"]))], spans


@pytest.mark.parametrize("layout", ["nbformat", "json-indent-1", "json-indent-2-ascii", "crlf"])
def test_fix_round_trip_keeps_everything_else_byte_identical(tmp_path, layout):
    notebook = _leaky_notebook()
    for i, c in enumerate(notebook["cells"]):
        if c["cell_type"] == "code":
            c["execution_count"] = i
    path = str(tmp_path / "leaky.ipynb")
    if layout == "nbformat":  # list-of-lines sources, sorted keys, raw UTF-8
        text = nbformat.writes(nbformat.from_dict(notebook))
    elif layout == "json-indent-1":
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    elif layout == "json-indent-2-ascii":
        text = json.dumps(notebook, indent=2)
    else:  # Windows line endings around the JSON structure
        text = nbformat.writes(nbformat.from_dict(notebook)).replace("\n", "\r\n")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    before = lint_paths([path])
    assert {(f.rule, f.cell, f.where) for f in before.findings} >= {
        ("NBG101", 1, "source"), ("NBG502", 2, "source"), ("NBG101", 3, "output"), ("NBG101", 5, "source")}

    rc, out, err = run_process("fix", "--clear-leaking-outputs", path)
    assert rc == 1, out + err  # the shell login cannot be fixed safely: it remains
    assert HF not in out + err
    with open(path, encoding="utf-8", newline="") as fh:
        new = fh.read()
    if layout == "crlf":
        assert "\n" not in new.replace("\r\n", "")

    # 1. re-lint: the fixed findings are gone, the unfixable one remains
    after = {(f.rule, f.cell, f.where) for f in lint_paths([path]).findings}
    assert not after & {("NBG101", 1, "source"), ("NBG502", 2, "source"), ("NBG101", 3, "output")}
    assert ("NBG101", 5, "source") in after
    assert after <= {(f.rule, f.cell, f.where) for f in before.findings}  # nothing new introduced
    # 2. still valid nbformat
    nbformat.validate(nbformat.reads(new, as_version=nbformat.NO_CONVERT))
    # 3. untouched cells, the notebook metadata and the layout are byte-identical
    old_cells, old_spans = _cells_raw(text)
    new_cells, new_spans = _cells_raw(new)
    for i in (0, 4, 5):
        assert new_cells[i] == old_cells[i]
    assert new[slice(*new_spans[("metadata",)])] == text[slice(*old_spans[("metadata",)])]
    assert new[:new_spans[("cells", 0)][0]] == text[:old_spans[("cells", 0)][0]]
    assert new[new_spans[("cells", 5)][1]:] == text[old_spans[("cells", 5)][1]:]
    # 4. in changed cells only the source (and the leaking output) changed
    old_nb, new_nb = json.loads(text), json.loads(new)
    for i in (1, 2, 3):
        for key in set(old_nb["cells"][i]) - {"source", "outputs"}:
            assert new_nb["cells"][i][key] == old_nb["cells"][i][key]
    assert new_nb["cells"][1]["outputs"] == old_nb["cells"][1]["outputs"]
    assert new_nb["cells"][2]["outputs"] == old_nb["cells"][2]["outputs"]
    assert new_nb["cells"][3]["outputs"] == [old_nb["cells"][3]["outputs"][0], old_nb["cells"][3]["outputs"][2]]
    assert new_nb["cells"][3]["execution_count"] == 3
    src = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in new_nb["cells"]]
    assert src[1] == 'import os\nHF_TOKEN = os.environ["HF_TOKEN"]\nlogin(token=HF_TOKEN)'
    assert src[2] == "import torch\nmodel = torch.load('model.pt', weights_only=True)"
    assert HF not in new.replace(f"--token {HF}", "")  # only the unfixable shell line still has it


def test_unchanged_source_lines_keep_their_json_text(tmp_path):
    # list-of-lines sources: only the changed line's element is rewritten, others keep their escapes
    notebook = nb(md("naïve"), code(["# café stays escaped\n", f'HF_TOKEN = "{HF}"\n', "print('x')"]))
    path = str(tmp_path / "t.ipynb")
    text = json.dumps(notebook, indent=1, ensure_ascii=False).replace("café", "caf\\u00e9")
    open(path, "w", encoding="utf-8").write(text)
    res = fix_file(path, Config())
    new = res.data.decode()
    assert '"# caf\\u00e9 stays escaped\\n",' in new and "naïve" in new
    assert new.count("\n") == text.count("\n") + 1  # one line added: "import os"


def test_no_op_when_nothing_to_fix(tmp_path):
    path = write_nb(tmp_path / "clean.ipynb", nb("x = 1"))
    before = open(path, "rb").read()
    assert run("fix", path)[0] == 0
    assert open(path, "rb").read() == before


def test_exit_codes(tmp_path):
    fixable = write_nb(tmp_path / "fixable.ipynb", nb("import yaml\nc = yaml.load(f)"))
    assert run("fix", fixable)[0] == 0  # everything fixed
    assert run("fix", fixable)[0] == 0  # idempotent
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    assert run("fix", str(bad))[0] == 2
    assert run("fix", "--select", "NOPE", fixable)[0] == 2


def test_select_limits_the_fixes(tmp_path):
    got = fixed_source(tmp_path, f'HF_TOKEN = "{HF}"\nimport yaml\nc = yaml.load(f)', select="NBG504")
    assert got == [f'HF_TOKEN = "{HF}"\nimport yaml\nc = yaml.safe_load(f)']


def test_diff_masks_secrets_and_writes_nothing(tmp_path):
    path = write_nb(tmp_path / "t.ipynb", nb(code(f'HF_TOKEN = "{HF}"\nclient = OpenAI(api_key="{OPENAI}")',
                                                  outputs=[stream(f"{HF}\n")])))
    before = open(path, "rb").read()
    rc, out, err = run("fix", "--diff", "--clear-leaking-outputs", path)
    assert rc == 1  # there is something to fix
    assert open(path, "rb").read() == before
    assert HF not in out + err and OPENAI not in out + err
    assert f'-HF_TOKEN = "{HF[:4]}' in out and "*****" in out
    assert '+HF_TOKEN = os.environ["HF_TOKEN"]' in out
    assert '+client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])' in out
    assert "output removed" in out


def _no_temp_files(folder):
    return [n for n in os.listdir(folder) if n.startswith(".nbguard-")] == []


@pytest.mark.parametrize("failure", ["read-only-folder", "rename-fails", "disk-full"])
def test_a_failed_write_leaves_the_notebook_intact(tmp_path, monkeypatch, capsys, failure):
    folder = tmp_path / "nbs"
    folder.mkdir()
    path = write_nb(folder / "t.ipynb", _leaky_notebook())
    before = open(path, "rb").read()
    if failure == "read-only-folder":
        if os.geteuid() != 0:
            os.chmod(folder, 0o555)
        else:  # root ignores permissions: make creating the temp file fail as a read-only folder would
            def denied(*a, **k):
                raise PermissionError(errno.EACCES, "Permission denied")
            monkeypatch.setattr(tempfile, "mkstemp", denied)
    elif failure == "rename-fails":
        def broken_replace(src, dst):
            raise OSError(errno.EIO, "Input/output error")
        monkeypatch.setattr(os, "replace", broken_replace)
    else:
        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(os, "fsync", full)
    try:
        rc = cli.main(["fix", "--clear-leaking-outputs", path])
    finally:
        os.chmod(folder, 0o755)
    err = capsys.readouterr().err
    assert rc == 2
    assert "cannot write the fixed notebook" in err and "unchanged" in err
    assert open(path, "rb").read() == before
    assert _no_temp_files(folder)


def test_file_mode_is_kept(tmp_path):
    path = write_nb(tmp_path / "t.ipynb", nb("import yaml\nc = yaml.load(f)"))
    os.chmod(path, 0o640)
    assert run("fix", path)[0] == 0
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_fix_on_real_notebooks_changes_only_the_fixed_cells(tmp_path):
    """Real notebooks come in many layouts (indent 1/2, string or list sources, escaped
    or raw UTF-8, CRLF): everything outside the fixed values must stay byte-identical."""
    picked = []
    for p in corpus_notebooks():
        try:
            text = open(p, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError):
            continue
        if ("torch.load(" in text or "yaml.load(" in text) and os.path.getsize(p) < 2_000_000:
            picked.append(p)
        if len(picked) >= 12:
            break
    assert picked
    changed = 0
    for p in picked:
        dst = tmp_path / os.path.basename(p)
        shutil.copyfile(p, dst)
        text = dst.read_text(encoding="utf-8")
        res = fix_file(str(dst), Config(select=["NBG502", "NBG504"]), clear_outputs=False)
        if not res.changed:
            continue
        changed += 1
        new = res.data.decode("utf-8")
        old_cells, old_spans = _cells_raw(text)
        new_cells, new_spans = _cells_raw(new)
        touched = set(res.sources)
        for i, (a, b) in enumerate(zip(old_cells, new_cells)):
            if i not in touched:
                assert a == b, (p, i)
            else:  # within a touched cell, only the source value differs
                src = ("cells", i, "source")
                assert a[:old_spans[src][0] - old_spans[("cells", i)][0]] == \
                    b[:new_spans[src][0] - new_spans[("cells", i)][0]]
                assert a[old_spans[src][1] - old_spans[("cells", i)][1]:] == \
                    b[new_spans[src][1] - new_spans[("cells", i)][1]:]
        assert new[:new_spans[("cells", 0)][0]] == text[:old_spans[("cells", 0)][0]]
        last = len(old_cells) - 1
        assert new[new_spans[("cells", last)][1]:] == text[old_spans[("cells", last)][1]:]
        assert not [f for f in res.remaining if f.rule in ("NBG502", "NBG504") and f.cell in touched
                    and any(c.finding.content_hash == f.content_hash for c in res.changes)]
    assert changed


def test_each_fix_is_asked_of_its_rule(tmp_path, monkeypatch):
    """The fixes live beside their rules (Rule.autofix); nbguard fix applies whatever the rule answers."""
    from nbguard.fix import fixers
    from nbguard.rules.unsafe_deserialization.nbg504_unsafe_yaml_load import UnsafeYamlLoad

    assert sorted(fixers()) == ["NBG101", "NBG102", "NBG502", "NBG504"]
    assert fixed_source(tmp_path, "import yaml\nc = yaml.load(f)") == ["import yaml\nc = yaml.safe_load(f)"]
    monkeypatch.setattr(UnsafeYamlLoad, "autofix", classmethod(lambda cls, finding, site: None))
    assert fixed_source(tmp_path, "import yaml\nc = yaml.load(f)") == ["import yaml\nc = yaml.load(f)"]
