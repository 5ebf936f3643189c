"""The Python API every front-end calls (pyflakes-style layering).

``lint_notebook`` (one notebook, a path or a parsed dict) -> ``lint_file`` ->
``lint_paths`` (files and folders, in parallel). The CLI, the ``%nbguard`` magic
and the JupyterLab server extension are thin layers over these.

The engine (and with it the rules and detect-secrets) is imported on first use,
so a run where every file is answered by the cache (:mod:`nbguard.cache`) never
loads it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .config import Config, ConfigError  # noqa: F401 (part of the API: front-ends import them from here)
from .config import load_config as _load_config
from .fsutil import INTERRUPT_SIGNALS
from .model import FileError, Finding, Report, Severity
from .notebook import NotebookError, notebook_from_dict, parse_notebook, read_notebook

if TYPE_CHECKING:
    from typing import Callable

    from .baseline import Baseline
    from .cache import Cache
    from .engine import RuleSet
    from .fix import FixResult

    # progress(done, total, findings): once before the first report (done == 0) and after each
    # report, with the files answered so far, the files discovered and the findings so far
    Progress = Callable[[int, int, int], None]


def load_config(config_file: str | None = None, start: str = ".") -> Config:
    """The config from ``config_file``, else the nearest pyproject.toml with [tool.nbguard]; a
    selector naming no rule or category is a :class:`ConfigError` (the rules load only then)."""
    return _load_config(config_file, start, known=known_selector)


def known_selector(selector: str) -> bool:
    """Does a --select/--ignore item name a rule (built-in or plugin), a category or ALL?"""
    from .rules.base import known_selector as known

    return known(selector)


def file_error(path: str, message: str) -> FileError:
    """A file that could not be linted, its reason masked: a reason may quote the file (``'nbformat'
    is '<value>'``, a parser's excerpt), and nbguard never prints a secret whole, not in errors."""
    from .mask import mask_location, mask_text

    return FileError(mask_location(path), mask_text(message))  # a path argument may be a URL with a password


SKIP_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", "node_modules", "site-packages",
                       "venv", "env", ".venv", ".env", ".tox", ".nox", ".git"})


def lint_notebook(nb: str | os.PathLike | dict, config: Config | None = None, *, path: str | None = None) -> Report:
    """Lint one notebook given as a path or as nbformat JSON (a dict)."""
    if isinstance(nb, (str, os.PathLike)):
        p = os.fspath(nb)
        return lint_file(p, config or load_config(start=p))
    config = config or Config()
    name = path or "<notebook>"
    try:
        notebook = notebook_from_dict(nb, name)
    except NotebookError as e:
        return Report(errors=[file_error(name, str(e))])
    return _lint_editor(notebook, config)


def lint_notebook_text(text: str, config: Config | None = None, *, path: str = "<notebook>") -> Report:
    """Lint a notebook given as its ``.ipynb`` JSON text (an editor buffer, saved or not), on the
    same editor path as a dict; unlike a dict, the text gives each finding its ``raw_line``
    (the line of ``text`` that holds the offending text)."""
    config = config or Config()
    try:
        notebook = parse_notebook(text, path)
    except NotebookError as e:
        return Report(errors=[file_error(path, str(e))])
    return _lint_editor(notebook, config)


def _lint_editor(notebook, config: Config) -> Report:
    from .incremental import lint

    # The editor path (JupyterLab relints the open notebook after every edit): reuse the
    # rule instances and the parse of every cell whose source did not change.
    return Report(findings=lint(notebook, config, _editor_ruleset(config)), files=1)


_RULESETS: dict[tuple[int, str], tuple[Config, "RuleSet"]] = {}


def _editor_ruleset(config: Config) -> "RuleSet":
    from .engine import RuleSet

    key = (id(config), config.fingerprint())
    hit = _RULESETS.get(key)
    if hit is not None and hit[0] is config:
        return hit[1]
    if len(_RULESETS) >= 8:
        _RULESETS.clear()
    rules = RuleSet.for_config(config)
    _RULESETS[key] = (config, rules)
    return rules


