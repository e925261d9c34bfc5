"""One real browser: `streamlit run app.py` on a free localhost port, headless Chromium
driven by Playwright to the Atlas page; the plot must render and no error box appear.

Skipped with a reason when Chromium or Playwright is missing (``.ci/run`` installs both).
The screenshot lands in ``$EMOTION_ATLAS_SCREENSHOTS`` (default: the test's temp folder).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
# Slow (a server start and a browser): run by `make test-slow`, which .ci/run runs too.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="apt-get install chromium"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = dict(os.environ, EMOTION_ATLAS_CACHE=str(tmp_path_factory.mktemp("cache")))
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    started = time.perf_counter()
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", started
    finally:
        process.terminate()
        # a server that will not stop (a non-daemon background thread) fails the run here
        process.wait(timeout=30)


def _navigation(page) -> list[str]:
    links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    return [link.split("\n")[-1].strip() for link in links]


def test_atlas_renders_in_a_real_browser(server, tmp_path):
    url, started = server
    shots = Path(os.environ.get("EMOTION_ATLAS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as driver:
        # Playwright starts Chromium headless with a fresh, empty profile of its own.
        browser = driver.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/atlas", wait_until="domcontentloaded")
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=120_000)
        first_plot = time.perf_counter() - started
        page.wait_for_timeout(1500)  # let thumbnails and fonts settle for the screenshot
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stAlertContentError']").count() == 0
        assert page.get_by_text("Emotion atlas").first.is_visible()
        assert page.locator(".js-plotly-plot .layer-above image").count() > 100  # thumbnails
        # The first visit of a fresh server came by deep link: the navigation still names
        # the app's pages (not its file names) in the page's language.
        assert _navigation(page) == ["Home", "Atlas", "Transfer", "Classify", "Learn LLE", "Export"]
        page.screenshot(path=str(shots / "atlas.png"))
        chinese = browser.new_page(viewport={"width": 1280, "height": 720})
        chinese.goto(f"{url}/export?lang=zh", wait_until="domcontentloaded")
        chinese.wait_for_selector("[data-testid='stDownloadButton']", timeout=120_000)
        assert _navigation(chinese) == [
            "首页",
            "情绪地图",
            "情绪迁移",
            "情绪分类",
            "学习 LLE",
            "导出",
        ]
        assert chinese.locator("[data-testid='stAlertContentError']").count() == 0
        chinese.screenshot(path=str(shots / "export_zh.png"))
        browser.close()
    print(f"first atlas plot after {first_plot:.1f} s from `streamlit run`")
