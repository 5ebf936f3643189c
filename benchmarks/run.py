"""nbguard's speed, in one command: the parse floor, nbguard (one core, all cores, warm cache),
the peers that are installed, and the editor's one-cell relint.

    python benchmarks/run.py [FOLDER] [--runs N] [--no-peers] [--stages]

FOLDER defaults to ``../shared/corpus`` next to the repository. Every tool runs as a
subprocess on the same folder; the table gives the median wall time over ``--runs``
runs (a peer whose first run takes over 60 s runs once), notebooks per second, the
peak RSS of the largest process of the run, findings where the tool reports them,
and the ratios to the parse floor and to each peer. It is printed and written to
``benchmarks/results.md``. The machine is noisy when other work runs: the ratios
within one run are what to compare.

Every Python tool runs with bytecode caching on (``PYTHONPYCACHEPREFIX`` in a temporary
folder, warmed by an untimed run on one notebook) even if ``PYTHONDONTWRITEBYTECODE``
is set here, as an installed tool would run.

``--stages`` adds where a cold ``--jobs 1`` run spends its time (load, classify, walk, rules,
report; ``benchmarks/stages.py``, which wraps timers around the stage boundaries from outside,
so the timed runs above are not instrumented).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FOLDER = REPO.parent / "shared" / "corpus"
ONCE_AFTER = 60.0  # seconds: slower tools run once
TIMEOUT = 3600.0

sys.path.insert(0, str(HERE))
from floor import notebooks  # noqa: E402


# -- running and measuring ---------------------------------------------------------------------

def run_measured(cmd: list[str], env: dict, cwd: str, stdout_path: str | None = None) -> dict:
    """Run ``cmd``; wall time, exit code and the peak RSS of its largest process (wait4)."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    try:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        timer = threading.Timer(TIMEOUT, p.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    finally:
        if stdout_path:
            out.close()  # type: ignore[union-attr]
        err.close()
    # ru_maxrss is in KiB on Linux, bytes on macOS
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {"wall": wall, "rc": p.returncode, "rss_mb": rss, "stderr": stderr[-2000:]}


class Tool:
    def __init__(self, key: str, label: str, cmd: list[str], count=None, ok_rc=(0,), runs_once_if_slow=True,
                 cwd: str | None = None):
        self.key, self.label, self.cmd, self.count, self.ok_rc = key, label, cmd, count, ok_rc
        self.cwd = cwd  # run there instead of the scratch folder
        self.runs_once_if_slow = runs_once_if_slow
        self.samples: list[dict] = []
        self.findings: int | None = None
        self.note = ""

    @property
    def wall(self) -> float | None:
        return statistics.median(s["wall"] for s in self.samples) if self.samples else None

    @property
    def rss(self) -> float | None:
        return max(s["rss_mb"] for s in self.samples) if self.samples else None


def bench(tool: Tool, runs: int, env: dict, cwd: str, out_dir: str, before=None) -> None:
    for i in range(runs):
        if before:
            before()
        out = os.path.join(out_dir, f"{tool.key}.{i}.out")
        r = run_measured(tool.cmd, env, tool.cwd or cwd, out)
        if r["rc"] not in tool.ok_rc:
            tool.note = f"exit {r['rc']}: {r['stderr'].strip().splitlines()[-1] if r['stderr'].strip() else ''}"
            print(f"  {tool.label}: failed ({tool.note})", file=sys.stderr)
            return
        tool.samples.append(r)
        if tool.count and tool.findings is None:
            try:
                tool.findings = tool.count(out)
            except (OSError, ValueError, KeyError, TypeError) as e:
                tool.note = f"could not count findings ({type(e).__name__})"
        print(f"  {tool.label}: {r['wall']:.2f} s, {r['rss_mb']:.0f} MB", file=sys.stderr)
        if tool.runs_once_if_slow and r["wall"] > ONCE_AFTER:
            tool.note = tool.note or f"ran once (over {ONCE_AFTER:.0f} s)"
            break


# -- counting findings -------------------------------------------------------------------------

