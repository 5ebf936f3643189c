"""What a notebook did to its files and environment before a call.

Rules about loading things need to know what came earlier in the notebook:

* **produced** paths: files and folders the notebook's own code made
  (``pickle.dump(obj, open("m.pkl", "wb"))``, ``joblib.dump(m, "m.joblib")``,
  ``model.save_pretrained("out")``, ``TrainingArguments(output_dir="out")``,
  ``os.makedirs("ckpt")``, ``!mkdir ckpt``);
* **fetched** paths: files and folders brought in from elsewhere
  (``urlretrieve(url, "m.pkl")``, ``!wget -O m.pkl``, ``!git clone ...``,
  ``snapshot_download(..., local_dir="m")``, ``!unzip x.zip -d data``);
* **job outputs**: the subset of fetched paths whose source is an artefact the
  notebook's own job produced (``S3Downloader.download(estimator.model_data, "m")``,
  ``!aws s3 cp $s3_artifacts .`` of a training job's ``S3ModelArtifacts``);
* **environment** variables set by ``os.environ[K] = V``, ``os.environ.setdefault``,
  ``os.environ.update``, ``os.putenv``, ``%env K=V`` and ``%set_env K V``.

Both kinds of path say "this name is a local path, not a Hub id"; only
*produced* says "this file is the notebook's own output", which lowers the
severity of loading it (it is not dropped: the file may be swapped on disk).

The facts live in ``ctx.facts["paths"]`` (one :class:`PathFacts` per notebook
run). A rule that reads them declares ``uses_path_facts = True``; then the engine
feeds them, whichever rules are selected: it calls :func:`observe_call`,
:func:`observe_shell` and :func:`observe_assign` once per call, shell line (``!``,
``%%bash``, ``os.system(...)``) and ``Assign``/``Delete``, *after* every rule has
seen it, so a call never serves as its own evidence. ``%env`` magics are observed by the
rules that need them (:func:`observe_magic`). Observing is idempotent (the first
evidence for a path wins).
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from ..analysis import Value

if TYPE_CHECKING:
    from ..analysis import CallSite
    from ..context import CellContext
    from ..ipysyntax import LineMagic, ShellCommand

FACTS_KEY = "paths"


@dataclass(frozen=True)
class Evidence:
    """Where a fact came from: what did it, 0-based cell, 1-based line."""

    how: str
    cell: int
    line: int

    def describe(self) -> str:
        return f"{self.how} in cell {self.cell + 1}, line {self.line}"


@dataclass
class PathFacts:
    produced: dict[str, Evidence] = field(default_factory=dict)
    fetched: dict[str, Evidence] = field(default_factory=dict)
    job_outputs: dict[str, Evidence] = field(default_factory=dict)  # fetched from the notebook's own job
    env: dict[str, tuple[str, Evidence]] = field(default_factory=dict)
    shell_vars: dict[str, str] = field(default_factory=dict)  # `export OUT=dir` in shell lines
    # per-cell cache: name -> [(line, expr)] for `with X as name` / `name = X` in the cell
    _cell_bindings: tuple[int, dict[str, list[tuple[int, ast.expr]]]] | None = None


def facts(ctx: "CellContext") -> PathFacts:
    f = ctx.facts.get(FACTS_KEY)
    if f is None:
        f = ctx.facts[FACTS_KEY] = PathFacts()
    return f


def normalize(path: str) -> str:
    p = path.strip().replace("\\", "/")
    if not p:
        return ""
    p = posixpath.normpath(p)
    return "" if p == "." else p


def _record(table: dict[str, Evidence], path: str | None, ev: Evidence) -> None:
    if path:
        p = normalize(path)
        if p and p not in table:
            table[p] = ev


def _lookup(table: dict[str, Evidence], path: str) -> Evidence | None:
    p = normalize(path)
    if not p:
        return None
    if p in table:
        return table[p]
    # a file or folder inside a produced/fetched folder
    parts = p.split("/")
    for i in range(len(parts) - 1, 0, -1):
        ev = table.get("/".join(parts[:i]))
        if ev is not None:
            return ev
    return None


def produced_before(ctx: "CellContext", path: str) -> Evidence | None:
    """Did the notebook's own code write ``path`` (or a folder holding it) earlier?"""
    return _lookup(facts(ctx).produced, path)


