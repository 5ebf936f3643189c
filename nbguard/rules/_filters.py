"""False-positive filters: named predicates shared by the rules (detect-secrets style).

Each filter answers one question about a value or a name, and is listed in
``docs/filters.md``. Rules call them explicitly; nothing is filtered implicitly.
"""

from __future__ import annotations

import math
import re

# -- secrets -------------------------------------------------------------------

# The camelCase boundaries are case-sensitive ((?-i:...)): under re.I alone, "(?=[A-Z])" matches any
# letter, and "tokens", "passenger" or "bypass" would read as secret names.
SECRET_NAME = re.compile(
    r"(?:^|[_\-.]|(?-i:(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])))"
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key"
    r"|auth[_\-]?key|credentials?|private[_\-]?key|client[_\-]?secret|bearer|signing[_\-]?key)"
    r"(?:$|[_\-.0-9]|(?-i:(?=[A-Z])))",
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


# -- secrets: values and names (NBG102-NBG107) ---------------------------------

# Names ending in "key" that hold a credential only when the value looks generated:
# "KAGGLE_KEY", "AZURE_OPENAI_KEY", "subscriptionKey" -- but not "sort_key", "s3_key".
_KEY_NAME = re.compile(r"(?:^|[_\-.])key$|[a-z0-9]Key$", re.I)
_NOT_KEY_NAME = re.compile(
    r"(?:^|[_\-.])(?:sort|primary|partition|foreign|unique|composite|row|col|column|cache|dict|map|lookup|hash|join"
    r"|group|index|idx|label|labels|text|image|img|input|output|target|feature|features|s3|gcs|blob|object|obj|file"
    r"|bucket|prefix|path|dataset|data|model|metric|metrics|ssh|public|pub|rsa|gpg|pgp|kms|encryption|cmk|value|json"
    r"|field|column|attr|state|layer|query|q|k|v|id|name|result|results|config|cfg|param|params|random|rng|seed"
    r"|jax|prng|sub|subkey|mask|sample|split|class|node|edge|entity|context|memory|cache_key|event|task|job|run)[_\-.]?key$",
    re.I)


def is_key_name(name: str) -> bool:
    """``KAGGLE_KEY``, ``openai_key``, ``subscriptionKey``: a credential *if* the value looks generated.

    Unlike :func:`is_secret_name`, a match is weak evidence; pair it with :func:`looks_like_key`.
    """
    if not name or len(name) > 80 or name.lower() == "key":
        return False
    return bool(_KEY_NAME.search(name)) and not _NOT_KEY_NAME.search(name) and not is_hash_name(name)


_PASSWORD_WORD = re.compile(r"pass(?:word|wd|phrase)?|pwd", re.I)


def is_password_name(name: str) -> bool:
    """A secret name chosen by people (``password``, ``db_pass``, ``PWD``): any non-dummy value counts."""
    return is_secret_name(name) and bool(_PASSWORD_WORD.search(name))


_DUMMY_PASSWORDS = frozenset({
    "pass", "passwd", "pwd", "pw", "p@ssw0rd", "passw0rd", "password1", "password123", "mypassword", "mypass",
    "yourpassword", "secret123", "mysecret", "mysecretpassword", "tiger", "scott", "postgres", "mysql", "root",
    "guest", "demo", "letmein", "qwerty", "hunter2", "pa55word", "s3cr3t", "topsecret", "supersecret",
    "minioadmin", "admin123", "test123", "testpass", "testpassword", "username", "user", "login", "pass123",
})


def is_dummy_password(value: str) -> bool:
    """Placeholders plus the passwords documentation uses (``scott:tiger``, ``postgres``, ``mysecretpassword``)."""
    v = value.strip()
    return is_placeholder(v) or v.lower() in _DUMMY_PASSWORDS


def is_templated(value: str) -> bool:
    """``{pw}``, ``${PW}``, ``$PW``, ``$pw``, ``<password>``, ``%(pw)s``, ``{{ pw }}``: a value filled in elsewhere.

    Inside a value, ``$`` starts a variable only before ``{``, ``(`` or an upper-case name:
    ``"Cl1ck$tream2024"`` is a password with a dollar sign, ``"pw-$DB_PASS"`` is templated."""
    return bool(re.search(r"[{}<>]|\$[({]|\$[A-Z_][A-Z0-9_]*(?![a-z])|%\(\w+\)[sdr]|%[sdr](?![0-9A-Fa-f])"
                          r"|^\*+$|^\$", value))


_FILE_EXT = re.compile(r"\.(?:[a-z]{1,4}[0-9]?|json|yaml|toml|parquet|jsonl|ipynb|tfrecord|pickle)$", re.I)
_HOSTNAME = re.compile(r"^[\w\-]+(?:\.[\w\-]+)+$")
_VERSION = re.compile(r"^v?\d+(?:[.\-_]\d+)+[\w.\-]*$")


def looks_like_key(value: str) -> bool:
    """A machine-generated credential: 8+ visible characters mixing letters and digits (or long and
    high-entropy), not a path, URL, host, version, identifier or environment-variable name.

    Stricter than :func:`looks_like_password`, for names such as ``token`` and ``*_key`` whose
    non-secret values are words (``token="EasyNegative"``, ``sort_key="date"``). UUID-shaped
    values pass: several providers issue UUID keys.
    """
    v = value.strip()
    if len(v) < 8 or len(v) > 512 or not re.fullmatch(r"[\x21-\x7e]+", v):
        return False
    if is_placeholder(v) or is_templated(v):
        return False
    aws_like = bool(re.fullmatch(r"[A-Z0-9]{16,}", v)) and sum(c.isdigit() for c in v) >= 4
    if not (is_uuid(v) or aws_like) and not looks_like_password(v):
        return False
    if _FILE_EXT.search(v) or _VERSION.match(v) or re.fullmatch(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+", v):
        return False  # "model.bin", "1.2.3", "transformers.AutoModel"
    if _HOSTNAME.match(v) and re.search(r"\.[a-z]{2,6}$", v):
        return False  # "api.openai.com"
    if "/" in v and (len(v) < 30 or shannon_entropy(v) < 4.0):
        return False  # "org/model-7b", "data/2023/train"
    has_digit = any(c.isdigit() for c in v)
    has_alpha = any(c.isalpha() for c in v)
    if has_digit and has_alpha:
        return True
    return len(v) >= 20 and shannon_entropy(v) >= 3.5 and not re.fullmatch(r"[A-Za-z]+(?:[_\-][A-Za-z]+)*", v)
