from __future__ import annotations

import ast
import re

from ...model import Severity
from .._hosts import is_local_host, url_host
from .._shell import (CondaInstall, Option, PipInstall, ShellViaArgv, all_commands, installer, installs, resolve,
                      text_span, word_span)
from .._calls import last_names
from .._shell import SUBPROCESS_CALLS
from ..base import Rule

_LOOPBACK = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|0\.0\.0\.0|host\.docker\.internal)$")

# environment variables pip / uv / conda read as index settings
_ENV_INDEX = {"PIP_INDEX_URL": "index", "UV_INDEX_URL": "index", "UV_DEFAULT_INDEX": "index",
              "PIP_EXTRA_INDEX_URL": "extra", "UV_EXTRA_INDEX_URL": "extra", "UV_INDEX": "extra",
              "PIP_FIND_LINKS": "links", "UV_FIND_LINKS": "links",
              "PIP_TRUSTED_HOST": "trusted", "UV_INSECURE_HOST": "trusted",
              "CONDA_SSL_VERIFY": "ssl_verify"}
_CONFIG_KEYS = {"index-url": "index", "extra-index-url": "extra", "find-links": "links", "trusted-host": "trusted"}


class InsecurePackageIndex(ShellViaArgv, Rule):
    """## What it does
    Flags package sources that can be tampered with or shadowed. It reports:

    - a plaintext index: `--index-url http://...` / `-i http://...` (high; medium for
      an internal host name, nothing for localhost), `--find-links http://...`,
      `conda install -c http://...`;
    - `--trusted-host` (pip, also `pip config set global.trusted-host`,
      `PIP_TRUSTED_HOST`, uv's `--allow-insecure-host`) and conda's `--insecure` /
      `ssl_verify false`: certificate checks off for the package source (high);
    - `--extra-index-url` (and uv's `--index`), any scheme: dependency confusion
      (medium; high over http);
    - a remote requirements file, `-r https://...` (medium: whoever controls the URL
      chooses what is installed, and it can change between runs; high over http),
      and remote `-c http://...` constraints;
    - a package archive over plaintext: `pip install http://host/pkg.whl`;
    - the same settings made through `pip config set`, `PIP_INDEX_URL` /
      `PIP_EXTRA_INDEX_URL` / `PIP_TRUSTED_HOST` (shell `export`, `A=b pip ...`,
      `%env`, `os.environ[...] = ...`).

    Shell lines, `%pip`/`%conda` magics, `%%bash` cells and `subprocess`/`os.system`
    calls are all checked. `git+http://` is NBG603's.

    ## Why is this bad?
    Over `http://`, anyone on the network path (café Wi-Fi, a compromised proxy) can
    replace a package with their own and run code in the kernel. `--trusted-host`
    removes the certificate check that stops this. `--extra-index-url` makes pip
    pick the highest version of a name from *either* index, so anyone who publishes
    that name on PyPI wins: in December 2022 a malicious `torchtriton` on PyPI was
    installed by everyone following PyTorch's nightly instructions
    (`--extra-index-url https://download.pytorch.org/whl/nightly`). A remote
    requirements file hands the choice of packages to whoever controls that URL.

    ## Example
    ```python
    !pip install torch==2.0.1+cu118 --extra-index-url https://download.pytorch.org/whl/cu118
    !pip install mylib --index-url http://pypi.internal.example.com/simple --trusted-host pypi.internal.example.com
    ```

    Use instead:
    ```python
    !pip install torch==2.0.1+cu118 --index-url https://download.pytorch.org/whl/cu118
    !pip install mylib==1.4.2 --index-url https://pypi.internal.example.com/simple
    ```
    Serve internal indexes over HTTPS with a proper certificate (`--cert ca.pem`
    if it is a private CA), use a single index per install, and pin with hashes.

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [CWE-319: Cleartext Transmission of Sensitive Information](https://cwe.mitre.org/data/definitions/319.html),
      [CWE-295: Improper Certificate Validation](https://cwe.mitre.org/data/definitions/295.html),
      [CWE-427: Uncontrolled Search Path Element](https://cwe.mitre.org/data/definitions/427.html) (dependency confusion)
    - [PyTorch: compromised nightly dependency (torchtriton), Dec 2022](https://pytorch.org/blog/compromised-nightly-dependency/)
    - [CVE-2018-20225 / pypa/pip#8606: --extra-index-url picks the highest version from any index](https://github.com/pypa/pip/issues/8606)
    """

    code = "NBG602"
    call_names = last_names(SUBPROCESS_CALLS)  # ShellViaArgv.check_call needs one of these
    name = "insecure-package-index"
    category = "supply-chain"
    severity = Severity.HIGH
    cwe = 494
    peers = ()
    fix = "install from one HTTPS index (--index-url https://...), keep TLS checks on, pin versions with hashes"
    nodes = (ast.Assign,)

    # -- shell -------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for inst in installs(cmd.text):
            if isinstance(inst, PipInstall):
                self._pip(inst, cmd, ctx)
            else:
                self._conda(inst, cmd, ctx)
        for c in all_commands(cmd.text):
            inv = resolve(c)
            if inv is None:
                continue
            env = list(inv.env)
            if inv.program == "export" or inv.program == "declare":
                env += [(w.text.split("=", 1)[0], w.slice(w.text.index("=") + 1)) for w in inv.args if "=" in w.text]
            for name, value in env:
                kind = _ENV_INDEX.get(name)
                if kind:
                    self._setting(kind, value.text, word_span(cmd, ctx, value), ctx, f"{name}=")
            inst = installer(inv)
            if inst is not None and inst.subcommand == "config":
                self._config(inst, cmd, ctx)

    def check_magic(self, magic, ctx) -> None:
        if magic.name not in ("env", "set_env"):
            return
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)(.+)", magic.args.strip())
        if m and m.group(1) in _ENV_INDEX:
            value = m.group(2).strip().strip("'\"")
            start = magic.col + magic.args.index(m.group(2))
            span = (magic.line, start, magic.line, start + len(m.group(2)))
            self._setting(_ENV_INDEX[m.group(1)], value, span, ctx, f"%env {m.group(1)}")

    def check_node(self, node, ctx) -> None:
        for t in node.targets:
            if isinstance(t, ast.Subscript) and ctx.scope.qualname(t.value) == "os.environ":
                key = ctx.scope.str_value(t.slice)
                if key is None or key.value not in _ENV_INDEX:
                    continue
                val = ctx.scope.str_value(node.value)
                if val is not None and not val.partial:
                    self._setting(_ENV_INDEX[key.value], val.value, ctx.node_span(node.value), ctx,
                                  f"os.environ['{key.value}']")

    # -- checks ------------------------------------------------------------------
    def _pip(self, inst: PipInstall, cmd, ctx) -> None:
        tool = inst.installer.label
        for o in inst.options:
            if o.name in ("--index-url", "--default-index") and o.value is not None:
                self._url(o, cmd, ctx, "index", tool)
            elif o.name in ("--extra-index-url", "--index") and o.value is not None:
                self._url(o, cmd, ctx, "extra", tool)
            elif o.name == "--find-links" and o.value is not None:
                self._url(o, cmd, ctx, "links", tool)
            elif o.name in ("--requirement", "--constraint") and o.value is not None:
                self._url(o, cmd, ctx, "requirements" if o.name == "--requirement" else "constraints", tool)
            elif o.name == "--trusted-host" and o.value is not None:
                ctx.report(self, _option_span(cmd, ctx, o),
                           f"{tool} --trusted-host {o.value.text} turns off certificate checks for that package "
                           f"source (and allows plain http): anyone on the network path can swap packages")
        for req in inst.requirements:
            if req.kind == "url" and _plaintext(req.url) is not None:
                sev = _plaintext(req.url)
                ctx.report(self, word_span(cmd, ctx, req.word, req.start, req.end),
                           f"{tool} downloads a package from {url_host(req.url)} over plaintext http://: "
                           f"it can be replaced in transit", severity=sev)

    def _conda(self, inst: CondaInstall, cmd, ctx) -> None:
        tool = inst.installer.label
        for o in inst.options:
            if o.name == "--channel" and o.value is not None:
                sev = _plaintext(o.value.text)
                if sev is not None:
                    ctx.report(self, word_span(cmd, ctx, o.value),
                               f"{tool} installs from a plaintext http:// channel ({url_host(o.value.text)}): "
                               f"packages can be replaced in transit", severity=sev)
            elif o.name == "--insecure":
                ctx.report(self, word_span(cmd, ctx, o.word),
                           f"{tool} --insecure turns off certificate checks for package downloads")

    def _config(self, inst, cmd, ctx) -> None:
        words = list(inst.args)
        texts = [w.text for w in words]
        if inst.tool in ("pip", "uv") and "set" in texts:
            k = texts.index("set")
            if k + 2 < len(words):
                key = texts[k + 1].split(".", 1)[-1]
                if key in _CONFIG_KEYS:
                    self._setting(_CONFIG_KEYS[key], texts[k + 2], word_span(cmd, ctx, words[k + 2]), ctx,
                                  f"{inst.label} config set {texts[k + 1]}")
        elif inst.tool == "conda":
            for k, t in enumerate(texts[:-1]):
                if t == "--set" and texts[k + 1] == "ssl_verify" and k + 2 < len(words) \
                        and texts[k + 2].lower() in ("false", "no", "0", "off"):
                    ctx.report(self, word_span(cmd, ctx, words[k + 2]),
                               f"{inst.label} config --set ssl_verify {texts[k + 2]} turns off certificate checks "
                               f"for every later package download")
                if t in ("--add", "--append", "--prepend") and texts[k + 1] == "channels" and k + 2 < len(words):
                    sev = _plaintext(texts[k + 2])
                    if sev is not None:
                        ctx.report(self, word_span(cmd, ctx, words[k + 2]),
                                   f"{inst.label} config adds a plaintext http:// channel "
                                   f"({url_host(texts[k + 2])})", severity=sev)

    def _setting(self, kind: str, value: str, span, ctx, how: str) -> None:
        if kind == "trusted":
            ctx.report(self, span, f"{how} marks '{value}' as trusted: certificate checks off for that package "
                                   f"source (and plain http allowed)")
        elif kind == "ssl_verify":
            if value.lower() in ("false", "no", "0", "off"):
                ctx.report(self, span, f"{how} turns off certificate checks for conda downloads")
        elif kind == "extra":
            sev = _plaintext(value)
            ctx.report(self, span, f"{how} adds a second package index ({url_host(value) or value}) next to PyPI: "
                                   f"a same-named package on either index can win (dependency confusion)"
                                   + (", over plaintext http://" if sev else ""),
                       severity=sev or Severity.MEDIUM)
        else:
            sev = _plaintext(value)
            if sev is not None:
                ctx.report(self, span, f"{how} points pip at a plaintext http:// package source "
                                       f"({url_host(value)}): packages can be replaced in transit", severity=sev)

    def _url(self, o: Option, cmd, ctx, kind: str, tool: str) -> None:
        value = o.value.text
        span = word_span(cmd, ctx, o.value)
        if o.value.expansion:
            return
        sev = _plaintext(value)
        host = url_host(value)
        if kind == "extra":
            ctx.report(self, _option_span(cmd, ctx, o),
                       f"{tool} --extra-index-url adds {host or value} next to PyPI: pip takes the highest version "
                       f"of a name from either index, so a same-named package on PyPI can win (dependency "
                       f"confusion); use --index-url for that index" + (", and https" if sev else ""),
                       severity=sev or Severity.MEDIUM)
        elif kind in ("requirements", "constraints"):
            if not re.match(r"https?://", value, re.I) or (host and _LOOPBACK.match(host)):
                return
            if kind == "constraints" and sev is None:
                return  # remote constraints over https only narrow versions
            what = "requirements file" if kind == "requirements" else "constraints file"
            ctx.report(self, span,
                       f"{tool} reads a remote {what} from {host}"
                       + (" over plaintext http://" if sev else "")
                       + ": whoever controls that URL chooses what is installed, and it can change between runs",
                       severity=sev or Severity.MEDIUM)
        elif sev is not None:
            label = "index" if kind == "index" else "--find-links page"
            ctx.report(self, span, f"{tool} installs from a plaintext http:// {label} ({host}): packages can be "
                                   f"replaced in transit", severity=sev)


def _plaintext(url: str) -> Severity | None:
    """HIGH for http:// to a public host, MEDIUM for an internal name, None for https/loopback."""
    u = url.strip().strip("'\"")
    if not u.lower().startswith("http://"):
        return None
    host = url_host(u)
    if not host or _LOOPBACK.match(host):
        return None
    return Severity.MEDIUM if is_local_host(host) else Severity.HIGH


def _option_span(cmd, ctx, o: Option):
    a = o.word.start
    b = o.value.end if o.value is not None else o.word.end
    return text_span(cmd, ctx, a, max(a, b))