def fetched_before(ctx: "CellContext", path: str) -> Evidence | None:
    """Was ``path`` (or a folder holding it) downloaded, cloned or extracted earlier?"""
    return _lookup(facts(ctx).fetched, path)


def local_before(ctx: "CellContext", path: str) -> Evidence | None:
    """Evidence that ``path`` names something on local disk."""
    return produced_before(ctx, path) or fetched_before(ctx, path)


def env_value(ctx: "CellContext", name: str) -> tuple[str, Evidence] | None:
    """The value an earlier cell gave environment variable ``name``, with where."""
    return facts(ctx).env.get(name)


def env_truthy(value: str) -> bool:
    return value.strip().strip("\"'").lower() in ("1", "true", "yes", "on", "y")


# -- resolving file arguments -------------------------------------------------------

_OPENERS = frozenset({"open", "io.open", "builtins.open", "gzip.open", "bz2.open", "lzma.open", "codecs.open",
                      "fsspec.open", "smart_open.open", "tensorflow.io.gfile.GFile", "tf.io.gfile.GFile",
                      "gzip.GzipFile", "bz2.BZ2File", "lzma.LZMAFile"})
_PATH_CTORS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path"})


def _cell_bindings(ctx: "CellContext") -> dict[str, list[tuple[int, ast.expr]]]:
    f = facts(ctx)
    key = ctx.cell.index if ctx.cell is not None else -1
    if f._cell_bindings is not None and f._cell_bindings[0] == key:
        return f._cell_bindings[1]
    out: dict[str, list[tuple[int, ast.expr]]] = {}
    tree = ctx.code.tree if ctx.code is not None else None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        out.setdefault(item.optional_vars.id, []).append((node.lineno, item.context_expr))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                out.setdefault(node.targets[0].id, []).append((node.lineno, node.value))
    for v in out.values():
        v.sort(key=lambda x: x[0])
    f._cell_bindings = (key, out)
    return out


def cell_binding(ctx: "CellContext", name: str, line: int) -> ast.expr | None:
    """The expression bound to ``name`` in this cell by the last ``with ... as name`` or
    ``name = ...`` at or before ``line`` (the scope does not track ``with`` targets)."""
    best = None
    for ln, expr in _cell_bindings(ctx).get(name, ()):
        if ln <= line:
            best = expr
    return best


def bound_qualname(ctx: "CellContext", expr: ast.expr) -> str:
    """Qualified name of the callee that produced ``expr``'s object: for ``tar`` in
    ``with tarfile.open(p) as tar`` -> ``tarfile.open()``."""
    q = ctx.scope.qualname(expr) or ""
    if isinstance(expr, ast.Name) and (q == expr.id or not q):
        bound = cell_binding(ctx, expr.id, getattr(expr, "lineno", 10**9))
        if isinstance(bound, ast.Call):
            inner = ctx.scope.qualname(bound.func)
            return f"{inner}()" if inner else ""
    return q


def _opener_path(call: ast.Call, ctx: "CellContext") -> Value | None:
    q = ctx.scope.qualname(call.func) or ""
    if q in _OPENERS or q.endswith(".GFile"):
        target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("file", "filename",
                                                                                                   "name", "urlpath", "uri")), None)
        return ctx.scope.str_value(target) if target is not None else None
    if isinstance(call.func, ast.Attribute) and call.func.attr == "open" and isinstance(call.func.value, ast.Call):
        inner = call.func.value  # Path("x").open("rb")
        if (ctx.scope.qualname(inner.func) or "") in _PATH_CTORS and inner.args:
            return ctx.scope.str_value(inner.args[0])
    return None


def file_path(ctx: "CellContext", expr: ast.expr | None) -> Value | None:
    """The path behind a file argument: a path string, ``open("x")``, ``Path("x")``,
    or a name bound by ``with open("x") as f`` / ``f = open("x")`` in this cell."""
    if expr is None:
        return None
    if isinstance(expr, ast.Call):
        v = _opener_path(expr, ctx)
        if v is not None:
            return v
        q = ctx.scope.qualname(expr.func) or ""
        if q in _PATH_CTORS and expr.args:
            return ctx.scope.str_value(expr.args[0])
        return None
    v = ctx.scope.value(expr)
    if v is not None:
        return v if isinstance(v.value, str) else None
    if isinstance(expr, ast.Name):
        bound = cell_binding(ctx, expr.id, getattr(expr, "lineno", 10**9))
        if isinstance(bound, ast.Call):
            return _opener_path(bound, ctx)
    return None


