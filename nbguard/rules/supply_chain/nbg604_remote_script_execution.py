from __future__ import annotations

import ast
import re

from ...model import Severity
from .._calls import last_names
from .._hosts import url_host
from .._shell import SHELLS, Invocation, SimpleCommand, Word, all_pipelines, resolve, text_span
from ..base import Rule

FETCHERS = frozenset({"curl", "wget", "fetch", "http", "https", "xh", "wget2"})
_INTERPRETERS = {  # program -> options whose next word (or rest of the cluster) is code, not a script
    "python": "cm", "pypy": "cm", "ipython": "cm", "perl": "eE", "ruby": "e", "node": "ep", "nodejs": "ep",
    "php": "r", "deno": "", "bun": "e", "r": "e", "rscript": "e", "osascript": "e",
}
_STDIN = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")
_URLISH = re.compile(r"^(?:https?|ftp)://|^[\w.-]+\.[a-z]{2,}(?::\d+)?/", re.I)
_LOOPBACK = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|0\.0\.0\.0)$")
_FETCH_CALL = re.compile(
    r"(?:^|\.)(?:requests(?:\.Session\(\)|\.session\(\))?\.(?:get|post|request)"
    r"|httpx(?:\.(?:Client|AsyncClient)\(\))?\.(?:get|post|request|stream)"
    r"|urllib\.request\.urlopen|urllib2\.urlopen|urllib\.urlopen|six\.moves\.urllib\.request\.urlopen"
    r"|urllib3(?:\.PoolManager\(\))?\.request|pycurl\.Curl)\(\)")
_RUN_CELL = ("run_cell", "run_code")  # get_ipython().run_cell: tested as suffixes
_EXEC_CALLS = {"exec": "exec()", "eval": "eval()", "builtins.exec": "exec()", "builtins.eval": "eval()",
               "compile": "compile()", "builtins.compile": "compile()"}


