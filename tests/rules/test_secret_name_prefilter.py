"""secret_name_kind answers most names with one search (_NAME_WORD) before the name regexes:
it must give the same answer as the full test on every name."""

import itertools
import random

import pytest

from nbguard.rules import _filters
from nbguard.rules.secrets._shared import PROVIDER_ENV, _NAME_WORD, secret_name_kind


def _full(name: str) -> str | None:  # secret_name_kind without the prefilter
    if not name or _filters.is_hash_name(name):
        return None
    if name.upper() in PROVIDER_ENV:
        return "secret"
    if _filters.is_secret_name(name):
        return "password" if _filters.is_password_name(name) else "secret"
    if _filters.is_key_name(name):
        return "weak"
    return None


def _alternatives() -> list[str]:
    """The literal words of SECRET_NAME's middle group, and their variants (api_key, apiKey...)."""
    words = ["pass", "password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "api_key", "api-key",
             "accesskey", "access_key", "authkey", "auth_key", "credential", "credentials", "privatekey",
             "private_key", "clientsecret", "client_secret", "bearer", "signingkey", "signing_key", "key"]
    return words


NAMES = sorted({
    *(f"{pre}{w}{post}" for w in _alternatives() for pre, post in itertools.product(
        ("", "my_", "DB_", "x.", "openai", "HF_", "use_"), ("", "_file", "s", "1", "_value", "Key", "_ID"))),
    *(w.upper() for w in _alternatives()), *(w.title().replace("_", "") for w in _alternatives()),
    *PROVIDER_ENV, *(n.lower() for n in PROVIDER_ENV),
    "subscriptionKey", "KAGGLE_KEY", "openai_key", "x", "df", "model_name", "tokens", "passenger", "bypass",
    "ſecret", "api_\u212aey", "\u212aey", "paſſword", "tokenizer", "max_tokens", "revision", "file_hash",
    "monkey", "keyboard", "turkey", "Bearer", "pwdx", "db_pass", "PWD",
    *("".join(random.Random(i).choice("abcdeKkpPsStTwWy_-.0") for _ in range(random.Random(-i).randint(1, 14)))
      for i in range(3000)),
})


@pytest.mark.parametrize("name", NAMES)
def test_prefilter_gives_the_full_answer(name):
    assert secret_name_kind(name) == _full(name)


def test_every_match_of_the_name_regexes_contains_a_prefilter_word():
    for name in NAMES:
        if _filters.SECRET_NAME.search(name) or _filters._KEY_NAME.search(name):
            assert _NAME_WORD.search(name), name
