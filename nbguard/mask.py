"""Masking: nbguard never shows a secret whole.

A masked value keeps a short prefix (enough to recognise *which* key it is, as
``sk-p`` or ``hf_A``) and replaces the rest with ``*``, keeping its length so
carets under the line still point at the right columns.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Lines longer than this are not scanned token by token: a caller shows a clipped window of such
# a line and masks that window instead (nbguard/finalize.py).
MAX_SCANNED_LINE = 20_000
_QUOTES = "\"'`"
_STR_PREFIX = set("rRbBuUfF")


def visible_prefix(n: int) -> int:
    """How many leading characters of an n-character secret may be shown."""
    if n <= 6:
        return 0
    return min(4, n // 5)


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
    r"(?<![\w-])(?:--?(?:password|passwd|token|api[-_]?key|secret|key)[= ]|-u\s*[^\s:'\"]+:)([^\s'\"]{4,})", re.I)


def secret_spans(line: str) -> list[tuple[int, int]]:
    """1-based column spans of credentials in a line shown to a person.

    A safety net under the rules, applied to every printed line whatever rules are
    selected: provider-shaped keys, URL and command-line passwords, and every other
    credential-like token (:func:`credential_spans`), found or not.
    """
    if len(line) > MAX_SCANNED_LINE:
        return [(1, len(line) + 1)]
    from .rules._tokens import scan

    spans = [(m.start + 1, m.end + 1) for m in scan(line)]
    if "@" in line:
        spans += [(m.start(1) + 1, m.end(1) + 1) for m in _URL_PASSWORD.finditer(line)]
    if "-" in line:
        spans += [(m.start(1) + 1, m.end(1) + 1) for m in _CLI_SECRET.finditer(line)]
    spans += credential_spans(line)
    return spans


def mask_location(path: str) -> str:
    """A file name or URL as given (``s3://key:secret@bucket/x.ipynb``): only a URL's password or
    token user name is masked, so a hash-named notebook stays findable."""
    if "@" not in path or "://" not in path:
        return path
    spans = [(m.start(1) + 1, m.end(1) + 1) for m in _URL_PASSWORD.finditer(path)]
    spans += [(u.start(1) + 1, u.end(1) + 1) for u in _URL_USER_TOKEN.finditer(path)]
    return mask_line(path, spans) if spans else path


@lru_cache(maxsize=4096)
def mask_text(text: str) -> str:
    """``text`` (a message, an error line, several lines) with every credential-like token masked.
    Cached: a rule's messages repeat across findings and notebooks."""
    if not text:
        return text
    return "\n".join(mask_line(ln, sp) if (sp := secret_spans(ln)) else ln for ln in text.split("\n"))


# -- line-wide: credential-like tokens, whether or not a rule found them -----------------------

# After a PEM header, everything to the end of the line (or of the string it sits in).
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
# A JWT: header, payload and the signature that makes it usable, to the end of the token.
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-+/=]*){1,2}")
# NAME = value, NAME: value, "NAME": "value", NAME=value in env listings and dict reprs, where the
# name says it holds a credential.
_SECRET_ASSIGN = re.compile(
    r"""(?ix)
    (?P<name>(?<![A-Za-z0-9_])(?:[A-Za-z_][A-Za-z0-9_.\-]{0,60}?)?(?:pass(?:word|wd)?|pwd|secret|token|api[_\-]?key
       |access[_\-]?key|private[_\-]?key|secret[_\-]?key|credentials?|auth)[A-Za-z0-9_]{0,60})  # names are short:
       # bounded, so a long run of word characters costs linear time
    ['"]?\]?\s*(?::\s*[A-Za-z_][\w.\[\]|, ]{0,40}?\s*(?==))?  # os.environ["K"] =, password: str =
    (?::=|=|:|\bis\b)\s*(?!=)
    (?:[bBrRuU]{0,2}(?P<q>"{3}|'{3}|['"])(?P<qv>[^'"\n]{4,512})(?P=q)  # a quoted value, whole: "a b c", "a;b(c)"
      |['"]?(?P<v>[^\s'",;}{)(\]\[]{4,}))""")
# "NAME", "value" pairs: os.getenv("DB_PASSWORD", "..."), setdefault, spark.conf.set("...account.key...", "...")
_NAMED_PAIR = re.compile(
    r"""(?ix)(['"])(?P<pn>[A-Za-z0-9_.\-]{0,80}?(?:pass(?:word|wd)?|pwd|secret|token|api[_\-]?key|access[_\-]?key
       |account\.key|private[_\-]?key|credentials?)[A-Za-z0-9_.\-]{0,80})\1\s*,\s*[bBrRuU]{0,2}(['"])(?P<pv>[^'"\n]{4,512})\3""")
