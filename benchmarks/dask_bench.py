"""``nbguard lint --dask local`` against ``--jobs 2`` on an estate: the corpus copied N times.

    python benchmarks/dask_bench.py [FOLDER] [--copies 10] [--workers 2] [--append]

For 1 copy and ``--copies`` copies of FOLDER (default ``../shared/corpus``) in a temporary
folder, each run writes a JSON report to a file and is timed; the client's peak RSS is that of
the ``nbguard`` process itself (``RUSAGE_SELF``: with ``--dask local`` the workers are other
processes, and with ``--jobs`` the pool's workers are too). The point of the Dask path is that
the client streams the report instead of holding it: its peak RSS must not grow with the number
of notebooks, while ``--jobs`` builds the whole report in memory first. The reports of the two
paths are compared byte for byte. ``--append`` adds the table to ``benchmarks/results.md``.
"""

from __future__ import annotations

import argparse
import datetime
import filecmp
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FOLDER = REPO.parent / "shared" / "corpus"

# Runs nbguard's CLI and reports this process's own peak RSS (KiB on Linux) on stderr's last line.
_CLIENT = ("import resource, sys\nfrom nbguard.cli import main\nrc = main(sys.argv[1:])\n"
           "print('peak-rss-kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
           "sys.exit(rc)\n")


def estate(src: Path, copies: int, dest: Path) -> int:
    """``copies`` copies of ``src`` under ``dest``; returns the number of notebooks."""
    n = 0
    for i in range(copies):
        shutil.copytree(src, dest / f"copy{i:02d}")
    for _, _, files in os.walk(dest):
        n += sum(f.endswith(".ipynb") for f in files)
    return n


def run(folder: Path, out: Path, *how: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _CLIENT, "lint", str(folder), *how, "--no-cache", "--format", "json",
                        "-o", str(out)], capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - t
    rss = [line.split()[1] for line in p.stderr.splitlines() if line.startswith("peak-rss-kib ")]
    if p.returncode not in (0, 1, 2) or not rss:
        raise SystemExit(f"run failed ({p.returncode}): {' '.join(how)}\n{p.stderr[-2000:]}")
    return {"wall": wall, "rss_mb": int(rss[0]) / 1024, "rc": p.returncode}


class LoopbackCluster:
    """A `dask scheduler` and ``workers`` `dask worker` processes on 127.0.0.1 (random ports, no
    dashboard): the client's process then holds no scheduler, as with a real cluster."""

    def __init__(self, folder: Path, workers: int) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        file = folder / "scheduler.json"
        common = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
        self.procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                        "--port", "0", "--scheduler-file", str(file), *common], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
        deadline = time.monotonic() + 60
        while not file.exists() or not file.stat().st_size:
            if time.monotonic() > deadline:
                self.close()
                raise SystemExit("the dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        for _ in range(workers):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                 "--host", "127.0.0.1", *common], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True))
        from distributed import Client

        with Client(self.address) as c:
            c.wait_for_workers(workers, timeout=60)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2, help="--jobs N for the local run")
    ap.add_argument("--append", action="store_true", help="append the table to benchmarks/results.md")
    args = ap.parse_args()
    src = Path(args.folder).resolve()
    load0 = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="nbguard-dask-bench-") as tmp:
        tmp = Path(tmp)
        cluster = LoopbackCluster(tmp, args.workers)
        try:
            for copies in (1, args.copies):
                folder = tmp / f"x{copies}"
                n = estate(src, copies, folder)
                jobs = run(folder, tmp / f"jobs{copies}.json", "--jobs", str(args.workers))
                dask = run(folder, tmp / f"dask{copies}.json", "--dask", "local")
                remote = run(folder, tmp / f"remote{copies}.json", "--dask", cluster.address)
                same = all(filecmp.cmp(tmp / f"jobs{copies}.json", tmp / f"{k}{copies}.json", shallow=False)
                           for k in ("dask", "remote"))
                rows.append((copies, n, jobs, dask, remote, same))
                shutil.rmtree(folder)
        finally:
            cluster.close()
    load1 = os.getloadavg()
    lines = [
        f"## Dask: `--dask local` and `--dask tcp://` vs `--jobs {args.workers}` ({datetime.date.today()})",
        "",
        f"Folder: `{src}` copied 1× and {args.copies}× into a temporary folder; one run each, JSON report to a file, "
        f"no cache. Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load0[0]:.2f} at start, {load1[0]:.2f} at end (other work was running).",
        "",
        f"| Copies | Notebooks | `--jobs {args.workers}` wall (s) | client RSS (MB) | `--dask local` wall (s) "
        f"| client RSS (MB) | `--dask tcp://` ({args.workers} workers) wall (s) | client RSS (MB) "
        "| Reports identical |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for copies, n, jobs, dask, remote, same in rows:
        lines.append(f"| {copies}× | {n} | {jobs['wall']:.1f} | {jobs['rss_mb']:.0f} | {dask['wall']:.1f} "
                     f"| {dask['rss_mb']:.0f} | {remote['wall']:.1f} | {remote['rss_mb']:.0f} "
                     f"| {'yes' if same else '**no**'} |")
    (_, _, j1, d1, r1, _), (_, _, j10, d10, r10, _) = rows

    def grew(a: dict, b: dict) -> str:
        return f"{a['rss_mb']:.0f} → {b['rss_mb']:.0f} MB ({b['rss_mb'] / a['rss_mb']:.2f}×)"

    lines += ["", f"Client peak RSS from 1× to {args.copies}×: `--dask local` (scheduler in the client's process) "
              f"{grew(d1, d10)}, `--dask tcp://` {grew(r1, r10)}, `--jobs {args.workers}` {grew(j1, j10)}. "
              f"Wall time at {args.copies}×, relative to `--jobs {args.workers}`: `--dask local` "
              f"{d10['wall'] / j10['wall']:.2f}, `--dask tcp://` {r10['wall'] / j10['wall']:.2f}.", ""]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with open(HERE / "results.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
