"""How fast the app steps a town: ``python benchmarks/app_speed.py [--town medium] [--seconds 20]``.

Two measurements (issue 12 asks for >= 5 months per second on a medium town on 2 cores):

1. **Server side, headless**: the whole SolaraViz page rendered with ``solara.render`` (no
   browser); each frame = one model step + the re-draw of every component that Mesa's Step
   button triggers (map, key, three charts, status). Also the parts on their own.
2. **In the browser**: ``binnenstad viz`` as a server, Debian's Chromium (Playwright) presses
   Play, and the months the map has drawn (the title of its ECharts figure) are counted over
   ``--seconds``, with the play interval at its minimum (1 ms) and at the app's default; the
   render interval is 1 (every month is drawn). Skipped when no Chromium is installed.

Prints a table; ``--json PATH`` also writes the numbers. Load averages are recorded because other
processes may share the machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def headless(town: str, frames: int) -> dict:
    """Median time of a frame (step + re-draw) of the page rendered without a browser."""
    import solara
    from mesa.visualization.utils import force_update

    import sim.viz.app as page_module
    from sim.viz import components as c
    from sim.viz.model import VACANCY_SERIES, CentreApp

    os.environ[page_module.ENV_TOWN] = town
    _, rc = solara.render(page_module.Page(), handle_error=False)
    app = next(o for o in gc.get_objects() if isinstance(o, CentreApp) and o.sim is not None
               and o.settings.town == town)
    for _ in range(3):  # warm-up (first draws load fonts)
        app.step()
        force_update()
    times = []
    for _ in range(frames):
        t = time.perf_counter()
        app.step()
        force_update()
        times.append(time.perf_counter() - t)
    rc.close()
    frame = statistics.median(times)
    colours = dict.fromkeys(VACANCY_SERIES, "#000000")
    return {
        "frame_ms": 1000 * frame,
        "months_per_s": 1.0 / frame,
        "frames": frames,
        "step_ms": _median_ms(app.step, 20),
        "map_ms": _median_ms(lambda: json.dumps(c.map_option(app)), 10),
        "chart_ms": _median_ms(lambda: json.dumps(c.chart_option(app, VACANCY_SERIES, "v", "t",
                                                                 colours)), 10),
    }


#: JavaScript: the title the map's ECharts instance shows, e.g. "March 2014 (month 15)".
MAP_TITLE = """() => { const el = document.querySelector('.binnenstad-map');
  const find = vm => vm ? (vm.chart || vm.$children.map(find).find(Boolean)) : undefined;
  const chart = el && find(el.__vue__);
  return chart ? chart.getOption().title[0].text : ''; }"""


def _months_drawn(page) -> int | None:
    """Months of the state the map has drawn (not just the status text)."""
    m = re.search(r"\(month (\d+)\)", page.evaluate(MAP_TITLE))
    return int(m.group(1)) if m else None


def in_browser(town: str, seconds: float, fastest: bool = True) -> dict | None:
    """Months per second shown in Chromium while playing; ``fastest``: with the play interval
    set to its minimum (1 ms), else at the app's default."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "viz", "--town", town, "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            status = page.locator(".binnenstad-status")
            status.wait_for(timeout=120_000)
            if fastest:  # the first slider of the sidebar is Mesa's play interval
                slider = page.get_by_role("slider").first
                slider.focus()
                slider.press("Home")
            page.get_by_role("button", name="▶").click()
            time.sleep(1.0)  # let playing settle
            samples = []  # (time, months shown) until --seconds pass or the run completes
            t_end = time.perf_counter() + seconds
            while time.perf_counter() < t_end:
                samples.append((time.perf_counter(), _months_drawn(page)))
                if "run complete" in status.inner_text():
                    break
                time.sleep(0.2)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    samples = [(t, m) for t, m in samples if m is not None]
    (t0, m0), (t1, m1) = samples[0], samples[-1]
    # the first time the last count was shown (the run may have completed before the end)
    t1 = next(t for t, m in samples if m == m1)
    return {"months": m1 - m0, "seconds": t1 - t0, "months_per_s": (m1 - m0) / (t1 - t0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--town", default="medium")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    load0 = os.getloadavg()
    res = {"town": args.town, "cpus": os.cpu_count(), "python": platform.python_version(),
           "load_start": load0}
    res["headless"] = headless(args.town, args.frames)
    res["browser"] = in_browser(args.town, args.seconds)
    res["browser_default"] = in_browser(args.town, args.seconds, fastest=False)
    res["load_end"] = os.getloadavg()
    h, b, d = res["headless"], res["browser"], res["browser_default"]
    print(f"town {args.town}, {res['cpus']} CPUs, load average {load0[0]:.2f} -> "
          f"{res['load_end'][0]:.2f}")
    print(f"headless frame (step + re-draw): {h['frame_ms']:.0f} ms -> "
          f"{h['months_per_s']:.1f} months/s  [step {h['step_ms']:.1f} ms, map data "
          f"{h['map_ms']:.1f} ms, one chart's data {h['chart_ms']:.1f} ms]")
    if b is None:
        print("browser: skipped (no chromium)")
    else:
        print(f"browser, playing, play interval 1 ms: {b['months']} months in "
              f"{b['seconds']:.1f} s -> {b['months_per_s']:.1f} months/s")
        print(f"browser, playing, default play interval: {d['months']} months in "
              f"{d['seconds']:.1f} s -> {d['months_per_s']:.1f} months/s")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
