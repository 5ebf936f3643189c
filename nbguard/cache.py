"""Per-file result cache: a re-run over unchanged notebooks reads results instead of linting.

Layout::

    .nbguard_cache/                  in the config's folder (pyproject.toml), else the cwd
        .gitignore, CACHEDIR.TAG
        <settings>/                  one folder per nbguard code + environment + effective config
            <entry>.json             one file per notebook: sha256(settings, path, sha256(content))

``<settings>`` hashes everything that changes results besides the notebook itself:
the nbguard version and the mtimes and sizes of its source files (the rule set),
the Python version, the mtimes of the ``sys.path`` folders (installing or upgrading
detect-secrets, IPython or a rule plugin changes them), and ``Config.fingerprint()``
plus the settings that fingerprint leaves out (file-size limit, config root).

A hit costs one read and one sha256 of the notebook, and one small JSON read; the
engine, the rules and detect-secrets are not imported at all when every file hits.

Entries hold what the report shows (findings with their snippets, secrets already
masked by the engine) and no notebook content besides. A finding whose message or
snippet still holds a credential-shaped string (a secret rule turned off, so the
engine did not mask the line) makes the whole file uncacheable: it is relinted
every time instead of being written to disk. Entries are written atomically (temp
file + rename); a missing, truncated or otherwise unreadable entry is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys

from . import __version__
from .model import FileError, Finding, Report, Severity

CACHE_DIR_NAME = ".nbguard_cache"
ENTRY_FORMAT = 1
KEEP_SETTINGS = 8  # settings folders kept; older ones are pruned when a new one is made

# Finding fields stored per entry, in this order (path is the file's, not stored). The list
# is part of the settings key, so adding a field to Finding invalidates old entries.
_FIELDS = tuple(f.name for f in dataclasses.fields(Finding) if f.name != "path")


def default_cache_dir(config) -> str:
    """``.nbguard_cache`` next to the config file that was used, else in the current folder."""
    if getattr(config, "source", None) and os.path.isfile(config.source):
        return os.path.join(os.path.dirname(os.path.abspath(config.source)), CACHE_DIR_NAME)
    return os.path.abspath(CACHE_DIR_NAME)


def _code_fingerprint(h) -> None:
    """nbguard's own source files (the rule set and the engine), by name, size and mtime."""
    pkg = os.path.dirname(os.path.abspath(__file__))
    for root, dirs, files in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                p = os.path.join(root, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                h.update(f"{os.path.relpath(p, pkg)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())


def _environment_fingerprint(h) -> None:
    """Python version and the installed distributions with their versions (the names of the
    ``*.dist-info`` folders on sys.path): upgrading detect-secrets or IPython, or installing a
    rule plugin, changes it. Not folder mtimes: the current folder changes all the time."""
    h.update(f"{sys.version_info[:2]}\0".encode())
    for p in sys.path:
        try:
            names = os.listdir(p or ".")
        except OSError:
            continue
        dists = sorted(n for n in names if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")))
        if dists:
            h.update(("\0".join([p] + dists) + "\0").encode("utf-8", "surrogateescape"))


def settings_key(config) -> str:
    h = hashlib.sha256()
    h.update(f"nbguard {__version__} entry {ENTRY_FORMAT} {','.join(_FIELDS)}\0".encode())
    _code_fingerprint(h)
    _environment_fingerprint(h)
    h.update(f"{config.fingerprint()}\0{config.max_file_size}\0{os.path.abspath(config.root)}\0".encode(
        "utf-8", "surrogateescape"))
    return h.hexdigest()[:24]


class Cache:
    """Results per notebook file. Picklable (worker processes store what they lint)."""

    def __init__(self, folder: str, config) -> None:
        self.folder = os.path.abspath(folder)
        self.settings = settings_key(config)
        self.dir = os.path.join(self.folder, self.settings)
        self.max_bytes = config.max_file_size
        self._ready = False
        self.hits = 0
        self.misses = 0
        self.stores = 0

    # -- keys ------------------------------------------------------------------
    def entry_key(self, path: str, data: bytes) -> str:
        h = hashlib.sha256()
        h.update(self.settings.encode())
        h.update(b"\0")
        h.update(os.fsencode(path))
        h.update(b"\0")
        h.update(os.fsencode(os.path.abspath(path)))
        h.update(b"\0")
        h.update(hashlib.sha256(data).digest())
        return h.hexdigest()

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.dir, key[:40] + ".json")

    # -- reading ---------------------------------------------------------------
    def read_source(self, path: str) -> bytes | None:
        """The file's bytes when it can be cached (readable, within the size limit), else None."""
        try:
            if os.path.getsize(path) > self.max_bytes:
                return None
            with open(path, "rb") as fh:
                return fh.read(self.max_bytes + 1)
        except OSError:
            return None

    def get(self, path: str, data: bytes | None = None) -> Report | None:
        """The cached Report for ``path`` as it is now, or None (a miss, or an unusable entry)."""
        if data is None:
            data = self.read_source(path)
            if data is None:
                self.misses += 1
                return None
        key = self.entry_key(path, data)
        report = self._load(key, path)
        if report is None:
            self.misses += 1
        else:
            self.hits += 1
        return report

    def _load(self, key: str, path: str) -> Report | None:
        try:
            with open(self._entry_path(key), "rb") as fh:
                entry = json.loads(fh.read())
            if entry.get("key") != key or entry.get("format") != ENTRY_FORMAT:
                return None
            findings = []
            for row in entry["findings"]:
                if len(row) != len(_FIELDS):
                    return None
                d = dict(zip(_FIELDS, row))
                d["severity"] = Severity(d["severity"])
                findings.append(Finding(path=path, **d))
            errors = [FileError(path, str(m)) for m in entry["errors"]]
            return Report(findings=findings, errors=errors, files=int(entry["files"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing or corrupt: relint

    # -- writing ---------------------------------------------------------------
    def put(self, path: str, data: bytes, report: Report) -> bool:
        """Store ``report`` for ``path`` with content ``data``. False when it was not stored."""
        if not _storable(report):
            return False
        key = self.entry_key(path, data)
        entry = {
            "format": ENTRY_FORMAT,
            "key": key,
            "files": report.files,
            "findings": [[_field(f, name) for name in _FIELDS] for f in report.findings],
            "errors": [e.message for e in report.errors],
        }
        try:
            self._prepare()
            from .fsutil import atomic_write

            atomic_write(self._entry_path(key), json.dumps(entry, ensure_ascii=False, separators=(",", ":")),
                         durable=False)
        except OSError:
            return False  # a read-only or full disk must not fail the lint
        self.stores += 1
        return True

    def _prepare(self) -> None:
        if self._ready:
            return
        new = not os.path.isdir(self.dir)
        os.makedirs(self.dir, exist_ok=True)
        for name, text in ((".gitignore", "# created by nbguard\n*\n"),
                           ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                            "# nbguard cache; see https://bford.info/cachedir/\n")):
            p = os.path.join(self.folder, name)
            if not os.path.exists(p):
                try:
                    with open(p, "w", encoding="utf-8") as fh:
                        fh.write(text)
                except OSError:
                    pass
        if new:
            self._prune()
        self._ready = True

    def _prune(self) -> None:
        """Keep the most recently used settings folders only."""
        try:
            dirs = [e for e in os.scandir(self.folder) if e.is_dir() and e.path != self.dir]
            dirs.sort(key=lambda e: e.stat().st_mtime, reverse=True)
        except OSError:
            return
        for e in dirs[KEEP_SETTINGS - 1:]:
            shutil.rmtree(e.path, ignore_errors=True)


def _field(f: Finding, name: str):
    v = getattr(f, name)
    return int(v) if name == "severity" else v


def _storable(report: Report) -> bool:
    """No credential-shaped text in anything the entry would hold besides masked spans."""
    texts = [t for f in report.findings for t in (f.message, f.snippet, f.cell_id) if t]
    texts += [e.message for e in report.errors]
    if not texts:
        return True
    from .rules._tokens import scan

    return not any(scan(t) for t in texts)


def clean(folder: str) -> bool:
    """Remove a cache folder. False when there was none. Refuses folders that are not nbguard's."""
    if not os.path.isdir(folder):
        return False
    if os.path.basename(os.path.normpath(folder)) != CACHE_DIR_NAME and \
            not os.path.exists(os.path.join(folder, "CACHEDIR.TAG")):
        raise OSError(f"{folder} does not look like an nbguard cache (no CACHEDIR.TAG); not removed")
    shutil.rmtree(folder)
    return True
