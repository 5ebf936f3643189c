import pytest
from helpers import codes, lint, nb

from nbguard.model import Severity

SHA = "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b"
TF = "from transformers import AutoModel, AutoTokenizer, pipeline\n"


def fired(*cells):
    return codes(lint(nb(*cells), "NBG301"))


def messages(*cells):
    return [f.message for f in lint(nb(*cells), "NBG301").findings]


@pytest.mark.parametrize("source", [
    TF + 'm = AutoModel.from_pretrained("bert-base-uncased")',
    TF + 'm = AutoModel.from_pretrained("gpt2")',
    TF + 'm = AutoModel.from_pretrained("meta-llama/Llama-2-7b-hf", revision="main")',
    TF + 'm = AutoModel.from_pretrained("org/m", revision="v1.0")',
    TF + 'm = AutoModel.from_pretrained("org/m", revision="refs/pr/1")',
    TF + 'm = AutoModel.from_pretrained("org/m", revision="0a6aa91")',  # short sha: bandit accepts it
    TF + 'm = AutoModel.from_pretrained("org/m", revision="deadbeef")',  # a hex-looking branch
    TF + 'm = AutoModel.from_pretrained("org/m", revision=None)',
    TF + 'm = AutoModel.from_pretrained(pretrained_model_name_or_path="org/m")',
    TF + 't = AutoTokenizer.from_pretrained("org/m", trust_remote_code=True)',
    "from transformers import AutoModelForCausalLM as AM\nm = AM.from_pretrained('org/m')",
    "import transformers\nm = transformers.BertForSequenceClassification.from_pretrained('bert-base-cased')",
    "from transformers import *\nm = AutoModelForSeq2SeqLM.from_pretrained('t5-small')",
    "from diffusers import DiffusionPipeline\np = DiffusionPipeline.from_pretrained('stabilityai/sdxl-turbo')",
    "from diffusers import StableDiffusionPipeline\np = StableDiffusionPipeline.from_pretrained('runwayml/sd-v1-5')",
    "from peft import PeftModel\nm = PeftModel.from_pretrained(base, 'org/lora-adapter')",
    "from peft import AutoPeftModelForCausalLM\nm = AutoPeftModelForCausalLM.from_pretrained('org/lora')",
    TF + 'p = pipeline("text-generation", model="gpt2")',
    TF + 'p = pipeline("text-generation", "org/m")',
    TF + 'p = pipeline(model="org/m", task="ner", revision="main")',
    TF + 'p = pipeline("sentiment-analysis")',
    "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('all-MiniLM-L6-v2')",
    "import sentence_transformers as st\nm = st.CrossEncoder('cross-encoder/ms-marco-MiniLM-L-6-v2')",
    "from huggingface_hub import hf_hub_download\np = hf_hub_download('org/m', 'model.safetensors')",
    "from huggingface_hub import snapshot_download as dl\np = dl(repo_id='org/m', revision='main')",
    "import huggingface_hub\np = huggingface_hub.snapshot_download('org/m', local_dir='m')",
    "from datasets import load_dataset\nds = load_dataset('imdb')",
    "from datasets import load_dataset\nds = load_dataset('glue', 'mrpc', revision='main')",
    "import timm\nm = timm.create_model('hf-hub:timm/resnet50.a1_in1k', pretrained=True)",
    "import timm\nm = timm.create_model('hf-hub:timm/resnet50.a1_in1k@main', pretrained=True)",
    "import vllm\nllm = vllm.LLM(model='mistralai/Mistral-7B-v0.1')",
    "from transformers import AutoModel\nm = AutoModel.from_pretrained(f'meta-llama/Llama-2-{size}b-hf')",
])
def test_unpinned_download(source):
    assert fired(source) == [("NBG301", 0, 2)]


def test_class_held_in_a_variable():
    assert fired("from transformers import AutoModel\nmodel_cls = AutoModel\nm = model_cls.from_pretrained('org/m')") \
        == [("NBG301", 0, 3)]