# -- observing ------------------------------------------------------------------------

# (qualname suffix, position of the path argument, keyword name)
_PRODUCERS = (
    ("pickle.dump", 1, "file"), ("_pickle.dump", 1, "file"), ("cPickle.dump", 1, "file"),
    ("dill.dump", 1, "file"), ("cloudpickle.dump", 1, "file"), ("joblib.dump", 1, "filename"),
    ("torch.save", 1, "f"), ("numpy.save", 0, "file"), ("numpy.savez", 0, "file"),
    ("numpy.savez_compressed", 0, "file"), ("yaml.dump", 1, "stream"), ("skops.io.dump", 1, "file"),
    ("os.makedirs", 0, "name"), ("os.mkdir", 0, "path"), ("shutil.make_archive", 0, "base_name"),
    ("safetensors.torch.save_file", 1, "filename"), ("tarfile.open", 0, "name"),
)
_PRODUCER_ATTRS = {  # method name -> (position, keyword)
    "save_pretrained": (0, "save_directory"), "save_model": (0, "output_dir"), "to_pickle": (0, "path"),
    "save_weights": (0, "filepath"), "save": (0, "filepath"), "export_model": (0, "path"),
}
_FETCHERS = (
    ("urllib.request.urlretrieve", 1, "filename"), ("urllib.urlretrieve", 1, "filename"),
    ("wget.download", 1, "out"), ("torch.hub.download_url_to_file", 1, "dst"), ("gdown.download", 1, "output"),
    ("shutil.unpack_archive", 1, "extract_dir"), ("shutil.copytree", 1, "dst"), ("shutil.copy", 1, "dst"),
    ("shutil.copyfile", 1, "dst"), ("shutil.copy2", 1, "dst"), ("shutil.move", 1, "dst"),
    ("S3Downloader.download", 1, "local_path"),
)
# fetchers whose source argument may be the notebook's own job output: suffix -> (position, keyword)
_FETCH_SOURCES = {"S3Downloader.download": (0, "s3_uri")}

def _by_last_name(table: tuple) -> dict[str, tuple]:
    """Index (suffix, pos, kw) entries by the suffix's last name, so a call checks only its own."""
    out: dict[str, list] = {}
    for entry in table:
        out.setdefault(entry[0].rpartition(".")[2], []).append(entry)
    return {k: tuple(v) for k, v in out.items()}


_PRODUCERS_BY_NAME = _by_last_name(_PRODUCERS)
_FETCHERS_BY_NAME = _by_last_name(_FETCHERS)
_OBSERVED_NAMES = frozenset(_PRODUCERS_BY_NAME) | frozenset(_FETCHERS_BY_NAME)
_OBSERVED_ATTRS = frozenset(_PRODUCER_ATTRS) | {"mkdir", "extractall"}
# keywords that name a local folder the call creates or fills
_DIR_KEYWORDS = {"output_dir": "produced", "logging_dir": "produced", "save_directory": "produced",
                 "local_dir": "fetched"}
_WRITE_MODES = re.compile(r"[wax]")


def _str_at(call: "CallSite", pos: int | None, kw: str | None) -> str | None:
    v = call.value(kw, pos)
    return v.value if v is not None and isinstance(v.value, str) and not v.partial else None


def _suffix(q: str, s: str) -> bool:
    return q == s or q.endswith("." + s)


def canon(q: str) -> str:
    """``np.load`` -> ``numpy.load`` when numpy was imported under an unusual alias we could not see."""
    return "numpy." + q[3:] if q.startswith("np.") else q


def _path_of(ctx: "CellContext", expr: ast.expr | None) -> str | None:
    v = file_path(ctx, expr)
    return v.value if v is not None and isinstance(v.value, str) and not v.partial else None


