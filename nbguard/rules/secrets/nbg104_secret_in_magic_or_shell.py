from __future__ import annotations

import re

from ...model import Severity
from ..base import Rule
from ._shared import Command, Word, credential_value, secret_name_kind, split_shell, value_span

_ASSIGN = re.compile(r"^(?P<name>[A-Za-z_]\w*)=(?P<value>.*)$", re.S)
_ENV_ARGS = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?:\s*=\s*|\s+)(?P<value>.*?)\s*$")
# "key": "value" (JSON) and key = value (INI, .env) inside an echo/printf payload
_JSON_PAIR = re.compile(r"[\"'](?P<name>[\w\-]+)[\"']\s*:\s*[\"'](?P<value>[^\"']+)[\"']")
_INI_PAIR = re.compile(r"(?:^|(?<=[\s;])|(?<=\\n))(?P<name>[A-Za-z_][\w\-]*)\s*=\s*(?P<value>[^\s\"';]+)")
_NETRC = re.compile(r"\bpassword\s+(?P<value>[^\s\"']+)")
_HEADER = re.compile(r"^\s*(?P<name>[\w\-]+)\s*:\s*(?:(?:Bearer|Basic|Token|Bot)\s+)?(?P<value>\S+)\s*$", re.I)
_LOGIN_STDIN = ("gh auth login", "docker login", "huggingface-cli login", "hf auth login", "podman login",
                "helm registry login", "oras login")


def _unquote(value: str) -> tuple[str, int]:
    """Strip one pair of quotes; also return how many leading characters were removed."""
    v = value.strip()
    lead = len(value) - len(value.lstrip())
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1], lead + 1
    return v, lead


