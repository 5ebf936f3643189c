"""The command line as CI uses it: exit codes, formats, bad input, config, suppression."""

import json
import os

import pytest
from helpers import code, md, nb, stream, write_nb
from helpers import run_process as run  # every CLI test runs nbguard in a new process, as CI does

HF = "hf_" + "PlMoKnIjBuHvYgCtFxRdZeSwAqPlMoKnIj"


@pytest.fixture
def dirty(tmp_path):
    return write_nb(tmp_path / "dirty.ipynb", nb(md("# Demo"), f'token = "{HF}"'))


@pytest.fixture
def clean(tmp_path):
    return write_nb(tmp_path / "clean.ipynb", nb("x = 1"))


def test_exit_codes(dirty, clean):
    assert run("lint", clean)[0] == 0
    assert run("lint", dirty)[0] == 1
    assert run("lint", dirty, "--exit-zero")[0] == 0
    assert run("lint", dirty, "--min-severity", "critical")[0] == 0
    assert run("lint", "--select", "NOPE", clean)[0] == 2
    assert run("lint", "--format", "xml", clean)[0] == 2


def test_text_report_is_ruff_like_and_masked(dirty):
    rc, out, err = run("lint", dirty)
    lines = out.splitlines()
    assert lines[0] == f"{dirty}:cell 2:1:10: NBG101 [high] Hugging Face access token in code"
    assert lines[2] == '1 | token = "hf_A*********************************"'.replace("hf_A", HF[:4])
    assert lines[3] == "  |          " + "^" * 37
    assert lines[-1] == "Found 1 finding (1 high) in 1 of 1 notebook."
    assert HF not in out + err
    assert "\x1b[" not in out  # no colour when not a terminal


def test_json_report_has_the_spec_fields(dirty):
    rc, out, _ = run("lint", "--format", "json", dirty)
    data = json.loads(out)
    assert set(data) == {"version", "findings", "errors", "summary"}
    (f,) = data["findings"]
    for key in ("path", "rule", "name", "category", "severity", "cell", "cell_id", "cell_type", "where", "output",
                "line", "column", "end_line", "end_column", "message", "snippet"):
        assert key in f
    assert (f["cell"], f["cell_type"], f["where"], f["output"], f["line"]) == (1, "code", "source", None, 1)
    assert HF not in out


def test_bad_files_are_reported_and_others_still_linted(tmp_path, dirty):
    (tmp_path / "empty.ipynb").write_bytes(b"")
    (tmp_path / "junk.ipynb").write_bytes(os.urandom(64) + b"\x00")
    (tmp_path / "notjson.ipynb").write_text("{oops")
    (tmp_path / "notnb.ipynb").write_text('{"hello": "world"}')
    rc, out, err = run("lint", str(tmp_path), str(tmp_path / "missing.ipynb"), "--format", "json")
    assert rc == 2
    data = json.loads(out)
    reasons = {os.path.basename(e["path"]): e["message"] for e in data["errors"]}
    assert set(reasons) == {"empty.ipynb", "junk.ipynb", "notjson.ipynb", "notnb.ipynb", "missing.ipynb"}
    assert reasons["empty.ipynb"] == "file is empty"
    assert reasons["missing.ipynb"] == "no such file or directory"
    assert [f["rule"] for f in data["findings"]] == ["NBG101"]  # dirty.ipynb was still linted
    assert "Traceback" not in err
    for e in data["errors"]:
        assert e["path"] in err and "\n" not in e["message"]


def test_text_errors_are_one_line_each(tmp_path):
    (tmp_path / "a.ipynb").write_text("[]")
    rc, out, err = run("lint", str(tmp_path))
    assert rc == 2 and "Traceback" not in out + err
    assert f"{tmp_path / 'a.ipynb'}: error: not a notebook: top-level JSON is an array, not an object" in out


def test_permission_denied(tmp_path, monkeypatch):
    p = write_nb(tmp_path / "locked.ipynb", nb("x = 1"))
    from nbguard.api import lint_paths

    real_open = open

    def deny(path, *a, **kw):
        if str(path) == p:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *a, **kw)

    monkeypatch.setattr("builtins.open", deny)
    report = lint_paths([str(tmp_path)])
    assert [(e.path, e.message) for e in report.errors] == [(p, "permission denied")]


