"""The nbguard server extension: auth, XSRF, validation, results, config, caching.

REST tests talk to a real ``jupyter lab`` on 127.0.0.1 (fixture in ``conftest_lab.py``).
"""

from __future__ import annotations

import json

import pytest

requests = pytest.importorskip("requests")
pytest.importorskip("jupyter_server")

from conftest_lab import (
    HF_KEY,
    lab_server,  # noqa: F401  (the "lab" fixture)
)


def post(lab, body, *, token=True, raw=None, headers=None, **kw):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"token {lab.token}"
    data = raw if raw is not None else json.dumps(body)
    return requests.post(lab.api("nbguard/lint"), data=data, headers=h, timeout=60, **kw)


def cells(*sources, ids=None):
    ids = ids or [f"cell-{i}" for i in range(len(sources))]
    return [{"id": i, "cell_type": "code", "source": s} for i, s in zip(ids, sources)]


# -- auth -------------------------------------------------------------------------

def test_lint_requires_auth(lab):
    r = post(lab, {"cells": cells(f'k = "{HF_KEY}"')}, token=False)
    assert r.status_code == 403
    assert HF_KEY not in r.text


def test_rules_requires_auth(lab):
    assert requests.get(lab.api("nbguard/rules"), timeout=30).status_code == 403
    r = requests.get(lab.api("nbguard/rules"), headers={"Authorization": "token wrong"}, timeout=30)
    assert r.status_code == 403


def test_cookie_auth_needs_xsrf(lab):
    s = requests.Session()
    r = s.get(lab.api(f"lab?token={lab.token}"), timeout=60)  # logs in: sets the auth and _xsrf cookies
    assert r.status_code == 200
    xsrf = s.cookies.get("_xsrf")
    assert xsrf
    body = json.dumps({"cells": cells(f'k = "{HF_KEY}"')})
    assert s.post(lab.api("nbguard/lint"), data=body, timeout=60).status_code == 403
    r = s.post(lab.api("nbguard/lint"), data=body, headers={"X-XSRFToken": xsrf}, timeout=60)
    assert r.status_code == 200
    assert [f["rule"] for f in r.json()["findings"]] == ["NBG101"]
    # GET needs the session cookie but no XSRF token
    assert s.get(lab.api("nbguard/rules"), timeout=30).status_code == 200


# -- results ----------------------------------------------------------------------

def test_findings_carry_cell_ids_and_locations(lab):
    body = {"path": "scratch.ipynb", "cells": [
        {"id": "intro", "cell_type": "markdown", "source": "# Setup"},
        {"id": "setup", "cell_type": "code", "source": ["import os\n", f'HF = "{HF_KEY}"\n']},
        {"id": "run", "cell_type": "code", "source": "print(HF)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{HF_KEY}\n"}]},
    ]}
    r = post(lab, body)
    assert r.status_code == 200, r.text
    reply = r.json()
    got = [(f["rule"], f["cell_id"], f["cell"], f["where"], f["line"], f["column"], f["end_column"])
           for f in reply["findings"]]
    assert got == [("NBG101", "setup", 1, "source", 2, 7, 44), ("NBG101", "run", 2, "output", 1, 1, 38)]
    f = reply["findings"][0]
    assert f["path"] == "scratch.ipynb"
    assert f["severity"] in ("high", "critical") and f["category"] == "secrets" and f["fix"]
    assert HF_KEY not in r.text  # masked in snippets, never in messages
    assert reply["rules_version"]


def test_fixing_the_cell_clears_its_finding(lab):
    body = {"path": "fix-me.ipynb", "cells": cells("import os", f'HF = "{HF_KEY}"', "x = HF")}
    assert [f["cell_id"] for f in post(lab, body).json()["findings"]] == ["cell-1"]
    body["cells"][1]["source"] = 'HF = os.environ["HF_TOKEN"]'
    assert post(lab, body).json()["findings"] == []


def test_rules_endpoint(lab):
    r = requests.get(lab.api("nbguard/rules"), headers={"Authorization": f"token {lab.token}"}, timeout=30)
    assert r.status_code == 200
    rules = {x["code"]: x for x in r.json()}
    nbg101 = rules["NBG101"]
    assert nbg101["category"] == "secrets" and nbg101["fix"] and "## What it does" in nbg101["doc"]
    assert all(set(x) >= {"code", "name", "category", "severity", "summary", "fix", "doc"} for x in rules.values())


