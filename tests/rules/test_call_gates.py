"""The call preconditions (Rule.call_names, call_keywords, call_suffixes, call_pattern) skip a
rule's check_call only where it could not report: keywords through **{...} and **name from an
earlier cell, aliased callees, suffixes without a dot and name patterns still reach the rule."""

import pytest
from helpers import codes, lint, nb

from nbguard.config import Config
from nbguard.engine import RuleSet
from nbguard.rules.base import all_rules

CASES = [
    # call_keywords: the keyword written, in a **{...} literal, or in a **dict bound in an earlier cell
    ("NBG401", ["import requests", 'requests.get("https://x.org", **{"verify": False})'], 2),
    ("NBG401", ['import requests\nopts = {"verify": False}', 'requests.get("https://x.org", **opts)'], 2),
    ("NBG401", ['import requests\nopts = dict(verify=False)', 'r = requests.get("https://x.org", **opts)'], 2),
    ("NBG403", ['from openai import OpenAI\nkw = {"base_url": "http://llm.acme-ai.net/v1"}', "c = OpenAI(**kw)"], 2),
    ("NBG204", ['import pandas as pd\nso = {"client_kwargs": {"endpoint_url": "http://minio.acme-data.net"}}',
                'df = pd.read_csv("s3://b/k.csv", storage_options=so)'], 2),
    ("NBG204", ["import boto3\ns3 = boto3.client('s3')",
                's3.upload_file("a", "b", "c", **{"ExtraArgs": {"ACL": "public-read"}})'], 2),
    ("NBG102", ["import my_sdk", 'c = my_sdk.Client(**{"x": 1}, api_key="sk-live-9f8e7d6c5b4a39281726354a")'], 2),
    # call_names through an alias: the name as resolved
    ("NBG404", ["from pyngrok.ngrok import connect as open_tunnel", "url = open_tunnel(8000)"], 2),
    ("NBG505", ["import tensorflow as tf\nlm = tf.keras.models.load_model", 'm = lm("m.keras", safe_mode=False)'], 2),
    ("NBG201", ["import pandas as pd\nrd = pd.read_csv", 'df = rd("http://data.acme-research.org/x.csv")'], 2),
    # call_suffixes: no dot before the suffix
    ("NBG404", ["import http.server as hs", 'srv = hs.ThreadingHTTPServer(("0.0.0.0", 8000), H)'], 2),
    ("NBG505", ["import keras", "keras.config.enable_unsafe_deserialization()"], 2),
    # call_pattern: open-ended download names
    ("NBG201", ["import my_utils", 'my_utils.download_image("http://img.acme-research.org/a.png")'], 2),
    ("NBG201", ["import polars as pl", 'df = pl.scan_csv("http://data.acme-research.org/x.csv")'], 2),
]


@pytest.mark.parametrize("rule,cells,cell", CASES)
def test_gated_rule_still_reports(rule, cells, cell):
    found = [c for c in codes(lint(nb(*cells), select=rule)) if c[0] == rule]
    assert found and found[0][1] == cell - 1, found


@pytest.mark.parametrize("rule,cells,cell", CASES)
def test_the_same_finding_with_every_rule_enabled(rule, cells, cell):
    assert [c for c in codes(lint(nb(*cells))) if c[0] == rule] == \
        [c for c in codes(lint(nb(*cells), select=rule)) if c[0] == rule]


def test_a_call_with_no_admitting_name_or_keyword_skips_the_gated_rules():
    import ast

    from nbguard.analysis import CallSite, Scope

    rs = RuleSet.for_config(Config())
    site = CallSite(ast.parse("df.describe(5)").body[0].value, Scope())
    ran = {type(r).code for r in rs.calls_for(site)}
    assert not ran & {"NBG201", "NBG204", "NBG401", "NBG403", "NBG404", "NBG505", "NBG604", "NBG102"}
    star = CallSite(ast.parse("df.describe(**opts)").body[0].value, Scope())
    ran = {type(r).code for r in rs.calls_for(star)}
    assert {"NBG204", "NBG401", "NBG403", "NBG102"} <= ran  # **opts may carry any keyword


def test_rule_order_is_kept():
    rs = RuleSet.for_config(Config())
    order = [type(r).code for r in rs.call]
    import ast

    from nbguard.analysis import CallSite, Scope

    for src in ("requests.get(u, verify=False)", "x.launch(share=True)", "f(**k)", "os.environ.update(a=1)"):
        got = [type(r).code for r in rs.calls_for(CallSite(ast.parse(src).body[0].value, Scope()))]
        assert got == [c for c in order if c in got]


def test_every_declared_precondition_is_well_formed():
    for r in all_rules().values():
        assert r.call_suffixes is None or (isinstance(r.call_suffixes, tuple) and r.call_suffixes)
        assert r.call_keywords is None or callable(r.call_keywords) or isinstance(r.call_keywords, frozenset)
