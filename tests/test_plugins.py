"""Third-party rules (entry point group ``nbguard.rules``): each plugin loads on its own, and a
broken or clashing one is one clear warning naming it, never a silent drop of the others."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import conftest

PLUGINS = '''
from nbguard.rules.base import Rule
from nbguard.model import Severity


class _Base(Rule):
    """## What it does
    Flags the word PLUGIN_MARKER in markdown.

    ## Why is this bad?
    A test rule.

    ## Example
    ```python
    PLUGIN_MARKER
    ```

    ## Use instead
    Nothing.
    """
    category = "secrets"
    severity = Severity.LOW
    fix = "none"
    texts = frozenset({"markdown"})

    def check_text(self, text, ctx):
        i = text.text.find("PLUGIN_MARKER")
        if i >= 0:
            ctx.report_offsets(self, i, i + 13, f"marker seen by {self.code}")


class First(_Base):
    code = "NBG991"
    name = "first-plugin-rule"


class Clash(_Base):
    code = "NBG101"  # taken by the built-in Hugging Face/AWS secrets rule
    name = "clashing-plugin-rule"


class Last(_Base):
    code = "NBG993"
    name = "last-plugin-rule"


NOT_A_RULE = 42
'''


def _install(tmp_path, entries: list[str]) -> dict:
    """A site folder with a fake distribution declaring ``entries`` under nbguard.rules."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "nbguard_test_plugins.py").write_text(textwrap.dedent(PLUGINS))
    dist = site / "nbguard_test_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nbguard-test-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[nbguard.rules]\n" + "\n".join(entries) + "\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), conftest.REPO]))
    return env


def test_a_broken_plugin_is_one_warning_and_the_others_still_load(tmp_path):
    env = _install(tmp_path, [
        "first = nbguard_test_plugins:First",
        "broken = nbguard_test_plugins_missing_module:Rule",
        "clash = nbguard_test_plugins:Clash",
        "not_a_rule = nbguard_test_plugins:NOT_A_RULE",
        "last = nbguard_test_plugins:Last",
    ])
    out = subprocess.run([sys.executable, "-m", "nbguard", "rules"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    codes = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    assert {"NBG991", "NBG993"} <= codes  # the plugins before and after the broken ones
    warnings = [w for w in out.stderr.splitlines() if w.startswith("nbguard: warning:")]
    assert len(warnings) == 3, out.stderr
    assert "'broken'" in warnings[0] and "ModuleNotFoundError" in warnings[0]
    assert "'clash'" in warnings[1] and "NBG101" in warnings[1]
    assert "'not_a_rule'" in warnings[2]
    assert "Traceback" not in out.stderr
    # the built-in NBG101 kept its place; the clashing plugin did not replace it
    assert any(line.startswith("NBG101") and "clashing" not in line for line in out.stdout.splitlines())


def test_a_plugin_rule_reports_like_a_builtin_one(tmp_path):
    env = _install(tmp_path, ["first = nbguard_test_plugins:First"])
    nb = tmp_path / "n.ipynb"
    nb.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", '
                  '"id": "a", "metadata": {}, "source": "see PLUGIN_MARKER here"}]}')
    out = subprocess.run([sys.executable, "-m", "nbguard", "lint", str(nb), "--no-cache"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "NBG991" in out.stdout and "marker seen by NBG991" in out.stdout
