from __future__ import annotations

from ...model import Severity
from .._filters import is_local_host
from .._urls import parse_url, program, shell_commands, shell_sends, word_span, word_urls
from ..base import Rule

_DOWNLOADERS = frozenset({"wget", "curl", "aria2c", "axel", "gdown", "lftp", "apt-key", "svn", "hg", "rsync"})
_GIT_FETCH = frozenset({"clone", "fetch", "pull", "ls-remote", "submodule", "remote"})
_GIT_OPTS_WITH_ARG = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace"})


class PlaintextDownloadShell(Rule):
    """## What it does
    Finds shell commands that download over plain `http://` or `ftp://`: `wget`,
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
        for words in shell_commands(cmd.text):
            prog, i = program(words)
            if not prog:
                continue
            what = self._what(prog, words, i)
            if what is None:
                continue
            if prog in ("curl", "wget"):
                creds, data = shell_sends(prog, words, i + 1)
                if creds or data:
                    continue  # an upload or an authenticated request: NBG403
            if prog == "ftp":
                self._ftp(cmd, ctx, words, i)
                continue
            for w, info in word_urls(cmd, words, ctx, i + 1):
                if info.scheme == "rsync" and info.host_known and not info.local and not info.placeholder:
                    pass
                elif not info.plaintext:
                    continue
                ctx.report(self, word_span(cmd, w, ctx),
                           f"{what} over plaintext {info.scheme}:// from {info.where}{info.source()}")
            if prog == "rsync":
                for w in words[i + 1:]:
                    host, sep, _ = w.text.partition("::")
                    if sep and host and "/" not in host and not is_local_host(host.rsplit("@", 1)[-1]):
                        ctx.report(self, word_span(cmd, w, ctx),
                                   f"rsync reads from an rsync daemon over plaintext ({host.rsplit('@', 1)[-1]})")

    @staticmethod
    def _what(prog: str, words, i: int) -> str | None:
        if prog in _DOWNLOADERS:
            return {"apt-key": "apt-key fetches a signing key", "rsync": "rsync copies files",
                    "svn": "svn fetches code", "hg": "hg fetches code"}.get(prog, f"{prog} downloads")
        if prog == "ftp":
            return "ftp"
        if prog == "git":
            j = i + 1
            while j < len(words) and words[j].text.startswith("-"):
                j += 2 if words[j].text in _GIT_OPTS_WITH_ARG else 1
            if j < len(words) and words[j].text in _GIT_FETCH:
                return f"git {words[j].text} fetches code"
        return None

    def _ftp(self, cmd, ctx, words, i: int) -> None:
        for w in words[i + 1:]:
            t = w.text
            if t.startswith("-") or not t:
                continue
            info = parse_url(t if "://" in t else "ftp://" + t)
            if info is not None and info.plaintext and info.host_known:
                ctx.report(self, word_span(cmd, w, ctx), f"ftp opens a plaintext FTP session to {info.where}")
            return
