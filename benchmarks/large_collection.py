"""Large collections: the local and the Ray engine on real files, faults, a 100,000-point atlas.

    python benchmarks/large_collection.py render 5000 /tmp/large/five      # the pictures
    python benchmarks/large_collection.py engines /tmp/large/five          # local vs Ray 1, 2
    python benchmarks/large_collection.py fault /tmp/large/five            # kills, then reruns
    python benchmarks/large_collection.py atlas /tmp/large/all.parquet     # fit, draw, zoom
    python benchmarks/large_collection.py costs                            # decode vs model

Pictures are the bundled gallery plus new renders of the pocket model's own kinds (emoji
in two font designs, procedural mood scenes), written as PNG files. Every figure is printed
as one JSON line; memory is the summed RSS of the process and all its descendants (the Ray
processes too), sampled every 0.1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.defaults import GALLERY_IMAGES  # noqa: E402


def _render_range(job: tuple[str, int, int]) -> int:
    from core.pocket.data import vocabulary
    from core.pocket.render import SCENE_IDS, render_emoji, render_scene

    folder, start, stop = job
    chars = [entry.char for entry in vocabulary()]
    for index in range(start, stop):
        rng = random.Random(index)
        picture = (
            render_scene(rng.choice(SCENE_IDS), rng)
            if index % 3 == 2
            else render_emoji([rng.choice(chars)], rng)
        )
        picture.save(Path(folder) / f"render_{index:07d}.png")
    return stop - start


def command_render(args) -> None:
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    gallery = [] if args.first else sorted(GALLERY_IMAGES.iterdir())[: args.count]
    for path in gallery:
        shutil.copy(path, folder / path.name)
    first, count = args.first, args.count - len(gallery)
    step = 500
    jobs = [
        (str(folder), a, min(a + step, first + count)) for a in range(first, first + count, step)
    ]
    with Pool(os.cpu_count() or 1) as pool:
        made = sum(pool.imap_unordered(_render_range, jobs))
    seconds = time.perf_counter() - started
    print(json.dumps({"rendered": made, "copied": len(gallery), "seconds": round(seconds, 1)}))


class PeakMemory:
    """Peak summed RSS (MiB) of this process and every descendant, sampled in a thread."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _tree_rss(root: int) -> float:
        parents, rss = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
                rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                continue
        total, family = 0, {root}
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if parent in family and pid not in family:
                    family.add(pid)
                    changed = True
        for pid in family:
            total += rss.get(pid, 0)
        return total / 2**20

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss(os.getpid()))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def _timed_ray(folder: Path, encoder, workers: int, batch_size: int):
    """One Ray run, its phases timed: start-up (Ray, then the first batch back)."""
    import ray

    from core.scale import embed_paths_on_ray

    marks = {"start": time.perf_counter()}
    first = []

    def progress(done: int, total: int) -> None:
        if done and not first and ray.is_initialized():
            first.append(time.perf_counter())

    with PeakMemory() as memory:
        result = embed_paths_on_ray(
            [folder], encoder, "pocket", workers=workers, batch_size=batch_size, progress=progress
        )
    marks["end"] = time.perf_counter()
    return result, marks, first[0] if first else marks["end"], memory.peak


