"""Report formats: SARIF validates and points at raw lines; secrets are masked in every format."""

import json
import os

import jsonschema
import pytest
from helpers import code, error, md, nb, result, stream, write_nb

from nbguard.api import lint_paths
from nbguard.report import render

HF = "hf_" + "MnBvCxZlKjHgFdSaPoIuYtReWqMnBvCxZl"
AWS = "AKIA" + "QWERTYUIOPLKJHGF"
SCHEMA = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")


@pytest.fixture
def leaky(tmp_path):
    notebook = nb(
        md(f"Our key: {AWS}"),
        code(f'token = "{HF}"\nlogin(token)', outputs=[stream(f"logged in with {HF}\n")]),
        code("fail()", outputs=[error("HTTPError", f"bad token {HF}", [f"\x1b[31m{HF}\x1b[0m"])]),
        code("x", outputs=[result({"text/html": f"<td>{AWS}</td>", "text/plain": AWS})]),
        code("y", papermill={"parameters": {"hf": HF}}),
    )
    return write_nb(tmp_path / "leaky.ipynb", notebook)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_format_prints_a_secret_whole(leaky, fmt):
    report = lint_paths([leaky])
    assert len(report.findings) >= 6
    out = render(report, fmt)
    assert HF not in out and AWS not in out
    assert HF[:4] in out  # a short prefix stays, so people know which key it was


def test_sarif_validates_against_the_oasis_schema(leaky, tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    report = lint_paths([leaky, str(bad)])
    sarif = json.loads(report.to_sarif())
    with open(SCHEMA) as fh:
        jsonschema.validate(sarif, json.load(fh))
    run = sarif["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "bad.ipynb" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]


def test_sarif_regions_point_at_the_raw_line_holding_the_text(leaky):
    raw = open(leaky).read().split("\n")
    sarif = json.loads(lint_paths([leaky]).to_sarif())
    for res in sarif["runs"][0]["results"]:
        line = res["locations"][0]["physicalLocation"]["region"]["startLine"]
        props = res["properties"]
        needle = HF if "Hugging" in res["message"]["text"] else AWS
        if props["where"] == "metadata":
            assert '"hf"' in raw[line - 1]
        else:
            assert needle in raw[line - 1], (res["message"], raw[line - 1])


def test_json_summary_counts(leaky):
    data = json.loads(lint_paths([leaky]).to_json())
    s = data["summary"]
    assert s["files"] == 1 and s["findings"] == len(data["findings"])
    assert s["by_category"]["secrets"] == len([f for f in data["findings"] if f["category"] == "secrets"])


def test_findings_are_in_stable_notebook_order(leaky):
    findings = lint_paths([leaky]).findings
    keys = [(f.cell, {"metadata": 0, "source": 1, "output": 2}[f.where], f.output or 0, f.line) for f in findings]
    assert keys == sorted(keys)


@pytest.mark.parametrize("source, secret", [
    (f'requests.get("https://x.org", verify=False, headers={{"k": "{HF}"}})', HF),
    ('!curl -k -u admin:Sup3rS3cret! https://10.0.0.5/api', "Sup3rS3cret!"),
    ('engine = create_engine("postgresql://bob:Hunter2Hunter2@db.corp.net/x?sslmode=disable")', "Hunter2Hunter2"),
])
def test_snippets_are_masked_even_when_secrets_rules_are_off(source, secret):
    from helpers import lint

    report = lint(nb(source), select=["insecure-network", "unencrypted-data"], )
    assert report.findings
    assert secret not in report.to_json() and secret not in report.to_text()
