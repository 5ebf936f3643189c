import pytest
from helpers import codes, lint, nb


def fired(*cells):
    return codes(lint(nb(*cells), "NBG304"))


@pytest.mark.parametrize("source", [
    "import torch\nsd = torch.hub.load_state_dict_from_url('https://x.org/resnet50-0676ba61.pth')",
    "import torch\nsd = torch.hub.load_state_dict_from_url(url, check_hash=False)",
    "from torch.utils import model_zoo\nsd = model_zoo.load_url(URL)",
    "import torch\ntorch.hub.download_url_to_file('https://x.org/w.pth', 'w.pth')",
    "import torch\ntorch.hub.download_url_to_file(url, dst, hash_prefix=None)",
    "from tensorflow import keras\np = keras.utils.get_file('model.h5', 'https://x.org/model.h5')",
    "import tensorflow as tf\np = tf.keras.utils.get_file(origin='https://x.org/weights/resnet.keras')",
])
def test_weights_without_hash(source):
    assert fired(source) == [("NBG304", 0, 2)]


@pytest.mark.parametrize("source", [
    "import torch\nsd = torch.hub.load_state_dict_from_url(url, check_hash=True)",
    "import torch\nsd = torch.hub.load_state_dict_from_url(url, None, None, True, True)",
    "import torch\nsd = torch.hub.load_state_dict_from_url(url, check_hash=verify)",
    "import torch\ntorch.hub.download_url_to_file(url, 'w.pth', hash_prefix='0676ba61')",
    "import torch\ntorch.hub.download_url_to_file(url, 'w.pth', '0676ba61')",
    "from tensorflow import keras\np = keras.utils.get_file('model.h5', 'https://x.org/model.h5', file_hash='ab12')",
    "from tensorflow import keras\np = keras.utils.get_file('model.h5', 'https://x.org/model.h5', md5_hash='ab12')",
    # data, not models
    "from tensorflow import keras\np = keras.utils.get_file('labels.txt', 'https://x.org/models/files/labels.txt')",
    "from tensorflow import keras\np = keras.utils.get_file('flowers.tgz', 'https://x.org/flower_photos.tgz')",
])
def test_hash_checked_or_not_weights(source):
    assert fired(source) == []
