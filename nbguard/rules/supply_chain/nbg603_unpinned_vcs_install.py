from __future__ import annotations

import posixpath
import re

from ...model import Severity
from .._hosts import url_host
from .._hub import short
from .._shell import (SHELLS, PipInstall, Requirement, ShellViaArgv, all_commands, installer, installs,
                      is_python, pip_install, resolve, word_span)
from .._calls import last_names
from .._shell import SUBPROCESS_CALLS
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


class UnpinnedVcsInstall(ShellViaArgv, Rule):
    """## What it does
    Flags packages installed from a version-control URL or a code-host archive without
    a full commit hash.

    It reports `pip install git+https://github.com/org/repo` (default
    branch), `git+https://...@main` or `@v1.2` (a branch or tag can be moved),
    `git+ssh://`, `pkg @ git+https://...`, `-e git+...`, `hg+`/`svn+`/`bzr+` URLs,
    and archive links such as `https://github.com/org/repo/archive/main.zip` or
    `.../archive/refs/tags/v1.0.tar.gz`. It looks in `!`/`%pip`/`%%bash` lines,
    `uv pip install`, and the argument lists of `subprocess` calls. It also reports a
    local install of a repository the notebook cloned and never checked out at a
    commit: `!git clone https://github.com/org/repo && cd repo && pip install -e .`
    (also `pip install ./repo`, `python setup.py install`, and `%cd repo` in between),
    and the first time the notebook runs or imports such a clone's code:
    `!python repo/train.py`, `!cd repo && bash setup.sh`, `%run repo/x.py`,
    `importlib.import_module("repo.utils")`, `sys.path.append("repo")`.

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
    # ShellViaArgv.check_call needs one of the subprocess names; _CODE_FROM_PATH the others
    call_names = last_names(SUBPROCESS_CALLS) | frozenset({"import_module", "append", "insert", "run_path"})
    name = "unpinned-vcs-install"
    category = "supply-chain"
    severity = Severity.MEDIUM
    cwe = 494
    peers = ("scorecard:Pinned-Dependencies",)
    fix = "pin the URL to a full 40-hex commit (git+https://...@<sha>) or install a released version (pkg==X.Y.Z)"

    def check_shell(self, cmd, ctx) -> None:
        self._clone_then_install(cmd, ctx)
        for inst in installs(cmd.text):
            if not isinstance(inst, PipInstall):
                continue
            tool = inst.installer.label
            for req in inst.requirements:
                if req.kind == "vcs":
                    self._vcs(req, tool, cmd, ctx)
                elif req.kind == "url":
                    self._archive(req, tool, cmd, ctx)

    def check_magic(self, magic, ctx) -> None:
        if magic.name == "cd":  # %cd persists for the rest of the kernel's life
            st = _clone_state(ctx)
            st["cwd"] = _join(st["cwd"], magic.args) if magic.args.strip() else ""
        elif magic.name == "run" and magic.args.split():
            st = _clone_state(ctx)
            script = next((a for a in magic.args.split() if not a.startswith("-")), "")
            if script.endswith(".py"):
                self._ran(_join(st["cwd"], script), "%run runs", ctx, st,
                          (magic.line, magic.col, magic.line, magic.col + len(magic.args)), shown=script)

    def check_call(self, call, ctx) -> None:
        super().check_call(call, ctx)  # subprocess argv lists (ShellViaArgv)
        spec = _CODE_FROM_PATH.get(call.qualname)
        if spec is None:
            return
        v = call.value(spec[1], spec[0])
        if v is None or not isinstance(v.value, str) or not v.value:
            return
        target = v.value.replace(".", "/") if call.qualname == "importlib.import_module" else v.value
        st = _clone_state(ctx)
        self._ran(_join(st["cwd"], target), spec[2], ctx, st, ctx.node_span(call.node), shown=v.value)

    def _ran(self, target: str, how: str, ctx, st: dict, span, shown: str | None = None) -> None:
        """Code of a clone run or imported in the kernel (``!python repo/x.py``, ``%run``,
        ``importlib.import_module("repo.x")``, ``sys.path.append("repo")``): reported once per clone."""
        clone = _clone_holding(st, target)
        if clone is None or clone["pinned"] or clone.get("ran"):
            return
        clone["ran"] = True
        here = ctx.cell.index if ctx.cell is not None else -1
        where = "" if clone["cell"] == here else f" in cell {clone['cell'] + 1}"
        ctx.report(self, span, f"{how} '{short(shown or _norm(target), 80)}', code of a git clone of "
                               f"{_repo(clone['url'])}{where} that was never checked out at a commit: the default "
                               f"branch, whatever was pushed last")

    # -- git clone <url> && cd <dir> && pip install -e . ------------------------------
    def _clone_then_install(self, cmd, ctx) -> None:
        st = _clone_state(ctx)
        cell = ctx.cell.index if ctx.cell is not None else -1
        code = getattr(ctx, "code", None)
        bash = cmd.origin.startswith("%%")
        cwd = st["cwd"]
        if code is not None:
            for m in code.magics:  # %cd earlier in this cell
                if m.name == "cd" and m.line < cmd.line and m.args.strip():
                    cwd = _join(cwd, m.args)
        if bash and st.get("bash_cell") == cell:
            cwd = st["bash_cwd"]  # `cd` in an earlier line of the same %%bash cell
        for c in all_commands(cmd.text):
            inv = resolve(c)
            if inv is None or not inv.program:
                continue
            args = [w.text for w in inv.args]
            if inv.program == "cd":
                cwd = _join(cwd, args[0]) if args else ""
            elif inv.program == "git":
                self._git(args, cwd, st, cell, cmd.line)
            elif is_python(inv) and args[:1] == ["setup.py"] and args[1:2] in (["install"], ["develop"]):
                self._installed(cwd or ".", inv.args[0], "python setup.py", cmd, ctx, st)
            elif (is_python(inv) and args and args[0].endswith(".py")) or \
                    (inv.program in _SCRIPT_RUNNERS and args and args[0].endswith(".sh")):
                self._ran(_join(cwd, args[0]), f"{inv.program} runs", ctx, st, word_span(cmd, ctx, inv.args[0]),
                          shown=args[0])
            else:
                inst = pip_install(installer(inv))
                if inst is not None:
                    for req in inst.requirements:
                        if req.kind == "path":
                            target = _join(cwd, re.sub(r"\[[^\]]*\]$", "", req.word.text))
                            self._installed(target, req.word, inst.installer.label, cmd, ctx, st)
        if bash:
            st["bash_cell"], st["bash_cwd"] = cell, cwd

    def _git(self, args: list[str], cwd: str, st: dict, cell: int, line: int) -> None:
        i, gdir = 0, None
        while i < len(args) and args[i].startswith("-"):
            if args[i] in ("-C", "-c") and i + 1 < len(args):
                gdir = args[i + 1] if args[i] == "-C" else gdir
                i += 2
                continue
            i += 1
        sub, rest = (args[i], args[i + 1:]) if i < len(args) else ("", [])
        if sub == "clone":
            pos, j = [], 0
            while j < len(rest):
                a = rest[j]
                if a in _CLONE_VALUE_OPTS:
                    j += 2
                    continue
                if not a.startswith("-"):
                    pos.append(a)
                j += 1
            if not pos or not ("://" in pos[0] or pos[0].startswith("git@")) or "huggingface.co" in pos[0]:
                return  # a local clone, or a Hub repository (NBG303's)
            url = pos[0]
            dest = pos[1] if len(pos) > 1 else url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            dest = dest[:-4] if dest.endswith(".git") else dest
            st["clones"][_join(cwd, dest)] = {"url": url, "pinned": False, "cell": cell, "line": line}
        elif sub in ("checkout", "reset", "switch") and any(_FULL_SHA.match(a) for a in rest):
            where = _join(cwd, gdir) if gdir else (cwd or ".")
            clone = _find_clone(st, where)
            if clone is not None:
                clone["pinned"] = True

    def _installed(self, target: str, word, tool: str, cmd, ctx, st: dict) -> None:
        clone = _find_clone(st, target)
        if clone is None or clone["pinned"]:
            return
        here = ctx.cell.index if ctx.cell is not None else -1
        where = "" if clone["cell"] == here else f" in cell {clone['cell'] + 1}"
        ctx.report(self, word_span(cmd, ctx, word),
                   f"{tool} installs '{target}', a git clone of {_repo(clone['url'])}{where} that was never checked "
                   f"out at a commit: the default branch, whatever was pushed last")

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


_SCRIPT_RUNNERS = SHELLS | {"source", "."}  # what runs a .sh file: a shell, or sourcing it
# Python calls that run or import code from a path: qualname -> (position, keyword, what for a message)
_CODE_FROM_PATH = {
    "importlib.import_module": (0, "name", "importlib.import_module imports"),
    "sys.path.append": (0, None, "sys.path.append adds to the import path"),
    "sys.path.insert": (1, None, "sys.path.insert adds to the import path"),
    "runpy.run_path": (0, "path_name", "runpy.run_path runs"),
}
_CLONE_VALUE_OPTS = frozenset({"-b", "--branch", "--depth", "-o", "--origin", "--reference", "-c", "--config",
                               "--filter", "-j", "--jobs", "--separate-git-dir", "--template", "-u", "--upload-pack",
                               "--shallow-since", "--shallow-exclude"})


def _clone_state(ctx) -> dict:
    st = ctx.facts.get("nbg603.clones")
    if st is None:
        st = ctx.facts["nbg603.clones"] = {"clones": {}, "cwd": ""}
    return st


def _norm(p: str) -> str:
    p = p.strip().strip("'\"")
    while p.startswith("./"):
        p = p[2:]
    return p.rstrip("/") or "."


def _join(cwd: str, p: str) -> str:
    p = _norm(p)
    if p.startswith(("/", "~")) or not cwd or cwd == ".":
        return p
    if p == ".":
        return cwd
    if p == "..":
        return cwd.rsplit("/", 1)[0] if "/" in cwd else "."
    return f"{cwd}/{p}"


def _find_clone(st: dict, path: str) -> dict | None:
    """The clone at ``path`` (``/content/repo`` matches a clone made as ``repo``)."""
    clones = st["clones"]
    if path in clones:
        return clones[path]
    for d, c in clones.items():
        if path.endswith("/" + d) or d.endswith("/" + path):
            return c
    return None


def _clone_holding(st: dict, path: str) -> dict | None:
    """The clone that ``path`` lies in (``repo/train.py``, ``/content/repo/src``) or names. The
    working folder is followed through ``cd``/``%cd`` only roughly, so a path that climbs out of
    it (``../tpu/tools/x.py``) is matched on the clone's own folder name too."""
    p = posixpath.normpath(_norm(path))
    found = _find_clone(st, p)
    if found is not None:
        return found
    while p.startswith("../"):
        p = p[3:]
    for d, c in st["clones"].items():
        if p.startswith(d + "/") or f"/{d}/" in p:
            return c
    for d, c in st["clones"].items():
        base = d.rsplit("/", 1)[-1]
        if p == base or p.startswith(base + "/"):
            return c
    return None


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
