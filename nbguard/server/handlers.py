"""REST handlers: ``POST {base_url}/nbguard/lint`` and ``GET {base_url}/nbguard/rules``.

Both are authenticated (``@tornado.web.authenticated``); jupyter_server checks
the XSRF token on cookie-authenticated POSTs. Linting runs ``nbguard.api.lint_notebook``
(the CLI's engine) in one thread of this server process: never in a kernel, never
executing notebook code, one request at a time. Two things keep it cheap while
someone types: a request whose notebook content is unchanged is answered from a
small cache, and a request that a newer one from the same editor view (``path`` and
``client`` given first in the body) overtook while it waited is answered
``{"superseded": true}`` without linting.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import posixpath
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .._version import __version__
from ..api import ConfigCache, lint_notebook, list_rules

CELL_TYPES = ("code", "markdown", "raw")


class BadRequest(Exception):
    """A malformed lint request; the message is shown to the client (400)."""


def rules_version() -> str:
    """Changes whenever the set of rules (or nbguard) changes."""
    codes = ",".join(f"{r.code}:{r.name}:{r.severity.label}" for r in list_rules())
    return f"{__version__}+{hashlib.sha1(codes.encode()).hexdigest()[:8]}"


class NbguardState:
    """Shared by the handlers of one server: limits, caches and the lint thread."""

    def __init__(self, root_dir: str, max_body_size: int, max_cells: int, config_ttl: float = 2.0,
                 cache_size: int = 64) -> None:
        self.root_dir = os.path.realpath(root_dir)
        self.max_body_size = max_body_size
        self.max_cells = max_cells
        self.configs = ConfigCache(config_ttl)
        self.cache_size = cache_size
        self._results: OrderedDict[tuple, list[dict]] = OrderedDict()  # (path, config, content) -> findings
        self._latest: dict[str, int] = {}  # notebook path -> generation of its newest request
        self._generation = 0
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbguard-lint")

    def admit(self, body: bytes) -> tuple[bytes, int, str | None]:
        """Note a request as it arrives (on the event loop): its generation, and the editor view
        it comes from when the body starts with ``{"path": ..., "client": ...`` (as the front-end sends)."""
        view = None
        m = _VIEW_RE.match(body[:4096])
        if m:
            try:
                view = json.dumps([json.loads(m.group(1)), json.loads(m.group(2))])
            except ValueError:
                view = None
        with self._lock:
            self._generation += 1
            if view is not None:
                self._latest[view] = self._generation
                if len(self._latest) > 1024:
                    self._latest.clear()
            return body, self._generation, view

    def superseded(self, generation: int, view: str | None) -> bool:
        with self._lock:
            return view is not None and self._latest.get(view, 0) > generation

    # -- request -> nbformat dict ---------------------------------------------
    def parse_body(self, body: bytes) -> tuple[str | None, dict]:
        if not body.strip():
            raise BadRequest("empty body: expected a JSON object with 'cells'")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as e:
            msg = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            raise BadRequest(f"body is not valid JSON: {msg}") from None
        if not isinstance(data, dict):
            raise BadRequest(f"body must be a JSON object, not {_type(data)}")
        path = data.get("path")
        if path is not None and not isinstance(path, str):
            raise BadRequest(f"'path' must be a string, not {_type(path)}")
        if not isinstance(data.get("client", ""), str):
            raise BadRequest(f"'client' must be a string, not {_type(data['client'])}")
        cells = data.get("cells")
        if not isinstance(cells, list):
            raise BadRequest("'cells' must be a list of cells" if "cells" in data else "'cells' is missing")
        if len(cells) > self.max_cells:
            raise BadRequest(f"too many cells: {len(cells)} (the limit is {self.max_cells})")
        metadata = data.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise BadRequest(f"'metadata' must be an object, not {_type(metadata)}")
        out = []
        for i, c in enumerate(cells):
            if not isinstance(c, dict):
                raise BadRequest(f"cells[{i}] must be an object, not {_type(c)}")
            cid = c.get("id")
            if cid is not None and not isinstance(cid, str):
                raise BadRequest(f"cells[{i}].id must be a string")
            ctype = c.get("cell_type", "code")
            if ctype not in CELL_TYPES:
                raise BadRequest(f"cells[{i}].cell_type must be one of {', '.join(CELL_TYPES)}")
            source = c.get("source", "")
            if isinstance(source, list) and all(isinstance(s, str) for s in source):
                source = "".join(source)
            if not isinstance(source, str):
                raise BadRequest(f"cells[{i}].source must be a string or a list of strings")
            cell: dict[str, Any] = {"id": cid, "cell_type": ctype, "source": source}
            cmeta = c.get("metadata")
            if cmeta is not None:
                if not isinstance(cmeta, dict):
                    raise BadRequest(f"cells[{i}].metadata must be an object")
                cell["metadata"] = cmeta
            else:
                cell["metadata"] = {}
            outputs = c.get("outputs")
            if outputs is not None:
                if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
                    raise BadRequest(f"cells[{i}].outputs must be a list of objects")
                if ctype == "code":
                    cell["outputs"] = outputs
            if ctype == "code":
                cell.setdefault("outputs", [])
            out.append(cell)
        nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": out}
        return path, nb

    def folder_for(self, path: str | None) -> tuple[str, str]:
        """(notebook path on disk, its folder) for an API path; the server root if unknown."""
        if not path:
            return os.path.join(self.root_dir, "Untitled.ipynb"), self.root_dir
        parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            raise BadRequest("'path' must stay inside the server root")
        disk = os.path.join(self.root_dir, *parts)
        folder = os.path.dirname(disk)
        real = os.path.realpath(folder)
        if os.path.commonpath([real, self.root_dir]) != self.root_dir or not os.path.isdir(real):
            folder = self.root_dir  # outside (symlink) or not on disk: the server root's config
        return disk, folder

    def lint(self, body: bytes, generation: int = 0, view: str | None = None) -> dict[str, Any]:
        t0 = time.perf_counter()
        if self.superseded(generation, view):
            # a newer request for this notebook is waiting: the editor will only use that one
            return {"findings": [], "superseded": True, "rules_version": rules_version(), "cells": 0,
                    "cached": False, "ms": round((time.perf_counter() - t0) * 1000, 2)}
        path, nb = self.parse_body(body)
        disk, folder = self.folder_for(path)
        config, config_error = self.configs.get(folder)
        display = posixpath.normpath(path.replace("\\", "/")).lstrip("/") if path else "<notebook>"
        if path and config.excluded(disk):
            return {"findings": [], "rules_version": rules_version(), "excluded": True,
                    "config_error": config_error, "cells": len(nb["cells"]), "cached": False,
                    "ms": round((time.perf_counter() - t0) * 1000, 2)}
        content = hashlib.blake2b(json.dumps(nb, sort_keys=True, ensure_ascii=False, default=str)
                                  .encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
        key = (display, disk, config.fingerprint(), config.source, content)
        with self._lock:
            findings = self._results.get(key)
            if findings is not None:
                self._results.move_to_end(key)
        cached = findings is not None
        if findings is None:
            report = lint_notebook(nb, config, path=disk)
            if report.errors:
                raise BadRequest(report.errors[0].message)
            findings = [dict(f.to_dict(), path=display) for f in report.findings]
            with self._lock:
                self._results[key] = findings
                if len(self._results) > self.cache_size:
                    self._results.popitem(last=False)
        return {
            "findings": findings,
            "rules_version": rules_version(),
            "excluded": False,
            "config_error": config_error,
            "cells": len(nb["cells"]),
            "cached": cached,
            "ms": round((time.perf_counter() - t0) * 1000, 2),
        }


_STR = rb'("(?:[^"\\]|\\.)*")'
_VIEW_RE = re.compile(rb'\s*\{\s*"path"\s*:\s*' + _STR + rb'\s*,\s*"client"\s*:\s*' + _STR)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _type(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


class _Base(APIHandler):
    @property
    def nbguard(self) -> NbguardState:
        return self.settings["nbguard"]

    def fail(self, status: int, message: str) -> None:
        """A JSON error reply shaped like jupyter_server's own: ``{"message", "reason"}``."""
        self.log.warning("nbguard: %d: %s", status, message)
        self.set_status(status)
        self.finish(json.dumps({"message": message, "reason": self._reason}))


class LintHandler(_Base):
    @tornado.web.authenticated
    async def post(self) -> None:
        state = self.nbguard
        body = self.request.body or b""
        if len(body) > state.max_body_size:
            return self.fail(413, f"request body is {_mb(len(body))}; the limit is {_mb(state.max_body_size)} "
                                  "(set NbguardServer.max_body_size to change it)")
        loop = asyncio.get_running_loop()
        body, generation, view = state.admit(body)
        try:
            reply = await loop.run_in_executor(state.executor, state.lint, body, generation, view)
        except BadRequest as e:
            return self.fail(400, str(e))
        except Exception as e:  # a rule bug: say so (never the notebook's text), keep the traceback in the log
            self.log.exception("nbguard: lint failed")
            return self.fail(500, f"nbguard could not lint this notebook ({type(e).__name__}); see the server log")
        self.set_header("Server-Timing", f"lint;dur={reply['ms']}")
        self.finish(json.dumps(reply))


class RulesHandler(_Base):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.set_header("X-Nbguard-Rules-Version", rules_version())
        self.finish(json.dumps([r.to_dict() for r in list_rules()]))


def setup_handlers(web_app, state: NbguardState) -> None:
    base = web_app.settings["base_url"]
    web_app.settings["nbguard"] = state
    web_app.add_handlers(".*$", [
        (url_path_join(base, "nbguard", "lint"), LintHandler),
        (url_path_join(base, "nbguard", "rules"), RulesHandler),
    ])
