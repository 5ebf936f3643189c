"""CI report formats: GitHub workflow annotations, JUnit XML, standalone HTML.

Each must be well-formed for the tool that reads it, point at the right place,
and never print a secret whole.
"""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from helpers import code, error, md, nb, stream, write_nb

from nbguard import cli
from nbguard.api import lint_paths
from nbguard.report import FORMATS, render
from nbguard.report.github import escape_data, escape_property

HF = "hf_" + "MnBvCxZlKjHgFdSaPoIuYtReWqMnBvCxZl"
AWS = "AKIA" + "QWERTYUIOPLKJHGF"


@pytest.fixture
def leaky(tmp_path):
    notebook = nb(
        md(f"Our key: {AWS}"),
        code(f'token = "{HF}"\nlogin(token)', outputs=[stream(f"\x0blogged in \x01with {HF}\n")]),
        code("import torch\nm = torch.load('m.pt')"),
        code("fail()", outputs=[error("HTTPError", f"bad token {HF}", [f"\x1b[31m{HF}\x1b[0m"])]),
    )
    return write_nb(tmp_path / "leaky.ipynb", notebook)


def test_every_format_is_registered_and_masks_secrets(leaky):
    report = lint_paths([leaky])
    assert {"github", "junit", "html"} <= set(FORMATS)
    for fmt in ("github", "junit", "html"):
        out = render(report, fmt)
        assert HF not in out and AWS not in out, fmt


# -- GitHub ------------------------------------------------------------------------


def test_github_annotations_point_at_the_raw_line(leaky):
    report = lint_paths([leaky])
    lines = render(report, "github").splitlines()
    assert len(lines) == len(report.findings)
    raw = open(leaky, encoding="utf-8").read().split("\n")
    by_rule = {}
    for line in lines:
        m = re.match(r"^::(error|warning) file=([^,]+),line=(\d+),title=([^:]+)::(.*)$", line)
        assert m, line
        level, path, raw_line, title, message = m.groups()
        assert path == leaky.replace("\\", "/").lstrip("/") or path.endswith("leaky.ipynb")
        by_rule.setdefault(title, []).append((level, int(raw_line), message))
    (level, raw_line, message), = [x for x in by_rule["NBG502 unsafe-torch-load"]]
    assert level == "warning"  # medium
    assert "torch.load(" in raw[raw_line - 1]
    assert message.endswith("(cell 3, line 2)")
    token_source = [x for x in by_rule["NBG101 hardcoded-provider-token"] if x[2].endswith("(cell 2, line 1)")]
    assert token_source and token_source[0][0] == "error" and HF in raw[token_source[0][1] - 1]
    assert any(", output 1)" in x[2] for x in by_rule["NBG101 hardcoded-provider-token"])


