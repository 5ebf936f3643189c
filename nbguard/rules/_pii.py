"""Personal data in cell outputs: the formats, their validators, and one way to report them.

Used by the data-exposure rules (NBG7xx). Each finder returns the matches in a text
that pass the format's own check and the false-positive filters listed with it. The checks
are libraries that keep their data up to date: python-stdnum (Luhn for cards, each
country's IBAN format and mod-97, the SSA's number ranges for SSNs) and phonenumbers
(Google's libphonenumber numbering plans, offline). Both are imported on the first
candidate, never at start-up. A rule reports the
matches of one output text as one finding (see :func:`report_matches`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

if TYPE_CHECKING:
    from ..context import CellContext, TextView
    from .base import Rule


@dataclass(frozen=True)
class PiiMatch:
    start: int
    end: int
    value: str  # normalised (digits only, lower-case address...)
    sample: bool = False  # a published test or example value (4242 4242 4242 4242, GB82WEST...)


# -- which output text to scan ------------------------------------------------------

_SKIP_MIME_PREFIX = ("application/javascript", "application/vnd.plotly", "application/vnd.vega",
                     "application/vnd.bokeh", "application/vnd.jupyter", "application/vnd.holoviews",
                     "application/geo+json", "text/vnd.")
def _blank_blocks(text: str) -> str:
    """Blank ``<script>...</script>`` and ``<style>...</style>`` (an unclosed one runs to the end), in one pass."""
    low = text.lower()
    if "<script" not in low and "<style" not in low:
        return text
    parts: list[str] = []
    i = 0
    while True:
        starts = [k for k in (low.find("<script", i), low.find("<style", i)) if k >= 0]
        if not starts:
            break
        a = min(starts)
        tag = "</script" if low.startswith("<script", a) else "</style"
        b = low.find(tag, a)
        b = len(text) if b < 0 else (low.find(">", b) + 1 or len(text))
        parts.append(text[i:a])
        parts.append(" " * (b - a))
        i = b
    parts.append(text[i:])
    return "".join(parts)


def scannable(view: "TextView") -> str | None:
    """The output text with script and style blocks blanked (offsets kept); None to skip it."""
    memo = getattr(view, "memo", None)
    if memo is not None and "pii.scannable" in memo:  # computed once per text for all PII rules
        return memo["pii.scannable"]
    label = view.label or ""
    body = None if label.startswith(_SKIP_MIME_PREFIX) else _blank_blocks(view.text)
    if memo is not None:
        memo["pii.scannable"] = body
    return body


# -- reporting ----------------------------------------------------------------------


MAX_LINES_PER_OUTPUT = 20


def _plural(noun: str, n: int) -> str:
    return noun if n == 1 else noun + "s"


def keep_samples_in_tables(text: str, matches: list[PiiMatch], label: str) -> list[PiiMatch]:
    """Published test and example values are dropped in prose and logs, but kept in a table:
    a column of card numbers is a card column whatever its values."""
    return [m for m in matches if not m.sample or looks_tabular(text, m.start, label)]


def report_matches(rule: "Rule", ctx: "CellContext", text: str, matches: list[PiiMatch], noun: str,
                   severity=None, extra: str = "") -> None:
    """One finding per output line that has matches, spanning all of them on that line (so each is
    masked wherever the line is shown). After MAX_LINES_PER_OUTPUT lines, the last finding counts the rest."""
    if not matches:
        return
    matches = sorted(matches, key=lambda m: m.start)
    lines: list[list[PiiMatch]] = []
    line_end = -1
    for m in matches:
        if m.start > line_end:
            lines.append([])
            line_end = text.find("\n", m.start)
            line_end = len(text) if line_end < 0 else line_end
        lines[-1].append(m)
    total = len({m.value for m in matches})
    for i, group in enumerate(lines[:MAX_LINES_PER_OUTPUT]):
        n = len({m.value for m in group})
        message = f"{n} {_plural(noun, n)} in a cell output{extra}"
        if total > n:
            message += f" ({total} in this output)"
        if i == MAX_LINES_PER_OUTPUT - 1 and len(lines) > MAX_LINES_PER_OUTPUT:
            message += f"; {len(lines) - MAX_LINES_PER_OUTPUT} more lines not listed"
        ctx.report_offsets(rule, group[0].start, max(m.end for m in group), message, severity=severity)


def report_found(rule: "Rule", ctx: "CellContext", view: "TextView", find: Callable[[str], list[PiiMatch]],
                 noun: str, needle: str | None = None) -> None:
    """The whole check of a rule that reports every match of one format in an output: the
    :func:`scannable` text (skipped when ``needle`` is not in it), published samples kept only
    in tables (:func:`keep_samples_in_tables`), one finding per line (:func:`report_matches`)."""
    body = scannable(view)
    if body is None or (needle is not None and needle not in body):
        return
    report_matches(rule, ctx, body, keep_samples_in_tables(body, find(body), view.label), noun)


# -- helpers --------------------------------------------------------------------------


def _line_at(text: str, pos: int) -> str:
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    return text[a:] if b < 0 else text[a:b]


def looks_tabular(text: str, pos: int, label: str) -> bool:
    """Is the value at ``pos`` a cell of a table: an HTML table, a DataFrame repr, CSV or JSON records?"""
    if label == "text/html":
        before = text[max(0, pos - 200):pos].lower()
        return "<td" in before or "<th" in before
    line = _line_at(text, pos)
    if re.match(r"^\s*\d+\s{2,}\S", line) and len(re.findall(r"\S+", line)) >= 3:
        return True  # "0   alice@corp.com   Alice   34"
    if line.count(",") >= 2 or line.count("\t") >= 2 or line.count("|") >= 3:
        return True
    return bool(re.search(r"['\"](?:e-?mail|email_address|mail|phone|ssn|iban|card)[\w ]*['\"]\s*:", line, re.I))


def finditer_lines(rx: re.Pattern, gates: tuple[re.Pattern, ...], text: str) -> Iterator[re.Match]:
    """``rx.finditer(text)``, run only on the lines where one of ``gates`` matches (and those up to
    1000 characters after them). The same matches when (1) no match of
    ``rx`` holds a newline, (2) ``rx``'s lookarounds read end of string as they read a newline
    (lookbehinds see the text before ``pos`` anyway), (3) every match of ``rx`` contains a match of
    a gate (then its line does). tests/rules/test_pii_fast_path.py checks each use."""
    find, rfind, n = text.find, text.rfind, len(text)
    hits = [g.search(text) for g in gates]  # the next match of each gate
    first = min((h.start() for h in hits if h is not None), default=-1)
    while first >= 0:
        # whole lines, from the gated one to the one 1000 characters further (a text gated on every
        # line costs one finditer per 1000 characters, not one per line)
        a = rfind("\n", 0, first) + 1
        b = find("\n", first + 1000)
        b = n if b < 0 else b
        yield from rx.finditer(text, a, b)
        hits = [h if h is None or h.start() > b else g.search(text, b) for g, h in zip(gates, hits)]
        first = min((h.start() for h in hits if h is not None), default=-1)


# -- e-mail addresses ----------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.%+\-/])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
                   r"[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24})(?![\w\-@]|\.[A-Za-z0-9])")
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "js", "css", "py", "txt", "csv", "json",
                        "html", "htm", "md", "pdf", "zip", "gz", "tar", "ipynb", "h5", "pt", "bin", "whl", "so", "dll",
                        "yaml", "yml", "xml", "pkl", "npy", "npz", "onnx", "ckpt", "safetensors", "parquet", "log",
                        "sh", "exe", "jar", "mp3", "mp4", "wav", "avi", "mov", "tif", "tiff", "ico", "woff", "ttf",
                        "map", "lock", "toml", "cfg", "ini", "rst", "tex", "bib", "tsv", "jsonl", "model", "local",
                        "internal", "localdomain", "lan", "home", "corp", "test", "invalid", "example", "localhost"})
_DUMMY_DOMAINS = re.compile(
    r"(?:^|\.)(?:example\.(?:com|org|net|edu)|test\.com|domain\.com|email\.com|company\.com|yourcompany\.com"
    r"|yourdomain\.com|mydomain\.com|mycompany\.com|acme\.(?:com|org|corp)|sample\.com|foo\.(?:com|org)"
    r"|bar\.com|foobar\.com|xyz\.com|abc\.com|host\.com|server\.com|website\.com|site\.com|mail\.test"
    r"|users\.noreply\.github\.com|noreply\.github\.com|gserviceaccount\.com|amazonaws\.com|sentry\.io)$", re.I)
_ROLE_LOCAL = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|notifications?|mailer-daemon|postmaster|hostmaster|webmaster|support"
    r"|info|admin|administrator|root|contact|hello|team|sales|help|security|privacy|abuse|jobs|careers|press"
    r"|feedback|billing|legal|office|service|services|enquiries|inquiries|marketing|dev|developers?|git|ubuntu"
    r"|ec2-user|jupyter|jovyan|user|username|name|email|you|your\.?name|your[_.\-]?email|firstname\.lastname"
    r"|first\.last|john\.?doe|jane\.?doe|test|tester|example|someone|somebody|me|nobody|bot|[a-z]*-?bot)"
    r"(?:\+[\w.\-]*)?$", re.I)
_META_LINE = re.compile(
    r"author|maintainer|copyright|\(c\)|©|contact|report bugs|bug reports|signed-off-by|co-authored-by|mailto:"
    r"|license|home-?page|cloning into|git@|ssh|committer|from:|reply-to|^\s*to:|^\s*cc:|__email__|credits",
    re.I)


def find_emails(text: str) -> list[PiiMatch]:
    """Addresses that may belong to a person: not role accounts, test or service domains, git
    remotes, URL user names, file names (``img@2x.png``), or package and licence metadata lines."""
    if "@" not in text:
        return []
    out = []
    for m in EMAIL.finditer(text):
        addr = m.group()
        local, _, domain = addr.partition("@")
        if m.group("tld").lower() in _FILE_TLDS or _DUMMY_DOMAINS.search(domain) or _ROLE_LOCAL.match(local):
            continue
        before = text[max(0, m.start() - 3):m.start()]
        if "//" in before or before.endswith((":", "/")):
            continue  # https://user@host, ssh://git@host
        if _META_LINE.search(_line_at(text, m.start())):
            continue
        out.append(PiiMatch(m.start(), m.end(), addr.lower()))
    return out


# -- US social security numbers --------------------------------------------------------

SSN = re.compile(r"(?<![\w\-./:])(?P<a>\d{3})-(?P<g>\d{2})-(?P<s>\d{4})(?![\w\-]|[./:]\d)")
# every SSN match holds "-<2 digits>-" (the pattern's middle, same \d): a fast literal-led search
_SSN_GATE = re.compile(r"-\d{2}-")
_SSN_SAMPLES = frozenset({"078051120", "219099999", "123456789", "987654320", "111223333"})


def valid_ssn(number: str) -> bool:
    """The SSA's rules (python-stdnum): area 001-899 except 666, group 01-99, serial 0001-9999.
    stdnum also rejects a few famous published numbers (078-05-1120...); those stay findable as
    ``sample`` values, which count in tables only (see :func:`keep_samples_in_tables`)."""
    from stdnum.us import ssn

    return ssn.is_valid(number) or number.replace("-", "") in _SSN_SAMPLES


def find_ssns(text: str) -> list[PiiMatch]:
    """Valid SSNs; famous samples (``078-05-1120``, ``123-45-6789``) and repeated digits are marked ``sample``."""
    if "-" not in text or _SSN_GATE.search(text) is None:
        return []
    out = []
    for m in SSN.finditer(text):
        digits = m.group("a") + m.group("g") + m.group("s")
        if valid_ssn(digits):
            out.append(PiiMatch(m.start(), m.end(), digits, digits in _SSN_SAMPLES or len(set(digits)) <= 2))
    return out


# -- payment cards ---------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w.,/:+\-])(?:"
    r"(?P<g4>\d{4}(?P<sep>[ \-])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,4}(?:(?P=sep)\d{1,3})?)"  # 4-4-4-4(-3)
    r"|(?P<g6>\d{4}(?P<sep6>[ \-])\d{6}(?P=sep6)\d{4,5})"  # Amex / Diners 4-6-5, 4-6-4
    r"|(?P<plain>\d{13,19})"
    r")(?![\w,/:\-]|\.\d)")
# every _CARD match holds 4 digits then a separator and 4 more (grouped) or 13 digits (plain)
_CARD_GATE = (re.compile(r"\d{4}(?:[ \-]\d{4}|\d{9})"),)
_TEST_CARDS = frozenset({
    "4111111111111111", "4242424242424242", "4012888888881881", "4222222222222", "4000056655665556",
    "4000000000000002", "4000000000000077", "4000000000003220", "4000002500003155", "4000000000009995",
    "4000000000000069", "4000000000000127", "4000000000000119", "4000000760000002", "4000001240000000",
    "4000000000000341", "4001919257537193", "4007000000027", "4012888818888", "4917610000000000",
    "5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222", "5454545454545454",
    "2223000048400011", "5425233430109903", "378282246310005", "371449635398431", "378734493671000",
    "6011111111111117", "6011000990139424", "6011000400000000", "3530111333300000", "3566002020360505",
    "3566111111111113", "30569309025904", "38520000023237", "36227206271667", "6200000000000005",
    "6205500000000000004", "6011981111111113", "4035501000000008", "4360000001000005",
})


def luhn(digits: str) -> bool:
    from stdnum import luhn as _luhn  # python-stdnum; imported on the first candidate only

    return _luhn.is_valid(digits)


def card_brand(digits: str) -> str | None:
    """The network whose issuer prefix and length the number has (Visa, Mastercard, Amex...)."""
    n = len(digits)
    d2, d3, d4, d6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "Visa"
    if (51 <= d2 <= 55 or 2221 <= d4 <= 2720) and n == 16:
        return "Mastercard"
    if d2 in (34, 37) and n == 15:
        return "American Express"
    if (d4 == 6011 or 644 <= d3 <= 649 or d2 == 65 or 622126 <= d6 <= 622925) and 16 <= n <= 19:
        return "Discover"
    if (300 <= d3 <= 305 or d2 in (36, 38, 39)) and 14 <= n <= 19:
        return "Diners Club"
    if 3528 <= d4 <= 3589 and 16 <= n <= 19:
        return "JCB"
    if d2 == 62 and 16 <= n <= 19:
        return "UnionPay"
    return None


def _array_elements(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` a run of elements of a printed array or tensor rather than one
    number: inside a ``[`` opened earlier on its line (``[ 595  255 6393 6400 4321 9876 ...]``,
    ``tensor([[...``), or between other numbers separated by blanks (a wrapped array's next
    line)? A card number stands on its own, or quoted; a table row's index before it is not an array."""
    if start > 0 and text[start - 1] in "'\"":
        return False  # a string in a list (``['4532015112830366', ...]``): a value, not an element of a tensor
    line_start = text.rfind("\n", 0, start) + 1
    head = text[line_start:start]
    if head.count("[") > head.count("]"):
        return True
    before = text[max(line_start, start - 40):start]
    after = text[end:end + 40]
    return before[-1:] in (" ", "\t") and before.rstrip(" \t")[-1:].isdigit() \
        and after[:1] in (" ", "\t") and after.lstrip(" \t")[:1].isdigit()


