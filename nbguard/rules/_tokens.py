"""Credential formats with a recognisable shape, and a fast scanner for them.

Two sources, one table:

* detect-secrets' regex detectors (AWS, GitHub, GitLab, Slack, Stripe, PyPI,
  private keys, JWT...), whose ``denylist`` patterns are used as they ship;
* the ML and cloud providers detect-secrets lacks (Hugging Face, OpenAI project
  keys, Anthropic, Google, Replicate, Groq, W&B in login commands...).

Each pattern has literal anchors; a text is searched with a pattern only when
one of its anchors occurs in it (all anchors are looked for in one regex pass,
see _PIVOTS), so the cost of a text without credentials is one search().
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ._filters import is_placeholder


@dataclass(frozen=True)
class TokenPattern:
    provider: str  # shown in messages: "Hugging Face access token"
    regex: re.Pattern
    anchors: tuple[str, ...]  # literal substrings; empty = always run
    source: str  # "nbguard" or "detect-secrets:<Detector>"
    group: int | str = 0  # the group holding the secret itself
    validate: Callable[[str], bool] | None = None
    # for a pattern without anchors: a cheap regex that matches somewhere in every text the
    # pattern matches in (None: run the pattern on every text)
    gate: re.Pattern | None = None


def _jwt_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    try:
        data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "alg" in data


def _telegram_ok(token: str) -> bool:
    # bot tokens are <bot id>:AA<33 chars>; ids and ARNs with colons are not
    return ":AA" in token and not token.split(":", 1)[0][:1] == "0"


def _twilio_ok(token: str) -> bool:
    # "AC" + 32 hex is an Account SID: an identifier shown in the console and in every API
    # URL, not a secret (the auth token is, and NBG102 finds it by name). "SK" API-key SIDs stay.
    return not token.startswith("AC")


def _has_digit_and_letter(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


B = r"(?<![A-Za-z0-9_\-])"  # left boundary
E = r"(?![A-Za-z0-9_\-])"  # right boundary

_OWN: list[TokenPattern] = [
    TokenPattern("Hugging Face access token", re.compile(B + r"hf_[A-Za-z]{34}" + E), ("hf_",), "nbguard"),
    TokenPattern("Hugging Face organization token", re.compile(B + r"api_org_[A-Za-z]{34}" + E), ("api_org_",),
                 "nbguard"),
    TokenPattern("OpenAI API key", re.compile(
        B + r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{40,200}" + E), ("sk-proj-", "sk-svcacct-", "sk-admin-",
                                                                             "sk-None-"), "nbguard"),
    TokenPattern("OpenAI API key", re.compile(B + r"sk-[A-Za-z0-9]{48}" + E), ("sk-",), "nbguard",
                 validate=_has_digit_and_letter),
    TokenPattern("Anthropic API key", re.compile(B + r"sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,120}" + E),
                 ("sk-ant-",), "nbguard"),
    TokenPattern("Google API key", re.compile(B + r"AIza[0-9A-Za-z_\-]{35}" + E), ("AIza",), "nbguard"),
    TokenPattern("Google OAuth client secret", re.compile(B + r"GOCSPX-[0-9A-Za-z_\-]{28}" + E), ("GOCSPX-",),
                 "nbguard"),
    TokenPattern("Replicate API token", re.compile(B + r"r8_[A-Za-z0-9]{37}" + E), ("r8_",), "nbguard"),
    TokenPattern("Groq API key", re.compile(B + r"gsk_[A-Za-z0-9]{52}" + E), ("gsk_",), "nbguard"),
    TokenPattern("GitHub fine-grained token", re.compile(B + r"github_pat_[A-Za-z0-9_]{82}" + E), ("github_pat_",),
                 "nbguard"),
    TokenPattern("Databricks token", re.compile(B + r"dapi[0-9a-f]{32}(?:-\d)?" + E), ("dapi",), "nbguard"),
    TokenPattern("Pinecone API key", re.compile(B + r"pcsk_[A-Za-z0-9]{5,8}_[A-Za-z0-9]{40,80}" + E), ("pcsk_",),
                 "nbguard"),
    TokenPattern("LangSmith API key", re.compile(B + r"lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}" + E), ("lsv2_",),
                 "nbguard"),
    TokenPattern("Perplexity API key", re.compile(B + r"pplx-[A-Za-z0-9]{48}" + E), ("pplx-",), "nbguard"),
    TokenPattern("xAI API key", re.compile(B + r"xai-[A-Za-z0-9]{80}" + E), ("xai-",), "nbguard"),
    TokenPattern("NVIDIA API key", re.compile(B + r"nvapi-[A-Za-z0-9_\-]{64}" + E), ("nvapi-",), "nbguard"),
    TokenPattern("Tavily API key", re.compile(B + r"tvly-(?:dev-)?[A-Za-z0-9]{32}" + E), ("tvly-",), "nbguard"),
    TokenPattern("Notion integration token", re.compile(B + r"(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{46})" + E),
                 ("secret_", "ntn_"), "nbguard", validate=_has_digit_and_letter),
    TokenPattern("Stripe API key", re.compile(B + r"(?:sk|rk)_test_[0-9a-zA-Z]{24,99}" + E), ("_test_",), "nbguard"),
    TokenPattern("Slack token", re.compile(B + r"xapp-\d-[A-Z0-9]+-\d+-[a-f0-9]+" + E), ("xapp-",), "nbguard"),
    TokenPattern("Weights & Biases API key", re.compile(
        r"(?:wandb\s+login(?:\s+--\S+)*\s+|WANDB_API_KEY[\"']?\s*[=:]\s*[\"']?)(?P<s>[0-9a-f]{40}|local-[0-9a-f]{40})"
        + E), ("wandb", "WANDB_API_KEY"), "nbguard", group="s"),
    TokenPattern("Discord webhook URL", re.compile(
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/(?P<s>[A-Za-z0-9_\-]{60,80})" + E),
        ("discord",), "nbguard", group="s"),
    TokenPattern("Azure storage connection string", re.compile(r"AccountKey=(?P<s>[A-Za-z0-9+/=]{86,88})"),
                 ("AccountKey=",), "nbguard", group="s"),
    # Kaggle keys are 32 hex characters with no prefix: recognisable only by where they sit,
    # in kaggle.json ({"username": ..., "key": ...}, either order, JSON or a printed dict)
    # or after KAGGLE_KEY= in an environment listing.
    TokenPattern("Kaggle API key", re.compile(
        r"[\"']username[\"']\s*:\s*[\"'][^\"'{}\n]{1,100}[\"']\s*,\s*[\"']key[\"']\s*:\s*[\"'](?P<s>[0-9a-f]{32})[\"']"),
        ("username",), "nbguard", group="s"),
    TokenPattern("Kaggle API key", re.compile(
        r"[\"']key[\"']\s*:\s*[\"'](?P<s>[0-9a-f]{32})[\"']\s*,\s*[\"']username[\"']"), ("username",), "nbguard",
        group="s"),
    TokenPattern("Kaggle API key", re.compile(r"KAGGLE_KEY[\"']?\s*[=:]\s*[\"']?(?P<s>[0-9a-f]{32})" + E),
                 ("KAGGLE_KEY",), "nbguard", group="s"),
]

# detect-secrets detectors reused as they ship, with the anchors that gate them.
_DETECT_SECRETS = {
    "AWSKeyDetector": ("AWS access key", ("AKIA", "ASIA", "ABIA", "ACCA", "A3T", "aws", "AWS", "Aws")),
    "GitHubTokenDetector": ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    "GitLabTokenDetector": ("GitLab token", ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "GR1348941", "glcbt-",
                                              "glimt-", "glptt-", "glagent-", "gloas-")),
    "SlackDetector": ("Slack token", ("xox", "hooks.slack.com")),
    "StripeDetector": ("Stripe API key", ("_live_",)),
    "PypiTokenDetector": ("PyPI upload token", ("pypi-AgE",)),
    "PrivateKeyDetector": ("private key", ("PRIVATE KEY", "PuTTY-User-Key")),
    "JwtTokenDetector": ("JSON Web Token", ("eyJ",)),
    "SendGridDetector": ("SendGrid API key", ("SG.",)),
    "OpenAIDetector": ("OpenAI API key", ("T3BlbkFJ",)),
    "DiscordBotTokenDetector": ("Discord bot token", ()),
    "SquareOAuthDetector": ("Square OAuth secret", ("sq0csp-",)),
    "NpmDetector": ("npm token", ("_authToken",)),
    "MailchimpDetector": ("Mailchimp API key", ("-us",)),
    "TelegramBotTokenDetector": ("Telegram bot token", (":AA",)),
    "TwilioKeyDetector": ("Twilio API key", ("AC", "SK")),
}

# Which anchors occur in a text is found in one regex pass. Each anchor is a branch that
# consumes one "pivot" character of it and checks the rest with a lookbehind and a lookahead of
# literals: ``hf_`` -> ``_(?<=hf_)``. So the regex matches at a position exactly when an anchor
# has its pivot there (literals only, no flags: the same test as ``in``), and as a match is that
# one character, finditer() tries every position: every anchor that occurs yields a match of
# its pivot character, and the first match of a pivot character has that group of anchors
# tested with ``in`` (so a text repeating an anchor costs no more than one holding it once).
# 97% of the corpus' texts have no anchor: for them it is one search() that finds nothing.
# The pivot is the first of _PIVOTS found in the anchor (else its first character): re scans
# the text for the pivot characters alone, so rare ones make it fast. Picked by timing the
# corpus; any choice gives the same result.
_PIVOTS = "JKGxkAw-_md"
_any_anchor: re.Pattern | None = None
_by_pivot: dict[str, tuple[tuple[str, int], ...]] = {}  # pivot character -> (anchor, pivot index)

_table: list[TokenPattern] | None = None
_anchors: tuple[str, ...] = ()
_by_anchor: dict[str, list[int]] = {}
_always: list[int] = []


def patterns() -> list[TokenPattern]:
    global _table, _anchors, _any_anchor
    if _table is None:
        table = list(_OWN) + list(_from_detect_secrets())
        for i, p in enumerate(table):
            if not p.anchors:
                _always.append(i)
            for a in p.anchors:
                _by_anchor.setdefault(a, []).append(i)
        _anchors = tuple(_by_anchor)
        _any_anchor = _any_anchor_regex(_anchors, _PIVOTS)
        _by_pivot.update(_pivot_groups(_anchors, _PIVOTS))
        _table = table
    return _table


def _pivot(anchor: str, pivots: str) -> int:
    return next((anchor.index(c) for c in pivots if c in anchor), 0)


def _pivot_groups(anchors: tuple[str, ...], pivots: str) -> dict[str, tuple[tuple[str, int], ...]]:
    groups: dict[str, list[tuple[str, int]]] = {}
    for a in sorted(anchors, key=len, reverse=True):
        i = _pivot(a, pivots)
        groups.setdefault(a[i], []).append((a, i))
    return {c: tuple(g) for c, g in groups.items()}


def _any_anchor_regex(anchors: tuple[str, ...], pivots: str) -> re.Pattern:
    """A regex that matches (one character) exactly where one of ``anchors`` has its pivot."""
    branches = []
    for c, group in _pivot_groups(anchors, pivots).items():
        rest = [(f"(?<={re.escape(a[:i + 1])})" if i else "") + (f"(?={re.escape(a[i + 1:])})" if i + 1 < len(a) else "")
                for a, i in group]
        branches.append(re.escape(c) + ("" if "" in rest else "(?:" + "|".join(rest) + ")"))
    return re.compile("|".join(branches))


def _anchors_in(text: str, rx: re.Pattern, by_pivot: dict[str, tuple[tuple[str, int], ...]]) -> set[str]:
    """The anchors that occur in ``text`` (``rx`` and ``by_pivot`` built from the same anchors and pivots)."""
    found: set[str] = set()
    first = rx.search(text)
    if first is None:
        return found
    seen: set[str] = set()
    for m in rx.finditer(text, first.start()):
        c = text[m.start()]
        if c not in seen:  # an anchor of this pivot occurs: which ones, by substring tests
            seen.add(c)
            found.update(a for a, _ in by_pivot[c] if a in text)
            if len(seen) == len(by_pivot):
                break
    return found


def _candidates(text: str) -> list[int]:
    """Indexes of the patterns whose anchors occur in ``text``."""
    if _table is None:
        patterns()
    present = _anchors_in(text, _any_anchor, _by_pivot)
    if not present:
        return _always
    idx = set(_always)
    for a in present:
        idx.update(_by_anchor[a])
    return sorted(idx)


def _from_detect_secrets() -> Iterator[TokenPattern]:
    for name, source, flags in _ds_denylists():
        provider, anchors = _DETECT_SECRETS[name]
        rx = re.compile(source, flags)
        if name == "PrivateKeyDetector":
            rx = re.compile(r"-----" + rx.pattern + r"-----|" + rx.pattern)
        elif name in _BOUNDED:
            # detect-secrets searches lines of source; a notebook's texts also hold base64 images,
            # widget state and sequences, where "AKIA" + 16 capitals occurs inside a longer run.
            # A key stands on its own: not preceded or followed by a token character.
            rx = re.compile(B + "(?:" + rx.pattern + ")" + E, rx.flags)
        validate = {"JwtTokenDetector": _jwt_ok, "TelegramBotTokenDetector": _telegram_ok,
                    "TwilioKeyDetector": _twilio_ok}.get(name)
        group = 1 if rx.groups == 1 and name in ("AWSKeyDetector",) else 0
        pattern_anchors = anchors
        if name == "AWSKeyDetector":
            pattern_anchors = anchors[:5] if "AKIA" in rx.pattern else anchors[5:]
        gate = None
        if source == _DISCORD_BOT and not flags & re.IGNORECASE:
            # every match holds ".<6 token chars>.<27 token chars>" (the end of the pattern, verbatim)
            gate = re.compile(r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}", flags)
        yield TokenPattern(provider, rx, pattern_anchors, f"detect-secrets:{name}", group, validate, gate)


# detect-secrets detectors whose pattern is the token itself (no surrounding context): they get
# the token boundaries B/E that nbguard's own patterns have.
_BOUNDED = frozenset({"AWSKeyDetector", "GitHubTokenDetector", "GitLabTokenDetector", "SlackDetector", "StripeDetector",
                      "PypiTokenDetector", "JwtTokenDetector", "SendGridDetector", "OpenAIDetector",
                      "DiscordBotTokenDetector", "SquareOAuthDetector", "MailchimpDetector",
                      "TelegramBotTokenDetector", "TwilioKeyDetector"})

# detect-secrets' Discord bot token pattern: it has no literal anchor, so it gets a gate
# (used only while the installed detect-secrets ships exactly this pattern).
_DISCORD_BOT = r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}"


# -- detect-secrets' patterns, without importing detect-secrets on every run -------------------
# Importing detect_secrets.plugins pulls in requests (~0.25 s per process). The denylist
# patterns (source and flags) are saved once per installed detect-secrets, keyed by the
# size and mtime of its plugin files, in the user cache folder, and read from there after.

def _ds_denylists() -> list[tuple[str, str, int]]:
    """(detector class name, pattern source, flags) of every detector nbguard reuses, in order."""
    key = _ds_key()
    path = _ds_cache_file(key) if key else None
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("key") == key:
                rows = [(str(n), str(p), int(f)) for n, p, f in data["patterns"]]
                if all(n in _DETECT_SECRETS for n, _, _ in rows):
                    return rows
        except (OSError, ValueError, KeyError, TypeError):
            pass
    rows, complete = _ds_import()
    if path is not None and complete and rows:
        try:
            from ..fsutil import atomic_write

            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write(path, json.dumps({"key": key, "patterns": rows}), durable=False)
        except OSError:
            pass
    return rows


def _ds_import() -> tuple[list[tuple[str, str, int]], bool]:
    import importlib
    import pkgutil

    rows: list[tuple[str, str, int]] = []
    complete = True
    try:
        import detect_secrets.plugins as ds_plugins
        from detect_secrets.plugins.base import RegexBasedDetector
    except ImportError:  # a broken install must not break linting; our own patterns still run
        return rows, False
    for mod in pkgutil.iter_modules(ds_plugins.__path__):
        try:
            module = importlib.import_module(f"detect_secrets.plugins.{mod.name}")
        except Exception:
            complete = False
            continue
        for obj in vars(module).values():
            if not (isinstance(obj, type) and issubclass(obj, RegexBasedDetector)) or obj.__name__ not in _DETECT_SECRETS:
                continue
            try:
                denylist = list(obj().denylist)
            except Exception:
                complete = False
                continue
            for rx in denylist:
                if isinstance(rx.pattern, str):
                    rows.append((obj.__name__, rx.pattern, rx.flags))
                else:
                    complete = False
    return rows, complete


def _ds_key() -> str | None:
    import hashlib
    import importlib.util
    import sys

    try:
        spec = importlib.util.find_spec("detect_secrets")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    plugins = os.path.join(os.path.dirname(spec.origin), "plugins")
    h = hashlib.sha256(f"{sys.version_info[:2]}\0{plugins}\0{sorted(_DETECT_SECRETS)}\0".encode())
    try:
        names = sorted(n for n in os.listdir(plugins) if n.endswith(".py"))
        for n in names:
            st = os.stat(os.path.join(plugins, n))
            h.update(f"{n}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    except OSError:
        return None
    return h.hexdigest()[:32]


def _ds_cache_file(key: str) -> str | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    return os.path.join(base, "nbguard", f"detect-secrets-patterns-{key}.json")


# Characters of base64 (standard alphabet, no padding) and of letter runs such as DNA: a key
# found inside a long run of them is a piece of an encoded image, widget buffer or sequence.
_RUN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_PAYLOAD_CHARS = _RUN_CHARS | frozenset("=\r\n\\")  # base64 wrapped over lines, JSON-escaped or not


def in_encoded_run(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` part of an encoded payload rather than a token of its own: inside a
    run of base64/letter characters at least twice its length and 64 long (a key is written on
    its own, between quotes, spaces, ``=``...), or inside the payload of a ``data:...;base64,`` URI."""
    a = start
    while a > 0 and text[a - 1] in _RUN_CHARS:
        a -= 1
    b, limit = end, len(text)
    while b < limit and text[b] in _RUN_CHARS:
        b += 1
    if b - a >= max(64, 2 * (end - start)):
        return True
    k = text.rfind(";base64,", 0, start)
    if k < 0 or text.rfind("data:", max(0, k - 100), k) < 0:
        return False
    # only payload characters between the URI's start of data and the match
    return all(c in _PAYLOAD_CHARS for c in text[k + 8:start])