# A Telegram bot token in a Bot API URL (https://api.telegram.org/bot<id>:<token>/sendMessage).
_BOT_URL = re.compile(r"/bot(\d{6,12}:[A-Za-z0-9_\-]{30,})")
# A token as the user name of a URL (https://<token>@host, git+https://<PAT>@dev.azure.com/...).
_URL_USER_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://([A-Za-z0-9_\-]{20,})@")
# Credentials handed to HTTP clients: "Authorization: Bearer <token>", auth=("user", "<password>").
_AUTH_SCHEME = re.compile(r"\b(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]+([A-Za-z0-9._~+/\-]{8,}=*)")
_AUTH_PAIR = re.compile(
    r"""(?:\bauth\s*=\s*[(\[]|\bHTTP(?:Basic|Digest|Proxy)Auth\(|\bBasicAuth\()\s*(?:[A-Za-z_]\w*\s*=\s*)?"""
    r"""(?:(['"])[^'"\n]*\1|[A-Za-z_][\w.]*)\s*,\s*(?:[A-Za-z_]\w*\s*=\s*)?(['"])(?P<pw>[^'"\n]{1,256})\2""")
_PLACEHOLDER_VALUE = re.compile(
    r"^(?:<.*>|\{.*\}|\$\{?\w+\}?|%\(?\w*\)?s|x{4,}|\*+|\.{3}|(?:your|my|the)[_\-]?\w*|none|null|true|false"
    r"|os\.environ.*|os\.getenv.*|getpass.*|userdata.*|env\[.*|required|optional|str|string|bool|int"
    r"|changeme|redacted|hidden|masked|secret|password|token|example\w*|dummy\w*|test\w*|placeholder|\w+\(.*)$",
    re.I)
# Candidate tokens: runs of key characters long enough to be a key.
_RUN = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-f]{32,}|[0-9A-F]{32,}")
# Contexts where a long hex or mixed run is a published identifier, not a secret.
_ID_CONTEXT = re.compile(
    r"(?:sha\d*|md5|hash|digest|checksum|commit|revision|rev|ref|etag|uuid|sum|@|#"
    r"|(?<![a-z])(?<!session_)(?<!session-)id)\W{0,4}$", re.I)  # "id": an identifier; "sessionid": a secret


def credential_spans(line: str) -> list[tuple[int, int]]:
    """1-based spans of the credential-like tokens of ``line``: everything after a PEM private-key
    header, JWTs to their signature, values of secret-named assignments (``password: ...``,
    ``'DB_PASSWORD': '...'``, ``aws_secret_access_key = ...``), hex runs of 32+ and
    high-entropy mixed runs of 20+ (upper, lower and digits). Kept readable: placeholders,
    values read from the environment, hex after ``sha256:``/``revision=``/``@`` (checksums,
    commit pins), UUIDs, paths and words, and payloads of encoded images (not credentials)."""
    spans: list[tuple[int, int]] = []
    m = _PEM.search(line)
    if m:
        spans.append((m.end() + 1, len(line) + 1))
    if "eyJ" in line:
        spans += [(j.start() + 1, j.end() + 1) for j in _JWT.finditer(line)]
    for a in _SECRET_ASSIGN.finditer(line):
        g = "qv" if a.group("qv") is not None else "v"
        if _secret_value(a, g, line):
            spans.append((a.start(g) + 1, a.end(g) + 1))
    if "earer" in line or "asic" in line or "EARER" in line or "ASIC" in line:
        for b in _AUTH_SCHEME.finditer(line):
            tok = b.group(1)
            if len(tok) >= 24 or any(c.isdigit() or c in "+/=" for c in tok):  # not "Basic authentication"
                spans.append((b.start(1) + 1, b.end(1) + 1))
    if "uth" in line:
        spans += [(p.start("pw") + 1, p.end("pw") + 1) for p in _AUTH_PAIR.finditer(line)
                  if not _PLACEHOLDER_VALUE.match(p.group("pw"))]
    if "," in line:
        spans += [(p.start("pv") + 1, p.end("pv") + 1) for p in _NAMED_PAIR.finditer(line)
                  if not _PLACEHOLDER_VALUE.match(p.group("pv")) and not _NOT_SECRET_NAME.search(p.group("pn"))]
    if "/bot" in line:
        spans += [(b.start(1) + 1, b.end(1) + 1) for b in _BOT_URL.finditer(line)]
    if "@" in line:
        spans += [(u.start(1) + 1, u.end(1) + 1) for u in _URL_USER_TOKEN.finditer(line)
                  if sum(c.isdigit() for c in u.group(1)) >= 2 and sum(c.isalpha() for c in u.group(1)) >= 8]
    if len(line) >= 20:
        from .rules._tokens import in_encoded_run

        for r in _RUN.finditer(line):
            tok = r.group()
            if in_encoded_run(line, r.start(), r.end()):
                continue  # an encoded image or sequence: not a credential, and unreadable anyway
            if _ID_CONTEXT.search(line, max(0, r.start() - 12), r.start()) or _in_url_path(line, r.start()):
                continue  # a checksum, a pin, a path of a URL (keys in URLs: the provider patterns, passwords)
            for h in _HEX.finditer(tok):
                spans.append((r.start() + h.start() + 1, r.start() + h.end() + 1))
            if _generated(tok) or _generated_lower(tok):
                spans.append((r.start() + 1, r.end() + 1))
    return spans


