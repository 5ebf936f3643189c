"""The language server: a thin front-end over :mod:`nbguard.api`, on pygls.

What it lints, and how each becomes the nbformat JSON that ``api.lint_notebook`` takes (the editor
path: a relint after an edit redoes only what the edit can affect, cross-cell values included):

* **notebook documents** (``notebookDocument/didOpen|didChange|didSave|didClose``): the cells' text
  documents in notebook order, code or markdown by their kind. LSP's notebook model has no
  outputs, so the outputs (and the cells' and notebook's metadata) of the *saved* file are read
  when the notebook is opened and each time it is saved, and linted with the cells they belong to;
* **``.py`` text documents**: a plain script is one cell; ``# %%`` marks py:percent cells
  (``api.notebook_from_script``);
* **``.ipynb`` text documents** (an editor showing the JSON): ``api.lint_notebook_text``, each
  finding placed on the line of the JSON that holds it.

Diagnostics are *pushed* (``textDocument/publishDiagnostics``, debounced, only for documents whose
diagnostics changed) to clients that cannot pull, and *pulled* (``textDocument/diagnostic``, with
result ids, and ``workspace/diagnostic/refresh`` when an edit changed another cell's diagnostics)
by those that can. Positions are converted from nbguard's 1-based character columns to LSP's
0-based positions in the negotiated encoding (UTF-16 code units unless the client offers others).

Never a secret whole: messages come masked from the engine, and the server writes no document
text anywhere; pygls' own logging is silenced (its error logs quote a message's params), and
internal errors are reported by exception type only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as T
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from .. import api
from .._version import __version__
from ..api import Config, ConfigError
from ..model import Finding, Severity

SEVERITY = {Severity.LOW: T.DiagnosticSeverity.Information, Severity.MEDIUM: T.DiagnosticSeverity.Warning,
            Severity.HIGH: T.DiagnosticSeverity.Error, Severity.CRITICAL: T.DiagnosticSeverity.Error}
DEFAULT_DEBOUNCE = 0.15  # seconds between the last edit and the relint that pushes diagnostics
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
_LOCAL_DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"  # a source checkout's docs/rules


# -- settings (initializationOptions, workspace/didChangeConfiguration) ---------------------------

@dataclass
class Settings:
    select: list[str] | None = None
    ignore: list[str] | None = None
    min_severity: str | None = None
    debounce: float = DEFAULT_DEBOUNCE
    docs_url: str | None = None  # "https://host/docs/rules/{code}.md"

    @classmethod
    def parse(cls, options: Any) -> tuple[Settings, list[str]]:
        """Settings from the client's options (camelCase or kebab-case keys, optionally under
        ``nbguard``), and one message per value that was ignored."""
        out, problems = cls(), []
        if isinstance(options, dict) and isinstance(options.get("nbguard"), dict):
            options = options["nbguard"]
        if options is None:
            return out, problems
        if not isinstance(options, dict):
            return out, ["nbguard: initializationOptions must be an object; ignored"]

        def get(*names: str) -> Any:
            return next((options[n] for n in names if n in options), None)

        for attr, names in (("select", ("select",)), ("ignore", ("ignore",))):
            v = get(*names)
            if isinstance(v, str):
                v = [x.strip() for x in v.split(",") if x.strip()]
            if v is not None and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                problems.append(f"nbguard: '{names[0]}' must be a list of rule codes or categories; ignored")
                v = None
            setattr(out, attr, v)
        sev = get("minSeverity", "min-severity", "min_severity")
        if sev is not None:
            if isinstance(sev, str) and sev.strip().lower() in {s.label for s in Severity}:
                out.min_severity = sev.strip().lower()
            else:
                problems.append("nbguard: 'minSeverity' must be low, medium, high or critical; ignored")
        deb = get("debounce", "debounceDelay")
        if deb is not None:
            if isinstance(deb, (int, float)) and not isinstance(deb, bool) and 0 <= deb <= 60_000:
                out.debounce = deb / 1000
            else:
                problems.append("nbguard: 'debounce' must be a number of milliseconds; ignored")
        url = get("docsUrl", "docs-url", "docs_url")
        if url is not None:
            if isinstance(url, str) and "{code}" in url:
                out.docs_url = url
            else:
                problems.append("nbguard: 'docsUrl' must be a URL containing {code}; ignored")
        return out, problems


# -- what is linted, and what came out --------------------------------------------------------------

@dataclass
class Snapshot:
    """A lint unit's documents as they were when the lint started."""

    gen: int
    path: str
    nb: dict | None  # the nbformat JSON linted (None for an .ipynb text document: ``raw``)
    docs: list[str]  # per cell: the text document holding it
    starts: list[int]  # per cell: its first line in that document
    lines: dict[str, list[str]]  # per document: its lines
    versions: dict[str, int | None]
    raw: str | None = None


