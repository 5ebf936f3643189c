from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ...model import Severity
from .._shell import Invocation, SimpleCommand, Word, assignment, leading_assignments, parse, program, stdout_to_file
from ..base import Rule
from ._shared import credential_value, secret_name_kind

_ENV_ARGS = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?:\s*=\s*|\s+)(?P<value>.*?)\s*$")
# "key": "value" (JSON) and key = value (INI, .env) inside an echo/printf payload
_JSON_PAIR = re.compile(r"[\"'](?P<name>[\w\-]+)[\"']\s*:\s*[\"'](?P<value>[^\"']+)[\"']")
_INI_PAIR = re.compile(r"(?:^|(?<=[\s;])|(?<=\\n))(?P<name>[A-Za-z_][\w\-]*)\s*=\s*(?P<value>[^\s\"';]+)")
_NETRC = re.compile(r"\bpassword\s+(?P<value>[^\s\"']+)")
_HEADER = re.compile(r"^\s*(?P<name>[\w\-]+)\s*:\s*(?:(?:Bearer|Basic|Token|Bot)\s+)?(?P<value>\S+)\s*$", re.I)
_LOGIN_STDIN = ("gh auth login", "docker login", "huggingface-cli login", "hf auth login", "podman login",
                "helm registry login", "oras login")
# $X, `...`, {expr} anywhere in a word's value (quoted or not): the value is not the literal written
_EXPANDED = re.compile(r"\$|`|\{[^}]*\}")


def _unquote(value: str) -> tuple[str, int]:
    """Strip one pair of quotes; also return how many leading characters were removed."""
    v = value.strip()
    lead = len(value) - len(value.lstrip())
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1], lead + 1
    return v, lead


def _literal(value: str) -> bool:
    return bool(value) and not _EXPANDED.search(value)


def _expands(word: Word) -> bool:
    return bool(_EXPANDED.search(word.text))


class SecretInMagicOrShell(Rule):
    """## What it does
    Finds a literal credential set or passed in IPython magics and shell lines (`!cmd`,
    `%%bash`/`%%sh` cells, `os.system(...)` strings):

    - `%env HF_TOKEN=...`, `%set_env WANDB_API_KEY ...`;
    - `!export OPENAI_API_KEY=...`, `export` (or `KEY=... cmd`) in `%%bash`;
    - login commands: `huggingface-cli login --token ...`, `hf auth login --token ...`,
      `wandb login <key>`, `kaggle config set -n key -v ...`, `docker login -p ...`,
      `aws configure set aws_secret_access_key ...`, `echo <token> | gh auth login --with-token`,
      `dvc remote modify --local <remote> secret_access_key ...`, `ngrok authtoken ...` /
      `ngrok config add-authtoken ...`;
    - credential options of any program: `--hub_token ...`, `--api-key=...`, `--password ...`,
      `curl -u user:password`, `curl -H "Authorization: Bearer ..."`;
    - credential files written with `echo`: `echo '{"username":"me","key":"..."}' > ~/.kaggle/kaggle.json`.

    A value that is expanded (`%env K=$OTHER`, `--token $HF_TOKEN`, `{token}`) is not
    a literal and is not reported; a bare `%env` (a listing) is NBG105.

    ## Why is this bad?
    Python linters parse the cell as Python and never see magics or shell lines, so a
    key typed into `%env` or `!huggingface-cli login --token` goes unnoticed, yet it
    is saved in the notebook (and often echoed into the output by the command).

    ## Example
    ```python
    %env WANDB_API_KEY=3f9a1c0d5e7b2a4f6c8d0e1f3a5b7c9d1e3f5a7b
    !huggingface-cli login --token hf_...
    ```

    Use instead:
    ```python
    import os, getpass
    os.environ["WANDB_API_KEY"] = getpass.getpass("W&B key: ")
    from huggingface_hub import login; login()  # prompts, or reads HF_TOKEN
    ```

    ## References
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    - [CWE-214: Invocation of Process Using Visible Sensitive Information](https://cwe.mitre.org/data/definitions/214.html)
    """

    code = "NBG104"
    name = "secret-in-magic-or-shell"
    category = "secrets"
    severity = Severity.HIGH
    cwe = 798
    peers = ()
    fix = "set the variable from getpass()/a secrets manager, or let the tool prompt or read its environment variable"
    # check_shell reports only: NAME=value ("="), an option or -p ("-"), a pipe ("|"), an echo
    # redirect (">"), or a wandb/aws/ngrok/dvc command; a word's value is its raw characters
    # minus quotes and backslashes, so a name split by quoting still has one of those.
    shell_anchors = ("=", "-", "|", ">", "'", '"', "\\", "wandb", "aws", "ngrok", "dvc")

    # -- %env / %set_env --------------------------------------------------------
    def check_magic(self, magic, ctx) -> None:
        if magic.name not in ("env", "set_env") or not magic.args.strip():
            return
        m = _ENV_ARGS.match(magic.args)
        if m is None or not m.group("value"):
            return
        name = m.group("name")
        value, lead = _unquote(m.group("value"))
        if not _literal(value) or not credential_value(value, secret_name_kind(name)):
            return
        start = m.start("value") + lead
        span = (magic.line, magic.col + start, magic.line, magic.col + start + len(value))
        ctx.report(self, span, f"secret set with %{magic.name} {name}")

    # -- shell lines ------------------------------------------------------------
    def check_shell(self, cmd, ctx) -> None:
        commands = parse(cmd.text)
        for i, c in enumerate(commands):
            piped = commands[i + 1] if c.sep == "|" and i + 1 < len(commands) else None
            line = _Line(c, program(c), piped)
            for extract in _extractors(line.name):
                for start, end, message in extract(line):
                    ctx.report(self, cmd.span(start, end), message)
            if line.name in ("echo", "printf") and piped is not None and line.args:
                # echo <token> | gh auth login --with-token
                nxt = " ".join(w.text for w in piped.words)
                if any(nxt.startswith(p) or f" {p}" in nxt for p in _LOGIN_STDIN):
                    w = line.args[0]
                    if not _expands(w) and credential_value(w.text, "secret"):
                        ctx.report(self, cmd.span(*w.span()), f"credential piped to {nxt.split(' -')[0]}")