def test_constant_from_earlier_cell_is_followed():
    found = lint(nb('MODEL = "org/m"\nREV = "main"', "x = 1",
                    TF + "m = AutoModel.from_pretrained(MODEL, revision=REV)"), "NBG301").findings
    assert [(f.rule, f.cell, f.line) for f in found] == [("NBG301", 2, 2)]
    assert "'REV' set in cell 1, line 2" in found[0].message and "a branch" in found[0].message
    assert "'MODEL' set in cell 1, line 1" in found[0].message


def test_constant_sha_from_earlier_cell_is_a_pin():
    assert fired(f'REV = "{SHA}"', TF + "m = AutoModel.from_pretrained('org/m', revision=REV)") == []


def test_one_finding_per_call_even_with_trust_remote_code():
    found = lint(nb(TF + 'm = AutoModel.from_pretrained("org/m", trust_remote_code=True, revision="main")'),
                 "NBG301").findings
    assert len(found) == 1 and "trust_remote_code=True" in found[0].message


def test_pipeline_default_model_is_low_and_says_transformers_picks_it():
    # transformers pins each task's default to a short commit id: the model moves with the library
    (f,) = lint(nb(TF + 'p = pipeline("sentiment-analysis")'), "NBG301").findings
    assert "no model=" in f.message and "transformers picks" in f.message and "unpinned revision" not in f.message
    assert f.severity == Severity.LOW


def test_multiline_call_reports_on_call_line():
    report = lint(nb(TF + 'm = AutoModel.from_pretrained(\n    "org/m",\n    device_map="auto",\n)'), "NBG301")
    (f,) = report.findings
    assert (f.cell, f.line, f.end_line) == (0, 2, 3)


def test_bad_revision_points_at_revision():
    (f,) = lint(nb(TF + 'm = AutoModel.from_pretrained(\n    "org/m",\n    revision="main",\n)'), "NBG301").findings
    assert f.line == 4 and "'main'" in f.message


@pytest.mark.parametrize("source", [
    TF + f'm = AutoModel.from_pretrained("bert-base-uncased", revision="{SHA}")',
    TF + f'm = AutoModel.from_pretrained("org/m", **{{"revision": "{SHA}"}})',
    TF + 'm = AutoModel.from_pretrained("org/m", revision=rev)',  # unknown variable: benefit of the doubt
    TF + 'm = AutoModel.from_pretrained("org/m", revision=args.revision)',
    TF + 'm = AutoModel.from_pretrained(model_path)',  # unknown repo
    TF + 'm = AutoModel.from_pretrained("./results")',
    TF + 'm = AutoModel.from_pretrained("/opt/ml/model")',
    TF + 'm = AutoModel.from_pretrained("../ckpt")',
    TF + 'm = AutoModel.from_pretrained("~/models/bert")',
    TF + 'm = AutoModel.from_pretrained("C:\\\\models\\\\bert")',
    TF + 'm = AutoModel.from_pretrained("outputs/run1/ckpt")',
    TF + 'm = AutoModel.from_pretrained("outputs/run1")',
    TF + 'm = AutoModel.from_pretrained("results/checkpoint-500")',
    TF + 'm = AutoModel.from_pretrained("model.bin")',
    TF + 'm = AutoModel.from_pretrained("org/m", local_files_only=True)',
    TF + 'm = AutoModel.from_pretrained(Path("org/m"))',
    TF + 'm = AutoModel.from_pretrained("path/to/your/model")',
    TF + 'p = pipeline("text-generation", model=model, tokenizer=tokenizer)',  # objects
    TF + 'p = pipeline(task, **kwargs)',
    "from datasets import load_dataset\nds = load_dataset('csv', data_files='train.csv')",
    "from datasets import load_dataset\nds = load_dataset('json', data_files={'train': 'a.json'})",
    f"import timm\nm = timm.create_model('hf-hub:timm/resnet50.a1_in1k@{SHA}')",
    "import timm\nm = timm.create_model('resnet50', pretrained=True)",
    "from efficientnet_pytorch import EfficientNet\nm = EfficientNet.from_pretrained('efficientnet-b0')",
    "m = SomeThing.from_pretrained('org/m')",  # no Hugging Face import in the notebook
    "from transformers import AutoModel\nprint('AutoModel.from_pretrained(\"org/m\")')",
    "from sklearn.pipeline import Pipeline\np = Pipeline([('a', A())])",
])
def test_not_an_unpinned_download(source):
    assert fired(source) == []


