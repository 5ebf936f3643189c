"""The pre-commit hook: the manifest is valid for pre-commit, and running pre-commit on a
git repository lints the staged notebooks (and only those) and fails on findings."""

import os
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import REPO
from helpers import md, nb, write_nb

pre_commit = pytest.importorskip("pre_commit", reason="pre-commit is in the 'test' extra")
from pre_commit.clientlib import load_manifest

HF = "hf_" + "PlMoKnIjBuHvYgCtFxRdZeSwAqPlMoKnIj"
MANIFEST = os.path.join(REPO, ".pre-commit-hooks.yaml")


def test_manifest_is_valid_and_names_the_lint_command():
    (hook,) = load_manifest(MANIFEST)  # pre-commit's own schema check
    assert hook["id"] == "nbguard"
    assert hook["entry"] == "nbguard lint --jobs 1"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["jupyter"]
    assert hook["require_serial"] is False


def test_notebooks_are_what_the_hook_selects():
    from identify.identify import tags_from_filename

    assert "jupyter" in tags_from_filename("x.ipynb")
    assert "jupyter" not in tags_from_filename("x.py") and "jupyter" not in tags_from_filename("x.json")


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_runs_the_hook_on_staged_notebooks(tmp_path):
    (hook,) = load_manifest(MANIFEST)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    # The hook as the manifest defines it, run from this checkout ("repo: local"): the same
    # entry arguments and file selection, with nbguard taken from the test's environment.
    program, *entry_args = shlex.split(hook["entry"])
    assert program == "nbguard"
    entry = " ".join([shlex.quote(sys.executable), "-m", "nbguard", *entry_args])
    types = ", ".join(hook["types_or"])
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        f"      - id: {hook['id']}\n"
        f"        name: {hook['name']}\n"
        f"        entry: {entry}\n"
        "        language: system\n"
        f"        types_or: [{types}]\n"
        f"        require_serial: {str(hook['require_serial']).lower()}\n")
    write_nb(repo / "dirty.ipynb", nb(md("# Demo"), f'token = "{HF}"'))
    write_nb(repo / "clean.ipynb", nb("x = 1"))
    (repo / "script.py").write_text(f'token = "{HF}"\n')  # not a notebook: not the hook's business
    write_nb(repo / "unstaged.ipynb", nb(f'other = "{HF}"'))  # never staged: not checked
    git(repo, "add", ".pre-commit-config.yaml", "dirty.ipynb", "clean.ipynb", "script.py")

    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PRE_COMMIT_COLOR="never",
               GIT_CONFIG_NOSYSTEM="1")

    def pre_commit_run():
        p = subprocess.run([sys.executable, "-m", "pre_commit", "run"], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr

    rc, out = pre_commit_run()
    assert rc == 1, out
    assert "nbguard" in out and "Failed" in out
    assert "dirty.ipynb:cell 2:1:10: NBG101" in out
    assert "unstaged.ipynb" not in out and "script.py" not in out
    assert HF not in out

    git(repo, "rm", "-q", "--cached", "dirty.ipynb")
    rc, out = pre_commit_run()
    assert rc == 0, out
    assert "Passed" in out
