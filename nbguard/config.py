"""Configuration: ``[tool.nbguard]`` in ``pyproject.toml`` (or ``--config FILE``).

One :class:`Config` object is built per run and passed explicitly; nothing reads
global settings. Keys (kebab-case in TOML)::

    [tool.nbguard]
    select = ["ALL"]                 # codes, code prefixes (NBG1), rule names or categories
    ignore = []
    min-severity = "low"             # low | medium | high | critical
    exclude = ["drafts/**"]          # globs, matched against paths relative to the config's folder
    outputs = true                   # scan cell outputs
    max-file-size = 50               # MB; larger notebooks are reported as errors
    [tool.nbguard.per-path-ignores]
    "tutorials/*.ipynb" = ["NBG601"]
    [[tool.nbguard.extra-secret-patterns]]
    name = "internal-token"
    pattern = "itk_[A-Za-z0-9]{32}"
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Callable

from .model import Severity
from .selectors import matches

KNOWN_KEYS = {"select", "ignore", "min-severity", "exclude", "outputs", "max-file-size",
              "per-path-ignores", "extra-secret-patterns", "extend-select", "extend-ignore"}


class ConfigError(Exception):
    """Bad configuration; the message names the file and the key."""


@dataclass(frozen=True)
class SecretPattern:
    name: str
    regex: re.Pattern


@dataclass
class Config:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    min_severity: Severity = Severity.LOW
    exclude: list[str] = field(default_factory=list)
    outputs: bool = True
    max_file_size: int = 50 * 1024 * 1024
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    extra_secret_patterns: list[SecretPattern] = field(default_factory=list)
    root: str = "."  # folder the globs are relative to
    source: str | None = None  # file the config came from

    def rule_enabled(self, rule) -> bool:
        if not any(matches(rule, s) for s in self.select):
            return False
        return not any(matches(rule, s) for s in self.ignore)

    def _rel(self, path: str) -> str:
        try:
            rel = os.path.relpath(os.path.abspath(path), os.path.abspath(self.root))
        except ValueError:
            rel = path
        return rel.replace(os.sep, "/")

    def excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        rel = self._rel(path)
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(path, g) for g in self.exclude)

    def ignores_for_path(self, path: str) -> list[str]:
        if not self.per_path_ignores:
            return []
        rel = self._rel(path)
        out: list[str] = []
        for glob, codes in self.per_path_ignores.items():
            if fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(os.path.basename(path), glob):
                out.extend(codes)
        return out

    def fingerprint(self) -> str:
        """Hash of everything that changes results (for the cache)."""
        d = {
            "select": self.select, "ignore": self.ignore, "min": int(self.min_severity),
            "outputs": self.outputs, "ppi": self.per_path_ignores,
            "extra": [(p.name, p.regex.pattern) for p in self.extra_secret_patterns],
        }
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def find_pyproject(start: str) -> str | None:
    d = os.path.abspath(start)
    if os.path.isfile(d):
        d = os.path.dirname(d)
    while True:
        p = os.path.join(d, "pyproject.toml")
        if os.path.isfile(p):
            try:
                with open(p, "rb") as fh:
                    if "nbguard" in tomllib.load(fh).get("tool", {}):
                        return p
            except (OSError, tomllib.TOMLDecodeError):
                pass
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(config_file: str | None = None, start: str = ".", known: Callable[[str], bool] | None = None
                ) -> Config:
    """The config from ``config_file``, else the nearest pyproject.toml with [tool.nbguard]."""
    path = config_file or find_pyproject(start)
    if path is None:
        return Config(root=os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or "."))
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    table = data.get("tool", {}).get("nbguard", data if config_file and "tool" not in data else {})
    return config_from_table(table, path, known)


def config_from_table(table: dict, path: str = "<config>", known: Callable[[str], bool] | None = None) -> Config:
    """``known`` says whether a selector names a rule or category; this module knows no rule, so
    :func:`nbguard.api.load_config` passes the registry's (without it, selectors are not checked)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nbguard] must be a table")
    unknown = set(table) - KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [tool.nbguard]: {', '.join(sorted(unknown))}")
    cfg = Config(root=os.path.dirname(os.path.abspath(path)), source=path)

    def str_list(key: str) -> list[str]:
        v = table.get(key, [])
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{path}: '{key}' must be a list of strings")
        return v

    for key in ("select", "ignore", "extend-select", "extend-ignore"):
        for s in str_list(key):
            if known is not None and not known(s):
                raise ConfigError(f"{path}: '{key}' names unknown rule or category {s!r}")
    if "select" in table:
        cfg.select = str_list("select")
    cfg.select += str_list("extend-select")
    cfg.ignore = str_list("ignore") + str_list("extend-ignore")
    cfg.exclude = str_list("exclude")
    if "min-severity" in table:
        try:
            cfg.min_severity = Severity.parse(str(table["min-severity"]))
        except ValueError as e:
            raise ConfigError(f"{path}: 'min-severity': {e}") from None
    if "outputs" in table:
        if not isinstance(table["outputs"], bool):
            raise ConfigError(f"{path}: 'outputs' must be true or false")
        cfg.outputs = table["outputs"]
    if "max-file-size" in table:
        v = table["max-file-size"]
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"{path}: 'max-file-size' must be a positive number of MB")
        cfg.max_file_size = int(v * 1024 * 1024)
    ppi = table.get("per-path-ignores", {})
    if not isinstance(ppi, dict) or not all(isinstance(v, list) for v in ppi.values()):
        raise ConfigError(f"{path}: 'per-path-ignores' must map globs to lists of rules")
    cfg.per_path_ignores = {str(k): [str(x) for x in v] for k, v in ppi.items()}
    pats = table.get("extra-secret-patterns", [])
    if not isinstance(pats, list):
        raise ConfigError(f"{path}: 'extra-secret-patterns' must be a list")
    for i, p in enumerate(pats):
        if isinstance(p, str):
            p = {"name": f"custom-{i + 1}", "pattern": p}
        if not isinstance(p, dict) or not isinstance(p.get("pattern"), str):
            raise ConfigError(f"{path}: extra-secret-patterns[{i}] needs a 'pattern' string")
        try:
            rx = re.compile(p["pattern"])
        except re.error as e:
            raise ConfigError(f"{path}: extra-secret-patterns[{i}]: bad regex: {e}") from None
        cfg.extra_secret_patterns.append(SecretPattern(str(p.get("name", f"custom-{i + 1}")), rx))
    return cfg