def test_labextension_is_installed_with_its_settings(lab):
    h = {"Authorization": f"token {lab.token}"}
    r = requests.get(lab.api("lab/api/settings/nbguard:plugin"), headers=h, timeout=30)
    assert r.status_code == 200
    props = r.json()["schema"]["properties"]
    assert set(props) == {"enabled", "debounceDelay", "minSeverity", "ignoredRules"}
    assert props["debounceDelay"]["default"] == 400


def test_project_config_of_the_notebook_folder_applies(lab):
    src = cells(f'k = "{HF_KEY}"')
    assert post(lab, {"path": "proj/quiet.ipynb", "cells": src}).json()["findings"] == []  # ignore = ["NBG101"]
    assert [f["rule"] for f in post(lab, {"path": "loud.ipynb", "cells": src}).json()["findings"]] == ["NBG101"]


# -- validation -------------------------------------------------------------------

@pytest.mark.parametrize("raw, message", [
    ("", "empty body"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"path": "x.ipynb"}', "'cells' is missing"),
    ('{"cells": "print(1)"}', "'cells' must be a list"),
    ('{"cells": [42]}', "cells[0] must be an object"),
    ('{"cells": [{"cell_type": "code", "source": 42}]}', "cells[0].source must be a string"),
    ('{"cells": [{"cell_type": "sql", "source": ""}]}', "cells[0].cell_type must be one of"),
    ('{"cells": [{"id": 7, "source": ""}]}', "cells[0].id must be a string"),
    ('{"cells": [{"source": "", "outputs": {}}]}', "cells[0].outputs must be a list"),
    ('{"cells": [], "metadata": []}', "'metadata' must be an object"),
    ('{"cells": [], "path": 3}', "'path' must be a string"),
    ('{"cells": [], "path": "../../etc/x.ipynb"}', "inside the server root"),
])
def test_bad_bodies_get_400_with_a_message(lab, raw, message):
    r = post(lab, None, raw=raw)
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]


def test_too_many_cells_is_400(lab):
    r = post(lab, {"cells": [{"source": ""}] * 10_001})
    assert r.status_code == 400
    assert "too many cells" in r.json()["message"]


def test_oversized_body_is_413(lab):
    big = "x = 1\n" * (11 * 1024 * 1024 // 6)
    r = post(lab, {"cells": cells(big)})
    assert r.status_code == 413
    assert "limit is 10.0 MB" in r.json()["message"]
    assert post(lab, {"cells": cells("x = 1")}).status_code == 200  # the server is still fine


# -- caching and superseded requests -----------------------------------------------

def test_unchanged_notebook_is_answered_from_the_cache(lab):
    body = {"path": "cached.ipynb", "cells": cells("import os", f'HF = "{HF_KEY}"')}
    first, again = post(lab, body).json(), post(lab, body).json()
    assert first["cached"] is False and again["cached"] is True
    assert again["findings"] == first["findings"]
    body["cells"][1]["source"] = 'HF = os.environ["HF_TOKEN"]'
    changed = post(lab, body).json()
    assert changed["cached"] is False and changed["findings"] == []


def test_a_request_overtaken_by_a_newer_one_is_not_linted(tmp_path):
    from nbguard.server.handlers import NbguardState

    state = NbguardState(str(tmp_path), 10 * 1024 * 1024, 100)
    def body(path, client, source):
        return json.dumps({"path": path, "client": client, "cells": cells(source)}).encode()

    key = f'HF = "{HF_KEY}"'
    a = state.admit(body("nb.ipynb", "view-1", key))
    other_view = state.admit(body("nb.ipynb", "view-2", key))
    other_nb = state.admit(body("other.ipynb", "view-1", key))
    no_client = state.admit(json.dumps({"path": "nb.ipynb", "cells": cells(key)}).encode())
    b = state.admit(body("nb.ipynb", "view-1", "HF = None"))
    overtaken = state.lint(*a)
    assert overtaken["superseded"] is True and overtaken["findings"] == []
    assert state.lint(*b)["findings"] == []
    for req in (other_view, other_nb, no_client):  # not overtaken: another view, notebook, or client
        assert [f["rule"] for f in state.lint(*req)["findings"]] == ["NBG101"]
