"""A real JupyterLab server on 127.0.0.1 for the REST and browser tests.

Imported by ``tests/test_server.py`` and ``tests/test_ui.py`` (``from conftest_lab import lab_server``
registers the module-scoped ``lab`` fixture there).
The server runs the installed nbguard server extension (enabled by
``jupyter-config/server-config/nbguard.json``) with a random token, isolated
config/runtime/settings folders, no news fetch, and ``cwd`` = its root folder.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HF_KEY = "hf_" + "kQzXwVbNmLpRtYsDfGhJcVbNmQwErTyUiO"  # the shape of a Hugging Face token: hf_ + 34 letters


@dataclass
class LabServer:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    token: str
    root: Path
    log: Path
    proc: subprocess.Popen

    def api(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path, cells: list[dict]) -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": cells,
    }
    path.write_text(json.dumps(nb, indent=1))


def code_cell(cid: str, source: str, outputs: list | None = None) -> dict:
    return {"id": cid, "cell_type": "code", "execution_count": None, "metadata": {}, "source": source,
            "outputs": outputs or []}


def md_cell(cid: str, source: str) -> dict:
    return {"id": cid, "cell_type": "markdown", "metadata": {}, "source": source}


def _make_root(tmp: Path) -> Path:
    root = tmp / "root"
    (root / "proj").mkdir(parents=True)
    # a project whose [tool.nbguard] config ignores NBG101
    (root / "proj" / "pyproject.toml").write_text('[tool.nbguard]\nignore = ["NBG101"]\n')
    write_notebook(root / "proj" / "quiet.ipynb", [code_cell("q1", f'key = "{HF_KEY}"')])
    for name in ("ui.ipynb", "panel.ipynb", "settings.ipynb"):  # one per browser test: edits never meet
        write_notebook(root / name, [
            code_cell("c-edit", ""),
            md_cell("c-md", "# Notes\n\nNothing to see here."),
            code_cell("c-out", "print(open('creds.txt').read())",
                      [{"output_type": "stream", "name": "stdout", "text": f"token: {HF_KEY}\n"}]),
            code_cell("c-last", "x = 1"),
        ])
    return root


def start_lab(tmp: Path, extra_args: tuple[str, ...] = ()) -> LabServer:
    root = _make_root(tmp)
    cfg, runtime, settings, workspaces = (tmp / n for n in ("config", "runtime", "settings", "workspaces"))
    for d in (cfg, runtime, settings, workspaces):
        d.mkdir()
    (cfg / "jupyter_server_config.py").write_text("c.LabApp.news_url = None\n")
    notif = settings / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True)
    (notif / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_RUNTIME_DIR=str(runtime),
               JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
               PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_TOKEN", None)
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            *extra_args]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = tmp / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(args, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop_lab(proc)
            raise RuntimeError(f"jupyter lab did not start in 90 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    return LabServer(url, token, root, log, proc)


def stop_lab(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture(scope="module", name="lab")
def lab_server(tmp_path_factory) -> LabServer:
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        stop_lab(server.proc)
