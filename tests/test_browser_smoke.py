"""A learner's first minutes, in a real browser: JupyterLab, chapter 1, Run All Cells, no error.

Starts JupyterLab headless (free port, token, temporary Jupyter dirs) on a copy of chapter 1's
*solution* notebook (autograder/source, so every exercise cell runs), opens it in headless Chromium
(Debian's ``chromium``, driven by Playwright with ``executable_path``: Playwright never downloads a
browser), runs all cells from the Run menu, waits until the kernel is idle, and asserts that no cell
shows an error. The screenshot is kept in ``test-artifacts/`` (git-ignored).

Skips, saying why, where chromium is not installed (``apt-get install chromium``; ``.ci/run`` does it in CI).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course_tools import ARTIFACTS, COURSE, chapters, notebook_env, source_notebook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it in CI)"
)

LOAD_TIMEOUT_MS = 120_000
RUN_TIMEOUT_MS = 240_000

# Every code cell has run (a number in its prompt) and none is running, or a cell failed and
# Run All stopped there; and the kernel is idle.
FINISHED_JS = r"""() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent.trim());
  if (prompts.length === 0 || prompts.some(p => p.includes('*'))) return false;
  const status = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
  if (status && status.getAttribute('data-status') && status.getAttribute('data-status') !== 'idle') return false;
  const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  const errors = [...document.querySelectorAll(stderr)]
    .filter(e => /Traceback|^\w*(Error|Exception)\b/m.test(e.textContent));
  return prompts.every(p => /\[\d+\]/.test(p)) || errors.length > 0;
}"""

ERROR_PATTERN = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b.*$", re.M)


def wait_for_connected_kernel(base: str, token: str, timeout: float = LOAD_TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as r:
            kernels = [s["kernel"] for s in json.load(r)]
        if any(k["execution_state"] == "idle" and k.get("connections", 0) > 0 for k in kernels):
            return
        time.sleep(0.3)
    pytest.fail(f"the notebook's kernel did not start and connect within {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """(base URL, token, folder it serves): JupyterLab on a free port, stopped afterwards."""
    port, token = free_port(), "tl-smoke-" + tmp_path.name[-8:].replace("_", "")
    served = tmp_path / "lab"
    served.mkdir()
    # Its own Jupyter config: no news prompt over the page, and every cell kept in the DOM (no windowing).
    config = tmp_path / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
    tracker = config / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = notebook_env(TL_REFERENCE_DIR=str(COURSE / "reference"), JUPYTER_CONFIG_DIR=str(config))
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}", "--allow-root",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.3)
        yield base, token, served
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_chapter_1_runs_all_cells_in_jupyterlab(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    found = chapters()
    if not found:
        pytest.skip("no chapter under autograder/source/")
    base, token, served = lab
    notebook = source_notebook(found[0])
    shutil.copy2(notebook, served / notebook.name)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"browser_smoke_{Path(notebook.name).stem}.png"

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/{notebook.name}?token={token}", timeout=LOAD_TIMEOUT_MS)
            page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=LOAD_TIMEOUT_MS)
            # Run All only once the kernel is up and this page is connected to it (the toolbar says
            # "idle" a moment too early: cells run then are silently dropped).
            wait_for_connected_kernel(base, token)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.wait_for_function(FINISHED_JS, timeout=RUN_TIMEOUT_MS, polling=500)

            prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()
            stderr = page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
            outputs = "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_inner_texts())
        finally:
            page.screenshot(path=str(screenshot))
            browser.close()

    errors = [t for t in stderr if ERROR_PATTERN.search(t)]
    assert not errors, f"error output in {notebook.name} (screenshot: {screenshot}):\n" + "\n---\n".join(
        t[-1500:] for t in errors)
    not_run = [p for p in prompts if not re.search(r"\[\d+\]", p)]
    assert not not_run, f"{len(not_run)} of {len(prompts)} code cells did not run (screenshot: {screenshot})"
    assert "device = " in outputs, "the setup cell's environment report is missing"
    assert screenshot.stat().st_size > 10_000
