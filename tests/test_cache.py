"""The result cache: same report warm as cold, invalidated by content and config, no secret on
disk, corrupt entries ignored, and a warm run that never loads the engine."""

import json
import os
import subprocess
import sys

import pytest
from helpers import code, md, nb, stream, write_nb

from nbguard.api import iter_reports
from nbguard.cache import CACHE_DIR_NAME, Cache, clean
from nbguard.cli import main
from nbguard.config import Config

HF = "hf_" + "PlMoKnIjBuHvYgCtFxRdZeSwAqPlMoKnIj"
AWS = "AKIA" + "QYLPMN5HHHFPZAM2"
PASSWORD = "Tr0ub4dor&3-" + "horse-battery"
TOKEN_IN_OUTPUT = "ghp_" + "Xk2mQ9vL4nR7tY1wE6uI0oP3aS5dF8gH2jK4"


def leaky() -> dict:
    return nb(
        md(f"Use the key {HF} to log in"),
        f'HF_TOKEN = "{HF}"\nAWS_KEY = "{AWS}"',
        f'import psycopg2\nconn = psycopg2.connect(host="db", password="{PASSWORD}")',
        code("print(token)", outputs=[stream(f"token={TOKEN_IN_OUTPUT}\n")]),
        "!pip install torch",
        metadata={"kernelspec": {"name": "python3", "language": "python"}, "secret": HF},
    )


@pytest.fixture
def notebooks(tmp_path):
    d = tmp_path / "nbs"
    d.mkdir()
    write_nb(d / "a_leaky.ipynb", leaky())
    write_nb(d / "b_clean.ipynb", nb("x = 1"))
    write_nb(d / "c_pickle.ipynb", nb("import pickle", "pickle.load(open('m.pkl', 'rb'))"))
    (d / "d_broken.ipynb").write_text("{ not json", encoding="utf-8")
    return str(d)


def lint(folder, cache, config=None, jobs=1):
    reports = list(iter_reports([folder], config or Config(), jobs, cache))
    return ([f.to_dict() for r in reports for f in r.findings], [e.to_dict() for r in reports for e in r.errors],
            sum(r.files for r in reports))


def cache_text(folder) -> str:
    out = []
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as fh:
                out.append(fh.read().decode("utf-8", "replace"))
    return "\n".join(out)


def test_warm_run_gives_the_cold_report(notebooks, tmp_path):
    cold = lint(notebooks, None)
    cache = Cache(str(tmp_path / "cache"), Config())
    first = lint(notebooks, cache)
    assert first == cold
    assert cache.stores == 4  # every file, the unreadable one included (its error is cached)
    warm_cache = Cache(str(tmp_path / "cache"), Config())
    assert lint(notebooks, warm_cache) == cold
    assert (warm_cache.hits, warm_cache.misses, warm_cache.stores) == (4, 0, 0)
    assert len(cold[0]) >= 5 and cold[1] and cold[1][0]["path"].endswith("d_broken.ipynb")


def test_content_and_config_changes_are_misses(notebooks, tmp_path):
    folder = str(tmp_path / "cache")
    lint(notebooks, Cache(folder, Config()))
    path = os.path.join(notebooks, "b_clean.ipynb")
    write_nb(path, nb("import yaml", "yaml.load(open('c.yml'))"))
    cache = Cache(folder, Config())
    findings, _, _ = lint(notebooks, cache)
    assert (cache.hits, cache.misses) == (3, 1)
    assert any(f["path"] == path and f["rule"] == "NBG504" for f in findings)
    narrow = Config(select=["NBG5"])
    cache = Cache(folder, narrow)
    findings, _, _ = lint(notebooks, cache, narrow)
    assert cache.hits == 0 and findings and all(f["rule"].startswith("NBG5") for f in findings)
    assert Cache(folder, Config(min_severity=Config().min_severity + 1)).settings != Cache(folder, Config()).settings