def _literal(value: str) -> bool:
    return bool(value) and not re.search(r"\$|`|\{[^}]*\}", value)


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
        text = cmd.text
        commands = split_shell(text)
        for i, c in enumerate(commands):
            piped = commands[i + 1] if i + 1 < len(commands) and commands[i + 1].op == "|" else None
            for _word, start, end, message in self._command(c, text, piped):
                ctx.report(self, cmd.span(start, end), message)
            if c.name in ("echo", "printf") and piped is not None and c.args:
                # echo <token> | gh auth login --with-token
                nxt = " ".join(w.value for w in piped.words)
                if any(nxt.startswith(p) or f" {p}" in nxt for p in _LOGIN_STDIN):
                    w = c.args[0]
                    if not w.expands and credential_value(w.value, "secret"):
                        start, end = value_span(w, text, 0)
                        ctx.report(self, cmd.span(start, end), f"credential piped to {nxt.split(' -')[0]}")

    def _command(self, c: Command, text: str, piped: Command | None):
        words = c.words
        name = c.name
        # VAR=value prefixes, and export/declare/set arguments
        assigns: list[Word] = []
        for w in words:
            if _ASSIGN.match(w.value):
                assigns.append(w)
            else:
                break
        if name in ("export", "declare", "typeset", "local", "readonly", "setenv"):
            assigns += [w for w in c.args if _ASSIGN.match(w.value)]
        for w in assigns:
            m = _ASSIGN.match(w.value)
            var, value = m.group("name"), m.group("value")
            if _literal(value) and not w.expands and credential_value(value, secret_name_kind(var)):
                start, end = value_span(w, text, len(var) + 1)
                yield w, start, end, f"secret assigned to {var} in a shell line"
        args = c.args
        values = [w.value for w in args]
        joined = " ".join([name] + values[:3])
        # wandb login [opts] <key>
        if name == "wandb" and values[:1] == ["login"]:
            skip_next = False
            for w in args[1:]:
                if skip_next:
                    skip_next = False
                    continue
                if w.value.startswith("-"):
                    skip_next = w.value in ("--host", "--timeout") and "=" not in w.value
                    continue
                if not w.expands and credential_value(w.value, "secret"):
                    s, e = value_span(w, text, 0)
                    yield w, s, e, "API key passed to wandb login"
                break
        # kaggle config set -n key -v VALUE ; aws configure set aws_secret_access_key VALUE
        if name == "kaggle" and "config" in values and "set" in values:
            opts = dict(zip(values, args[1:]))
            key_name = next((args[k + 1].value for k, v in enumerate(values[:-1]) if v in ("-n", "--name")), "")
            val = opts.get("-v") or opts.get("--value")
            if key_name in ("key", "password") and val is not None and not val.expands \
                    and credential_value(val.value, "secret"):
                s, e = value_span(val, text, 0)
                yield val, s, e, "Kaggle key set with kaggle config"
        if name == "aws" and values[:2] == ["configure", "set"] and len(args) >= 4:
            var, val = args[2], args[3]
            if not val.expands and credential_value(val.value, secret_name_kind(var.value.split(".")[-1])):
                s, e = value_span(val, text, 0)
                yield val, s, e, f"{var.value.split('.')[-1]} set with aws configure"
        # ngrok authtoken VALUE ; ngrok config add-authtoken VALUE
        if name == "ngrok" and (values[:1] == ["authtoken"] or values[:2] == ["config", "add-authtoken"]):
            k = 1 if values[0] == "authtoken" else 2
            if k < len(args) and not args[k].value.startswith("-") and not args[k].expands \
                    and credential_value(args[k].value, "secret"):
                s, e = value_span(args[k], text, 0)
                yield args[k], s, e, "ngrok authtoken in a shell line"
        # dvc remote modify [--local] <remote> secret_access_key VALUE (also password, account_key, sas_token...)
        if name == "dvc" and values[:2] == ["remote", "modify"]:
            pos = [w for w in args[2:] if not w.value.startswith("-")]
            if len(pos) >= 3:
                opt, val = pos[1], pos[2]
                kind = secret_name_kind(opt.value) or (
                    "secret" if opt.value in ("connection_string", "sas_token", "account_key") else None)
                if kind is not None and not val.expands and credential_value(val.value, kind):
                    s, e = value_span(val, text, 0)
                    yield val, s, e, f"{opt.value} set with dvc remote modify"
        # --token X, --token=X, --hub_token X, --password X, --api-key X ...
        for k, w in enumerate(args):
            v = w.value
            if not v.startswith("-") or len(v) < 3:
                continue
            opt, eq, inline = v.lstrip("-").partition("=")
            kind = secret_name_kind(opt.replace("-", "_"))
            if kind is None:
                continue
            if eq:
                if _literal(inline) and not w.expands and credential_value(inline, kind):
                    s, e = value_span(w, text, len(v) - len(inline))
                    yield w, s, e, f"credential passed as {v.split('=')[0]} to {name}"
            elif k + 1 < len(args):
                nxt = args[k + 1]
                if not nxt.value.startswith("-") and not nxt.expands and credential_value(nxt.value, kind):
                    s, e = value_span(nxt, text, 0)
                    yield nxt, s, e, f"credential passed as {v} to {name}"
        # -p PASSWORD for docker/sshpass, -pPASSWORD for mysql
        if (name in ("sshpass",) or joined.startswith("docker login")) and "-p" in values:
            k = values.index("-p")
            if k + 1 < len(args) and not args[k + 1].expands and credential_value(args[k + 1].value, "password"):
                s, e = value_span(args[k + 1], text, 0)
                yield args[k + 1], s, e, f"password passed with -p to {name}"
        if name in ("mysql", "mysqldump", "mysqladmin"):
            for w in args:
                if w.value.startswith("-p") and len(w.value) > 2 and not w.expands \
                        and credential_value(w.value[2:], "password"):
                    s, e = value_span(w, text, 2)
                    yield w, s, e, f"password passed with -p to {name}"
        # curl -u user:password ; curl -H "Authorization: Bearer X"
        if name in ("curl", "wget", "http", "https"):
            for k, w in enumerate(args[:-1]):
                nxt = args[k + 1]
                if nxt.expands:
                    continue
                if w.value in ("-u", "--user", "--proxy-user") and ":" in nxt.value:
                    pw = nxt.value.split(":", 1)[1]
                    if credential_value(pw, "password"):
                        s, e = value_span(nxt, text, len(nxt.value) - len(pw))
                        yield nxt, s, e, f"password passed with {w.value} to {name}"
                elif w.value in ("-H", "--header"):
                    m = _HEADER.match(nxt.value)
                    if m and (m.group("name").lower() in ("authorization", "proxy-authorization")
                              or secret_name_kind(m.group("name").replace("-", "_"))) \
                            and credential_value(m.group("value"), "secret"):
                        s, e = value_span(nxt, text, m.start("value"))
                        yield nxt, s, e, f"credential in the {m.group('name')} header of {name}"
        # echo '{"username": "me", "key": "..."}' > ~/.kaggle/kaggle.json
        tee = piped is not None and piped.name == "tee"
        if name in ("echo", "printf") and (tee or any(w.value.startswith(">") for w in args)):
            target = next((args[k + 1].value for k, w in enumerate(args[:-1]) if w.value in (">", ">>")), "")
            target = target or next((w.value.lstrip(">") for w in args
                                     if w.value.startswith(">") and len(w.value) > 2), "")
            if tee and not target:
                target = next((w.value for w in piped.args if not w.value.startswith("-")), "")
            for w in args:
                if w.value.startswith(">"):
                    continue  # (a JSON payload's braces look like IPython's {expr}; check each value)
                for pat in (_JSON_PAIR, _INI_PAIR, _NETRC):
                    for m in pat.finditer(w.value):
                        var = m.groupdict().get("name") or "password"
                        kind = "secret" if var == "key" and "kaggle" in target else secret_name_kind(var)
                        if _literal(m.group("value")) and credential_value(m.group("value"), kind):
                            s, e = value_span(w, text, 0)
                            raw = text[s:e]
                            at = raw.find(m.group("value"))
                            if at >= 0:
                                s, e = s + at, s + at + len(m.group("value"))
                            yield w, s, e, f"credential written to {target or 'a file'} with {name}"