def test_directory_loop_and_skipped_folders(tmp_path, dirty):
    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(tmp_path, sub / "loop")
    for skipped in (".ipynb_checkpoints", ".hidden", "venv"):
        (tmp_path / skipped).mkdir()
        write_nb(tmp_path / skipped / "x.ipynb", nb(f"k = '{HF}'"))
    rc, out, err = run("lint", str(tmp_path), "--format", "json")
    data = json.loads(out)
    assert [os.path.basename(f["path"]) for f in data["findings"]] == ["dirty.ipynb"]
    assert any("directory loop" in e["message"] for e in data["errors"])
    assert rc == 2


def test_no_outputs_flag(tmp_path):
    p = write_nb(tmp_path / "o.ipynb", nb(code("print(t)", outputs=[stream(f"{HF}\n")])))
    assert run("lint", p)[0] == 1
    assert run("lint", p, "--no-outputs")[0] == 0


def test_select_and_ignore_by_category_and_code(dirty):
    assert run("lint", dirty, "--select", "unsafe-deserialization")[0] == 0
    assert run("lint", dirty, "--select", "secrets")[0] == 1
    assert run("lint", dirty, "--ignore", "NBG101")[0] == 0
    assert run("lint", dirty, "--ignore", "NBG1")[0] == 0
    assert run("lint", dirty, "--ignore", "hardcoded-provider-token")[0] == 0


def test_output_file_is_written(tmp_path, dirty):
    out = tmp_path / "report.sarif"
    rc, stdout, _ = run("lint", dirty, "--format", "sarif", "--output", str(out))
    assert rc == 1 and stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_config_in_pyproject(tmp_path):
    write_nb(tmp_path / "nb" / "a.ipynb" if (tmp_path / "nb").mkdir() is None else None, nb(f"k = '{HF}'"))
    write_nb(tmp_path / "drafts.ipynb", nb(f"k = '{HF}'"))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbguard]\nexclude = ["drafts.ipynb"]\n[tool.nbguard.per-path-ignores]\n"nb/*.ipynb" = ["secrets"]\n')
    rc, out, _ = run("lint", ".", cwd=tmp_path)
    assert rc == 0, out
    (tmp_path / "pyproject.toml").write_text('[tool.nbguard]\nmin-severity = "critical"\n')
    assert run("lint", ".", cwd=tmp_path)[0] == 0
    (tmp_path / "pyproject.toml").write_text('[tool.nbguard]\nselect = ["NBG9"]\n')
    rc, _, err = run("lint", ".", cwd=tmp_path)
    assert rc == 2 and "unknown rule or category 'NBG9'" in err and "Traceback" not in err
    (tmp_path / "pyproject.toml").write_text('[tool.nbguard]\nbogus = 1\n')
    rc, _, err = run("lint", ".", cwd=tmp_path)
    assert rc == 2 and "unknown key(s) in [tool.nbguard]: bogus" in err


def test_explicit_config_file_with_extra_secret_pattern(tmp_path):
    p = write_nb(tmp_path / "a.ipynb", nb('k = "acme_9f8e7d6c5b4a39281706"'))
    cfg = tmp_path / "nbguard.toml"
    cfg.write_text('[tool.nbguard]\n[[tool.nbguard.extra-secret-patterns]]\nname = "ACME key"\n'
                   'pattern = "acme_[0-9a-f]{20}"\n')
    rc, out, _ = run("lint", p, "--config", str(cfg))
    assert rc == 1 and "ACME key in code" in out and "acme_9f8e7d6c5b4a39281706" not in out
    rc, _, err = run("lint", p, "--config", str(tmp_path / "nope.toml"))
    assert rc == 2 and "config file not found" in err


def test_rules_and_explain():
    rc, out, _ = run("rules")
    assert rc == 0 and "NBG101" in out and "hardcoded-provider-token" in out
    rc, out, _ = run("explain", "NBG101")
    assert rc == 0
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## References", "CWE-798"):
        assert section in out
    assert run("explain", "hardcoded-provider-token")[1] == out
    rc, _, err = run("explain", "NBG999")
    assert rc == 2 and "unknown rule" in err


def test_version():
    from nbguard import __version__

    rc, out, _ = run("--version")
    assert rc == 0 and out.strip() == f"nbguard {__version__}"


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`nbguard rules | head -1`: the pipe closes under nbguard; it stops quietly."""
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-m", "nbguard", "rules"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline().startswith(b"NBG101")
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=30)
    assert "Traceback" not in err and "BrokenPipeError" not in err
