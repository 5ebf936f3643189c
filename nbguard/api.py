"""The Python API every front-end calls (pyflakes-style layering).

``lint_notebook`` (one notebook, a path or a parsed dict) -> ``lint_file`` ->
``lint_paths`` (files and folders, in parallel). The CLI, the ``%nbguard`` magic
and the JupyterLab server extension are thin layers over these.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Iterable, Iterator

from .config import Config, load_config
from .engine import RuleSet, lint
from .model import FileError, Report
from .notebook import NotebookError, notebook_from_dict, read_notebook

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
        return Report(errors=[FileError(name, str(e))])
    return Report(findings=lint(notebook, config), files=1)


def lint_file(path: str, config: Config, ruleset: RuleSet | None = None) -> Report:
    try:
        notebook = read_notebook(path, config.max_file_size)
    except NotebookError as e:
        return Report(errors=[FileError(path, str(e))])
    return Report(findings=lint(notebook, config, ruleset), files=1)


def discover(paths: Iterable[str], config: Config) -> Iterator[str | FileError]:
    """Notebooks under ``paths`` in a stable order; unreadable places as FileError."""
    for p in paths:
        if not os.path.lexists(p):
            yield FileError(p, "no such file or directory")
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
        yield FileError(root, f"cannot read folder ({e.strerror})")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:
        yield FileError(root, "directory loop (a symlink back to a parent folder); skipped")
        return
    seen = seen | {key}
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except PermissionError:
        yield FileError(root, "permission denied (folder)")
        return
    except OSError as e:
        yield FileError(root, f"cannot read folder ({e.strerror})")
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


# -- parallel ----------------------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(config: Config) -> None:
    _worker["config"] = config
    _worker["rules"] = RuleSet.for_config(config)


def _lint_in_worker(path: str) -> Report:
    return lint_file(path, _worker["config"], _worker["rules"])


def iter_reports(paths: Iterable[str], config: Config, jobs: int = 1) -> Iterator[Report]:
    """One Report per discovered file (or error), in discovery order, streamed."""
    items = list(discover(paths, config))
    files = [x for x in items if isinstance(x, str)]
    jobs = max(1, min(jobs, len(files)))
    if jobs == 1:
        rules = RuleSet.for_config(config)
        for item in items:
            yield Report(errors=[item]) if isinstance(item, FileError) else lint_file(item, config, rules)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(config,)) as pool:
        results = pool.map(_lint_in_worker, files, chunksize=max(1, min(16, len(files) // (jobs * 8) or 1)))
        for item in items:
            yield Report(errors=[item]) if isinstance(item, FileError) else next(results)


def lint_paths(paths: Iterable[str] | str, config: Config | None = None, jobs: int = 1) -> Report:
    """Lint notebooks and folders; unreadable files are reported in ``Report.errors``."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    paths = [os.fspath(p) for p in paths] or ["."]
    config = config or load_config(start=paths[0])
    report = Report()
    for r in iter_reports(paths, config, jobs):
        report.extend(r)
    return report