def count_nbguard(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return len(json.load(fh)["findings"])


def count_json_list(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return len(json.load(fh))


def count_bandit(path: str) -> int:
    """bandit's JSON report(s); nbqa may run bandit more than once and print one report each."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    dec, pos, total, seen = json.JSONDecoder(), 0, 0, 0
    while True:
        start = text.find("{", pos)
        if start < 0:
            break
        try:
            doc, pos = dec.raw_decode(text, start)
        except ValueError:
            pos = start + 1
            continue
        if isinstance(doc, dict) and "results" in doc:
            total += len(doc["results"])
            seen += 1
    if not seen:
        raise ValueError("no bandit report in the output")
    return total


def count_detect_secrets(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(len(v) for v in json.load(fh)["results"].values())


def count_floor(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return json.loads(fh.read().strip().splitlines()[-1])["notebooks"]


# -- the machine -------------------------------------------------------------------------------

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return {"cpu": cpu, "cores": os.cpu_count() or 1, "usable": usable, "mem": mem,
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "load": _load()}


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def version(cmd: list[str], env: dict) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def which(name: str) -> str | None:
    local = Path(sys.executable).parent / name  # the venv's own copy first
    return str(local) if local.exists() else shutil.which(name)


# -- report ------------------------------------------------------------------------------------

def fmt_s(x: float | None) -> str:
    return "–" if x is None else (f"{x:.2f}" if x < 100 else f"{x:.0f}")


def ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.1f}×"


def report(tools: dict[str, Tool], n: int, relint: dict | None, mach: dict, folder: str, runs: int,
           identical: str, half: dict | None, started: str, stages: dict | None = None) -> str:
    floor = tools["floor"].wall
    lines = [
        f"# nbguard benchmark ({started})",
        "",
        f"Folder: `{folder}` ({n} notebooks). Median of {runs} run{'s' if runs != 1 else ''} "
        f"(tools over {ONCE_AFTER:.0f} s: one run).",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable']} usable), {mach['mem']}, "
        f"{mach['os']}, Python {mach['python']}. Load average at start {mach['load']}, at end {_load()}.",
        "",
        "| Tool | Wall (s) | Notebooks/s | Peak RSS (MB) | Findings | × floor | Note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in tools.values():
        rate = f"{n / t.wall:.0f}" if t.wall else "–"
        rss = f"{t.rss:.0f}" if t.rss is not None else "–"
        found = str(t.findings) if t.findings is not None and t.key != "floor" else "–"
        note = t.note or ""
        lines.append(f"| {t.label} | {fmt_s(t.wall)} | {rate} | {rss} | {found} | "
                     f"{ratio(t.wall, floor) if t.key != 'floor' else '1.0×'} | {note} |")
    if relint:
        lines += ["", f"Editor path (`lint_notebook` after a one-cell edit, {relint['cells']} cells "
                      f"({relint['code_cells']} code), {relint['edits']} edits): median "
                      f"**{relint['relint']['median_ms']:.1f} ms** (p90 {relint['relint']['p90_ms']:.1f} ms); "
                      f"the same relint reusing nothing: median {relint['no_reuse']['median_ms']:.1f} ms; "
                      f"first open {relint['open_ms']:.0f} ms."]
    # targets
    j1, allc, warm = (tools[k].wall for k in ("nbguard-j1", "nbguard-all", "nbguard-warm"))
    ruff = tools.get("ruff")
    bandit = tools.get("nbqa-bandit")
    ds = tools.get("detect-secrets")
    rss = max((tools[k].rss or 0) for k in ("nbguard-j1", "nbguard-all", "nbguard-warm"))

    def check(ok: bool | None) -> str:
        return "–" if ok is None else ("met" if ok else "**missed**")

    def secs(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f} s"

    rows = [
        ("`--jobs 1`, cold, all rules: ≤ 2.5× the parse floor",
         f"{ratio(j1, floor)} ({secs(j1)} vs {secs(floor)})",
         check(j1 / floor <= 2.5 if j1 and floor else None)),
        (f"all cores ({mach['usable']}): ≥ 1.7× faster than `--jobs 1`, output identical",
         f"{ratio(j1, allc)} faster ({secs(allc)}); identical: {identical}",
         check((j1 / allc >= 1.7 and identical == "yes") if j1 and allc else None)),
        ("warm: ≥ 10× faster than cold (all cores)", f"{ratio(allc, warm)} faster ({secs(warm)})",
         check(allc / warm >= 10 if allc and warm else None)),
        ("warm: faster than `ruff check --select S` uncached",
         f"warm {secs(warm)} vs ruff {secs(ruff.wall)}" if ruff and ruff.wall else "ruff not run",
         check(ruff.wall > warm if ruff and ruff.wall and warm else None)),
        # Like for like: nbqa + bandit runs one process, so it meets `--jobs 1`; detect-secrets
        # scans with a process per core by default, so it meets nbguard's default (all cores).
        ("≥ 20× faster than nbqa + bandit (both on one core, cold)",
         f"{ratio(bandit.wall, j1)} faster ({secs(bandit.wall)}); nbguard all cores: "
         f"{ratio(bandit.wall, allc)}" if bandit and bandit.wall else "not run",
         check(bandit.wall / j1 >= 20 if bandit and bandit.wall and j1 else None)),
        (f"≥ 30× faster than `detect-secrets scan` (both on all {mach['usable']} cores, their default; cold)",
         f"{ratio(ds.wall, allc)} faster ({secs(ds.wall)}); nbguard `--jobs 1`: "
         f"{ratio(ds.wall, j1)}" if ds and ds.wall else "not run",
         check(ds.wall / allc >= 30 if ds and ds.wall and allc else None)),
        ("peak RSS < 300 MB per process, not growing with corpus size",
         f"{rss:.0f} MB" + (f"; `--jobs 1` on every other notebook: {half['rss_mb']:.0f} MB vs "
                            f"{tools['nbguard-j1'].rss:.0f} MB on all" if half and tools['nbguard-j1'].rss else ""),
         check(rss < 300 if rss else None)),
        ("one-cell relint, 300 cells: median < 20 ms",
         f"{relint['relint']['median_ms']:.1f} ms" if relint else "not run",
         check(relint["relint"]["median_ms"] < 20 if relint else None)),
    ]
    lines += ["", "| Target | Measured | |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    skeleton = tools.get("nbguard-skeleton")
    if skeleton and skeleton.wall and floor and j1:
        lines += ["", f"Lower bound: with one rule enabled, the pipeline alone (read, parse, walk, report) takes "
                      f"{secs(skeleton.wall)} = {ratio(skeleton.wall, floor)} the floor; the other 36 rules add "
                      f"{secs(j1 - skeleton.wall)}. `--jobs 1` within 2.5× the floor ({secs(2.5 * floor)}) "
                      + (f"leaves {secs(2.5 * floor - skeleton.wall)} for all the rules."
                         if skeleton.wall < 2.5 * floor else "is out of reach of rule work alone: the pipeline "
                         "without the rules is already over it.")]
    if stages:
        lines += ["", stage_table(stages, floor)]
    if ruff and ruff.wall and j1:
        lines += ["", f"Time relative to ruff (Rust, S rules only, skips `%%bash`): nbguard `--jobs 1` "
                      f"{ratio(j1, ruff.wall)}, all cores {ratio(allc, ruff.wall)}, warm {ratio(warm, ruff.wall)}."]
    return "\n".join(lines) + "\n"


STAGE_NOTES = {
    "load": "read the file, JSON, build cells/outputs/metadata texts",
    "classify": "split code cells into Python/magics/shell lines, `ast.parse`",
    "walk": "tree walk, rule dispatch, scope binding, path facts, contexts",
    "rules": "inside the rules' hooks (text scans, call and node checks)",
    "report": "suppression, de-duplication, masking, raw-file lines, JSON rendering",
    "other": "start-up, imports, discovery",
}


def stage_table(stages: dict, floor: float | None) -> str:
    """Markdown table of benchmarks/stages.py's medians."""
    total = stages["total"]
    rows = [f"Stages of one cold `--jobs 1` run (benchmarks/stages.py, in-process timers; median of "
            f"{stages.get('runs', 1)}; total {total:.2f} s{' = ' + ratio(total, floor) + ' the floor' if floor else ''}"
            "; wall times on a shared machine: compare the shares):",
            "", "| Stage | Seconds | Share | × floor | What |", "|---|---:|---:|---:|---|"]
    for k, what in STAGE_NOTES.items():
        v = stages.get(k, 0.0)
        rows.append(f"| {k} | {v:.2f} | {100 * v / total:.0f}% | {ratio(v, floor) if floor else '–'} | {what} |")
    return "\n".join(rows)


def run_stages(folder: str, runs: int, env: dict, cwd: str) -> dict | None:
    r = subprocess.run([sys.executable, str(HERE / "stages.py"), folder, "--runs", str(runs)], env=env, cwd=cwd,
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        print(f"stages failed: {r.stderr[-1500:]}", file=sys.stderr)
        return None
    stages = json.loads(r.stdout.strip().splitlines()[-1])
    stages["runs"] = runs
    return stages


# -- main --------------------------------------------------------------------------------------

# In results.md, everything from this line on is written by hand and kept by the next run.
KEEP_MARKER = "<!-- Written by hand from here on: benchmarks/run.py keeps what follows. -->"


def main() -> int:
    ap = argparse.ArgumentParser(description="nbguard benchmark: floor, nbguard, peers, editor relint")
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    ap.add_argument("--runs", type=int, default=3, help="runs per tool (median); default 3")
    ap.add_argument("--no-peers", action="store_true", help="skip ruff, nbqa + bandit and detect-secrets")
    ap.add_argument("--edits", type=int, default=50, help="one-cell edits for the relint latency")
    ap.add_argument("--stages", action="store_true", help="add the stage table (load, classify, walk, rules, report)")
    ap.add_argument("--output", default=str(HERE / "results.md"), help="where to write the Markdown table")
    args = ap.parse_args()

    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        print(f"run.py: no folder {folder}", file=sys.stderr)
        return 2
    files = list(notebooks(folder))
    if not files:
        print(f"run.py: no notebooks under {folder}", file=sys.stderr)
        return 2
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    mach = machine()
    work = tempfile.mkdtemp(prefix="nbguard-bench-")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(work, "pycache")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("NO_COLOR", None)
    py = sys.executable
    out = os.path.join(work, "out")
    os.makedirs(out)
    cache_dir = os.path.join(work, "cache")
    lint = [py, "-m", "nbguard", "lint", folder, "--format", "json", "--exit-zero"]

    tools: dict[str, Tool] = {}
    tools["floor"] = Tool("floor", "parse floor (json + ast, 1 core)", [py, str(HERE / "floor.py"), folder],
                          count_floor, runs_once_if_slow=False)
    # exit 2: some file could not be read (the report lists it); the JSON report is still complete
    tools["nbguard-j1"] = Tool("nbguard-j1", "nbguard `--jobs 1`, cold", lint + ["--jobs", "1", "--no-cache"],
                               count_nbguard, (0, 2), runs_once_if_slow=False)
    # The pipeline with one rule (NBG304, a call rule with a name gate): read, parse, walk every
    # tree, report -- what --jobs 1 costs before the rules' own work; a lower bound for it.
    tools["nbguard-skeleton"] = Tool("nbguard-skeleton", "nbguard `--jobs 1`, cold, one rule (`--select NBG304`)",
                                     lint + ["--jobs", "1", "--no-cache", "--select", "NBG304"],
                                     count_nbguard, (0, 2), runs_once_if_slow=False)
    tools["nbguard-all"] = Tool("nbguard-all", f"nbguard all cores ({mach['usable']}), cold", lint + ["--no-cache"],
                                count_nbguard, (0, 2), runs_once_if_slow=False)
    tools["nbguard-warm"] = Tool("nbguard-warm", "nbguard warm (cache hit)", lint + ["--cache-dir", cache_dir],
                                 count_nbguard, (0, 2), runs_once_if_slow=False)
    peers: list[Tool] = []
    if not args.no_peers:
        ruff, nbqa, ds = which("ruff"), which("nbqa"), which("detect-secrets")
        bandit = which("bandit")
        # nbqa exits 123 when some notebook cannot be read (the corpus has two); bandit still ran on
        # the others. detect-secrets only scans files under its working folder: run it there.
        for key, label, exe, cmd, count, ok, where in (
            ("ruff", "ruff check --select S (Rust, no cache)", ruff,
             [ruff or "ruff", "check", "--isolated", "--select", "S", "--no-cache", "--exit-zero",
              "--output-format", "json", folder], count_json_list, (0,), None),
            ("nbqa-bandit", "nbqa bandit", nbqa if bandit else None,
             [nbqa or "nbqa", "bandit", folder, "-f", "json", "-q"], count_bandit, (0, 1, 123), None),
            ("detect-secrets", "detect-secrets scan --all-files", ds,
             [ds or "detect-secrets", "scan", "--all-files", "."], count_detect_secrets, (0,), folder),
        ):
            t = Tool(key, label, cmd, count, ok, cwd=where)
            if exe is None:
                t.note = "not installed; skipped"
            peers.append(t)
            tools[key] = t

    # warm bytecode caches (and nbguard's detect-secrets pattern cache) on one notebook
    one = os.path.join(work, "one")
    os.makedirs(one)
    shutil.copy(files[0], one)
    warm_cmds = [[py, str(HERE / "floor.py"), one], [py, "-m", "nbguard", "lint", one, "--no-cache", "--jobs", "1"],
                 [py, "-c", "import nbguard.api, nbguard.cache, nbguard.report.json_format"]]
    warm_cmds = [(cmd, work) for cmd in warm_cmds]
    for t in peers:
        if t.note:
            continue
        if t.key == "nbqa-bandit":
            warm_cmds.append(([t.cmd[0], "bandit", one, "-q"], work))
        elif t.cwd:
            warm_cmds.append((t.cmd, one))
        else:
            warm_cmds.append((t.cmd[:-1] + [one], work))
    for cmd, where in warm_cmds:
        subprocess.run(cmd, env=env, cwd=where, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)

    versions = {"nbguard": version([py, "-m", "nbguard", "--version"], env)}
    for t in peers:
        if not t.note:
            versions[t.key] = version([t.cmd[0], "--version"], env)
    if "nbqa-bandit" in versions:
        versions["bandit"] = version([which("bandit") or "bandit", "--version"], env)

    print(f"benchmark: {len(files)} notebooks under {folder}; {mach['cpu']}, {mach['usable']} cores; "
          f"load {mach['load']}", file=sys.stderr)
    for key in ("floor", "nbguard-j1", "nbguard-skeleton", "nbguard-all"):
        bench(tools[key], args.runs, env, work, out)
    # warm: fill the cache once (untimed), then time hits
    subprocess.run(tools["nbguard-warm"].cmd, env=env, cwd=work, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=TIMEOUT)
    bench(tools["nbguard-warm"], args.runs, env, work, out)
    for t in peers:
        if not t.note:
            bench(t, args.runs, env, work, out)

    # identical output: --jobs 1 vs all cores vs warm
    identical = "?"
    try:
        docs = []
        for key in ("nbguard-j1", "nbguard-all", "nbguard-warm"):
            with open(os.path.join(out, f"{key}.0.out"), encoding="utf-8") as fh:
                d = json.load(fh)
            docs.append((d["findings"], d["errors"]))
        identical = "yes" if docs[0] == docs[1] == docs[2] else "**no**"
    except (OSError, ValueError, KeyError):
        pass

    # memory does not grow with corpus size: --jobs 1 on every other notebook
    half = None
    try:
        half_dir = os.path.join(work, "half")
        os.makedirs(half_dir)
        for i, f in enumerate(files[::2]):
            os.symlink(f, os.path.join(half_dir, f"{i:05d}.ipynb"))
        half = run_measured([py, "-m", "nbguard", "lint", half_dir, "--jobs", "1", "--no-cache", "--format", "json",
                             "--exit-zero"], env, work)
    except OSError:
        pass

    relint = None
    r = subprocess.run([py, str(HERE / "relint.py"), folder, "--edits", str(args.edits)], env=env, cwd=work,
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode == 0:
        relint = json.loads(r.stdout.strip().splitlines()[-1])
    else:
        print(f"relint failed: {r.stderr[-1500:]}", file=sys.stderr)

    stages = run_stages(folder, args.runs, env, work) if args.stages else None
    text = report(tools, tools["floor"].findings or len(files), relint, mach, folder, args.runs, identical, half,
                  started, stages)
    text += "\nVersions: " + ", ".join(v if v.lower().startswith(k.split("-")[-1]) else f"{k} {v}"
                                        for k, v in versions.items()) + "\n"
    print(text)
    try:
        kept = ""
        if os.path.exists(args.output):  # hand-written sections (Dask, LSP, notes) survive a new run
            previous = Path(args.output).read_text(encoding="utf-8")
            if KEEP_MARKER in previous:
                kept = "\n" + previous[previous.index(KEEP_MARKER):]
        Path(args.output).write_text(text + kept, encoding="utf-8")
    except OSError as e:
        print(f"run.py: cannot write {args.output}: {e}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
