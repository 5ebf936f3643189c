"""The token scanner's prefilters (anchor gates, the Discord gate) must not lose a match:
what scan() finds equals what running every candidate pattern by the flat anchor test finds."""
import dataclasses
import itertools
import random

import pytest

from nbguard.rules import _tokens
from nbguard.rules._tokens import patterns, scan


def _flat_candidates(text):
    patterns()
    idx = set(_tokens._always)
    for a in _tokens._anchors:
        if a in text:
            idx.update(_tokens._by_anchor[a])
    return sorted(idx)


def _slow_scan(text, monkeypatch):
    """scan() as it was before the prefilters: the flat anchor test, no gates."""
    with monkeypatch.context() as m:
        m.setattr(_tokens, "_candidates", _flat_candidates)
        m.setattr(_tokens, "_table", [dataclasses.replace(p, gate=None) for p in patterns()])
        return _fast_scan(text)


def _fast_scan(text):
    return [(m.provider, m.start, m.end) for m in scan(text)]


A32 = "Zq7" + "xW2mN5bV8cK1pL4rT6yU9iO3eA0sD7fG"  # mixed letters/digits
SAMPLES = {
    "Hugging Face access token": "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi",
    "Hugging Face organization token": "api_org_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi",
    "OpenAI API key": "sk-proj-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx",
    "OpenAI legacy key": "sk-" + "Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx1a2",
    "Anthropic API key": "sk-ant-api03-" + ("Ab1-" * 24),
    "Google API key": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q",
    "Google OAuth client secret": "GOCSPX-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9s",
    "Replicate API token": "r8_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y",
    "Groq API key": "gsk_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6Gh7i",
    "GitHub fine-grained token": "github_pat_" + ("Ab1Cd2Ef3G_" * 8)[:82],
    "Databricks token": "dapi" + "0123456789abcdef0123456789abcdef",
    "Pinecone API key": "pcsk_" + "Ab1Cd2_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6",
    "LangSmith API key": "lsv2_pt_" + "0123456789abcdef0123456789abcdef" + "_0123456789",
    "Perplexity API key": "pplx-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5Ef6",
    "xAI API key": "xai-" + ("Ab1Cd2Ef3G" * 8),
    "NVIDIA API key": "nvapi-" + ("Ab1Cd2Ef3G-_" * 5) + "Ab1C",
    "Tavily API key": "tvly-dev-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv",
    "Notion integration token": "ntn_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4Cd5E",
    "Stripe test key": "sk_test_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8",
    "Stripe live key": "sk_live_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8",
    "Slack app token": "xapp-1-A0123ABCDEF-1234567890123-0123456789abcdef",
    "Slack bot token": "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "Slack webhook": "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/AbCdEfGhIjKlMnOpQrStUvWx",
    "W&B key": "wandb login 0123456789abcdef0123456789abcdef01234567",
    "W&B env": "WANDB_API_KEY=0123456789abcdef0123456789abcdef01234567",
    "Azure connection string": "AccountKey=" + ("Ab1+Cd2/" * 11)[:86] + "==",
    "Kaggle json": '{"username":"tomasz_k","key":"8baa7196b50ac2f86702824c1c099724"}',
    "Kaggle env": "KAGGLE_KEY=8baa7196b50ac2f86702824c1c099724",
    "AWS access key": "AKIA" + "Z7QWERTYUIOPASDF",
    "AWS secret": "aws_secret_key = '" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3A" + "'",
    "GitHub token": "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
    "GitLab token": "glpat-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7",
    "GitLab runner": "GR1348941" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7",
    "PyPI token": "pypi-AgEIcHlwaS5vcmc" + ("Ab1Cd2Ef3G" * 8),
    "private key": "-----BEGIN RSA PRIVATE KEY-----",
    "PuTTY key": "PuTTY-User-Key-File-2: ssh-rsa",
    "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "SendGrid": "SG." + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7O" + "." + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4C",
    "OpenAI T3Blbk": "sk-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn" + "T3BlbkFJ" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn",
    # the id segment is 24-26 characters and the Telegram secret 35: a longer run is not one token
    "Discord bot token": "MTA" + "xMjM0NTY3ODkwMTIzNDU2" + ".Gh4Ij5." + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9",
    "Discord webhook": "https://discord.com/api/webhooks/1234567890123456789/" + ("AbCdEfGhIj" * 7),
    "Square": "sq0csp-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3Ab4C",
    "npm": "//registry.npmjs.org/:_authToken=npm_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y",
    "Mailchimp": "0123456789abcdef0123456789abcdef-us12",
    "Telegram": "1234567890:AA" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1",
    "Twilio API key": "SK" + "0123456789abcdef0123456789abcdef",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("wrap", ["{}", 'x = "{}"\n', "print(1)\nkey: {} # end", "<td>{0}</td><td>{0}</td>"])
def test_each_provider_format_found_by_fast_path(name, wrap, monkeypatch):
    text = wrap.format(SAMPLES[name])
    fast = _fast_scan(text)
    assert fast == _slow_scan(text, monkeypatch)
    assert fast, f"{name} not found in {text!r}"


def test_candidates_equal_flat_anchor_test():
    patterns()
    anchors = list(_tokens._anchors)
    texts = ["", "plain prose without any of them", "-", "_", "A", "sk", "sk-", "AC"]
    texts += anchors
    texts += [f"x {a} y" for a in anchors]
    texts += [a + b for a, b in itertools.permutations(anchors, 2)]
    rnd = random.Random(7)
    alphabet = "".join(sorted(set("".join(anchors)))) + " \n"
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 60))) for _ in range(3000)]
    for t in texts:
        assert _tokens._candidates(t) == _flat_candidates(t), t