def find_cards(text: str) -> list[PiiMatch]:
    """Card numbers: 13-19 digits (plain, or grouped 4-4-4-4 / 4-6-5 with one kind of separator)
    with a known issuer prefix and length, passing Luhn; test cards and repeated digits are ``sample``.
    Plain digit runs are skipped when the text has several that mostly fail Luhn: those are ids."""
    grouped, plain, plain_seen = [], [], 0
    plain_ok = 0
    for m in finditer_lines(_CARD, _CARD_GATE, text):
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        if not 13 <= len(digits) <= 19:
            continue
        if m.group("plain"):
            plain_seen += 1
            if luhn(digits):
                plain_ok += 1
        if not luhn(digits) or card_brand(digits) is None or _array_elements(text, m.start(), m.end()):
            continue
        sample = digits in _TEST_CARDS or len(set(digits)) <= 3
        (plain if m.group("plain") else grouped).append(PiiMatch(m.start(), m.end(), digits, sample))
    if plain_seen >= 3 and plain_ok < 0.8 * plain_seen:
        plain = []  # a column of ids or timestamps, of which about one in ten passes Luhn by chance
    return grouped + plain


# -- IBANs --------------------------------------------------------------------------------

IBAN = re.compile(r"(?<![A-Za-z0-9])(?P<iban>[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?)"
                  r"(?![A-Za-z0-9])")