class RemoteScriptExecution(Rule):
    """## What it does
    Flags code that is downloaded and run in one step, unreviewed and unchecked. It reports:

    - a download piped into an interpreter: `curl -fsSL URL | bash`, `| sh`, `| sudo -E
      bash -`, `| zsh`, `| python3`, `| perl`, and `wget -qO- URL | sh`;
    - substitutions that run a download: `bash <(curl URL)`, `source <(curl URL)`,
      `sh -c "$(curl -fsSL URL)"`, `python -c "$(curl URL)"`, `eval "$(wget -qO- URL)"`,
      `bash -s < <(curl URL)`;
    - Python that executes fetched text: `exec(requests.get(u).text)`,
      `exec(urlopen(u).read())`, `eval(...)`/`compile(...)`/`get_ipython().run_cell(...)`
      of a response, also through a variable set in an earlier cell;
    - IPython magics with a URL: `%run https://...` (high) and `%load https://...`
      (medium: the code is pasted into the cell, and runs when the cell is run again).

    Shell lines are checked in `!` lines, `%%bash`/`%%sh` cells and strings passed
    to `os.system`/`subprocess`. A pipe into something that does not run its input
    as code is not reported: `curl URL | head`, `| tar xz`, `| jq`, `| grep`,
    `| python3 -c "import json,sys; ..."` (the script is the `-c` argument; the
    download is only data), and downloads from localhost.

    ## Why is this bad?
    The script runs with the notebook's privileges (often root in a container, with
    cloud credentials and data mounted) the moment it arrives. Whoever controls the
    URL, the domain, the CDN or, over http, the network decides what runs; the script
    can change between two runs of the same notebook and the server can even tell a
    pipe from a browser and serve different content to each. Nothing is kept for
    review afterwards.

    ## Example
    ```python
    !curl -LsSf https://astral.sh/uv/install.sh | sh
    exec(requests.get("https://example.org/setup.py").text)
    ```

    Use instead:
    ```python
    %pip install uv==0.4.18          # a pinned package instead of an installer script
    # or: download, check the published checksum, read it, then run the file
    !curl -LsSf -o install.sh https://astral.sh/uv/0.4.18/install.sh
    !echo "<sha256>  install.sh" | sha256sum -c - && sh install.sh
    ```

    ## References
    - [CWE-494: Download of Code Without Integrity Check](https://cwe.mitre.org/data/definitions/494.html)
    - [semgrep: bash.curl.security.curl-pipe-bash](https://semgrep.dev/r/bash.curl.security.curl-pipe-bash)
      and `curl-eval` (bash files only, never notebooks)
    - [Detecting curl | bash server side](https://www.idontplaydarts.com/2016/04/detecting-curl-pipe-bash-server-side/)
    - bandit B102/B307, ruff S102/S307 (any `exec`/`eval`, not what they run)
    """

    code = "NBG604"
    name = "remote-script-execution"
    category = "supply-chain"
    severity = Severity.HIGH
    cwe = 494
    peers = ("semgrep:bash.curl.security.curl-pipe-bash", "semgrep:bash.curl.security.curl-eval",
             "bandit:B102", "ruff:S102")
    fix = "download to a file, verify its checksum and read it before running it; prefer a pinned package"
    # check_call reports only on _EXEC_CALLS and get_ipython()...run_cell/run_code
    call_names = last_names(_EXEC_CALLS)
    call_suffixes = _RUN_CELL

    # -- shell -------------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        for pipe in all_pipelines(cmd.text):
            self._pipe(pipe, cmd, ctx)
            for stage in pipe:
                self._substitutions(stage, cmd, ctx)

    def _pipe(self, pipe: tuple[SimpleCommand, ...], cmd, ctx) -> None:
        for i, stage in enumerate(pipe[:-1]):
            fetch = _fetch(stage)
            if fetch is None:
                continue
            inv, host = fetch
            for later in pipe[i + 1:]:
                prog = _stdin_interpreter(later)
                if prog:
                    span = text_span(cmd, ctx, inv.word.start, max(inv.word.start, later.end))
                    ctx.report(self, span, f"a script downloaded by {inv.program} ({host}) is piped into "
                                           f"{prog}: it runs unreviewed, with no integrity check")
                    return
            return

    def _substitutions(self, stage: SimpleCommand, cmd, ctx) -> None:
        inv = resolve(stage)
        if inv is None:
            return
        prog = _family(inv.program)
        if prog in ("eval", "source", "."):
            candidates = list(inv.args)
        elif prog in SHELLS or prog in _INTERPRETERS:
            candidates = _code_words(inv, "c" if prog in SHELLS else _INTERPRETERS[prog])
        else:
            return
        candidates += [r.target for r in stage.redirects if r.op == "<" and r.target is not None]
        for w in candidates:
            for inner, offs in w.subs:
                host = _fetch_in(inner, offs)
                if host is not None:
                    ctx.report(self, text_span(cmd, ctx, inv.word.start, max(inv.word.start, w.end)),
                               f"{inv.program} runs a script downloaded from {host} "
                               f"({_form(w)}): it runs unreviewed, with no integrity check")
                    return

    # -- python ------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        q = call.qualname
        what = _EXEC_CALLS.get(q)
        if what is None and q.endswith(_RUN_CELL) and "get_ipython" in q:
            what = "run_cell()"
        if what is None:
            return
        arg = call.arg("source", 0) if what == "compile()" else call.arg(None, 0)
        if arg is None:
            return
        fetched = _fetched(arg, ctx.scope)
        if fetched:
            ctx.report_node(self, call.node, f"{what} runs code downloaded with {fetched}: it runs unreviewed, "
                                             f"with no integrity check")

    def check_magic(self, magic, ctx) -> None:
        if magic.name not in ("run", "load", "loadpy"):
            return
        for m in re.finditer(r"\S+", magic.args):
            tok = m.group(0).strip("'\"")
            if re.match(r"(?:https?|ftp)://", tok, re.I):
                host = url_host(tok)
                if _LOOPBACK.match(host or ""):
                    return
                span = (magic.line, magic.col + m.start(), magic.line, magic.col + m.end())
                if magic.name == "run":
                    ctx.report(self, span, f"%run executes a script fetched from {host}: it runs unreviewed, "
                                           f"with no integrity check")
                else:
                    ctx.report(self, span, f"%{magic.name} pastes code fetched from {host} into the cell: "
                                           f"whatever the URL serves runs when the cell runs",
                               severity=Severity.MEDIUM)
                return


def _family(program: str) -> str:
    p = program.lower()
    m = re.match(r"^(python|pypy|ipython)[\d.]*(?:\.exe)?$", p)
    return m.group(1) if m else p


