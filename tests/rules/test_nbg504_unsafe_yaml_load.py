import pytest
from helpers import lint, nb

from nbguard.model import Severity

H, M = Severity.HIGH, Severity.MEDIUM


def found(*cells):
    return [(f.rule, f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG504").findings]


@pytest.mark.parametrize("source, severity", [
    ("import yaml\ncfg = yaml.unsafe_load(text)", H),
    ("import yaml\ncfg = list(yaml.unsafe_load_all(text))", H),
    ("import yaml\ncfg = yaml.load(text, Loader=yaml.Loader)", H),
    ("import yaml\ncfg = yaml.load(text, Loader=yaml.UnsafeLoader)", H),
    ("import yaml\ncfg = yaml.load(text, yaml.CLoader)", H),
    ("import yaml\ncfg = yaml.load_all(text, Loader=yaml.Loader)", H),
    ("from yaml import load, Loader\ncfg = load(text, Loader)", H),
    ("from yaml import CLoader as Loader\nimport yaml\ncfg = yaml.load(text, Loader=Loader)", H),
    ("import yaml\nL = yaml.UnsafeLoader\ncfg = yaml.load(text, Loader=L)", H),
    ("import ruamel.yaml\ny = ruamel.yaml.YAML(typ='unsafe')", H),
    ("from ruamel.yaml import YAML\ny = YAML(typ='unsafe', pure=True)", H),
    ("import yaml\ncfg = yaml.load(open('c.yaml'))", M),
    ("import yaml\ncfg = yaml.load(text, Loader=yaml.FullLoader)", M),
    ("import yaml\ncfg = yaml.full_load(text)", M),
    ("import ruamel.yaml\ncfg = ruamel.yaml.load(text)", M),
])
def test_unsafe_yaml(source, severity):
    assert found(source) == [("NBG504", 0, source.count("\n") + 1, severity)]


@pytest.mark.parametrize("source", [
    "import yaml\ncfg = yaml.safe_load(text)",
    "import yaml\ncfg = yaml.load(text, Loader=yaml.SafeLoader)",
    "import yaml\ncfg = yaml.load(text, Loader=yaml.CSafeLoader)",
    "import yaml\ncfg = yaml.load(text, yaml.BaseLoader)",
    "import yaml\nclass UniqueKeyLoader(yaml.SafeLoader):\n    pass\ncfg = yaml.load(text, Loader=UniqueKeyLoader)",
    "import yaml\ncfg = yaml.load(text, Loader=get_loader())",
    "import yaml\nyaml.dump(cfg, open('c.yaml', 'w'))",
    "from ruamel.yaml import YAML\ny = YAML(typ='safe')",
    "from ruamel.yaml import YAML\ny = YAML()",
    "import json\ncfg = json.load(open('c.json'))",
])
def test_safe_yaml(source):
    assert found(source) == []


def test_aliased_module_and_ruamel():
    assert found("import yaml as y\ncfg = y.unsafe_load(text)") == [("NBG504", 0, 2, H)]
    assert found("from ruamel.yaml import YAML\ny = YAML(typ='unsafe')")[0][:3] == ("NBG504", 0, 2)