def command_engines(args) -> None:
    from core.embedding import embed_paths
    from core.models import load_encoder

    folder = Path(args.folder)
    encoder = load_encoder("pocket")
    with PeakMemory() as memory:
        started = time.perf_counter()
        local = embed_paths([folder], encoder, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
    rows = {
        "local": {
            "items": len(local),
            "seconds": round(seconds, 1),
            "items_per_s": round(len(local) / seconds, 1),
            "peak_rss_mib": round(memory.peak),
        }
    }
    print(json.dumps({"local": rows["local"]}), flush=True)
    for workers in args.workers:
        result, marks, first, peak = _timed_ray(folder, encoder, workers, args.batch_size)
        total = marks["end"] - marks["start"]
        steady = marks["end"] - first
        cosines = np.sum(result.vectors * local.vectors, axis=1)
        rows[f"ray, {workers} workers"] = row = {
            "items": len(result),
            "seconds": round(total, 1),
            "items_per_s": round(len(result) / total, 1),
            "start_to_first_batch_s": round(first - marks["start"], 1),
            "items_per_s_after_first_batch": round((len(result) - args.batch_size) / steady, 1)
            if steady > 0
            else None,
            "peak_rss_mib": round(peak),
            "same_names": result.names == local.names,
            "least_cosine_to_local": round(float(cosines.min()), 7),
        }
        print(json.dumps({f"ray, {workers} workers": row}), flush=True)
    print(json.dumps(rows))


def ray_workers() -> list[int]:
    """Process ids of this machine's Ray Data encoder workers (from their process titles)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"MapWorker" in title and b"EncoderActor" in title:
                found.append(int(entry.name))
    return found


def command_fault(args) -> None:
    from core.embedding import embed_paths
    from core.models import load_encoder

    folder = Path(args.folder)
    encoder = load_encoder("pocket")
    expected = embed_paths([folder], encoder)
    if not args.whole_run_only:
        _kill_a_worker(folder, encoder, expected)
    _kill_the_run(folder, expected, args.parts)


def _kill_a_worker(folder: Path, encoder, expected) -> None:
    from core.scale import embed_paths_on_ray

    killed, parts = [], []

    def kill_one(done: int, total: int) -> None:
        if not killed and done >= total // 3:
            workers = ray_workers()
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(done)

    result = embed_paths_on_ray(
        [folder], encoder, "pocket", workers=2, batch_size=32, progress=kill_one, sink=parts.append
    )
    written = [name for part in parts for name in part.names]
    worker = {
        "killed_after_items": killed[0] if killed else None,
        "items": len(expected),
        "lost": len(set(expected.names) - set(result.names)),
        "duplicated": len(written) - len(set(written)),
        "least_cosine_to_local": round(
            float(np.sum(result.vectors * expected.vectors, axis=1).min()), 7
        ),
    }
    print(json.dumps({"worker killed": worker}), flush=True)


def _kill_the_run(folder: Path, expected, parts_before_kill: int) -> None:
    from core.store import read_store

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "store.parquet"
        cache = Path(scratch) / "cache"
        env = {**os.environ, "EMOTION_ATLAS_CACHE": str(cache)}
        command = [sys.executable, "-m", "core", "embed", str(folder), "--engine", "ray"]
        command += ["--workers", "2", "--out", str(out)]
        running = subprocess.Popen(
            command, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.DEVNULL
        )
        parts_folder = Path(str(out) + ".parts")
        while running.poll() is None:
            if parts_folder.is_dir() and len(list(parts_folder.glob("part-*"))) > parts_before_kill:
                break
            time.sleep(0.05)
        if running.poll() is not None:
            raise SystemExit("the run ended before it could be killed: lower --parts")
        os.killpg(running.pid, signal.SIGKILL)
        running.wait()
        ray_command = Path(sys.executable).with_name("ray")  # what a killed driver left
        subprocess.run([str(ray_command), "stop", "--force"], capture_output=True, check=False)
        kept = len(read_store(out))
        started = time.perf_counter()
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        final = read_store(out)
        import pyarrow.parquet as pq

        rows = pq.read_table(out).num_rows
        run = {
            "rows_kept_from_killed_run": kept,
            "second_run": again.stdout.strip().split(" with ")[0],
            "second_run_seconds": round(seconds, 1),
            "final_rows": rows,
            "lost": len(set(expected.names) - set(final.names)),
            "duplicated": rows - len(set(final.names)) - len(final.rejected),
        }
    print(json.dumps({"whole run killed and restarted": run}))


def command_atlas(args) -> None:
    from core.atlas import build_atlas
    from core.emotions import LABEL_SETS
    from core.export import atlas_html, write_file
    from core.images import load_image_file, thumbnail_webp
    from core.models import load_encoder
    from core.plots import atlas_figure, legible_rows
    from core.store import read_store

    started = time.perf_counter()
    embeddings = read_store(args.store, kinds=("image",))
    read_seconds = time.perf_counter() - started
    encoder = load_encoder("pocket")
    with PeakMemory() as memory:
        started = time.perf_counter()
        atlas = build_atlas(embeddings, encoder, LABEL_SETS["parrott6"], method=args.method)
        fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rows = legible_rows(atlas.coords, embeddings.kinds)
    thumbnails = [None] * len(embeddings)
    for row in rows:
        picture = load_image_file(embeddings.names[row]).image
        thumbnails[row] = thumbnail_webp(picture, 64)
    figure = atlas_figure(
        atlas.coords, embeddings.names, embeddings.kinds, atlas.top, thumbnails=thumbnails
    )
    html = atlas_html(figure, "Emotion Atlas")
    figure_seconds = time.perf_counter() - started
    out = Path(tempfile.mkdtemp()) / "atlas.html"
    write_file(out, html.encode() if isinstance(html, str) else html)
    row = {
        "items": len(embeddings),
        "read_store_s": round(read_seconds, 2),
        "fit_s": round(fit_seconds, 1),
        "fit_peak_rss_mib": round(memory.peak),
        "landmarks": next((n for n in atlas.projector.notices_ if "landmarks" in n), ""),
        "trustworthiness_on_sample": round(atlas.quality["trustworthiness"], 3),
        "sampled": atlas.quality.get("sampled"),
        "thumbnails": len(rows),
        "figure_and_html_s": round(figure_seconds, 1),
        "html_mb": round(out.stat().st_size / 2**20, 1),
    }
    row.update(_browser_timings(out))
    print(json.dumps(row))


def _browser_timings(page_file: Path) -> dict:
    """First draw, a zoom and a selection of the exported atlas in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        started = time.perf_counter()
        page.goto(page_file.as_uri())
        page.wait_for_function(
            "() => { const p = document.querySelector('.js-plotly-plot');"
            " return p && p._fullLayout && p.querySelector('canvas'); }",
            timeout=120_000,
        )
        first_draw = time.perf_counter() - started
        timings = {"browser_first_draw_s": round(first_draw, 2)}
        for name, change in (
            ("zoom", "Plotly.relayout(p, {'xaxis.range': [r[0] / 4, r[1] / 4]})"),
            ("select", "Plotly.restyle(p, {selectedpoints: [[0, 1, 2, 3, 4, 5, 6, 7]]}, [0])"),
        ):
            seconds = page.evaluate(
                "async () => { const p = document.querySelector('.js-plotly-plot');"
                " const r = p._fullLayout.xaxis.range; const t = performance.now();"
                f" await {change}; return (performance.now() - t) / 1000; }}"
            )
            timings[f"browser_{name}_s"] = round(seconds, 2)
        browser.close()
    return timings


def command_costs(args) -> None:
    """Where a worker's time goes, per picture: decoding a photo-sized JPEG versus the
    model (the pocket model, and ViT-B-32 at random init: the same computation as the
    pretrained one), with 1 and 2 threads."""
    import io

    import torch
    from PIL import Image

    from core.images import decode_image
    from core.models import load_encoder

    rng = np.random.default_rng(0)
    base = np.asarray(Image.open(sorted(GALLERY_IMAGES.iterdir())[-1]).convert("RGB"))
    photo = Image.fromarray(base).resize((1024, 768), Image.Resampling.BICUBIC)
    noisy = np.clip(np.asarray(photo, np.int16) + rng.integers(-12, 12, (768, 1024, 3)), 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(noisy.astype(np.uint8)).save(buffer, format="JPEG", quality=90)
    jpeg = buffer.getvalue()
    rows = {"jpeg_kb": round(len(jpeg) / 1024)}
    for name in ("pocket", "ViT-B-32@random"):
        encoder = load_encoder(name, speedup="fp32")
        for threads in (1, 2):
            torch.set_num_threads(threads)
            started = time.perf_counter()
            pixels = [encoder.preprocess(decode_image(jpeg, "p.jpg").image) for _ in range(32)]
            decode = (time.perf_counter() - started) / 32
            batch = torch.stack(pixels)
            encoder.encode_pixels(batch)  # warm
            times = []
            for _ in range(3):
                started = time.perf_counter()
                encoder.encode_pixels(batch)
                times.append((time.perf_counter() - started) / 32)
            model = float(np.median(times))
            rows[f"{name}, {threads} threads"] = {
                "decode_and_preprocess_ms": round(decode * 1000, 1),
                "encode_ms": round(model * 1000, 1),
                "pictures_per_s": round(1 / (decode + model), 1),
            }
            print(json.dumps({f"{name}, {threads} threads": rows[f"{name}, {threads} threads"]}))
    print(json.dumps(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render")
    render.add_argument("count", type=int)
    render.add_argument("folder")
    render.add_argument(
        "--first",
        type=int,
        default=0,
        help="number of the first render (from 1 on, no gallery copies)",
    )
    render.set_defaults(run=command_render)
    engines = commands.add_parser("engines")
    engines.add_argument("folder")
    engines.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    engines.add_argument("--batch-size", type=int, default=32)
    engines.set_defaults(run=command_engines)
    fault = commands.add_parser("fault")
    fault.add_argument("folder")
    fault.add_argument("--parts", type=int, default=20, help="parts written before the kill")
    fault.add_argument("--whole-run-only", action="store_true", help="skip the worker kill")
    fault.set_defaults(run=command_fault)
    costs = commands.add_parser("costs")
    costs.set_defaults(run=command_costs)
    atlas = commands.add_parser("atlas")
    atlas.add_argument("store")
    atlas.add_argument("--method", default="lle")
    atlas.set_defaults(run=command_atlas)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
