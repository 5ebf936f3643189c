import pytest
from helpers import codes, lint, md, nb

PD = "import pandas as pd\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG201"))


def findings(*cells):
    return lint(nb(*cells), "NBG201").findings


@pytest.mark.parametrize("source", [
    PD + 'df = pd.read_csv("http://archive.ics.uci.edu/ml/iris.data")',
    PD + 'df = pd.read_csv(filepath_or_buffer="ftp://ftp.ncbi.nlm.nih.gov/data.csv")',
    PD + 'df = pd.read_json(path_or_buf="http://data.example-corp.io/x.json")',
    PD + 'df = pd.read_excel(io="http://data.example-corp.io/x.xlsx")',
    PD + 'df = pd.read_parquet("http://data.example-corp.io/x.parquet")',
    PD + 'tables = pd.read_html("http://en.wikipedia.org/wiki/List")',
    "from pandas import read_csv as rc\ndf = rc('http://archive.ics.uci.edu/ml/iris.data')",
    "import polars as pl\ndf = pl.read_csv('http://data.example-corp.io/x.csv')",
    "import polars as pl\nlf = pl.scan_parquet('http://data.example-corp.io/x.parquet')",
    "import dask.dataframe as dd\ndf = dd.read_csv('http://data.example-corp.io/x.csv')",
    "import fsspec\nf = fsspec.open('http://data.example-corp.io/x.csv')",
    "import urllib.request\nurllib.request.urlretrieve('http://data.example-corp.io/x.zip', 'x.zip')",
    "from urllib.request import urlopen\nraw = urlopen('http://data.example-corp.io/x.csv').read()",
    "import requests\nr = requests.get('http://images.cocodataset.org/val2017/000000039769.jpg', stream=True)",
    "import requests\nr = requests.request('GET', 'http://data.example-corp.io/x')",
    "import requests\ns = requests.Session()\nr = s.get('http://data.example-corp.io/x')".replace("\nr", "; r"),
    "import httpx\nr = httpx.get('http://data.example-corp.io/x')",
    "import wget\nwget.download('http://data.example-corp.io/x.zip')",
    "import torch\ntorch.hub.download_url_to_file('http://data.example-corp.io/w.pt', 'w.pt')",
    "from torchvision.datasets.utils import download_url\ndownload_url('http://data.example-corp.io/d.tgz', '.')",
    "import numpy as np\nx = np.loadtxt('http://data.example-corp.io/x.txt')",
    "import tensorflow as tf\np = tf.keras.utils.get_file('sts.tgz', 'http://ixa2.si.ehu.es/sts.tar.gz')",
    "from tensorflow import keras\np = keras.utils.get_file(origin='http://ixa2.si.ehu.es/sts.tar.gz')",
    "from datasets import load_dataset\nds = load_dataset('csv', data_files='http://data.example-corp.io/t.csv')",
    "import mxnet as mx\nmx.test_utils.download('http://data.mxnet.io/models/synset.txt')",
    "import ftplib\nftp = ftplib.FTP('ftp.ncbi.nlm.nih.gov')",
    PD + 'df = pd.read_csv("HTTP://ARCHIVE.ICS.UCI.EDU/iris.data")',
])
def test_plaintext_reader(source):
    assert fired(source) == [("NBG201", 0, 2)]


def test_constant_from_earlier_cell_names_its_origin():
    found = findings('DATA_URL = "http://archive.ics.uci.edu/ml/iris.data"', "x = 1", PD + "df = pd.read_csv(DATA_URL)")
    assert [(f.cell, f.line) for f in found] == [(2, 2)]
    msg = found[0].message
    assert "pandas.read_csv" in msg and "plaintext http://" in msg and "archive.ics.uci.edu" in msg
    assert "'DATA_URL' set in cell 1, line 1" in msg
    # the finding points at the argument, not at the whole call
    assert (found[0].column, found[0].end_column) == (18, 26)


