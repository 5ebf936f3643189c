import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")


def corpus_notebooks() -> list[str]:
    """Every notebook of ``../shared/corpus``. Where the corpus is missing a corpus-backed
    test is skipped on a developer's machine but fails in CI (``CI=true``), as the browser
    test does: a green CI must not hide that these tests did not run."""
    import glob

    import pytest

    paths = sorted(glob.glob(os.path.join(CORPUS, "**", "*.ipynb"), recursive=True))
    if not paths:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the corpus is missing ({CORPUS}); CI must run the corpus-backed tests")
        pytest.skip(f"no corpus at {CORPUS}")
    return paths