@pytest.mark.parametrize("select", [None, ["NBG601"], ["NBG2", "NBG6"]])
def test_no_secret_reaches_the_cache(notebooks, tmp_path, select):
    folder = str(tmp_path / "cache")
    config = Config(select=select) if select else Config()
    lint(notebooks, Cache(folder, config), config)
    text = cache_text(folder)
    assert os.listdir(folder)
    for secret in (HF, AWS, PASSWORD, TOKEN_IN_OUTPUT):
        assert secret not in text
        assert secret[6:] not in text  # not even most of it
        assert secret[:4] + "***" not in text  # nor the masked form the report shows
    cold = list(iter_reports([notebooks], config, 1, None))
    hashes = [f.content_hash for r in cold for f in r.findings if f.category in ("secrets", "data-exposure")]
    assert all(h and h not in text for h in hashes)  # a hash of a short password could be brute-forced
    assert "pickle.load(open('m.pkl', 'rb'))" in text or select  # ordinary snippets are kept


def test_corrupt_or_foreign_entries_are_ignored(notebooks, tmp_path):
    folder = str(tmp_path / "cache")
    cold = lint(notebooks, Cache(folder, Config()))
    entries = [os.path.join(r, n) for r, _, fs in os.walk(folder) for n in fs if n.endswith(".json")]
    assert len(entries) == 4
    garbage = [b"", b"{", b"[1, 2]", json.dumps({"format": 1, "key": "other", "files": 1, "findings": [],
                                                  "errors": []}).encode(), b"\xff\xfe\x00garbage"]
    for i, p in enumerate(entries):
        with open(p, "wb") as fh:
            fh.write(garbage[i % len(garbage)])
    cache = Cache(folder, Config())
    assert lint(notebooks, cache) == cold
    assert cache.hits == 0 and cache.stores == 4  # relinted and rewritten
    cache = Cache(folder, Config())
    assert lint(notebooks, cache) == cold and cache.hits == 4


def test_entry_with_wrong_row_shape_is_a_miss(notebooks, tmp_path):
    folder = str(tmp_path / "cache")
    cold = lint(notebooks, Cache(folder, Config()))
    for r, _, fs in os.walk(folder):
        for n in fs:
            if n.endswith(".json"):
                p = os.path.join(r, n)
                with open(p, encoding="utf-8") as fh:
                    entry = json.load(fh)
                entry["findings"] = [row[:3] for row in entry["findings"]] + [["x"]]
                with open(p, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh)
    cache = Cache(folder, Config())
    assert lint(notebooks, cache) == cold
    assert cache.hits == 0 and cache.stores == 4


