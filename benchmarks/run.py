"""Speed, memory and scale of the whole pipeline, written to ``benchmarks/RESULTS.md``.

    python benchmarks/run.py            # the full run (about half an hour on 2 cores)
    python benchmarks/run.py --quick    # under a minute: every section, small sizes
    python benchmarks/run.py --only projection,cache --out /tmp/RESULTS.md

Sections: encoding speed (pocket and ViT-B-32 at random init, batch 1/16/64), pipeline
overhead (a folder end to end against the raw model forward), CPU speed-ups against fp32,
cold against warm embedding cache, projection scaling (time and peak memory per method and
size; landmark LLE up to 100,000 points), UMAP's cold start, and the dashboard's latency in
a real browser. Every figure is the median of at least three timed runs after a warm-up,
with min–max, unless the table says otherwise. Nothing here judges a figure except the
"Goals" table, which compares measured figures with the targets of the benchmark issue.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
from measure import (  # noqa: E402
    Timing,
    machine_lines,
    peak_memory_mb,
    reset_peak_memory,
    time_runs,
)

SECTIONS = ("encoding", "pipeline", "speedups", "cache", "projection", "umap", "app")
VIT = "ViT-B-32@random"


def fmt_rate(median: float, low: float, high: float) -> str:
    def one(value: float) -> str:
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"

    return f"{one(median)} ({one(low)}–{one(high)})"


def fmt_seconds(timing: Timing) -> str:
    return f"{timing.median:.2f} ({timing.low:.2f}–{timing.high:.2f})"


class Report:
    """Markdown sections and the goal rows, printed as they come and written at the end."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.parts: list[str] = []
        self.goals: list[tuple[str, str, str]] = []
        self.rerun: list[str] = []

    def section(self, title: str, lines: list[str]) -> None:
        text = "\n".join([f"## {title}", "", *lines, ""])
        print(text, flush=True)
        self.parts.append(text)

    def goal(self, goal: str, measured: str, reached: bool | None) -> None:
        verdict = {True: "reached", False: "**not reached**", None: "see note"}[reached]
        self.goals.append((goal, measured, verdict))


# --- data -------------------------------------------------------------------------------


def sentences(count: int | None = None) -> list[str]:
    from core.pocket.evaluate import load_sentences

    return [row["text"] for row in load_sentences()][:count]


def write_files(folder: Path, count: int) -> list[Path]:
    """``count`` distinct picture files: the gallery's, then freshly rendered PNGs."""
    from scaling_data import GALLERY, rendered_pictures

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sorted(GALLERY.iterdir())[:count]:
        paths.append(Path(shutil.copy(source, folder / source.name)))
    for index, picture in enumerate(rendered_pictures(count - len(paths), seed=1)):
        path = folder / f"render_{index:05d}.png"
        picture.save(path)
        paths.append(path)
    return paths


# --- 1. encoding ------------------------------------------------------------------------


def bench_encoding(report: Report, models: list[str], repeats: int) -> None:
    from scaling_data import gallery_pictures

    from core.models import load_encoder

    pictures, texts = gallery_pictures(), sentences()
    lines = [
        "Images/s from decoded PIL pictures (preprocessing + forward) and texts/s from "
        "strings (tokenising + forward), by batch size. Gallery pictures and the pocket "
        "evaluation sentences (English and Chinese).",
        "",
        "| model | batch | images/s | texts/s |",
        "|---|---|---|---|",
    ]
    for name in models:
        encoder = load_encoder(name, speedup="fp32")
        small = name == VIT
        for batch in (1, 16, 64):
            # fewer items where one run would take long: ViT at batch 1 runs ~15 images/s
            n_images = {1: 16, 16: 64, 64: 128} if small else {1: 64, 16: 232, 64: 232}
            n_texts = {1: 32, 16: 128, 64: 128} if small else {1: 105, 16: 210, 64: 210}
            images = pictures[: n_images[batch]]
            words = texts[: n_texts[batch]]
            image_time = time_runs(
                lambda e=encoder, i=images, b=batch: e.encode_images(i, batch_size=b), repeats
            )
            text_time = time_runs(
                lambda e=encoder, w=words, b=batch: e.encode_texts(w, batch_size=b), repeats
            )
            lines.append(
                f"| {encoder.model_id} | {batch} | {fmt_rate(*image_time.rate(len(images)))} | "
                f"{fmt_rate(*text_time.rate(len(words)))} |"
            )
    report.section("1. Encoding speed", lines)


