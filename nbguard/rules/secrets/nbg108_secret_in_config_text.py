from __future__ import annotations

import re

from ...model import Severity
from .._tokens import scan
from ..base import Rule
from ._shared import NAME_WORDS, credential_value, secret_name_kind

# A line that is one setting: `.env` / ini / properties (`NAME=value`, `name = value`), YAML
# (`name: value`, `- name: value`), shell (`export NAME=value`), optionally wrapped in HTML tags
# (`<pre>password: ...</pre>`). The whole line must be the setting: prose such as "the password
# is the one you chose" never matches.
_SETTING = re.compile(
    r"""(?mix)^[ \t]*(?:<[^<>\n]{1,80}>[ \t]*)*(?:export[ \t]+|set[ \t]+|ENV[ \t]+|ARG[ \t]+|-[ \t]+)?
    (?P<q>["']?)(?P<name>[A-Za-z_][\w.\-]{0,80}?)(?P=q)[ \t]*(?:=|:)[ \t]*
    (?:(?P<vq>["'])(?P<qv>[^"'\n]{1,512})(?P=vq)|(?P<v>[^\s"'<>]{1,512}))
    [ \t]*,?[ \t]*(?:<[^<>\n]{1,80}>[ \t]*)*(?:[ \t]\#[^\n]*)?\r?$""")
# A quoted pair anywhere in a line: JSON (`"password": "..."`), a dict repr (`'DB_PASSWORD': '...'`).
_PAIR = re.compile(r"""(?P<q>["'])(?P<name>[A-Za-z_][\w.\-]{0,80})(?P=q)[ \t]*:[ \t]*(?P<vq>["'])(?P<qv>[^"'\\\n]{1,512})(?P=vq)""")
_HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)([A-Za-z_]\w*)\1")
_INDEX = re.compile(r"\[\d+\]$")


def _has_word(text: str) -> bool:
    """Could ``text`` hold a name secret_name_kind accepts (one holding a word of NAME_WORDS)?
    Substring tests on the lower-cased text: 8x faster than one case-insensitive regex on the corpus."""
    low = text.lower()
    return any(w in low for w in NAME_WORDS)


def _kind(name: str) -> str | None:
    """secret_name_kind for a setting's name; dotted keys (``fs.s3a.secret.key``) read as one name."""
    return secret_name_kind(name.replace(".", "_").replace("-", "_"))


def _heredoc_lines(lines: list[str]) -> set[int]:
    """0-based indices of the lines inside here-documents (``cat > f <<EOF ... EOF``)."""
    inside: set[int] = set()
    end: str | None = None
    for i, line in enumerate(lines):
        if end is not None:
            if line.strip() == end:
                end = None
            else:
                inside.add(i)
        elif "<<" in line and (m := _HEREDOC.search(line)) and "<<<" not in line:
            end = m.group(2)
    return inside


class SecretInConfigText(Rule):
    """## What it does
    Finds a literal credential written as a setting in text that is not Python: `.env`,
    ini, YAML and TOML lines (`AWS_SECRET_ACCESS_KEY=...`, `aws_secret_access_key = ...`,
    `password: ...`) and JSON or dict pairs (`"password": "..."`) in

    - a file written by `%%writefile .env` (or `config.yaml`, `credentials`...);
    - a here-document in a shell cell (`cat > ~/.aws/credentials <<EOF`);
    - cell outputs (streams, `text/plain`, `text/markdown`, `text/html`, `application/json`);
    - markdown and raw cells (`<details><pre>` blocks, fenced code);
    - notebook and cell metadata (a kernelspec `env`, papermill `parameters`).

    The name must say it holds a credential (the same names as `hardcoded-secret`) and the
    value must look like one: placeholders (`<your key>`, `${TOKEN}`, `xxxx`, `changeme`),
    values read from elsewhere, environment-variable names and documentation passwords are
    not reported. Keys with a provider format are left to `hardcoded-provider-token`.

    ## Why is this bad?
    A credential has no provider format to give it away once it is written as a setting:
    an AWS secret access key is 40 characters of base64, a database password is anything.
    The notebook still publishes it: the `%%writefile` cell keeps the file's content, the
    saved output keeps what a cell printed, and metadata travels with the file unseen.

    ## Example
    ```python
    %%writefile .env
    AWS_SECRET_ACCESS_KEY=Zp4Rm8Qe2Lw7Tn1Vy5Hc9Bx3Kd6Gs0Jf2Ua8Ni4O
    ```

    Use instead:
    ```python
    # keep .env out of the notebook (and out of Git); fill it from a secrets manager
    from dotenv import load_dotenv
    load_dotenv()
    ```
    Revoke the exposed credential: removing it from the notebook does not remove it from
    the Git history.

    ## References
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    - detect-secrets' KeywordDetector, which reads `.ipynb` files as raw JSON
    - [AWS: managing access keys](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html)
    """

    code = "NBG108"
    name = "secret-in-config-text"
    category = "secrets"
    severity = Severity.HIGH
    cwe = 798
    peers = ("detect-secrets:KeywordDetector", "gitleaks:generic-api-key")
    fix = "keep credentials out of the notebook: a .env outside Git, a secrets manager, or getpass(); revoke the exposed one"
    texts = frozenset({"code", "markdown", "raw", "output", "metadata"})

    def check_text(self, text, ctx) -> None:
        if text.kind == "metadata":  # one string value; its name is the label's last key
            if _has_word(text.label) or ("\n" in text.text and _has_word(text.text)):
                self._metadata(text, ctx)
            return
        lines: set[int] | None = None  # only these lines of a code cell are settings
        if text.kind == "code":
            code = ctx.code
            if code is None:
                return
            if code.cell_magic == "writefile" and (code.kind == "text" or code.file_kind == "dockerfile"):
                where = "a file written by %%writefile"
            elif code.kind == "shell" and "<<" in text.text:
                lines, where = _heredoc_lines(text.lines), "a here-document"
            else:
                return  # Python (hardcoded-secret) or shell lines (secret-in-magic-or-shell)
        else:
            where = {"markdown": "a markdown cell", "raw": "a raw cell"}.get(text.kind, "a cell output")
        if _has_word(text.text):
            self._scan(text, ctx, where, lines)

    def _scan(self, text, ctx, where: str, lines: set[int] | None) -> None:
        seen: set[int] = set()
        for pattern in (_SETTING, _PAIR):
            for m in pattern.finditer(text.text):
                group = "qv" if m.group("qv") is not None else "v"
                start = m.start(group)
                if start in seen or (lines is not None and text.pos(start)[0] - 1 not in lines):
                    continue
                name, value = m.group("name"), m.group(group)
                if self._credential(name, value):
                    seen.add(start)
                    ctx.report_offsets(self, start, m.end(group), f"credential set as {name} in {where}")

    def _metadata(self, text, ctx) -> None:
        if "\n" in text.text:
            self._scan(text, ctx, f"metadata ('{text.label}')", None)
        elif self._credential(_INDEX.sub("", text.label).rpartition(".")[2], text.text):
            ctx.report_offsets(self, 0, len(text.text), f"credential in metadata ('{text.label}')")

    @staticmethod
    def _credential(name: str, value: str) -> bool:
        kind = _kind(name)
        if kind is None or not credential_value(value, kind):
            return False
        return not any(True for _ in scan(value))  # a provider-format key: hardcoded-provider-token's
