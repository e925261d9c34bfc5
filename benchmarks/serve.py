"""Start the dashboard the way the README does, on a free localhost port, and stop it.

One helper for every script and test that needs a real server (the load benchmark, the
browser tests): ``streamlit run app.py`` bound to 127.0.0.1, waited for until its health
endpoint answers.

    with dashboard(env={"EMOTION_ATLAS_CACHE": path}, log=path) as (url, process):
        ...
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:  # noqa: S310 - localhost
                if reply.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


@contextlib.contextmanager
def dashboard(env: dict | None = None, log: str | os.PathLike | None = None, args=()):
    """Yield ``(url, process)`` of a running dashboard; stopped (and waited for) on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", *args]  # fmt: skip
    with open(log or os.devnull, "w") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
        )
    try:
        wait_healthy(url)
        yield url, process
    finally:
        process.terminate()
        # a server that will not stop (a non-daemon background thread) fails the caller here
        process.wait(timeout=60)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium(driver):
    """Headless Chromium (the system's; Playwright's own download does not work here),
    with a fresh, empty profile of Playwright's own."""
    return driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