@pytest.mark.parametrize("cells", [
    ('BASE = "http://data.example-corp.io"', PD + 'df = pd.read_csv(f"{BASE}/train.csv")'),
    ('BASE = "http://data.example-corp.io"', PD + 'df = pd.read_csv(BASE + "/train.csv")'),
    ('BASE = "http://data.example-corp.io"', "import os\n" + PD + 'df = pd.read_csv(os.path.join(BASE, "t.csv"))'),
    ('name = input()', PD + 'df = pd.read_csv(f"http://data.example-corp.io/{name}.csv")'),
])
def test_urls_built_from_parts(cells):
    found = findings(*cells)
    assert len(found) == 1 and found[0].cell == 1


def test_fstring_with_unknown_host_is_still_plaintext():
    (f,) = findings("host = input()\n" + PD + 'df = pd.read_csv(f"http://{host}/train.csv")')
    assert "a host only known at run time" in f.message


def test_dict_and_list_values_of_data_files():
    source = ("from datasets import load_dataset\n"
              "ds = load_dataset('csv', data_files={'train': 'http://a.example-corp.io/t.csv',\n"
              "                                    'test': ['https://b.example-corp.io/x.csv', 'http://c.example-corp.io/y.csv']})")
    assert fired(source) == [("NBG201", 0, 2), ("NBG201", 0, 3)]


def test_url_through_kwargs_dict_is_reported_on_the_call_line():
    found = findings('KW = {"filepath_or_buffer": "http://data.example-corp.io/x.csv"}', "x = 1\n" + PD + "df = pd.read_csv(**KW)")
    assert [(f.cell, f.line) for f in found] == [(1, 3)]


def test_with_statement_session():
    assert fired("import requests\nwith requests.Session() as s:\n    r = s.get('http://data.example-corp.io/x')") \
        == [("NBG201", 0, 3)]


@pytest.mark.parametrize("source", [
    PD + 'df = pd.read_csv("https://archive.ics.uci.edu/ml/iris.data")',
    PD + 'df = pd.read_csv("s3://bucket/iris.csv")',
    PD + 'df = pd.read_csv("data/http_logs.csv")',
    PD + 'df = pd.read_csv("http://localhost:8000/iris.csv")',
    PD + 'df = pd.read_csv("http://127.0.0.1:8000/iris.csv")',
    PD + 'df = pd.read_csv("http://minio:9000/bucket/iris.csv")',  # in-cluster service name
    PD + 'df = pd.read_csv("http://minio-service.kubeflow:9000/b/iris.csv")',  # <service>.<namespace>
    PD + 'df = pd.read_csv("http://example.com/iris.csv")',  # documentation domain
    PD + 'df = pd.read_csv("http://<your-server>/iris.csv")',
    PD + '# df = pd.read_csv("http://archive.ics.uci.edu/ml/iris.data")',
    PD + 'print("download from http://archive.ics.uci.edu/ml/iris.data")',
    PD + 'url = "http://archive.ics.uci.edu/ml/iris.data"',  # defined, never read
    "import requests\nr = requests.get(url)",  # unknown value
    "import requests\nr = requests.post('http://api.example-corp.io/score', json={})",  # NBG403
    "import requests\nr = requests.get('http://api.example-corp.io/x', headers={'Authorization': 'Bearer t'})",  # NBG403
    "import ftplib\nftp = ftplib.FTP('ftp.example-corp.io', 'bob', 'pw')",  # a login: NBG403
    "import ftplib\nftp = ftplib.FTP_TLS('ftp.example-corp.io')",
])
def test_not_plaintext_download(source):
    assert fired(source) == []


def test_markdown_url_is_not_a_finding():
    assert fired(md("Data: [iris](http://archive.ics.uci.edu/ml/iris.data)"), PD + "x = 1") == []


