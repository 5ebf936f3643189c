from __future__ import annotations

from ...model import Severity
from .._calls import anchor, dict_value, entry_value, known_false, last_names
from .._shell import word_span as shell_word_span
from .._shell import words_span
from .._urls import callee, invocations, option_value, parse_url, url_of
from ..base import Rule

_PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read", "publicread", "publicreadwrite",
                          "allauthenticatedusers", "allusers"})
_CLIENT_MODULES = ("boto3", "aioboto3", "botocore", "aiobotocore", "s3fs", "fsspec", "ibm_boto3")
_MINIO = ("minio.Minio", "minio.api.Minio")
_CLIENT_TAILS = ("client", "resource", "create_client", "S3FileSystem", "filesystem", "Session")
_FS_SUFFIX = "S3FileSystem"
_ACL_KWARGS = ("ACL", "acl", "predefined_acl", "public_access", "predefinedAcl")
_ACL_HOLDERS = ("ExtraArgs", "s3_additional_kwargs")
_MAKE_PUBLIC = "make_public"


def _is_storage_client(q: str) -> bool:
    root = q.split(".", 1)[0]
    if root not in _CLIENT_MODULES:
        return False
    tail = q.rsplit(".", 1)[-1]
    return tail in _CLIENT_TAILS or q.endswith(_FS_SUFFIX)