def lint_file(path: str, config: Config, ruleset: "RuleSet | None" = None) -> Report:
    from .engine import lint

    try:
        notebook = read_notebook(path, config.max_file_size)
    except NotebookError as e:
        return Report(errors=[file_error(path, str(e))])
    return Report(findings=lint(notebook, config, ruleset), files=1)


def _lint_bytes(path: str, data: bytes, config: Config, ruleset: "RuleSet | None") -> Report:
    from .engine import lint

    try:
        notebook = parse_notebook(data, path)
    except NotebookError as e:
        return Report(errors=[file_error(path, str(e))])
    return Report(findings=lint(notebook, config, ruleset), files=1)


def _lint_one(path: str, config: Config, ruleset: "RuleSet | None", cache: "Cache | None",
              data: bytes | None = None) -> Report:
    """Lint one file and store the result in the cache (when there is one and the file is cacheable)."""
    if cache is None:
        return lint_file(path, config, ruleset)
    if data is None:
        data = cache.read_source(path)
    if data is None:  # unreadable or too large: lint_file words the error; nothing to cache
        return lint_file(path, config, ruleset)
    report = _lint_bytes(path, data, config, ruleset)
    cache.put(path, data, report)
    return report


def discover(paths: Iterable[str], config: Config) -> Iterator[str | FileError]:
    """Notebooks under ``paths`` in a stable order; unreadable places as FileError."""
    for p in paths:
        if not os.path.lexists(p):
            yield file_error(p, "no such file or directory")
            continue
        if os.path.isdir(p):
            yield from _walk(p, config, set())
        elif config.excluded(p):
            continue
        else:
            yield p  # named explicitly: lint it whatever its extension


def _walk(root: str, config: Config, seen: set[tuple[int, int]]) -> Iterator[str | FileError]:
    try:
        st = os.stat(root)
    except OSError as e:
        yield file_error(root, f"cannot read folder ({e.strerror})")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        yield file_error(root, "directory loop (a symlink back to a parent folder); skipped")
        return
    seen = seen | {key}
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except PermissionError:
        yield file_error(root, "permission denied (folder)")
        return
    except OSError as e:
        yield file_error(root, f"cannot read folder ({e.strerror})")
        return
    for e in entries:
        path = os.path.join(root, e.name)
        try:
            is_dir = e.is_dir()  # follows symlinks; loops are caught above
        except OSError:
            is_dir = False
        if is_dir:
            if e.name.startswith(".") or e.name in SKIP_DIRS or _is_virtualenv(path):
                continue
            if config.excluded(path):
                continue
            yield from _walk(path, config, seen)
        elif e.name.endswith(".ipynb") and not e.name.startswith("."):
            if not config.excluded(path):
                yield path


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg")) or os.path.exists(os.path.join(path, "conda-meta"))


# -- serial and parallel runs ------------------------------------------------------

# Below this much notebook JSON to lint, worker processes cost more than they save.
PARALLEL_MIN_BYTES = 512 * 1024

_worker: dict[str, Any] = {}


