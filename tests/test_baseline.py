"""Baselines: adopt nbguard without failing on day one, and still catch every new problem.

A baseline entry must keep matching when the notebook is reorganised or re-run,
and stop matching when the offending text changes (a new secret is a new finding).
"""

import errno
import json
import os

import pytest
from helpers import code, md, nb, result, run, run_process, stream, write_nb

from nbguard import cli
from nbguard.api import lint_paths
from nbguard.baseline import Baseline, create, load

HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
HF2 = "hf_" + "ZxCvBnMaSdFgHjKlQwErTyUiOpZxCvBnMa"
OPENAI = "sk-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx"


def cells():
    """A notebook with findings of several kinds, as a list of cells to rearrange."""
    return [
        md("# Fine-tuning"),
        code(f'HF_TOKEN = "{HF}"\nlogin(token=HF_TOKEN)', id="tok"),
        code("import torch\nmodel = torch.load('ckpt.pt')", id="load"),
        code("show_env()", outputs=[stream(f"token={OPENAI}\n")], id="out"),
        code("x = 1", id="plain"),
    ]


@pytest.fixture
def project(tmp_path):
    (tmp_path / "nbs").mkdir()
    path = write_nb(tmp_path / "nbs" / "train.ipynb", nb(*cells()))
    rc, out, err = run("baseline", "create", "nbs", cwd=tmp_path)
    assert rc == 0, err
    assert "wrote .nbguard-baseline.json: 3 findings in 1 of 1 notebook" in err
    return tmp_path, path


def lint_with_baseline(tmp_path, *extra):
    return run("lint", "--format", "json", "--baseline", ".nbguard-baseline.json", "nbs", *extra, cwd=tmp_path)


def new_findings(tmp_path):
    rc, out, _ = lint_with_baseline(tmp_path)
    return rc, [(f["rule"], f["cell"], f["where"]) for f in json.loads(out)["findings"]]


def test_a_baselined_project_passes(project):
    tmp_path, _ = project
    rc, out, err = run_process("lint", "--format", "json", "--baseline", ".nbguard-baseline.json", "nbs",
                               cwd=tmp_path)
    assert rc == 0
    assert json.loads(out)["findings"] == []
    assert "3 findings recorded in the baseline" in err
    assert run("lint", "nbs", cwd=tmp_path)[0] == 1  # without it, the findings are there


def test_the_baseline_file_is_self_describing_and_holds_no_secret(project):
    tmp_path, _ = project
    text = (tmp_path / ".nbguard-baseline.json").read_text()
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["generated_by"].startswith("nbguard ")
    assert "NBG101" in data["rules"] and data["config"]["fingerprint"]
    assert len(data["fingerprint"]["salt"]) == 32
    assert sorted((e["rule"], e["path"], e["cell_id"], e["where"]) for e in data["findings"]) == [
        ("NBG101", "nbs/train.ipynb", "out", "output"), ("NBG101", "nbs/train.ipynb", "tok", "source"),
        ("NBG502", "nbs/train.ipynb", "load", "source")]
    # no secret, no part of one, no source text: only salted hashes
    for secret in (HF, OPENAI):
        assert secret not in text and secret[:8] not in text and secret[-8:] not in text
    assert "torch.load" not in text and "HF_TOKEN" not in text
    unsalted = {f.content_hash for f in lint_paths([str(tmp_path / "nbs")]).findings}
    assert not unsalted & {e["fingerprint"] for e in data["findings"]}


def test_each_baseline_has_its_own_salt(tmp_path):
    path = write_nb(tmp_path / "a.ipynb", nb(f'HF_TOKEN = "{HF}"'))
    findings = lint_paths([path]).findings
    a = create(findings, str(tmp_path / "a.json"), _config())
    b = create(findings, str(tmp_path / "b.json"), _config())
    assert a.salt != b.salt and a.entries[0].fingerprint != b.entries[0].fingerprint


def _config():
    from nbguard.config import Config

    return Config()


@pytest.mark.parametrize("change", ["move cells", "insert cells above", "edit other lines", "re-run",
                                    "all of these"])
