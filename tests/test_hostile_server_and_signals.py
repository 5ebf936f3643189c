"""Hostile input, part 2: the server under a burst of large concurrent requests, and runs
interrupted by SIGINT/SIGTERM leave no partial file behind (issue 8).

The server tests talk to a real ``jupyter lab`` on 127.0.0.1 (fixture in ``conftest_lab.py``);
unauthenticated and cross-site POSTs are covered in ``test_server.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import conftest
import pytest
from conftest_lab import (
    HF_KEY,
    code_cell,
    lab_server,  # noqa: F401  (the "lab" fixture)
    md_cell,
    write_notebook,
)

# -- server: a burst of concurrent large requests --------------------------------------------------------------

BURST = 24  # requests per burst
THREADS = 8
OVER_LIMIT = {5, 17}  # these requests are deliberately over the 10 MB body limit: 413


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def _big_body(tag: str, n_cells: int = 300) -> bytes:
    """About 1 MB: 300 cells of code, prose and long outputs, with a token in the middle cell.
    ``tag`` makes every body distinct, so no request is answered from the server's result cache."""
    cells = []
    for i in range(n_cells):
        if i == n_cells // 2:
            cells.append({"id": f"c{i}", "cell_type": "code", "source": f'HF = "{HF_KEY}"\n'})
        elif i % 3 == 0:
            cells.append({"id": f"c{i}", "cell_type": "markdown",
                          "source": f"# Notes {tag}\n\n" + "Some prose about the data set and the model. " * 80})
        else:
            cells.append({"id": f"c{i}", "cell_type": "code",
                          "source": f"# {tag} {i}\n" + "".join(f"x{j} = compute({j})\n" for j in range(5)),
                          "outputs": [{"output_type": "stream", "name": "stdout",
                                       "text": "loss 0.1234 step 17 " * 150}]})
    return json.dumps({"path": f"burst/{tag}.ipynb", "cells": cells}).encode()


