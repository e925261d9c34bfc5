"""A class in one room: N students send sentences while the teacher's live map is open.

Starts the dashboard (``serve.dashboard``) with its own rooms file; a headless Chromium
opens the Classroom page, starts a room through the page, and keeps it open (the map
refreshes itself every 2 s). The students are core calls from separate processes
(``--processes``, each loading the pocket model once and running its share of students as
threads): each student sends ``--each`` sentences at random moments within ``--seconds``
through ``RoomStore.submit``, exactly what the Join page calls. Browsers for 40 students
would take the two cores from the server being measured.

The teacher's page is read every 0.25 s (the plotly figure's data in the DOM); a sentence
counts as shown when its text is on the map. Reports the time from Send (before the
submit call) to shown: median, p95, max; sentences lost (sent, never shown); refusals and
errors; the server's peak RSS.

    python benchmarks/room_load.py [--students 40] [--each 5] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load_server import percentile, rss_mb  # noqa: E402
from serve import chromium, dashboard  # noqa: E402

PHRASES = ["我爱你", "考试通过了", "我好想家", "好害怕", "I love this class", "so tired today",
           "航空公司弄丢了我的行李", "what a surprise", "我很生气", "our dog died"]  # fmt: skip


def students(args) -> None:
    """One process: load the model, wait for the start, run its students as threads."""
    rooms_file, code, start_at, first, count, each, seconds, out = args
    from core.models import load_encoder
    from core.rooms import RoomStore, reader

    store = RoomStore(rooms_file)
    read = reader(load_encoder("pocket"), store.room(code).label_set)
    lock = threading.Lock()  # one forward pass at a time per process (as one server thread)
    sent, problems = [], []

    def student(number: int) -> None:
        rng = random.Random(number)
        moments = sorted(rng.uniform(0, seconds) for _ in range(each))
        for i, moment in enumerate(moments):
            time.sleep(max(0.0, start_at + moment - time.time()))
            text = f"{rng.choice(PHRASES)} #{number}-{i}"
            began = time.time()
            try:
                with lock:
                    result = store.submit(code, [text], read, client=f"student-{number}")[0]
                if result.entry is None:
                    problems.append(f"refused: {result.reason}")
                else:
                    sent.append((text, began, time.time()))
            except Exception as error:  # noqa: BLE001 - counted and reported
                problems.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=student, args=(first + n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(out).write_text(json.dumps({"sent": sent, "problems": problems}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--each", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp())
    rooms_file = str(folder / "rooms.sqlite3")
    env = {"EMOTION_ATLAS_ROOMS": rooms_file}
    try:
        with dashboard(env=env) as (url, server), sync_playwright() as driver:
            browser = chromium(driver)
            teacher = browser.new_page(viewport={"width": 1280, "height": 720})
            teacher.goto(f"{url}/classroom", wait_until="domcontentloaded")
            teacher.get_by_role("button", name="Start a room").click(timeout=180_000)
            code = teacher.locator("[data-testid='stMarkdownContainer'] h1 code").inner_text(
                timeout=120_000
            )
            teacher.get_by_text("0 sentences").wait_for(timeout=120_000)
            start_at = time.time() + 40  # the student processes load the model meanwhile
            share = -(-args.students // args.processes)
            jobs = []
            for p in range(args.processes):
                count = min(share, args.students - p * share)
                out = str(folder / f"students_{p}.json")
                jobs.append((rooms_file, code, start_at, p * share, count, args.each,
                             args.seconds, out))  # fmt: skip
            context = multiprocessing.get_context("spawn")
            workers = [context.Process(target=students, args=(job,)) for job in jobs]
            for worker in workers:
                worker.start()
            seen: dict[str, float] = {}
            rss = []
            deadline = start_at + args.seconds + 30
            expected = args.students * args.each
            while time.time() < deadline and len(seen) < expected:
                data = teacher.evaluate(
                    "() => [...document.querySelectorAll('.js-plotly-plot')]"
                    ".map(p => JSON.stringify(p.data || [])).join(' ')"
                )
                now = time.time()
                for tag in re.findall(r"#(\d+-\d+)", data):  # "#student-sentence"
                    seen.setdefault(tag, now)
                rss.append(rss_mb(server.pid))
                time.sleep(0.25)
            for worker in workers:
                worker.join(60)
            exceptions = teacher.locator("[data-testid='stException']").count()
            browser.close()
        sent, problems = [], []
        for job in jobs:
            report = json.loads(Path(job[-1]).read_text())
            sent += report["sent"]
            problems += report["problems"]
        latencies, lost = [], 0
        for text, began, _ in sent:
            tag = text.rsplit("#", 1)[1]
            if tag in seen:
                latencies.append(seen[tag] - began)
            else:
                lost += 1
        submit = [done - began for _, began, done in sent]
        print(f"## {args.students} students × {args.each} sentences within {args.seconds:.0f} s")
        print(
            f"sent {len(sent)} of {expected}; Send → on the teacher's map: median "
            f"{statistics.median(latencies):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s; lost {lost}; submit call median "
            f"{statistics.median(submit) * 1000:.0f} ms; refusals/errors {len(problems)}; "
            f"error boxes on the teacher's page {exceptions}; server RSS peak {max(rss):.0f} MB"
        )
        for problem in sorted(set(problems))[:5]:
            print("  ", problem)
    finally:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
