import pytest
from helpers import codes, lint, nb, pointed_at

from nbguard.model import Severity

SHA = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"


def found(*cells):
    notebook = nb(*cells)
    return [(f.cell, f.line, pointed_at(notebook, f), f.severity, f.message)
            for f in lint(notebook, "NBG605").findings]


@pytest.mark.parametrize("source, text", [
    ('m = AutoModelForCausalLM.from_pretrained("org/model", trust_remote_code=True)', "trust_remote_code=True"),
    ("tok = AutoTokenizer.from_pretrained(model_id, trust_remote_code=True)", "trust_remote_code=True"),
    ('cfg = AutoConfig.from_pretrained("org/model", trust_remote_code=1)', "trust_remote_code=1"),
    ('p = pipeline("text-generation", model="org/model", trust_remote_code=True)', "trust_remote_code=True"),
    ('ds = load_dataset("org/data", trust_remote_code=True)', "trust_remote_code=True"),
    ('st = SentenceTransformer("org/model", trust_remote_code=True)', "trust_remote_code=True"),
    ('llm = LLM(model="org/model", trust_remote_code=True)', "trust_remote_code=True"),
    ('tool = load_tool("m-ric/text-to-image", trust_remote_code=True)', "trust_remote_code=True"),
    ('m = AutoModel.from_pretrained("org/model", revision="main", trust_remote_code=True)',
     "trust_remote_code=True"),
    ('m = AutoModel.from_pretrained("org/model", **{"trust_remote_code": True})', "True"),
    ('p = pipeline(model="org/model", model_kwargs={"trust_remote_code": True})', "True"),
    ('m = AutoModel.from_pretrained("org/model", trust_remote_code="yes")', 'trust_remote_code="yes"'),
])
def test_trust_remote_code_true(source, text):
    ((cell, line, got, sev, msg),) = found(source)
    assert (cell, line, got, sev) == (0, 1, text, Severity.HIGH)
    assert "unpinned revision" in msg


def test_multiline_call_points_at_the_keyword():
    src = 'model = AutoModelForCausalLM.from_pretrained(\n    model_name,\n    trust_remote_code=True,\n)'
    assert [(line, text) for _, line, text, _, _ in found(src)] == [(3, "trust_remote_code=True")]


def test_constants_and_kwargs_from_earlier_cells():
    notebook = nb(
        "TRUST = True",
        "kwargs = dict(trust_remote_code=True, torch_dtype='auto')",
        'm = AutoModel.from_pretrained("org/model", trust_remote_code=TRUST)',
        'm = AutoModel.from_pretrained("org/model", **kwargs)',
        'mk = {"trust_remote_code": True}',
        'p = pipeline("text-generation", model="org/model", model_kwargs=mk)',
    )
    assert codes(lint(notebook, "NBG605")) == [("NBG605", 2, 1), ("NBG605", 3, 1), ("NBG605", 5, 1)]
    msgs = [f.message for f in lint(notebook, "NBG605").findings]
    assert "'TRUST' set in cell 1" in msgs[0]
    assert "**kwargs" in msgs[1] and "cell 2" in msgs[1]
    assert "'mk' set in cell 5" in msgs[2]


def test_pinned_revision_and_local_folder_are_medium():
    ((_, _, _, sev, msg),) = found(
        f'm = AutoModel.from_pretrained("org/model", trust_remote_code=True, revision="{SHA}")')
    assert sev == Severity.MEDIUM and "pinned to commit 0a6aa9128b61" in msg
    ((_, _, _, sev, msg),) = found(
        f'm = AutoModel.from_pretrained("org/model", trust_remote_code=True, code_revision="{SHA}")')
    assert sev == Severity.MEDIUM and "pinned" in msg
    ((_, _, _, sev, msg),) = found('m = AutoModel.from_pretrained("./checkpoints/run1", trust_remote_code=True)')
    assert sev == Severity.MEDIUM and "local folder" in msg
    notebook = nb(f'REV = "{SHA}"', 'm = AutoModel.from_pretrained("org/m", trust_remote_code=True, revision=REV)')
    assert [f.severity for f in lint(notebook, "NBG605").findings] == [Severity.MEDIUM]