_NOT_SECRET_NAME = re.compile(
    r"(?:tokenizer|tokens|_?type|_?name|_?path|_?file|_?dir|_?url|_?uri|_?endpoint|_?len|_?length|_?count|_?size"
    r"|_?limit|_?ids?|_?header|_?method|_?mode|_?provider|_?scheme|_?policy)$", re.I)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def _secret_value(a: re.Match, group: str, line: str) -> bool:
    """Is the value (match group ``group``: quoted ``qv``, bare ``v``) of this secret-named
    assignment a credential worth hiding? Placeholders, numbers, code
    (``AutoTokenizer.from_pretrained(...)``, ``os.environ[...]``) and names such as
    ``max_tokens`` or ``token_type`` are not; a password is, whatever it looks like."""
    name, v = a.group("name"), a.group(group)
    if _NOT_SECRET_NAME.search(name) or _PLACEHOLDER_VALUE.match(v) or v.isdigit() or _DOTTED.match(v):
        return False
    if group == "v" and line[a.end("v"):a.end("v") + 1] == "(":
        return False  # a call: tokenizer = AutoTokenizer(...)
    if re.search(r"pass|pwd", name, re.I):
        return True
    return len(v) >= 16 or any(c.isdigit() for c in v)


def _in_url_path(line: str, start: int) -> bool:
    """Does ``start`` sit in the host or path of a URL (after ``scheme://``, no blank or quote between)?"""
    k = line.rfind("://", max(0, start - 300), start)
    return k >= 0 and not any(c in " \t'\"<>()" for c in line[k:start])


def _generated(tok: str) -> bool:
    """A machine-generated secret: 20+ characters mixing upper case, lower case and digits, with
    the entropy of random text (not ``AutoModelForSequenceClassification2``, not ``v1_2_3``)."""
    core = tok.strip("=_-")
    if len(core) < 20 or core.count("-") + core.count("_") > len(core) // 8:
        return False
    upper, lower = any(c.isupper() for c in core), any(c.islower() for c in core)
    digit = any(c.isdigit() for c in core)
    from .rules._filters import shannon_entropy

    entropy = shannon_entropy(core)
    if _AWS_SECRET_SHAPE.match(core) and upper and lower and (digit or "+" in core or "/" in core):
        # 40 characters of standard base64 (an AWS secret key's shape): random text of that length
        # may lack a digit or hold a few words; a class name of that length is made of words
        words = _WORDS.findall(core)
        return entropy >= 4.0 and sum(map(len, words)) / len(words) < 3.5
    if not (upper and lower and digit) or entropy < 4.0:
        return False
    # names read as words (AutoPipelineForText2Image, EleutherAI/gpt-neox-20b): random text
    # breaks into runs of one or two characters
    words = _WORDS.findall(core)
    if not words or sum(map(len, words)) / len(words) >= 3.0:
        return False
    # a Hub id (org/Name-7B-Instruct): one slash, dashes (never in standard base64), and words
    if core.count("/") == 1 and "-" in core and \
            sum(1 for w in words if len(w) >= 5 and not w.isdigit() and not w.isupper()) >= 2:
        return False
    return True


def _generated_lower(tok: str) -> bool:
    """A generated secret in one case with digits (a session id, an API key of some services):
    24+ lower-case letters and digits, 4+ of each kind, random-text entropy, and no words."""
    if len(tok) < 24 or not tok.isalnum() or not tok.islower():
        return False
    digits = sum(c.isdigit() for c in tok)
    if digits < 4 or len(tok) - digits < 8:
        return False
    from .rules._filters import shannon_entropy

    words = _WORDS.findall(tok)
    return shannon_entropy(tok) >= 4.0 and sum(map(len, words)) / len(words) < 3.0


_AWS_SECRET_SHAPE = re.compile(r"[A-Za-z0-9+/]{40}$")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
