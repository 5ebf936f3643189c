#!/usr/bin/env bash
# From a fresh clone to a full test run, in one command:   bash scripts/test.sh
# Creates .venv, installs Chromium (apt) and the JS toolchain's output (the JupyterLab
# extension), installs nbguard with its test extras, checks the generated docs, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NBGUARD_REQUIRE_BROWSER=1
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "python environment"
[ -x .venv/bin/python ] || python3 -m venv .venv
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true

step "build tools (JupyterLab provides jlpm for the extension build)"
python -m pip install -q 'jupyterlab>=4.6,<5' 'hatchling>=1.5' 'hatch-jupyter-builder>=0.5' editables 2>&1 \
  | grep -v "is ignored" || true

step "JupyterLab extension and Chromium"
bash scripts/build_labextension.sh

step "nbguard with test extras"
python -m pip install -q --no-build-isolation -e '.[test]' 2>&1 | grep -v "is ignored" || true
python -c "import nbguard, pandas, ipywidgets, jupyter_server, playwright, nbclient, distributed, pygls"  # fail early if a step failed
python -m ipykernel install --sys-prefix --name python3 >/dev/null

step "generated docs are fresh"
python -m nbguard.docs --check

step "tests"
python -m pytest -q "$@"
