"""Notebook 05 in a real browser: JupyterLab on localhost, Debian's Chromium driven by Playwright.

Two tests. The live one runs the notebook in JupyterLab and clicks in its widget; the snapshot one executes the
notebook headless the way ``scripts/demo.sh`` does (:func:`nbtools.walkthrough.run_notebook`, into
``build/executed/``), opens that copy and finds the comparison widget rendered from its saved state (DOM elements
of the widget, not its text repr), with the progress bar at its end.

The test opens ``notebooks/05_compare_outputs.ipynb``, runs all cells from the Run menu, waits for the comparison
widget, types a note and clicks "Left is better" in it, then checks that this very rating reached the ratings file
(``build/workflow/ratings.jsonl``). A screenshot goes to ``test-artifacts/``. Nothing is installed here: Chromium
and Playwright come from ``scripts/setup.sh --test`` (``playwright install`` cannot download browsers offline).

Notebook 05 compares notebook 04's fine-tuned model: when this session's run log has no succeeded job from it, the
fixture first runs notebooks 01-04 headless (nbclient), so the test passes alone and inside the full run.
JupyterLab runs with its own settings directory (autosave off, news off), so the stored notebook keeps no outputs;
the test checks the file is unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tutorial_support import ensure_tutorial_job

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/05_compare_outputs.ipynb"
RATINGS = ROOT / "build" / "workflow" / "ratings.jsonl"  # the notebook's RATINGS path, seen from the repository
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
RUN_TIMEOUT_S = 1800  # notebook 05 asks 18 questions of a CPU model when nothing is cached yet
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # every cell in the page, not only those scrolled into view: the snapshot test reads widgets far apart
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@pytest.fixture(scope="module")
def prerequisites():
    """Notebook 04's fine-tuned job in this session's home: found in the run log, or made by running 01-04."""
    ensure_tutorial_job()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def jupyterlab(prerequisites, tmp_path_factory):
    """JupyterLab on a free localhost port, no token, its own settings (no autosave, no news); yields its URL."""
    settings = tmp_path_factory.mktemp("lab-settings")
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "jupyterlab.log"
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--IdentityProvider.token=", "--allow-root", f"--ServerApp.root_dir={ROOT}",
               f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('lab-workspaces')}"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=ROOT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()  # shuts its kernels down too
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def _accept_kernel_dialog(page) -> bool:
    """Accept JupyterLab's "Select Kernel" dialog (its default is the notebook's Python 3 kernel) if it is open.

    JupyterLab opens it when a run is asked for while the session has no kernel yet; it is modal and blocks every
    click until answered (seen once in a full CI run on a freshly booted machine). True if there was one."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if not dialog.count():
        return False
    dialog.locator(".jp-mod-accept").first.click()
    dialog.wait_for(state="detached", timeout=30_000)
    return True


def _run_all_cells(page) -> None:
    """Run menu -> Run All Cells, again until a cell shows it runs: a run asked for just as the kernel turns idle can
    be dropped silently (seen with JupyterLab 4.5) or make JupyterLab ask which kernel to start (answered with the
    default)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first
    for _ in range(6):
        _accept_kernel_dialog(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        for _answered in range(3):
            try:
                started.wait_for(timeout=15_000)
                return
            except PlaywrightTimeout:
                if not _accept_kernel_dialog(page):  # a dialog held the run back: wait again once answered
                    break
        page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start any cell in 6 tries")


def _rating_with(note: str) -> dict | None:
    if not RATINGS.exists():
        return None
    for text in RATINGS.read_text(encoding="utf-8").splitlines():
        line = json.loads(text) if text.strip() else {}
        if line.get("notes") == note:
            return line
    return None


@contextlib.contextmanager
def _chromium_page(screenshot: str):
    """A Chromium page (Debian's browser through Playwright); its screenshot goes to test-artifacts/ at the end."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), "run scripts/setup.sh --test (installs chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        try:
            yield page
        finally:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=False)
            browser.close()