@pytest.mark.parametrize("earlier", [
    'model.save_pretrained("my_model")',
    'trainer.save_model("my_model")',
    'args = TrainingArguments(output_dir="my_model", num_train_epochs=1)',
    'import os\nos.makedirs("my_model", exist_ok=True)',
    '!mkdir -p my_model',
    '!git clone https://github.com/someone/my_model',
    'from huggingface_hub import snapshot_download\nsnapshot_download("org/x", local_dir="my_model", revision="'
    + SHA + '")',
])
def test_folder_written_earlier_is_local(earlier):
    assert fired(earlier, TF + 'm = AutoModel.from_pretrained("my_model")') == []


def test_two_segment_folder_saved_earlier_is_local():
    assert fired('model.save_pretrained("team/model")', TF + 'm = AutoModel.from_pretrained("team/model")') == []
    # but a save *after* the load is no evidence
    assert fired(TF + 'm = AutoModel.from_pretrained("team/model")',
                 'model.save_pretrained("team/model")') == [("NBG301", 0, 2)]


def test_trainer_output_dir_constant_then_load():
    assert fired('out = "bert-finetuned"\nargs = TrainingArguments(output_dir=out)\ntrainer.save_model(out)',
                 TF + "m = AutoModel.from_pretrained(out)") == []


@pytest.mark.parametrize("offline", [
    'import os\nos.environ["HF_HUB_OFFLINE"] = "1"',
    '%env HF_HUB_OFFLINE=1',
    'import os\nos.environ.setdefault("TRANSFORMERS_OFFLINE", "1")',
])
def test_offline_mode_set_earlier(offline):
    assert fired(offline, TF + 'm = AutoModel.from_pretrained("org/m")') == []


def test_offline_mode_turned_off_again():
    assert fired('%env HF_HUB_OFFLINE=1', 'import os\nos.environ["HF_HUB_OFFLINE"] = "0"',
                 TF + 'm = AutoModel.from_pretrained("org/m")') == [("NBG301", 2, 2)]


def test_training_script_output_dir_in_bash_cell_is_local():
    bash = '%%bash\nexport OUTPUT_DIR="sd-finetuned"\naccelerate launch train.py \\\n  --output_dir=$OUTPUT_DIR'
    load = "from diffusers import DiffusionPipeline\np = DiffusionPipeline.from_pretrained('sd-finetuned')"
    assert fired(bash, load) == []
    assert fired(load) == [("NBG301", 0, 2)]


def test_kwargs_dict_from_earlier_cell_is_read():
    assert fired(f'KW = dict(revision="{SHA}", device_map="auto")', TF + 'm = AutoModel.from_pretrained("org/m", **KW)') \
        == []
    assert fired('KW = {"revision": "main"}', TF + 'm = AutoModel.from_pretrained("org/m", **KW)') \
        == [("NBG301", 1, 2)]


def test_unknown_kwargs_lower_the_severity():
    (f,) = lint(nb(TF + 'm = AutoModel.from_pretrained("org/m", **load_kwargs)'), "NBG301").findings
    assert f.severity.label == "low" and "**kwargs" in f.message


# -- values reached through settings namespaces and containers (analysis.Scope) --------------