@dataclass
class Placed:
    """A finding where it shows: its document, range (0-based lines, character columns) and diagnostic."""

    finding: Finding
    doc: str
    span: tuple[int, int, int, int]
    diagnostic: T.Diagnostic


@dataclass
class Result:
    snap: Snapshot
    by_doc: dict[str, list[Placed]]
    ids: dict[str, str]  # per document: result id of its diagnostics


@dataclass
class Unit:
    """What one lint covers: a notebook document (all its cells) or one text document."""

    uri: str
    kind: str  # "notebook" | "script" | "ipynb"
    gen: int = 0
    result: Result | None = None
    task: asyncio.Future | None = None
    task_gen: int = -1
    timer: asyncio.TimerHandle | None = None
    sent: dict[str, str] = field(default_factory=dict)  # per document: the result id the client has
    saved: dict[str, Any] | None = None  # notebooks: outputs and metadata read from the saved file
    pulling: set[str] = field(default_factory=set)  # documents whose textDocument/diagnostic is waiting
    note: str | None = None  # the last thing logged about it (not repeated on every keystroke)


class _Invalid:
    """A JSON-RPC message whose params do not fit its method (answered with InvalidParams)."""

    def __init__(self, msg_id: Any, method: Any) -> None:
        self.id, self.method = msg_id, method