def observe_call(call: "CallSite", ctx: "CellContext") -> None:
    """Record the paths and environment variables a call writes."""
    f = facts(ctx)
    node = call.node
    q = canon(call.qualname)
    last = q.rpartition(".")[2]
    attr = call.attr
    if not (last in _OBSERVED_NAMES or attr in _OBSERVED_ATTRS or node.keywords or q.startswith("os.")):
        return  # none of the tests below can pass (most calls end here)
    cell = ctx.cell.index if ctx.cell is not None else -1
    line = node.lineno

    for suffix, pos, kw in _PRODUCERS_BY_NAME.get(last, ()):
        if _suffix(q, suffix):
            if suffix == "tarfile.open":  # only when opened for writing
                mode = call.value("mode", 1)
                if not (mode is not None and isinstance(mode.value, str) and _WRITE_MODES.search(mode.value)):
                    break
            path = _path_of(ctx, call.arg(kw, pos))
            _record(f.produced, path, Evidence(suffix, cell, line))
            ext = {"numpy.save": ".npy", "numpy.savez": ".npz", "numpy.savez_compressed": ".npz"}.get(suffix)
            if path and ext and not path.endswith(ext):  # numpy adds the extension
                _record(f.produced, path + ext, Evidence(suffix, cell, line))
            return
    for suffix, pos, kw in _FETCHERS_BY_NAME.get(last, ()):
        if _suffix(q, suffix):
            dest = _path_of(ctx, call.arg(kw, pos))
            _record(f.fetched, dest, Evidence(suffix, cell, line))
            if suffix in _FETCH_SOURCES:
                what = job_output(ctx, call.arg(_FETCH_SOURCES[suffix][1], _FETCH_SOURCES[suffix][0]))
                if what:
                    _record(f.job_outputs, dest, Evidence(f"{suffix} of {what}", cell, line))
            break
    if isinstance(node.func, ast.Attribute):
        if attr in _PRODUCER_ATTRS:
            pos, kw = _PRODUCER_ATTRS[attr]
            _record(f.produced, _path_of(ctx, call.arg(kw, pos)), Evidence(f".{attr}()", cell, line))
        elif attr == "mkdir" and isinstance(node.func.value, ast.Call):  # Path("x").mkdir()
            _record(f.produced, _path_of(ctx, node.func.value), Evidence("Path.mkdir()", cell, line))
        elif attr == "extractall":
            _record(f.fetched, _str_at(call, 0, "path"), Evidence(".extractall()", cell, line))
    # only a keyword of that name, or a **dict that may hold one, can name such a folder
    if any(k.arg is None or k.arg in _DIR_KEYWORDS for k in node.keywords):
        for kw, table in _DIR_KEYWORDS.items():
            v = _str_at(call, None, kw)
            if v:
                _record(f.produced if table == "produced" else f.fetched, v, Evidence(f"{kw}=", cell, line))

    # environment
    if not q.startswith("os."):
        return
    if q in ("os.environ.setdefault", "os.putenv"):
        k, v = _str_at(call, 0, None), call.value(None, 1)
        if k and v is not None and not v.partial:
            if q == "os.putenv" or k not in f.env:
                f.env[k] = (str(v.value), Evidence(q, cell, line))
    elif q == "os.environ.update":
        items: dict = {}
        d = call.value(None, 0)
        if d is not None and isinstance(d.value, dict):
            items.update({k: e.value for k, e in d.value.items()})
        for k in node.keywords:
            if k.arg:
                items[k.arg] = ctx.scope.value(k.value)
        for k, v in items.items():
            if isinstance(k, str) and v is not None and not v.partial:
                f.env[k] = (str(v.value), Evidence("os.environ.update", cell, line))
    elif q in ("os.environ.pop", "os.unsetenv"):
        k = _str_at(call, 0, None)
        if k:
            f.env.pop(k, None)


def observe_assign(node: ast.AST, ctx: "CellContext") -> None:
    """``os.environ["K"] = "v"`` (and ``del os.environ["K"]``)."""
    f = facts(ctx)
    cell = ctx.cell.index if ctx.cell is not None else -1
    if isinstance(node, ast.Assign):
        for t in node.targets:
            key = _environ_key(t, ctx)
            if key is not None:
                v = ctx.scope.value(node.value)
                if v is not None and not v.partial:
                    f.env[key] = (str(v.value), Evidence("os.environ", cell, node.lineno))
    elif isinstance(node, ast.Delete):
        for t in node.targets:
            key = _environ_key(t, ctx)
            if key is not None:
                f.env.pop(key, None)


def _environ_key(target: ast.expr, ctx: "CellContext") -> str | None:
    if isinstance(target, ast.Subscript) and ctx.scope.qualname(target.value) == "os.environ":
        k = ctx.scope.str_value(target.slice)
        return k.value if k is not None and not k.partial else None
    return None


