import pytest
from helpers import lint, nb

from nbguard.model import Severity

H, M = Severity.HIGH, Severity.MEDIUM


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG505").findings]


@pytest.mark.parametrize("source, severity", [
    ("import keras\nm = keras.models.load_model('m.keras', safe_mode=False)", H),
    ("import keras\nm = keras.saving.load_model('m.keras', None, True, False)", H),
    ("import tensorflow as tf\nm = tf.keras.models.load_model('m.keras', safe_mode=False)", H),
    ("from tensorflow.keras.models import load_model\nm = load_model('m.keras', safe_mode=0)", H),
    ("import keras\nkeras.config.enable_unsafe_deserialization()", H),
    ("import tensorflow as tf\nops = tf.load_op_library('./custom_ops.so')", M),
    ("import tensorflow as tf\ntf.load_library('libx.so')", M),
    ("import torch\ntorch.classes.load_library('build/libcustom.so')", M),
    ("import torch\ntorch.ops.load_library('build/libcustom.so')", M),
    ("import numpy as np\nlib = np.ctypeslib.load_library('libx', '.')", M),
    ("import onnxruntime as ort\nso = ort.SessionOptions()\nso.register_custom_ops_library('libops.so')", M),
])
def test_unsafe_load(source, severity):
    assert found(source) == [("NBG505", 0, source.count("\n") + 1, severity)]


@pytest.mark.parametrize("source", [
    "import keras\nm = keras.models.load_model('m.keras')",
    "import keras\nm = keras.models.load_model('m.keras', safe_mode=True)",
    "import tensorflow as tf\nm = tf.keras.models.load_model('m.h5', None, True, opts)",
    "import tensorflow as tf\nm = tf.saved_model.load('export')",
    "import keras\nm = keras.models.load_model('m.keras', safe_mode=flag)",
    "import ctypes\nlib = ctypes.CDLL('libc.so.6')",
])
def test_safe(source):
    assert found(source) == []