# -- per-tool extractors ----------------------------------------------------------
# Each takes one simple command (with the command it pipes into) and yields the
# (start, end, message) of every literal credential it passes; offsets are in the
# command text. The table below says which programs each one reads.

@dataclass
class _Line:
    command: SimpleCommand
    invocation: Invocation | None  # None for a line of NAME=value words only
    piped: SimpleCommand | None  # the command this one pipes into

    def __post_init__(self) -> None:
        inv = self.invocation
        # the program as written (its basename): messages name it so, "{sys.executable}" included
        self.name = inv.word.text.rsplit("/", 1)[-1] if inv is not None else ""
        self.args: tuple[Word, ...] = inv.args if inv is not None else ()
        self.values = [w.text for w in self.args]


Found = Iterator[tuple[int, int, str]]
_DECLARERS = frozenset({"export", "declare", "typeset", "local", "readonly", "setenv"})


def _assignments(line: _Line) -> Found:
    """``TOKEN=... cmd`` prefixes and ``export``/``declare`` arguments."""
    assigns = leading_assignments(line.command)
    if line.name in _DECLARERS:
        assigns += [a for a in map(assignment, line.args) if a is not None]
    for var, value in assigns:
        if _literal(value.text) and credential_value(value.text, secret_name_kind(var)):
            yield (*value.span(), f"secret assigned to {var} in a shell line")


def _wandb_login(line: _Line) -> Found:
    """``wandb login [opts] <key>``"""
    if line.values[:1] != ["login"]:
        return
    skip_next = False
    for w in line.args[1:]:
        if skip_next:
            skip_next = False
            continue
        if w.text.startswith("-"):
            skip_next = w.text in ("--host", "--timeout") and "=" not in w.text
            continue
        if not _expands(w) and credential_value(w.text, "secret"):
            yield (*w.span(), "API key passed to wandb login")
        break


def _kaggle_config(line: _Line) -> Found:
    """``kaggle config set -n key -v VALUE``"""
    values, args = line.values, line.args
    if "config" not in values or "set" not in values:
        return
    opts = dict(zip(values, args[1:]))
    key_name = next((args[k + 1].text for k, v in enumerate(values[:-1]) if v in ("-n", "--name")), "")
    val = opts.get("-v") or opts.get("--value")
    if key_name in ("key", "password") and val is not None and not _expands(val) \
            and credential_value(val.text, "secret"):
        yield (*val.span(), "Kaggle key set with kaggle config")


def _aws_configure(line: _Line) -> Found:
    """``aws configure set aws_secret_access_key VALUE``"""
    if line.values[:2] != ["configure", "set"] or len(line.args) < 4:
        return
    var, val = line.args[2], line.args[3]
    key = var.text.split(".")[-1]
    if not _expands(val) and credential_value(val.text, secret_name_kind(key)):
        yield (*val.span(), f"{key} set with aws configure")


def _ngrok_authtoken(line: _Line) -> Found:
    """``ngrok authtoken VALUE``, ``ngrok config add-authtoken VALUE``"""
    values, args = line.values, line.args
    if values[:1] != ["authtoken"] and values[:2] != ["config", "add-authtoken"]:
        return
    k = 1 if values[0] == "authtoken" else 2
    if k < len(args) and not args[k].text.startswith("-") and not _expands(args[k]) \
            and credential_value(args[k].text, "secret"):
        yield (*args[k].span(), "ngrok authtoken in a shell line")


def _dvc_remote(line: _Line) -> Found:
    """``dvc remote modify [--local] <remote> secret_access_key VALUE`` (also password, account_key, sas_token...)"""
    if line.values[:2] != ["remote", "modify"]:
        return
    pos = [w for w in line.args[2:] if not w.text.startswith("-")]
    if len(pos) >= 3:
        opt, val = pos[1], pos[2]
        kind = secret_name_kind(opt.text) or (
            "secret" if opt.text in ("connection_string", "sas_token", "account_key") else None)
        if kind is not None and not _expands(val) and credential_value(val.text, kind):
            yield (*val.span(), f"{opt.text} set with dvc remote modify")