def parse_env_magic(magic: "LineMagic") -> tuple[str, str] | None:
    """``%env K=V`` / ``%env K V`` / ``%set_env K V`` -> (K, V)."""
    if magic.name not in ("env", "set_env"):
        return None
    args = magic.args.strip()
    m = re.match(r"([A-Za-z_]\w*)\s*=\s*(.*)$", args) or re.match(r"([A-Za-z_]\w*)\s+(\S.*)$", args)
    if not m:
        return None
    return m.group(1), m.group(2).strip().strip("\"'")


def observe_magic(magic: "LineMagic", ctx: "CellContext") -> None:
    kv = parse_env_magic(magic)
    if kv:
        cell = ctx.cell.index if ctx.cell is not None else -1
        facts(ctx).env[kv[0]] = (kv[1], Evidence(f"%{magic.name}", cell, magic.line))


@lru_cache(maxsize=512)
def shell_programs(text: str) -> tuple[tuple[str, tuple[str, ...], object], ...]:
    """(program, argument texts, SimpleCommand) of every command in a shell line, past
    ``sudo``/``env``/``A=1`` prefixes (parsed by :mod:`nbguard.rules._shell`). A command
    made only of assignments (``OUT=dir``) has program ``"="`` and the assignments as args."""
    from . import _shell

    out: list[tuple[str, tuple[str, ...], object]] = []
    for c in _shell.all_commands(text):
        inv = _shell.resolve(c)
        if inv is None:
            if c.words and all(_shell.ASSIGN.match(w.text) for w in c.words):
                out.append(("=", tuple(w.text for w in c.words), c))
            continue
        out.append((inv.program, tuple(w.text for w in inv.args), c))
    return tuple(out)