def tune_gc_for_batch() -> None:
    """For a process that lints many notebooks and then exits (the CLI and its workers).

    A run frees its syntax trees by reference counting (``NotebookRun.close``), so the cyclic
    collector has little to find; at its default thresholds it still walked every young
    syntax tree thousands of times (measured: ~1.3 s of a 21 s corpus run; 0.1 s after this).
    Objects alive now (modules, compiled patterns) are moved out of its sight for good."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _init_worker(config: Config, cache: "Cache | None") -> None:
    import signal

    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers
    # (a worker would only print a traceback); SIGTERM simply ends a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _worker.get("config") is config:  # forked from a parent that set everything up
        return
    tune_gc_for_batch()
    _worker.update(config=config, cache=cache, rules=_prepared_ruleset(config))


def _prepared_ruleset(config: Config) -> "RuleSet":
    """The rule set, with the lazily built parts (token patterns) built now."""
    from .engine import RuleSet
    from .rules._tokens import patterns

    rules = RuleSet.for_config(config)
    patterns()
    return rules


def _lint_chunk(chunk: list[tuple[int, str]]) -> list[tuple[int, Report]]:
    config, rules, cache = _worker["config"], _worker["rules"], _worker["cache"]
    return [(i, _lint_one(path, config, rules, cache)) for i, path in chunk]


def _chunks(todo: list[tuple[int, str, int]], jobs: int) -> list[list[tuple[int, str]]]:
    """Work units, largest first (so no worker is left with one big notebook at the end);
    small notebooks are grouped so that per-task overhead stays negligible."""
    total = sum(size for _, _, size in todo)
    target = max(64 * 1024, total // (jobs * 32))
    chunks: list[list[tuple[int, str]]] = []
    cur: list[tuple[int, str]] = []
    cur_size = 0
    for i, path, size in sorted(todo, key=lambda t: (-t[2], t[0])):
        cur.append((i, path))
        cur_size += size
        if cur_size >= target or len(cur) >= 32:
            chunks.append(cur)
            cur, cur_size = [], 0
    if cur:
        chunks.append(cur)
    return chunks


def iter_reports(paths: Iterable[str], config: Config, jobs: int = 1, cache: "Cache | None" = None,
                 progress: "Progress | None" = None) -> Iterator[Report]:
    """One Report per discovered file (or error), in discovery order, streamed.

    The order and content do not depend on ``jobs``. With a ``cache``, files whose
    results are cached are answered without linting (and without importing the engine);
    the others are linted and stored. ``progress`` is how a front-end
    shows a long run advancing (the CLI on a terminal, the LSP server, the Dask runner):
    ``progress(done, total, findings)`` once before the first report (``done == 0``) and after each."""
    items = list(discover(paths, config))
    reports = _iter_reports(items, config, jobs, cache)
    if progress is None:
        yield from reports
    else:
        done = findings = 0
        progress(0, len(items), 0)
        for r in reports:
            done += 1
            findings += len(r.findings)
            yield r
            progress(done, len(items), findings)
    if cache is not None:
        cache.flush()


def _iter_reports(items: list, config: Config, jobs: int, cache: "Cache | None") -> Iterator[Report]:
    if jobs <= 1 or sum(1 for x in items if isinstance(x, str)) <= 1:
        yield from _serial(items, config, cache)
        return
    # Look everything up first (cheap), then decide whether the misses are worth workers.
    done: dict[int, Report] = {}
    todo: list[tuple[int, str, int]] = []
    for i, item in enumerate(items):
        if isinstance(item, FileError):
            done[i] = Report(errors=[item])
            continue
        if cache is not None:
            report, data = cache.lookup(item)
            if report is not None:
                done[i] = report
                continue
            size = len(data) if data is not None else 0
        else:
            try:
                size = os.path.getsize(item)
            except OSError:
                size = 0
        todo.append((i, item, size))
    if len(todo) <= 1 or sum(t[2] for t in todo) < PARALLEL_MIN_BYTES:
        rules = _ruleset(config) if todo else None
        for i, item in enumerate(items):
            yield done.pop(i) if i in done else _lint_one(item, config, rules, cache)
        return
    chunks = _chunks(todo, jobs)
    yield from _parallel(len(items), done, chunks, config, cache, min(jobs, len(chunks)))


def _ruleset(config: Config) -> "RuleSet":
    from .engine import RuleSet

    return RuleSet.for_config(config)


def _serial(items: list, config: Config, cache: "Cache | None") -> Iterator[Report]:
    rules = None
    for item in items:
        if isinstance(item, FileError):
            yield Report(errors=[item])
            continue
        data = None
        if cache is not None:
            report, data = cache.lookup(item)
            if report is not None:
                yield report
                continue
        if rules is None:
            rules = _ruleset(config)
        yield _lint_one(item, config, rules, cache, data)


def _parallel(n: int, done: dict[int, Report], chunks: list[list[tuple[int, str]]], config: Config,
              cache: "Cache | None", jobs: int) -> Iterator[Report]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    if multiprocessing.get_start_method() == "fork":
        # Import the rules once here; the forked workers inherit them (and share the pages).
        _worker.update(config=config, cache=cache, rules=_prepared_ruleset(config))
    with _SignalsAtSafePoints() as signals:
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(config, cache))
        try:
            pending = {pool.submit(_lint_chunk, c) for c in chunks}
            nxt = 0
            while nxt < n:
                signals.act()
                while nxt in done:  # stream every report whose predecessors are all out
                    yield done.pop(nxt)
                    signals.act()
                    nxt += 1
                if nxt >= n:
                    break
                if not pending:  # cannot happen: every file is in exactly one chunk
                    raise RuntimeError(f"nbguard: no result for file #{nxt}")
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in finished:
                    for i, report in fut.result():
                        done[i] = report
        except BaseException:  # interrupted (or failed): stop the workers now, not after their chunks
            _stop_workers(list((getattr(pool, "_processes", None) or {}).values()))
            signals.act()  # a signal that also killed the workers is the cause, not their broken pool
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _worker.clear()


_STOP_GRACE = 3.0  # seconds a terminated worker has to exit before it is killed


def _stop_workers(procs: list, grace: float = _STOP_GRACE) -> None:
    """SIGTERM every worker, then SIGKILL any still running after ``grace`` seconds, so that the
    pool's shutdown, which joins them, cannot wait on a worker that does not exit. Death is read
    from each process's sentinel, which does not reap it (the pool's own join still does)."""
    from multiprocessing.connection import wait as wait_ready

    for proc in procs:
        proc.terminate()
    running = {proc.sentinel: proc for proc in procs}
    deadline = time.monotonic() + grace
    while running and (left := deadline - time.monotonic()) > 0:
        for sentinel in wait_ready(list(running), left):
            running.pop(sentinel)
    for proc in running.values():
        proc.kill()


class _Signalled(BaseException):
    """A signal whose handler was the default action: re-delivered once the pool is down."""


class _SignalsAtSafePoints:
    """While a worker pool runs, SIGINT/SIGTERM only set a flag, and :meth:`act` raises at a
    point of our choosing. Raised asynchronously, a KeyboardInterrupt can land inside
    concurrent.futures while it holds a future's lock, and the pool's shutdown then waits for
    that lock forever (seen under load). ``act`` calls the handler that was installed (so
    Ctrl-C still raises KeyboardInterrupt and the CLI's SIGTERM its own exception); a signal
    whose action was the default one is re-delivered after the pool has stopped."""

    def __enter__(self) -> "_SignalsAtSafePoints":
        self.caught: int | None = None
        self.previous: dict = {}
        if threading.current_thread() is threading.main_thread():
            for sig in INTERRUPT_SIGNALS:
                handler = signal.getsignal(sig)
                if handler in (signal.SIG_IGN, None):
                    continue
                self.previous[sig] = handler
                signal.signal(sig, self._note)
        return self

    def _note(self, signum, frame) -> None:
        if self.caught is None:
            self.caught = signum

    def act(self) -> None:
        if self.caught is None:
            return
        signum, handler = self.caught, self.previous.get(self.caught)
        self._restore()
        if callable(handler):
            handler(signum, None)  # raises (KeyboardInterrupt, or the CLI's SIGTERM exception)
            return  # a handler that does not raise: the run goes on, as it would have
        raise _Signalled(signum)

    def _restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.caught is not None and self.previous:
            # caught after the last safe point (the last report was out, the pool was stopping):
            # act on it now rather than drop it with the restored handlers
            try:
                self.act()
            except _Signalled as e:
                exc = e
        self._restore()
        if isinstance(exc, _Signalled):
            os.kill(os.getpid(), exc.args[0])  # the default action, now that the workers are gone


def lint_paths(paths: Iterable[str] | str, config: Config | None = None, jobs: int = 1,
               cache: "Cache | None" = None, progress: "Progress | None" = None) -> Report:
    """Lint notebooks and folders; unreadable files are reported in ``Report.errors``."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    paths = [os.fspath(p) for p in paths] or ["."]
    config = config or load_config(start=paths[0])
    report = Report()
    for r in iter_reports(paths, config, jobs, cache, progress):
        report.extend(r)
    return report


# -- rules ----------------------------------------------------------------------------


def list_rules() -> list:
    """Every rule class (built-in and plugins), in code order: ``code``, ``name``, ``category``,
    ``severity``, ``summary()``, ``to_dict()``, and the docstring :mod:`nbguard.docs` renders."""
    from .rules.base import all_rules

    return list(all_rules().values())


def get_rule(selector: str):
    """The rule a code (``NBG101``) or name (``provider-token``) names, or None."""
    from .rules.base import get_rule as get

    return get(selector)


# -- the result cache -------------------------------------------------------------------


def open_cache(config: Config, folder: str | None = None) -> "Cache":
    """The result cache for ``config`` (default folder: ``.nbguard_cache`` next to the config file,
    else in the current folder), to pass to :func:`iter_reports` / :func:`lint_paths`."""
    from .cache import Cache

    return Cache(folder or default_cache_dir(config), config)


def default_cache_dir(config: Config) -> str:
    from .cache import default_cache_dir as default

    return default(config)


def clean_cache(folder: str) -> bool:
    """Remove a cache folder; False if there was none. OSError when it cannot be removed."""
    from .cache import clean

    return clean(folder)


# -- baselines ----------------------------------------------------------------------------


def load_baseline(path: str) -> "Baseline":
    """A baseline file (:mod:`nbguard.baseline`); :class:`BaselineError` names the file and the reason."""
    from .baseline import load

    return load(path)


def filter_baseline(report: Report, baseline: "Baseline") -> tuple[Report, int]:
    """``report`` without the findings ``baseline`` records, and how many were dropped."""
    m = baseline.match(report.findings)
    return report.filtered(m.new), len(m.known)


def create_baseline(findings: Iterable, path: str, config: Config) -> "Baseline":
    """A new baseline holding ``findings`` (paths relative to ``path``'s folder); not yet saved."""
    from .baseline import create

    return create(findings, path, config)


def update_baseline(baseline: "Baseline", findings: list, linted: Iterable[str], config: Config, *,
                    add: bool = False) -> tuple[int, int]:
    """Drop entries of ``linted`` files that no longer occur (``add``: record new findings too);
    returns (dropped, added). Not yet saved."""
    from .baseline import update

    return update(baseline, findings, linted, config, add=add)


def __getattr__(name: str):
    # Exceptions and result types of the lazily imported parts, without importing them up front.
    if name == "BaselineError":
        from .baseline import BaselineError

        return BaselineError
    if name in ("FixError", "FixResult"):
        from . import fix

        return getattr(fix, name)
    raise AttributeError(name)


# -- safe fixes ---------------------------------------------------------------------------


def iter_fixes(paths: Iterable[str], config: Config, *, clear_outputs: bool = False, for_diff: bool = False
               ) -> Iterator[tuple[str, "FixResult | Exception"]]:
    """The fixes for each discovered notebook, computed and not written: ``(path, FixResult)``, or
    ``(path, FileError)`` for a place that could not be listed, ``(path, FixError)`` for a notebook
    that could not be fixed. ``for_diff``: also find every secret in the changed cells (whatever
    the selection) so :func:`fix_diff` can mask them. Write ``FixResult.data`` to apply a fix."""
    from .engine import RuleSet
    from .fix import FixError, fix_file

    ruleset = RuleSet.for_config(config)
    mask_config = None
    if for_diff:  # every secret in a shown line is masked, whatever the selection
        mask_config = Config(select=["secrets", "data-exposure"], outputs=False, max_file_size=config.max_file_size,
                             extra_secret_patterns=config.extra_secret_patterns)
    for item in discover(paths, config):
        if isinstance(item, FileError):
            yield item.path, item
            continue
        try:
            yield item, fix_file(item, config, clear_outputs=clear_outputs, ruleset=ruleset, mask_config=mask_config)
        except FixError as e:
            yield item, e


def fix_diff(result: "FixResult", config: Config) -> str:
    """A unified diff of a fix, every secret masked (compute it with ``iter_fixes(for_diff=True)``)."""
    from .fix import render_diff

    return render_diff(result, config.extra_secret_patterns)


def fix_summary(result: "FixResult") -> str:
    """One line: what a fix changed in a notebook."""
    from .fix import summarize

    return summarize(result)


# -- editor front-ends (the JupyterLab server extension, the language server) -------------------


class ConfigCache:
    """``load_config`` per folder, kept for ``ttl`` seconds (editors lint on every edit).

    A reload that finds the same configuration returns the *same* :class:`Config` object: the
    editor path keys its rule set and its per-cell records on the object, so a fresh copy would
    make the next relint a full one."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._items: dict[str, tuple[float, Config | None, str | None]] = {}
        self._lock = threading.Lock()

    def get(self, folder: str) -> tuple[Config, str | None]:
        """The config for files in ``folder``, and the error that made it the default (or None)."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(folder)
            if hit and now - hit[0] < self.ttl:
                return (hit[1] or Config(root=folder)), hit[2]
        try:
            cfg, err = load_config(start=folder), None
        except ConfigError as e:
            cfg, err = None, str(e)
        if cfg is not None and hit is not None and hit[1] is not None and _same_config(hit[1], cfg):
            cfg = hit[1]
        with self._lock:
            if len(self._items) > 256:
                self._items.clear()
            self._items[folder] = (now, cfg, err)
        return (cfg or Config(root=folder)), err

    def clear(self) -> None:
        """Forget every folder's config (a config file changed)."""
        with self._lock:
            self._items.clear()


def _same_config(a: Config, b: Config) -> bool:
    return (a.source, a.root, a.fingerprint(), a.exclude, a.max_file_size) == \
        (b.source, b.root, b.fingerprint(), b.exclude, b.max_file_size)


_OVERRIDDEN: dict[tuple, tuple[Config, Config]] = {}


def with_overrides(config: Config, select: list[str] | None = None, ignore: list[str] | None = None,
                   min_severity: str | None = None) -> Config:
    """``config`` with an editor's settings on top, as the CLI's options go on top of the file:
    ``select`` replaces the selection, ``ignore`` adds to it, ``min_severity`` replaces the
    threshold. Raises :class:`ConfigError` naming a bad value. The same ``config`` object with the
    same settings gives the same object back (the editor path keys its reuse on it)."""
    from .rules.base import known_selector

    if not select and not ignore and not min_severity:
        return config
    key = (id(config), tuple(select or ()), tuple(ignore or ()), min_severity)
    hit = _OVERRIDDEN.get(key)
    if hit is not None and hit[0] is config:
        return hit[1]
    for s in list(select or ()) + list(ignore or ()):
        if not isinstance(s, str) or not known_selector(s):
            raise ConfigError(f"unknown rule or category {s!r} (see 'nbguard rules')")
    try:
        threshold = Severity.parse(min_severity) if min_severity else config.min_severity
    except ValueError as e:
        raise ConfigError(f"min severity: {e}") from None
    out = replace(config, select=list(select) if select else list(config.select),
                  ignore=list(config.ignore) + list(ignore or ()), min_severity=threshold)
    if len(_OVERRIDDEN) >= 32:
        _OVERRIDDEN.clear()
    _OVERRIDDEN[key] = (config, out)
    return out


_PERCENT = re.compile(r"^#\s*%%(?!%)(.*)$")


def notebook_from_script(text: str) -> tuple[dict, list[int]]:
    """A Python file as nbformat JSON, for linting on the editor path: one code cell per
    ``# %%`` cell (py:percent, as VS Code, Spyder and jupytext write them) or one cell for a plain
    script; ``# %% [markdown]`` cells become markdown cells, their text kept as written so that
    columns stay the file's. Also returns the 0-based line of the file where each cell starts
    (a finding's file line is that plus its line in the cell, minus one); marker lines belong
    to no cell."""
    lines = text.split("\n")
    cells: list[dict] = []
    starts: list[int] = []
    kind, start = "code", 0

    def close(end: int) -> None:
        if end > start or not cells and end == len(lines):
            source = "\n".join(lines[start:end])
            if source.strip() or not cells and end == len(lines):
                cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
                if kind == "code":
                    cell.update(outputs=[], execution_count=None)
                cells.append(cell)
                starts.append(start)

    for i, line in enumerate(lines):
        m = _PERCENT.match(line)
        if m is None:
            continue
        close(i)
        tag = m.group(1).strip().lower()
        kind = "markdown" if tag.startswith(("[markdown]", "[md]")) else "raw" if tag.startswith("[raw]") else "code"
        start = i + 1
    close(len(lines))
    if not cells:  # only markers
        cells.append({"cell_type": "code", "metadata": {}, "source": "", "outputs": [], "execution_count": None})
        starts.append(len(lines))
    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
          "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                       "language_info": {"name": "python"}}}
    return nb, starts


@dataclass(frozen=True)
class QuickFix:
    """A safe fix for one finding, as edits of its cell's source: ``(line, column, end_line,
    end_column, new_text)``, 1-based, end-exclusive, in characters (a finding's own units)."""

    finding: Finding
    title: str
    edits: tuple[tuple[int, int, int, int, str], ...]


def quick_fixes(nb: dict, findings: Iterable[Finding], *, path: str | None = None) -> list[QuickFix]:
    """The fixes ``nbguard fix`` would make, one finding at a time, for an editor's code actions
    (``nb`` is the nbformat JSON the findings came from). Findings without a safe fix are left out."""
    from .fix import finding_fix, fixers

    fixable = fixers()
    wanted = [f for f in findings if f.rule in fixable and f.where == "source"]
    if not wanted:
        return []
    try:
        notebook = notebook_from_dict(nb, path or "<notebook>")
    except NotebookError:
        return []
    out = []
    for f in wanted:
        if not 0 <= f.cell < len(notebook.cells):
            continue
        cell = notebook.cells[f.cell]
        hit = finding_fix(notebook, cell, f)
        if hit is None:
            continue
        title, edits = hit
        out.append(QuickFix(f, f"Fix {f.rule}: {title}", tuple(
            _line_col(cell.source, a) + _line_col(cell.source, b) + (text,) for a, b, text in edits)))
    return out


def _line_col(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def ignore_line_edit(source: str, finding: Finding) -> QuickFix | None:
    """"Ignore this rule on this line" for a finding in a code cell's ``source``: the edit that
    adds ``# nbguard: ignore[CODE]`` to the finding's last line (suppression looks at its first and
    last), or None where no comment can go (the finding is not in code; the line ends inside a
    string or continues with a backslash; it already ignores the rule)."""
    from .suppress import line_suppression_edit

    if finding.where != "source" or finding.cell_type != "code":
        return None
    lines = source.split("\n")
    line = finding.end_line
    if not 0 < line <= len(lines) or lines[line - 1].rstrip().endswith("\\") or _ends_in_string(source, line):
        return None
    edit = line_suppression_edit(lines[line - 1], finding.rule)
    if edit is None:
        return None
    start, end, text = edit
    return QuickFix(finding, f"Ignore {finding.rule} on this line", ((line, start + 1, line, end + 1, text),))


def _ends_in_string(source: str, line: int) -> bool:
    """Does ``line`` (1-based) end inside a multi-line string? (Unparsable code, e.g. IPython syntax: no.)"""
    import io
    import tokenize

    strings = {tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}  # an f-string's text: 3.12+
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.start[0] > line:
                break
            if tok.type in strings and tok.start[0] <= line < tok.end[0]:
                return True
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return False