def test_every_anchor_is_found():
    patterns()
    assert _tokens._anchors_in("\n".join(_tokens._anchors), _tokens._any_anchor, _tokens._by_pivot) == set(_tokens._anchors)
    for a in _tokens._anchors:
        assert _tokens._anchors_in(f"({a})", _tokens._any_anchor, _tokens._by_pivot) == {b for b in _tokens._anchors if b in a}


def test_discord_gate_is_necessary():
    table = patterns()
    (p,) = [p for p in table if p.source == "detect-secrets:DiscordBotTokenDetector"]
    if p.gate is None:
        pytest.skip("installed detect-secrets ships another Discord pattern")
    rnd = random.Random(3)
    chars = "MNOab12_-." + "".join(chr(c) for c in range(0x660, 0x66a))  # Arabic-Indic digits match \\d
    for _ in range(20000):
        t = "".join(rnd.choice(chars) for _ in range(rnd.randint(30, 90)))
        if p.regex.search(t):
            assert p.gate.search(t), t


def _anchor_texts(anchors, seed):
    """Texts near the anchors: anchors cut, overlapped, glued and mutated, and random soup."""
    rnd = random.Random(seed)
    alphabet = "".join(sorted(set("".join(anchors)))) + " \n\u212a\u017f"  # Kelvin K, long s
    texts = list(anchors) + [a[:-1] for a in anchors] + [a[1:] for a in anchors]
    for _ in range(4000):
        a, b = rnd.choice(anchors), rnd.choice(anchors)
        k = rnd.randint(0, min(len(a), len(b)))
        t = a + b[k:] if a.endswith(b[:k]) else a[: rnd.randint(0, len(a))] + b[rnd.randint(0, len(b)):]
        t = list(t)
        for _ in range(rnd.randint(0, 2)):  # mutate a character or two
            if t:
                t[rnd.randrange(len(t))] = rnd.choice(alphabet)
        texts.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 5))) + "".join(t))
    texts += ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 80))) for _ in range(4000)]
    return texts


@pytest.mark.parametrize("pivots", [_tokens._PIVOTS, "", "-_", "".join(reversed(_tokens._PIVOTS)), "abcdefsuKE"])
def test_any_anchor_regex_is_the_flat_anchor_test(pivots):
    """search() finds something exactly when an anchor occurs, and _anchors_in() finds which ones
    (overlapping ones included), whatever the pivot characters."""
    patterns()
    anchors = tuple(_tokens._anchors)
    rx = _tokens._any_anchor_regex(anchors, pivots)
    by_pivot = _tokens._pivot_groups(anchors, pivots)
    for t in _anchor_texts(anchors, seed=len(pivots)):
        assert (rx.search(t) is not None) == any(a in t for a in anchors), t
        assert _tokens._anchors_in(t, rx, by_pivot) == {a for a in anchors if a in t}, t
