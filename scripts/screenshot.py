"""Refresh docs/img/jupyterlab-inline.png, the README's picture of inline findings.

Runs the browser test that types a hardcoded key into a notebook (tests/test_ui.py)
with NBGUARD_UPDATE_SCREENSHOT=1; needs the built extension installed
(scripts/build_labextension.sh), Chromium and Playwright.

    python scripts/screenshot.py
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    env = dict(os.environ, NBGUARD_UPDATE_SCREENSHOT="1", NBGUARD_REQUIRE_BROWSER="1")
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_ui.py::test_inline_findings_follow_edits"], cwd=REPO, env=env)
    if rc == 0:
        print(f"wrote {REPO / 'docs' / 'img' / 'jupyterlab-inline.png'}")
    sys.exit(rc)