def _url_basename(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def option_value(words: list[str], *names: str) -> str | None:
    """The value of ``-O x`` / ``-Ox`` / ``--output x`` / ``--output=x`` in a word list."""
    for i, w in enumerate(words):
        for n in names:
            if w == n and i + 1 < len(words):
                return words[i + 1]
            if n.startswith("--") and w.startswith(n + "="):
                return w[len(n) + 1:]
            if not n.startswith("--") and w.startswith(n) and len(w) > len(n):
                return w[len(n):]
    return None


_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")
_OUTPUT_OPTS = ("--output_dir", "--output-dir", "--save_dir", "--save-dir", "--out_dir", "--outdir")


def observe_shell(cmd: "ShellCommand", ctx: "CellContext") -> None:
    """Folders and files that shell lines create or download (``mkdir``, ``git clone``,
    ``wget -O``, ``curl -o``, ``unzip -d``, ``tar -C``, ``--output_dir``...), and
    ``export NAME=value`` so later ``$NAME`` words can be read."""
    f = facts(ctx)
    cell = ctx.cell.index if ctx.cell is not None else -1
    for prog, argv, _ in shell_programs(cmd.text):
        words = list(argv)
        if prog in ("=", "export", "declare", "local"):
            from ._shell import ASSIGN  # (imported when used, as in shell_programs)

            for w in words:
                if ASSIGN.match(w):
                    name, _, value = w.partition("=")
                    f.shell_vars[name] = value
            continue
        if f.shell_vars:
            words = [_SHELL_VAR.sub(lambda m: f.shell_vars.get(m.group(1), m.group(0)), w) for w in words]
        args = [w for w in words if not w.startswith("-")]
        ev = Evidence(f"!{prog}", cell, cmd.line)
        out_dir = option_value(words, *_OUTPUT_OPTS)
        if out_dir and "$" not in out_dir:
            _record(f.produced, out_dir, Evidence(f"{prog} {_OUTPUT_OPTS[0]}", cell, cmd.line))
        if prog == "mkdir":
            for a in args:
                _record(f.produced, a, ev)
        elif prog == "git" and "clone" in words:
            rest = [w for w in words[words.index("clone") + 1:] if not w.startswith("-")]
            if rest:
                _record(f.fetched, rest[1] if len(rest) > 1 else _url_basename(rest[0]).removesuffix(".git"), ev)
        elif prog == "wget":
            out = option_value(words, "-O", "--output-document")
            pdir = option_value(words, "-P", "--directory-prefix")
            if out and out != "-":
                _record(f.fetched, out, ev)
            else:
                for u in (a for a in args if "://" in a):
                    name = _url_basename(u)
                    _record(f.fetched, posixpath.join(pdir, name) if pdir else name, ev)
        elif prog == "curl":
            out = option_value(words, "-o", "--output")
            if out and out != "-":
                _record(f.fetched, out, ev)
            elif "-O" in words or "--remote-name" in words:
                for u in (a for a in args if "://" in a):
                    _record(f.fetched, _url_basename(u), ev)
        elif prog in ("gdown", "aria2c"):
            out = option_value(words, "-O", "--output", "-o", "--out")
            if out:
                _record(f.fetched, out, ev)
        elif prog == "unzip":
            d = option_value(words, "-d")
            if d:
                _record(f.fetched, d, ev)
        elif prog == "tar":
            d = option_value(words, "-C", "--directory")
            if d:
                _record(f.fetched, d, ev)
        elif prog in ("huggingface-cli", "hf") and "download" in words:
            d = option_value(words, "--local-dir")
            if d:
                _record(f.fetched, d, ev)
        elif prog in ("cp", "mv", "rsync") and len(args) >= 2:
            _record(f.fetched, args[-1], ev)
        elif prog in ("aws", "gsutil", "gcloud") and "cp" in args and len(args) >= args.index("cp") + 3:
            _cloud_copy(ctx, f, prog, args[args.index("cp") + 1:], cmd.line)


def _cloud_copy(ctx: "CellContext", f: PathFacts, prog: str, args: list[str], line: int) -> None:
    """``!aws s3 cp SRC DST`` / ``!gsutil cp SRC DST``: DST is fetched, and a job output when
    SRC is ``$name`` (IPython's expansion) of a Python name bound to one (:func:`job_output`)."""
    cell = ctx.cell.index if ctx.cell is not None else -1
    src, dest = args[0], args[-1]
    ev = Evidence(f"!{prog} cp", cell, line)
    m = _SHELL_VAR.fullmatch(src)
    what = None
    if m is not None:
        bound = ctx.scope.bound_expr(m.group(1))
        what = job_output(ctx, bound[0]) if bound is not None else None
    name = _url_basename(src) if m is None else _MODEL_ARCHIVE if what else ""
    if dest in (".", "./") or dest.endswith("/"):
        dest = posixpath.join(dest, name) if name else ""
    _record(f.fetched, dest, ev)
    if what:
        _record(f.job_outputs, dest, Evidence(f"!{prog} cp of {what}", cell, line))


# -- where loaded bytes come from (unsafe-deserialization rules) -----------------------

REMOTE_SCHEMES = ("http://", "https://", "ftp://")
CLOUD_SCHEMES = ("s3://", "gs://", "gcs://", "az://", "abfs://", "hf://")
# Calls whose result is bytes or a stream fetched over the network.
_FETCH_CALLS = ("requests.get", "requests.request", "requests.post", "requests.Session().get", "httpx.get",
                "urllib.request.urlopen", "urllib2.urlopen", "urllib.urlopen")


@dataclass(frozen=True)
class Provenance:
    kind: str  # "remote" | "cloud" | "self" | "fresh" | "job" | "unknown"
    text: str  # for a message: " from remote URL 'http://...'", " ('m.pkl' was written by this notebook: ...)"

    @property
    def own(self) -> bool:
        """The bytes are the notebook's own output with nothing between the write and the
        read: written earlier in the same cell (``"fresh"``), or a job's own artefact
        (``"job"``). The deserialization rules do not report such loads."""
        return self.kind in ("fresh", "job")


# SageMaker names a training job's model artefact model.tar.gz, whatever the job wrote into it
_MODEL_ARCHIVE = "model.tar.gz"
# attribute and key names under which a job's own output is handed back to the notebook
_JOB_OUTPUT_NAMES = frozenset({"model_data", "S3ModelArtifacts"})
# callee names whose result (or its .info.run_id, .model_uri) is the notebook's own MLflow run
_OWN_RUN_CALLS = ("start_run()", "active_run()", "last_active_run()", "log_model()")


def job_output(ctx: "CellContext", expr: ast.expr | None, depth: int = 0) -> str | None:
    """``expr`` is an artefact the notebook's own job produced: a SageMaker estimator's or
    model's ``.model_data``, a pipeline step's ``...ModelArtifacts.S3ModelArtifacts``, or
    ``describe_training_job(...)["ModelArtifacts"]["S3ModelArtifacts"]`` -- through names
    bound to them. Returns the name it was recognised by, for a message."""
    if expr is None or depth > 3:
        return None
    if isinstance(expr, ast.Attribute) and expr.attr in _JOB_OUTPUT_NAMES:
        return f".{expr.attr}"
    if isinstance(expr, ast.Subscript):
        key = ctx.scope.str_value(expr.slice)
        if key is not None and not key.partial and key.value in _JOB_OUTPUT_NAMES:
            return f"[{key.value!r}]"
    if isinstance(expr, ast.Name):
        bound = ctx.scope.bound_expr(expr.id)
        if bound is not None:
            return job_output(ctx, bound[0], depth + 1)
    return None


def _own_run_ref(ctx: "CellContext", expr: ast.expr) -> bool:
    q = ctx.scope.qualname(expr) or ""
    return any(c in q for c in _OWN_RUN_CALLS)


def _own_mlflow_artifact(ctx: "CellContext", expr: ast.expr) -> str | None:
    """An MLflow model URI of the notebook's own run: ``f"runs:/{run.info.run_id}/model"``
    with ``run`` from ``mlflow.start_run()``, ``"runs:/{}/m".format(run_id)``, or
    ``model_info.model_uri`` with ``model_info = mlflow.sklearn.log_model(...)``."""
    e = expr
    if isinstance(e, ast.Name):
        bound = ctx.scope.bound_expr(e.id)
        if bound is None:
            return None
        e = bound[0]
    if isinstance(e, ast.Attribute) and e.attr == "model_uri" and _own_run_ref(ctx, e):
        return "the model_uri of a model it logged"
    head, refs = None, []
    if isinstance(e, ast.JoinedStr) and e.values and isinstance(e.values[0], ast.Constant):
        head = e.values[0].value
        refs = [v.value for v in e.values[1:] if isinstance(v, ast.FormattedValue)]
    elif (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "format"
          and isinstance(e.func.value, ast.Constant)):
        head, refs = e.func.value.value, list(e.args)
    if isinstance(head, str) and head.startswith("runs:/") and refs and _own_run_ref(ctx, refs[0]):
        return "an artefact of its own MLflow run"
    return None


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def in_job_script(ctx: "CellContext") -> bool:
    """The code is a Python file the notebook writes (``%%writefile train.py``): a training,
    evaluation or serving entry point that a job runs, not the kernel. A module the kernel
    imports counts too: on the corpus the one such module with a load was a Vertex AI
    predictor, imported only to be handed to ``LocalModel.build_cpr_model``, whose loads run
    in the serving container (tests/review, 2026-12-07)."""
    return ctx.code is not None and ctx.code.cell_magic == "writefile"


def provenance(ctx: "CellContext", expr: ast.expr | None) -> Provenance:
    """Is a file argument a URL, bytes fetched over the network, or a file this
    notebook's own code wrote earlier? In a job script (:func:`in_job_script`) a local file
    that is neither fetched nor remote is ``"job"``: what it holds is decided by the job's
    inputs (SageMaker's ``/opt/ml/``, Vertex's ``artifacts_uri``, an Azure ML component's
    input), which in the common case are its own pipeline's artefacts."""
    prov = _provenance(ctx, expr)
    if prov.kind == "unknown" and expr is not None:
        own = _own_mlflow_artifact(ctx, expr)
        if own:
            return Provenance("job", f" ({own})")
    if prov.kind in ("self", "unknown") and in_job_script(ctx):
        v = file_path(ctx, expr)
        if v is None or v.partial or fetched_before(ctx, v.value) is None:  # not a download of the script's
            return Provenance("job", "")
    return prov


def _provenance(ctx: "CellContext", expr: ast.expr | None) -> Provenance:
    if expr is None:
        return Provenance("unknown", "")
    for node in ast.walk(expr):  # pickle.loads(requests.get(url).content), pickle.load(urlopen(url))
        if isinstance(node, ast.Call):
            q = ctx.scope.qualname(node.func) or ""
            if any(q == c or q.endswith("." + c) for c in _FETCH_CALLS):
                return Provenance("remote", " from data fetched over the network")
    v = file_path(ctx, expr)
    if v is None or not isinstance(v.value, str):
        return Provenance("unknown", "")
    path = v.value
    low = path.lower()
    if low.startswith(REMOTE_SCHEMES):
        return Provenance("remote", f" from remote URL '{_short(path, 80)}{'…' if v.partial else ''}'")
    if low.startswith(CLOUD_SCHEMES):
        return Provenance("cloud", f" from cloud storage '{_short(path, 80)}'")
    if v.partial:
        return Provenance("unknown", "")
    return path_provenance(ctx, path, getattr(expr, "lineno", 0))


def path_provenance(ctx: "CellContext", path: str, line: int) -> Provenance:
    """Where a local file read at ``line`` of this cell comes from, by its known path: the
    notebook's own job (``"job"``), a write earlier in this cell that always runs (``"fresh"``),
    an earlier write elsewhere in the notebook (``"self"``), or nothing known (``"unknown"``)."""
    ev = _lookup(facts(ctx).job_outputs, path)
    if ev is not None:
        return Provenance("job", f" ('{_short(path, 60)}' is the notebook's own job output: {ev.describe()})")
    ev = _produced_content(ctx, path)
    if ev is not None:
        written = written_in_cell_before(ctx, path, line)
        if written is not None:
            return Provenance("fresh", f" ('{_short(path, 60)}' was written on line {written} of this cell)")
        return Provenance("self", f" ('{_short(path, 60)}' was written by this notebook: {ev.describe()})")
    return Provenance("unknown", "")


def _straight_line(body: list[ast.stmt]):
    """The statements of a cell that run whenever the cell does: top level, and the headers and
    bodies of ``with`` blocks (not branches, loops, handlers or definitions)."""
    for stmt in body:
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from (item.context_expr for item in stmt.items)
            yield from _straight_line(stmt.body)
        elif not isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.FunctionDef,
                                   ast.AsyncFunctionDef, ast.ClassDef, ast.Match)):
            yield stmt