_IBAN_GATE = (re.compile(r"[A-Z]{2}\d{2}"),)  # how every IBAN match begins
_IBAN_SAMPLES = frozenset({
    "GB82WEST12345698765432", "GB33BUKB20201555555555", "GB29NWBK60161331926819", "DE89370400440532013000",
    "DE44500105175407324931", "FR1420041010050500013M02606", "FR7630006000011234567890189", "NL91ABNA0417164300",
    "ES9121000418450200051332", "CH9300762011623852957", "IT60X0542811101000000123456", "BE68539007547034",
    "AT611904300234573201", "NO9386011117947", "DK5000400440116243", "FI2112345600000785", "SE4550000000058398257466",
    "PL61109010140000071219812874", "PT50000201231234567890154", "IE29AIBK93115212345678", "LU280019400644750000",
})


def iban_ok(iban: str) -> bool:
    """python-stdnum's IBAN check: the country's length and BBAN format (from its registry
    data, kept up to date by the library) and the ISO 13616 mod-97 check digits."""
    from stdnum import iban as _iban

    return _iban.is_valid(iban)


def find_ibans(text: str) -> list[PiiMatch]:
    out = []
    for m in finditer_lines(IBAN, _IBAN_GATE, text):
        compact = m.group("iban").replace(" ", "")
        if iban_ok(compact):
            sample = compact in _IBAN_SAMPLES or len(set(compact[4:])) <= 3
            out.append(PiiMatch(m.start("iban"), m.end("iban"), compact, sample))
    return out