class Protocol(LanguageServerProtocol):
    """pygls' protocol, answering malformed messages with JSON-RPC errors instead of dropping them
    (a client waiting for the answer to a request would wait forever)."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException:
            return _Invalid(data.get("id"), data.get("method"))

    def handle_message(self, message) -> None:
        if isinstance(message, _Invalid):
            if message.id is not None and isinstance(message.method, str):
                self.send_error(message.id, INVALID_PARAMS, f"invalid params for {message.method}")
            else:
                self._server.log(f"nbguard: ignored a malformed {message.method or 'message'}")
            return
        if getattr(message, "jsonrpc", None) != "2.0":
            raw_id = message.get("id") if isinstance(message, dict) else None
            self.send_error(raw_id if isinstance(raw_id, (int, str)) else None, INVALID_REQUEST,
                            "invalid request: not a JSON-RPC 2.0 message")
            return
        super().handle_message(message)

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})


# -- the server -------------------------------------------------------------------------------------

class NbguardServer(LanguageServer):
    def __init__(self) -> None:
        sync = T.NotebookDocumentSyncOptions(
            notebook_selector=[T.NotebookDocumentFilterWithNotebook(
                notebook="*", cells=[T.NotebookCellLanguage("python"), T.NotebookCellLanguage("markdown")])],
            save=True)
        super().__init__("nbguard", __version__, text_document_sync_kind=T.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=sync, protocol_cls=Protocol)
        self.units: dict[str, Unit] = {}
        self.configs = api.ConfigCache()
        self.settings = Settings()
        self.pull = False  # the client pulls diagnostics: do not push
        self.refresh = False  # ... and accepts workspace/diagnostic/refresh
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbguard-lint")
        self._told: set[str] = set()  # config problems already shown

    # messages to the user (never document text) ---------------------------------------------------
    def log(self, message: str, kind: T.MessageType = T.MessageType.Info) -> None:
        with contextlib.suppress(Exception):  # no transport (yet): nothing to tell
            self.window_log_message(T.LogMessageParams(type=kind, message=message))

    def tell_once(self, message: str) -> None:
        if message not in self._told:
            self._told.add(message)
            self.window_show_message(T.ShowMessageParams(type=T.MessageType.Warning, message=message))

    def report_server_error(self, error: Exception, source) -> None:
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            self.protocol.send_error(None, PARSE_ERROR, "parse error: the message body is not JSON")
            return
        self.log(f"nbguard: internal error ({type(error).__name__}); the server goes on", T.MessageType.Error)

    def shutdown(self) -> None:
        """Stop without waiting for the thread that reads stdin (it only returns when the client closes it)."""
        if self._stop_event is not None:
            self._stop_event.set()
        if self._thread_pool:
            self._thread_pool.shutdown(wait=False, cancel_futures=True)
        self.executor.shutdown(wait=False, cancel_futures=True)

    # units ----------------------------------------------------------------------------------------
    def text_of(self, uri: str) -> tuple[str, int | None, str | None]:
        """A synced document's text, version and language id ("" for one the client never sent:
        pygls would read it from disk, and a cell has no file)."""
        doc = self.workspace.text_documents.get(unquote(uri))
        if doc is None:
            return "", None, None
        return doc.source, doc.version, doc.language_id

    def unit_for(self, uri: str) -> Unit | None:
        unit = self.units.get(uri)
        if unit is not None:
            return unit
        nb = self.workspace.get_notebook_document(cell_uri=uri)
        return self.units.get(nb.uri) if nb is not None else None

    def path_of(self, uri: str) -> str:
        if uri.startswith("file:"):
            return to_fs_path(uri) or uri
        return uri

    def config_for(self, path: str) -> Config:
        folder = os.path.dirname(path) if os.path.isabs(path) else (self.workspace.root_path or os.getcwd())
        config, error = self.configs.get(folder)
        if error:
            self.tell_once(f"nbguard: {error}; using the default configuration")
        try:
            return api.with_overrides(config, self.settings.select, self.settings.ignore, self.settings.min_severity)
        except ConfigError as e:
            self.tell_once(f"nbguard: initializationOptions: {e}; ignored")
            return config

    def changed(self, unit: Unit, delay: float | None = None) -> None:
        """A unit's documents changed: relint (after ``delay``, the debounce) when diagnostics are pushed."""
        unit.gen += 1
        if self.pull:
            return
        if unit.timer is not None:
            unit.timer.cancel()
        loop = asyncio.get_running_loop()
        unit.timer = loop.call_later(self.settings.debounce if delay is None else delay,
                                     lambda: asyncio.ensure_future(self.current(unit)))

    async def current(self, unit: Unit) -> Result | None:
        """The result for the unit's documents as they are now (linting them if needed)."""
        if unit.result is not None and unit.result.snap.gen == unit.gen:
            return unit.result
        if unit.task is None or unit.task_gen != unit.gen:
            unit.task_gen = unit.gen
            unit.task = asyncio.ensure_future(self._lint(unit))
        await asyncio.shield(unit.task)
        return unit.result

    async def _lint(self, unit: Unit) -> None:
        snap = self.snapshot(unit)
        if snap is None:
            return
        config = self.config_for(snap.path)
        loop = asyncio.get_running_loop()
        try:
            result, note = await loop.run_in_executor(self.executor, self._lint_sync, snap, config, unit.result)
        except Exception as e:  # noqa: BLE001 -- a rule bug: say which kind, keep serving
            self.log(f"nbguard: could not lint {snap.path} ({type(e).__name__})", T.MessageType.Error)
            return
        if note and note != unit.note:
            self.log(note)
        unit.note = note
        if self.units.get(unit.uri) is not unit:
            return  # closed meanwhile
        if unit.result is None or unit.result.snap.gen <= snap.gen:
            unit.result = result
        if snap.gen != unit.gen:
            return  # edited meanwhile: a newer lint follows
        if self.pull:  # the documents being pulled get the new result anyway
            stale = [d for d, rid in unit.sent.items() if result.ids.get(d, "") != rid and d not in unit.pulling]
            if stale and self.refresh:
                self.workspace_diagnostic_refresh(None)
        else:
            self.publish(unit, result)

    def _lint_sync(self, snap: Snapshot, config: Config, last: Result | None) -> tuple[Result, str | None]:
        """In the lint thread: the engine, then each finding placed and turned into a diagnostic
        (and a note for the log: nothing is sent from this thread)."""
        if os.path.isabs(snap.path) and config.excluded(snap.path):
            return self.unit_result(snap, []), None
        if snap.raw is not None:
            report = api.lint_notebook_text(snap.raw, config, path=snap.path)
        else:
            report = api.lint_notebook(snap.nb, config, path=snap.path)
        note = f"nbguard: {snap.path}: {report.errors[0].message}" if report.errors else None
        if report.errors and last is not None:  # unreadable (JSON half typed): keep what was shown
            return Result(snap, last.by_doc, last.ids), note
        return self.unit_result(snap, report.findings), note

    def unit_result(self, snap: Snapshot, findings: list[Finding]) -> Result:
        by_doc: dict[str, list[Placed]] = {d: [] for d in snap.docs}
        cells = None
        if snap.raw is not None and findings:
            data = json.loads(snap.raw)
            cells = data.get("cells") if isinstance(data, dict) else None
        for f in findings:
            placed = self.place(snap, f, cells)
            if placed is not None:
                by_doc.setdefault(placed.doc, []).append(placed)
        return Result(snap, by_doc, {d: _result_id(p) for d, p in by_doc.items()})

    def publish(self, unit: Unit, result: Result) -> None:
        for doc, placed in result.by_doc.items():
            rid = result.ids[doc]
            if unit.sent.get(doc) == rid:
                continue
            unit.sent[doc] = rid
            self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(
                uri=doc, diagnostics=[p.diagnostic for p in placed], version=result.snap.versions.get(doc)))
        for doc in [d for d in unit.sent if d not in result.by_doc]:  # cells removed from the notebook
            del unit.sent[doc]
            self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=doc, diagnostics=[]))

    def clear(self, unit: Unit) -> None:
        if unit.timer is not None:
            unit.timer.cancel()
        self.units.pop(unit.uri, None)
        if not self.pull:
            for doc in unit.sent:
                self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=doc, diagnostics=[]))

    # documents -> nbformat JSON -----------------------------------------------------------------------
    def snapshot(self, unit: Unit) -> Snapshot | None:
        path = self.path_of(unit.uri)
        if unit.kind == "notebook":
            nbdoc = self.workspace.get_notebook_document(notebook_uri=unit.uri)
            if nbdoc is None:
                return None
            return self._notebook_snapshot(unit, nbdoc, path)
        text, version, _ = self.text_of(unit.uri)
        lines = {unit.uri: text.split("\n")}
        versions = {unit.uri: version}
        if unit.kind == "ipynb":
            return Snapshot(unit.gen, path, None, [unit.uri], [0], lines, versions, raw=text)
        nb, starts = api.notebook_from_script(text)
        return Snapshot(unit.gen, path, nb, [unit.uri] * len(starts), starts, lines, versions)

    def _notebook_snapshot(self, unit: Unit, nbdoc: T.NotebookDocument, path: str) -> Snapshot:
        saved = unit.saved or {}
        cells, docs, lines, versions = [], [], {}, {}
        language = None
        for c in nbdoc.cells:
            source, version, language_id = self.text_of(c.document)
            kind = "code" if c.kind == T.NotebookCellKind.Code else "markdown"
            if kind == "code" and language is None and language_id:
                language = language_id
            extra = saved.get("cells", {}).get(c.document, {})
            meta = extra.get("metadata")
            if meta is None:
                meta = _client_cell_metadata(c.metadata)
            cell: dict[str, Any] = {"cell_type": kind, "source": source, "metadata": meta}
            if extra.get("id"):
                cell["id"] = extra["id"]
            if kind == "code":
                cell.update(outputs=extra.get("outputs", []), execution_count=None)
            cells.append(cell)
            docs.append(c.document)
            lines[c.document] = source.split("\n")
            versions[c.document] = version
        metadata = saved.get("metadata")
        if metadata is None:
            metadata = nbdoc.metadata if isinstance(nbdoc.metadata, dict) else {}
        metadata = dict(metadata)
        metadata.setdefault("language_info", {"name": language or "python"})
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}
        return Snapshot(unit.gen, path, nb, docs, [0] * len(docs), lines, versions)

    def load_saved(self, unit: Unit) -> None:
        """The outputs and metadata of the saved notebook file, matched to the open cells."""
        path = self.path_of(unit.uri)
        nbdoc = self.workspace.get_notebook_document(notebook_uri=unit.uri)
        if nbdoc is None or not os.path.isabs(path) or not os.path.isfile(path):
            return
        config = self.config_for(path)
        try:
            if os.path.getsize(path) > config.max_file_size:
                self.log(f"nbguard: {path}: over the max-file-size limit; outputs not checked")
                return
            with open(path, encoding="utf-8-sig") as fh:
                data = json.load(fh)
        except (OSError, ValueError, RecursionError) as e:
            reason = e.strerror if isinstance(e, OSError) else "not valid notebook JSON"
            self.log(f"nbguard: {path}: cannot read the saved notebook ({reason}); outputs not checked")
            return
        disk = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(disk, list):
            return
        disk_cells = [c for c in disk if isinstance(c, dict)]
        sources = [_joined(c.get("source")) for c in disk_cells]
        taken: set[int] = set()
        cells: dict[str, dict] = {}
        for i, c in enumerate(nbdoc.cells):
            text = self.text_of(c.document)[0]
            j = i if i < len(sources) and i not in taken and sources[i] == text else \
                next((k for k, s in enumerate(sources) if k not in taken and s == text), None)
            if j is None:
                continue
            taken.add(j)
            d = disk_cells[j]
            cells[c.document] = {
                "outputs": [o for o in d.get("outputs", []) if isinstance(o, dict)]
                if isinstance(d.get("outputs"), list) else [],
                "metadata": d["metadata"] if isinstance(d.get("metadata"), dict) else {},
                "id": d["id"] if isinstance(d.get("id"), str) else None,
            }
        meta = data.get("metadata")
        unit.saved = {"cells": cells, "metadata": meta if isinstance(meta, dict) else {}}

    # findings -> positions --------------------------------------------------------------------------
    def place(self, snap: Snapshot, f: Finding, json_cells: list | None) -> Placed | None:
        if snap.raw is not None:
            doc = snap.docs[0]
            span, suffix = _json_span(snap.lines[doc], f, json_cells), ""
        elif not snap.docs:
            return None
        elif f.cell < 0 or f.cell >= len(snap.docs):  # notebook metadata: on the first cell's first line
            doc = snap.docs[0]
            first = snap.starts[0]
            span, suffix = (first, 0, first, len(_line(snap.lines[doc], first))), " (in the notebook's metadata)"
        else:
            doc, base = snap.docs[f.cell], snap.starts[f.cell]
            if f.where == "source":
                span, suffix = (base + f.line - 1, f.column - 1, base + f.end_line - 1, f.end_column - 1), ""
            else:  # outputs and cell metadata are not in the document: on the cell's last line
                assert snap.nb is not None
                last = base + snap.nb["cells"][f.cell]["source"].count("\n")
                span = (last, 0, last, len(_line(snap.lines[doc], last)))
                suffix = f" (in output {f.output + 1})" if f.where == "output" and f.output is not None \
                    else " (in the cell's metadata)"
        return Placed(f, doc, span, self.diagnostic(f, self.to_range(snap.lines[doc], span), suffix))

    def to_range(self, lines: list[str], span: tuple[int, int, int, int]) -> T.Range:
        units = self.workspace.position_codec.client_num_units

        def pos(line: int, col: int) -> T.Position:
            text = _line(lines, line)
            return T.Position(line=max(0, line), character=units(text[:max(0, col)]))

        return T.Range(start=pos(span[0], span[1]), end=pos(span[2], span[3]))

    def from_position(self, lines: list[str], p: T.Position) -> tuple[int, int]:
        """A client position as (line, character column)."""
        text = _line(lines, p.line)
        units = self.workspace.position_codec.impl.code_units_for_char
        n = col = 0
        for ch in text:
            if n >= p.character:
                break
            n += units(ch)
            col += 1
        return p.line, col

    def diagnostic(self, f: Finding, rng: T.Range, suffix: str) -> T.Diagnostic:
        href = self.docs_href(f.rule)
        message = f.message + suffix + (f"\nfix: {f.fix}" if f.fix else "")
        return T.Diagnostic(
            range=rng, message=message, severity=SEVERITY[f.severity], code=f.rule, source="nbguard",
            code_description=T.CodeDescription(href=href) if href else None,
            data={"rule": f.rule, "name": f.name, "category": f.category, "severity": f.severity.label,
                  "where": f.where, "fix": f.fix})

    def docs_href(self, code: str) -> str | None:
        if self.settings.docs_url:
            return self.settings.docs_url.replace("{code}", code)
        return _local_docs(code)

    def at(self, result: Result, uri: str, start: tuple[int, int], end: tuple[int, int]) -> list[Placed]:
        """The placed findings of a document that touch [start, end] (inclusive, as a cursor does)."""
        return [p for p in result.by_doc.get(uri, [])
                if (p.span[0], p.span[1]) <= end and start <= (p.span[2], p.span[3])]

    # code actions ------------------------------------------------------------------------------------
    def actions(self, result: Result, uri: str, hits: list[Placed]) -> list[T.CodeAction]:
        snap = result.snap
        if snap.nb is None:
            return []  # an .ipynb shown as JSON: no edits of the JSON text
        lines = snap.lines[uri]
        out: list[T.CodeAction] = []
        fixes = api.quick_fixes(snap.nb, [p.finding for p in hits], path=snap.path)
        for p in hits:
            f = p.finding
            if not 0 <= f.cell < len(snap.nb["cells"]):
                continue
            ignore = api.ignore_line_edit(snap.nb["cells"][f.cell]["source"], f)
            base = snap.starts[f.cell]
            for q in [q for q in fixes if q.finding is f] + ([ignore] if ignore else []):
                edits = [T.TextEdit(range=self.to_range(lines, (base + a - 1, b - 1, base + c - 1, d - 1)), new_text=t)
                         for a, b, c, d, t in q.edits]
                out.append(T.CodeAction(title=q.title, kind=T.CodeActionKind.QuickFix, diagnostics=[p.diagnostic],
                                        is_preferred=q is not ignore, edit=T.WorkspaceEdit(changes={uri: edits})))
        return out


