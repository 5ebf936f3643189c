"""The JupyterLab extension in a real browser: Debian's Chromium driven by Playwright.

Open a notebook, type a hardcoded Hugging Face token into a cell, see the underline,
the gutter marker, the hover tooltip and the cell badge; fix the line and see them go;
open the findings panel and click a finding to jump to its cell and line.

Screenshots go to ``ui-artifacts/``; with ``NBGUARD_UPDATE_SCREENSHOT=1`` (``scripts/screenshot.py``)
the first test also writes ``docs/img/jupyterlab-inline.png`` for the README.
Without Chromium or Playwright the test is skipped, unless ``NBGUARD_REQUIRE_BROWSER=1``
(CI), where it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from conftest_lab import (
    HF_KEY,
    lab_server,  # noqa: F401  (the "lab" fixture)
)

ARTIFACTS = Path(REPO) / "ui-artifacts"
README_SHOT = Path(REPO) / "docs" / "img" / "jupyterlab-inline.png"
REQUIRE = os.environ.get("NBGUARD_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(why: str):
    if REQUIRE:
        pytest.fail(f"{why} (NBGUARD_REQUIRE_BROWSER=1)")
    pytest.skip(why)


def _chromium() -> str | None:
    path = os.environ.get("NBGUARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    expect.set_options(timeout=15_000)  # the server lints on a 2-core machine shared with other jobs
    exe = _chromium()
    if exe is None:
        _missing("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        (ARTIFACTS / f"{request.node.name}.console.txt").write_text("\n".join(console))
        from playwright.sync_api import Error as PlaywrightError

        try:  # the last state, useful when the test failed
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.last.png"))
        except PlaywrightError as e:
            print(f"no screenshot: {e}")
        context.close()


def _open(page, lab, name: str):
    from playwright.sync_api import expect

    workspace = name.replace(".", "-")  # a fresh workspace per test: no tabs restored from another test
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={lab.token}")
    page.locator(f"{NOTEBOOK} .jp-Cell .cm-content").first.wait_for()
    # the notebook was linted on open: the output finding of cell 3 has its badge already
    expect(page.locator(".jp-Cell").nth(2).locator(".nbguard-badge[data-rule=NBG101]")).to_be_visible()


NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen


def _cell(page, i: int):
    return page.locator(f"{NOTEBOOK} .jp-Cell").nth(i)


def _set_source(page, cell, text: str):
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def test_inline_findings_follow_edits(lab, page):
    from playwright.sync_api import expect

    _open(page, lab, "ui.ipynb")
    first = _cell(page, 0)

    # type a hardcoded key: underline on the token, gutter marker, badge, status count
    _set_source(page, first, "import os\n")
    page.keyboard.type(f'HF_TOKEN = "{HF_KEY}"')
    underline = first.locator(".cm-content .nbguard-underline")
    expect(underline).to_have_count(1)
    expect(underline).to_have_text(HF_KEY)  # exactly the token, not the line
    expect(first.locator(".cm-lint-marker")).to_have_count(1)  # gutter marker
    expect(first.locator(".nbguard-badge[data-rule=NBG101]")).to_be_visible()
    expect(page.locator(".nbguard-status")).to_have_text("nbguard: 2")  # this cell + the output of cell 3
    assert first.locator(".cm-content").inner_text().count(HF_KEY) == 1
    page.locator(".nbguard-status").click()  # the status-bar count opens the findings panel
    expect(page.locator("#nbguard-panel .nbguard-row")).to_have_count(2)

    # hover: message, rule, severity, fix, link to the explanation
    underline.hover()
    tip = page.locator(".cm-tooltip .nbguard-tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("NBG101")
    expect(tip).to_contain_text("Hugging Face")
    expect(tip.locator(".nbguard-tooltip-fix")).to_contain_text("Fix:")
    expect(tip.locator("a.nbguard-explain")).to_have_text("Explain NBG101")
    assert HF_KEY not in tip.inner_text()
    page.screenshot(path=str(ARTIFACTS / "inline-finding.png"))
    if os.environ.get("NBGUARD_UPDATE_SCREENSHOT") == "1":  # scripts/screenshot.py
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOT), clip={"x": 0, "y": 0, "width": 1400, "height": 520})

    # fix the line: underline, marker and badge go away; the output finding stays
    page.mouse.move(5, 5)
    _set_source(page, first, 'import os\nHF_TOKEN = os.environ["HF_TOKEN"]')
    expect(first.locator(".nbguard-underline")).to_have_count(0)
    expect(first.locator(".nbguard-badge")).to_have_count(0)
    expect(first.locator(".cm-lint-marker")).to_have_count(0)
    expect(page.locator(".nbguard-status")).to_have_text("nbguard: 1")
    expect(_cell(page, 2).locator(".nbguard-badge[data-rule=NBG101]")).to_have_attribute("data-where", "output")
    page.screenshot(path=str(ARTIFACTS / "fixed.png"))


def test_panel_lists_findings_and_jumps(lab, page):
    from playwright.sync_api import expect

    _open(page, lab, "panel.ipynb")
    last = _cell(page, 3)
    _set_source(page, last, f'x = 1\ny = 2\nkey = "{HF_KEY}"  # pasted')
    expect(last.locator(".nbguard-badge[data-rule=NBG101]")).to_be_visible()

    # leave the cell, then open the panel from the palette command
    _cell(page, 1).click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("nbguard: Lint notebook")
    page.keyboard.press("Enter")
    panel = page.locator("#nbguard-panel")
    expect(panel).to_be_visible()
    rows = panel.locator(".nbguard-row[data-rule=NBG101]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("cell 3 (output 1)")
    expect(rows.nth(1)).to_contain_text("cell 4, line 3:")
    page.screenshot(path=str(ARTIFACTS / "panel.png"))

    rows.nth(1).click()  # jump: cell 4 active, in edit mode, cursor on line 3
    expect(last).to_have_class(re.compile(r"\bjp-mod-active\b"))
    focused_line = page.evaluate(
        "() => { const s = window.getSelection(); const n = s && s.anchorNode;"
        " const el = n && (n.nodeType === 1 ? n : n.parentElement);"
        " const line = el && el.closest('.cm-line');"
        " const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell');"
        " return line ? [line.closest('.jp-Cell') === cells[3],"
        " line.textContent] : null; }")
    assert focused_line is not None and focused_line[0] is True
    assert focused_line[1].startswith("key = ")

    # a markdown cell gets its underline and badge too, also once rendered
    md = _cell(page, 1)
    md.locator(".jp-RenderedMarkdown").dblclick()  # edit the markdown source
    editor = md.locator(".cm-content")
    expect(editor).to_be_visible()
    _set_source(page, md, f"# Notes\n\nmy token: {HF_KEY} (rotate it)")
    expect(md.locator(".cm-content .nbguard-underline")).to_have_text(HF_KEY)
    page.keyboard.press("Shift+Enter")  # render the markdown
    expect(md.locator(".nbguard-badge[data-rule=NBG101]")).to_be_visible()
    expect(panel.locator(".nbguard-row[data-rule=NBG101]")).to_have_count(3)

    # "explain" opens the rule's documentation in a tab
    panel.locator(".nbguard-row a.nbguard-explain").first.click()
    doc = page.locator("#nbguard-explain-NBG101")
    expect(doc).to_be_visible()
    expect(doc.locator("h2", has_text="What it does")).to_be_visible()
    expect(page.locator(".lm-TabBar-tabLabel", has_text="nbguard NBG101")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "markdown.png"))


def test_settings_hide_findings_below_min_severity(lab, page):
    import requests
    from playwright.sync_api import expect

    url = lab.api("lab/api/settings/nbguard:plugin")
    headers = {"Authorization": f"token {lab.token}"}
    r = requests.put(url, json={"raw": '{"minSeverity": "critical"}'}, headers=headers, timeout=30)
    assert r.status_code == 204, r.text
    try:
        page.goto(f"{lab.url}/lab/workspaces/settings/tree/settings.ipynb?reset&token={lab.token}")
        first = _cell(page, 0)
        first.locator(".cm-content").wait_for()
        expect(page.locator(".nbguard-status")).to_have_text("nbguard: 0")  # NBG101 is "high"
        _set_source(page, first, f'HF_TOKEN = "{HF_KEY}"')
        page.wait_for_timeout(1500)  # debounce + answer
        expect(page.locator(".nbguard-status")).to_have_text("nbguard: 0")
        expect(page.locator(f"{NOTEBOOK} .nbguard-badge")).to_have_count(0)
        expect(first.locator(".nbguard-underline")).to_have_count(0)
    finally:
        requests.put(url, json={"raw": "{}"}, headers=headers, timeout=30)
