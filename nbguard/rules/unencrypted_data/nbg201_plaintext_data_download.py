from __future__ import annotations

import re

from ...model import Severity
from .._calls import HTTP_CALL_NAMES, anchor, credentials_sent, data_sent, http_call, last_names
from .._urls import callee, is_internal_host, parse_url, url_args, urls_in
from ..base import Rule

_PANDAS_READERS = frozenset({"read_csv", "read_table", "read_fwf", "read_json", "read_parquet", "read_feather",
                             "read_orc", "read_excel", "read_html", "read_xml", "read_pickle", "read_sas",
                             "read_stata", "read_spss"})
_PANDAS_LIKE = frozenset({"pandas", "modin.pandas", "dask.dataframe", "pyspark.pandas", "cudf"})
_PANDAS_ARGS = ("filepath_or_buffer", "path_or_buf", "path_or_buffer", "path", "io", "urlpath")

# qualname -> (keyword, position) of the URL argument
_READERS: dict[str, tuple[str, int]] = {
    "fsspec.open": ("urlpath", 0), "fsspec.open_files": ("urlpath", 0),
    "urllib.request.urlopen": ("url", 0), "urllib.request.urlretrieve": ("url", 0),
    "urllib.request.Request": ("url", 0), "urllib.urlopen": ("url", 0), "urllib.urlretrieve": ("url", 0),
    "urllib2.urlopen": ("url", 0), "urllib2.Request": ("url", 0),
    "six.moves.urllib.request.urlopen": ("url", 0), "six.moves.urllib.request.urlretrieve": ("url", 0),
    "urllib3.request": ("url", 1), "urllib3.PoolManager().request": ("url", 1),
    "wget.download": ("url", 0), "gdown.download": ("url", 0), "gdown.cached_download": ("url", 0),
    "torch.hub.download_url_to_file": ("url", 0), "torch.hub.load_state_dict_from_url": ("url", 0),
    "torch.utils.model_zoo.load_url": ("url", 0),
    "torchvision.datasets.utils.download_url": ("url", 0),
    "torchvision.datasets.utils.download_and_extract_archive": ("url", 0),
    "numpy.loadtxt": ("fname", 0), "numpy.genfromtxt": ("fname", 0),
    "skimage.io.imread": ("fname", 0), "imageio.imread": ("uri", 0), "imageio.v2.imread": ("uri", 0),
    "imageio.v3.imread": ("uri", 0),
    "tensorflow.keras.utils.get_file": ("origin", 1), "keras.utils.get_file": ("origin", 1),
    "tensorflow.keras.utils.data_utils.get_file": ("origin", 1), "keras.utils.data_utils.get_file": ("origin", 1),
    "tensorflow.python.keras.utils.data_utils.get_file": ("origin", 1), "tf_keras.utils.get_file": ("origin", 1),
    "datasets.load_dataset": ("path", 0),
    "xarray.open_dataset": ("filename_or_obj", 0), "xarray.open_dataarray": ("filename_or_obj", 0),
    "xarray.open_mfdataset": ("paths", 0), "xarray.open_zarr": ("store", 0), "netCDF4.Dataset": ("filename", 0),
    "geopandas.read_file": ("filename", 0), "geopandas.read_parquet": ("path", 0), "fiona.open": ("fp", 0),
    "pyogrio.read_dataframe": ("path_or_buffer", 0), "rasterio.open": ("fp", 0), "rioxarray.open_rasterio": ("filename", 0),
}
# Spark's DataFrameReader (spark.read.csv(path), spark.read.format("csv").load(path)); in
# Databricks `spark` is a global nobody imports.
_SPARK_READ = frozenset({"csv", "json", "parquet", "text", "orc", "load", "xml", "avro"})


def _spark_reader(call) -> bool:
    q = call.qualname
    head, _, attr = q.rpartition(".")
    if attr not in _SPARK_READ:
        return False
    # spark.read.format("csv").option("header", True).schema(s).load(path)
    head = re.sub(r"(?:\.(?:format|option|options|schema)\(\))+$", "", head).replace("()", "")
    if not (head == "spark.read" or head.endswith(".read")):
        return False
    return head.startswith(("spark.", "pyspark.")) or "pyspark" in call.scope.modules


_DOWNLOAD_NAME = re.compile(r"download|fetch|retrieve|load_url|get_file", re.IGNORECASE)
_POLARS_PREFIXES = ("read_", "scan_")
_FTP = "ftplib.FTP"


def _url_params(call) -> list[tuple[str | None, int | None]]:
    q = call.qualname
    head, _, attr = q.rpartition(".")
    if head in _PANDAS_LIKE and attr in _PANDAS_READERS:
        return [(name, None) for name in _PANDAS_ARGS] + [(None, 0)]
    if head == "polars" and attr.startswith(_POLARS_PREFIXES):
        return [("source", 0)]
    spec = _READERS.get(q)
    if spec is None and _spark_reader(call):
        return [("path", 0), ("paths", None)]
    if spec is None and attr == "get_file" and "keras" in q:
        spec = ("origin", 1)
    if spec is None and _DOWNLOAD_NAME.search(attr):  # mx.test_utils.download(url), my_utils.download_image(url)
        return [("url", 0), ("uri", None), ("origin", None), ("source_url", None)]
    if spec is None:
        return []
    params: list[tuple[str | None, int | None]] = [spec]
    if q == "datasets.load_dataset":
        params.append(("data_files", 3))
    return params