@functools.lru_cache(maxsize=256)
def _local_docs(code: str) -> str | None:
    page = _LOCAL_DOCS / f"{code}.md"
    return page.as_uri() if page.is_file() else None


def _guarded(handler):
    """A request handler whose unexpected errors are answered by type only (pygls would quote
    the exception, which may hold document text)."""
    @functools.wraps(handler)
    async def run(ls: NbguardServer, params):
        try:
            return await handler(ls, params)
        except JsonRpcException:
            raise
        except Exception as e:  # noqa: BLE001 -- a bug: answer, log the kind, keep serving
            ls.log(f"nbguard: internal error in {handler.__name__} ({type(e).__name__})", T.MessageType.Error)
            raise JsonRpcInternalError(f"nbguard could not answer ({type(e).__name__})") from None
    return run


def _line(lines: list[str], i: int) -> str:
    return lines[i] if 0 <= i < len(lines) else ""


def _joined(source: Any) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _client_cell_metadata(meta: Any) -> dict:
    """A cell's metadata as the client sends it, reduced to what nbguard reads before a save: its
    tags (``nbguard-ignore``), at the top level or under ``metadata`` (VS Code's Jupyter cells)."""
    if not isinstance(meta, dict):
        return {}
    for m in (meta, meta.get("metadata")):
        if isinstance(m, dict) and isinstance(m.get("tags"), list):
            return {"tags": [t for t in m["tags"] if isinstance(t, str)]}
    return {}