def test_cli_cache_flags_and_clean(notebooks, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lint", notebooks, "--format", "json"]) == 2
    first = capsys.readouterr().out
    default = tmp_path / CACHE_DIR_NAME  # no pyproject with [tool.nbguard]: the current folder
    assert default.is_dir() and (default / "CACHEDIR.TAG").exists()
    assert main(["lint", notebooks, "--format", "json"]) == 2
    assert capsys.readouterr().out == first
    other = tmp_path / "elsewhere"
    assert main(["lint", notebooks, "--format", "json", "--cache-dir", str(other)]) == 2
    assert capsys.readouterr().out == first and other.is_dir()
    nocache = tmp_path / "nocache-run"
    nocache.mkdir()
    monkeypatch.chdir(nocache)
    assert main(["lint", notebooks, "--format", "json", "--no-cache"]) == 2
    assert capsys.readouterr().out == first and os.listdir(nocache) == []
    monkeypatch.chdir(tmp_path)
    assert main(["clean"]) == 0 and not default.exists()
    assert main(["clean", "--cache-dir", str(other)]) == 0 and not other.exists()
    assert main(["clean"]) == 0  # nothing to remove is fine
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("x")
    assert main(["clean", "--cache-dir", str(precious)]) == 2 and (precious / "keep.txt").exists()


def test_cache_goes_next_to_the_config_file(tmp_path, notebooks, monkeypatch, capsys):
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[tool.nbguard]\nselect = ['ALL']\n", encoding="utf-8")
    write_nb(proj / "sub" / "x.ipynb", nb("import pickle", "pickle.loads(b)"))
    monkeypatch.chdir(proj / "sub")
    assert main(["lint", "x.ipynb"]) == 1
    capsys.readouterr()
    assert (proj / CACHE_DIR_NAME).is_dir() and not (proj / "sub" / CACHE_DIR_NAME).exists()


def test_warm_cli_run_does_not_import_the_engine(notebooks, tmp_path):
    folder = str(tmp_path / "cache")
    probe = (
        "import sys, io, contextlib\n"
        "from nbguard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['lint', {notebooks!r}, '--cache-dir', {folder!r}, '--format', 'json'])\n"
        "heavy = [m for m in ('nbguard.engine', 'nbguard.analysis', 'nbguard.rules._tokens', 'detect_secrets', "
        "'IPython') if m in sys.modules]\n"
        "print(rc, ','.join(heavy) or '-')\n"
    )
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    cold, warm = (r.stdout.split() for r in runs)
    assert cold[0] == warm[0] == "2"
    assert "nbguard.engine" in cold[1]
    assert warm[1] == "-"


def test_unchanged_files_are_not_even_read_and_changed_ones_are(notebooks, tmp_path, monkeypatch):
    monkeypatch.setattr(Cache, "INDEX_RACY_NS", 0)  # the files were written just now
    folder = str(tmp_path / "cache")
    cold = lint(notebooks, Cache(folder, Config()))
    reads = []
    real = Cache.read_source
    monkeypatch.setattr(Cache, "read_source", lambda self, p: reads.append(p) or real(self, p))
    cache = Cache(folder, Config())
    assert lint(notebooks, cache) == cold
    assert cache.hits == 4 and reads == []  # sizes, mtimes and inodes matched the index
    path = os.path.join(notebooks, "c_pickle.ipynb")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:  # same size, other content
        fh.write(text.replace("m.pkl", "n.pkl"))
    cache = Cache(folder, Config())
    findings, _, _ = lint(notebooks, cache)
    assert reads == [path] and (cache.hits, cache.misses) == (3, 1)
    assert any("n.pkl" in f["snippet"] for f in findings if f["path"] == path)
    with open(os.path.join(folder, cache.settings, "index.json"), "w") as fh:
        fh.write("{broken")  # a corrupt index is ignored too
    assert lint(notebooks, Cache(folder, Config())) == lint(notebooks, None)


def test_a_read_that_updates_the_access_time_still_indexes_the_file(notebooks, tmp_path, monkeypatch):
    # relatime mounts update a file's access time on its first read: a stat taken after the
    # read then differs from the one before it in st_atime alone. The second run must still be
    # answered from the index, without reading a file (this was an intermittent CI failure).
    monkeypatch.setattr(Cache, "INDEX_RACY_NS", 0)
    real_stat, read = os.stat, set()

    def stat(path, *a, **kw):
        st = real_stat(path, *a, **kw)
        if path not in read:
            return st
        extra = {k: getattr(st, k) for k in ("st_blksize", "st_blocks", "st_rdev", "st_mtime_ns", "st_ctime_ns")}
        return os.stat_result(tuple(st)[:7] + (st.st_atime + 5, st.st_mtime, st.st_ctime),
                              dict(extra, st_atime_ns=st.st_atime_ns + 5 * 10**9))

    real_read = Cache.read_source
    monkeypatch.setattr(Cache, "read_source", lambda self, p: read.add(p) or real_read(self, p))
    monkeypatch.setattr(os, "stat", stat)
    folder = str(tmp_path / "cache")
    cold = lint(notebooks, Cache(folder, Config()))
    read.clear()
    cache = Cache(folder, Config())
    assert lint(notebooks, cache) == cold
    assert cache.hits == 4 and read == set()


def test_clean_refuses_a_folder_that_is_not_a_cache(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    with pytest.raises(OSError):
        clean(str(d))
    assert d.exists()
    assert clean(str(tmp_path / "missing")) is False
