#!/usr/bin/env bash
# Build the nbguard JupyterLab extension and install it with the server extension.
#
# Run from the repository root with the project's virtualenv active (jupyter,
# jlpm and jupyter-builder must come from it: JupyterLab 4.6 finds
# jupyter-builder on PATH). Steps:
#   1. Chromium for the browser tests (apt, when missing; root or sudo)
#   2. jlpm install / clean / build:prod in labextension/ (npm's registry)
#   3. pip install -e . (editable, no build isolation; the JS is already built)
#      and `jupyter labextension develop` so rebuilds show up without reinstalling
#   4. a wheel in dist/ that must carry the prebuilt extension and server config
#   5. `jupyter labextension list` / `jupyter server extension list` must show nbguard enabled
#
# Environment: NBGUARD_SKIP_APT=1 skips step 1; NBGUARD_SKIP_WHEEL=1 skips step 4.
set -euo pipefail

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }
fail() { printf 'build_labextension: %s\n' "$1" >&2; exit 1; }

[ -f pyproject.toml ] && [ -d labextension ] || fail "run me from the repository root"
[ -n "${VIRTUAL_ENV:-}" ] || fail "activate the virtualenv first (. .venv/bin/activate)"
command -v jlpm >/dev/null || fail "jlpm not found: pip install 'jupyterlab>=4.6,<5' in the venv"
command -v node >/dev/null || fail "node not found (Node >= 20.19 is needed to build the extension)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ "${NBGUARD_SKIP_APT:-0}" != 1 ] && ! command -v chromium >/dev/null; then
  step "installing chromium"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
fi

step "jlpm install / clean / build:prod"
# jlpm (yarn 3) does not read npm's config: use npm's registry (no host is written in the repo)
if command -v npm >/dev/null; then
  registry="$(npm config get registry)"
  export YARN_NPM_REGISTRY_SERVER="${registry%/}"
fi
(
  cd labextension
  jlpm install
  jlpm clean
  jlpm build:prod
)
[ -f nbguard/labextension/package.json ] || fail "the build did not write nbguard/labextension"

step "pip install -e ."
# a `develop` symlink would make pip copy the shared data through it, into nbguard/labextension
link="$VIRTUAL_ENV/share/jupyter/labextensions/nbguard"
if [ -L "$link" ]; then rm "$link"; fi
rm -f nbguard/labextension/install.json
pip install --no-build-isolation --no-deps -e .
jupyter labextension develop --overwrite .

if [ "${NBGUARD_SKIP_WHEEL:-0}" != 1 ]; then
  step "wheel"
  rm -rf dist/nbguard-*.whl
  pip wheel --no-build-isolation --no-deps -w dist .
  whl="$(ls dist/nbguard-*.whl)"
  listing="$(python -m zipfile -l "$whl")"
  for want in "share/jupyter/labextensions/nbguard/static/remoteEntry" \
              "share/jupyter/labextensions/nbguard/package.json" \
              "share/jupyter/labextensions/nbguard/install.json" \
              "share/jupyter/labextensions/nbguard/schemas/nbguard/plugin.json" \
              "etc/jupyter/jupyter_server_config.d/nbguard.json"; do
    case "$listing" in
      *"$want"*) ;;
      *) fail "$whl lacks $want" ;;
    esac
  done
  echo "$whl carries the prebuilt extension"
fi

step "check that JupyterLab sees both parts"
labext="$(jupyter labextension list 2>&1)"
serverext="$(jupyter server extension list 2>&1)"
printf '%s\n%s\n' "$labext" "$serverext" | grep -i nbguard || true
# strip colour codes before matching
labext="$(printf '%s' "$labext" | sed 's/\x1b\[[0-9;]*m//g')"
serverext="$(printf '%s' "$serverext" | sed 's/\x1b\[[0-9;]*m//g')"
grep -Eq 'nbguard v[0-9.]+ enabled +OK' <<<"$labext" || fail "jupyter labextension list does not show nbguard enabled OK"
grep -Eq 'nbguard enabled' <<<"$serverext" || fail "jupyter server extension list does not show nbguard enabled"
grep -Eq 'nbguard [0-9.]+ OK' <<<"$serverext" || fail "the nbguard server extension does not validate"
echo "nbguard: JupyterLab extension and server extension enabled"