class ObjectStoragePlaintext(Rule):
    """## What it does
    Finds object-storage clients that talk to a remote endpoint without TLS, and
    uploads made world-readable.

    - `boto3.client`/`resource(..., use_ssl=False)` or `endpoint_url="http://..."`,
      `s3fs.S3FileSystem(use_ssl=False)`, `client_kwargs={"endpoint_url": "http://..."}`,
      `storage_options={"use_ssl": False, ...}` on pandas/dask/datasets readers,
      `Minio(..., secure=False)`, and `aws ... --endpoint-url http://...` (high);
    - `ACL="public-read"` (also in `ExtraArgs`), GCS `predefined_acl="publicRead"` and
      `make_public()`, `aws s3 ... --acl public-read`, `gsutil` grants to `allUsers` (medium).
    Local endpoints (MinIO or LocalStack on `localhost`, in-cluster names) are exempt.

    ## Why is this bad?
    Object storage usually holds the notebook's whole dataset or model. With TLS off,
    every object read or written crosses the network in cleartext and can be altered
    in flight. A public ACL publishes the object to anyone with its URL, which is how
    most leaked training sets and customer exports are found.

    ## Example
    ```python
    s3 = boto3.client("s3", endpoint_url="http://storage.internal.example.org:9000", use_ssl=False)
    s3.upload_file("train.parquet", "ml-data", "train.parquet", ExtraArgs={"ACL": "public-read"})
    ```

    Use instead:
    ```python
    s3 = boto3.client("s3", endpoint_url="https://storage.internal.example.org:9000")
    s3.upload_file("train.parquet", "ml-data", "train.parquet")  # share with a presigned URL if needed
    ```

    ## References
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html)
    - [CWE-732: Incorrect Permission Assignment for Critical Resource](https://cwe.mitre.org/data/definitions/732.html)
    - [boto3: client(use_ssl, endpoint_url)](https://boto3.amazonaws.com/v1/documentation/api/latest/reference/core/session.html)
    - [Amazon S3: canned ACLs](https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl)
    """

    code = "NBG204"
    name = "object-storage-plaintext"
    category = "unencrypted-data"
    severity = Severity.HIGH
    cwe = 319
    peers = ()
    fix = "keep TLS on (https:// endpoint, use_ssl=True, secure=True) and share objects with presigned URLs, not ACLs"
    # check_call reports only: a storage client (_CLIENT_TAILS, *S3FileSystem), Minio, make_public,
    # or through a keyword it reads (storage_options=, the ACL names and holders; or a **dict)
    call_names = frozenset(_CLIENT_TAILS) | last_names(_MINIO) | {_MAKE_PUBLIC}
    call_suffixes = (_FS_SUFFIX,)
    call_keywords = frozenset(("storage_options",) + _ACL_KWARGS + _ACL_HOLDERS)

    # -- Python --------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        if _is_storage_client(q):
            self._client_options(call, ctx, {"use_ssl": call.arg("use_ssl", None),
                                             "endpoint_url": call.arg("endpoint_url", None)})
            self._nested(call, ctx, call.arg("client_kwargs", None))
            self._nested(call, ctx, call.arg("config_kwargs", None))
        elif q in _MINIO:
            self._minio(call, ctx)
        so = call.arg("storage_options", None)
        if so is not None:
            self._nested(call, ctx, so, holder="storage_options")
        self._acl(call, ctx)

    def _client_options(self, call, ctx, opts, holder=None) -> bool:
        ssl = opts.get("use_ssl")
        if ssl is not None and known_false(call.scope.value(ssl)):
            ctx.report_node(self, anchor(call, ssl, holder), f"{callee(call)} with use_ssl=False: objects and requests "
                                                     f"travel in cleartext")
            return True
        ep = opts.get("endpoint_url")
        if ep is not None:
            info = url_of(call.scope.value(ep))
            if info is not None and info.scheme == "http" and info.plaintext and info.host_known:
                ctx.report_node(self, anchor(call, ep, holder),
                                f"{callee(call)} uses a plaintext http:// endpoint ({info.where}){info.source()}")
                return True
        return False

    def _nested(self, call, ctx, expr, holder: str = "") -> None:
        d = dict_value(call.scope, expr)
        if not d:
            return
        opts = {k: getattr(v, "expr", None) for k, v in d.items() if isinstance(k, str)}
        node_ok = {k: e for k, e in opts.items() if e is not None}
        if self._client_options(call, ctx, node_ok, expr):
            return
        for inner in ("client_kwargs", "config_kwargs"):
            e = d.get(inner)
            v = entry_value(e)
            if v is not None and isinstance(v.value, dict):
                sub = {k: getattr(x, "expr", None) for k, x in v.value.items() if isinstance(k, str)}
                if self._client_options(call, ctx, {k: x for k, x in sub.items() if x is not None}, expr):
                    return

    def _minio(self, call, ctx) -> None:
        if not known_false(call.value("secure", None)):
            return
        ep = call.value("endpoint", 0)
        if ep is None or not isinstance(ep.value, str) or ep.partial:
            return
        info = parse_url("http://" + ep.value.split("://", 1)[-1], False, ep.origin)
        if info is None or not info.plaintext or not info.host_known:
            return
        ctx.report_node(self, anchor(call, call.arg("secure", None)),
                        f"Minio client to {info.where} with secure=False: objects travel in cleartext")

    def _acl(self, call, ctx) -> None:
        for name in _ACL_KWARGS if call.node.keywords else ():
            node = call.arg(name, None)  # keywords only: none without any keyword (or **dict)
            if node is not None:
                self._acl_value(call, ctx, node, name)
        for holder in _ACL_HOLDERS if call.node.keywords else ():
            d = dict_value(call.scope, call.arg(holder, None))
            if d and "ACL" in d:
                self._acl_value(call, ctx, getattr(d["ACL"], "expr", None) or call.arg(holder, None), "ACL",
                                entry_value(d["ACL"]))
        if call.attr == _MAKE_PUBLIC and ("google.cloud.storage" in call.qualname or "gcsfs" in call.qualname):
            ctx.report_node(self, call.node.func, f"{callee(call)}() makes the object readable by anyone",
                            severity=Severity.MEDIUM)

    def _acl_value(self, call, ctx, node, name, value=None) -> None:
        v = value or call.scope.value(node)
        if v is None or not isinstance(v.value, str) or v.partial:
            return
        val = v.value.strip()
        key = val.lower().replace("_", "")
        if key in _PUBLIC_ACLS or (name == "public_access" and key in ("blob", "container")):
            ctx.report_node(self, anchor(call, node), f"{callee(call)} sets {name}='{val}': the object is readable "
                                                      f"by anyone", severity=Severity.MEDIUM)

    # -- shell -----------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for inv in invocations(cmd.text):
            prog, args = inv.program, inv.args
            texts = [w.text for w in args]
            if prog == "aws":
                found = option_value(args, ("--endpoint-url",))
                if found is not None:
                    j, value, last = found
                    info = parse_url(value)
                    if info is not None and info.scheme == "http" and info.plaintext and info.host_known:
                        ctx.report(self, words_span(cmd, ctx, args[j], last),
                                   f"aws CLI uses a plaintext http:// endpoint ({info.where})")
                acl = option_value(args, ("--acl",))
                if acl is not None and acl[1].lower() in _PUBLIC_ACLS:
                    ctx.report(self, words_span(cmd, ctx, args[acl[0]], acl[2]),
                               f"aws CLI sets --acl {acl[1]}: the object is readable by anyone",
                               severity=Severity.MEDIUM)
            elif prog == "gsutil" or (prog == "gcloud" and ("storage" in texts or "buckets" in texts)):
                for w in args:
                    a = w.text
                    if a.lower().startswith(("allusers", "allauthenticatedusers", "--member=allusers",
                                             "--member=allauthenticatedusers")) or a == "public-read":
                        ctx.report(self, shell_word_span(cmd, ctx, w),
                                   f"{prog} grants {a.split('=')[-1].split(':')[0]} access: the objects are "
                                   f"readable by anyone", severity=Severity.MEDIUM)
                        break
