import pytest
from helpers import codes, lint, md, nb

RQ = "import requests\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG401"))


def findings(*cells):
    return lint(nb(*cells), "NBG401").findings


@pytest.mark.parametrize("source", [
    RQ + 'r = requests.get("https://api.example-corp.io/x", verify=False)',
    RQ + 'r = requests.post("https://api.example-corp.io/x", json={}, verify=0)',
    RQ + 'r = requests.request("GET", "https://api.example-corp.io/x", verify=False)',
    RQ + 'r = requests.get("https://api.example-corp.io/x", timeout=3, **{"verify": False})',
    RQ + 's = requests.Session(); r = s.get("https://api.example-corp.io/x", verify=False)',
    RQ + 's = requests.Session(); s.verify = False',
    "import httpx\nc = httpx.Client(verify=False)",
    "import httpx\nc = httpx.AsyncClient(verify=False)",
    "import httpx\nr = httpx.get('https://api.example-corp.io/x', verify=False)",
    "import boto3\ns3 = boto3.client('s3', verify=False)",
    "import aiohttp\nconn = aiohttp.TCPConnector(ssl=False)",
    "import urllib3\nhttp = urllib3.PoolManager(cert_reqs='CERT_NONE')",
    "from elasticsearch import Elasticsearch\nes = Elasticsearch('https://es.example-corp.io', verify_certs=False)",
    "import os\nos.environ['PYTHONHTTPSVERIFY'] = '0'",
    "import os\nos.environ['CURL_CA_BUNDLE'] = ''",
    "import os\nos.environ.update({'REQUESTS_CA_BUNDLE': ''})",
    "import os\nos.environ.setdefault('GIT_SSL_NO_VERIFY', '1')",
    "x = 1\n%env PYTHONHTTPSVERIFY=0",
    "x = 1\n%env CURL_CA_BUNDLE=",
    "x = 1\n!curl -k https://api.example-corp.io/x",
    "x = 1\n!curl -sSLk https://api.example-corp.io/x -o x",
    "x = 1\n!curl --insecure https://api.example-corp.io/x",
    "x = 1\n!wget --no-check-certificate https://storage.googleapis.com/tf.tar.gz",
    "x = 1\n!git -c http.sslVerify=false clone https://git.example-corp.io/r.git",
    "x = 1\n!git config --global http.sslVerify false",
    "x = 1\n!GIT_SSL_NO_VERIFY=1 git clone https://git.example-corp.io/r.git",
    "x = 1\n!aws s3 ls --no-verify-ssl",
    "%%bash\nexport GIT_SSL_NO_VERIFY=true",
    "%%bash\ncurl -k https://api.example-corp.io/x",
])
def test_verification_disabled(source):
    assert fired(source) == [("NBG401", 0, 2)]


def test_falsy_constant_from_earlier_cell():
    found = findings("VERIFY_SSL = False", RQ + 'r = requests.get("https://api.example-corp.io/x", verify=VERIFY_SSL)')
    assert [(f.cell, f.line, f.severity.label) for f in found] == [(1, 2, "high")]
    assert "'VERIFY_SSL' set in cell 1, line 1" in found[0].message


def test_session_from_with_statement():
    source = RQ + "with requests.Session() as s:\n    s.verify = False\n    r = s.get('https://api.example-corp.io')"
    assert fired(source) == [("NBG401", 0, 3)]


def test_unresolved_session_method_in_a_function():
    source = "async def fetch(session, url):\n    return await session.get(url, ssl=False)"
    assert fired(source) == [("NBG401", 0, 2)]


def test_loopback_is_not_exempt_but_lower():
    found = findings(RQ + 'r = requests.get("https://localhost:8443/x", verify=False)')
    assert [(f.line, f.severity.label) for f in found] == [(2, "medium")]


@pytest.mark.parametrize("source", [
    RQ + 'r = requests.get("https://api.example-corp.io/x")',
    RQ + 'r = requests.get("https://api.example-corp.io/x", verify=True)',
    RQ + 'r = requests.get("https://api.example-corp.io/x", verify="/etc/ssl/corp-ca.pem")',
    RQ + 'r = requests.get("https://api.example-corp.io/x", verify=None)',
    RQ + 'r = requests.get("https://api.example-corp.io/x", verify=args.verify)',
    "import urllib3\nurllib3.disable_warnings()",
    "import jwt\nclaims = jwt.decode(token, verify=False)",  # signature checks, not TLS
    "import os\nos.environ['REQUESTS_CA_BUNDLE'] = '/etc/ssl/corp-ca.pem'",
    "import os\nos.environ['PYTHONHTTPSVERIFY'] = '1'",
    "x = 1\n!curl -o k https://api.example-corp.io/x",  # -o takes 'k' as its argument
    "x = 1\n!curl -fsSL https://api.example-corp.io/x",
    "x = 1\n!pip install --trusted-host pypi.example-corp.io pkg",  # supply-chain rules
    "x = 1\n!git config --global http.sslVerify true",
    "x = 1\n# r = requests.get(url, verify=False)",
    'x = 1\nprint("pass verify=False to skip the check")',
])
def test_not_a_finding(source):
    assert fired(source) == []


def test_markdown_is_not_a_finding():
    assert fired(md("Use `requests.get(url, verify=False)` only for testing.")) == []


def test_settings_dict_is_reported_where_it_is_used():
    found = findings("SETTINGS = dict(verify=False, timeout=20)", "x = 1\n" + RQ + 'r = requests.get("https://api.example-corp.io", **SETTINGS)')
    assert [(f.cell, f.line) for f in found] == [(1, 3)]
    assert found[0].column == len('r = requests.get("https://api.example-corp.io", **') + 1


@pytest.mark.parametrize("source, line", [
    ("ctx = await browser.new_context(ignore_https_errors=True)", 1),
    ("from playwright.async_api import async_playwright\nb = await p.chromium.launch(args=['--no-sandbox', '--ignore-certificate-errors'])", 2),
    ("browser = await pyppeteer.launch(ignoreHTTPSErrors=True)", 1),
    ("from selenium import webdriver\nopts = webdriver.ChromeOptions()\nopts.add_argument('--ignore-certificate-errors')", 3),
    ("from selenium import webdriver\nopts = webdriver.FirefoxOptions()\nopts.accept_insecure_certs = True", 3),
])
def test_headless_browser_accepts_any_certificate(source, line):
    assert fired(source) == [("NBG401", 0, line)]


@pytest.mark.parametrize("source", [
    "ctx = await browser.new_context(ignore_https_errors=False)",
    "b = await p.chromium.launch(args=['--no-sandbox', '--headless=new'])",
    "opts.add_argument('--headless')",
    # argparse defining an option with that name is not a browser being told to ignore errors
    "parser.add_argument('--ignore-certificate-errors', action='store_true', help='for testing')",
    "opts.accept_insecure_certs = False",
])
def test_headless_browser_look_alikes(source):
    assert fired(source) == []
