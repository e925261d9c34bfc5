"""Dashboard latency in a real browser (Debian Chromium driven by Playwright).

    python benchmarks/app_timing.py [--runs 3] [--cold] [--from-home]

For each run: start ``streamlit run app.py`` on a free port, open ``/atlas`` and time until
the atlas plot is drawn (from the process start); then press → on the k slider and time
until the plot's title shows the new k. ``--cold`` gives each run an empty embedding cache
(as on a fresh machine); by default the cache is warm after the first run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import settle  # noqa: E402

MAP_POINTS = ".js-plotly-plot .scatterlayer .trace .point"  # the map's (not a waiting frame)
QUIET = 0.3  # seconds without a running script that count as "drawn"

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_run(cache: str, from_home: bool = False) -> tuple[float, float]:
    with tempfile.TemporaryFile() as log:  # the server's log, shown if no map comes
        return _timed_run(cache, from_home, log)


def _timed_run(cache: str, from_home: bool, log) -> tuple[float, float]:
    port = free_port()
    env = dict(os.environ, EMOTION_ATLAS_CACHE=cache)
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py"]
        + ["--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            for _ in range(240):
                try:
                    page.goto(f"http://127.0.0.1:{port}/{'' if from_home else 'atlas'}")
                    break
                except Exception:  # server not listening yet
                    time.sleep(0.25)
            if from_home:  # the navigation's Atlas link, as a visitor clicks it
                page.locator("[data-testid='stSidebarNavLink']").nth(1).click(timeout=180_000)
            try:
                page.wait_for_selector(MAP_POINTS, timeout=90_000)
            except Exception:  # say what the page shows instead
                shot = Path(tempfile.gettempdir()) / "app_timing_failure.png"
                page.screenshot(path=str(shot))
                error = page.locator("[data-testid='stException']")
                shown = error.first.inner_text() if error.count() else page.inner_text("body")
                log.seek(0)
                server_log = log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(
                    f"no map after 90 s ({shot}): {shown[-800:]}\nserver log:\n{server_log}"
                ) from None
            first_plot = time.perf_counter() - started
            settle(page, 180, QUIET)
            slider = page.locator("[data-testid='stSlider'] input[type='range']").first
            slider.focus()
            changed = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(100)
            settle(page, 60, QUIET)  # the map may keep its title: auto_k can raise k past 13
            rerender = time.perf_counter() - changed - QUIET
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return first_plot, rerender


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--from-home", action="store_true", help="open Home, click Atlas")
    args = parser.parse_args()
    warm_cache = tempfile.mkdtemp()
    firsts, rerenders = [], []
    for run in range(args.runs):
        cache = tempfile.mkdtemp() if args.cold else warm_cache
        first, rerender = one_run(cache, args.from_home)
        firsts.append(first)
        rerenders.append(rerender)
        print(f"run {run + 1}: first atlas plot {first:.1f} s, re-render after k {rerender:.2f} s")
    print(
        f"median first plot {statistics.median(firsts):.1f} s (min {min(firsts):.1f}, "
        f"max {max(firsts):.1f}); median re-render {statistics.median(rerenders):.2f} s "
        f"(min {min(rerenders):.2f}, max {max(rerenders):.2f}); runs={args.runs}, "
        f"cache={'cold' if args.cold else 'warm after run 1'}, "
        f"first visit: {'Home, then the Atlas link' if args.from_home else '/atlas deep link'}"
    )


if __name__ == "__main__":
    main()
