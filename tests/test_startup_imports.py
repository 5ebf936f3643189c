"""``import nbguard`` and ``nbguard lint`` load none of the front-ends' heavy dependencies:
IPython (its display machinery comes with it), ipywidgets, pandas, jupyter_server (and tornado).
Measured the way a person would, with ``python -X importtime``: every module the run imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO
from helpers import nb, write_nb

HEAVY = ("IPython", "ipywidgets", "pandas", "jupyter_server", "tornado")


def imported(*args: str, cwd: str | None = None) -> set[str]:
    """Top-level packages of every module imported by ``python -X importtime ARGS``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=120,
                       env=env, cwd=cwd)
    assert "Traceback" not in r.stderr, r.stderr
    mods = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                mods.add(name.split(".")[0])
    assert "nbguard" in mods  # the probe did run nbguard
    return mods


def test_import_nbguard_loads_no_front_end_dependency():
    assert not set(HEAVY) & imported("-c", "import nbguard")


@pytest.mark.parametrize("extra", [["--no-cache"], []], ids=["no-cache", "cache"])
def test_nbguard_lint_loads_no_front_end_dependency(tmp_path, extra):
    write_nb(tmp_path / "a.ipynb", nb("import pickle", "pickle.load(open('m.pkl', 'rb'))"))
    mods = imported("-m", "nbguard", "lint", str(tmp_path), "--jobs", "1", *extra, cwd=str(tmp_path))
    assert "nbguard" in mods and not set(HEAVY) & mods


def test_the_probe_sees_a_heavy_import_when_there_is_one():
    pytest.importorskip("pandas")
    assert "pandas" in imported("-c", "import nbguard; nbguard.Report().to_dataframe()")
