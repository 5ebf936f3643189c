from __future__ import annotations

import ast

from ...model import Severity
from .._hub import short
from .._paths import bound_qualname, cell_binding, fetched_before, in_job_script, path_provenance
from ..base import Rule

_SAFE_FILTERS = frozenset({"data", "tar"})
_SAFE_FILTER_FUNCS = ("tarfile.data_filter", "tarfile.tar_filter")
# Calls whose result is a path to a downloaded file.
_DOWNLOAD_RESULTS = ("get_file()", "hf_hub_download()", "download_url_to_file()", "download()", "cached_download()",
                     "urlretrieve()")
_ZIP_EXTS = (".zip", ".whl", ".jar", ".egg")


class ArchivePathTraversal(Rule):
    """## What it does
    Finds tar extraction that trusts the member names in the archive:
    `tarfile.open(...).extractall()` / `tar.extractall(path)` without `filter="data"`
    (or `"tar"`, or a `members=` selection), and `shutil.unpack_archive` of a
    downloaded tar archive without `filter=`. Extracting an archive the notebook built
    itself is reported at low severity. Not reported: in a script the notebook writes
    with `%%writefile x.py` (a training, evaluation or serving entry point that a job
    runs, not the kernel), an archive the script does not download itself (SageMaker's
    `/opt/ml/processing/model/model.tar.gz` is the job's own model); and in a cell, the
    `model.tar.gz` of the notebook's own training job fetched back
    (`S3Downloader.download(estimator.model_data, ...)`, `!aws s3 cp $uri .` of a
    `describe_training_job(...)["ModelArtifacts"]["S3ModelArtifacts"]`). A folder the
    notebook only created (`os.makedirs`) does not make an archive in it the notebook's.

    `zipfile.ZipFile.extractall` is not reported: CPython's zipfile strips absolute
    paths and `..` components from member names, so a zip cannot write outside the
    target folder.

    ## Why is this bad?
    A tar member can be named `../../home/user/.bashrc` or `/etc/cron.d/x`, or be a
    symlink or hard link pointing outside the target; `extractall` without a filter
    writes it there (tar-slip, CVE-2007-4559). A dataset or model archive downloaded
    into a notebook can overwrite startup files, SSH keys or the code the notebook
    imports next. Python 3.12 added extraction filters; only 3.14 makes `"data"` the
    default.

    ## Example
    ```python
    with tarfile.open("dataset.tar.gz") as tar:
        tar.extractall("data")
    ```

    Use instead:
    ```python
    with tarfile.open("dataset.tar.gz") as tar:
        tar.extractall("data", filter="data")
    ```

    ## References
    - [CWE-22: Improper Limitation of a Pathname to a Restricted Directory](https://cwe.mitre.org/data/definitions/22.html)
    - [tarfile extraction filters](https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter)
    - Bandit B202, ruff S202
    """

    code = "NBG506"
    uses_path_facts = True  # the engine records what earlier code wrote (see _paths.py)
    call_names = frozenset({"extractall", "unpack_archive"})  # see check_call
    name = "archive-path-traversal"
    category = "unsafe-deserialization"
    severity = Severity.MEDIUM
    cwe = 22
    peers = ("bandit:B202", "ruff:S202", "semgrep:trailofbits.python.tarfile-extractall-traversal")
    fix = "extract with filter='data' (Python 3.12+, backported to 3.8.17+) or pass a vetted members= list"

    def check_call(self, call, ctx) -> None:
        if call.attr == "extractall" and isinstance(call.node.func, ast.Attribute):
            self._extractall(call, ctx)
        elif call.qualname == "shutil.unpack_archive":
            self._unpack(call, ctx)

    def _filter_ok(self, call, ctx) -> bool | None:
        """True: a safe filter; False: no filter or an unsafe one; None: cannot tell."""
        expr = call.arg("filter")
        if expr is None:
            return False
        v = ctx.scope.value(expr)
        if v is not None:
            return v.value in _SAFE_FILTERS
        q = ctx.scope.qualname(expr) or ""
        if q.endswith(_SAFE_FILTER_FUNCS):
            return True
        if q.endswith("fully_trusted_filter"):
            return False
        return None

    def _extractall(self, call, ctx) -> None:
        receiver = call.node.func.value
        q = bound_qualname(ctx, receiver)
        if not q.startswith("tarfile."):
            return
        if call.arg("members", 1) is not None or call.has_opaque_kwargs():
            return
        ok = self._filter_ok(call, ctx)
        if ok is not False:
            return
        archive = self._archive_path(receiver, ctx)
        if in_job_script(ctx) and not (archive and fetched_before(ctx, archive) is not None):
            return  # a job script's own input archive (SageMaker's /opt/ml/processing/model/model.tar.gz)
        prov = path_provenance(ctx, archive, call.node.lineno) if archive else None
        if prov is not None and prov.own:
            return  # the model.tar.gz of the notebook's own training job, fetched back
        if prov is not None and prov.kind == "self":  # its content, not a folder it only made
            ctx.report_node(self, call.node, f"extractall() of '{short(archive, 60)}' without filter='data' trusts "
                                             f"member paths; the notebook built this archive itself",
                            severity=Severity.LOW)
            return
        name = f" of '{short(archive, 60)}'" if archive else ""
        bad = " with filter='fully_trusted'" if call.arg("filter") is not None else " without filter='data'"
        ctx.report_node(self, call.node, f"tarfile extractall(){name}{bad} lets member names like '../x' or "
                                         f"absolute paths write outside the target folder")

    def _archive_path(self, receiver: ast.expr, ctx) -> str | None:
        opener = receiver
        if isinstance(receiver, ast.Name):
            opener = cell_binding(ctx, receiver.id, getattr(receiver, "lineno", 10**9))
        if isinstance(opener, ast.Call):
            args = opener.args or [k.value for k in opener.keywords if k.arg in ("name", "fileobj")]
            if args:
                v = ctx.scope.str_value(args[0])
                if v is not None and not v.partial:
                    return v.value
        return None

    def _unpack(self, call, ctx) -> None:
        if self._filter_ok(call, ctx) is not False:
            return
        expr = call.arg("filename", 0)
        fmt = call.value("format", 2)
        if fmt is not None and isinstance(fmt.value, str) and fmt.value == "zip":
            return
        v = ctx.scope.str_value(expr) if expr is not None else None
        path = v.value if v is not None and not v.partial else None
        if path is not None and path.lower().endswith(_ZIP_EXTS):
            return
        downloaded = path is not None and fetched_before(ctx, path) is not None
        if not downloaded and expr is not None:
            q = bound_qualname(ctx, expr)
            downloaded = any(q.endswith(d) for d in _DOWNLOAD_RESULTS)
        if not downloaded:
            return
        name = f" of '{short(path, 60)}'" if path else ""
        ctx.report_node(self, call.node, f"shutil.unpack_archive(){name}, a downloaded archive, without filter='data' "
                                         f"lets tar member names write outside the target folder")
