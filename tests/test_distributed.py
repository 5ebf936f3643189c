"""``nbguard lint --dask`` and nbguard.distributed: a real scheduler and two worker processes on
loopback lint the corpus with the report of ``--jobs 2``, byte for byte, also when a worker is
killed mid-run; a LocalCluster gives the same; bad notebooks are error rows; memory:// works."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, corpus_notebooks
from distributed import Client  # the `test` extra installs nbguard[dask]
from helpers import code, nb, run, run_process, write_nb

from nbguard import distributed as nbd
from nbguard.config import Config
from nbguard.model import Report
from nbguard.report import render
from nbguard.report.stream import writer

AWS_KEY = "AKIA" + "Z7Q2XW4M9TR3LBNE"  # built at run time: no literal key in the repository


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Cluster:
    """A `dask scheduler` and `dask worker` processes (no nanny: a killed worker stays dead) on
    127.0.0.1, random ports, no dashboards. Every process is in its own session and is killed
    at teardown, whatever happened."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.file = os.path.join(folder, "scheduler.json")
        self._spawn("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--dashboard-address", "127.0.0.1:0",
                    "--scheduler-file", self.file)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.file) or not os.path.getsize(self.file):
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.1)
        with open(self.file) as fh:
            self.address = json.load(fh)["address"]
        self.client = Client(self.address, timeout="30s")

    def _spawn(self, module: str, *args: str) -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-m", module, *args], env=_env(), cwd=self.folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(p)
        return p

    def workers(self) -> dict:
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def top_up(self, n: int = 2) -> None:
        for _ in range(n - len(self.workers())):
            self._spawn("distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
                        "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1")
        self.client.wait_for_workers(n, timeout=60)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            for p in self.procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = None
    try:
        c = Cluster(str(tmp_path_factory.mktemp("dask")))
        c.top_up(2)
        yield c
    finally:
        if c is not None:
            c.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The corpus linted by ``--jobs 2``: {format: (exit code, report bytes, stderr)}."""
    corpus_notebooks()
    from conftest import CORPUS

    folder = tmp_path_factory.mktemp("ref")
    out = {}
    for fmt in ("json", "sarif", "text"):
        path = folder / f"ref.{fmt}"
        rc, _, err = run_process("lint", CORPUS, "--jobs", "2", "--cache-dir", folder / "cache", "--format", fmt,
                                 "-o", path)
        out[fmt] = (rc, path.read_bytes(), err)
    return out


def _corpus() -> str:
    from conftest import CORPUS

    return CORPUS


def test_scheduler_and_two_workers_give_the_jobs_2_report_in_every_format(cluster, reference, tmp_path):
    for fmt in ("json", "sarif", "text"):
        path = tmp_path / f"dask.{fmt}"
        rc, out, err = run("lint", _corpus(), "--dask", cluster.address, "--format", fmt, "-o", path)
        ref_rc, ref_bytes, ref_err = reference[fmt]
        assert path.read_bytes() == ref_bytes, fmt
        assert (rc, err) == (ref_rc, ref_err), fmt
        assert rc == 2  # the corpus holds two notebooks that are not valid JSON
    data = json.loads(ref_bytes if fmt == "json" else reference["json"][1])
    assert data["summary"]["files"] > 900 and data["summary"]["findings"] > 1000
    assert len(data["errors"]) == 2
    assert not list(tmp_path.glob(".nbguard-*"))


def test_text_report_on_stdout_matches_and_shows_no_progress_off_a_terminal(cluster, reference, tmp_path):
    some = tmp_path / "some"
    some.mkdir()
    for p in corpus_notebooks()[:60]:
        shutil.copy(p, some)
    ref = run_process("lint", some, "--jobs", "2", "--no-cache")
    got = run_process("lint", some, "--dask", cluster.address)
    assert got == ref
    assert "\r" not in got[2] and "notebooks/s" not in got[2]


def test_local_cluster_gives_the_jobs_2_report(reference, tmp_path):
    path = tmp_path / "local.json"
    rc, _, err = run_process("lint", _corpus(), "--dask", "local", "--format", "json", "-o", path)
    assert path.read_bytes() == reference["json"][1]
    assert rc == reference["json"][0]
    if err.startswith("nbguard: Dask dashboard: "):  # with Bokeh installed: the dashboard, on loopback only
        link, err = err.split("\n", 1)
        assert link.startswith("nbguard: Dask dashboard: http://127.0.0.1:")
    assert err == reference["json"][2]


def test_a_worker_killed_mid_run_changes_nothing(cluster, reference, tmp_path):
    cluster.top_up(2)
    pids = cluster.client.run(os.getpid)  # worker address -> process id
    killed = []

    def kill_a_busy_worker(done, total, findings):
        if killed:
            return
        busy = {addr: keys for addr, keys in cluster.client.processing().items() if keys}
        assert busy, "no task in flight when the first partition completed"
        addr = sorted(busy)[0]
        os.kill(pids[addr], signal.SIGKILL)
        killed.append((addr, len(busy[addr])))

    out = tmp_path / "killed.json"
    nbd.write_report([_corpus()], Config(), cluster.client, "json", str(out), progress=kill_a_busy_worker)
    assert killed and killed[0][1] >= 1
    assert out.read_bytes() == reference["json"][1]
    deadline = time.monotonic() + 30
    while killed[0][0] in cluster.workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert killed[0][0] not in cluster.workers()  # the worker really died during the run
    cluster.top_up(2)


def test_ctrl_c_cancels_the_run_and_leaves_no_report(cluster, tmp_path):
    cluster.top_up(2)

    def interrupt(done, total, findings):
        raise KeyboardInterrupt

    out = tmp_path / "report.sarif"
    with pytest.raises(KeyboardInterrupt):
        nbd.write_report([_corpus()], Config(), cluster.client, "sarif", str(out), progress=interrupt)
    assert not out.exists() and os.listdir(tmp_path) == []

    def tasks(dask_scheduler=None):
        return sum(1 for k in dask_scheduler.tasks if str(k).startswith("nbguard-lint-"))

    deadline = time.monotonic() + 30
    while cluster.client.run_on_scheduler(tasks) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cluster.client.run_on_scheduler(tasks) == 0  # cancelled, not left running


def _estate(folder) -> list[str]:
    folder.mkdir(exist_ok=True)
    return [
        write_nb(folder / "a.ipynb", nb(code(f'aws_key = "{AWS_KEY}"'), code("import pickle\npickle.load(f)"))),
        write_nb(folder / "b.ipynb", nb(code("x = 1"))),
        str(_write(folder / "broken.ipynb", b'{"cells": [')),
    ]


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_a_bad_notebook_is_an_error_row_not_a_failed_task(cluster, tmp_path):
    cluster.top_up(2)
    import dask.bag as db

    paths = _estate(tmp_path / "estate")
    with cluster.client.as_current():
        rows = nbd.lint_bag(db.from_sequence(paths, npartitions=1)).compute()
    assert all(set(r) == set(nbd.ROW_COLUMNS) for r in rows)
    errors = [r for r in rows if r["error"]]
    assert [(r["path"], r["rule"]) for r in errors] == [(paths[2], None)]
    assert errors[0]["error"].startswith("not valid JSON")
    findings = [r for r in rows if not r["error"]]
    assert {r["rule"] for r in findings} >= {"NBG501"} and all(r["path"] == paths[0] for r in findings)
    assert not any(AWS_KEY in str(r["snippet"]) for r in findings)  # masked on the workers too
    # the CLI: the same error line and exit status as a local run, the other notebooks linted
    assert run("lint", tmp_path / "estate", "--dask", cluster.address) == \
        run("lint", tmp_path / "estate", "--jobs", "1", "--no-cache")


def test_a_notebook_that_crashes_the_engine_is_an_error_row(monkeypatch):
    import nbguard.engine

    real = nbguard.engine.lint

    def flaky(notebook, *a, **kw):
        if notebook.path == "two.ipynb":
            raise RuntimeError("boom AKIA-should-not-be-shown")
        return real(notebook, *a, **kw)

    monkeypatch.setattr(nbguard.engine, "lint", flaky)
    good = json.dumps(nb(code("import pickle\npickle.load(f)"))).encode()
    rows = nbd.lint_partition([("one.ipynb", good), ("two.ipynb", good), ("three.ipynb", good)])
    assert [(r["path"], r["rule"], r["error"] is not None) for r in rows] == [
        ("one.ipynb", "NBG501", False), ("two.ipynb", None, True), ("three.ipynb", "NBG501", False)]
    assert "RuntimeError" in rows[1]["error"] and "boom" not in rows[1]["error"]


def test_memory_urls_are_read_by_the_workers(tmp_path):
    import fsspec

    local = _estate(tmp_path / "estate")
    fs = fsspec.filesystem("memory")
    for p in local:
        fs.pipe(f"/estate/team/{os.path.basename(p)}", open(p, "rb").read())
    fs.pipe("/estate/team/.ipynb_checkpoints/a-checkpoint.ipynb", open(local[0], "rb").read())  # skipped
    fs.pipe("/estate/team/notes.txt", b"not a notebook")
    try:
        with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
            out = tmp_path / "mem.json"
            nbd.write_report(["memory://estate"], Config(), client, "json", str(out))
            import dask.bag as db

            with client.as_current():
                rows = nbd.lint_bag(db.from_sequence(["memory://estate/team/a.ipynb"])).compute()
    finally:
        fs.rm("/estate", recursive=True)
    got = json.loads(out.read_text())
    want = json.loads(run("lint", tmp_path / "estate", "--format", "json", "--no-cache")[1])
    rename = {f"memory:///estate/team/{os.path.basename(p)}": p for p in local}
    for f in got["findings"] + got["errors"]:
        f["path"] = rename[f["path"]]
    assert got == want
    assert [r["rule"] for r in rows] == [f["rule"] for f in want["findings"] if f["path"] == local[0]]


def test_baseline_hides_the_same_findings_as_a_local_run(cluster, tmp_path):
    cluster.top_up(2)
    some = tmp_path / "some"
    some.mkdir()
    notebooks = corpus_notebooks()
    for p in notebooks[:40]:
        shutil.copy(p, some)
    base = tmp_path / "base.json"
    assert run("baseline", "create", some, "-o", base, cwd=tmp_path)[0] == 0
    for p in notebooks[40:80]:  # new notebooks since the baseline
        shutil.copy(p, some)
    local = run("lint", some, "--baseline", base, "--format", "sarif", "--no-cache", cwd=tmp_path)
    remote = run("lint", some, "--baseline", base, "--format", "sarif", "--dask", cluster.address, cwd=tmp_path)
    assert remote == local and "recorded in the baseline" in local[2]
    assert json.loads(local[1])["runs"][0]["results"]  # and some are new


def test_without_dask_one_line_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    rc, out, err = run("lint", write_nb(tmp_path / "a.ipynb", nb(code("x = 1"))), "--dask", "local")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "pip install 'nbguard[dask]'" in err


def test_unreachable_scheduler_is_one_line(tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        rc, out, err = run("lint", write_nb(tmp_path / "a.ipynb", nb(code("x = 1"))), "--dask", "tcp://127.0.0.1:1",
                           "--storage-option", "anon=true")
    assert rc == 2 and err.count("\n") == 1 and "tcp://127.0.0.1:1" in err and "Traceback" not in err


def test_streamed_reports_are_byte_identical_to_rendered_ones():
    from nbguard.api import iter_reports

    paths = corpus_notebooks()[:120] + ["/no/such/notebook.ipynb"]
    reports = list(iter_reports(paths, Config(), 1))
    whole = Report()
    for r in reports:
        whole.extend(r)
    assert whole.findings and whole.errors
    for fmt in ("json", "sarif", "text", "github", "junit", "html"):
        for rs, full in ((reports, whole), ([], Report())):
            buf = io.StringIO()
            w = writer(fmt, buf, color=fmt == "text")
            for r in rs:
                w.add(r)
            w.close()
            assert buf.getvalue() == render(full, fmt, color=fmt == "text"), fmt


def test_progress_line_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        p = nbd.ProgressLine(stream, interval=0)
        p(3, 8, 1)
        p(10, 10, 7)
        p.close()
    assert pipe.getvalue() == ""
    text = tty.getvalue()
    assert "3/8 notebooks, 1 finding," in text and "10/10 notebooks, 7 findings," in text
    assert "notebooks/s" in text and text.endswith("\r\x1b[K")


def test_partitions_are_cut_by_bytes_in_order():
    items = [(f"n{i}", f"/n{i}", 700_000) for i in range(10)]
    parts = list(nbd.partitions(items, max_bytes=2_000_000))
    assert [len(p) for p in parts] == [3, 3, 3, 1]
    assert [x for p in parts for x in p] == items



def test_dashboard_link_only_when_the_scheduler_serves_a_page():
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path in ("/status", "/no-bokeh") else 404)
            self.end_headers()
            if self.path == "/no-bokeh":
                self.wfile.write(b"<p>Dask needs bokeh>=3.1.0 for the dashboard.</p>")

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    class FakeClient:
        def __init__(self, path):
            self.dashboard_link = f"http://127.0.0.1:{port}{path}"

        def scheduler_info(self):
            return {"services": {"dashboard": port}}

    try:
        assert nbd.dashboard_link(FakeClient("/status")) == f"http://127.0.0.1:{port}/status"
        assert nbd.dashboard_link(FakeClient("/missing")) is None  # --no-dashboard: a 404
        assert nbd.dashboard_link(FakeClient("/no-bokeh")) is None  # Dask's placeholder page
    finally:
        server.shutdown()


def test_ctrl_c_in_a_terminal_stops_a_local_cluster_run_with_one_line(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: the client cancels, closes the
    cluster and says so once; the workers (started with SIGINT ignored) print nothing."""
    corpus_notebooks()
    out = tmp_path / "r.sarif"
    p = subprocess.Popen([sys.executable, "-m", "nbguard", "lint", _corpus(), _corpus(), _corpus(), "--dask", "local",
                          "--format", "sarif", "-o", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env(), start_new_session=True)
    try:
        import psutil  # a dependency of distributed

        deadline = time.monotonic() + 60  # until the cluster is up (its workers are this run's grandchildren)
        while len(psutil.Process(p.pid).children(recursive=True)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        assert p.poll() is None, "the run ended before it could be interrupted"
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 130
    assert err.splitlines()[-1] == "nbguard: interrupted" and "Traceback" not in err
    assert os.listdir(tmp_path) == []  # no report, no temp file


def test_file_urls_are_listed_on_the_client_and_read_by_the_workers(cluster, tmp_path):
    cluster.top_up(2)
    local = _estate(tmp_path / "estate")
    url = (tmp_path / "estate").as_uri()
    rc, out, err = run("lint", url, "--dask", cluster.address, "--format", "json",
                       "--storage-option", "auto_mkdir=false")
    want_rc, want, _ = run("lint", tmp_path / "estate", "--format", "json", "--no-cache")
    got = json.loads(out)
    for f in got["findings"] + got["errors"]:
        assert f["path"].startswith("file://")
        f["path"] = f["path"][len("file://"):]
    assert (rc, got) == (want_rc, json.loads(want))
    assert {f["path"] for f in got["findings"]} == {local[0]}