def _fetch(stage: SimpleCommand) -> tuple[Invocation, str] | None:
    """(invocation, host) when the command downloads a URL to stdout."""
    inv = resolve(stage)
    if inv is None or inv.program not in FETCHERS:
        return None
    words = [w.text for w in inv.args]
    if inv.program in ("wget", "wget2"):
        if not _wget_stdout(words):
            return None
    elif inv.program == "curl" and _curl_to_file(words):
        return None
    urls = [w for w in inv.args if _URLISH.match(w.text) or (w.expansion and not w.text.startswith("-"))]
    hosts = [url_host(w.text if "://" in w.text else "http://" + w.text) for w in urls if not w.expansion]
    if hosts and all(_LOOPBACK.match(h or "") for h in hosts):
        return None
    host = next((h for h in hosts if h), "") or "a URL only known at run time"
    if any(w.text.lower().startswith("http://") for w in urls):
        host += ", over plaintext http://"
    return inv, host


def _wget_stdout(words: list[str]) -> bool:
    for k, t in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if t in ("-O", "--output-document") and nxt == "-":
            return True
        if t == "--output-document=-":
            return True
        if t.startswith("-") and not t.startswith("--") and "O" in t:
            rest = t[t.index("O") + 1:]
            if rest == "-" or (rest == "" and nxt == "-"):
                return True
    return False


def _curl_to_file(words: list[str]) -> bool:
    for k, t in enumerate(words):
        nxt = words[k + 1] if k + 1 < len(words) else ""
        if t in ("--output", "-o"):
            return nxt != "-"
        if t.startswith("--output=") or t in ("--remote-name", "--remote-name-all", "-O"):
            return t != "--output=-"
        if t.startswith("-") and not t.startswith("--") and ("o" in t[1:] or "O" in t[1:]):
            return not (t.endswith("o") and nxt == "-")
    return False


def _stdin_interpreter(stage: SimpleCommand) -> str:
    """The interpreter's name when the command runs its standard input as code, else ''."""
    inv = resolve(stage)
    if inv is None:
        return ""
    prog = _family(inv.program)
    if prog in ("source", "."):
        return inv.program if inv.args and inv.args[0].text in _STDIN else ""
    if prog in SHELLS:
        code_opts = "c"
    elif prog in _INTERPRETERS:
        code_opts = _INTERPRETERS[prog]
    else:
        return ""
    args = inv.args
    k = 0
    while k < len(args):
        t = args[k].text
        if t == "--":
            k += 1
            break
        if t.startswith("--") or not t.startswith(("-", "+")) or t in ("-",):
            if t.startswith("--"):
                if t in ("--eval", "--print", "--command"):
                    return ""
                k += 1
                continue
            break
        letters = t[1:]
        if any(ch in code_opts for ch in letters):
            return ""
        if prog in SHELLS and "s" in letters:
            return inv.program
        k += 2 if t in ("-o", "+o", "-O", "+O", "-W", "-X") else 1
    if k >= len(args) or args[k].text in _STDIN:
        return " ".join(inv.wrappers + (inv.program,))
    return ""


def _code_words(inv: Invocation, code_opts: str) -> list[Word]:
    """The words an interpreter runs as code: the -c/-e argument and the script argument."""
    args = inv.args
    out: list[Word] = []
    k = 0
    while k < len(args):
        t = args[k].text
        if t.startswith("-") and not t.startswith("--") and len(t) > 1:
            if any(ch in code_opts for ch in t[1:]):
                if k + 1 < len(args):
                    out.append(args[k + 1])
                return out
            k += 1
            continue
        if t.startswith("--"):
            k += 1
            continue
        out.append(args[k])  # the script
        return out
    return out


def _fetch_in(text: str, offsets) -> str | None:
    for pipe in all_pipelines(text, offsets):
        for stage in pipe:
            f = _fetch(stage)
            if f is not None:
                return f[1]
    return None


def _form(w: Word) -> str:
    t = w.text
    if t.startswith(("<(", ">(")):
        return "process substitution <(...)"
    if "`" in t:
        return "command substitution `...`"
    return "command substitution $(...)"


def _fetched(expr: ast.expr, scope) -> str:
    """'requests.get' when expr (or a name it was built from) holds a downloaded response."""
    for node in ast.walk(expr):
        if isinstance(node, (ast.Call, ast.Attribute, ast.Name)):
            m = _FETCH_CALL.search(scope.qualname(node) or "")
            if m:
                return m.group(0).lstrip(".").replace("()", "")
    return ""
