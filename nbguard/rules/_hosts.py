"""URLs and hosts, the one place every rule reads them from: the scheme, the hosts of an
authority (``user:pw@[::1]:5432,db2:5433``), and how near a host is.

Two meanings of "near", both answered by :func:`host_scope`:

* ``"local"`` (:func:`is_local_host`): this machine or its own network edge -- loopback,
  ``0.0.0.0``, link-local metadata, the docker host, ``*.local`` / ``*.localhost`` /
  ``*.internal``, and single-label names (``http://mlflow:5000``, an in-cluster service);
* ``"internal"`` (:func:`is_internal_host` is local or internal): a name that only resolves
  inside a cluster or a LAN (``minio-service.kubeflow``, ``db.svc``, ``nas.lan``).

Anything else is ``"public"``. Nothing here touches the network.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# scheme://  (RFC 3986 scheme characters); match at the URL's first non-blank character
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")


def is_url(text: str) -> bool:
    """Does ``text`` start with ``scheme://``?"""
    return SCHEME.match(text) is not None


def split_url(text: str) -> tuple[str, str, bool] | None:
    """(scheme in lower case, the authority, whether a ``/?#`` ended it) of ``scheme://authority...``
    (leading blanks skipped), or None when ``text`` is no URL."""
    m = SCHEME.match(text, len(text) - len(text.lstrip()))
    if not m:
        return None
    rest = text[m.end():]
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=-1)
    return m.group(1).lower(), (rest if cut < 0 else rest[:cut]), cut >= 0


def split_host(hostport: str) -> tuple[str, bool]:
    """The host of ``host``, ``host:port`` or ``[v6]:port`` (as written), and whether its end is
    certain (a port or a closing ``]`` follows it)."""
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        return (hostport[1:end], True) if end > 0 else (hostport, False)
    if ":" in hostport:
        return hostport.split(":", 1)[0], True
    return hostport, False


def authority_hosts(authority: str) -> list[str]:
    """The hosts (lower case) of an authority, past its ``user:password@``; libpq and MongoDB
    accept a comma-separated list (``h1:5432,h2:5432``)."""
    return [split_host(h.strip())[0].lower() for h in authority.rsplit("@", 1)[-1].split(",")]


def url_host(url: str) -> str:
    """The host of a whole URL in lower case (``https://user@Example.org:8080/x`` -> ``example.org``),
    read as urllib reads it -- and so pip, requests and git, which the rules asking this judge;
    "" when there is none or urllib rejects the URL. (:func:`split_url` / :func:`split_host` read the
    known start of a URL, or a DSN's authority, where urllib would raise or guess.)"""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal",
                             "169.254.169.254", "metadata.google.internal", "ip6-localhost"})
# Last labels of names that only resolve inside a cluster or a LAN: Kubernetes
# "<service>.<namespace>" (minio-service.kubeflow, kfserving-ingressgateway.istio-system)
# and the pseudo-TLDs of home and corporate networks. Real public suffixes never end so.
_INTERNAL_LABELS = frozenset({"svc", "cluster", "kubeflow", "istio-system", "kube-system", "default", "lan", "home",
                              "corp", "intranet", "localdomain", "private", "internal", "local", "localhost"})


def _local(h: str) -> bool:
    if not h:
        return True
    if h in _LOOPBACK_HOSTS or h.startswith("127.") or h.endswith((".local", ".localhost", ".internal")):
        return True
    return "." not in h and ":" not in h  # single-label, in-cluster service names: http://mlflow:5000


def host_scope(host: str) -> str:
    """``"local"``, ``"internal"`` or ``"public"`` (see the module's docstring); "" counts as local."""
    h = host.lower().strip("[]")
    if _local(h):
        return "local"
    h = h.rstrip(".")  # a fully qualified "localhost." is the same name
    if _local(h.strip("[]")) or h.rsplit(".", 1)[-1] in _INTERNAL_LABELS:
        return "internal"
    return "public"


def is_local_host(host: str) -> bool:
    """Loopback, link-local metadata, docker host, ``*.local``, bare names (``mlflow``): ``host_scope == "local"``."""
    return host_scope(host) == "local"


def is_internal_host(host: str) -> bool:
    """A local host or a cluster/LAN-only name such as ``minio-service.kubeflow``: ``host_scope != "public"``."""
    return host_scope(host) != "public"