def _json_span(lines: list[str], f: Finding, cells: list | None) -> tuple[int, int, int, int]:
    """Where a finding's text is in the notebook's JSON: its columns inside the JSON string on
    ``raw_line`` when the cell's line can be found there as JSON writes it, else the whole line."""
    row = (f.raw_line or 1) - 1
    raw = _line(lines, row)
    whole = (row, len(raw) - len(raw.lstrip()), row, len(raw.rstrip().rstrip(",")))
    if f.where != "source" or not isinstance(cells, list) or not 0 <= f.cell < len(cells) \
            or not isinstance(cells[f.cell], dict):
        return whole
    text = _joined(cells[f.cell].get("source")).split("\n")
    if not 0 < f.line <= len(text):
        return whole
    line = text[f.line - 1]
    for ascii_only in (False, True):
        def esc(s: str, a: bool = ascii_only) -> str:
            return json.dumps(s, ensure_ascii=a)[1:-1]
        at = raw.find(esc(line)) if line else -1
        if at >= 0:
            end = at + (len(esc(line[:f.end_column - 1])) if f.end_line == f.line else len(esc(line)))
            return row, at + len(esc(line[:f.column - 1])), row, end
    return whole


def _result_id(placed: list[Placed]) -> str:
    key = json.dumps([(p.finding.rule, p.span, p.diagnostic.message) for p in placed])
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def _kind_of(uri: str, language: str | None) -> str | None:
    """How a text document is linted: Python (a script, py:percent cells, or the one document
    JupyterLab-LSP makes of a notebook's cells) or an ``.ipynb`` shown as JSON; None: not ours."""
    path = uri.split("?", 1)[0].split("#", 1)[0].lower()
    if language in ("python", "ipython"):
        return "script"
    if path.endswith(".ipynb"):
        return "ipynb"
    if path.endswith((".py", ".ipy")):
        return "script"
    return None