def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_escapes_odd_paths_and_reports_unreadable_files(tmp_path):
    odd = write_nb(tmp_path / "a,b:c%.ipynb", nb("import yaml\nyaml.load(f)"))
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{")
    out = render(lint_paths([odd, str(bad)]), "github")
    first, last = out.splitlines()[0], out.splitlines()[-1]
    assert "a%2Cb%3Ac%25.ipynb,line=" in first and first.startswith("::warning file=")
    assert last.startswith("::error file=") and "broken.ipynb" in last and "::not valid JSON" in last


# -- JUnit ---------------------------------------------------------------------------


def test_junit_is_valid_xml_with_one_suite_per_notebook(leaky, tmp_path):
    clean = write_nb(tmp_path / "clean.ipynb", nb("x = 1"))
    other = write_nb(tmp_path / "other.ipynb", nb("import yaml\nyaml.load(f)"))
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{")
    report = lint_paths([leaky, clean, other, str(bad)])
    root = ET.fromstring(render(report, "junit").encode("utf-8"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {leaky, other, str(bad)}
    leaky_suite = suites[leaky]
    cases = leaky_suite.findall("testcase")
    assert len(cases) == int(leaky_suite.get("tests")) == int(leaky_suite.get("failures"))
    assert len(cases) == len([f for f in report.findings if f.path == leaky])
    assert all(c.find("failure") is not None for c in cases)
    names = [c.get("name") for c in cases]
    assert "NBG502 unsafe-torch-load (cell 3, line 2)" in names
    assert any(n.startswith("NBG101 hardcoded-provider-token (cell 2, output 1") for n in names)
    assert suites[str(bad)].find("testcase/error") is not None
    assert int(root.get("failures")) == len(report.findings) and int(root.get("errors")) == 1
    text = render(report, "junit")
    assert HF not in text and "\x0b" not in text and "\x01" not in text


def test_junit_with_nothing_to_report_has_one_passing_case(tmp_path):
    clean = write_nb(tmp_path / "clean.ipynb", nb("x = 1"))
    root = ET.fromstring(render(lint_paths([clean]), "junit"))
    (case,) = root.iter("testcase")
    assert case.find("failure") is None and root.get("failures") == "0"


# -- HTML ------------------------------------------------------------------------------


def test_html_report_is_standalone_grouped_escaped_and_masked(tmp_path):
    evil = "<script>alert(1)</script>"
    path = write_nb(tmp_path / "x<b>.ipynb", nb(
        md(f"{evil} key {AWS}"),
        code(f'token = "{HF}"  # {evil}\nlogin(token)', id="abc"),
        code("import torch\nm = torch.load('m.pt')"),
    ))
    report = lint_paths([path])
    out = render(report, "html")
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert HF not in out and AWS not in out and HF[:4] in out
    assert evil not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "x&lt;b&gt;.ipynb" in out and "x<b>" not in out
    # no external assets: no linked stylesheets, scripts, images or fonts
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(", out)
    # grouped by notebook, then cell; each rule explained once, collapsible
    assert out.count("<h2>") >= 2 and "Cell 2 (code cell, id abc)" in out and "Cell 3 (code cell" in out
    assert '<details id="rule-NBG101">' in out and '<details id="rule-NBG502">' in out
    assert out.count('<details id="rule-NBG101">') == 1
    assert 'href="#rule-NBG502"' in out
    assert "Why is this bad?" in out
    assert _balanced(out)


def _balanced(document: str) -> bool:
    """Every element that is opened is closed, in order (void elements aside)."""
    from html.parser import HTMLParser

    void = {"meta", "br", "hr", "img", "input", "link", "wbr"}
    stack, ok = [], [True]

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in void:
                stack.append(tag)

        def handle_endtag(self, tag):
            if not stack or stack.pop() != tag:
                ok[0] = False

    P().feed(document)
    return ok[0] and not stack


# -- CLI --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["github", "junit", "html"])
def test_cli_writes_each_format(leaky, tmp_path, capsys, fmt):
    out_file = tmp_path / f"report.{fmt}"
    rc = cli.main(["lint", "--format", fmt, "-o", str(out_file), leaky])
    assert rc == 1
    text = out_file.read_text(encoding="utf-8")
    assert text and HF not in text
    assert "Found" in capsys.readouterr().err  # the summary goes to stderr


def test_sarif_still_validates_with_the_new_formats_registered(leaky):
    import os

    import jsonschema

    schema = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")
    with open(schema) as fh:
        jsonschema.validate(json.loads(render(lint_paths([leaky]), "sarif")), json.load(fh))


def test_documented_github_workflow_lints_uploads_sarif_then_fails():
    import os

    import yaml
    from conftest import REPO

    with open(os.path.join(REPO, "docs", "github-workflow.yml"), encoding="utf-8") as fh:
        text = fh.read()
    wf = yaml.safe_load(text)
    assert wf["permissions"]["security-events"] == "write"
    steps = wf["jobs"]["nbguard"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    runs = [s.get("run", "") for s in steps]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    assert "pip install nbguard" in runs
    i_sarif = runs.index("nbguard lint --format sarif -o nbguard.sarif || true")
    i_upload = next(i for i, u in enumerate(uses) if u.startswith("github/codeql-action/upload-sarif@"))
    assert steps[i_upload]["with"]["sarif_file"] == "nbguard.sarif" and steps[i_upload]["if"] == "always()"
    assert i_sarif < i_upload < len(steps) - 1
    assert steps[-1]["run"] == "nbguard lint --format github"  # the failing step comes last