# --- 1b. pipeline overhead --------------------------------------------------------------


def bench_pipeline(report: Report, models: list[str], repeats: int, files: int) -> None:
    import torch

    from core.embedding import embed_paths
    from core.images import load_image_file
    from core.models import load_encoder

    lines = [
        "End to end: `embed_paths` on a folder of distinct picture files (hash, read, decode, "
        "check, preprocess, encode; no cache). Raw forward: the model alone on the same "
        "pictures already decoded and preprocessed, same batch size. Overhead = end to end "
        "÷ raw − 1, both from the same run. *Prefetch* decodes the next batch in a worker "
        "thread while the model encodes the current one; *sequential* (the default) does not.",
        "",
        "| model | files | raw forward, images/s | end to end, prefetch | overhead | "
        "end to end, sequential | overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in models:
        encoder = load_encoder(name, speedup="fp32")
        count = files if name != VIT else min(files, 96)
        batch = 64 if name != VIT else 16
        with tempfile.TemporaryDirectory() as folder:
            paths = write_files(Path(folder), count)
            pixels = torch.stack([encoder.preprocess(load_image_file(p).image) for p in paths])

            def raw(pixels=pixels, encoder=encoder, batch=batch):
                for start in range(0, len(pixels), batch):
                    encoder.encode_pixels(pixels[start : start + batch])

            raw_time = time_runs(raw, repeats)
            timings = {}
            for prefetch in (True, False):

                def end_to_end(
                    prefetch=prefetch, encoder=encoder, batch=batch, folder=folder, count=count
                ):
                    result = embed_paths([folder], encoder, batch_size=batch, prefetch=prefetch)
                    assert len(result) == count, result.rejected

                timings[prefetch] = time_runs(end_to_end, repeats)
        overhead = {p: timings[p].median / raw_time.median - 1 for p in timings}
        lines.append(
            f"| {encoder.model_id} | {count} | {fmt_rate(*raw_time.rate(count))} | "
            f"{fmt_rate(*timings[True].rate(count))} | {overhead[True]:+.0%} | "
            f"{fmt_rate(*timings[False].rate(count))} | {overhead[False]:+.0%} |"
        )
        report.goal(
            f"pipeline overhead ≤ 15 % over raw forward ({encoder.model_id})",
            f"{overhead[False]:+.0%} sequential, the default ({overhead[True]:+.0%} with prefetch)",
            overhead[False] <= 0.15,
        )
    report.section("1b. Pipeline overhead", lines)


# --- 2. CPU speed-ups -------------------------------------------------------------------


def bench_speedups(
    report: Report, models: list[str], variants: tuple[str, ...], repeats: int
) -> None:
    import torch
    from scaling_data import gallery_pictures

    from core.models import load_encoder
    from core.speedups import with_speedup

    lines = [
        "Each variant against fp32 in the same run: images/s on preprocessed gallery pictures, "
        "texts/s on the evaluation sentences, the speed ratio to fp32, and the mean cosine "
        "between the variant's vectors and fp32's for the same inputs (1 = identical). "
        "*Setup* is the one-off cost of building the variant (export, quantisation, "
        "compilation of the first batches).",
        "",
        "| model | variant | setup s | images/s | × fp32 | cosine | texts/s | × fp32 | cosine |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for name in models:
        vit = name == VIT
        batch = 16 if vit else 64
        texts = sentences(64 if vit else 210)
        reference = load_encoder(name, speedup="fp32")
        reference = getattr(type(reference), "loaded", lambda e: e)(reference)
        pictures = gallery_pictures(32 if vit else 232)
        pixels = torch.stack([reference.preprocess(p) for p in pictures])

        def images(encoder, pixels=pixels, batch=batch):
            return np.concatenate(
                [encoder.encode_pixels(pixels[i : i + batch]) for i in range(0, len(pixels), batch)]
            )

        reference_images, reference_texts = images(reference), reference.encode_texts(texts)
        base = {}
        for variant in variants:
            started = time.perf_counter()
            try:
                encoder = with_speedup(load_encoder(name, speedup="fp32"), variant)
                # the pocket model loads its image tower on demand: time the model itself
                encoder = getattr(type(encoder), "loaded", lambda e: e)(encoder)
                got_images = images(encoder)  # the warm-up run: compilation happens here
                got_texts = encoder.encode_texts(texts, batch_size=batch)
            except Exception as error:  # noqa: BLE001  (a benchmark reports every failure)
                lines.append(f"| {name} | {variant} | unavailable: {str(error)[:80]} |||||||")
                continue
            setup = time.perf_counter() - started
            image_time = time_runs(lambda e=encoder: images(e), repeats, warmup=0)
            text_time = time_runs(
                lambda e=encoder, t=texts, b=batch: e.encode_texts(t, batch_size=b),
                repeats,
                warmup=0,
            )
            rates = (image_time.rate(len(pixels)), text_time.rate(len(texts)))
            if variant == "fp32":
                base = {"images": rates[0][0], "texts": rates[1][0]}
            image_cos = float(np.mean(np.sum(got_images * reference_images, axis=1)))
            text_cos = float(np.mean(np.sum(got_texts * reference_texts, axis=1)))
            ratios = (rates[0][0] / base["images"], rates[1][0] / base["texts"])
            results[(name, variant)] = (ratios, image_cos, text_cos)
            lines.append(
                f"| {reference.model_id} | {variant} | {setup:.1f} | {fmt_rate(*rates[0])} | "
                f"{ratios[0]:.2f} | {image_cos:.5f} | {fmt_rate(*rates[1])} | {ratios[1]:.2f} | "
                f"{text_cos:.5f} |"
            )
    kept = sorted(
        {v for (_, v), (_, ci, ct) in results.items() if min(ci, ct) >= 0.99 and v != "fp32"}
    )
    dropped = sorted({v for (_, v), (_, ci, ct) in results.items() if min(ci, ct) < 0.99})
    lines += [
        "",
        f"Agreement ≥ 0.99 on every model measured: {', '.join(kept) or 'none'}; "
        f"below: {', '.join(dropped) or 'none'}.",
    ]
    from core.speedups import MEASURED_DEFAULTS, cpu_has_bf16

    chosen = []
    for name in models:
        preset = name.split("@")[0].split("/")[0]
        default = MEASURED_DEFAULTS.get(preset, "fp32")
        if default == "bf16" and not cpu_has_bf16():
            default = "fp32"
        ratios = results.get((name, default), ((1.0, 1.0), 1.0, 1.0))[0]
        best = max(
            (v for (m, v) in results if m == name),
            key=lambda v, m=name: min(results[(m, v)][0]),
        )
        chosen.append(
            f"{preset}: default {default} ({ratios[0]:.2f}× images, {ratios[1]:.2f}× texts; "
            f"fastest on both towers here: {best})"
        )
    lines += ["", 'Default (`speedup="auto"`) by model: ' + "; ".join(chosen) + "."]
    report.goal(
        "speed-ups: options only with agreement ≥ 0.99; the best the CPU default if it wins "
        "clearly",
        f"kept {', '.join(kept) or 'none'}; " + "; ".join(chosen),
        None,
    )
    report.section("2. CPU speed-ups", lines)


# --- 3. cache ---------------------------------------------------------------------------


def bench_cache(report: Report, models: list[str], files: int, repeats: int) -> None:
    from core.cache import EmbeddingCache
    from core.embedding import embed_paths
    from core.models import load_encoder

    lines = [
        f"`embed_paths` over the same {files:,} distinct files: *cold* starts from an empty "
        "cache folder every run (decode + encode + write), *warm* finds every vector "
        "(hash + read). Seconds, median (min–max).",
        "",
        "| model | files | cold s | warm s | cold ÷ warm |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "pictures"
        write_files(folder, files)
        for name in models:
            encoder = load_encoder(name)
            # the whole model: the pocket model's shipped vectors of its gallery files would
            # count as cached, and this measures the cache
            encoder = getattr(type(encoder), "loaded", lambda e: e)(encoder)
            count = files
            subset = sorted(folder.iterdir())[:count]
            cache_root = Path(work) / "cache"

            def cold(subset=subset, encoder=encoder, cache_root=cache_root):
                shutil.rmtree(cache_root, ignore_errors=True)
                result = embed_paths(subset, encoder, cache=EmbeddingCache(cache_root))
                assert result.encoded == len(subset)

            def warm(subset=subset, encoder=encoder, cache_root=cache_root):
                result = embed_paths(subset, encoder, cache=EmbeddingCache(cache_root))
                assert result.encoded == 0

            cold_time = time_runs(cold, repeats, warmup=0)
            warm_time = time_runs(warm, repeats, warmup=0)
            ratio = cold_time.median / warm_time.median
            lines.append(
                f"| {encoder.model_id} | {count:,} | {fmt_seconds(cold_time)} | "
                f"{fmt_seconds(warm_time)} | {ratio:.0f}× |"
            )
            report.goal(
                f"warm cache ≥ 50× faster than cold ({encoder.model_id}, {count:,} files)",
                f"{ratio:.0f}× ({cold_time.median:.2f} s → {warm_time.median:.3f} s)",
                ratio >= 50,
            )
    report.section("3. Embedding cache", lines)


# --- 4. projection ----------------------------------------------------------------------


def fit_case(vectors: np.ndarray, method: str, n: int, repeats: int, landmarks=None) -> dict:
    """Fit ``repeats`` maps of the first ``n`` vectors: seconds, peak memory, the map."""
    vectors = vectors[:n].astype(np.float64)
    from core.projection import Projector, warm_up_umap

    if method == "umap":
        warm_up_umap()  # the table shows warm fits; the cold start is measured on its own
    seconds, peaks = [], []
    for _ in range(repeats):
        reset_peak_memory()
        started = time.perf_counter()
        projector = Projector(method=method, n_neighbors=12, landmarks=landmarks).fit(vectors)
        seconds.append(time.perf_counter() - started)
        peaks.append(peak_memory_mb())
    return {
        "seconds": seconds,
        "peak_mb": max(peaks),
        "coords": projector.embedding_.astype(np.float32),
    }


def projection_case(args) -> None:
    """One case in this (fresh) process; prints a JSON line. Run by :func:`run_case`."""
    vectors = np.load(args.data, allow_pickle=False)
    result = fit_case(vectors, args.method, args.n, args.repeats, args.landmarks or None)
    coords = result.pop("coords")
    if args.save:
        np.save(args.save, coords, allow_pickle=False)
    print(json.dumps(result))


def run_case(data: Path, method: str, n: int, repeats: int, timeout: float, **extra) -> dict:
    """Fit in a fresh Python process: its own peak memory, cold imports, a time limit.

    ``in_process`` (quick mode) fits here instead: no process start-up per case, but the
    peak memory is this process's.
    """
    if extra.get("in_process"):
        try:
            result = fit_case(np.load(data), method, n, repeats, extra.get("landmarks"))
        except ValueError as error:
            return {"error": str(error)[:160]}
        if extra.get("save"):
            np.save(extra["save"], result["coords"], allow_pickle=False)
        return result
    command = [
        sys.executable,
        str(Path(__file__)),
        "--case",
        "--data",
        str(data),
        "--method",
        method,
        "--n",
        str(n),
        "--repeats",
        str(repeats),
    ]
    if extra.get("landmarks"):
        command += ["--landmarks", str(extra["landmarks"])]
    if extra.get("save"):
        command += ["--save", str(extra["save"])]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last[:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def adaptive_case(data: Path, method: str, n: int, limit: float, **extra) -> tuple[dict, int]:
    """One fit; where it took under 20 s, three more in a fresh process (their figures count)."""
    if extra.get("in_process"):
        return run_case(data, method, n, 3, limit, **extra), 3
    result = run_case(data, method, n, 1, limit + 120, **extra)
    if "error" in result or result["seconds"][0] >= 20:
        return result, 1
    return run_case(data, method, n, 3, 3 * limit + 120, **extra), 3


def subsample_trust(vectors: np.ndarray, coords: np.ndarray, rows: np.ndarray) -> float:
    from sklearn.manifold import trustworthiness

    return float(trustworthiness(vectors[rows], coords[rows], n_neighbors=12))


def bench_projection(
    report: Report, sizes: list[int], big: list[int], landmarks: int, skip: tuple = ()
) -> None:
    from scaling_data import scaling_vectors

    from core.models import load_encoder

    encoder = load_encoder("pocket", speedup="fp32")
    largest = max(sizes + big)
    started = time.perf_counter()
    vectors = scaling_vectors(encoder, largest)
    made = time.perf_counter() - started
    methods = [
        m
        for m in ("lle", "lle-modified", "lle-hessian", "lle-ltsa", "umap", "tsne", "pca")
        if m not in skip
    ]
    limit = 60 if report.quick else 240  # a method stops growing once one fit takes longer
    lines = [
        f"Real pocket embeddings ({encoder.model_id}, 128-D): the gallery plus rendered emoji "
        f"and mood scenes ({largest:,} vectors, {made:.0f} s to build or load). k = 12, 2-D. "
        "Each cell: seconds per fit, median (min–max) of 3 fits in one fresh process (a "
        "single fit where marked ¹: one fit took over 20 s), and that process's peak "
        "resident memory. UMAP's cells are warm "
        "(its cold start is section 5). A method stops at the first size where a fit takes "
        f"over {limit} s or fails."
        + (" Quick mode: UMAP left out, fits in the benchmark's own process." * report.quick),
        "",
        "| method | " + " | ".join(f"N = {n:,}" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "vectors.npy"
        np.save(data, vectors, allow_pickle=False)
        full_lle: dict[int, dict] = {}
        for method in methods:
            cells, stopped = [], None
            for n in sizes:
                if stopped:
                    cells.append("—")
                    continue
                save = Path(work) / f"full-{n}.npy" if method == "lle" else None
                result, repeats = adaptive_case(
                    data, method, n, limit, save=save, in_process=report.quick
                )
                if "error" in result:
                    stopped = result["error"]
                    cells.append(f"failed: {stopped[:70]}")
                    continue
                timing = Timing(result["seconds"])
                mark = "" if repeats >= 3 else "¹"
                cells.append(f"{fmt_seconds(timing)}{mark} s, {result['peak_mb']:,.0f} MB")
                if method == "lle":
                    full_lle[n] = {"seconds": timing.median, "coords": save}
                if timing.median > limit:
                    stopped = "too slow"
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        if 2000 in full_lle:
            seconds = full_lle[2000]["seconds"]
            report.goal("standard LLE on 2,000 points ≤ 2 s", f"{seconds:.2f} s", seconds <= 2)

        # landmark LLE at large N, against full LLE at the largest N it handled
        reference_n = max(full_lle)
        rng = np.random.default_rng(0)
        lines += [
            "",
            f"**Landmark LLE** (fit standard LLE on {landmarks:,} random points, place the "
            "rest with its `transform`). Trustworthiness (k = 12) on the same 3,000 random "
            "points of each map; full LLE's is from its fit at the same N.",
            "",
            "| N | seconds | peak memory | trustworthiness | full LLE at this N |",
            "|---|---|---|---|---|",
        ]
        for n in sorted({reference_n, *big}):
            save = Path(work) / f"landmark-{n}.npy"
            result, repeats = adaptive_case(
                data,
                "lle",
                n,
                300,
                landmarks=min(landmarks, n - 1),
                save=save,
                in_process=report.quick,
            )
            if "error" in result:
                lines.append(f"| {n:,} | failed: {result['error']} ||||")
                continue
            rows = rng.choice(n, size=min(3000, n), replace=False)
            trust = subsample_trust(vectors[:n], np.load(save), rows)
            full = "—"
            if n in full_lle:
                full_trust = subsample_trust(vectors[:n], np.load(full_lle[n]["coords"]), rows)
                full = f"{full_trust:.3f} ({full_lle[n]['seconds']:.1f} s)"
                report.goal(
                    f"landmark LLE trustworthiness within 0.03 of full LLE (N = {n:,}; "
                    "counted as reached when not more than 0.03 below)",
                    f"{trust:.3f} vs {full_trust:.3f} (Δ {trust - full_trust:+.3f})",
                    trust >= full_trust - 0.03,
                )
            timing = Timing(result["seconds"])
            mark = "" if repeats >= 3 else "¹"
            lines.append(
                f"| {n:,} | {fmt_seconds(timing)}{mark} | {result['peak_mb']:,.0f} MB | "
                f"{trust:.3f} | {full} |"
            )
            if n == max(big):
                report.goal(
                    f"landmark LLE on {n:,} points ≤ 60 s, peak memory ≤ 4 GB",
                    f"{timing.median:.1f} s, {result['peak_mb']:,.0f} MB",
                    timing.median <= 60 and result["peak_mb"] <= 4096,
                )
    report.section("4. Projection scaling", lines)


# --- 5. UMAP cold start -----------------------------------------------------------------


UMAP_PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
started = time.perf_counter()
from core.projection import Projector, warm_up_umap
import numpy as np
vectors = np.load({data!r}, allow_pickle=False).astype(np.float64)
warm = {warm}
prepared = warm_up_umap() if warm else 0.0
ready = time.perf_counter()
Projector(method="umap", n_neighbors=12).fit(vectors)
first = time.perf_counter()
Projector(method="umap", n_neighbors=12).fit(vectors)
second = time.perf_counter()
print(json.dumps({{"warm_up": prepared, "first": first - ready, "second": second - first}}))
"""


def bench_umap(report: Report, n: int, repeats: int) -> None:
    from scaling_data import scaling_vectors

    from core.models import load_encoder

    vectors = scaling_vectors(load_encoder("pocket", speedup="fp32"), n)
    lines = [
        f"A fresh Python process fits UMAP on {n:,} pocket vectors twice. *Cold*: the first "
        "click in a new server, including `import umap` and numba's compilation. *After "
        "warm-up*: the same, after `core.projection.warm_up_umap()` (what the dashboard runs "
        "in a background thread once the first page is drawn, with a progress message if "
        "UMAP is asked for before it ends). Seconds, median (min–max).",
        "",
        "| | warm-up s | first UMAP fit s | second fit s |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "vectors.npy"
        np.save(data, vectors, allow_pickle=False)
        rows = {}
        for warm in (False, True):
            runs = []
            for _ in range(repeats):
                code = UMAP_PROBE.format(root=str(ROOT), data=str(data), warm=warm)
                done = subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                )
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            rows[warm] = {key: Timing([r[key] for r in runs]) for key in runs[0]}
            label = "after warm-up" if warm else "cold (import + compile + fit)"
            lines.append(
                f"| {label} | {fmt_seconds(rows[warm]['warm_up']) if warm else '—'} | "
                f"{fmt_seconds(rows[warm]['first'])} | {fmt_seconds(rows[warm]['second'])} |"
            )
    cold, warmed = rows[False]["first"].median, rows[True]["first"].median
    report.goal(
        "first UMAP click: never a silent wait for numba; cold start reduced and measured",
        f"cold {cold:.1f} s → {warmed:.2f} s after the background warm-up "
        f"({rows[True]['warm_up'].median:.1f} s, off the click); spinner while it runs",
        warmed < cold,
    )
    report.section("5. UMAP cold start", lines)


# --- 6. app -----------------------------------------------------------------------------


def bench_app(report: Report, runs: int) -> None:
    if not Path("/usr/bin/chromium").exists():
        report.section("6. Dashboard", ["Skipped: Debian Chromium is not installed."])
        return
    from app_timing import one_run

    lines = [
        "A real browser (Debian Chromium via Playwright, 1280×720) on `streamlit run app.py`: "
        "time from starting the server to the drawn atlas plot (bundled gallery, pocket), "
        "and from pressing → on the k slider to the redrawn plot. Seconds, median (min–max).",
        "",
        "| embedding cache | runs | start → first plot | re-render after k |",
        "|---|---|---|---|",
    ]
    for label, cold in (("empty (fresh machine)", True), ("warm", False)):
        warm_cache = tempfile.mkdtemp()
        if not cold:
            one_run(warm_cache)  # fills the cache
        firsts, rerenders = [], []
        for _ in range(runs):
            first, rerender = one_run(tempfile.mkdtemp() if cold else warm_cache)
            firsts.append(first)
            rerenders.append(rerender)
        lines.append(
            f"| {label} | {runs} | {fmt_seconds(Timing(firsts))} | "
            f"{fmt_seconds(Timing(rerenders))} |"
        )
    report.section("6. Dashboard", lines)


# --- main -------------------------------------------------------------------------------


def write_results(
    report: Report, path: Path, started: float, argv: list[str], partial: bool
) -> None:
    """Write the whole file; a partial run (``--only``) replaces just its sections and goals
    in an existing file and says so under the heading."""
    minutes = (time.perf_counter() - started) / 60
    command = "`" + " ".join(["python benchmarks/run.py", *argv]) + "`"
    goals = ["## Goals", "", "| goal | measured | |", "|---|---|---|"]
    goals += [f"| {g} | {m} | {v} |" for g, m, v in report.goals]
    if partial and path.exists():
        blocks = path.read_text(encoding="utf-8").split("\n## ")
        new = {part.split("\n", 1)[0].removeprefix("## "): part for part in report.parts}
        merged = []
        for block in blocks[1:]:
            title = block.split("\n", 1)[0]
            if title == "Goals":
                rows = [r for r in block.splitlines() if r.startswith("| ") and r[2:7] != "goal "]
                kept = {r.split(" | ")[0]: r for r in rows}
                kept.update({r.split(" | ")[0]: r for r in goals[4:]})
                block = "\n".join(goals[:4] + list(kept.values())) + "\n"
                merged.append(block.removeprefix("## "))
            else:
                merged.append(new.pop(title, "## " + block).removeprefix("## "))
        merged += [part.removeprefix("## ") for part in new.values()]
        note = (
            f"\n_Rerun by {command} on {datetime.date.today().isoformat()} "
            f"({minutes:.1f} minutes, same machine): {', '.join(report.rerun)}._\n"
        )
        head = blocks[0].rstrip("\n") + "\n" + note
        path.write_text("\n## ".join([head, *merged]), encoding="utf-8")
        print(f"updated {path}")
        return
    header = [
        "# Benchmark results",
        "",
        f"Written by {command} on {datetime.date.today().isoformat()} in {minutes:.1f} "
        "minutes." + (" **Quick mode: small sizes, not the committed figures.**" * report.quick),
        "",
        *machine_lines(),
        "",
    ]
    path.write_text("\n".join(header + goals + [""] + report.parts), encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--case", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--landmarks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        projection_case(args)
        return
    import warnings

    warnings.filterwarnings("ignore")
    from core.encoders import configure_cpu_threads

    configure_cpu_threads()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    started = time.perf_counter()
    report = Report(args.quick)
    quick = args.quick
    models = ["pocket"] if quick else ["pocket", VIT]
    plan = {
        "encoding": lambda: bench_encoding(report, models, repeats=3),
        "pipeline": lambda: bench_pipeline(report, models, 3, files=232 if quick else 1000),
        "speedups": lambda: bench_speedups(
            report,
            models,
            ("fp32", "channels_last", "bf16") + (() if quick else ("compile", "onnx")),
            repeats=3,
        ),
        "cache": lambda: bench_cache(report, models, files=300 if quick else 1000, repeats=3),
        "projection": lambda: (
            bench_projection(report, [500, 1000], [2000], landmarks=500, skip=("umap",))
            if quick
            else bench_projection(
                report, [500, 1000, 2000, 5000, 10000, 20000], [50000, 100000], landmarks=5000
            )
        ),
        "umap": lambda: None if quick else bench_umap(report, n=1000, repeats=3),
        "app": lambda: None if quick else bench_app(report, runs=3),
    }
    report.rerun = chosen
    for name in chosen:
        begun = time.perf_counter()
        plan[name]()
        print(f"[{name}: {time.perf_counter() - begun:.0f} s]", file=sys.stderr, flush=True)
    write_results(report, args.out, started, sys.argv[1:], set(chosen) != set(SECTIONS))


if __name__ == "__main__":
    main()
