from __future__ import annotations

import re

from ...analysis import truthy
from ...model import Severity
from .._filters import HEX40
from .._hub import short
from .._calls import anchor, last_names
from ..base import Rule

_HUB_FUNCS = ("torch.hub.load", "torch.hub.list", "torch.hub.help")
_BRANCHES = frozenset({"main", "master", "dev", "develop", "development", "trunk", "nightly", "latest", "HEAD"})
_TAG = re.compile(r"^v?\d+(?:\.\d+)*(?:[-.+]?[A-Za-z0-9]+)*$")
_GITHUB_REPO = re.compile(r"^[\w.\-]+/[\w.\-]+$")


class UnpinnedTorchHub(Rule):
    """## What it does
    Finds `torch.hub.load`, `torch.hub.list` and `torch.hub.help` calls that fetch a GitHub
    repository without pinning it to a commit: `"owner/repo"` with no `:ref` (the
    default branch), a branch ref (`"owner/repo:main"`), or a tag (`":v1.0"`, reported
    at medium severity since tags can be moved). Also reports `trust_repo=True` and
    `skip_validation=True`, which turn off torch.hub's own checks.
    `source="local"` is not reported.

    ## Why is this bad?
    `torch.hub.load` downloads the repository and **executes its `hubconf.py`** (and
    whatever it imports) in the notebook's process, then usually loads pickled weights.
    A branch moves with every push, so the code that runs is whatever the repository
    (or whoever took it over) published last. `trust_repo=True` skips the prompt that
    asks before running code from a repository not seen before.

    ## Example
    ```python
    model = torch.hub.load("ultralytics/yolov5", "yolov5s", trust_repo=True)
    ```

    Use instead:
    ```python
    model = torch.hub.load("ultralytics/yolov5:<40-hex commit sha>", "yolov5s", trust_repo="check")
    ```
    Or vendor the repository and load it with `source="local"`.

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [torch.hub documentation](https://pytorch.org/docs/stable/hub.html) (`trust_repo` since 1.12)
    - Bandit and ruff have no rule for `torch.hub.load`
    """

    code = "NBG302"
    call_names = last_names(_HUB_FUNCS)
    name = "unpinned-torch-hub"
    category = "unpinned-model"
    severity = Severity.HIGH
    cwe = 494
    peers = ()
    fix = "pin 'owner/repo:<40-hex commit sha>' and keep trust_repo='check' (or vendor it with source='local')"

    def check_call(self, call, ctx) -> None:
        if not call.matches(*_HUB_FUNCS):
            return
        func = call.qualname.rsplit(".", 1)[-1]
        source = call.value("source")
        if source is not None and source.value == "local":
            return
        if source is None and call.arg("source") is not None:
            return  # a source we cannot read
        repo_expr = call.arg("repo_or_dir" if func == "load" else "github", 0)
        repo = ctx.scope.value(repo_expr)
        problem = ""
        severity = Severity.MEDIUM
        label = f"torch.hub.{func}"
        known = repo is not None and isinstance(repo.value, str) and not repo.partial
        if known:
            name, _, ref = repo.value.partition(":")
            if not _GITHUB_REPO.match(name):
                return  # a local directory or something we do not understand
            label = f"torch.hub.{func}('{short(repo.value)}')"
            if not ref:
                problem, severity = "runs hubconf.py from the repository's default branch", Severity.HIGH
            elif HEX40.match(ref):
                pass
            elif ref in _BRANCHES or not _TAG.match(ref):
                problem, severity = f"runs hubconf.py from branch '{short(ref, 40)}'", Severity.HIGH
            else:
                problem = f"runs hubconf.py from tag '{short(ref, 40)}' (tags can be moved)"
        flags = []
        trust = call.value("trust_repo")
        if trust is not None and trust.value is True:
            flags.append("trust_repo=True skips the trust prompt")
        skip_pos = {"load": None, "list": 2, "help": 3}[func]
        if truthy(call.value("skip_validation", skip_pos)):
            flags.append("skip_validation=True skips the repository check")
        if problem and flags:
            msg, severity = f"{label} {problem}, and " + " and ".join(flags), Severity.HIGH
        elif problem:
            msg = f"{label} {problem}"
        elif flags and known:  # pinned to a commit: a smaller risk
            msg, severity = f"{label} is pinned, but " + " and ".join(flags), Severity.LOW
        elif flags:
            msg = f"{label} with " + " and ".join(flags) + " before running the repository's hubconf.py"
        else:
            return
        ctx.report_node(self, anchor(call, repo_expr, call.node), msg, severity=severity)