def test_fingerprints_survive_reorganising_and_rerunning(project, change):
    tmp_path, path = project
    cs = cells()
    if change in ("move cells", "all of these"):
        cs = [cs[4], cs[3], cs[0], cs[2], cs[1]]
    if change in ("insert cells above", "all of these"):
        cs = [md("## Setup"), code("import numpy as np\nnp.random.seed(0)")] + cs
    if change in ("edit other lines", "all of these"):
        for c in cs:
            if c.get("id") == "tok":
                c["source"] = f'# auth\nimport os\n\nHF_TOKEN   =   "{HF}"  # for the Hub\nlogin(token=HF_TOKEN)\n'
            if c.get("id") == "load":
                c["source"] = "import torch\nprint('loading')\nmodel = torch.load('ckpt.pt')\nmodel.eval()"
    if change in ("re-run", "all of these"):
        for i, c in enumerate(cs):
            if c["cell_type"] == "code":
                c["execution_count"] = 40 + i
                if c.get("id") == "out":
                    c["outputs"] = [stream("re-run at 12:01\n"), stream(f"token={OPENAI}\n"),
                                    result({"text/plain": "'ok'"}, 40 + i)]
    write_nb(path, nb(*cs))
    assert new_findings(tmp_path) == (0, [])


def test_a_changed_secret_is_a_new_finding(project):
    tmp_path, path = project
    cs = cells()
    cs[1]["source"] = f'HF_TOKEN = "{HF2}"\nlogin(token=HF_TOKEN)'
    write_nb(path, nb(*cs))
    assert new_findings(tmp_path) == (1, [("NBG101", 1, "source")])


def test_a_new_finding_is_reported_and_known_ones_are_not(project):
    tmp_path, path = project
    cs = cells() + [code(f'client = OpenAI(api_key="{OPENAI}")')]
    write_nb(path, nb(*cs))
    rc, found = new_findings(tmp_path)
    assert rc == 1 and found == [("NBG101", 5, "source")]


def test_duplicates_are_matched_by_count(project):
    tmp_path, path = project
    # the same torch.load line twice more: one is known, two are new
    cs = cells() + [code("model = torch.load('ckpt.pt')", id="d1"), code("model = torch.load('ckpt.pt')", id="d2")]
    write_nb(path, nb(*cs))
    rc, found = new_findings(tmp_path)
    assert rc == 1 and [f[0] for f in found] == ["NBG502", "NBG502"]
    # the one in its own cell (by id) is the known one
    assert {f[1] for f in found} == {5, 6}


def test_paths_are_relative_to_the_baseline_so_any_cwd_works(project):
    tmp_path, _ = project
    rc, out, _ = run("lint", "--format", "json", "--baseline", "../.nbguard-baseline.json", ".",
                     cwd=tmp_path / "nbs")
    assert rc == 0 and json.loads(out)["findings"] == []
    rc, out, _ = run("lint", "--format", "json", "--baseline", str(tmp_path / ".nbguard-baseline.json"),
                     str(tmp_path / "nbs"))
    assert rc == 0


def test_update_drops_entries_that_no_longer_occur(project):
    tmp_path, path = project
    cs = cells()
    cs[2]["source"] = "import torch\nmodel = torch.load('ckpt.pt', weights_only=True)"  # fixed
    cs.append(code(f'client = OpenAI(api_key="{OPENAI}")'))  # new
    write_nb(path, nb(*cs))
    salt = load(str(tmp_path / ".nbguard-baseline.json")).salt
    rc, _, err = run("baseline", "update", "nbs", cwd=tmp_path)
    assert rc == 0 and "1 entry dropped" in err and "1 new finding not added (use --add)" in err
    b = load(str(tmp_path / ".nbguard-baseline.json"))
    assert sorted(e.rule for e in b.entries) == ["NBG101", "NBG101"] and b.salt == salt
    assert new_findings(tmp_path) == (1, [("NBG101", 5, "source")])
    rc, _, err = run("baseline", "update", "--add", "nbs", cwd=tmp_path)
    assert rc == 0 and "0 entries dropped, 1 added" in err
    assert new_findings(tmp_path) == (0, [])


def test_update_keeps_entries_of_notebooks_it_did_not_lint(project):
    tmp_path, _ = project
    other = write_nb(tmp_path / "nbs" / "other.ipynb", nb("x = 2"))
    rc, _, err = run("baseline", "update", other, cwd=tmp_path)
    assert rc == 0 and "0 entries dropped" in err
    assert len(load(str(tmp_path / ".nbguard-baseline.json")).entries) == 3
    # and the entries of a deleted notebook go
    os.remove(tmp_path / "nbs" / "train.ipynb")
    rc, _, err = run("baseline", "update", other, cwd=tmp_path)
    assert "3 entries dropped" in err


