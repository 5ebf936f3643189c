import pytest
from helpers import lint, nb

from nbguard.model import Severity


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG503").findings]


@pytest.mark.parametrize("source", [
    "import numpy as np\na = np.load('feats.npy', allow_pickle=True)",
    "import numpy as np\na = np.load('feats.npy', allow_pickle=1)",
    "import numpy as np\na = np.load('feats.npy', None, True)",
    "import numpy\na = numpy.load(path, **{'allow_pickle': True})",
    "from numpy import load\na = load('feats.npz', allow_pickle='yes')",
])
def test_allow_pickle(source):
    assert found(source) == [("NBG503", 0, 2, Severity.HIGH)]


def test_constant_from_earlier_cell():
    assert found("ALLOW = True", "import numpy as np\na = np.load(p, allow_pickle=ALLOW)") \
        == [("NBG503", 1, 2, Severity.HIGH)]


def test_self_saved_file_is_low():
    (f,) = lint(nb("import numpy as np\nnp.save('feats', arr)", "import numpy as np\na = np.load('feats.npy', allow_pickle=True)"),
                "NBG503").findings
    assert (f.cell, f.severity) == (1, Severity.LOW) and "written by this notebook" in f.message


@pytest.mark.parametrize("source", [
    "import numpy as np\na = np.load('feats.npy')",
    "import numpy as np\na = np.load('feats.npy', allow_pickle=False)",
    "import numpy as np\na = np.load('feats.npy', mmap_mode='r')",
    "import numpy as np\na = np.load('feats.npy', allow_pickle=flag)",  # unknown
    "import numpy as np\nnp.save('feats.npy', arr, allow_pickle=True)",
    "import mylib\na = mylib.load('x', allow_pickle=True)",
])
def test_safe(source):
    assert found(source) == []
