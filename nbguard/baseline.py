"""Baselines: turn nbguard on today, fail only on what is new.

``nbguard baseline create`` records every current finding in ``.nbguard-baseline.json``;
``nbguard lint --baseline FILE`` then reports only findings that are not in it.

An entry identifies a finding by what it is about, not where it is: the rule, the
notebook (a path relative to the baseline's folder), the cell id, and a
fingerprint of the offending text (``Finding.content_hash``: rule, kind of place and
whitespace-normalised text, see :func:`nbguard.finalize.content_hash`) salted with a
random value kept in the file. So an entry still matches after cells are moved,
cells are inserted above, other lines are edited or the notebook is re-run, while
a changed secret is a new finding. Matching ignores line numbers and cell indexes;
duplicates (the same text twice) are matched by count, as Bandit does. The file
never holds a secret or any unmasked source: only salted hashes, and for the secrets
category a slow one (scrypt), since the salt sits beside them and a fast hash of a short
password could be reversed by trying guesses.

The file is self-describing (schema version, nbguard version, the rules and the
configuration fingerprint it was made with) and written atomically.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import secrets as _secrets
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Iterable

from ._version import __version__
from .model import Finding

SCHEMA_VERSION = 1
FINGERPRINT = "sha256(salt + ':' + sha256(rule NUL where NUL whitespace-normalised offending text))"
# A secret's fingerprint is stretched: the salt sits in the same file, and a fast hash of a short
# password could be reversed by trying a dictionary of guesses (an adversarial review found
# "Summer2024!" in 1,129 guesses). Baselines written before this key have plain fingerprints.
SECRET_FINGERPRINT = "scrypt(sha256(rule NUL where NUL offending text), salt, n=8192, r=8, p=1, 32 bytes)"
STRETCHED_CATEGORIES = frozenset({"secrets"})
# Upgrades from older schema versions: version -> function(dict) -> dict of the next version.
UPGRADES: dict[int, object] = {}


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Entry:
    rule: str
    path: str  # relative to the baseline's folder, with / separators
    cell_id: str | None
    where: str
    fingerprint: str

    def to_dict(self) -> dict:
        return {"rule": self.rule, "path": self.path, "cell_id": self.cell_id, "where": self.where,
                "fingerprint": self.fingerprint}

    @property
    def key(self) -> tuple[str, str, str]:
        return self.rule, self.path, self.fingerprint


@dataclass
class Match:
    new: list[Finding]  # not in the baseline: reported
    known: list[Finding]  # in the baseline: hidden
    unmatched: list[Entry]  # baseline entries no current finding matched


@dataclass
class Baseline:
    root: str  # absolute folder the entry paths are relative to
    salt: str = field(default_factory=lambda: _secrets.token_hex(16))
    entries: list[Entry] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    generated_by: str = f"nbguard {__version__}"
    stretched: bool = True  # secrets' fingerprints use SECRET_FINGERPRINT (False: a file from before it)

    # -- identity of a finding --------------------------------------------------
    def relpath(self, path: str) -> str:
        try:
            rel = os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:  # another drive (Windows)
            rel = os.path.abspath(path)
        return rel.replace(os.sep, "/")

    def fingerprint(self, f: Finding) -> str:
        base = f.content_hash
        if not base:  # a Finding built outside the engine: fall back to what it shows
            from .finalize import content_hash

            base = content_hash(f.rule, f.where, f"{f.snippet}\0{f.message}")
        if self.stretched and f.category in STRETCHED_CATEGORIES:
            return _stretch(self.salt, base)
        return hashlib.sha256(f"{self.salt}:{base}".encode()).hexdigest()

    def entry(self, f: Finding) -> Entry:
        return Entry(f.rule, self.relpath(f.path), f.cell_id, f.where, self.fingerprint(f))

    # -- matching ------------------------------------------------------------------
    def match(self, findings: Iterable[Finding]) -> Match:
        return self.matcher().match(findings)

    def matcher(self) -> "Matcher":
        return Matcher(self)

    # -- file --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_by": self.generated_by,
            "generated_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
                                        .replace("+00:00", "Z"),
            "fingerprint": {"algorithm": FINGERPRINT, "salt": self.salt,
                            **({"secrets": SECRET_FINGERPRINT} if self.stretched else {})},
            "rules": sorted(self.rules),
            "config": self.config,
            "findings": [e.to_dict() for e in sorted(self.entries, key=_entry_order)],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def save(self, path: str) -> None:
        from .fsutil import atomic_write

        try:
            atomic_write(path, self.to_json())
        except OSError as e:
            raise BaselineError(f"{path}: cannot write the baseline ({e.strerror or e})") from None


@functools.lru_cache(maxsize=1024)
def _stretch(salt: str, base: str) -> str:
    return hashlib.scrypt(base.encode(), salt=salt.encode(), n=8192, r=8, p=1, dklen=32).hex()


class Matcher:
    """Matches findings to a baseline batch by batch (a streamed run matches one notebook's findings
    at a time); an entry matches at most one finding over all the batches, as in one ``match`` call."""

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.pool: dict[tuple[str, str, str], list[Entry]] = {}
        for e in baseline.entries:
            self.pool.setdefault(e.key, []).append(e)

    def match(self, findings: Iterable[Finding]) -> Match:
        findings = list(findings)
        pool = self.pool
        mine = [self.baseline.entry(f) for f in findings]
        matched = [False] * len(findings)
        # first the entries in the same cell (by id), then any entry with the same text
        for same_cell in (True, False):
            for i, e in enumerate(mine):
                if matched[i]:
                    continue
                candidates = pool.get(e.key)
                if not candidates:
                    continue
                for j, c in enumerate(candidates):
                    if not same_cell or c.cell_id == e.cell_id:
                        del candidates[j]
                        matched[i] = True
                        break
        return Match(
            new=[f for f, m in zip(findings, matched) if not m],
            known=[f for f, m in zip(findings, matched) if m],
            unmatched=[e for entries in pool.values() for e in entries],
        )


def _entry_order(e: Entry) -> tuple:
    return e.path, e.rule, e.cell_id or "", e.where, e.fingerprint


def config_summary(config) -> dict:
    return {
        "fingerprint": config.fingerprint(),
        "select": list(config.select),
        "ignore": list(config.ignore),
        "min_severity": config.min_severity.label,
        "outputs": config.outputs,
    }


def enabled_rules(config) -> list[str]:
    from .rules.base import all_rules

    return [code for code, r in all_rules().items() if config.rule_enabled(r)]


def create(findings: Iterable[Finding], path: str, config) -> Baseline:
    """A new baseline (fresh salt) holding every finding; paths relative to ``path``'s folder."""
    b = Baseline(root=os.path.dirname(os.path.abspath(path)), rules=enabled_rules(config),
                 config=config_summary(config))
    b.entries = [b.entry(f) for f in findings]
    return b


