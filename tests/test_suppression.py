"""Suppression comments, cell tags and notebook metadata."""

from helpers import code, lint, nb, stream

HF = "hf_" + "QaWsEdRfTgYhUjIkOlPzXcVbNmQaWsEdRf"


def rules(notebook):
    return [(f.rule, f.cell, f.line) for f in lint(notebook).findings if f.rule == "NBG101"]


def test_line_comment_with_code():
    assert rules(nb(f'k = "{HF}"  # nbguard: ignore[NBG101]')) == []


def test_line_comment_with_category_or_name():
    assert rules(nb(f'k = "{HF}"  # nbguard: ignore[secrets]')) == []
    assert rules(nb(f'k = "{HF}"  # nbguard: ignore[hardcoded-provider-token]')) == []


def test_line_comment_for_another_rule_does_not_suppress():
    assert rules(nb(f'k = "{HF}"  # nbguard: ignore[NBG601]')) == [("NBG101", 0, 1)]


def test_line_comment_only_covers_its_line():
    assert rules(nb(f'# nbguard: ignore[NBG101]\nk = "{HF}"')) == [("NBG101", 0, 2)]


def test_ignore_cell_comment_covers_source_and_outputs():
    notebook = nb(code(f'# nbguard: ignore-cell\nk = "{HF}"\nprint(k)', outputs=[stream(HF)]), f'j = "{HF}"')
    assert rules(notebook) == [("NBG101", 1, 1)]


def test_ignore_cell_with_codes():
    notebook = nb(f'# nbguard: ignore-cell[NBG5]\nk = "{HF}"', f'# nbguard: ignore-cell[NBG1]\nk = "{HF}"')
    assert rules(notebook) == [("NBG101", 0, 2)]


def test_cell_tag():
    notebook = nb(code(f'k = "{HF}"', tags=["nbguard-ignore"]), f'j = "{HF}"')
    assert rules(notebook) == [("NBG101", 1, 1)]


def test_notebook_metadata():
    notebook = nb(f'k = "{HF}"', metadata={"nbguard": {"ignore": ["NBG101"]}})
    assert rules(notebook) == []


def test_suppressed_secret_is_not_shown_either():
    report = lint(nb(f'k = "{HF}"  # nbguard: ignore[NBG101]'))
    assert HF not in report.to_json()
