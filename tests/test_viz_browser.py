"""The app in a real browser: ``binnenstad viz`` is started as a server, Debian's Chromium (driven
by Playwright) opens the page with every request outside 127.0.0.1 blocked (offline), steps the
model, checks that the map and the charts change, shows an impossible setting as a message, and
saves a screenshot.

CI installs ``chromium`` (``.ci/run``); the test skips only where no Chromium is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (apt-get install "
                                       "chromium; .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "viz", "--town", "small",
                             "--port", str(port), "--no-open"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"binnenstad viz exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("binnenstad viz did not answer within 120 s")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


#: JavaScript: what the map and the three charts show (their ECharts canvases as PNG data).
PICTURES = ("() => Array.from(document.querySelectorAll('.binnenstad-map, .binnenstad-chart'))"
            ".map(el => { const c = el.querySelector('canvas'); return c ? c.toDataURL() : ''; })")


#: JavaScript: what the map's and the charts' ECharts instances hold (title, points per series).
SHOWN = """() => Array.from(document.querySelectorAll('.binnenstad-map, .binnenstad-chart'))
  .map(el => {
    const find = vm => vm ? (vm.chart || vm.$children.map(find).find(Boolean)) : undefined;
    const chart = find(el.__vue__);
    if (!chart) return null;
    const o = chart.getOption();
    return {title: o.title[0].text, points: o.series.map(s => (s.data || []).length)};
  })"""


def _pictures(page) -> list[str]:
    return page.evaluate(PICTURES)


def _wait_drawn(page, title: str, points: int, timeout: float = 60.0) -> list:
    """Wait until the map's title is ``title`` and every line of the three charts has ``points``
    points (figures update one by one); return what is drawn, or fail with it."""
    deadline = time.monotonic() + timeout
    while True:
        shown = page.evaluate(SHOWN)
        if (len(shown) == 4 and all(shown) and shown[0]["title"] == title
                and all(c["points"] and set(c["points"]) == {points} for c in shown[1:])):
            return shown
        if time.monotonic() > deadline:
            pytest.fail(f"the browser did not draw {title!r} with {points} points: {shown}")
        time.sleep(0.25)


def test_app_in_browser_offline(server, tmp_path):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1")):
            route.continue_()
        else:  # the page must not need anything from the internet (no CDN)
            outside.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", only_local)
            page = context.new_page()
            page.goto(server)
            status = page.locator(".binnenstad-status")
            status.wait_for(timeout=120_000)
            assert "start of 2013: vacancy" in status.inner_text()
            assert _wait_drawn(page, "start of 2013 (month 0)", 1)
            before = _pictures(page)

            step = page.get_by_role("button", name="Step")
            step.click()
            page.wait_for_function(
                "document.querySelector('.binnenstad-status').innerText.startsWith('January')",
                timeout=60_000)
            step.click()
            page.wait_for_function(
                "document.querySelector('.binnenstad-status').innerText.startsWith('February')",
                timeout=60_000)
            text = status.inner_text()
            assert re.match(r"February 2013: vacancy \d+\.\d% \(\d+ of \d+ shop units empty\)",
                            text), text
            # map title = the month; every line of every chart: the start and two months
            assert _wait_drawn(page, "February 2013 (month 2)", 3)
            after = _pictures(page)
            assert len(after) == 4 and all(after), "expected the map and three charts"
            changed = [a != b for a, b in zip(after, before, strict=True)]
            assert all(changed), f"map and charts must look different after two steps: {changed}"
            page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
            assert (tmp_path / "app.png").stat().st_size > 10_000

            # An impossible setting: a message on the page, not a stack trace.
            seed = page.get_by_label("random seed")
            seed.fill("abc")
            seed.press("Enter")
            page.get_by_role("button", name="Reset").click()
            error = page.locator(".binnenstad-error")
            error.wait_for(timeout=60_000)
            message = error.inner_text()
            assert "random seed 'abc' is not a whole number; allowed: 0 or more" in message
            assert "Traceback" not in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "app_error.png"))
        finally:
            browser.close()
    assert outside == [], f"the page asked for files outside this computer: {outside[:3]}"
