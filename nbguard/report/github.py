"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

    ::error file=nb/train.ipynb,line=42,title=NBG101 hardcoded-provider-token::Hugging Face access token in code (cell 3, line 1)

``line`` is the line of the ``.ipynb`` file that holds the text (so the annotation
lands in the file view of a pull request); the cell and the line in the cell are in
the message. High and critical findings are errors, medium and low are warnings.
Values are escaped as the runner expects: ``%``, CR and LF everywhere, and also
``:`` and ``,`` in properties.
"""

from __future__ import annotations

import os

from ..model import Severity


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _path(path: str) -> str:
    p = path
    if os.path.isabs(p):
        try:
            rel = os.path.relpath(p)
            if not rel.startswith(".."):
                p = rel
        except ValueError:
            pass
    p = p.replace(os.sep, "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def annotation(f) -> str:
    level = "error" if f.severity >= Severity.HIGH else "warning"
    props = [f"file={escape_property(_path(f.path))}"]
    if f.raw_line:
        props.append(f"line={f.raw_line}")
    props.append(f"title={escape_property(f'{f.rule} {f.name}')}")
    if f.cell >= 0:
        where = f"cell {f.cell + 1}, line {f.line}"
        if f.where == "output":
            where += f", output {f.output + 1 if f.output is not None else '?'}"
    else:
        where = "notebook metadata"
    return f"::{level} {','.join(props)}::{escape_data(f'{f.message} ({where})')}"


def render(report) -> str:
    lines = [annotation(f) for f in report.findings]
    for e in report.errors:
        lines.append(f"::error file={escape_property(_path(e.path))},title=nbguard::{escape_data(e.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
