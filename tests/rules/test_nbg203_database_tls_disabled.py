import pytest
from helpers import codes, lint, nb

SA = "from sqlalchemy import create_engine\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG203"))


def findings(*cells):
    return lint(nb(*cells), "NBG203").findings


@pytest.mark.parametrize("source", [
    SA + 'e = create_engine("postgresql://u:pw@db.example-corp.io/sales?sslmode=disable")',
    SA + 'e = create_engine("postgresql+psycopg2://u@db.example-corp.io:5432/sales?sslmode=prefer")',
    SA + 'e = create_engine("postgresql://u@db.example-corp.io/sales", connect_args={"sslmode": "allow"})',
    SA + 'e = create_engine(f"postgresql://{user}:{pw}@{host}:5432/db?sslmode=disable")',
    "import psycopg2\nc = psycopg2.connect(host='db.example-corp.io', dbname='x', sslmode='disable')",
    "import psycopg2\nc = psycopg2.connect('host=db.example-corp.io dbname=x sslmode=disable')",
    "import pandas as pd\ndf = pd.read_sql('select 1', 'postgresql://u@10.1.2.3/x?sslmode=disable')",
    "import mysql.connector\nc = mysql.connector.connect(host='db.example-corp.io', ssl_disabled=True)",
    SA + 'e = create_engine("mysql+pymysql://u@db.example-corp.io/x?ssl_disabled=true")',
    "import pymongo\nc = pymongo.MongoClient('mongodb+srv://c.mongodb.net/', tls=False)",
    "import pymongo\nc = pymongo.MongoClient('mongodb+srv://c.mongodb.net/', tlsAllowInvalidCertificates=True)",
    "import pymongo\nc = pymongo.MongoClient('mongodb+srv://c.mongodb.net/?tlsInsecure=true')",
    "import pymongo\nc = pymongo.MongoClient('mongodb://mongo.example-corp.io:27017/')",
    "import redis\nr = redis.from_url('redis://cache.example-corp.io:6379/0')",
    "import redis\nr = redis.Redis(host='cache.example-corp.io', port=6379)",
    "import pyodbc\nc = pyodbc.connect('Driver={ODBC Driver 18};Server=sql.example-corp.io;Encrypt=no;')",
    "import os\nos.environ['PGSSLMODE'] = 'disable'",
])
def test_database_without_verified_tls(source):
    assert fired(source) == [("NBG203", 0, 2)]


def test_dsn_from_earlier_cell():
    found = findings('DSN = "postgresql://u@db.example-corp.io/x?sslmode=disable"', SA + "e = create_engine(DSN)")
    assert [(f.cell, f.line) for f in found] == [(1, 2)]
    assert "sslmode=disable" in found[0].message and "'DSN' set in cell 1, line 1" in found[0].message
    assert found[0].severity.label == "medium"


def test_missing_sslmode_on_remote_postgres_is_low():
    found = findings(SA + 'e = create_engine("postgresql://u@db.example-corp.io/sales")')
    assert [(f.line, f.severity.label) for f in found] == [(2, "low")]
    assert "prefer" in found[0].message


def test_env_magic():
    assert fired("%env PGSSLMODE=prefer") == [("NBG203", 0, 1)]
    assert fired("%env DATABASE_URL=redis://cache.example-corp.io:6379") == [("NBG203", 0, 1)]


@pytest.mark.parametrize("source", [
    SA + 'e = create_engine("postgresql://u@db.example-corp.io/sales?sslmode=verify-full")',
    SA + 'e = create_engine("postgresql://u@db.example-corp.io/sales?sslmode=require")',
    SA + 'e = create_engine("postgresql://u@db.example-corp.io/s", connect_args={"sslmode": "verify-full"})',
    SA + 'e = create_engine("postgresql://u:pw@localhost/sales?sslmode=disable")',
    SA + 'e = create_engine("postgresql://u:pw@localhost/sales", connect_args={"sslmode": "disable"})',
    SA + 'e = create_engine("postgresql://u:pw@127.0.0.1:5432/sales?sslmode=disable")',
    SA + 'e = create_engine("postgresql+pg8000://u:pw@/db?unix_sock=/cloudsql/p:r:i/.s.PGSQL.5432")',
    SA + 'e = create_engine("postgresql://u@/db?host=/cloudsql/proj:region:inst&sslmode=disable")',
    SA + 'e = create_engine("sqlite:///local.db")',
    SA + 'e = create_engine(f"postgresql://{user}:{pw}@{host}:5432/db")',  # nothing known
    "import psycopg2\nc = psycopg2.connect(dbname='x', sslmode='disable')",  # unix socket
    "import pymongo\nc = pymongo.MongoClient('mongodb+srv://c.mongodb.net/')",
    "import pymongo\nc = pymongo.MongoClient('mongodb://mongo.example-corp.io:27017/?tls=true')",
    "import pymongo\nc = pymongo.MongoClient('mongodb://mongo.example-corp.io:27017/', tls=True)",
    "import pymongo\nc = pymongo.MongoClient('mongodb://localhost:27017/')",
    "import pymongo\nc = pymongo.MongoClient(mongo_uri)",
    "import redis\nr = redis.from_url('rediss://cache.example-corp.io:6379/0')",
    "import redis\nr = redis.Redis(host='localhost', port=6379)",
    "import redis\nr = redis.Redis(host='cache.example-corp.io', ssl=True)",
    "import mysql.connector\nc = mysql.connector.connect(host='localhost', ssl_disabled=True)",
    'print("postgresql://u@db.example-corp.io/x?sslmode=disable")',
    '# create_engine("postgresql://u@db.example-corp.io/x?sslmode=disable")',
])
def test_not_a_finding(source):
    assert fired(source) == []


@pytest.mark.parametrize("source", [
    "import psycopg2\nc = psycopg2.connect(host='analytics-db', dbname='x', user='u', sslmode='disable')",
    SA + 'e = create_engine("postgresql://u:pw@postgres:5432/sales?sslmode=disable")',  # a compose service
    SA + 'e = create_engine("postgresql://u@db.svc.cluster.local/s", connect_args={"sslmode": "disable"})',
    "import mysql.connector\nc = mysql.connector.connect(host='mysql', ssl_disabled=True)",
    'import psycopg2\nc = psycopg2.connect("host=warehouse sslmode=disable dbname=x")',
])
def test_tls_switched_off_to_an_internal_host_is_a_lower_finding(source):
    # a single-label, cluster or LAN name is still a network hop: silence would hide it
    report = lint(nb(source), "NBG203")
    assert [(f.rule, f.severity.label) for f in report.findings] == [("NBG203", "low")]
    assert "internal host" in report.findings[0].message


@pytest.mark.parametrize("source", [
    "import redis\nr = redis.Redis(host='redis', port=6379)",  # no TLS chosen, inside a cluster
    SA + 'e = create_engine("postgresql://u:pw@postgres:5432/sales")',
    "import psycopg2\nc = psycopg2.connect(host='localhost', sslmode='disable')",
    "import psycopg2\nc = psycopg2.connect(host='/var/run/postgresql', sslmode='disable')",  # a Unix socket
])
def test_tls_absent_inside_a_cluster_or_off_on_loopback_is_not_a_finding(source):
    assert lint(nb(source), "NBG203").findings == []