def update(b: Baseline, findings: Iterable[Finding], linted: Iterable[str], config, *,
           add: bool = False) -> tuple[int, int]:
    """Drop entries that no longer occur; with ``add``, record new findings too.

    Only entries this run could have seen are dropped: their notebook was linted (or no longer
    exists) and their rule was enabled. Returns (dropped, added)."""
    findings = list(findings)
    m = b.match(findings)
    checked = {b.relpath(p) for p in linted}
    rules = set(enabled_rules(config))
    gone = [e for e in m.unmatched
            if e.rule in rules and (e.path in checked or not os.path.exists(os.path.join(b.root, e.path)))]
    gone_count = Counter(gone)
    kept: list[Entry] = []
    for e in b.entries:
        if gone_count[e] > 0:
            gone_count[e] -= 1
            continue
        kept.append(e)
    added = [b.entry(f) for f in m.new] if add else []
    b.entries = kept + added
    b.rules = sorted(set(b.rules) | rules)
    b.config = config_summary(config)
    b.generated_by = f"nbguard {__version__}"
    return len(gone), len(added)


def load(path: str) -> Baseline:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create one with 'nbguard baseline create')") from None
    except OSError as e:
        raise BaselineError(f"{path}: cannot read the baseline ({e.strerror or e})") from None
    except (ValueError, RecursionError) as e:
        raise BaselineError(f"{path}: not a baseline: invalid JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("schema_version"), int):
        raise BaselineError(f"{path}: not an nbguard baseline (no schema_version)")
    version = data["schema_version"]
    if version > SCHEMA_VERSION:
        raise BaselineError(f"{path}: baseline schema {version} was written by a newer nbguard; upgrade nbguard")
    while version < SCHEMA_VERSION:
        upgrade = UPGRADES.get(version)
        if upgrade is None:
            raise BaselineError(f"{path}: baseline schema {version} is no longer supported; re-create it")
        data = upgrade(data)  # type: ignore[operator]
        version = data["schema_version"]
    fp = data.get("fingerprint")
    salt = fp.get("salt") if isinstance(fp, dict) else None
    if not isinstance(salt, str) or not salt:
        raise BaselineError(f"{path}: baseline has no fingerprint salt")
    raw_entries = data.get("findings")
    if not isinstance(raw_entries, list):
        raise BaselineError(f"{path}: baseline 'findings' must be a list")
    entries = []
    for i, e in enumerate(raw_entries):
        if not (isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("rule", "path", "fingerprint"))):
            raise BaselineError(f"{path}: baseline entry {i} needs 'rule', 'path' and 'fingerprint' strings")
        cid = e.get("cell_id")
        entries.append(Entry(e["rule"], e["path"], cid if isinstance(cid, str) else None,
                             str(e.get("where", "source")), e["fingerprint"]))
    rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    stretched = isinstance(fp, dict) and fp.get("secrets") == SECRET_FINGERPRINT
    return Baseline(root=os.path.dirname(os.path.abspath(path)), salt=salt, entries=entries, stretched=stretched,
                    rules=[str(r) for r in rules], config=data.get("config") if isinstance(data.get("config"), dict)
                    else {}, generated_by=str(data.get("generated_by", "")))
