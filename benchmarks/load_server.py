"""Many users on one server: N real browser sessions change the Atlas's k once a second.

Starts ``streamlit run app.py`` on a free localhost port (nothing else is contacted),
opens N Chromium pages on /atlas, and for ``--seconds`` seconds each page moves its own k
slider one step a second (each user asks for maps nobody else asks for). Meanwhile a
thread asks ``/_stcore/health`` twice a second and another samples the server's RSS.

Reports, per run: health-check latency (median, p95, max), per-change time from the key
press to the user's own map showing that k (median, p95; changes overtaken by the next
one within the second are counted apart), the final map of every user (must show the k
that user chose last), error boxes seen, and the server's peak RSS.

    python benchmarks/load_server.py --users 6 12 [--seconds 60]

Needs Chromium (``apt-get install chromium``) and Playwright (requirements-dev).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Sampler:
    """Health latency and server RSS, sampled in background threads."""

    def __init__(self, url: str, pid: int) -> None:
        self.url, self.pid = url, pid
        self.health: list[float] = []
        self.health_failures = 0
        self.rss: list[float] = []
        self._stop = threading.Event()

    def _health(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=10) as reply:  # noqa: S310 - localhost
                    reply.read()
                self.health.append(time.perf_counter() - started)
            except OSError:
                self.health_failures += 1
            self._stop.wait(0.5)

    def _memory(self) -> None:
        while not self._stop.is_set():
            self.rss.append(rss_mb(self.pid))
            self._stop.wait(0.5)

    def __enter__(self) -> Sampler:
        self._threads = [
            threading.Thread(target=f, daemon=True) for f in (self._health, self._memory)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


async def user(browser, url: str, index: int, seconds: float, results: dict) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 720})
    await page.goto(f"{url}/atlas", wait_until="domcontentloaded")
    title = page.locator(".js-plotly-plot .gtitle").first
    await title.wait_for(timeout=180_000)
    slider = page.locator("[data-testid='stSlider'] input[type='range']").first
    await slider.focus()
    for _ in range(index % 6):  # users start on different k
        await slider.press("ArrowRight")
    latencies, overtaken, errors = [], 0, 0
    pending: list[tuple[int, float]] = []  # (k asked for, when), oldest first
    direction = "ArrowRight"
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        value = int(await slider.input_value())
        maximum = int(await slider.get_attribute("max"))
        if value >= maximum - 1:
            direction = "ArrowLeft"
        elif value <= 4:
            direction = "ArrowRight"
        await slider.press(direction)
        wanted = int(await slider.input_value())
        pending.append((wanted, time.perf_counter()))
        while time.perf_counter() - started < 1.0:
            text = await title.text_content(timeout=5_000) or ""
            for position, (k, asked) in enumerate(pending):
                if f"k = {k}" in text:  # this change is on screen; older ones never will be
                    latencies.append(time.perf_counter() - asked)
                    overtaken += position
                    pending = pending[position + 1 :]
                    break
            await asyncio.sleep(0.05)
        errors += await page.locator(
            "[data-testid='stException'], [data-testid='stAlertContentError']"
        ).count()
    final_started = time.perf_counter()
    final_ok = False
    while time.perf_counter() - final_started < 60:
        text = await title.text_content(timeout=5_000)
        if text and f"k = {wanted}" in text:
            final_ok = True
            break
        await asyncio.sleep(0.2)
    results[index] = {
        "latencies": latencies,
        "overtaken": overtaken,
        "errors": errors,
        "final_ok": final_ok,
        "final_wait": time.perf_counter() - final_started,
    }
    await page.close()


async def drive(url: str, users: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    results: dict = {}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        await asyncio.gather(*(user(browser, url, i, seconds, results) for i in range(users)))
        await browser.close()
    return results


def one_run(users: int, seconds: float) -> None:
    port = free_port()
    env = dict(os.environ, EMOTION_ATLAS_CACHE=os.environ.get("EMOTION_ATLAS_CACHE", ""))
    if not env["EMOTION_ATLAS_CACHE"]:
        env.pop("EMOTION_ATLAS_CACHE")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with Sampler(url, server.pid) as sampler:
            results = asyncio.run(drive(url, users, seconds))
    finally:
        server.terminate()
        server.wait(timeout=60)
    latencies = [v for r in results.values() for v in r["latencies"]]
    health = sampler.health
    print(f"## {users} users, k changed once a second for {seconds:.0f} s")
    print(
        f"health: median {statistics.median(health):.3f} s, p95 {percentile(health, 0.95):.3f} s, "
        f"max {max(health):.3f} s over {len(health)} checks, {sampler.health_failures} failed"
    )
    if latencies:
        print(
            f"change → own map: median {statistics.median(latencies):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s ({len(latencies)} changes shown; "
            f"{sum(r['overtaken'] for r in results.values())} overtaken by a later one)"
        )
    finals = [r["final_wait"] for r in results.values()]
    print(
        f"final map shows each user's own last k: {sum(r['final_ok'] for r in results.values())}"
        f"/{users} (slowest after {max(finals):.1f} s); error boxes seen: "
        f"{sum(r['errors'] for r in results.values())}; server RSS peak {max(sampler.rss):.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[6, 12])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    if CHROMIUM is None:
        print("needs Chromium: apt-get install chromium", file=sys.stderr)
        return 2
    for users in args.users:
        one_run(users, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
