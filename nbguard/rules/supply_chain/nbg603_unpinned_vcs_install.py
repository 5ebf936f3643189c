from __future__ import annotations

import re

from ...model import Severity
from .._filters import url_host
from .._shell import PipInstall, Requirement, argv_command, installs, word_span
from ..base import Rule

_FULL_SHA = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_SHORT_SHA = re.compile(r"^[0-9a-fA-F]{7,39}$")
_PLAIN_VCS = re.compile(r"^(?:git|hg|svn|bzr)\+(?:http|git|svn|bzr)://", re.I)
_HASH_FRAGMENT = re.compile(r"[#&](?:sha256|sha384|sha512|sha1|md5)=[0-9a-fA-F]+", re.I)
# (pattern, group of the ref) for code-host archive URLs
_ARCHIVES = (
    re.compile(r"^https?://(?:www\.)?github\.com/[^/]+/[^/]+/archive/(?:refs/(?:heads|tags)/)?(?P<ref>.+?)"
               r"\.(?:zip|tar\.gz|tgz)$", re.I),
    re.compile(r"^https?://(?:www\.)?github\.com/[^/]+/[^/]+/(?:zipball|tarball)/(?P<ref>[^/]+)/?$", re.I),
    re.compile(r"^https?://codeload\.github\.com/[^/]+/[^/]+/(?:zip|tar\.gz|legacy\.zip|legacy\.tar\.gz)/"
               r"(?:refs/(?:heads|tags)/)?(?P<ref>.+)$", re.I),
    re.compile(r"^https?://gitlab\.[^/]+/.+?/-/archive/(?P<ref>[^/]+)/[^/]+$", re.I),
    re.compile(r"^https?://(?:www\.)?bitbucket\.org/[^/]+/[^/]+/get/(?P<ref>.+?)\.(?:zip|tar\.gz|tar\.bz2)$", re.I),
)


