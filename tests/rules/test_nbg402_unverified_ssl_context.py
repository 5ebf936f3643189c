import pytest
from helpers import codes, lint, nb


def fired(*cells):
    return codes(lint(nb(*cells), "NBG402"))


def findings(*cells):
    return lint(nb(*cells), "NBG402").findings


@pytest.mark.parametrize("source, severity", [
    ("import ssl\nssl._create_default_https_context = ssl._create_unverified_context", "high"),
    ("import ssl\nctx = ssl._create_unverified_context()", "high"),
    ("import ssl, urllib.request\nurllib.request.urlopen(u, context=ssl._create_unverified_context())", "high"),
    ("from ssl import _create_unverified_context as unverified\nctx = unverified()", "high"),
    ("import ssl\nctx = ssl.create_default_context(); ctx.check_hostname = False", "high"),
    ("import ssl\nctx.verify_mode = ssl.CERT_NONE", "high"),
    ("from ssl import CERT_NONE\nctx.verify_mode = CERT_NONE", "high"),
    ("import ssl\ns = ssl.wrap_socket(sock)", "high"),
    ("import ssl\ns = ssl.wrap_socket(sock, cert_reqs=ssl.CERT_NONE)", "high"),
    ("import ssl\nctx = ssl.SSLContext(ssl.PROTOCOL_TLSv1)", "medium"),
    ("import ssl\nctx.minimum_version = ssl.TLSVersion.TLSv1_1", "medium"),
    ("from OpenSSL import SSL\nctx = SSL.Context(SSL.SSLv3_METHOD)", "medium"),
])
def test_unverified_or_weak(source, severity):
    found = findings(source)
    assert [(f.cell, f.line, f.severity.label) for f in found] == [(0, 2, severity)]


def test_global_patch_through_an_alias_in_try_else():
    source = ("import ssl\n"
              "try:\n"
              "    _create_unverified_https_context = ssl._create_unverified_context\n"
              "except AttributeError:\n"
              "    pass\n"
              "else:\n"
              "    ssl._create_default_https_context = _create_unverified_https_context")
    assert fired(source) == [("NBG402", 0, 7)]


def test_patch_in_a_later_cell():
    assert fired("import ssl", "x = 1", "ssl._create_default_https_context = ssl._create_unverified_context") \
        == [("NBG402", 2, 1)]


@pytest.mark.parametrize("source", [
    "import ssl\nctx = ssl.create_default_context()",
    "import ssl, certifi\nctx = ssl.create_default_context(cafile=certifi.where())",
    "import ssl, certifi\nssl._create_default_https_context = lambda: ssl.create_default_context(cafile=certifi.where())",
    "import ssl\nctx.check_hostname = True",
    "import ssl\nctx.verify_mode = ssl.CERT_REQUIRED",
    "import ssl\nctx.minimum_version = ssl.TLSVersion.TLSv1_2",
    "import ssl\nctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
    "import ssl\ns = ssl.wrap_socket(sock, cert_reqs=ssl.CERT_REQUIRED, ca_certs='ca.pem')",
    "import ssl\n# ssl._create_default_https_context = ssl._create_unverified_context",
    "import ssl\nif ctx.verify_mode == ssl.CERT_NONE:\n    print('unverified')",
])
def test_not_a_finding(source):
    assert fired(source) == []
