"""Reading notebooks: nbformat JSON in, a flat list of :class:`Cell` out.

The loader never executes anything and never validates against the full
nbformat JSON schema (too slow for a linter, and real notebooks often fail it);
it checks the shape it needs and upgrades v1-v3 notebooks with nbformat.

It also keeps what is needed to map a finding back to the raw ``.ipynb`` file:
every text the rules see carries the JSON path of the field it came from, and
:meth:`Notebook.raw_line` turns (path, line in text) into a line of the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

JSONPath = tuple  # ("cells", 3, "source") and the like


class NotebookError(Exception):
    """A notebook that cannot be read. The message is one line, without the path."""


@dataclass
class Output:
    index: int
    output_type: str
    texts: list["Text"]


@dataclass
class Text:
    """A text the rules scan, with where it sits in the notebook and in the JSON."""

    kind: str  # "code" "markdown" "raw" | "stream" "text/plain" "text/html" ... "error" | "metadata"
    text: str
    json_path: JSONPath
    is_list: bool  # the JSON field was a list of strings (one element per line, as nbformat writes)
    label: str = ""  # metadata: dotted key ("papermill.parameters.api_key"); outputs: mime type


@dataclass
class Cell:
    index: int
    id: str | None
    cell_type: str
    source: str
    json_path: JSONPath
    source_is_list: bool
    metadata: dict
    tags: tuple[str, ...]
    execution_count: int | None = None
    outputs: list[Output] = field(default_factory=list)
    metadata_texts: list[Text] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.source.split("\n")


@dataclass
class Notebook:
    path: str
    cells: list[Cell]
    metadata: dict
    nbformat: int
    language: str
    metadata_texts: list[Text]
    raw: str | None = None
    _line_index: dict | None = field(default=None, repr=False)
    _indexed: set | None = field(default=None, repr=False)  # paths already looked up in raw

    def prepare_raw_lines(self, requests: list[tuple[JSONPath, bool, int]]) -> None:
        """Locate the JSON paths that ``raw_line`` calls with these arguments will need, in one pass."""
        if self.raw is None:
            return
        if self._line_index is None:
            self._line_index, self._indexed = {}, set()
        wanted = set()
        for json_path, is_list, line in requests:
            wanted.add(json_path)
            if is_list:
                wanted.add(json_path + (line - 1,))
        wanted -= self._indexed
        if wanted:
            _locate_json_paths(self.raw, wanted, self._line_index)
            self._indexed |= wanted

    def raw_line(self, json_path: JSONPath, is_list: bool, line: int) -> int | None:
        """Line (1-based) of the raw file that holds ``line`` of the text at ``json_path``."""
        if self.raw is None:
            return None
        self.prepare_raw_lines([(json_path, is_list, line)])
        index = self._line_index
        assert index is not None
        if is_list:
            # nbformat writes one list element per line of text: element k holds line k+1,
            # unless some element has no trailing newline (rare); count to be exact.
            path_k = json_path + (line - 1,)
            if path_k in index:
                return index[path_k]
        while json_path:
            if json_path in index:
                return index[json_path]
            json_path = json_path[:-1]
        return None


# ---------------------------------------------------------------------------
# Loading


def read_notebook(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Notebook:
    return parse_notebook(read_bytes(path, max_bytes), path)


def read_bytes(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A notebook file's bytes, or NotebookError worded for the report (missing, too large, unreadable)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NotebookError("no such file") from None
    except PermissionError:
        raise NotebookError("permission denied") from None
    except OSError as e:
        raise NotebookError(f"cannot read file ({e.strerror or e})") from None
    if st.st_size > max_bytes:
        raise NotebookError(
            f"file is {st.st_size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (max-file-size)")
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise NotebookError("is a directory") from None
    except PermissionError:
        raise NotebookError("permission denied") from None
    except OSError as e:
        raise NotebookError(f"cannot read file ({e.strerror or e})") from None
    return data


def parse_notebook(data: bytes | str, path: str = "<notebook>") -> Notebook:
    if isinstance(data, bytes):
        if not data.strip():
            raise NotebookError("file is empty")
        if b"\x00" in data[:8192]:
            raise NotebookError("not a notebook: binary data")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise NotebookError(f"not UTF-8 text (invalid byte at offset {e.start})") from None
    else:
        text = data
        if not text.strip():
            raise NotebookError("file is empty")
    try:
        obj = json.loads(text)
    except RecursionError:
        raise NotebookError("not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as e:
        raise NotebookError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    return notebook_from_dict(obj, path, raw=text)


def notebook_from_dict(obj: Any, path: str = "<notebook>", raw: str | None = None) -> Notebook:
    if not isinstance(obj, dict):
        raise NotebookError(f"not a notebook: top-level JSON is {_json_type(obj)}, not an object")
    major = obj.get("nbformat")
    if "cells" not in obj and "worksheets" not in obj:
        raise NotebookError("not a notebook: no 'cells' in the JSON")
    if major is None:
        major = 4 if "cells" in obj else 3
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotebookError(f"not a notebook: 'nbformat' is {major!r}")
    if major > 4:
        raise NotebookError(f"unsupported nbformat version {major}")
    cell_paths: list[JSONPath]
    originals = None
    if major < 4:
        worksheets = obj.get("worksheets")
        originals = [c for ws in (worksheets if isinstance(worksheets, list) else []) if isinstance(ws, dict)
                     for c in (ws.get("cells") if isinstance(ws.get("cells"), list) else [])]
        obj, cell_paths = _upgrade(obj, major)
    else:
        cells = obj.get("cells")
        if not isinstance(cells, list):
            raise NotebookError(f"not a notebook: 'cells' is {_json_type(cells)}, not a list")
        cell_paths = [("cells", i) for i in range(len(cells))]
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    cells_out = [
        _read_cell(i, c, cell_paths[i], major) for i, c in enumerate(obj["cells"])
    ]
    if major < 4 and originals is not None:
        for cell, orig in zip(cells_out, originals):  # positions refer to the file as written
            key = cell.json_path[-1]
            cell.source_is_list = isinstance(orig, dict) and isinstance(orig.get(key), list)
    return Notebook(
        path=path,
        cells=cells_out,
        metadata=metadata,
        nbformat=major,
        language=_language(metadata),
        metadata_texts=list(_metadata_texts(metadata, ("metadata",), "")),
        raw=raw,
    )


def _upgrade(obj: dict, major: int) -> tuple[dict, list[JSONPath]]:
    """Upgrade a v1-v3 notebook with nbformat, remembering where each cell was."""
    import nbformat  # only old notebooks pay for the import

    paths: list[JSONPath] = []
    worksheets = obj.get("worksheets") if major == 3 else None
    if isinstance(worksheets, list):
        for w, ws in enumerate(worksheets):
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list):
                paths.extend(("worksheets", w, "cells", j) for j in range(len(ws["cells"])))
    try:
        from nbformat import v3, v4

        from nbformat.v3.rwbase import rejoin_lines

        node = rejoin_lines(nbformat.from_dict(obj)) if major == 3 else nbformat.from_dict(obj)
        if major < 3:
            node = v3.upgrade(node, from_version=major, from_minor=obj.get("nbformat_minor", 0))
        upgraded = v4.upgrade(node, from_version=3, from_minor=node.get("nbformat_minor", 0))
    except Exception as e:  # nbformat raises many kinds on broken old files
        raise NotebookError(f"cannot upgrade nbformat {major} notebook: {type(e).__name__}") from None
    cells = upgraded.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"cannot upgrade nbformat {major} notebook: no cells")
    if len(paths) != len(cells):
        paths = [("cells", i) for i in range(len(cells))]
    return upgraded, paths


def _read_cell(index: int, c: Any, json_path: JSONPath, major: int) -> Cell:
    if not isinstance(c, dict):
        return Cell(index, None, "unknown", "", json_path, False, {}, ())
    cell_type = c.get("cell_type") if isinstance(c.get("cell_type"), str) else "unknown"
    src_key = "source"
    if major == 3 and cell_type == "code":
        src_key = "input"
    source, is_list = _join_text(c.get("source"))
    metadata = c.get("metadata") if isinstance(c.get("metadata"), dict) else {}
    tags = metadata.get("tags")
    tags = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
    cid = c.get("id") if isinstance(c.get("id"), str) else None
    ec = c.get("execution_count")
    cell = Cell(
        index=index,
        id=cid,
        cell_type=cell_type,
        source=source,
        json_path=json_path + (src_key,),
        source_is_list=is_list,
        metadata=metadata,
        tags=tags,
        execution_count=ec if isinstance(ec, int) and not isinstance(ec, bool) else None,
    )
    outputs = c.get("outputs")
    if cell_type == "code" and isinstance(outputs, list):
        for k, out in enumerate(outputs):
            if isinstance(out, dict):
                opath = json_path + ("outputs", k)
                cell.outputs.append(Output(k, str(out.get("output_type", "")), list(_output_texts(out, opath))))
    if metadata:
        cell.metadata_texts = list(_metadata_texts(metadata, json_path + ("metadata",), ""))
    return cell


def _join_text(value: Any) -> tuple[str, bool]:
    if isinstance(value, str):
        return value, False
    if isinstance(value, list):
        try:
            return "".join(value), True
        except TypeError:  # a non-string element: keep the strings
            return "".join(v for v in value if isinstance(v, str)), True
    return "", False


# Output MIME types whose payload is text worth scanning. Images, PDFs, widget
# views and other binary payloads are skipped before any regex runs.
TEXT_MIME = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json",
             "application/javascript", "text/x-python")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def _output_texts(out: dict, opath: JSONPath) -> Iterator[Text]:
    otype = out.get("output_type")
    if otype == "stream":
        text, is_list = _join_text(out.get("text"))
        if text:
            yield Text("stream", strip_ansi(text), opath + ("text",), is_list, str(out.get("name", "stdout")))
    elif otype == "error":
        evalue = out.get("evalue")
        if isinstance(evalue, str) and evalue:
            yield Text("error", strip_ansi(evalue), opath + ("evalue",), False, "evalue")
        tb = out.get("traceback")
        if isinstance(tb, list):
            for j, frame in enumerate(tb):
                if isinstance(frame, str) and frame:
                    yield Text("error", strip_ansi(frame), opath + ("traceback", j), False, "traceback")
    data = out.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if mime not in TEXT_MIME and not (isinstance(mime, str) and mime.endswith("+json")
                                              and "widget" not in mime):
                continue
            if isinstance(value, (dict, list)) and mime.endswith("json"):
                text, is_list = json.dumps(value, ensure_ascii=False, indent=1), False
            else:
                text, is_list = _join_text(value)
            if text:
                yield Text(mime, strip_ansi(text), opath + ("data", mime), is_list, mime)


def _metadata_texts(meta: Any, path: JSONPath, label: str, depth: int = 0) -> Iterator[Text]:
    """Every string value in a metadata tree, with its dotted key path as label."""
    if depth > 32:
        return
    if isinstance(meta, dict):
        for k, v in meta.items():
            if not isinstance(k, str):
                continue
            sub = f"{label}.{k}" if label else k
            if isinstance(v, str):
                if v:
                    yield Text("metadata", v, path + (k,), False, sub)
            elif isinstance(v, (dict, list)):
                yield from _metadata_texts(v, path + (k,), sub, depth + 1)
    elif isinstance(meta, list):
        for j, v in enumerate(meta):
            if isinstance(v, str):
                if v:
                    yield Text("metadata", v, path + (j,), False, f"{label}[{j}]")
            elif isinstance(v, (dict, list)):
                yield from _metadata_texts(v, path + (j,), f"{label}[{j}]", depth + 1)


def _language(metadata: dict) -> str:
    for key, sub in (("language_info", "name"), ("kernelspec", "language")):
        d = metadata.get(key)
        if isinstance(d, dict) and isinstance(d.get(sub), str) and d[sub]:
            return d[sub].lower()
    return "python"


def _json_type(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null", int: "a number", float: "a number"}.get(type(v), type(v).__name__)


# ---------------------------------------------------------------------------
# Raw-file line index: JSON path -> line of the file where its value starts

_WS = re.compile(r"[ \t\n\r]*")
_scan_value = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner: skips a whole value
_scan_string = json.decoder.scanstring


def _locate_json_paths(raw: str, wanted: set[JSONPath], index: dict[JSONPath, int]) -> None:
    """Add to ``index`` the line of every prefix of a ``wanted`` path that exists in ``raw``.

    One forward pass that descends only into the objects and arrays on a wanted path and
    skips everything else with json's C scanner, so locating a few cells' lines costs far
    less than tokenizing the whole file. Same lines as :func:`_index_json_lines` (which
    indexes everything): the first token of each value, first occurrence of a key."""
    trie: dict = {}
    for path in wanted:
        node = trie
        for key in path:
            node = node.setdefault(key, {})
    counter = [0, 1]  # (offset, line at offset): lines are counted forwards only

    def line_at(pos: int) -> int:
        off, line = counter
        line += raw.count("\n", off, pos)
        counter[0], counter[1] = pos, line
        return line

    def value(pos: int, path: JSONPath, sub: dict) -> int:
        """Record the value at ``pos`` (no leading whitespace); return the offset after it."""
        index.setdefault(path, line_at(pos))
        c = raw[pos]
        if not sub or c not in "{[":
            return _scan_value(raw, pos)[1]
        pos = _WS.match(raw, pos + 1).end()
        if c == "{":
            if raw[pos] == "}":
                return pos + 1
            while True:
                key, pos = _scan_string(raw, pos + 1)  # raw[pos] is the key's opening quote
                pos = _WS.match(raw, pos).end() + 1  # past ':'
                pos = _WS.match(raw, pos).end()
                child = sub.get(key)
                pos = value(pos, path + (key,), child) if child is not None else _scan_value(raw, pos)[1]
                pos = _WS.match(raw, pos).end()
                if raw[pos] == "}":
                    return pos + 1
                pos = _WS.match(raw, pos + 1).end()  # past ','
        if raw[pos] == "]":
            return pos + 1
        i = 0
        while True:
            child = sub.get(i)
            pos = value(pos, path + (i,), child) if child is not None else _scan_value(raw, pos)[1]
            pos = _WS.match(raw, pos).end()
            if raw[pos] == "]":
                return pos + 1
            pos = _WS.match(raw, pos + 1).end()
            i += 1

    try:
        value(_WS.match(raw).end(), (), trie)
    except (StopIteration, IndexError, ValueError, RecursionError):
        # not the JSON that parsed (cannot happen for a file we read): fall back to the full index
        for k, v in _index_json_lines(raw).items():
            index.setdefault(k, v)
    finally:
        # ``value`` refers to itself: without this the cycle keeps the whole raw file alive
        # until the cyclic collector runs (which batch runs make rare).
        value = None  # noqa: F841


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def _index_json_lines(raw: str) -> dict[JSONPath, int]:
    index: dict[JSONPath, int] = {}
    # stack entries: [path, is_object, key_or_index, expecting_key]
    stack: list[list] = []
    line = 1
    last = 0
    pending_key: Any = None
    for m in _JSON_TOKEN.finditer(raw):
        start = m.start()
        line += raw.count("\n", last, start)
        last = start
        tok = m.group()
        c = tok[0]
        if c in ",:":
            if c == "," and stack and not stack[-1][1]:
                stack[-1][2] += 1
            continue
        if c in "}]":
            if stack:
                stack.pop()
            continue
        # a value or a key
        if stack and stack[-1][1] and stack[-1][3]:
            # object key
            try:
                pending_key = json.loads(tok) if c == '"' else tok
            except ValueError:
                pending_key = tok
            stack[-1][2] = pending_key
            stack[-1][3] = False
            continue
        if stack:
            top = stack[-1]
            vpath = top[0] + (top[2],)
            if top[1]:
                top[3] = True  # next string in this object is a key
        else:
            vpath = ()
        index.setdefault(vpath, line)
        if c == "{":
            stack.append([vpath, True, None, True])
        elif c == "[":
            stack.append([vpath, False, 0, False])
    return index
