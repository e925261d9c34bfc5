"""What one user's upload of many large files costs the server, with the upload budget.

Starts the dashboard on a free localhost port (``serve.dashboard``), opens the Atlas page in
headless Chromium, and uploads ``--files`` files of ``--mb`` MB each at once through the
sidebar's uploader (incompressible bytes under a .png name: the budget acts on bytes, before
any decode). Prints the server's RSS before, its peak while the upload runs, and after; and
how many files the page says were not kept.

    python benchmarks/upload_budget.py [--files 10] [--mb 95]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_server import rss_mb  # noqa: E402
from serve import chromium, dashboard  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--mb", type=float, default=95)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    paths = []
    for index in range(args.files):
        path = folder / f"big_{index}.png"
        path.write_bytes(os.urandom(int(args.mb * 1024 * 1024)))
        paths.append(str(path))
    try:
        with dashboard() as (url, server), sync_playwright() as driver:
            browser = chromium(driver)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{url}/atlas", wait_until="domcontentloaded")
            page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=180_000)
            time.sleep(5)
            before = rss_mb(server.pid)
            peak, stop = [before], threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak.append(rss_mb(server.pid))
                    stop.wait(0.1)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(paths)
            notice = page.get_by_text("Not kept:")
            notice.wait_for(timeout=300_000)
            seconds = time.perf_counter() - started
            time.sleep(5)
            stop.set()
            sampler.join()
            after = rss_mb(server.pid)
            refused = notice.inner_text().split("Not kept: ")[1].split(".png")[:-1]
            print(
                f"{args.files} files × {args.mb:.0f} MB uploaded at once: server RSS before "
                f"{before:.0f} MB, peak {max(peak):.0f} MB (+{max(peak) - before:.0f}), after "
                f"{after:.0f} MB (+{after - before:.0f}); not kept: {len(refused)} files; "
                f"notice after {seconds:.1f} s"
            )
            browser.close()
    finally:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
