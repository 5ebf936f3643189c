import pytest
from helpers import code, error, lint, nb, output_findings, result, stream

SSN = "536-22-8472"


def found(*outputs):
    return output_findings("NBG702", *outputs)


@pytest.mark.parametrize("out, line", [
    (stream(f"patient 17: {SSN}\n"), 1),
    (result({"text/html": f"<table>\n<tr><td>Alice</td>\n<td>{SSN}</td></tr>\n</table>"}), 3),
    (error("ValueError", f"bad row: {{'ssn': '{SSN}'}}", []), 1),
])
def test_ssn_in_output(out, line):
    assert found(out) == [(0, "output", 0, line, "high")]


def test_masked():
    report = lint(nb(code("x", outputs=[stream(f"{SSN} and 401-73-9921\n")])), "NBG702")
    (f,) = report.findings
    assert "2 social security numbers" in f.message
    out = report.to_json() + report.to_text()
    assert SSN not in out and "401-73-9921" not in out


@pytest.mark.parametrize("text", [
    "000-12-3456", "666-12-3456", "912-34-5678", "536-00-8472", "536-22-0000",
    "078-05-1120", "123-45-6789", "111-11-1111",
    "2023-01-1234", "v1.536-22-8472", "id-536-22-8472", "536-22-8472-x", "10.536-22-8472",
])
def test_not_ssn(text):
    assert found(stream(f"value {text} done\n")) == []


def test_source_is_not_output():
    assert lint(nb(f'ssn = "{SSN}"'), "NBG702").findings == []


def test_one_finding_per_row():
    out = result({"text/plain": f"   name          ssn\n0  Alice  {SSN}\n1  Bob    401-73-9921\n"})
    assert found(out) == [(0, "output", 0, 2, "high"), (0, "output", 0, 3, "high")]


def test_sample_numbers_count_in_a_table():
    assert found(stream("demo 078-05-1120 in prose\n")) == []
    table = result({"text/plain": "   name          ssn\n0  Alice  078-05-1120\n"})
    assert found(table) == [(0, "output", 0, 2, "high")]
