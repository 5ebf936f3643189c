"""Render the ``%nbguard`` panel in JupyterLab (headless Chromium) and save a screenshot.

    python scripts/screenshot_magic.py [--output docs/img/magic-panel.png] [--keep]

Starts a private JupyterLab on 127.0.0.1 (random port and token, isolated config
and runtime folders) on a temporary folder holding a demo notebook, opens the
notebook, runs only its last cell (``%load_ext nbguard`` + ``%nbguard``; the
demo code is linted from the saved file, never executed), waits for the widget
panel, picks a rule in the "Explain" box and saves a picture of that cell.

Needs: jupyterlab, ipywidgets, ipykernel, playwright (Python) and a Chromium
(``/usr/bin/chromium`` or ``$NBGUARD_CHROMIUM``); never downloads a browser.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# A made-up key in a real format (it is masked in the panel; it never existed).
DEMO_KEY = "hf_" + "KqZmWxTvNpRsLdYfBhJcGtXeUaPoMnIuEr"
DEMO_CELLS = [
    ("markdown", "# Fine-tuning notes\nLoad the data, fetch the model, push the results."),
    ("code", f'import pandas as pd\nimport requests\nfrom transformers import AutoModel\n\nHF_TOKEN = "{DEMO_KEY}"'),
    ("code", 'df = pd.read_csv("http://data.acme-corp.com/train.csv")\n'
             + 'model = AutoModel.from_pretrained("bert-base-uncased")'),
    ("code", 'resp = requests.post("https://api.acme-corp.com/upload", data=df.to_json(), verify=False)'),
    ("code", "import torch\nstate = torch.load(\"checkpoint.pt\", weights_only=False)"),
    ("code", "%pip install transformers datasets"),
    ("code", "%load_ext nbguard\n%nbguard"),
]


def demo_notebook() -> dict:
    cells = []
    for i, (kind, src) in enumerate(DEMO_CELLS):
        cell = {"cell_type": kind, "id": f"demo{i}", "metadata": {}, "source": src}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root: str, port: int, token: str) -> subprocess.Popen:
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[var] = os.path.join(root, "." + var.lower())
        os.makedirs(env[var], exist_ok=True)
    with open(os.path.join(env["JUPYTER_CONFIG_DIR"], "jupyter_server_config.json"), "w") as fh:
        json.dump({"LabApp": {"news_url": None}}, fh)
    news = os.path.join(env["JUPYTERLAB_SETTINGS_DIR"], "@jupyterlab", "apputils-extension")
    os.makedirs(news, exist_ok=True)
    with open(os.path.join(news, "notification.jupyterlab-settings"), "w") as fh:
        json.dump({"fetchNews": "false"}, fh)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(os.path.join(root, ".lab.log"), "w")  # noqa: SIM115 - the server's stdout for its lifetime
    return subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(url: str, token: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("JupyterLab exited early; see its log")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("JupyterLab did not start in time")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def shoot(url: str, token: str, output: str, explain: str | None) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("NBGUARD_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400}, device_scale_factor=1)
            page.goto(f"{url}/lab/tree/magic-demo.ipynb?token={token}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell .cm-content", timeout=60_000)
            # wait for the kernel to be idle before running the cell
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                                   timeout=60_000)
            if page.locator("#jp-left-stack").is_visible():
                page.keyboard.press("Control+b")  # collapse the file browser: more room for the panel
            cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            last = cells.nth(len(DEMO_CELLS) - 1)
            prompt = last.locator(".jp-InputArea-prompt")
            for _attempt in range(3):  # a key press can land before the notebook takes focus
                prompt.click()
                page.keyboard.press("Control+Enter")  # run the selected cell, stay on it
                try:
                    page.wait_for_function("el => /\\[(\\*|\\d+)\\]/.test(el.textContent)",
                                           arg=prompt.element_handle(), timeout=20_000)
                    break
                except PlaywrightTimeout:
                    print("the cell did not start; pressing Ctrl+Enter again", file=sys.stderr)
            panel = last.locator(".nbg-magic-panel")
            try:
                panel.wait_for(state="visible", timeout=90_000)
            except PlaywrightTimeout:
                shown = last.locator(".jp-OutputArea").inner_text() if last.locator(".jp-OutputArea").count() else ""
                raise RuntimeError(f"no panel in the cell's output; it shows: {shown[:2000]!r}") from None
            if explain:
                select = panel.locator(".widget-dropdown select").last
                labels = select.locator("option").evaluate_all("os => os.map(o => o.textContent)")
                rules = [x for x in labels if x.startswith("NBG")]  # "NBG101 name (count)"
                label = next((x for x in rules if x.startswith(explain)), rules[0] if rules else None)
                if label:
                    select.select_option(label=label)
                    panel.locator(f".nbg-magic-doc[data-rule='{label.split()[0]}']").wait_for(timeout=10_000)
            page.wait_for_timeout(300)
            # the page must show the masked key and never the key itself
            text = last.inner_text()
            if DEMO_KEY in text:
                raise RuntimeError("the demo key is visible in the panel: masking is broken")
            last.scroll_into_view_if_needed()
            os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
            last.screenshot(path=output)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", default=os.path.join(REPO, "docs", "img", "magic-panel.png"))
    ap.add_argument("--explain", default="NBG101", help="rule code (prefix) to open in the Explain box; '' for none")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (server log, notebook)")
    args = ap.parse_args(argv)

    root = tempfile.mkdtemp(prefix="nbguard-shot-")
    with open(os.path.join(root, "magic-demo.ipynb"), "w", encoding="utf-8") as fh:
        json.dump(demo_notebook(), fh, indent=1)
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    proc = start_lab(root, port, token)
    try:
        wait_ready(url, token, proc)
        shoot(url, token, args.output, args.explain or None)
    finally:
        stop(proc)
        if args.keep:
            print(f"kept {root}")
        else:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