class PlaintextDataDownload(Rule):
    """## What it does
    Finds data read or downloaded from an `http://` or `ftp://` URL by Python code.

    Readers: pandas, polars, dask and modin `read_*`, Spark's `spark.read.*` /
    `spark.read.format(...).load`, `fsspec.open`, `datasets.load_dataset`
    (`data_files=`), xarray `open_dataset` / `open_mfdataset` / `open_zarr` and
    `netCDF4.Dataset` (OPeNDAP), geopandas / fiona / pyogrio `read_file`, `rasterio.open`
    and `rioxarray.open_rasterio`, Keras `get_file`, `urllib`, `requests`/`httpx` GET
    requests, `wget`, `gdown`, `torch.hub` and torchvision downloads, NumPy `loadtxt`,
    and anonymous `ftplib.FTP` sessions. The URL may be a literal or a constant, f-string
    or concatenation from an earlier cell; the message says where it came from.
    Local hosts (`localhost`, `127.0.0.1`, in-cluster names, `*.local`) are exempt.

    ## Why is this bad?
    Plain HTTP and FTP are neither encrypted nor authenticated. Anyone on the path
    (a café Wi-Fi, a compromised router, a proxy) can read the data and, worse,
    change it in flight: a poisoned training set or a swapped pickle file looks
    exactly like the real one. No peer linter checks pandas readers for this.

    ## Example
    ```python
    DATA_URL = "http://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data"
    df = pd.read_csv(DATA_URL)
    ```

    Use instead:
    ```python
    DATA_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data"
    df = pd.read_csv(DATA_URL)  # and check a published checksum for files that matter
    ```
    When the server has no HTTPS, mirror the file to storage you control (`s3://`,
    `gs://`) once, verify it, and read it from there.

    ## References
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html)
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - semgrep `python.lang.security.audit.insecure-transport.urllib.insecure-urlopen`,
      `python.lang.security.audit.insecure-transport.requests.request-with-http`
    - [pandas IO: URLs](https://pandas.pydata.org/docs/user_guide/io.html#reading-remote-files)
    """

    code = "NBG201"
    name = "plaintext-data-download"
    category = "unencrypted-data"
    severity = Severity.MEDIUM
    cwe = 319
    peers = ("semgrep:python.lang.security.audit.insecure-transport.urllib.insecure-urlopen",
             "semgrep:python.lang.security.audit.insecure-transport.requests.request-with-http",
             "bandit:B310", "ruff:S310")
    fix = "use an https:// URL (or a bucket you control) and verify a checksum of what you download"
    # check_call reports only on: http_call's callees, ftplib.FTP, and what _url_params names --
    # pandas-like readers, _READERS, Spark reads, get_file, polars read_*/scan_* and callees whose
    # last name _DOWNLOAD_NAME finds (the pattern below: a superset, also tried on the written name)
    call_names = HTTP_CALL_NAMES | _PANDAS_READERS | _SPARK_READ | last_names(_READERS, (_FTP,)) | {"get_file"}
    call_pattern = re.compile("^(?:" + "|".join(_POLARS_PREFIXES) + ")|(?i:" + _DOWNLOAD_NAME.pattern + ")")

    def check_call(self, call, ctx) -> None:
        http = http_call(call)
        if http is not None:
            if http.url is not None and data_sent(call, http) is None:
                self._report(call, ctx, urls_in(http.url, call.scope), "downloads data", http=True)
            return
        if call.qualname == _FTP:
            self._ftp(call, ctx)
            return
        params = _url_params(call)
        if params:
            found = [item for name, pos in params for item in url_args(call, name, pos)]
            verb = "downloads data" if _DOWNLOAD_NAME.search(call.attr) or call.attr == "urlopen" else "reads data"
            self._report(call, ctx, found, verb, http=call.attr == "Request")

    def _report(self, call, ctx, found, verb: str, http: bool) -> None:
        seen: set[int] = set()
        for node, info in found:
            if id(node) in seen or not info.plaintext:
                continue
            if http and credentials_sent(call, info.url) is not None:
                return  # NBG403 (plaintext-credentials-sent) reports it
            seen.add(id(node))
            ctx.report_node(self, anchor(call, node),
                            f"{callee(call)} {verb} over plaintext {info.scheme}:// from {info.where}{info.source()}")

    def _ftp(self, call, ctx) -> None:
        host = call.value("host", 0)
        if host is None or not isinstance(host.value, str) or host.partial or not host.value:
            return
        if call.arg("user", 1) is not None or call.arg("passwd", 2) is not None:
            return  # credentials: NBG403
        h = host.value.strip().lower()
        info = parse_url("ftp://" + h, False, host.origin)
        if info is None or not info.plaintext or is_internal_host(h):
            return
        where = info.source().replace("URL from", "host from")
        ctx.report_node(self, anchor(call, call.arg("host", 0)),
                        f"ftplib.FTP opens a plaintext FTP session to {info.where}{where}")