def test_update_keeps_entries_of_rules_it_did_not_run(project):
    tmp_path, _ = project
    rc, _, err = run("baseline", "update", "--select", "NBG5", "nbs", cwd=tmp_path)
    assert rc == 0 and "0 entries dropped" in err
    assert len(load(str(tmp_path / ".nbguard-baseline.json")).entries) == 3


@pytest.mark.parametrize("content, message", [
    (None, "baseline file not found"),
    ("{", "invalid JSON"),
    ('{"findings": []}', "no schema_version"),
    ('{"schema_version": 99, "findings": []}', "newer nbguard"),
    ('{"schema_version": 1, "fingerprint": {"salt": "ab"}, "findings": [{"rule": 1}]}', "entry 0"),
])
def test_a_bad_baseline_is_a_usage_error(tmp_path, content, message):
    path = write_nb(tmp_path / "a.ipynb", nb("x = 1"))
    if content is not None:
        (tmp_path / "b.json").write_text(content)
    rc, out, err = run("lint", "--baseline", str(tmp_path / "b.json"), path)
    assert rc == 2 and message in err and "Traceback" not in err


def test_a_failed_baseline_write_keeps_the_old_file(project, monkeypatch, capsys):
    tmp_path, _ = project
    target = tmp_path / ".nbguard-baseline.json"
    before = target.read_bytes()

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["baseline", "create", "nbs"])
    assert rc == 2 and "cannot write the baseline" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_matching_prefers_the_same_cell():
    from nbguard.model import Finding, Severity

    def f(cell_id):
        return Finding(path="a.ipynb", rule="NBG502", name="n", category="unsafe-deserialization",
                       severity=Severity.MEDIUM, cell=0, cell_id=cell_id, cell_type="code", where="source",
                       output=None, line=1, column=1, end_line=1, end_column=2, message="m", snippet="s",
                       content_hash="h")

    b = Baseline(root=os.getcwd())
    b.entries = [b.entry(f("b"))]
    m = b.match([f("a"), f("b")])
    assert [x.cell_id for x in m.new] == ["a"] and [x.cell_id for x in m.known] == ["b"]


def test_a_secrets_fingerprint_does_not_give_away_a_weak_password(tmp_path):
    """The salt is in the same file, so a fast hash of a short password could be found by trying a
    dictionary: a secret's fingerprint is stretched, and the guess that would give it away fails."""
    import hashlib

    from nbguard.finalize import content_hash

    (tmp_path / "nbs").mkdir()
    write_nb(tmp_path / "nbs" / "db.ipynb", nb(code('DB_PASSWORD = "Summer2024!"\nconnect(DB_PASSWORD)')))
    rc, out, err = run("baseline", "create", "nbs", cwd=tmp_path)
    data = json.loads((tmp_path / ".nbguard-baseline.json").read_text())
    assert data["fingerprint"]["secrets"].startswith("scrypt(")
    (entry,) = [e for e in data["findings"] if e["rule"] == "NBG102"]
    salt = data["fingerprint"]["salt"]
    for text in ('"Summer2024!"', "Summer2024!"):  # the attacker's guess, hashed as nbguard did before
        guess = hashlib.sha256(f"{salt}:{content_hash('NBG102', 'source', text)}".encode()).hexdigest()
        assert guess != entry["fingerprint"]
    assert new_findings(tmp_path) == (0, [])  # and the baseline still matches


def test_a_baseline_written_before_stretched_fingerprints_still_matches(project):
    tmp_path, path = project
    b = load(str(tmp_path / ".nbguard-baseline.json"))
    b.stretched = False  # as an older nbguard wrote it: plain fingerprints, no "secrets" key
    b.entries = [b.entry(f) for f in lint_paths([str(tmp_path / "nbs")]).findings]
    b.save(str(tmp_path / ".nbguard-baseline.json"))
    assert "secrets" not in json.loads((tmp_path / ".nbguard-baseline.json").read_text())["fingerprint"]
    assert new_findings(tmp_path) == (0, [])
