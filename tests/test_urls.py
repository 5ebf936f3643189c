"""The one URL/host helper (nbguard/rules/_hosts.py) on its own: schemes, authorities with
userinfo, IPv6 literals and ports, DSN host lists, and the two meanings of a near host
(local: this machine or a single-label name; internal: also cluster/LAN-only names)."""

import pytest

from nbguard.rules._hosts import (
    authority_hosts,
    host_scope,
    is_internal_host,
    is_local_host,
    is_url,
    split_host,
    split_url,
    url_host,
)
from nbguard.rules._urls import parse_url


@pytest.mark.parametrize("text, expected", [
    ("https://a.org/x", ("https", "a.org", True)),
    ("  HTTP://A.org?q", ("http", "A.org", True)),  # scheme lower-cased, authority as written
    ("git+ssh://git@github.com:o/r", ("git+ssh", "git@github.com:o", True)),
    ("s3://bucket", ("s3", "bucket", False)),  # nothing after the authority: its end is not certain
    ("ftp://", ("ftp", "", False)),
])
def test_split_url(text, expected):
    assert split_url(text) == expected


@pytest.mark.parametrize("text", ["a.org/x", "://x", "1http://x", "mailto:me@x.org", "C:\\x", ""])
def test_no_url(text):
    assert split_url(text) is None and not is_url(text)


@pytest.mark.parametrize("hostport, expected", [
    ("a.org", ("a.org", False)), ("a.org:80", ("a.org", True)), ("[::1]:8888", ("::1", True)),
    ("[fe80::1%25eth0]", ("fe80::1%25eth0", True)), ("[::1", ("[::1", False)), ("", ("", False)),
])
def test_split_host(hostport, expected):
    assert split_host(hostport) == expected


def test_authority_hosts_skip_userinfo_and_list_every_host():
    assert authority_hosts("user:p@ss@DB1:5432,db2:5433,[::1]") == ["db1", "db2", "::1"]
    assert authority_hosts("%2Fvar%2Frun") == ["%2fvar%2frun"]  # a unix socket path, kept for the caller


@pytest.mark.parametrize("url, host", [
    ("https://user:pw@Example.org:8080/x", "example.org"),
    ("http://[::1]:8000/", "::1"),
    ("git+https://github.com/o/r.git@v1", "github.com"),
    ("pypi.org/simple", ""),  # no scheme: no authority
    ("http://[::1/", ""),  # unbalanced brackets: urllib rejects it
])
def test_url_host(url, host):
    assert url_host(url) == host


@pytest.mark.parametrize("host, scope", [
    ("localhost", "local"), ("127.0.0.5", "local"), ("[::1]", "local"), ("0.0.0.0", "local"),
    ("169.254.169.254", "local"), ("host.docker.internal", "local"), ("printer.local", "local"),
    ("mlflow", "local"), ("", "local"),  # single-label (in-cluster service) names; unknown-empty counts as near
    ("minio-service.kubeflow", "internal"), ("db.default.svc", "internal"), ("nas.lan", "internal"),
    ("localhost.", "internal"), ("git.corp", "internal"),
    ("example.org", "public"), ("10.0.0.5", "public"), ("pypi.org", "public"), ("2001:db8::1", "public"),
])
def test_host_scope_and_its_two_predicates(host, scope):
    assert host_scope(host) == scope
    assert is_local_host(host) == (scope == "local")
    assert is_internal_host(host) == (scope != "public")


@pytest.mark.parametrize("text, partial, host, known", [
    ("http://data.org/file.csv", False, "data.org", True),
    ("http://data.org", True, "", False),  # an f-string's known start: the host may go on
    ("http://data.org:8080", True, "data.org", True),  # a port ends it
    ("http://[::1]", True, "::1", True),
    ("http://u:pw@h.org/x", False, "h.org", True),
])
def test_parse_url_reads_known_prefixes_with_the_same_helper(text, partial, host, known):
    info = parse_url(text, partial)
    assert (info.host, info.host_known) == (host, known)


def test_parse_url_local_means_internal():
    assert parse_url("http://minio-service.kubeflow:9000/b").local
    assert not parse_url("http://data.example.net/x").plaintext  # documentation domains are placeholders
    assert parse_url("http://archive.ics.uci.edu/x").plaintext