_AMINO = frozenset("ACDEFGHIKLMNPQRSTVWY")  # the 20 amino-acid letters (DNA's ACGT among them)


def letter_run(value: str) -> bool:
    """A biological sequence, not a key: 16+ capital letters, no digit, all from the amino-acid
    alphabet (``AKIADEFGHIKLMNPQRSTV``). A real AWS key id (base32 after the prefix) has digits or
    letters outside it (B, J, O, U, X, Z) but for about one in 2,000."""
    return len(value) >= 16 and value.isalpha() and value.isupper() and set(value) <= _AMINO


@dataclass(frozen=True)
class TokenMatch:
    provider: str
    start: int
    end: int
    source: str


def scan(text: str, extra: list | tuple = ()) -> list[TokenMatch]:
    """Every credential-shaped match in ``text``, overlaps resolved (longest first)."""
    found: list[TokenMatch] = []
    table = patterns()
    for i in _candidates(text):
        p = table[i]
        if p.gate is not None and p.gate.search(text) is None:
            continue
        for m in p.regex.finditer(text):
            try:
                start, end = m.span(p.group)
            except IndexError:
                start, end = m.span()
            if start < 0:
                continue
            value = text[start:end]
            if is_placeholder(value) or (p.validate and not p.validate(value)) or in_encoded_run(text, start, end) \
                    or letter_run(value):
                continue
            found.append(TokenMatch(p.provider, start, end, p.source))
    for sp in extra:  # config: extra-secret-patterns
        for m in sp.regex.finditer(text):
            if m.end() > m.start() and not is_placeholder(m.group()):
                found.append(TokenMatch(sp.name, m.start(), m.end(), "config"))
    if len(found) < 2:
        return found
    found.sort(key=lambda t: (t.start, -(t.end - t.start)))
    out: list[TokenMatch] = []
    for t in found:
        if out and t.start < out[-1].end:
            continue
        out.append(t)
    return out