def _oversized_body(tag: str) -> bytes:
    big = f"# {tag}\n" + "x = 1\n" * (11 * 1024 * 1024 // 6)
    return json.dumps({"path": f"burst/{tag}.ipynb", "cells": [{"cell_type": "code", "source": big}]}).encode()


def _burst(lab, requests, round_no: int) -> list[tuple[int, int, str]]:
    headers = {"Content-Type": "application/json", "Authorization": f"token {lab.token}"}

    def one(i: int):
        tag = f"r{round_no}-{i}"
        body = _oversized_body(tag) if i in OVER_LIMIT else _big_body(tag)
        r = requests.post(lab.api("nbguard/lint"), data=body, headers=headers, timeout=240)
        return i, r.status_code, r.text

    with ThreadPoolExecutor(max_workers=THREADS) as ex:
        return sorted(ex.map(one, range(BURST)))


def test_burst_of_large_concurrent_requests_is_held_without_leak_or_growth(lab):
    requests = pytest.importorskip("requests")
    pytest.importorskip("jupyter_server")
    assert lab.url.startswith("http://127.0.0.1:")  # loopback only
    pid = lab.proc.pid  # python -m jupyterlab: the server itself (the extension runs in-process)
    rss_start = _rss_kb(pid)

    rss = []
    for round_no in (1, 2):
        replies = _burst(lab, requests, round_no)
        assert len(replies) == BURST
        for i, status, text in replies:
            assert status == (413 if i in OVER_LIMIT else 200), (i, status, text[:300])
            assert HF_KEY not in text  # masked in snippets, never in messages
            if status == 200:
                reply = json.loads(text)
                assert reply["cells"] == 300 and reply["cached"] is False
                hits = [(f["rule"], f["cell_id"], f["line"]) for f in reply["findings"]]
                assert ("NBG101", "c150", 1) in hits
            else:
                assert "limit is 10.0 MB" in json.loads(text)["message"]
        rss.append(_rss_kb(pid))
    warm, after = rss
    print(f"server RSS: start {rss_start / 1024:.1f} MB, after burst 1 {warm / 1024:.1f} MB, "
          f"after burst 2 {after / 1024:.1f} MB ({2 * BURST} requests, {THREADS} at a time)")
    assert after - warm < 50 * 1024, f"RSS grew by {(after - warm) / 1024:.1f} MB in the second burst"
    # and the server still answers a small request at once
    r = requests.post(lab.api("nbguard/lint"), data=json.dumps({"cells": [{"source": "x = 1"}]}),
                      headers={"Authorization": f"token {lab.token}"}, timeout=30)
    assert r.status_code == 200 and r.json()["findings"] == []
    assert lab.proc.poll() is None


# -- interrupted runs: no partial file, no temp file, no traceback ---------------------------------------------

CORPUS = Path(conftest.CORPUS)


def _corpus_like_notebook(path: Path, i: int) -> None:
    """A notebook with a little of everything the rules look at (used when the corpus is absent)."""
    cells = [md_cell(f"m{i}", "# Training run\n\nSome prose. " * 40)]
    for j in range(30):
        cells.append(code_cell(f"c{i}-{j}", "\n".join([
            "import torch, requests, pickle, yaml",
            f"model = torch.load('weights-{j}.pt')",
            f"r = requests.get('http://example.com/data/{j}', verify=False)",
            "cfg = yaml.load(open('cfg.yml'))",
            "!pip install transformers",
            "x = pickle.loads(r.content)",
        ]), [{"output_type": "stream", "name": "stdout", "text": "step loss 0.1234\n" * 60}]))
    cells.append(code_cell(f"k{i}", f'HF = "{HF_KEY}"'))
    write_notebook(path, cells)


@pytest.fixture(scope="module")
def many_notebooks(tmp_path_factory) -> Path:
    """About 1000 notebooks (copies of corpus notebooks, else generated ones): enough that no run
    finishes before the signal arrives, however fast nbguard gets."""
    folder = tmp_path_factory.mktemp("many") / "nbs"
    folder.mkdir()
    sources = sorted(CORPUS.rglob("*.ipynb"))[:60] if CORPUS.is_dir() else []
    for i in range(1000):
        dest = folder / f"nb{i:03d}.ipynb"
        if sources:
            shutil.copyfile(sources[i % len(sources)], dest)
        else:
            _corpus_like_notebook(dest, i)
    return folder


def _leftovers(*folders: Path) -> list[str]:
    return sorted(str(p) for f in folders if f.exists() for p in f.rglob(".nbguard-*.tmp"))


def _interrupt(args: list[str], cwd: Path, sig: int, *, group: bool, delay: float = 1.5):
    env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1")
    proc = subprocess.Popen([sys.executable, "-m", "nbguard", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        if group:  # as a terminal's Ctrl-C or a CI runner does: every process of the run gets it
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"nbguard did not stop within 60 s of {signal.Signals(sig).name}")
    _assert_no_process_left(proc.pid)
    return running, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _assert_no_process_left(group: int) -> None:
    """No worker process of the run (its process group) outlives it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    raise AssertionError("worker processes outlived the run")


def _check_interrupted(running, rc, err, sig):
    assert running, "the run finished before the signal: make the input bigger"
    assert rc == 128 + sig  # 130 for Ctrl-C, 143 for SIGTERM, as a shell reports a killed command
    assert "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1:] == ["nbguard: interrupted"], err[-2000:]
    assert HF_KEY not in err


def _check_output(path: Path):
    if path.exists():  # complete or absent, never truncated
        json.loads(path.read_text())


SIGNALS = [pytest.param(signal.SIGINT, False, id="SIGINT"), pytest.param(signal.SIGTERM, False, id="SIGTERM"),
           pytest.param(signal.SIGINT, True, id="SIGINT-group"), pytest.param(signal.SIGTERM, True, id="SIGTERM-group")]


@pytest.mark.parametrize("sig, group", SIGNALS)
def test_interrupted_lint_leaves_no_partial_report(many_notebooks, tmp_path, sig, group):
    out_dir, cache_dir = tmp_path / "out", tmp_path / "cache"
    out_dir.mkdir()
    report = out_dir / "report.json"
    running, rc, _, err = _interrupt(
        ["lint", str(many_notebooks), "--format", "json", "--output", str(report), "--jobs", "2",
         "--cache-dir", str(cache_dir)], tmp_path, sig, group=group)
    _check_interrupted(running, rc, err, sig)
    _check_output(report)
    assert _leftovers(out_dir, cache_dir) == []
    assert sorted(p.name for p in out_dir.iterdir()) in ([], ["report.json"])


@pytest.mark.parametrize("sig, group", SIGNALS[:2])
def test_interrupted_baseline_create_leaves_no_partial_file(many_notebooks, tmp_path, sig, group):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "baseline.json"
    running, rc, _, err = _interrupt(["baseline", "create", str(many_notebooks), "--output", str(target),
                                      "--jobs", "2"], tmp_path, sig, group=group)
    _check_interrupted(running, rc, err, sig)
    _check_output(target)
    assert _leftovers(out_dir) == []
    assert sorted(p.name for p in out_dir.iterdir()) in ([], ["baseline.json"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_fix_leaves_every_notebook_whole(tmp_path, sig):
    folder = tmp_path / "fixme"
    folder.mkdir()
    for i in range(1000):
        _corpus_like_notebook(folder / f"nb{i:03d}.ipynb", i)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    running, rc, _, err = _interrupt(["fix", str(folder)], tmp_path, sig, group=False)
    _check_interrupted(running, rc, err, sig)
    assert _leftovers(folder) == []
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(before)
    changed = 0
    for p in folder.iterdir():  # each notebook is either untouched or fully rewritten, valid JSON
        data = p.read_bytes()
        json.loads(data)
        changed += data != before[p.name]
    assert changed < len(before)  # it really was interrupted mid-way


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_between_temp_file_creation_and_cleanup_leaves_no_temp_file(tmp_path, monkeypatch, sig):
    """The race CI once hit: the interrupt lands just after the temp file exists, before the code
    that would remove it is armed. The write must finish (or be undone) first, then the interrupt."""
    import tempfile

    from nbguard import fsutil

    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_interrupt(*args, **kwargs):
        result = real_mkstemp(*args, **kwargs)
        os.kill(os.getpid(), sig)  # Python would raise at the next bytecode, before `tmp` is bound
        for _ in range(1000):  # give the handler every chance to run here
            pass
        return result

    def terminated(signum, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_interrupt)
    previous = signal.signal(signal.SIGTERM, terminated)
    target = tmp_path / "report.json"
    try:
        with pytest.raises(KeyboardInterrupt):
            fsutil.atomic_write(str(target), '{"complete": true}')
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert json.loads(target.read_text()) == {"complete": True}


def test_sigterm_ends_a_library_run_with_the_default_action_and_no_workers_left(many_notebooks, tmp_path):
    """Through the Python API (no CLI handler), SIGTERM keeps its default action: the process
    ends by the signal once the worker pool is down, and no worker outlives it."""
    script = ("import sys, nbguard.api as a\n"
              "a.lint_paths([sys.argv[1]], jobs=2)\n"
              "print('finished')\n")
    proc = subprocess.Popen([sys.executable, "-c", script, str(many_notebooks)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(1.5)
    assert proc.poll() is None, "the run finished before the signal: make the input bigger"
    os.kill(proc.pid, signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the library run did not stop within 60 s of SIGTERM")
    assert proc.returncode == -signal.SIGTERM, err.decode(errors="replace")[-2000:]
    assert b"finished" not in out
    _assert_no_process_left(proc.pid)


def test_ctrl_c_while_the_pool_stops_still_interrupts(tmp_path, monkeypatch):
    """A Ctrl-C that lands after the last report was handed out, while the worker pool shuts
    down, is not lost: the run is interrupted, as it would be a moment earlier or later (CI once
    saw a Ctrl-C'd run finish with exit 1)."""
    from concurrent.futures import ProcessPoolExecutor

    from nbguard import api

    real_shutdown = ProcessPoolExecutor.shutdown

    def shutdown_under_ctrl_c(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real_shutdown(self, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "shutdown", shutdown_under_ctrl_c)
    monkeypatch.setattr(api, "PARALLEL_MIN_BYTES", 0)  # workers even for six small notebooks
    for i in range(6):
        write_notebook(tmp_path / f"nb{i}.ipynb", [code_cell("c1", "import pickle\npickle.load(open('x', 'rb'))")])
    seen = 0
    with pytest.raises(KeyboardInterrupt):
        for _ in api.iter_reports([str(tmp_path)], api.load_config(start=str(tmp_path)), jobs=2, cache=None):
            seen += 1
    assert seen == 6
