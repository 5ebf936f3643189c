"""The PII finders run their regexes only on the lines where a cheaper gate matches
(nbguard.rules._pii.finditer_lines): that must give exactly the matches of the whole-text scan."""
import random

import pytest

from nbguard.rules import _pii

USES = {
    "card": (_pii._CARD, _pii._CARD_GATE),
    "iban": (_pii.IBAN, _pii._IBAN_GATE),
    "phone": (_pii._PHONE, _pii._PHONE_GATE),
    "national": (_pii._NATIONAL, _pii._NATIONAL_GATE),
}
# digits (ASCII and Arabic-Indic, which \d matches too), every separator and boundary the patterns use
ALPHABET = "0123456789" * 4 + "\u0663\u0660" + "  --..++()/:=#,_\n\nAZGBDEx\t"


def _texts(seed, n=6000):
    rnd = random.Random(seed)
    samples = ["4111 1111 1111 1111", "4242-4242-4242-4242", "378282246310005", "3782 822463 10005",
               "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "+44 20 7946 0958", "+14155552671",
               "(415) 555-2671", "415-555-2671", "415.555.2671", "020 7946 0321", "06 12 34 56 78",
               "+1 (415) 555-2671", "+33 (0) 6 12 34 56 78"]
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 6)):
            if rnd.random() < 0.4:
                s = list(rnd.choice(samples))
                for _ in range(rnd.randint(0, 2)):
                    s[rnd.randrange(len(s))] = rnd.choice(ALPHABET)
                parts.append("".join(s))
            else:
                parts.append("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 30))))
        yield "".join(parts)
    for _ in range(n // 20):  # long texts: gated lines far apart, so finditer_lines runs in several windows
        lines = []
        for _ in range(rnd.randint(2, 40)):
            r = rnd.random()
            lines.append("filler text line " * rnd.randint(1, 90) if r < 0.5 else
                         rnd.choice(samples) + rnd.choice(["", " ", "-", ".5", "x"]) if r < 0.8 else
                         "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 30))))
        yield "\n".join(lines)


def _spans(ms):
    return [(m.span(), m.groupdict()) for m in ms]


@pytest.mark.parametrize("use", sorted(USES))
def test_gate_is_in_every_match_and_lines_give_the_same_matches(use):
    rx, gate = USES[use]
    seen = 0
    for text in _texts(sum(map(ord, use))):
        whole = list(rx.finditer(text))
        for m in whole:
            assert "\n" not in m.group() and any(g.search(m.group()) for g in gate), (use, m.group())
        assert _spans(_pii.finditer_lines(rx, gate, text)) == _spans(whole), (use, text)
        seen += len(whole)
    assert seen > 100  # the generator does produce matches to compare


def test_finders_still_find_on_later_lines():
    text = "id  value\n0  1.5\n1  4111 1111 1111 1111\nname: x\ncall me on 020 7946 0321\n+44 20 7946 0958"
    assert [m.value for m in _pii.find_cards(text)] == ["4111111111111111"]
    assert [m.value for m in _pii.find_phones(text)] == ["02079460321", "442079460958"]


def test_nbg103_userinfo_lines_give_the_same_matches():
    from nbguard.rules.secrets import nbg103_credentials_in_url as nbg103

    rnd = random.Random(103)
    pieces = ["://", "@", ":", "https", "postgres", "u", "pw", "host", "/", "?", " ", "\n", "\t", "x", "[::1]", ",", "é"]
    seen = 0
    for _ in range(20000):
        t = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 25)))
        if rnd.random() < 0.5:  # a URL with user info, cut by noise
            t = t[: len(t) // 2] + rnd.choice(["https", "postgres", "s3"]) + "://u" + rnd.choice(["", ":pw"]) \
                + "@" + rnd.choice(["host", "[::1]", "h\nx"]) + t[len(t) // 2:]
        whole = list(nbg103._USERINFO.finditer(t))
        assert _spans(nbg103.userinfo_matches(t)) == _spans(whole), t
        seen += len(whole)
    assert seen > 5000
