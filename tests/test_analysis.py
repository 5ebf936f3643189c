"""The notebook-wide scope (nbguard/analysis.py): which values a rule can know, cell after cell."""

from __future__ import annotations

import ast

from nbguard.analysis import CallSite, Scope


def run(*cells: str) -> Scope:
    """Bind the cells' top-level statements in order, as the engine's walk does."""
    scope = Scope()
    for i, src in enumerate(cells):
        scope.cell = i
        for stmt in ast.parse(src).body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                scope.bind_import(stmt)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    scope.bind_assign(t, stmt.value, stmt.lineno)
            elif isinstance(stmt, ast.For):
                scope.bind_loop(stmt.target, stmt.iter, stmt.lineno)
            elif isinstance(stmt, ast.ClassDef):
                scope.bind_class(stmt)
    return scope


def expr(src: str) -> ast.expr:
    return ast.parse(src, mode="eval").body


def value(scope: Scope, src: str):
    v = scope.value(expr(src))
    return None if v is None else v.value


def test_import_aliases_resolve_to_qualified_names():
    s = run("import pandas as pd\nfrom transformers import AutoModel as AM\nimport torch.hub")
    assert s.qualname(expr("pd.read_csv")) == "pandas.read_csv"
    assert s.qualname(expr("AM.from_pretrained")) == "transformers.AutoModel.from_pretrained"
    assert s.qualname(expr("torch.hub.load")) == "torch.hub.load"
    assert s.qualname(expr("requests.get")) == "requests.get"  # not imported: the name as written


def test_a_value_set_in_one_cell_is_known_in_a_later_one_with_its_origin():
    s = run("x = 1", "BASE = 'http://data.example.org'", "URL = BASE + '/train.csv'")
    v = s.value(expr("URL"))
    assert v.value == "http://data.example.org/train.csv"
    assert (v.origin.cell, v.origin.line, v.origin.name) == (2, 1, "URL")
    assert v.origin.describe() == "'URL' set in cell 3, line 1"


def test_values_are_snapshots_a_later_rebind_of_an_input_does_not_change_them():
    s = run("HOST = 'http://a'\nURL = HOST + '/x'", "HOST = 'https://b'")
    assert value(s, "URL") == "http://a/x"
    assert value(s, "HOST") == "https://b"


def test_fstrings_with_unknown_parts_are_a_known_prefix_only():
    s = run("SCHEME = 'http'\nurl = f'{SCHEME}://host/{name}.csv'")
    v = s.value(expr("url"))
    assert v.partial and v.value.startswith("http://host/")


def test_dict_and_subscript_values():
    s = run("CFG = {'url': 'ftp://files.example.org/a.zip', 'n': 3}")
    assert value(s, "CFG['url']") == "ftp://files.example.org/a.zip"
    assert value(s, "CFG['missing']") is None


def test_loop_variable_is_the_common_prefix_of_a_known_list():
    s = run("URLS = ['http://a.org/1.csv', 'http://a.org/2.csv']\nfor u in URLS:\n    pass")
    v = s.value(expr("u"))
    assert v.partial and v.value == "http://a.org/"


def test_settings_class_and_namespace_attributes():
    s = run("class CFG:\n    model_name = 'bert-base-uncased'\n    lr = 1e-3",
            "cfg = CFG(lr=0.1)\nimport types\nargs = types.SimpleNamespace(revision='main')")
    assert value(s, "CFG.model_name") == "bert-base-uncased"
    assert value(s, "cfg.model_name") == "bert-base-uncased"  # an instance: keywords override, as a dataclass
    assert value(s, "cfg.lr") == 0.1
    assert value(s, "args.revision") == "main"


def test_unpacking_and_unknowns():
    s = run("a, b = 'x', 'y'\nc, d = f()")
    assert value(s, "a") == "x" and value(s, "b") == "y"
    assert value(s, "c") is None and value(s, "undefined_name") is None


def test_deleted_and_forgotten_names_are_unknown():
    s = run("TOKEN = 'abc'")
    s.forget("TOKEN")
    assert value(s, "TOKEN") is None


def test_bound_expr_gives_the_assigned_expression_for_a_credential_source():
    s = run("import os\ntok = os.environ['HF_TOKEN']")
    e, origin = s.bound_expr("tok")
    assert ast.unparse(e) == "os.environ['HF_TOKEN']" and origin.line == 2
    assert s.bound_expr("os") is None  # an import has no expression


def test_call_site_reads_positional_and_keyword_arguments_through_the_scope():
    s = run("REV = '0123456789abcdef0123456789abcdef01234567'\nNAME = 'org/model'")
    site = CallSite(expr("AutoModel.from_pretrained(NAME, revision=REV, **extra)"), s)
    assert site.value(None, 0).value == "org/model"
    assert site.value("revision").value == "0123456789abcdef0123456789abcdef01234567"
    assert site.has_opaque_kwargs()
    assert site.matches("from_pretrained") and not site.matches("load")
