"""Masking: nbguard never shows a secret whole.

A masked value keeps a short prefix (enough to recognise *which* key it is, as
``sk-p`` or ``hf_A``) and replaces the rest with ``*``, keeping its length so
carets under the line still point at the right columns.
"""

from __future__ import annotations

import re

_QUOTES = "\"'`"
_STR_PREFIX = set("rRbBuUfF")


def visible_prefix(n: int) -> int:
    """How many leading characters of an n-character secret may be shown."""
    if n <= 6:
        return 0
    return min(4, n // 5)


def mask_value(value: str) -> str:
    k = visible_prefix(len(value))
    return value[:k] + "*" * (len(value) - k)


def mask_line(line: str, spans: list[tuple[int, int]]) -> str:
    """Mask each 1-based, end-exclusive column span of ``line``."""
    chars = list(line)
    for col, end_col in spans:
        a, b = max(0, col - 1), min(len(chars), end_col - 1)
        if b <= a:
            continue
        # Keep string quotes and prefixes (r"", b'') visible; mask what is inside.
        while a < b and (chars[a] in _QUOTES or (chars[a] in _STR_PREFIX and a + 1 < b and chars[a + 1] in _QUOTES + "".join(_STR_PREFIX))):
            a += 1
        while b > a and chars[b - 1] in _QUOTES:
            b -= 1
        k = visible_prefix(b - a)
        for i in range(a + k, b):
            if not chars[i].isspace():
                chars[i] = "*"
    return "".join(chars)


# Passwords in URLs (scheme://user:password@host) and in command-line options.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:([^\s@/'\"]+)@")
_CLI_SECRET = re.compile(
    r"(?:--?(?:password|passwd|token|api[-_]?key|secret|key)[= ]|-u\s*[^\s:'\"]+:)([^\s'\"]{4,})", re.I)


def secret_spans(line: str) -> list[tuple[int, int]]:
    """1-based column spans of credentials in a line shown to a person.

    A safety net under the rules: a snippet is masked with this even when the
    secrets rules are not selected, so no report shows a key or password whole.
    """
    if len(line) > 20_000:
        return []
    from .rules._tokens import scan

    spans = [(m.start + 1, m.end + 1) for m in scan(line)]
    if "@" in line:
        spans += [(m.start(1) + 1, m.end(1) + 1) for m in _URL_PASSWORD.finditer(line)]
    if "-" in line:
        spans += [(m.start(1) + 1, m.end(1) + 1) for m in _CLI_SECRET.finditer(line)]
    return spans
