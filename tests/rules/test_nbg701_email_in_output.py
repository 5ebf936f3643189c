import pytest
from helpers import code, lint, md, nb, output_findings, result, stream

HTML_TABLE = """<table border="1" class="dataframe">
  <thead><tr><th></th><th>name</th><th>email</th></tr></thead>
  <tbody>
    <tr><th>0</th><td>Alice Moreau</td><td>alice.moreau@gmail.com</td></tr>
  </tbody>
</table>"""

PLAIN_TABLE = """           name                     email  age
0  Alice Moreau    alice.moreau@gmail.com   34
1    Bob Tanaka      b.tanaka@outlook.com   51
"""


def found(*outputs):
    return output_findings("NBG701", *outputs)


def test_html_dataframe_with_one_address():
    assert found(result({"text/html": HTML_TABLE, "text/plain": "<DataFrame>"})) == [(0, "output", 0, 4, "medium")]


def test_plain_dataframe_one_finding_per_row():
    assert found(result({"text/plain": PLAIN_TABLE})) == [(0, "output", 0, 2, "medium"), (0, "output", 0, 3, "medium")]


def test_several_addresses_in_a_list():
    out = stream("['alice.moreau@gmail.com', 'b.tanaka@outlook.com', 'k.osei@yahoo.co.uk']\n")
    assert found(out) == [(0, "output", 0, 1, "medium")]


def test_two_addresses_in_a_log_are_low():
    out = stream("sent invoice to alice.moreau@gmail.com\nsent invoice to b.tanaka@outlook.com\n")
    assert found(out) == [(0, "output", 0, 1, "low"), (0, "output", 0, 2, "low")]


def test_every_address_on_the_line_is_masked():
    listing = "['alice.moreau@gmail.com', 'b.tanaka@outlook.com', 'k.osei@yahoo.co.uk']\n"
    report = lint(nb(code("emails", outputs=[stream(listing)])), "NBG701")
    out = report.to_json() + report.to_text() + report.to_sarif()
    for addr in ("alice.moreau@gmail.com", "b.tanaka@outlook.com", "k.osei@yahoo.co.uk", "moreau@gmail"):
        assert addr not in out


@pytest.mark.parametrize("text", [
    "Logged in as alice.moreau@gmail.com\n",  # one address in a log line
    "Author-email: alice@corp.io\nMaintainer-email: bob@corp.io\n",
    "Cloning into 'repo'...\ngit@github.com: Permission denied\n",
    "contact support@company.io or noreply@company.io\n",
    "user1@example.com\nuser2@example.org\nuser3@test.com\n",
    "saved logo@2x.png and icon@3x.png\n",
    "https://alice@github.com/org/repo and ssh://git@gitlab.com/x\n",
    "sa-123@my-project.iam.gserviceaccount.com\n123-compute@developer.gserviceaccount.com\n",
    "Copyright (c) Alice <alice@corp.io>, Bob <bob@corp.io>\n",
])
def test_not_personal_data(text):
    assert found(stream(text)) == []


def test_source_and_markdown_are_not_outputs():
    notebook = nb(md("Contact alice.moreau@gmail.com, b.tanaka@outlook.com, k.osei@yahoo.co.uk"),
                  code('emails = ["alice.moreau@gmail.com", "b.tanaka@outlook.com", "k.osei@yahoo.co.uk"]'))
    assert lint(notebook, "NBG701").findings == []


def test_scripts_in_html_outputs_are_skipped():
    html = ("<div id='x'></div><script>var a = ['alice.moreau@gmail.com', 'b.tanaka@outlook.com', "
            "'k@yahoo.com'];</script>")
    assert found(result({"text/html": html})) == []


def test_message_counts_the_output():
    report = lint(nb(code("x", outputs=[stream("to alice.moreau@gmail.com\nto b.tanaka@outlook.com\n")])), "NBG701")
    assert [f.message for f in report.findings] == ["1 e-mail address in a cell output (2 in this output)"] * 2
