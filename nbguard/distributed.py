"""Estate scans on Dask: lint every notebook of an organisation on a cluster, with the findings
of one machine.

``nbguard lint PATHS --dask ADDRESS`` (a scheduler such as ``tcp://host:8786``, or ``local`` for a
``LocalCluster`` with one single-threaded worker process per core) and, for data teams,
:func:`lint_bag` (a Dask bag of paths or ``(name, bytes)`` pairs in, a bag of finding rows out) and
:func:`lint_partition` (a plain function over ``(name, bytes)`` pairs that Spark's
``mapInPandas`` or any other engine can call). The linting is :mod:`nbguard.api`'s: one engine.

Why a cluster run gives the report of ``--jobs N``, byte for byte:

* The client lists the notebooks in the order of a local run (:func:`nbguard.api.discover`, or
  an fsspec listing for ``s3://``-style URLs): names and sizes only, the workers read the bytes.
* Contiguous runs of that order, cut by size, are the partitions. A task lints one partition
  and returns one :class:`~nbguard.model.Report` per notebook: a pure function of its input, so
  when Dask re-runs a task whose worker died, the result is the same, and the client takes exactly
  one result per partition (nothing is lost, nothing counted twice).
* The client writes partitions in order as they arrive, through the streaming writers of
  :mod:`nbguard.report.stream` (the bytes of a local run's report), and keeps at most a small
  window of partitions in flight: its memory does not grow with the number of notebooks.
* A notebook that cannot be read or linted is an error row; the task itself does not fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import threading
import time
import uuid
from typing import Any, Callable, Iterable, Iterator

from .api import SKIP_DIRS, _lint_bytes, discover, file_error
from .api import Config
from .model import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, FileError, Report, UsageError
from .notebook import NotebookError, read_bytes
from .report.json_format import FINDING_FIELDS

HINT = "--dask needs Dask's distributed scheduler: pip install 'nbguard[dask]'"
# One row per finding, the columns of Report.to_dataframe(); a notebook that could not be
# linted is one row with its path and ``error`` (the reason) and every other column empty.
ROW_COLUMNS = FINDING_FIELDS + ("error",)
# A partition is this much notebook JSON (or this many notebooks): big enough that Dask's
# per-task cost (~1 ms) is noise next to linting it (~1 s), small enough to spread the work.
PARTITION_BYTES = 2 * 1024 * 1024
PARTITION_FILES = 256

# (name shown in the report, what a worker opens: an absolute path or a URL, size in bytes)
Item = tuple[str, str, int]
Progress = Callable[[int, int, int], None]  # (done, total, findings), as nbguard.api's


class DaskMissing(ImportError):
    """dask[distributed] is not installed; ``str()`` is the one-line hint."""


def require_dask() -> None:
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise DaskMissing(HINT) from None


def is_url(path: str) -> bool:
    return "://" in path


# -- what to lint (on the client: names and sizes, never contents) ---------------------------


def plan(paths: Iterable[str], config: Config, storage_options: dict | None = None) -> Iterator[Item | FileError]:
    """The notebooks under ``paths`` in the order of a local run; unreadable places as FileError."""
    for p in paths:
        if is_url(p):
            yield from _plan_url(p, config, storage_options or {})
            continue
        for x in discover([p], config):
            if isinstance(x, FileError):
                yield x
                continue
            try:
                size = os.path.getsize(x)
            except OSError:
                size = 0  # the worker words the error
            yield x, os.path.abspath(x), size


def _plan_url(url: str, config: Config, storage_options: dict) -> Iterator[Item | FileError]:
    """An fsspec URL: one notebook, or every ``.ipynb`` below it (hidden and tool folders skipped,
    as in a local walk), sorted by path. Only the listing happens here."""
    try:
        import fsspec

        fs, root = fsspec.core.url_to_fs(url, **storage_options)
        if not fs.exists(root):
            yield file_error(url, "no such file or directory")
            return
        if not fs.isdir(root):
            yield url, url, int(fs.size(root) or 0)
            return
        found = fs.find(root, detail=True)
    except Exception as e:  # a missing filesystem package, credentials, the network: one line
        yield file_error(url, f"cannot list this location ({type(e).__name__}: {e})")
        return
    base = root.rstrip("/")
    for path in sorted(found):
        parts = path[len(base):].strip("/").split("/")
        if any(d.startswith(".") or d in SKIP_DIRS for d in parts[:-1]):
            continue
        if not parts[-1].endswith(".ipynb") or parts[-1].startswith("."):
            continue
        full = fs.unstrip_protocol(path)
        if config.excluded(path) or config.excluded(full):
            continue
        yield full, full, int(found[path].get("size") or 0)


def partitions(items: Iterable[Item | FileError], max_bytes: int = PARTITION_BYTES,
               max_files: int = PARTITION_FILES) -> Iterator[list[Item | FileError]]:
    """Contiguous runs of ``items`` of about ``max_bytes`` of notebook JSON each (lazily)."""
    part: list[Item | FileError] = []
    size = 0
    for item in items:
        part.append(item)
        if not isinstance(item, FileError):
            size += max(item[2], 1)
        if size >= max_bytes or len(part) >= max_files:
            yield part
            part, size = [], 0
    if part:
        yield part


# -- on the workers ----------------------------------------------------------------------------

_RULES: dict[str, Any] = {}


def _ruleset(config: Config):
    """The rule set for ``config``, built once per worker process (tasks of a run share it)."""
    key = config.fingerprint()
    rules = _RULES.get(key)
    if rules is None:
        from .api import _prepared_ruleset

        _RULES.clear()
        rules = _RULES[key] = _prepared_ruleset(config)
    return rules


def lint_items(items: list[Item | FileError], config: Config, storage_options: dict | None = None) -> list[Report]:
    """One partition: a Report per item, in order. The same items always give the same reports
    (what makes Dask's re-run of a task whose worker died harmless)."""
    rules = _ruleset(config)
    return [_lint_item(x, config, rules, storage_options or {}) for x in items]


def _lint_item(item: Item | FileError, config: Config, rules, storage_options: dict) -> Report:
    if isinstance(item, FileError):
        return Report(errors=[item])
    name, source, _ = item
    try:
        data = _read(source, config.max_file_size, storage_options)
    except NotebookError as e:
        return Report(errors=[file_error(name, str(e))])
    return _lint_data(name, source, data, config, rules)


def _read(source: str, max_bytes: int, storage_options: dict) -> bytes:
    if not is_url(source):
        return read_bytes(source, max_bytes)
    import fsspec

    try:
        with fsspec.open(source, "rb", **storage_options) as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise NotebookError("no such file") from None
    except IsADirectoryError:
        raise NotebookError("is a directory") from None
    except PermissionError:
        raise NotebookError("permission denied") from None
    except Exception as e:  # OSError, or a storage library's own error
        raise NotebookError(f"cannot read file ({type(e).__name__}: {e})") from None
    _check_size(len(data), max_bytes)
    return data


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise NotebookError(f"file is over the {max_bytes / 1e6:.0f} MB limit (max-file-size)")


def _lint_data(name: str, source: str, data: bytes, config: Config, rules) -> Report:
    """Lint under ``source`` (the absolute path: per-path ignores then do not depend on the
    worker's current folder), report under ``name``. An exception from the engine is this
    notebook's error row, not a failed task (its message is not shown: it may quote the notebook)."""
    try:
        report = _lint_bytes(source, data, config, rules)
    except Exception as e:
        return Report(errors=[file_error(name, f"nbguard failed on this notebook ({type(e).__name__}); "
                                              "please report it")])
    if name == source:
        return report
    return Report(findings=[dataclasses.replace(f, path=name) for f in report.findings],
                  errors=[file_error(name, e.message) for e in report.errors], files=report.files)


def report_rows(report: Report) -> list[dict]:
    """``report`` as rows of :data:`ROW_COLUMNS`: one per finding, one per notebook in error."""
    rows = [dict(f.to_dict(), error=None) for f in report.findings]
    for e in report.errors:
        row = dict.fromkeys(ROW_COLUMNS)
        row.update(path=e.path, error=e.message)
        rows.append(row)
    return rows


def lint_partition(items: Iterable[tuple[str, bytes]], config: Config | None = None) -> list[dict]:
    """Finding rows (:data:`ROW_COLUMNS`) for a partition of ``(name, bytes)`` pairs.

    A plain function for any engine: Spark's ``mapInPandas`` (see the README), Ray, a process
    pool. Nothing is read from disk or the network; a notebook that fails is an error row."""
    config = config or Config()
    rules = _ruleset(config)
    rows: list[dict] = []
    for name, data in items:
        rows.extend(report_rows(_lint_pair(name, data, config, rules)))
    return rows


def _lint_pair(name: str, data, config: Config, rules) -> Report:
    data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        _check_size(len(data), config.max_file_size)
    except NotebookError as e:
        return Report(errors=[file_error(name, str(e))])
    return _lint_data(name, name, data, config, rules)


def _bag_partition(items: Iterable, config: Config, storage_options: dict | None) -> list[dict]:
    rules = _ruleset(config)
    rows: list[dict] = []
    for x in items:
        if isinstance(x, (str, os.PathLike)):
            p = os.fspath(x)
            report = _lint_item((p, p, 0), config, rules, storage_options or {})
        else:
            report = _lint_pair(x[0], x[1], config, rules)
        rows.extend(report_rows(report))
    return rows


def lint_bag(bag, config: Config | None = None, *, storage_options: dict | None = None):
    """A Dask bag of finding rows (dicts with :data:`ROW_COLUMNS`) for a bag of notebooks: paths
    or URLs (read on the workers, with ``storage_options``) or ``(name, bytes)`` pairs.

    ``lint_bag(b).to_dataframe(columns=list(ROW_COLUMNS))`` makes it a Dask DataFrame
    (that needs ``dask[dataframe]``)."""
    require_dask()
    return bag.map_partitions(_bag_partition, _shippable(config or Config()), storage_options)


def _shippable(config: Config) -> Config:
    """The config as a worker needs it: its root absolute (the workers' folder is not ours)."""
    return dataclasses.replace(config, root=os.path.abspath(config.root))


# -- on the client ---------------------------------------------------------------------------


def connect(address: str, workers: int | None = None):
    """``(client, cluster)``: a Client of the scheduler at ``address``, or for ``local`` of a new
    LocalCluster (one single-threaded worker process per core, dashboard on loopback) that the
    caller closes too. For another address ``cluster`` is None."""
    import logging

    from distributed import Client, LocalCluster

    if address == "local":
        with _sigint_ignored_by_children():
            cluster = LocalCluster(n_workers=workers or _cpu_count(), threads_per_worker=1, processes=True,
                                   dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        try:
            return Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    return Client(address), None  # waits distributed.comm.timeouts.connect (Dask's config) for the scheduler


@contextlib.contextmanager
def _sigint_ignored_by_children():
    """Start the LocalCluster's worker processes with SIGINT ignored (an ignored signal stays
    ignored in a new process). Ctrl-C reaches the whole process group; this process cancels the
    run and closes the cluster, where each worker would print a KeyboardInterrupt traceback.
    (A Ctrl-C during the cluster's start-up, a second or so, is therefore not seen.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def dashboard_link(client, timeout: float = 2.0) -> str | None:
    """The scheduler's dashboard address, when it serves one. A scheduler without Bokeh (or started
    with --no-dashboard) still names an HTTP port, so the page itself is asked for."""
    import urllib.request

    try:
        if not client.scheduler_info().get("services", {}).get("dashboard"):
            return None
        link = client.dashboard_link
        with urllib.request.urlopen(link, timeout=timeout) as r:  # noqa: S310 (the user's scheduler)
            # without Bokeh, Dask serves a page that only says to install it
            return link if r.status == 200 and b"needs bokeh" not in r.read(4096).lower() else None
    except Exception:  # no dashboard there, or not reachable from here
        return None


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def scan(paths: Iterable[str], config: Config, client, on_report: Callable[[Report], None], *,
         storage_options: dict | None = None, partition_bytes: int = PARTITION_BYTES,
         progress: Progress | None = None) -> None:
    """Lint ``paths`` on the cluster behind ``client``: ``on_report`` gets one Report per notebook
    (or per error) in the order of a local run, whatever order the partitions finish in.

    ``progress(done, total, findings)`` is called as partitions complete (while the notebooks are
    still being listed, ``total`` is the number listed so far: the API's progress callback shape).
    On any exception, Ctrl-C included, the run's tasks are cancelled before it propagates."""
    from distributed import as_completed

    config = _shippable(config)
    parts = partitions(plan(paths, config, storage_options), partition_bytes)
    window = max(4, 3 * max(1, len(client.nthreads())))  # partitions in flight or waiting to be written
    run = uuid.uuid4().hex[:12]
    pending: dict[str, tuple[int, Any]] = {}  # task key -> (partition number, future)
    results: dict[int, list[Report]] = {}  # finished, waiting for an earlier partition
    queue = as_completed()
    submitted = written = done = total = found = 0
    listing = True
    try:
        while True:
            while listing and submitted - written < window:
                part = next(parts, None)
                if part is None:
                    listing = False
                    break
                fut = client.submit(lint_items, part, config, storage_options, key=f"nbguard-lint-{run}-{submitted}")
                pending[fut.key] = (submitted, fut)
                queue.add(fut)
                total += len(part)
                submitted += 1
            if written == submitted and not listing:
                break
            fut = next(queue)
            number, _ = pending.pop(fut.key)
            reports = fut.result()  # a task fails only if the cluster gave up on it (KilledWorker)
            fut.release()
            results[number] = reports
            done += len(reports)
            found += sum(len(r.findings) for r in reports)
            while written in results:
                for r in results.pop(written):
                    on_report(r)
                written += 1
            if progress is not None:
                progress(done, total, found)
    except BaseException:
        client.cancel([f for _, f in pending.values()], force=True)
        raise


class ProgressLine:
    """``done/total notebooks, findings, rate`` on one line of a terminal, rewritten at most five
    times a second; silent when ``stream`` is not a terminal. Callable as ``(done, total, findings)``,
    the shape of a progress callback, so any run that reports progress can drive it."""

    def __init__(self, stream=None, interval: float = 0.2) -> None:
        self.stream = stream  # None: no progress (--quiet)
        self.enabled = stream is not None and bool(getattr(stream, "isatty", lambda: False)())
        self.interval = interval
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, findings: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < self.interval and done != total):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        self.stream.write(f"\r\x1b[K{self.line(done, total, findings, rate)}")
        self.stream.flush()
        self.shown = True

    @staticmethod
    def line(done: int, total: int, findings: int, rate: float) -> str:
        return (f"nbguard: {done}/{total} notebooks, {findings} finding{'s' if findings != 1 else ''}, "
                f"{rate:.0f} notebooks/s")

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


# -- the CLI's ``lint --dask`` ---------------------------------------------------------------


def parse_storage_options(values: list[str] | None) -> dict:
    """``KEY=VALUE`` pairs; a VALUE that is JSON (true, 3, {...}) is decoded, anything else a string."""
    import json

    out: dict = {}
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise UsageError(f"--storage-option expects KEY=VALUE, got {v!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def cmd_lint(args, config: Config, baseline, color: bool) -> int:
    """``nbguard lint --dask``: the report, messages and exit status of a local run."""
    try:
        require_dask()
    except DaskMissing as e:
        raise UsageError(str(e)) from None
    storage_options = parse_storage_options(getattr(args, "storage_option", None))
    try:
        client, cluster = connect(args.dask)
    except (OSError, ValueError, TypeError) as e:
        raise UsageError(f"cannot reach the Dask scheduler at {args.dask} ({e})") from None
    progress = ProgressLine(sys.stderr if not getattr(args, "quiet", False) else None)
    try:
        link = dashboard_link(client)
        if link:
            print(f"nbguard: Dask dashboard: {link}", file=sys.stderr)
        tally, known = write_report(args.paths or ["."], config, client, args.format, args.output, color=color,
                                    baseline=baseline, storage_options=storage_options, progress=progress)
    finally:
        progress.close()
        client.close()
        if cluster is not None:
            cluster.close()
    if known:
        print(f"nbguard: {known} finding{'s' if known != 1 else ''} recorded in the baseline {args.baseline} "
              "not shown", file=sys.stderr)
    if args.output and args.format != "text":
        from .report.text import summary_line

        print(summary_line(tally), file=sys.stderr)
    if args.format != "text":
        for e in tally.errors:
            print(str(e), file=sys.stderr)
    if tally.errors:
        return EXIT_ERROR
    if tally.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def write_report(paths: Iterable[str], config: Config, client, fmt: str, output: str | None, *,
                 color: bool = False, baseline=None, storage_options: dict | None = None,
                 partition_bytes: int = PARTITION_BYTES, progress: Progress | None = None):
    """Scan on ``client`` and write the ``fmt`` report to ``output`` (atomically: an interrupted run
    leaves no partial file) or to stdout, as it arrives. Returns ``(tally, hidden by the baseline)``."""
    import io

    from .fsutil import atomic_open
    from .report.stream import writer

    matcher = baseline.matcher() if baseline is not None else None
    known = 0

    def run(out) -> Any:
        nonlocal known
        w = writer(fmt, out, color)

        def on_report(r: Report) -> None:
            nonlocal known
            if matcher is not None and r.findings:
                m = matcher.match(r.findings)
                known += len(m.known)
                r = r.filtered(m.new)
            w.add(r)

        try:
            scan(paths, config, client, on_report, storage_options=storage_options,
                 partition_bytes=partition_bytes, progress=progress)
        except Exception as e:  # the cluster gave up (a task's workers kept dying), lost the scheduler...
            if isinstance(e, OSError) and e.errno is not None:
                raise  # writing the report failed: worded below
            raise UsageError(f"the Dask run failed ({type(e).__name__}: {e})") from None
        w.close()
        return w.tally

    if not output:
        return run(sys.stdout), known
    try:
        with atomic_open(output) as fh:
            out = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            tally = run(out)
            out.flush()
            out.detach()
    except OSError as e:
        raise UsageError(f"{output}: cannot write report ({e.strerror or e})") from None
    return tally, known
