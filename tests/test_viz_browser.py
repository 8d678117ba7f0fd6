"""The app in a real browser: ``binnenstad viz`` is started as a server, Debian's Chromium (driven
by Playwright) opens the page with every request outside 127.0.0.1 blocked (offline), steps the
model, checks that the map and the charts change, that a changed setting is marked "press Reset
to apply" until Reset applies it (the active policies are listed above the map), that a run
plays to its end and shows it is complete (the play button shows play again), that Mesa's
internal controls are not on the page, that an impossible setting is a message, and that the
browser console logs no error; it saves screenshots.

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


def _serve(*extra: str):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "viz", "--town", "small",
                             "--port", str(port), "--no-open", *extra], env=env,
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
    return proc, url


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def server():
    proc, url = _serve()
    yield url
    _stop(proc)


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

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", only_local)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
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
            body = page.inner_text("body")
            for internal in ("Play Interval", "Render Interval", "Use Threads", "PAGE 0",
                             "Time: "):
                assert internal not in body, f"Mesa's control {internal!r} is on the page"
            active = page.locator(".binnenstad-active").inner_text()
            assert "Active policies: none" in active and "January 2013" in active

            # A changed setting: marked until Reset applies it.
            page.get_by_text("Space and stock").click()
            page.get_by_text("compaction", exact=True).click()
            pending = page.locator(".binnenstad-pending")
            pending.wait_for(timeout=30_000)
            assert "policy compaction" in pending.inner_text()
            assert "press Reset to apply" in pending.inner_text()
            assert page.get_by_text("compaction (press Reset to apply)").count() == 1
            page.get_by_role("button", name="Reset", exact=True).click()
            page.wait_for_function(
                "document.querySelector('.binnenstad-active').innerText"
                ".includes('compaction (intensity 1)')", timeout=60_000)
            page.locator(".binnenstad-pending").wait_for(state="detached", timeout=30_000)
            assert "start of 2013: vacancy" in status.inner_text()

            # A run played to its end (a 1-year run: the future is set to a short horizon).
            page.evaluate("window.scrollTo(0, 0)")
            page.get_by_role("button", name="Play").click()
            page.wait_for_function(
                "document.querySelector('.binnenstad-status').innerText.startsWith('May')",
                timeout=60_000)
            page.get_by_role("button", name="Pause").click()
            page.get_by_role("button", name="Play").wait_for(timeout=30_000)

            # An impossible setting: a message on the page, not a stack trace.
            seed = page.get_by_label("random seed")
            seed.fill("abc")
            seed.press("Enter")
            page.get_by_role("button", name="Reset", exact=True).click()
            error = page.locator(".binnenstad-error")
            error.wait_for(timeout=60_000)
            message = error.inner_text()
            assert "random seed 'abc' is not a whole number; allowed: 0 or more" in message
            assert "Traceback" not in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "app_error.png"))
        finally:
            browser.close()
    assert outside == [], f"the page asked for files outside this computer: {outside[:3]}"
    assert errors == [], f"the browser console logged errors: {errors[:3]}"


def test_app_plays_a_run_to_its_end(server):
    """Another future runs over its own years (binnenstad_united from 2018); a one-year run
    plays to its last month; the page says it is complete and the play button shows play again
    (disabled); no error in the console."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server)
            status = page.locator(".binnenstad-status")
            status.wait_for(timeout=120_000)
            page.get_by_label("future (scenario)").click(force=True)
            page.get_by_role("option", name="binnenstad_united").click()
            page.get_by_text("years to simulate (from 2018)").wait_for(timeout=30_000)
            slider = page.get_by_role("slider").first
            slider.focus()
            slider.press("Home")  # one year
            page.get_by_role("button", name="Reset", exact=True).click()
            page.wait_for_function(
                "document.querySelector('.binnenstad-active').innerText.includes("
                "'January 2018 to December 2018 (1 years)')", timeout=60_000)
            page.get_by_role("button", name="Play").click()
            page.locator(".binnenstad-done").wait_for(timeout=120_000)
            assert "Run complete: 12 months" in page.locator(".binnenstad-done").inner_text()
            assert "December 2018" in status.inner_text()
            assert "run complete" in status.inner_text()
            play = page.get_by_role("button", name="Play")
            play.wait_for(timeout=30_000)  # not the pause icon of a finished run
            assert play.is_disabled()
            assert page.get_by_role("button", name="Step").is_disabled()
            assert page.get_by_role("button", name="Pause").count() == 0
        finally:
            browser.close()
    assert errors == [], f"the browser console logged errors: {errors[:3]}"
