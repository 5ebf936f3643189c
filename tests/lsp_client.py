"""A small LSP client for driving ``python -m nbguard lsp`` over stdio in tests and benchmarks.

JSON-RPC framing by hand (``Content-Length`` headers), so a test can also send what a broken
client would; every message the server sends is kept (``received``), raw bytes included
(``raw``), so a test can check that no secret ever left the server.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any, Callable


class LspClient:
    def __init__(self, cwd: str | None = None, env: dict | None = None, args: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "nbguard", "lsp", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                     env=env if env is not None else dict(os.environ))
        self._ids = itertools.count(1)
        self._inbox: queue.Queue = queue.Queue()
        self.received: list[dict] = []  # every message from the server, in order
        self.raw = bytearray()  # every byte the server wrote to stdout
        self.stderr = bytearray()
        self._backlog: list[tuple[float, dict]] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    # transport --------------------------------------------------------------------------------------
    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self._inbox.put(None)
                    return
                self.raw += line
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = out.read(length or 0)
            self.raw += body
            msg = json.loads(body)
            if "method" in msg and "id" in msg:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            self._inbox.put((time.perf_counter(), msg))

    def _read_err(self) -> None:
        err = self.proc.stderr
        assert err is not None
        for chunk in iter(lambda: err.read1(4096), b""):
            self.stderr += chunk

    def send_raw(self, body: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def send(self, msg: dict) -> None:
        self.send_raw(json.dumps(msg).encode())

    # messages ---------------------------------------------------------------------------------------
    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> dict:
        """Send a request and return the whole response message (with ``result`` or ``error``)."""
        msg_id = next(self._ids)
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def wait_for(self, match: Callable[[dict], bool], timeout: float = 30) -> dict:
        return self.wait_for_timed(match, timeout)[1]

    def wait_for_timed(self, match: Callable[[dict], bool], timeout: float = 30) -> tuple[float, dict]:
        """The first message (received at time t) that matches, looking at unclaimed ones first."""
        for i, (t, m) in enumerate(self._backlog):
            if match(m):
                del self._backlog[i]
                return t, m
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message from the server in {timeout} s; "
                                   f"stderr: {bytes(self.stderr[-2000:]).decode(errors='replace')}")
            try:
                item = self._inbox.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                raise EOFError(f"the server closed stdout; exit status {self.proc.poll()}; stderr: "
                               f"{bytes(self.stderr[-2000:]).decode(errors='replace')}")
            self.received.append(item[1])
            if match(item[1]):
                return item
            self._backlog.append(item)

    def diagnostics(self, uri: str, timeout: float = 30, version: int | None = None) -> list[dict]:
        """The next diagnostics the server publishes for ``uri`` (for that document version, if given)."""
        msg = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri
                            and (version is None or m["params"].get("version") == version), timeout)
        return msg["params"]["diagnostics"]

    def drain(self, seconds: float = 0.3) -> None:
        """Collect whatever arrives in the next ``seconds`` (into ``received`` and the backlog)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                item = self._inbox.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                continue
            if item is None:
                return
            self.received.append(item[1])
            self._backlog.append(item)

    # life cycle ---------------------------------------------------------------------------------------
    def initialize(self, root: str, options: dict | None = None, pull: bool = False) -> dict:
        text_caps: dict = {"publishDiagnostics": {"versionSupport": True}, "hover": {}, "codeAction": {}}
        if pull:
            text_caps["diagnostic"] = {}
        caps = {"textDocument": text_caps, "notebookDocument": {"synchronization": {}},
                "workspace": {"diagnostics": {"refreshSupport": pull}}}
        reply = self.request("initialize", {"processId": os.getpid(), "rootUri": f"file://{root}",
                                            "capabilities": caps, "initializationOptions": options or {}})
        self.notify("initialized", {})
        return reply

    def close(self, timeout: float = 15) -> int:
        """shutdown + exit; the server's exit status."""
        reply = self.request("shutdown", None, timeout)
        assert "error" not in reply, reply
        self.notify("exit", None)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