@pytest.mark.timeout(3 * 3600)
def test_a_click_in_the_browser_reaches_the_ratings_file(jupyterlab):
    stored = (ROOT / NOTEBOOK).read_bytes()
    note = f"clicked in Chromium by the browser test {uuid.uuid4().hex[:8]}"
    with _chromium_page("05_compare_outputs.png") as page:
        page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK}", wait_until="domcontentloaded")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        # the status bar names the kernel once one is connected and idle (the toolbar's indicator says idle before)
        page.get_by_text(re.compile(r"^Python 3 \(ipykernel\) \| Idle$")).first.wait_for(timeout=120_000)
        _run_all_cells(page)
        # the widget appears; the last cell prints its check once every cell before it has run
        left = page.get_by_role("button", name="Left is better")
        left.wait_for(timeout=RUN_TIMEOUT_S * 1000)
        page.get_by_text("comparison complete:").wait_for(timeout=RUN_TIMEOUT_S * 1000)
        left.scroll_into_view_if_needed()
        notes = page.get_by_placeholder("Why? (optional, saved with the rating)")
        notes.fill(note)
        left.click()
        deadline = time.monotonic() + 60
        while _rating_with(note) is None and time.monotonic() < deadline:
            time.sleep(0.25)
        # the kernel cleared the notes box once it had saved the rating: the widget round trip is complete
        page.wait_for_function("(box) => box.value === ''", arg=notes.element_handle(), timeout=30_000)
        page.get_by_text("Saved: left").wait_for(timeout=30_000)
        progress = page.get_by_text("pairs rated").first.inner_text()
    rating = _rating_with(note)
    assert rating is not None, f"the click did not reach {RATINGS}"
    assert rating["choice"] == "left" and rating["blind"] is True
    assert rating["shown_order"] == [rating["left_setup"], rating["right_setup"]]
    counted = re.match(r"(\d+) of (\d+) pairs rated", progress)
    assert counted and 1 <= int(counted[1]) <= int(counted[2]), progress
    assert (ROOT / NOTEBOOK).read_bytes() == stored, "JupyterLab saved outputs into the stored notebook"


EXECUTED = ROOT / "build" / "executed"


def test_an_executed_snapshot_renders_its_widgets(jupyterlab):
    """The copy in build/executed shows the widget itself (buttons, the final progress bar), not its text repr."""
    from nbtools.walkthrough import run_notebook

    run = run_notebook(ROOT / NOTEBOOK, EXECUTED, timeout=RUN_TIMEOUT_S)
    relative = run.output.relative_to(ROOT).as_posix()
    with _chromium_page("executed_05_compare_outputs.png") as page:
        page.goto(f"{jupyterlab}/lab/tree/{relative}", wait_until="domcontentloaded")
        # the banner cell (another, hidden copy of its text sits in the table of contents)
        page.locator(".jp-RenderedMarkdown", has_text="Executed snapshot").first.wait_for(timeout=120_000)
        widget = page.locator(".jp-OutputArea-output .widget-button", has_text="Left is better").first
        widget.wait_for(state="attached", timeout=120_000)  # rendered by the widget manager from the saved state
        widget.scroll_into_view_if_needed()
        widget.wait_for(state="visible", timeout=30_000)
        buttons = page.locator(".jp-OutputArea-output .widget-button").count()
        reprs = page.get_by_text(re.compile(r"^CompareWidget\("))
        repr_shown = sum(reprs.nth(i).is_visible() for i in range(reprs.count()))  # the fallback stays hidden
        # tqdm's bars (FloatProgress in an HBox), drawn from their saved value: full, not the 0/18 of the text repr
        bars = page.locator(".jp-OutputArea-output .widget-hprogress .progress-bar")
        widths = [bars.nth(i).evaluate("bar => bar.style.width") for i in range(bars.count())]
    assert buttons >= 3, f"only {buttons} widget buttons rendered in {relative}"
    assert repr_shown == 0, "the widget's text repr is shown beside or instead of the widget"
    assert widths and set(widths) == {"100%"}, f"progress bars not rendered at their end: {widths}"