# -- wiring -------------------------------------------------------------------------------------------

def build() -> NbguardServer:
    server = NbguardServer()

    @server.feature(T.INITIALIZE)
    def initialize(ls: NbguardServer, params: T.InitializeParams) -> None:
        ls.settings, problems = Settings.parse(params.initialization_options)
        caps = params.capabilities
        ls.pull = caps.text_document is not None and caps.text_document.diagnostic is not None
        ls.refresh = bool(caps.workspace and caps.workspace.diagnostics and caps.workspace.diagnostics.refresh_support)
        for p in problems:
            ls.tell_once(p)

    @server.feature(T.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: NbguardServer, params: T.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get("nbguard"), dict):
            ls.settings, problems = Settings.parse(settings["nbguard"])
            for p in problems:
                ls.tell_once(p)
            relint_all(ls)

    @server.feature(T.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: NbguardServer, params: T.DidChangeWatchedFilesParams) -> None:
        if any(c.uri.endswith("pyproject.toml") for c in params.changes):
            ls.configs.clear()
            relint_all(ls)

    # notebook documents
    @server.feature(T.NOTEBOOK_DOCUMENT_DID_OPEN)
    def nb_open(ls: NbguardServer, params: T.DidOpenNotebookDocumentParams) -> None:
        unit = ls.units[params.notebook_document.uri] = Unit(params.notebook_document.uri, "notebook")
        ls.load_saved(unit)
        ls.changed(unit, delay=0)

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def nb_change(ls: NbguardServer, params: T.DidChangeNotebookDocumentParams) -> None:
        unit = ls.units.get(params.notebook_document.uri)
        if unit is not None:
            ls.changed(unit)

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_SAVE)
    def nb_save(ls: NbguardServer, params: T.DidSaveNotebookDocumentParams) -> None:
        unit = ls.units.get(params.notebook_document.uri)
        if unit is not None:
            ls.load_saved(unit)
            ls.changed(unit, delay=0)
            if ls.pull:  # outputs may have brought new diagnostics: lint now, and ask the client to pull
                asyncio.ensure_future(ls.current(unit))

    @server.feature(T.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def nb_close(ls: NbguardServer, params: T.DidCloseNotebookDocumentParams) -> None:
        unit = ls.units.get(params.notebook_document.uri)
        if unit is not None:
            ls.clear(unit)

    # text documents
    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: NbguardServer, params: T.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        kind = _kind_of(doc.uri, doc.language_id)
        if kind is not None and ls.workspace.get_notebook_document(cell_uri=doc.uri) is None:
            unit = ls.units[doc.uri] = Unit(doc.uri, kind)
            ls.changed(unit, delay=0)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NbguardServer, params: T.DidChangeTextDocumentParams) -> None:
        unit = ls.units.get(params.text_document.uri)
        if unit is not None:
            ls.changed(unit)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: NbguardServer, params: T.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.endswith("pyproject.toml"):
            ls.configs.clear()
            relint_all(ls)
            return
        unit = ls.units.get(params.text_document.uri)
        if unit is not None:
            ls.changed(unit, delay=0)

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: NbguardServer, params: T.DidCloseTextDocumentParams) -> None:
        unit = ls.units.get(params.text_document.uri)
        if unit is not None:
            ls.clear(unit)

    # diagnostics (pull), code actions, hover
    @server.feature(T.TEXT_DOCUMENT_DIAGNOSTIC,
                    T.DiagnosticOptions(inter_file_dependencies=True, workspace_diagnostics=False,
                                        identifier="nbguard"))
    @_guarded
    async def diagnostic(ls: NbguardServer, params: T.DocumentDiagnosticParams):
        uri = params.text_document.uri
        unit = ls.unit_for(uri)
        if unit is None:
            return T.RelatedFullDocumentDiagnosticReport(items=[])
        unit.pulling.add(uri)
        try:
            result = await ls.current(unit)
        finally:
            unit.pulling.discard(uri)
        if result is None:
            return T.RelatedFullDocumentDiagnosticReport(items=[])
        rid = result.ids.get(uri, "")
        unit.sent[uri] = rid
        if params.previous_result_id == rid:
            return T.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
        return T.RelatedFullDocumentDiagnosticReport(items=[p.diagnostic for p in result.by_doc.get(uri, [])],
                                                     result_id=rid)

    @server.feature(T.TEXT_DOCUMENT_CODE_ACTION,
                    T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]))
    @_guarded
    async def code_action(ls: NbguardServer, params: T.CodeActionParams):
        uri = params.text_document.uri
        unit = ls.unit_for(uri)
        result = await ls.current(unit) if unit is not None else None
        if result is None:
            return []
        lines = result.snap.lines.get(uri, [])
        start, end = ls.from_position(lines, params.range.start), ls.from_position(lines, params.range.end)
        hits = ls.at(result, uri, start, end)
        return ls.actions(result, uri, hits) or None

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    @_guarded
    async def hover(ls: NbguardServer, params: T.HoverParams):
        uri = params.text_document.uri
        unit = ls.unit_for(uri)
        result = await ls.current(unit) if unit is not None else None
        if result is None:
            return None
        here = ls.from_position(result.snap.lines.get(uri, []), params.position)
        hits = ls.at(result, uri, here, here)
        if not hits:
            return None
        parts = []
        for p in hits:
            f = p.finding
            parts.append(f"**{f.rule}** `{f.name}` ({f.severity.label}): {p.diagnostic.message.partition(chr(10))[0]}"
                         + (f"\n\nFix: {f.fix}" if f.fix else "") + "\n\n---\n\n" + _rule_markdown(f.rule))
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value="\n\n".join(parts)),
                       range=hits[0].diagnostic.range)

    return server


def relint_all(ls: NbguardServer) -> None:
    for unit in list(ls.units.values()):
        ls.changed(unit, delay=0)
    if ls.pull and ls.refresh:
        ls.workspace_diagnostic_refresh(None)


def serve() -> int:
    """Serve on stdin/stdout; the exit status is 0 after shutdown + exit, 1 otherwise (as LSP says)."""
    for name in ("pygls", "lsprotocol"):  # their error logs quote messages, document text included
        lg = logging.getLogger(name)
        lg.addHandler(logging.NullHandler())
        lg.propagate = False
        lg.setLevel(logging.CRITICAL + 1)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but the protocol goes to stdout
    server = build()
    server.start_io(stdin, stdout)
    code = 0 if server.protocol._shutdown else 1
    for stream in (sys.stderr, stdout):
        with contextlib.suppress(OSError, ValueError):  # stdout is closed after exit
            stream.flush()
    os._exit(code)  # the stdin reader thread may still be blocked in a read


def _rule_markdown(code: str) -> str:
    """A rule's page (what ``nbguard explain`` prints) for hovers."""
    from ..docs import render_rule

    rule = api.get_rule(code)
    return render_rule(rule) if rule is not None else ""
