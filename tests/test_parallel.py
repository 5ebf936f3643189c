"""--jobs N gives exactly the --jobs 1 report, in the same order; tiny inputs start no workers."""

import json
import os

import pytest
from helpers import code, md, nb, stream, write_nb

import nbguard.api as api
from nbguard.cli import main
from nbguard.config import Config

HF = "hf_" + "PlMoKnIjBuHvYgCtFxRdZeSwAqPlMoKnIj"


@pytest.fixture
def folder(tmp_path):
    """Notebooks of very different sizes in nested folders, plus two unreadable files."""
    root = tmp_path / "nbs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "z-last").mkdir()
    bodies = [
        nb(md("# Setup"), "!pip install torch", f'token = "{HF}"'),
        nb("import pickle", "model = pickle.load(open('m.pkl', 'rb'))"),
        nb("import requests", "requests.get('https://x.org', verify=False)"),
        nb("x = 1"),
        nb(code("print(k)", outputs=[stream(f"key: {HF}\n")])),
        nb("import torch", "torch.load('w.pt')", "from transformers import AutoModel",
           "m = AutoModel.from_pretrained('org/model')"),
    ]
    paths = []
    for i in range(24):  # the big ones make the work uneven, so workers finish out of order
        body = bodies[i % len(bodies)]
        if i % 5 == 0:
            body = dict(body, cells=body["cells"] + [code(f"v{j} = {j}\nprint(v{j})") for j in range(400)])
        where = [root, root / "sub", root / "sub" / "deeper", root / "z-last"][i % 4]
        paths.append(write_nb(where / f"nb{i:02d}.ipynb", body))
    (root / "sub" / "broken.ipynb").write_text("{ not json", encoding="utf-8")
    (root / "empty.ipynb").write_text("", encoding="utf-8")
    return str(root)


def _report(paths, jobs, cache=None):
    return list(api.iter_reports(paths, Config(), jobs, cache))


def _flat(reports):
    return ([f.to_dict() for r in reports for f in r.findings], [e.to_dict() for r in reports for e in r.errors],
            sum(r.files for r in reports))


def test_jobs_2_streams_the_same_reports_in_the_same_order(folder, monkeypatch):
    monkeypatch.setattr(api, "PARALLEL_MIN_BYTES", 0)  # this small folder would otherwise stay serial
    serial = _report([folder], 1)
    parallel = _report([folder], 2)
    assert len(serial) == len(parallel) == 26  # one report per file, errors included, in discovery order
    assert _flat(parallel) == _flat(serial)
    findings, errors, files = _flat(serial)
    assert files == 24 and len(errors) == 2 and len(findings) > 10
    # the order is the discovery order (sorted names, folders in place), not completion order
    order = [p for p in api.discover([folder], Config()) if isinstance(p, str)]
    seen = list(dict.fromkeys(f["path"] for f in findings))
    assert seen == [p for p in order if p in seen]


def test_cli_jobs_2_output_is_byte_identical(folder, monkeypatch, capsys):
    monkeypatch.setattr(api, "PARALLEL_MIN_BYTES", 0)
    outs = []
    for jobs in ("1", "2"):
        rc = main(["lint", folder, "--jobs", jobs, "--no-cache", "--format", "json"])
        outs.append((rc, capsys.readouterr().out))
    assert outs[0][0] == outs[1][0] == 2  # findings, and two unreadable files
    assert outs[0][1] == outs[1][1]
    assert len(json.loads(outs[0][1])["findings"]) > 10


def test_tiny_inputs_do_not_start_workers(folder, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a process pool was started for a tiny input")

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", boom)
    one = os.path.join(folder, "nb01.ipynb")
    assert _flat(_report([one], 8)) == _flat(_report([one], 1))
    assert _flat(_report([folder], 8)) == _flat(_report([folder], 1))  # 24 small notebooks: under the threshold


def test_chunks_cover_every_file_once_largest_first():
    todo = [(i, f"p{i}", size) for i, size in enumerate([10, 5_000_000, 30, 200_000, 7, 1_000_000] * 20)]
    chunks = api._chunks(todo, 2)
    seen = [i for c in chunks for i, _ in c]
    assert sorted(seen) == list(range(len(todo)))
    assert chunks[0] == [(1, "p1")]  # the biggest file goes first, alone


def test_a_lint_leaves_no_reference_cycles_behind():
    """Batch runs raise the cyclic collector's thresholds (api.tune_gc_for_batch) and rely on
    reference counting to free each notebook's run: a cycle through the run, its syntax trees
    or the raw file would keep them alive (peak memory grew with the corpus when one did)."""
    import gc

    from pathlib import Path

    config = Config()
    examples = Path(__file__).resolve().parent.parent / "example_notebooks"
    paths = sorted(str(p) for p in examples.glob("*.ipynb"))
    assert paths
    rules = api._ruleset(config)
    api.lint_file(paths[0], config, rules)  # warm module-level caches first
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for p in paths:
            api.lint_file(p, config, rules)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    kinds = {type(o).__name__ for o in garbage}
    assert not kinds & {"NotebookRun", "CellContext", "Notebook", "Cell", "Module", "TextView"}, kinds
    closures = {o.__qualname__ for o in garbage if type(o).__name__ == "function"}
    assert not {q for q in closures if q.startswith("_locate_json_paths")}, closures


def _ignore_sigterm_and_wait(ready):
    import signal
    import time

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(60)


def test_an_interrupted_run_kills_a_worker_that_ignores_sigterm():
    # The pool's shutdown joins every worker: one that outlives SIGTERM would hang an interrupted run.
    import multiprocessing
    import time

    ctx = multiprocessing.get_context()
    ready = ctx.Event()
    stubborn = ctx.Process(target=_ignore_sigterm_and_wait, args=(ready,))
    stubborn.start()
    assert ready.wait(10)
    t = time.monotonic()
    api._stop_workers([stubborn], grace=0.5)
    stubborn.join(5)
    assert stubborn.exitcode is not None and stubborn.exitcode < 0  # killed by a signal, not finished
    assert time.monotonic() - t < 5