def _credential_options(line: _Line) -> Found:
    """``--token X``, ``--token=X``, ``--hub_token X``, ``--password X``, ``--api-key X`` of any program."""
    args, name = line.args, line.name
    for k, w in enumerate(args):
        v = w.text
        if not v.startswith("-") or len(v) < 3:
            continue
        opt, eq, inline = v.lstrip("-").partition("=")
        kind = secret_name_kind(opt.replace("-", "_"))
        if kind is None:
            continue
        if eq:
            if _literal(inline) and not _expands(w) and credential_value(inline, kind):
                yield (*w.span(len(v) - len(inline)), f"credential passed as {v.split('=')[0]} to {name}")
        elif k + 1 < len(args):
            nxt = args[k + 1]
            if not nxt.text.startswith("-") and not _expands(nxt) and credential_value(nxt.text, kind):
                yield (*nxt.span(), f"credential passed as {v} to {name}")


def _dash_p(line: _Line) -> Found:
    """``-p PASSWORD`` for ``sshpass`` and ``docker login``"""
    values, args = line.values, line.args
    if line.name == "docker" and not (values and values[0].startswith("login")):
        return
    if "-p" in values:
        k = values.index("-p")
        if k + 1 < len(args) and not _expands(args[k + 1]) and credential_value(args[k + 1].text, "password"):
            yield (*args[k + 1].span(), f"password passed with -p to {line.name}")


def _mysql_p(line: _Line) -> Found:
    """``-pPASSWORD`` for the MySQL clients"""
    for w in line.args:
        if w.text.startswith("-p") and len(w.text) > 2 and not _expands(w) \
                and credential_value(w.text[2:], "password"):
            yield (*w.span(2), f"password passed with -p to {line.name}")


def _http_auth(line: _Line) -> Found:
    """``curl -u user:password``, ``curl -H "Authorization: Bearer X"``"""
    args, name = line.args, line.name
    for k, w in enumerate(args[:-1]):
        nxt = args[k + 1]
        if _expands(nxt):
            continue
        if w.text in ("-u", "--user", "--proxy-user") and ":" in nxt.text:
            pw = nxt.text.split(":", 1)[1]
            if credential_value(pw, "password"):
                yield (*nxt.span(len(nxt.text) - len(pw)), f"password passed with {w.text} to {name}")
        elif w.text in ("-H", "--header"):
            m = _HEADER.match(nxt.text)
            if m and (m.group("name").lower() in ("authorization", "proxy-authorization")
                      or secret_name_kind(m.group("name").replace("-", "_"))) \
                    and credential_value(m.group("value"), "secret"):
                yield (*nxt.span(m.start("value")),
                       f"credential in the {m.group('name')} header of {name}")


def _echo_to_file(line: _Line) -> Found:
    """``echo '{"username": "me", "key": "..."}' > ~/.kaggle/kaggle.json``, ``... | tee .env``"""
    piped = line.piped
    tee = piped is not None and (program(piped) or _NO_PROGRAM).program == "tee"
    redirect = stdout_to_file(line.command)
    if not tee and redirect is None:
        return
    target = redirect.target.text if redirect is not None and redirect.target is not None else ""
    if tee and not target:
        target = next((w for w in (program(piped) or _NO_PROGRAM).args if not w.text.startswith("-")), None)
        target = target.text if target is not None else ""
    for w in line.args:  # (a JSON payload's braces look like IPython's {expr}; check each value)
        for pat in (_JSON_PAIR, _INI_PAIR, _NETRC):
            for m in pat.finditer(w.text):
                var = m.groupdict().get("name") or "password"
                kind = "secret" if var == "key" and "kaggle" in target else secret_name_kind(var)
                if _literal(m.group("value")) and credential_value(m.group("value"), kind):
                    yield (*w.span(m.start("value"), m.end("value")),
                           f"credential written to {target or 'a file'} with {line.name}")


_NO_PROGRAM = Invocation("", Word("", 0, 0, ()), ())

# (the programs it reads, or None for every program; extractor), in the order findings are made
_EXTRACTORS: tuple[tuple[frozenset[str] | None, Callable[[_Line], Found]], ...] = (
    (None, _assignments),
    (frozenset({"wandb"}), _wandb_login),
    (frozenset({"kaggle"}), _kaggle_config),
    (frozenset({"aws"}), _aws_configure),
    (frozenset({"ngrok"}), _ngrok_authtoken),
    (frozenset({"dvc"}), _dvc_remote),
    (None, _credential_options),
    (frozenset({"sshpass", "docker"}), _dash_p),
    (frozenset({"mysql", "mysqldump", "mysqladmin"}), _mysql_p),
    (frozenset({"curl", "wget", "http", "https"}), _http_auth),
    (frozenset({"echo", "printf"}), _echo_to_file),
)


def _extractors(name: str) -> list[Callable[[_Line], Found]]:
    return [extract for programs, extract in _EXTRACTORS if programs is None or name in programs]
