import pytest
from helpers import code, lint, nb, output_findings, result, stream

DE = "DE50370400440532013411"
GB = "GB19NWBK60161331926999"
FR = "FR4830006000011234567890111"


def found(*outputs):
    return output_findings("NBG704", *outputs)


@pytest.mark.parametrize("text, line", [
    (f"iban: {DE}\n", 1),
    ("payee\nIBAN GB19 NWBK 6016 1331 9269 99\n", 2),
    (f"   name                         iban\n0  Alice  {FR}\n", 2),
])
def test_iban_in_output(text, line):
    assert found(stream(text)) == [(0, "output", 0, line, "medium")]


def test_masked():
    report = lint(nb(code("x", outputs=[result({"text/plain": f"['{DE}', '{GB}']"})])), "NBG704")
    (f,) = report.findings
    assert "2 IBANs" in f.message
    out = report.to_json() + report.to_text()
    assert DE not in out and GB not in out


@pytest.mark.parametrize("text", [
    "DE50370400440532013412",  # check digits wrong
    "DE5037040044053201341",  # wrong length for DE
    "GB82WEST12345698765432",  # the standard documentation example
    "XX50370400440532013411",  # no such country
    "ISBN 978-3-16-148410-0",
    "AB12CD34EF56GH78",
])
def test_not_an_iban(text):
    assert found(stream(f"value {text} end\n")) == []


def test_source_is_not_output():
    assert lint(nb(f'iban = "{DE}"'), "NBG704").findings == []


def test_example_ibans_count_in_a_table():
    text = "                     iban  amount\n0  GB82WEST12345698765432  120.50\n"
    assert found(result({"text/plain": text})) == [(0, "output", 0, 2, "medium")]


@pytest.mark.parametrize("text", [
    "DE89ABCDEFGH12345678XY",  # DE's length and valid mod-97 check digits, but a German BBAN is 18 digits
    "NL02123412341234ABCD",  # NL BBAN: 4 letters (bank) then 10 digits
    "GB33123412341234123412",  # GB BBAN: 4 letters (bank) then 14 digits
])
def test_iban_with_check_digits_but_no_such_account_format_is_not_one(text):
    # ids and hashes in upper case pass the length and mod-97 tests about once in 97; the
    # country's account format (python-stdnum's registry data) rules them out
    digits = "".join(str(int(c, 36)) for c in text[4:] + text[:2] + "00")
    valid = f"{text[:2]}{98 - int(digits) % 97:02d}{text[4:]}"
    assert found(stream(f"ref {valid}\n")) == []