# -- phone numbers ------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w.+\-/:=#])(?:"
    r"(?P<intl>\+[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]\d{1,5}){2,5}|\+[1-9]\d{9,13})"
    r"|(?P<nanp>(?:\(\d{3}\)[ ]?|\d{3}[\-.])\d{3}[\-.]\d{4})"
    r")(?![\w\-]|[.:/]\d)")


# every international match begins "+<1-9>", every North-American one ends "ddd-dddd" or "ddd.dddd"
# (searched from the "+", "-" or "." with a lookbehind: a literal first character makes re fast)
_PHONE_GATE = (re.compile(r"\+[1-9]"), re.compile(r"-(?<=\d\d\d-)\d{4}"), re.compile(r"\.(?<=\d\d\d\.)\d{4}"))
_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})


def _nanp_ok(d: str) -> bool:
    """10 NANP digits: area and exchange codes start 2-9, no N11 area or exchange, and not a
    toll-free number (a business line, not a person's)."""
    area, exch = d[:3], d[3:6]
    if area in _TOLL_FREE:
        return False
    return not (area[0] in "01" or exch[0] in "01" or area[1:] == "11" or exch[1:] == "11")


# National formats with a trunk 0 (UK "020 7946 0321", FR "06 12 34 56 78", DE "030 1234 5678")
# look like any grouped digits, so they count only right after a word that says "phone".
_NATIONAL = re.compile(r"(?<![\w.+\-/:=#])0\d{1,4}(?:[ \-]\d{2,4}){2,4}(?![\w\-]|[.:/]\d)")
# every _NATIONAL match begins so (the trunk 0, then at least two "[ -]<2-4 digits>" groups)
_NATIONAL_GATE = (re.compile(r"0\d{1,4}[ \-]\d{2,4}[ \-]\d\d"),)
_PHONE_WORD = re.compile(r"(?:phone|tel|telephone|mobile|cell|call(?:\s+(?:back|me|us))?(?:\s+(?:on|at))?|fax|whatsapp"
                         r"|contact|ring|sms|text\s+(?:me|us))\.?\s*(?:no\.?|number|nr\.?|#)?\s*[:=]?\s*$", re.I)
