"""False-positive filters: named predicates shared by the rules (detect-secrets style).

Each filter answers one question about a value or a name, and is listed in
``docs/filters.md``. Rules call them explicitly; nothing is filtered implicitly.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

# -- secrets -------------------------------------------------------------------

SECRET_NAME = re.compile(
    r"(?:^|[_\-.]|(?<=[a-z])(?=[A-Z]))(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key"
    r"|auth[_\-]?key|credentials?|private[_\-]?key|client[_\-]?secret|bearer|signing[_\-]?key)(?:$|[_\-.]|(?=[A-Z]))",
    re.I)

# Names that contain a secret word but hold no secret.
NOT_SECRET_NAME = re.compile(
    r"(?:^|_)(?:bos|eos|pad|unk|sep|cls|mask|start|end|special|additional_special|image|audio|video|vision"
    r"|begin|stop|think|eot|sot|system|user|assistant|default|new|extra|placeholder|boi|eoi|img|im|vocab|decoder_start)"
    r"_tokens?$"
    r"|(?:^|_)(?:max|min|num|n|total|count|number|len|length)(?:_new|_input|_output|_prompt|_completion)?_tokens?"
    r"|tokens?_(?:count|type|type_ids|ids|len|length|limit|usage|per|budget|file|path|dir|url|uri|endpoint|name|id|env|var|header)"
    r"|(?:^|_)(?:tokenizer|tokenize|tokenized|tokenization)"
    r"|(?:password|secret|token|key)_(?:file|path|dir|url|uri|prompt|name|id|env|var|field|label|length|len|type|header)s?$"
    r"|(?:^|_)(?:use|with|has|is|require|requires|needs|add|skip|return|output|get|load|save)_"
    r"|_(?:required|enabled|set)$|^(?:forgot|reset|change)_password",
    re.I)

_PLACEHOLDER = re.compile(
    r"^\s*$|^[<\[{(].*[>\]})]$|^\$\{?[A-Za-z_]+\}?$|^%\(?\w+\)?s?$|^\{\{.*\}\}$"
    r"|your|xxx|\*\*\*|\.\.\.|…|example|sample|dummy|placeholder|changeme|change_me|replace|redacted|insert|enter"
    r"|^(?:none|null|nil|true|false|undefined|empty|test|testing|secret|password|token|api_?key|key|string|str"
    r"|fake|foo|bar|baz|abc|abc123|123|1234|12345|123456|admin|root|user|guest|default|todo|tbd|n/?a)$"
    r"|^(?:sk|hf|pk|rk|ghp|xox[bp]?)[-_]?(?:x+|\.+|\*+|\-+)$",
    re.I)

_DOC_EXAMPLES = frozenset({"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})


def is_placeholder(value: str) -> bool:
    """``"<YOUR_TOKEN>"``, ``"xxx"``, ``"${TOKEN}"``, ``"changeme"``, documentation examples."""
    v = value.strip().strip("\"'")
    if v in _DOC_EXAMPLES or v.endswith("EXAMPLE") or v.endswith("EXAMPLEKEY"):
        return True
    if _PLACEHOLDER.search(v):
        return True
    if len(set(v.lower())) <= 2:  # "aaaaaaaa", "xxxxxxxx", "00000000"
        return True
    return is_sequential(v)


def is_sequential(value: str) -> bool:
    """``"abcdefgh"``, ``"0123456789"``, ``"1234567890abcdef"`` (detect-secrets' sequential filter)."""
    v = value.lower()
    if len(v) < 6:
        return False
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz0123456789"
    return v in alphabet or v in alphabet[::-1]


def is_secret_name(name: str) -> bool:
    """Does a variable, key or argument name say it holds a credential?"""
    if not name or len(name) > 80:
        return False
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET_NAME.search(name)


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


HEX40 = re.compile(r"^[0-9a-f]{40}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_HASH_NAME = re.compile(r"sha|md5|hash|digest|checksum|revision|commit|etag|fingerprint|crc|uuid|guid|_id$|^id$", re.I)


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value.strip()))


def is_hash_name(name: str) -> bool:
    """``EXPECTED_SHA256``, ``revision``, ``commit_id``, ``file_hash``: names of checksums and pins."""
    return bool(_HASH_NAME.search(name or ""))


def looks_like_password(value: str) -> bool:
    """A plausible literal credential: no spaces, not a path or URL or identifier-ish word."""
    v = value.strip()
    if len(v) < 4 or len(v) > 512 or " " in v or "\n" in v:
        return False
    if is_placeholder(v) or is_uuid(v):
        return False
    if v.startswith(("/", "./", "../", "~/", "http://", "https://", "s3://", "gs://", "file:")):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", v):  # "HF_TOKEN": an environment variable's name
        return False
    if re.fullmatch(r"[a-z]+(?:[_\-][a-z]+)*", v) and len(v) < 16 and not any(c.isdigit() for c in v):
        # a single lower-case word ("bearer", "oauth", "access_token") is usually a mode or label
        return False
    if v.endswith((".txt", ".json", ".pem", ".key", ".yaml", ".yml", ".env", ".cfg", ".ini", ".csv", ".pkl")):
        return False
    return True


# -- URLs ----------------------------------------------------------------------

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal",
                             "169.254.169.254", "metadata.google.internal", "ip6-localhost"})


def url_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_local_host(host: str) -> bool:
    """Loopback, link-local metadata, docker host, ``*.local``, ``*.svc.cluster.local``, bare names (``mlflow``)."""
    h = host.lower().strip("[]")
    if not h:
        return True
    if h in _LOOPBACK_HOSTS or h.startswith("127.") or h.endswith((".local", ".localhost", ".internal")):
        return True
    if "." not in h and ":" not in h:  # in-cluster service names: http://mlflow:5000
        return True
    return False


PLAINTEXT_SCHEMES = ("http://", "ftp://")


def plaintext_url(value: str) -> bool:
    """``http://`` or ``ftp://`` to a host that is not local."""
    v = value.strip()
    low = v[:7].lower()
    if not (low.startswith("http://") or low.startswith("ftp://")):
        return False
    return not is_local_host(url_host(v))
