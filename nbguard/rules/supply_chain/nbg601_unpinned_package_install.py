from __future__ import annotations

from ...model import Severity
from .._shell import CondaInstall, PipInstall, ShellViaArgv, all_commands, installs, word_span
from .._calls import last_names
from .._shell import SUBPROCESS_CALLS
from ..base import Rule

# The installer toolchain itself: upgrading it is a bootstrap step, not a project dependency.
BOOTSTRAP = frozenset({"pip", "setuptools", "wheel", "conda", "mamba"})


class UnpinnedPackageInstall(ShellViaArgv, Rule):
    """## What it does
    Flags each package a notebook installs without an exact version pin.

    It reads `%pip install`, `!pip install`, `!pip3`, `!python -m pip`, `!{sys.executable} -m pip`,
    `!uv pip install`, `%conda`/`!conda`/`!mamba`/`!micromamba install`, `%%bash` cells,
    `os.system(...)` / `subprocess.run([... "pip", "install", ...])` calls, and the `RUN`
    lines of a Dockerfile the notebook writes (`%%writefile Dockerfile`). There is
    one finding per unpinned package, on the package itself, so
    `!pip install -q -U "transformers>=4.40" datasets torch==2.3.1` gives two findings
    (`transformers`, `datasets`).

    A pip requirement is pinned by `==X.Y.Z` (not `==X.*`) or `===X`; a conda spec by
    `=X.Y` or `==X.Y` (without `*`). Version ranges (`>=`, `~=`, `<`, `!=`) are
    reported as unpinned: they accept whatever release is newest on the day the cell
    runs. `-U`/`--upgrade` of an unpinned package is the same finding, and the
    message says so; `--pre` (pre-releases allowed) is mentioned too. An unquoted
    `pkg>=1.0` is also called out: the shell reads `>=1.0` as a redirection to a
    file named `=1.0`, so pip installs the latest `pkg`.

    Not reported: requirement and constraint files (`-r requirements.txt`,
    `-c constraints.txt`; a local `-c` file pins the packages named on the same
    line), local paths and archives (`.`, `-e .`, `./pkg`, `dist/x.whl`,
    `x.tar.gz`), offline installs (`--no-index`), `$VAR` and `{var}` expansions
    (unknown statically), `pip uninstall/download/list/show/freeze`, and upgrading
    the installer toolchain alone (`pip`, `setuptools`, `wheel`, `conda`, `mamba`):
    that is a bootstrap step, not a dependency of the notebook's code. URLs and VCS
    installs are left to NBG602 (insecure index or URL) and NBG603 (`git+` without a
    commit). A future option could accept ranges with an upper bound
    (`>=1.2,<2`) for teams that prefer them to exact pins.

    ## Why is this bad?
    An unpinned install runs whatever release the index serves when the cell runs.
    A compromised or typo-squatted release, or a maintainer account takeover, is
    installed silently into the kernel, with the notebook's credentials and data at
    hand; PyPI has seen many such releases (e.g. the `ultralytics` 8.3.41 crypto-miner
    in December 2024). It also makes the notebook irreproducible: the same cells
    give different results, or break, months later.

    ## Example
    ```python
    %pip install -q -U "transformers>=4.40" datasets
    ```

    Use instead:
    ```python
    %pip install -q transformers==4.44.2 datasets==2.21.0
    # or, better, a lock file with hashes:
    %pip install -r requirements.lock --require-hashes
    ```

    ## References
    - [CWE-1357: Reliance on Insufficiently Trustworthy Component](https://cwe.mitre.org/data/definitions/1357.html)
      (the notebook relies on a component version nobody reviewed; chosen over
      CWE-494, which NBG603/NBG604 use for code fetched with no integrity check at all)
    - [hadolint DL3013: pin versions in pip](https://github.com/hadolint/hadolint/wiki/DL3013)
    - [pip: repeatable installs](https://pip.pypa.io/en/stable/topics/repeatable-installs/)
    - [pip: secure installs (hash-checking mode)](https://pip.pypa.io/en/stable/topics/secure-installs/)
    """

    code = "NBG601"
    call_names = last_names(SUBPROCESS_CALLS)  # ShellViaArgv.check_call needs one of these
    name = "unpinned-package-install"
    category = "supply-chain"
    severity = Severity.MEDIUM
    cwe = 1357
    peers = ("hadolint:DL3013",)
    fix = "pin each package to an exact version (pkg==X.Y.Z), ideally from a lock file with --require-hashes"

    def check_shell(self, cmd, ctx) -> None:
        for inst in installs(cmd.text):
            if isinstance(inst, PipInstall):
                self._pip(inst, cmd, ctx)
            else:
                self._conda(inst, cmd, ctx)

    def _pip(self, inst: PipInstall, cmd, ctx) -> None:
        if inst.has("--no-index"):
            return
        if any(not v.text.lower().startswith(("http://", "https://")) for v in inst.values("--constraint")):
            return  # a local constraints file pins what this line names
        tool = inst.installer.label
        redirects = _glued_redirects(cmd.text)
        for req in inst.requirements:
            if req.kind != "name" or req.pinned or req.canonical in BOOTSTRAP:
                continue
            spec = ",".join(op + v for op, v in req.specifiers)
            if spec:
                msg = f"{tool} installs '{req.name}' with a version range ({spec}), not a pin: " \
                      f"any matching release is installed"
            elif inst.upgrade:
                msg = f"{tool} upgrades '{req.name}' to its latest release (--upgrade) with no version pin"
            else:
                msg = f"{tool} installs '{req.name}' with no version pin"
            if inst.pre:
                msg += "; --pre also allows pre-releases"
            glued = redirects.get(req.word.end)
            if glued:
                msg += f" (unquoted, the shell reads '{glued}' as a redirection, not a version: quote the requirement)"
            ctx.report(self, word_span(cmd, ctx, req.word, req.start, req.end), msg)

    def _conda(self, inst: CondaInstall, cmd, ctx) -> None:
        tool = inst.installer.label
        for spec in inst.packages:
            if spec.pinned or spec.name.lower() in BOOTSTRAP:
                continue
            v = spec.version.strip()
            if v:
                msg = f"{tool} installs '{spec.name}' with a version range ({v}), not a pin (use {spec.name}=X.Y.Z)"
            else:
                msg = f"{tool} installs '{spec.name}' with no version pin (use {spec.name}=X.Y.Z)"
            ctx.report(self, word_span(cmd, ctx, spec.word, spec.start, spec.end), msg)


def _glued_redirects(text: str) -> dict[int, str]:
    """Redirections written against the word before them (``pkg>=4.40``, ``numpy<2``): offset -> ``'>=4.40'``."""
    return {r.start: r.op + r.target.text
            for c in all_commands(text) for r in c.redirects
            if r.glued and r.op in (">", "<") and r.target is not None}
