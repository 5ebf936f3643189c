import pytest
from helpers import code, error, lint, md, nb, stream

PW = "Xy7pQ2rZ-9"
TOK = "a8f3K2j9d8s7F6g5h4j3q9"


def found(notebook):
    return [(f.cell, f.where, f.line, f.severity.label) for f in lint(notebook, "NBG103").findings]


@pytest.mark.parametrize("source, line", [
    (f'engine = create_engine("postgresql://etl:{PW}@db.corp.example.com:5432/sales")', 1),
    (f'client = MongoClient(\n    "mongodb+srv://app:{PW}@cluster0.abcde.mongodb.net/?retryWrites=true")', 2),
    (f'r = redis.from_url("redis://:{PW}@cache.corp.example.com:6379/0")', 1),
    (f'!git clone https://{TOK}@github.com/org/repo', 1),
    (f'!git clone https://oauth2:{TOK}@gitlab.com/org/repo.git', 1),
    (f'%%bash\ngit remote set-url origin https://bot:{TOK}@github.com/org/repo', 2),
    (f'r = requests.get("https://api.weather.example.io/v1?q=paris&api_key={TOK}")', 1),
    (f'url = f"https://maps.example.io/geo?key={TOK}&address={{addr}}"', 1),
    (f'proxies = {{"https": "http://svc:{PW}@proxy.corp.example.com:3128"}}', 1),
    (f'# engine = create_engine("mysql+pymysql://root:{PW}@10.1.2.3/app")', 1),
    (f'conn = psycopg2.connect("host=db.corp.example.com dbname=sales user=etl password={PW}")', 1),
    (f'conn = pyodbc.connect("Driver={{ODBC 18}};Server=sql.corp.example.com;Uid=etl;Pwd={PW};")', 1),
])
def test_credentials_in_url_in_code(source, line):
    assert found(nb(source)) == [(0, "source", line, "high")]


def test_credentials_in_markdown_and_outputs():
    notebook = nb(
        md(f"Connect with `postgresql://admin:{PW}@prod.corp.example.com/db`"),
        code("print(engine.url)", outputs=[stream(f"loading\npostgresql://etl:{PW}@db.corp.example.com/sales\n")]),
        code("boom()", outputs=[error("OperationalError", f"could not connect to https://x:{PW}@h.corp.example.com",
                                      [])]),
    )
    assert found(notebook) == [(0, "source", 1, "high"), (1, "output", 2, "high"), (2, "output", 1, "high")]


def test_local_hosts_are_low():
    notebook = nb(
        f'engine = create_engine("postgresql://etl:{PW}@localhost:5432/dev")',
        code("!jupyter server list",
             outputs=[stream("http://127.0.0.1:8888/?token=9f8e7d6c5b4a39281706f5e4d3c2 :: /w\n")]),
    )
    assert found(notebook) == [(0, "source", 1, "low"), (1, "output", 1, "low")]


@pytest.mark.parametrize("source", [
    'client = MongoClient("mongodb+srv://<username>:<password>@cluster0.mongodb.net")',
    'engine = create_engine(f"postgresql://{user}:{pw}@{host}/db")',
    'engine = create_engine("postgresql://%s:%s@%s/db" % (u, p, h))',
    '!pip install --index-url https://__token__:${PYPI_TOKEN}@pypi.corp.example.com/simple pkg',
    '!pip install --index-url https://__token__:$PYPI_TOKEN@pypi.corp.example.com/simple pkg',
    'engine = create_engine("postgresql://user:@db.corp.example.com/test")',
    'engine = create_engine("postgresql://scott:tiger@db.corp.example.com/test")',
    'engine = create_engine("postgresql://user:password@db.corp.example.com/test")',
    'engine = create_engine("postgresql://user:***@db.corp.example.com/test")',
    'engine = create_engine("postgresql://postgres:postgres@db:5432/x")',
    '!git clone git@github.com:org/repo.git',
    '!git clone ssh://git@github.com/org/repo.git',
    '!git clone https://github.com/org/repo.git',
    'url = "https://user@github.com/org/repo"',
    'url = "https://admin:8080@host.example.com"',
    'r = requests.get("https://api.example.io/v1?token=YOUR_TOKEN")',
    'r = requests.get(f"https://api.example.io/v1?api_key={API_KEY}")',
    'r = requests.get("https://api.example.io/v1?key=value&sort=asc")',
    'conn = psycopg2.connect("host=db dbname=x user=etl password={pw}")',
    'conn = psycopg2.connect(host="db.corp.example.com", password=pw)',
    'note = "password=hunter2 is a bad password"',
])
def test_not_credentials_in_url(source):
    assert found(nb(source)) == []


def test_password_masked_in_report():
    report = lint(nb(f'engine = create_engine("postgresql://etl:{PW}@db.corp.example.com/sales")'), "NBG103")
    assert len(report.findings) == 1
    out = report.to_json() + report.to_text() + report.to_sarif()
    assert PW not in out and PW[2:] not in out


@pytest.mark.parametrize("source", [
    # a dollar sign inside a password is a character, not a shell variable
    'url = "jdbc:sqlserver://sql.acme.com:1433;database=crm;user=crm_reader;password=Cl1ck$tream2024;encrypt=true"',
    'engine = create_engine("postgresql://etl:pa$word99@db.acme-data.com/sales")',
])
def test_dollar_inside_a_password(source):
    assert [(f.cell, f.line) for f in lint(nb(source), "NBG103").findings] == [(0, 1)]


@pytest.mark.parametrize("source", [
    'url = "jdbc:sqlserver://sql.acme.com:1433;database=crm;user=crm_reader;password=$SQL_PASSWORD;encrypt=true"',
    'url = "jdbc:sqlserver://sql.acme.com:1433;database=crm;user=crm_reader;password=pw-${SQL_PW};encrypt=true"',
    'engine = create_engine("postgresql://etl:$pgpass@db.acme-data.com/sales")',
])
def test_shell_variables_in_a_password_are_templated(source):
    assert lint(nb(source), "NBG103").findings == []


@pytest.mark.parametrize("source", [
    'r = requests.get("https://api.openweathermap.org/data/2.5/weather?q=London&appid=3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d")',
    'r = requests.get("http://api.ipstack.com/134.201.250.155?access_key=a8f3K2j9d8s7F6g5h4j3q9")',
    'r = requests.get("https://westeurope.api.cognitive.microsoft.com/vision?subscription-key=b12853ef86dcfaea21818b904ce60874")',
])
def test_api_keys_in_other_query_parameters(source):
    assert [(f.cell, f.line) for f in lint(nb(source), "NBG103").findings] == [(0, 1)]


def test_appid_placeholder_is_not_a_credential():
    assert lint(nb('url = "https://api.openweathermap.org/data/2.5/weather?q=London&appid={API_KEY}"'), "NBG103").findings == []