class UnpinnedVcsInstall(Rule):
    """## What it does
    Flags packages installed from a version-control URL or a code-host archive without
    a full commit hash.

    It reports `pip install git+https://github.com/org/repo` (default
    branch), `git+https://...@main` or `@v1.2` (a branch or tag can be moved),
    `git+ssh://`, `pkg @ git+https://...`, `-e git+...`, `hg+`/`svn+`/`bzr+` URLs,
    and archive links such as `https://github.com/org/repo/archive/main.zip` or
    `.../archive/refs/tags/v1.0.tar.gz`. It looks in `!`/`%pip`/`%%bash` lines,
    `uv pip install`, and the argument lists of `subprocess` calls.

    Pinned (silent): `@<40-hex commit>` (or a 64-hex SHA-256 commit), an svn
    revision number (`@r1234`), an archive of a full commit, or a URL with a
    `#sha256=` hash. An abbreviated commit (`@1a2b3c4`) is reported at low severity.
    `git+http://`, `git+git://` and `svn+svn://` are reported at high severity
    (medium when pinned): the repository travels in plaintext. `git+file://` and
    local paths are not reported.

    ## Why is this bad?
    A branch is whatever its last push made it, and a tag can be deleted and
    re-created: the notebook runs code nobody reviewed, from a repository that is not
    covered by PyPI's release immutability. A compromised maintainer account, a
    force-push or a merged malicious pull request changes what the cell installs on
    its next run, with no version number to notice. Only a full commit hash names
    fixed content (git verifies it).

    ## Example
    ```python
    !pip install -q git+https://github.com/huggingface/transformers.git
    !pip install git+https://github.com/org/tool.git@main
    ```

    Use instead:
    ```python
    !pip install -q transformers==4.44.2   # a release, if there is one
    !pip install git+https://github.com/org/tool.git@6f1c2b1f0e6d2d5f4d8c0a4a7e3b9f2c1d0e5a6b
    ```

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [pip: VCS support (commit hashes, refs)](https://pip.pypa.io/en/stable/topics/vcs-support/)
    - [PEP 440: direct references](https://peps.python.org/pep-0440/#direct-references)
    - [OpenSSF Scorecard: Pinned-Dependencies](https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies)
    """

    code = "NBG603"
    name = "unpinned-vcs-install"
    category = "supply-chain"
    severity = Severity.MEDIUM
    cwe = 494
    peers = ("scorecard:Pinned-Dependencies",)
    fix = "pin the URL to a full 40-hex commit (git+https://...@<sha>) or install a released version (pkg==X.Y.Z)"

    def check_shell(self, cmd, ctx) -> None:
        for inst in installs(cmd.text):
            if not isinstance(inst, PipInstall):
                continue
            tool = inst.installer.label
            for req in inst.requirements:
                if req.kind == "vcs":
                    self._vcs(req, tool, cmd, ctx)
                elif req.kind == "url":
                    self._archive(req, tool, cmd, ctx)

    def check_call(self, call, ctx) -> None:
        cmd = argv_command(call, ctx)
        if cmd is not None:
            self.check_shell(cmd, ctx)

    def _vcs(self, req: Requirement, tool: str, cmd, ctx) -> None:
        url = req.url
        if re.match(r"^\w+\+file:", url, re.I):
            return
        ref = vcs_ref(url)
        plaintext = bool(_PLAIN_VCS.match(url))
        where = _repo(url)
        span = word_span(cmd, ctx, req.word, req.start, req.end)
        vcs = url.split("+", 1)[0].lower()
        if ref and (_FULL_SHA.match(ref) or (vcs == "svn" and re.fullmatch(r"r?\d+", ref))):
            if plaintext:
                ctx.report(self, span, f"{tool} fetches {where} over a plaintext protocol "
                                       f"({url.split('://', 1)[0]}://); the commit pin limits what can be swapped",
                           severity=Severity.MEDIUM)
            return
        if ref and _SHORT_SHA.match(ref):
            msg, sev = f"{tool} installs {where} at an abbreviated commit '{ref}': use the full 40-hex hash", \
                Severity.LOW
        elif ref:
            msg, sev = f"{tool} installs {where} at '{ref}', a branch or tag that can be moved, not a commit", \
                self.severity
        else:
            msg, sev = f"{tool} installs {where} from its default branch: whatever was pushed last", self.severity
        if plaintext:
            msg += f", over a plaintext protocol ({url.split('://', 1)[0]}://)"
            sev = Severity.HIGH
        ctx.report(self, span, msg, severity=sev)

    def _archive(self, req: Requirement, tool: str, cmd, ctx) -> None:
        url = req.url
        if _HASH_FRAGMENT.search(url) or url.lower().startswith("http://"):
            return  # hash-checked; plaintext archives are NBG602's
        base = url.split("#", 1)[0].split("?", 1)[0]
        for pat in _ARCHIVES:
            m = pat.match(base)
            if m:
                ref = m.group("ref")
                if _FULL_SHA.match(ref):
                    return
                ctx.report(self, word_span(cmd, ctx, req.word, req.start, req.end),
                           f"{tool} installs an archive of {_archive_repo(base)} at '{ref}', a branch or tag that can "
                           f"be moved, not a commit")
                return


def vcs_ref(url: str) -> str:
    """The ``@ref`` of a pip VCS URL (``git+https://host/o/r.git@v1#egg=x`` -> ``v1``), or ''."""
    u = url.split("#", 1)[0]
    rest = u.split("://", 1)[1] if "://" in u else u
    path = rest.split("/", 1)[1] if "/" in rest else ""
    if "@" not in path:
        return ""
    return path.rsplit("@", 1)[1].strip()


def _repo(url: str) -> str:
    u = url.split("#", 1)[0]
    rest = u.split("://", 1)[1] if "://" in u else u
    rest = rest.rsplit("@", 1)[0] if "@" in rest.split("/", 1)[-1] else rest
    rest = rest.split("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest  # drop user@ of ssh URLs
    rest = rest[:-4] if rest.endswith(".git") else rest
    return f"'{rest}'"


def _archive_repo(url: str) -> str:
    host = url_host(url)
    parts = [p for p in url.split("://", 1)[-1].split("/")[1:3] if p]
    return f"'{host}/{'/'.join(parts)}'" if len(parts) == 2 else f"'{host}'"