@pytest.mark.parametrize("cells, cell, line", [
    # Kaggle-style settings class, used in a later cell
    (("class CFG:\n    model_name = 'microsoft/deberta-v3-large'\n    seed = 42",
      TF + "m = AutoModel.from_pretrained(CFG.model_name)"), 1, 2),
    # an instance of it (a dataclass with defaults), keyword overrides win
    (("class Cfg:\n    model: str = 'org/base'", TF + "cfg = Cfg(model='org/large')\nm = AutoModel.from_pretrained(cfg.model)"),
     1, 3),
    # an attribute reassigned after the class body
    (("class CFG:\n    model = './local'", "CFG.model = 'org/m'", TF + "m = AutoModel.from_pretrained(CFG.model)"), 2, 2),
    (("from types import SimpleNamespace\nargs = SimpleNamespace(model_name_or_path='gpt2')",
      TF + "m = AutoModel.from_pretrained(args.model_name_or_path)"), 1, 2),
    # a config dict and a list of ids
    (("config = {'base': 'sentence-transformers/all-MiniLM-L6-v2', 'rev': 'main'}",
      "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer(config['base'])"), 1, 2),
    (("MODELS = ['org/a', 'org/b']", TF + "m = AutoModel.from_pretrained(MODELS[1])"), 1, 2),
])
def test_repo_from_namespace_or_container(cells, cell, line):
    assert fired(*cells) == [("NBG301", cell, line)]


@pytest.mark.parametrize("cells", [
    ("class CFG:\n    model = 'org/m'\n    rev = '" + SHA + "'",
     TF + "m = AutoModel.from_pretrained(CFG.model, revision=CFG.rev)"),
    ("class CFG:\n    model = '/kaggle/input/deberta-v3-large'", TF + "m = AutoModel.from_pretrained(CFG.model)"),
    ("config = {'model': 'org/m', 'revision': '" + SHA + "'}",
     TF + "m = AutoModel.from_pretrained(config['model'], revision=config['revision'])"),
    # positional construction: which field gets what is unknown, so nothing is assumed
    ("class Cfg:\n    model = 'org/m'", TF + "cfg = Cfg('./local')\nm = AutoModel.from_pretrained(cfg.model)"),
    ("class CFG:\n    model = 'org/m'", TF + "m = AutoModel.from_pretrained(CFG.missing)"),
])
def test_namespace_values_that_are_pinned_or_unknown(cells):
    assert fired(*cells) == []


# -- LangChain / LlamaIndex wrappers and adapter loaders -------------------------------------

LC = "from langchain_community.embeddings import HuggingFaceEmbeddings\n"


@pytest.mark.parametrize("source", [
    LC + "emb = HuggingFaceEmbeddings(model_name='sentence-transformers/all-mpnet-base-v2')",
    LC + "emb = HuggingFaceEmbeddings()",  # downloads its default model
    LC + "emb = HuggingFaceEmbeddings(model_name='BAAI/bge-small-en', model_kwargs={'revision': 'main'})",
    "from llama_index.embeddings.huggingface import HuggingFaceEmbedding\nemb = HuggingFaceEmbedding(model_name='BAAI/bge-small-en-v1.5')",
    "from langchain_huggingface import HuggingFacePipeline\nllm = HuggingFacePipeline.from_model_id(model_id='gpt2', task='text-generation')",
    "from diffusers import DiffusionPipeline\npipe.load_lora_weights('nerijs/pixel-art-xl', weight_name='pixel-art-xl.safetensors')",
    "from diffusers import StableDiffusionPipeline\npipe.load_textual_inversion('sd-concepts-library/cat-toy')",
    "from transformers import AutoModelForCausalLM\nmodel.load_adapter('ybelkada/opt-350m-lora')",
])
def test_wrappers_and_adapters(source):
    assert fired(source) == [("NBG301", 0, 2)]


@pytest.mark.parametrize("source", [
    LC + f"emb = HuggingFaceEmbeddings(model_name='BAAI/bge-small-en', model_kwargs={{'revision': '{SHA}', 'device': 'cuda'}})",
    LC + "emb = HuggingFaceEmbeddings(model_name='/models/bge-small-en')",
    LC + "emb = HuggingFaceEmbeddings(model_name='BAAI/bge-small-en', model_kwargs=kw)",  # unknown: benefit of the doubt
    "from diffusers import DiffusionPipeline\npipe.load_lora_weights('./loras/my_style.safetensors')",
    f"from diffusers import DiffusionPipeline\npipe.load_lora_weights('nerijs/pixel-art-xl', revision='{SHA}')",
    "pipe.load_lora_weights('nerijs/pixel-art-xl')",  # no Hugging Face import: not known to be diffusers
    "from langchain_openai import OpenAIEmbeddings\nemb = OpenAIEmbeddings(model='text-embedding-3-large')",
])
def test_wrappers_and_adapters_not_reported(source):
    assert fired(source) == []


