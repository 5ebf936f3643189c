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

Entries hold what the report shows (findings with their snippets) and no notebook
content besides. What derives from a secret (the masked snippet and the content hash
of a finding in a sensitive category) is sealed with a key derived from the notebook's
own content: unreadable without the notebook. A file whose messages or clear snippets
hold a credential-shaped string (a secret rule turned off) is not stored at all. Entries are written atomically (temp
file + rename); a missing, truncated or otherwise unreadable entry is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys

from ._version import __version__
from .model import SENSITIVE_CATEGORIES, FileError, Finding, Report, Severity

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


def _identity(st: os.stat_result) -> list[int]:
    """What the stat index compares: size, mtime, ctime and inode (never the access time)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


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
        self._index: dict[str, list] | None = None  # abspath -> [size, mtime_ns, ctime_ns, ino, digest hex]
        self._index_changed = False

    # -- the stat index: skip reading and hashing files that did not change -------------
    # Like git's index: a file whose size, mtime, ctime and inode are what they were when it
    # was hashed has the same content, unless it was modified twice within the file system's
    # timestamp granularity around that moment -- so a file modified less than INDEX_RACY_NS
    # before it was hashed is hashed again next time.
    INDEX_RACY_NS = 2_000_000_000

    def _index_path(self) -> str:
        return os.path.join(self.dir, "index.json")

    def _load_index(self) -> dict[str, list]:
        if self._index is None:
            try:
                with open(self._index_path(), "rb") as fh:
                    index = json.loads(fh.read())
                self._index = index if isinstance(index, dict) else {}
            except (OSError, ValueError):
                self._index = {}
        return self._index

    def _known_digest(self, path: str, st: os.stat_result) -> bytes | None:
        row = self._load_index().get(os.path.abspath(path))
        try:
            if row and row[:4] == _identity(st):
                return bytes.fromhex(row[4])
        except (TypeError, ValueError, IndexError):
            pass
        return None

    def _remember(self, path: str, st: os.stat_result, digest: bytes) -> None:
        import time

        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < self.INDEX_RACY_NS:
            return  # modified just now: it may change again within the same timestamp
        index = self._load_index()
        row = _identity(st) + [digest.hex()]
        key = os.path.abspath(path)
        if index.get(key) != row:
            index[key] = row
            self._index_changed = True

    def flush(self) -> None:
        """Write the stat index (after a run). Never fails the lint."""
        if not self._index_changed or self._index is None:
            return
        try:
            self._prepare()
            from .fsutil import atomic_write

            atomic_write(self._index_path(), json.dumps(self._index, separators=(",", ":")), durable=False)
            self._index_changed = False
        except OSError:
            pass

    def lookup(self, path: str) -> tuple[Report | None, bytes | None]:
        """(cached report, None) on a hit; (None, the file's bytes or None if unreadable) on a miss."""
        try:
            st = os.stat(path)
        except OSError:
            self.misses += 1
            return None, None
        if st.st_size > self.max_bytes:
            self.misses += 1
            return None, None
        digest = self._known_digest(path, st)
        if digest is not None:
            report = self._load(self.entry_key(path, b"", digest), path, digest)
            if report is not None:
                self.hits += 1
                return report, None
        data = self.read_source(path)
        if data is None:
            self.misses += 1
            return None, None
        digest = hashlib.sha256(data).digest()
        try:
            # unchanged while we read it (not `==` on the stat results: reading the file may
            # have updated its access time, which relatime mounts do on a file's first read)
            if _identity(os.stat(path)) == _identity(st):
                self._remember(path, st, digest)
        except OSError:
            pass
        report = self._load(self.entry_key(path, data, digest), path, digest)
        if report is None:
            self.misses += 1
            return None, data
        self.hits += 1
        return report, None

    # -- keys ------------------------------------------------------------------
    def entry_key(self, path: str, data: bytes, digest: bytes | None = None) -> str:
        h = hashlib.sha256()
        h.update(self.settings.encode())
        h.update(b"\0")
        h.update(os.fsencode(path))
        h.update(b"\0")
        h.update(os.fsencode(os.path.abspath(path)))
        h.update(b"\0")
        h.update(digest or hashlib.sha256(data).digest())
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
        digest = hashlib.sha256(data).digest()
        report = self._load(self.entry_key(path, data, digest), path, digest)
        if report is None:
            self.misses += 1
        else:
            self.hits += 1
        return report

    def _load(self, key: str, path: str, digest: bytes) -> Report | None:
        try:
            with open(self._entry_path(key), "rb") as fh:
                entry = json.loads(fh.read())
            if entry.get("key") != key or entry.get("format") != ENTRY_FORMAT:
                return None
            findings = []
            for n, row in enumerate(entry["findings"]):
                if len(row) != len(_FIELDS):
                    return None
                d = dict(zip(_FIELDS, row))
                d["severity"] = Severity(d["severity"])
                for name in _SEALED:
                    if isinstance(d[name], dict):
                        d[name] = _unseal(digest, n, name, d[name]["sealed"])
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
        digest = hashlib.sha256(data).digest()
        key = self.entry_key(path, data, digest)
        rows = []
        for n, f in enumerate(report.findings):
            row = [_field(f, name) for name in _FIELDS]
            if f.category in SENSITIVE_CATEGORIES:  # the masked snippet and the hash of the secret
                for name in _SEALED:
                    i = _FIELDS.index(name)
                    row[i] = {"sealed": _seal(digest, n, name, row[i])}
            rows.append(row)
        entry = {
            "format": ENTRY_FORMAT,
            "key": key,
            "files": report.files,
            "findings": rows,
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


# Fields of sensitive findings (secrets, data-exposure) that derive from the secret: the snippet
# (a masked prefix) and the content hash (of the matched text, unsalted). They are stored sealed
# with a key derived from the notebook's content, so an entry says nothing about a secret to
# someone who does not have the notebook itself (a stale entry, after the secret was removed, is
# unreadable).
_SEALED = tuple(name for name in ("snippet", "content_hash") if name in _FIELDS)


def _keystream(digest: bytes, n: int, name: str, length: int) -> bytes:
    seed = hashlib.sha256(b"nbguard-cache-seal\0" + digest + f"\0{n}\0{name}".encode()).digest()
    out = bytearray()
    block = 0
    while len(out) < length:
        out += hashlib.sha256(seed + block.to_bytes(8, "big")).digest()
        block += 1
    return bytes(out[:length])


def _seal(digest: bytes, n: int, name: str, value: str) -> str:
    raw = value.encode("utf-8", "surrogatepass")
    return bytes(a ^ b for a, b in zip(raw, _keystream(digest, n, name, len(raw)))).hex()


def _unseal(digest: bytes, n: int, name: str, sealed: str) -> str:
    raw = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(raw, _keystream(digest, n, name, len(raw)))).decode("utf-8", "surrogatepass")


def _storable(report: Report) -> bool:
    """No credential-shaped string in what is stored in the clear: the messages of every
    finding, the snippets of non-sensitive ones, cell ids, errors. A file that has one (a
    message breaking the no-secret contract, a secret rule turned off) is relinted every time."""
    texts = [t for f in report.findings
             for t in (f.message, f.cell_id) + (() if f.category in SENSITIVE_CATEGORIES else (f.snippet,)) if t]
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