# Numbers set aside for fiction and examples: Ofcom's drama ranges.
_NATIONAL_SAMPLES = re.compile(r"^(?:0207946|0117496|01214960|01314960|01154960|01614960|07700900)")


# A row that names an organisation before its number lists a business line, not a person's
# (OpenStreetMap amenities, Places API results, supplier tables).
_ORGANISATION = re.compile(
    r"\b(?:hospital|clinic|pharmacy|hotel|restaurant|caf[eé]|school|university|college|bank|museum|library"
    r"|airport|police|embassy|consulate|ministry|council|inc|ltd|llc|gmbh|plc|corp(?:oration)?|company)\b\.?", re.I)


def _business_line(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return bool(_ORGANISATION.search(text, line_start, pos))


def find_phones(text: str) -> list[PiiMatch]:
    """Phone numbers in strict formats only: ``+<country> ...`` with separators (8-15 digits) or
    unseparated E.164, North-American ``(415) 555-2671`` / ``415-555-2671`` / ``415.555.2671``
    with valid area and exchange codes (the fictional 555-01xx are ``sample``), and national
    numbers with a trunk 0 (``020 7946 0321``, ``06 12 34 56 78``) only right after a word such
    as "phone", "tel" or "call back on". Bare digit runs (ids, counts) are never phone numbers here,
    and a number after an organisation's name on its line ("Civil Hospital ... +92 71 9310 056")
    is a business line."""
    out = [m for m in _find_phones(text) if not _business_line(text, m.start)]
    return out


def dialable(raw: str, region: str | None = None) -> bool:
    """Is ``raw`` a number its numbering plan assigns (Google's libphonenumber metadata, offline,
    through the ``phonenumbers`` package)? ``region`` reads a number written without ``+``
    ("US" for the North-American formats). Unassigned country codes, lengths and prefixes fail:
    digit groups that only look like a phone number. (A national number with a trunk 0 names
    no country, and one of the world's plans or another assigns almost any such digits, so
    those are judged by the word before them instead.)"""
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False


def _find_phones(text: str) -> list[PiiMatch]:
    out = []
    for m in finditer_lines(_NATIONAL, _NATIONAL_GATE, text):
        digits = re.sub(r"\D", "", m.group())
        if not 10 <= len(digits) <= 12:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if not _PHONE_WORD.search(text[max(line_start, m.start() - 40):m.start()]):
            continue
        out.append(PiiMatch(m.start(), m.end(), digits, bool(_NATIONAL_SAMPLES.match(digits))))
    for m in finditer_lines(_PHONE, _PHONE_GATE, text):
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        nanp = digits[-10:] if m.group("nanp") or digits.startswith("1") else None
        if m.group("nanp"):
            if "." in raw and "-" in raw:
                continue
        elif not 8 <= len(digits) <= 15 or (digits.startswith("1") and len(digits) != 11):
            continue
        if nanp is not None and not _nanp_ok(nanp):
            continue
        if not dialable(raw, None if raw.startswith("+") else "US"):
            continue
        sample = len(set(digits)) <= 3 or (nanp is not None and nanp[3:6] == "555" and nanp[6:8] == "01")
        out.append(PiiMatch(m.start(), m.end(), digits, sample))
    return out


def distinct(matches: Iterable[PiiMatch]) -> int:
    return len({m.value for m in matches})
