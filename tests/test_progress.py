"""Progress: the API's callback, and the CLI's progress line on a terminal (a pseudo-terminal here)."""

from __future__ import annotations

import io
import os
import pty

import pytest
from helpers import nb, write_nb

from nbguard import api, cli
from nbguard.api import Config


@pytest.fixture
def folder(tmp_path):
    for i in range(5):
        write_nb(tmp_path / f"n{i}.ipynb", nb("import pickle", "pickle.load(open('m.pkl', 'rb'))"))
    write_nb(tmp_path / "clean.ipynb", nb("x = 1"))
    return tmp_path


def test_the_api_reports_progress_after_every_file(folder):
    calls = []
    report = api.lint_paths([str(folder), str(folder / "missing.ipynb")], Config(), progress=lambda *a: calls.append(a))
    assert calls[0] == (0, 7, 0)
    assert [c[0] for c in calls] == list(range(8)) and {c[1] for c in calls} == {7}
    assert calls[-1][2] == len(report.findings) == 5
    assert [c[2] for c in calls] == sorted(c[2] for c in calls)


class _Terminal:
    """A pseudo-terminal standing in for stderr: ``isatty()`` is true, and what was drawn is read back."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        self.stream = io.TextIOWrapper(os.fdopen(slave, "wb", buffering=0), encoding="utf-8", write_through=True)

    def read(self) -> str:
        self.stream.close()
        out = b""
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other end is closed and everything was read
                break
            if not chunk:
                break
            out += chunk
        os.close(self.master)
        return out.decode()


def _lint(monkeypatch, folder, *args, stderr, after: float):
    monkeypatch.setattr(cli.Progress, "after", after)
    monkeypatch.setattr(cli.Progress, "every", 0.0)
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.chdir(folder)
    return cli.main(["lint", ".", "--jobs", "1", "--no-cache", "--format", "json", "-o", "r.json", *args])


def test_a_long_run_on_a_terminal_shows_progress_then_erases_it(monkeypatch, folder):
    term = _Terminal()
    assert _lint(monkeypatch, folder, stderr=term.stream, after=0.0) == 1
    shown = term.read()
    assert "nbguard: 6/6 notebooks, 5 findings" in shown and "notebooks/s" in shown
    assert "nbguard: 1/6 notebooks" in shown  # it advances file by file
    before_summary = shown.split("Found ")[0]
    assert before_summary.endswith("\r\x1b[K")  # erased before anything else is printed


def test_a_short_run_shows_no_progress(monkeypatch, folder):
    term = _Terminal()
    assert _lint(monkeypatch, folder, stderr=term.stream, after=60.0) == 1
    assert "notebooks/s" not in term.read()


def test_quiet_shows_no_progress_on_a_terminal(monkeypatch, folder):
    term = _Terminal()
    assert _lint(monkeypatch, folder, "--quiet", stderr=term.stream, after=0.0) == 1
    shown = term.read()
    assert "notebooks/s" not in shown and "Found 5 findings" in shown


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch, folder):
    err = io.StringIO()
    assert _lint(monkeypatch, folder, stderr=err, after=0.0) == 1
    assert "notebooks/s" not in err.getvalue() and "\x1b" not in err.getvalue()