@pytest.mark.parametrize("source", [
    # Spark's reader; in Databricks `spark` is a global nobody imports
    "geo = spark.read.csv('ftp://ftp.geo-open-data.org/pub/blocks.csv', header=True)",
    "df = spark.read.format('csv').option('header', 'true').load('http://data.example-corp.io/x.csv')",
    "df = spark.read.option('multiLine', True).json('ftp://data.example-corp.io/x.json')",
    "from pyspark.sql import SparkSession\nspark2 = SparkSession.builder.getOrCreate(); df = spark2.read.json('http://data.example-corp.io/x.json')",
    # xarray / netCDF over OPeNDAP
    "import xarray as xr\nds = xr.open_dataset('http://thredds.ucar.edu/thredds/dodsC/grib/NCEP/GFS/Best')",
    "import netCDF4\nds = netCDF4.Dataset('http://thredds.ucar.edu/thredds/dodsC/grib/NCEP/GFS/Best')",
    # a URL taken out of a list or dict constant
    "URLS = ['http://data.example-corp.io/a.csv', 'https://data.example-corp.io/b.csv']\n" + PD + "df = pd.read_csv(URLS[0])",
])
def test_more_readers_and_containers(source):
    found = findings(source)
    assert len(found) == 1 and found[0].line == source.count("\n") + 1


@pytest.mark.parametrize("source", [
    "geo = spark.read.csv('s3a://bucket/blocks.csv', header=True)",
    "geo = spark.read.table('analytics.blocks')",
    "import xarray as xr\nds = xr.open_zarr('gs://gcp-public-data-arco-era5/ar/full.zarr')",
    "import xarray as xr\nds = xr.open_dataset('https://thredds.ucar.edu/thredds/dodsC/grib/NCEP/GFS/Best')",
    "URLS = ['http://data.example-corp.io/a.csv', 'https://data.example-corp.io/b.csv']\n" + PD + "df = pd.read_csv(URLS[1])",
    "text = f.read.csv('http://x.org/y.csv')",  # not Spark: no pyspark and not the `spark` global
])
def test_more_readers_not_reported(source):
    assert fired(source) == []


@pytest.mark.parametrize("cells", [
    ("URLS = ['http://data.example-corp.io/a.csv', 'http://data.example-corp.io/b.csv']",
     PD + "for u in URLS:\n    frames.append(pd.read_csv(u))"),
    ("URLS = ('http://a.example-corp.io/x.csv', 'http://b.example-corp.io/y.csv')",
     PD + "for i, u in enumerate(URLS):\n    df = pd.read_csv(u)"),
    ("SOURCES = {'train': 'http://data.example-corp.io/t.csv', 'test': 'http://data.example-corp.io/v.csv'}",
     PD + "for split, url in SOURCES.items():\n    df = pd.read_csv(url)"),
])
def test_loop_over_a_constant_list_of_urls(cells):
    found = findings(*cells)
    assert [(f.cell, f.line) for f in found] == [(1, 3)]


@pytest.mark.parametrize("cells", [
    ("URLS = ['https://data.example-corp.io/a.csv', 'https://data.example-corp.io/b.csv']",
     PD + "for u in URLS:\n    df = pd.read_csv(u)"),
    # the loop variable shadows an earlier plaintext constant of the same name
    ("u = 'http://data.example-corp.io/a.csv'\nURLS = ['https://x.example-corp.io/a.csv']",
     PD + "for u in URLS:\n    df = pd.read_csv(u)"),
    ("u = 'http://data.example-corp.io/a.csv'", PD + "for u in get_urls():\n    df = pd.read_csv(u)"),
])
def test_loop_over_https_or_unknown_urls(cells):
    assert findings(*cells) == []


@pytest.mark.parametrize("source", [
    "import geopandas as gpd\nrivers = gpd.read_file('http://data.hydrosheds.org/file/HydroRIVERS_v10.zip')",
    "import rasterio\nsrc = rasterio.open('http://flood-archive.example-geo.org/dem/srtm_51_07.tif')",
    "import rioxarray\nda = rioxarray.open_rasterio('http://flood-archive.example-geo.org/dem/srtm.tif')",
])
def test_geospatial_readers(source):
    assert fired(source) == [("NBG201", 0, 2)]


def test_geospatial_readers_over_https_or_s3():
    assert fired("import geopandas as gpd\nadmin = gpd.read_file('https://github.com/wmgeolab/geoBoundaries/raw/main/x.geojson')") == []
    assert fired("import rasterio\nsrc = rasterio.open('s3://copernicus-dem-30m/x.tif')") == []
