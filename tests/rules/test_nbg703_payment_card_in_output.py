import pytest
from helpers import code, lint, nb, output_findings, result, stream

VISA = "4539148803436467"
MC = "5105105105105118"
AMEX = "371449635398423"
DISCOVER = "6011554433221108"


def found(*outputs):
    return output_findings("NBG703", *outputs)


@pytest.mark.parametrize("text, line", [
    (f"card: {VISA}\n", 1),
    ("header\ncard: 4539 1488 0343 6467\n", 2),
    ("card: 4539-1488-0343-6467\n", 1),
    ("amex 3714 496353 98423\n", 1),
    (f"{{'card_number': '{AMEX}'}}\n", 1),
])
def test_card_in_output(text, line):
    assert found(stream(text)) == [(0, "output", 0, line, "high")]


def test_html_table():
    html = f"<table>\n<tr>\n<td>Alice</td>\n<td>{VISA}</td>\n</tr>\n</table>"
    assert found(result({"text/html": html, "text/plain": "<DataFrame>"})) == [(0, "output", 0, 4, "high")]


def test_masked():
    report = lint(nb(code("x", outputs=[stream(f"{VISA} {MC}\n")])), "NBG703")
    assert len(report.findings) == 1
    out = report.to_json() + report.to_text() + report.to_sarif()
    assert VISA not in out and MC not in out


@pytest.mark.parametrize("text", [
    "4539148803436468",  # Luhn fails
    "4242 4242 4242 4242",  # Stripe test card
    "4111111111111111",
    "9539148803436467",  # no issuer
    "1699999999999",  # a millisecond timestamp
    "4539 1488 0343-6467",  # mixed separators
    "4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7",  # digits in an array
    "0.4539148803436467",  # a float
    "run-4539148803436467",  # part of an id
    "4539148803436467.5",
])
def test_not_a_card(text):
    assert found(stream(f"value {text} end\n")) == []


def test_column_of_ids_is_not_cards():
    # one id in ten passes Luhn by chance; a column where most fail is ids
    ids = ["4539148803436461", "4539148803436462", "4539148803436463", VISA, "4539148803436464",
           "4539148803436465", "4539148803436466"]
    text = "user_id\n" + "\n".join(f"{i}  {x}" for i, x in enumerate(ids)) + "\n"
    assert found(stream(text)) == []


def test_source_is_not_output():
    assert lint(nb(f'card = "{VISA}"'), "NBG703").findings == []


def test_one_finding_per_row_and_test_cards_count_in_tables():
    text = f"   name              card\n0  Alice  {MC}\n1  Bob    {DISCOVER}\n2  Eve    4111 1111 1111 1111\n"
    assert found(stream(text)) == [(0, "output", 0, line, "high") for line in (2, 3, 4)]