def _written_path(ctx: "CellContext", node: ast.Call) -> str | None:
    """The file a producer call writes (``torch.save(sd, "m.pth")`` -> ``m.pth``), if any."""
    from ..analysis import CallSite

    call = CallSite(node, ctx.scope)
    q = canon(call.qualname)
    for suffix, pos, kw in _PRODUCERS_BY_NAME.get(q.rpartition(".")[2], ()):
        if _suffix(q, suffix) and suffix not in ("os.makedirs", "os.mkdir", "tarfile.open"):
            return _path_of(ctx, call.arg(kw, pos))
    if isinstance(node.func, ast.Attribute) and call.attr in _PRODUCER_ATTRS:
        pos, kw = _PRODUCER_ATTRS[call.attr]
        return _path_of(ctx, call.arg(kw, pos))
    return None


def written_in_cell_before(ctx: "CellContext", path: str, line: int) -> int | None:
    """The line of a write of ``path`` that runs unconditionally earlier in the same cell
    (``torch.save(sd, "m.pth")`` two lines above ``torch.load("m.pth")``): what the load reads
    is what the cell just wrote. None when there is none."""
    tree = ctx.code.tree if ctx.code is not None else None
    p = normalize(path)
    if tree is None or not p:
        return None
    found = None
    for part in _straight_line(tree.body):
        if part.lineno >= line:
            break
        for node in ast.walk(part):
            if isinstance(node, ast.Call) and node.lineno < line:
                w = _written_path(ctx, node)
                if w is not None and normalize(w) == p:
                    found = node.lineno
    return found


_MAKES_EMPTY_DIR = frozenset({"os.makedirs", "os.mkdir", "Path.mkdir()", "!mkdir"})


def _produced_content(ctx: "CellContext", path: str) -> Evidence | None:
    """Evidence that the notebook wrote the *content* at ``path``: the file itself, or a
    folder a producer filled (``save_pretrained``, ``output_dir=``), not one it only
    created with ``mkdir`` and not one a download went into."""
    f = facts(ctx)
    p = normalize(path)
    if p in f.produced:
        return f.produced[p]
    if p in f.fetched:
        return None
    ev = _lookup(f.produced, p)
    if ev is None or ev.how in _MAKES_EMPTY_DIR:
        return None
    fetched = _lookup(f.fetched, p)
    return None if fetched is not None else ev