@pytest.mark.parametrize("source, text", [
    ("!vllm serve org/model --trust-remote-code", "--trust-remote-code"),
    ("!python -m vllm.entrypoints.openai.api_server --model org/m --trust-remote-code", "--trust-remote-code"),
    ("!lm_eval --model hf --model_args pretrained=org/m,trust_remote_code=True --tasks hellaswag",
     "trust_remote_code=True"),
    ("!text-generation-launcher --model-id org/m --trust-remote-code=true", "--trust-remote-code=true"),
])
def test_shell_flags(source, text):
    ((_, line, got, sev, _),) = found(source)
    assert (line, got, sev) == (1, text, Severity.HIGH)


@pytest.mark.parametrize("source", [
    'm = AutoModel.from_pretrained("org/model", trust_remote_code=False)',
    'm = AutoModel.from_pretrained("org/model", trust_remote_code=0)',
    'm = AutoModel.from_pretrained("org/model", trust_remote_code=args.trust_remote_code)',
    'm = AutoModel.from_pretrained("org/model", trust_remote_code=os.environ.get("TRC") == "1")',
    'm = AutoModel.from_pretrained("org/model")',
    "def load(name, trust_remote_code=True):\n    pass",
    'parser.add_argument("--trust-remote-code", action="store_true")',
    "enable_trust_remote_code = False",
    '# m = AutoModel.from_pretrained("org/model", trust_remote_code=True)',
    'doc = "pass trust_remote_code=True to from_pretrained"',
    "!vllm serve org/model --trust-remote-code=false",
    "!echo done",
    'kw = dict(trust_remote_code=True)',
])
def test_look_alikes_are_silent(source):
    assert found(source) == []


def test_unpinned_remote_code_call_is_one_finding_with_all_rules_on():
    from helpers import lint, nb

    report = lint(nb('from transformers import AutoModel\nm = AutoModel.from_pretrained("org/m", trust_remote_code=True)'))
    found = [(f.rule, f.line) for f in report.findings if f.line == 2]
    assert found == [("NBG605", 2)]
    assert "unpinned" in report.findings[-1].message
    only_model_rules = lint(nb('from transformers import AutoModel\n'
                               'm = AutoModel.from_pretrained("org/m", trust_remote_code=True)'), "unpinned-model")
    assert [f.rule for f in only_model_rules.findings] == ["NBG301"]


_DP = "from diffusers import DiffusionPipeline\n"
_SHA = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"


@pytest.mark.parametrize("source, severity", [
    (_DP + "p = DiffusionPipeline.from_pretrained('runwayml/sd', custom_pipeline='lpw_stable_diffusion')", "LOW"),
    (_DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='gluegen', custom_revision='main')", "MEDIUM"),
    (_DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='hf-internal-testing/dummy-pipeline')",
     "HIGH"),
    (_DP + f"p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='org/pipe', custom_revision='{_SHA}')",
     "MEDIUM"),
])
def test_diffusers_custom_pipelines_import_code(source, severity):
    (f,) = lint(nb(source), "NBG605").findings
    assert f.severity.name == severity and "custom_pipeline=" in f.message and "code" in f.message


@pytest.mark.parametrize("source", [
    _DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='./my_pipeline.py')",
    _DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='path/to/pipeline_directory')",
    _DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline=name)",
    _DP + "p = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='filename_in_the_community_folder')",
    _DP + "p.save_pretrained('me/pipe')\nq = DiffusionPipeline.from_pretrained('a/b', custom_pipeline='me/pipe')",
])
def test_local_or_unknown_custom_pipelines_are_silent(source):
    assert lint(nb(source), "NBG605").findings == []
