"""Many users on one server: N Streamlit sessions change the Atlas's k once a second.

Starts ``streamlit run app.py`` on a free localhost port (nothing else is contacted) and
opens N sessions the way a browser does, over Streamlit's websocket protocol (protobuf
BackMsg/ForwardMsg), without rendering: a browser per user would take the two cores
from the server being measured. Each session opens /atlas, then for ``--seconds``
seconds moves its own k slider one step a second (each user asks for maps nobody else
asks for). Meanwhile a thread asks ``/_stcore/health`` twice a second and another samples
the server's RSS.

Reports, per run: health-check latency (median, p95, max, failures), per-change time from
sending the new k to that session receiving its own map with that k (median, p95;
changes overtaken by a later one are counted apart), whether every session's last map
shows the k it chose last, error elements received, and the server's peak RSS.

    python benchmarks/load_server.py --users 6 12 [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import dashboard  # noqa: E402


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


ERRORS: dict[str, int] = {}  # error text -> times seen, over all sessions


def _element(message):
    if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
        return message.delta.new_element
    return None


class Session:
    """One user's websocket session: sends reruns, reads every message the server sends."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.page_hash = ""
        self.slider_id = ""
        self.title = ""  # the Atlas map's title as last received
        self.errors = 0
        self.finished = asyncio.Event()

    async def send(self, *, page_name: str = "", k: int | None = None) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        back = BackMsg()
        back.rerun_script.query_string = ""
        if page_name:
            back.rerun_script.page_name = page_name
        else:
            back.rerun_script.page_script_hash = self.page_hash
        if k is not None:
            state = back.rerun_script.widget_states.widgets.add()
            state.id = self.slider_id
            state.double_array_value.data.append(float(k))
        self.finished.clear()
        await self.socket.send(back.SerializeToString())

    async def read(self, on_title) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        async for data in self.socket:
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "navigation":
                for page in message.navigation.app_pages:
                    if page.url_pathname == "atlas":
                        self.page_hash = page.page_script_hash
            elif kind == "script_finished":
                self.finished.set()
            element = _element(message)
            if element is None:
                continue
            which = element.WhichOneof("type")
            if which == "slider" and element.slider.label in ("Neighbours k", "近邻数 k"):
                self.slider_id = element.slider.id
            elif which == "plotly_chart":
                title = json.loads(element.plotly_chart.spec).get("layout", {}).get("title", {})
                if " k = " in title.get("text", ""):
                    self.title = title["text"]
                    on_title(self.title)
            elif which == "exception" or (which == "alert" and element.alert.format == 1):
                self.errors += 1
                text = element.exception.message if which == "exception" else element.alert.body
                ERRORS[text[:160]] = ERRORS.get(text[:160], 0) + 1


async def user(url: str, index: int, seconds: float, results: dict) -> None:
    import websockets

    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None) as socket:
        session = Session(socket)
        pending: list[tuple[int, float]] = []  # (k asked for, when), oldest first
        latencies: list[float] = []
        overtaken = [0]

        def on_title(title: str) -> None:
            for position, (k, asked) in enumerate(pending):
                if title.endswith(f"k = {k}"):  # on screen; older changes never will be
                    latencies.append(time.perf_counter() - asked)
                    overtaken[0] += position
                    del pending[: position + 1]
                    return

        reader = asyncio.create_task(session.read(on_title))
        await session.send(page_name="atlas")  # a deep link, as a bookmark opens it
        await asyncio.wait_for(session.finished.wait(), 300)
        await session.send()  # through the app's navigation: the widget ids of later runs
        await asyncio.wait_for(session.finished.wait(), 300)
        k, step = 4 + index % 8, 1
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            k += step
            if not 4 <= k <= 30:
                step, k = -step, k - 2 * step
            pending.append((k, time.perf_counter()))
            await session.send(k=k)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
        final_started = time.perf_counter()
        while not session.title.endswith(f"k = {k}") and time.perf_counter() - final_started < 60:
            await asyncio.sleep(0.1)
        results[index] = {
            "latencies": latencies,
            "overtaken": overtaken[0],
            "errors": session.errors,
            "final_ok": session.title.endswith(f"k = {k}"),
            "final_wait": time.perf_counter() - final_started,
        }
        reader.cancel()


async def drive(url: str, users: int, seconds: float) -> dict:
    results: dict = {}
    await asyncio.gather(*(user(url, i, seconds, results) for i in range(users)))
    return results


def one_run(users: int, seconds: float, settle: float) -> None:
    with dashboard(log=os.environ.get("LOAD_LOG")) as (url, server):
        # A class joins a server that is already up: one visit, then its background
        # warm-up (UMAP's compilation) is given time to finish before the users arrive.
        asyncio.run(drive(url, 1, 0))
        time.sleep(settle)
        with Sampler(url, server.pid) as sampler:
            if os.environ.get("LOAD_DUMP"):  # where the server's threads are, 30 s after
                dump = os.environ["LOAD_DUMP"]
                record = ["py-spy", "record", "--pid", str(server.pid), "--duration", "30",
                          "--format", "raw", "--output", dump, "--threads"]  # fmt: skip
                threading.Timer(30, subprocess.run, [record]).start()
            results = asyncio.run(drive(url, users, seconds))
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
    for text, count in sorted(ERRORS.items(), key=lambda item: -item[1])[:5]:
        print(f"  {count} × {text}")
    ERRORS.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[6, 12])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=45, help="seconds between start and load")
    args = parser.parse_args()
    for users in args.users:
        one_run(users, args.seconds, args.settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