def test_loop_over_model_ids():
    found = fired("CANDIDATES = ['org/small', 'org/large']", TF + "for name in CANDIDATES:\n    m = AutoModel.from_pretrained(name)")
    assert found == [("NBG301", 1, 3)]
    assert fired("CANDIDATES = ['./ckpt/a', './ckpt/b']", TF + "for name in CANDIDATES:\n    m = AutoModel.from_pretrained(name)") == []


@pytest.mark.parametrize("cells, expected", [
    # aliases and objects reach the rule though it only runs for Hub call names
    (["from transformers import AutoModel as AM\nm = AM.from_pretrained('bert-base-uncased')"], [("NBG301", 0, 2)]),
    (["from huggingface_hub import snapshot_download as sd\np = sd('acme/model')"], [("NBG301", 0, 2)]),
    (["import transformers as T\np = T.pipeline('text-generation', model='gpt2')"], [("NBG301", 0, 2)]),
    # a folder written by a call NBG301 does not check (save_pretrained) is still known as local
    (["model.save_pretrained('acme/bert-ft')", TF + "m = AutoModel.from_pretrained('acme/bert-ft')"], []),
    (["import os\nos.makedirs('acme/bert-ft')", TF + "m = AutoModel.from_pretrained('acme/bert-ft')"], []),
])
def test_gated_hub_calls(cells, expected):
    assert fired(*cells) == expected


def found(*cells):
    return [(f.cell, f.line, f.severity) for f in lint(nb(*cells), "NBG301").findings]


@pytest.mark.parametrize("source, severity", [
    ("import evaluate\nrouge = evaluate.load('rouge')", Severity.LOW),  # canonical: the library's version tag
    ("from evaluate import load\nm = load('seqeval')", Severity.LOW),
    ("from datasets import load_metric\nm = load_metric('glue', 'mnli')", Severity.LOW),
    ("from datasets import *\nm = load_metric('glue')", Severity.LOW),
    ("import evaluate\nm = evaluate.load('rouge', revision='v0.4.0')", Severity.LOW),
    ("import evaluate\nm = evaluate.load('rouge', revision='main')", Severity.MEDIUM),
    ("import evaluate\nm = evaluate.load('evaluate-metric/mase')", Severity.LOW),  # canonical, named in full
    ("import evaluate\nm = evaluate.load('lvwerra/bary_score')", Severity.MEDIUM),  # a community script: main
    ("import evaluate\nNAME = 'org/my_metric'\nm = evaluate.load(NAME, module_type='metric')", Severity.MEDIUM),
])
def test_evaluation_modules_are_scripts_the_kernel_runs(source, severity):
    assert found(source) == [(0, source.count("\n") + 1, severity)]
    assert ("not a commit sha" if "revision=" in source else "Python script") in messages(source)[0]


@pytest.mark.parametrize("source", [
    f"import evaluate\nm = evaluate.load('org/my_metric', revision='{SHA}')",
    "import evaluate\nm = evaluate.load('./metrics/my_metric')",
    "import evaluate\nm = evaluate.load('my_metric.py')",
    "import evaluate\nm = evaluate.load(name)",  # unknown: benefit of the doubt
    "import os\nos.environ['HF_EVALUATE_OFFLINE'] = '1'\nimport evaluate\nm = evaluate.load('rouge')",
    "import pickle, json\nm = pickle.load(f)\nd = json.load(g)",
    "from mylib import load\nm = load('rouge')",
])
def test_evaluation_modules_pinned_local_or_offline(source):
    assert found(source) == []
