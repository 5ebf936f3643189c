import pytest
from helpers import codes, lint, nb

RQ = "import requests\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG405"))


@pytest.mark.parametrize("source", [
    RQ + 'r = requests.get("https://api.example-corp.io/x")',
    RQ + 'r = requests.post("https://api.example-corp.io/x", json=rows)',
    RQ + 'r = requests.request("GET", "https://api.example-corp.io/x")',
    RQ + 'r = requests.get("https://api.example-corp.io/x", timeout=None)',
    RQ + 's = requests.Session(); r = s.get("https://api.example-corp.io/x")',
    "from requests import get\nr = get('https://api.example-corp.io/x')",
    "import requests as rq\nr = rq.head('https://api.example-corp.io/x')",
    "import urllib.request\nraw = urllib.request.urlopen('https://api.example-corp.io/x').read()",
    "import httpx\nr = httpx.get('https://api.example-corp.io/x', timeout=None)",
    RQ + 'def fetch(u):\n    return requests.get(u)'.replace("\n    return", " return"),
])
def test_no_timeout(source):
    assert fired(source) == [("NBG405", 0, 2)]


def test_session_from_with_statement():
    source = RQ + "with requests.Session() as s:\n    r = s.get('https://api.example-corp.io/x')"
    assert fired(source) == [("NBG405", 0, 3)]


def test_report_is_on_the_callee():
    (f,) = lint(nb(RQ + 'r = requests.get("https://api.example-corp.io/x")'), "NBG405").findings
    assert (f.column, f.end_column, f.severity.label) == (5, 17, "low")


@pytest.mark.parametrize("source", [
    RQ + 'r = requests.get("https://api.example-corp.io/x", timeout=10)',
    RQ + 'r = requests.get("https://api.example-corp.io/x", timeout=(5, 60))',
    RQ + 'r = requests.get("https://api.example-corp.io/x", timeout=TIMEOUT)',
    RQ + 'r = requests.get("https://api.example-corp.io/x", **kwargs)',  # may hold a timeout
    RQ + 'r = requests.get("https://api.example-corp.io/x", **{"timeout": 5})',
    "import httpx\nr = httpx.get('https://api.example-corp.io/x')",  # httpx defaults to 5 s
    "import urllib.request\nraw = urllib.request.urlopen('https://api.example-corp.io/x', timeout=30)",
    "import socket, urllib.request\nsocket.setdefaulttimeout(30)\nraw = urllib.request.urlopen('https://x.example-corp.io')",
    "d = {}\nv = d.get('key')",
    "x = 1\n# requests.get(url)",
])
def test_not_a_finding(source):
    assert fired(source) == []


@pytest.mark.parametrize("source", [
    RQ + "s = requests.Session()\nr = s.get(url)",  # qualname requests.Session().get
    "from requests import get as fetch\nr = fetch(url)",  # written name fetch, resolved name get
    "from urllib.request import urlopen as uo\nr = uo(url)",
])
def test_aliased_and_session_calls(source):
    assert fired(source) == [("NBG405", 0, source.count("\n") + 1)]
