import pytest
from helpers import code, lint, nb, output_findings, stream


def found(*outputs):
    return output_findings("NBG705", *outputs)


@pytest.mark.parametrize("text, line", [
    ("phone: +44 20 7946 0958\n", 1),
    ("x\nphone: +14155552671\n", 2),
    ("phone: (415) 867-5309\n", 1),
    ("phone: 415-867-5309\n", 1),
    ("phone: 415.867.5309\n", 1),
    ("+33 1 42 68 53 00\n", 1),
])
def test_phone_in_output(text, line):
    assert found(stream(text)) == [(0, "output", 0, line, "low")]


def test_masked():
    report = lint(nb(code("x", outputs=[stream("call (415) 867-5309 or +44 20 7946 0958\n")])), "NBG705")
    assert len(report.findings) == 1
    out = report.to_json() + report.to_text()
    assert "867-5309" not in out and "7946 0958" not in out


@pytest.mark.parametrize("text", [
    "1234567890",  # a bare digit run
    "step 4158675309",
    "2023-01-15 10:32:11",
    "(415) 555-0123",  # fictional 555-01xx
    "123-456-7890",  # area code starting with 1
    "415-186-5309",  # exchange starting with 1
    "version 415.867.5309.1",
    "loss +0.1234 acc +12.5",
    "+1 234 5",
    "192.168.100.200",
    "id=415-867-5309",
])
def test_not_a_phone(text):
    assert found(stream(f"value {text} end\n")) == []


def test_source_is_not_output():
    assert lint(nb('phone = "+44 20 7946 0958"'), "NBG705").findings == []


def test_toll_free_business_numbers_are_not_personal():
    assert found(stream("Call us at 877.426.0525 or (800) 642-7676\n")) == []


@pytest.mark.parametrize("text, line", [
    ("Customer says card was charged twice; call back on 020 8123 4567\n", 1),
    ("name: Claire Martin\nmobile: 06 12 34 56 78\n", 2),
    ("Tel. 030 1234 5678 (Zentrale)\n", 1),
])
def test_national_number_after_a_phone_word(text, line):
    assert found(stream(text)) == [(0, "output", 0, line, "low")]


@pytest.mark.parametrize("text", [
    "job 0100 7731 2231 finished\n",  # grouped digits with no phone word before them
    "Build 2024.03.04-1740 failed on runner 10.42.17.203, job 555-0100-7731\n",
    "call back on 020 7946 0321\n",  # Ofcom's drama range, outside a table
    "contact 0 1 2\n",  # too few digits
])
def test_national_look_alikes(text):
    assert found(stream(text)) == []


def test_business_lines_after_an_organisation_name():
    text = ("                              name             phone\n"
            "0  Civil Hospital Sukkur      +92 71 9310 056\n"
            "1  Northwind Traders Ltd      (415) 867-5309\n")
    assert found(stream(text)) == []


def test_person_rows_next_to_business_rows_are_still_found():
    text = ("0  Civil Hospital Sukkur      +92 71 9310 056\n"
            "1  Maria Gonzalez             (415) 867-5309\n")
    assert [f[3] for f in found(stream(text))] == [2]


@pytest.mark.parametrize("text", [
    "delta: +999 1234 5678\n",  # no country has the code 999
    "offset +44 12 3456\n",  # too short for a UK number
    "value: +1 123 555 0199 77\n",  # North-American digits plus a group no plan has
])
def test_digit_groups_no_numbering_plan_assigns_are_not_phone_numbers(text):
    assert found(stream(text)) == []


@pytest.mark.parametrize("text", [
    "phone: +81 90 1234 5678\n",  # Japanese mobile
    "tel: +49 30 1234 5678\n",  # Berlin fixed line
    "phone: 020 3123 4567\n",  # UK national, after "phone"
    "mobile: 06 12 34 56 78\n",  # French mobile, national
])
def test_numbers_of_real_numbering_plans_are_found(text):
    assert len(found(stream(text))) == 1
