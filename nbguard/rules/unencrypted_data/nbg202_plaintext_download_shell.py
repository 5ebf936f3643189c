from __future__ import annotations

from ...model import Severity
from .._calls import url_has_credentials
from .._urls import invocations, is_internal_host, parse_url, shell_sends, word_span, word_urls
from ..base import Rule

_DOWNLOADERS = frozenset({"wget", "curl", "aria2c", "axel", "gdown", "lftp", "apt-key", "svn", "hg", "rsync"})
_GIT_FETCH = frozenset({"clone", "fetch", "pull", "ls-remote", "submodule", "remote"})
_GIT_OPTS_WITH_ARG = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace"})


class PlaintextDownloadShell(Rule):
    """## What it does
    Finds shell commands that download over plain `http://` or `ftp://`.

    Commands: `wget`,
    `curl`, `aria2c`, `gdown`, `lftp`, `git clone`/`fetch`/`pull`, `svn`, `hg`,
    `rsync://` and `host::module` rsync daemons, `ftp host`, and `apt-key --fetch-keys`.
    It reads `!` lines, `%%bash`/`%%sh` cells, and command strings given to
    `os.system` or `subprocess`, and resolves IPython's `{var}`/`$var` expansions
    from earlier cells. Local hosts are exempt.

    ## Why is this bad?
    A download over plain HTTP or FTP can be read and replaced by anyone on the
    network path. Notebooks usually unpack and load what they download right away
    (datasets, archives, weights), so a tampered file poisons the run or, for pickled
    formats and scripts, executes code. `git clone http://` fetches code the same way.

    ## Example
    ```python
    !wget http://kdd.ics.uci.edu/databases/kddcup99/kddcup.data_10_percent.gz
    ```

    Use instead:
    ```python
    !wget https://kdd.ics.uci.edu/databases/kddcup99/kddcup.data_10_percent.gz
    !echo "<sha256>  kddcup.data_10_percent.gz" | sha256sum -c -
    ```

    ## References
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html)
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - semgrep `bash.curl.security` rules (bash files only; no peer reads notebook shell lines)
    """

    code = "NBG202"
    name = "plaintext-download-shell"
    category = "unencrypted-data"
    severity = Severity.MEDIUM
    cwe = 319
    peers = ()
    fix = "use https:// (or a bucket you control) and check the file's sha256 before using it"

    def check_shell(self, cmd, ctx) -> None:
        for inv in invocations(cmd.text):
            prog, args = inv.program, inv.args
            what = self._what(prog, args)
            if what is None:
                continue
            if prog in ("curl", "wget"):
                creds, data = shell_sends(prog, args)
                if creds or data:
                    continue  # an upload or an authenticated request: NBG403
            if prog == "ftp":
                self._ftp(cmd, ctx, args)
                continue
            for w, info in word_urls(cmd, args, ctx):
                if info.scheme == "rsync" and info.host_known and not info.local and not info.placeholder:
                    pass
                elif not info.plaintext:
                    continue
                if url_has_credentials(info.url) and info.host_known:
                    continue  # NBG403 (plaintext-credentials-sent) reports it
                ctx.report(self, word_span(cmd, w, ctx),
                           f"{what} over plaintext {info.scheme}:// from {info.where}{info.source()}")
            if prog == "rsync":
                for w in args:
                    host, sep, _ = w.text.partition("::")
                    if sep and host and "/" not in host and not w.expansion \
                            and not is_internal_host(host.rsplit("@", 1)[-1]):
                        ctx.report(self, word_span(cmd, w, ctx),
                                   f"rsync reads from an rsync daemon over plaintext ({host.rsplit('@', 1)[-1]})")

    @staticmethod
    def _what(prog: str, args) -> str | None:
        if prog in _DOWNLOADERS:
            return {"apt-key": "apt-key fetches a signing key", "rsync": "rsync copies files",
                    "svn": "svn fetches code", "hg": "hg fetches code"}.get(prog, f"{prog} downloads")
        if prog == "ftp":
            return "ftp"
        if prog == "git":
            j = 0
            while j < len(args) and args[j].text.startswith("-"):
                j += 2 if args[j].text in _GIT_OPTS_WITH_ARG else 1
            if j < len(args) and args[j].text in _GIT_FETCH:
                return f"git {args[j].text} fetches code"
        return None

    def _ftp(self, cmd, ctx, args) -> None:
        for w in args:
            t = w.text
            if t.startswith("-") or not t or w.expansion:
                continue
            info = parse_url(t if "://" in t else "ftp://" + t)
            if info is not None and info.plaintext and info.host_known:
                ctx.report(self, word_span(cmd, w, ctx), f"ftp opens a plaintext FTP session to {info.where}")
            return
