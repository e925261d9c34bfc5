"""`python -m core` as a user runs it: real files, exit codes, what it prints.

Commands run in this process through ``core.__main__.main(argv)`` (a torch process per
command would cost seconds each); one test runs the real ``python -m core`` subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import TINY

from core.__main__ import main
from core.embedding import EmbeddingSet

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args, cache=None) -> Done:
    """``python -m core ARGS`` in this process, with its own cache folder."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("EMOTION_ATLAS_CACHE")
    os.environ["EMOTION_ATLAS_CACHE"] = str(cache or "/nonexistent-cache")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as stop:  # argparse's usage errors
                code = stop.code if isinstance(stop.code, int) else 2
    finally:
        if previous is None:
            os.environ.pop("EMOTION_ATLAS_CACHE", None)
        else:
            os.environ["EMOTION_ATLAS_CACHE"] = previous
    return Done(code, out.getvalue(), err.getvalue())


def test_embed_folder_and_texts_writes_npz_and_reports_bad_files(corpus, tmp_path):
    folder = corpus["red.png"].parent
    out = tmp_path / "atlas.npz"
    done = run_cli(
        "embed",
        folder,
        "--texts",
        "I love you",
        "我爱你",
        "  ",
        "--model",
        TINY,
        "--out",
        out,
        cache=tmp_path / "cache",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "refused" in done.stderr and "drawing.eps: PostScript/EPS is refused" in done.stderr
    assert "14 embedded (12 images, 2 texts; 0 from cache), 9 refused" in done.stdout
    result = EmbeddingSet.load_npz(out)
    assert result.kinds.count("image") == 12 and result.names[-1] == "我爱你"

    again = run_cli("embed", folder, "--model", TINY, "--out", out, cache=tmp_path / "cache")
    assert "12 from cache" in again.stdout


def test_nothing_embedded_exits_one(corpus, tmp_path):
    done = run_cli("embed", corpus["empty.jpg"], "--model", TINY, "--out", tmp_path / "x.npz")
    assert done.returncode == 1
    assert "Nothing could be embedded" in done.stderr
    assert not (tmp_path / "x.npz").exists()


def test_unknown_and_unavailable_models_exit_two_without_traceback(corpus, tmp_path):
    unknown = run_cli("embed", corpus["red.png"], "--model", "nope")
    assert unknown.returncode == 2 and "Unknown model 'nope'" in unknown.stderr
    env_cache = dict(EMOTION_ATLAS_HF_CACHE=str(tmp_path))
    offline = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "embed",
            str(corpus["red.png"]),
            "--model",
            "ViT-B-16/laion2b_s34b_b88k",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env_cache},
        timeout=120,
    )
    assert offline.returncode == 2
    assert "about 599 MB" in offline.stderr and "Traceback" not in offline.stderr


def test_models_lists_presets_with_availability():
    done = run_cli("models", "--json")
    assert done.returncode == 0
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["name"] for row in rows][:2] == ["pocket", "ViT-B-32/laion2b_s34b_b79k"]
    assert all({"status", "usable", "detail"} <= row.keys() for row in rows)


def test_emotions_json_lines(tmp_path):
    done = run_cli(
        "emotions",
        "--model",
        TINY,
        "--texts",
        "I love you",
        "我爱你",
        "--json",
        cache=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["item"] for row in rows] == ["I love you", "我爱你"]
    for row in rows:
        assert abs(sum(row["probs"].values()) - 1) < 1e-3 and row["top"] in row["probs"]


def test_atlas_writes_offline_html(corpus, tmp_path):
    out = tmp_path / "atlas.html"
    done = run_cli(
        "atlas",
        corpus["red.png"].parent,
        "--texts",
        "I love you",
        "--model",
        TINY,
        "--method",
        "pca",
        "--out",
        out,
        cache=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "trustworthiness" in done.stdout and out.stat().st_size > 100_000
    assert "refused" in done.stderr


def test_atlas_with_impossible_k_is_a_sentence(corpus, tmp_path):
    done = run_cli(
        "atlas",
        corpus["red.png"],
        corpus["photo.jpg"],
        corpus["sky.webp"],
        "--model",
        TINY,
        "--k",
        "50",
        "--out",
        tmp_path / "a.html",
        cache=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "at least 4 distinct items" in done.stderr or "n_neighbors" in done.stderr


def test_transfer_writes_image_and_json(corpus, tmp_path):
    out = tmp_path / "moved.png"
    done = run_cli(
        "transfer",
        "--model",
        TINY,
        "--text",
        "I love you",
        "--image",
        corpus["photo.jpg"],
        "--out",
        out,
        "--json",
        cache=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert {"target", "emo_s", "clip_i", "placement"} <= record.keys()
    assert len(record["placement"]["weights"]) == 8 and out.is_file()


def test_speedup_option_names_the_variant_and_keeps_the_space(corpus, tmp_path):
    outs = {}
    for variant in ("fp32", "channels_last"):
        outs[variant] = tmp_path / f"{variant}.npz"
        done = run_cli(
            "embed",
            corpus["red.png"],
            corpus["photo.jpg"],
            "--texts",
            "我爱你",
            "--model",
            TINY,
            "--speedup",
            variant,
            "--out",
            outs[variant],
        )
        assert done.returncode == 0, done.stderr
    fp32, fast = (EmbeddingSet.load_npz(outs[v]) for v in ("fp32", "channels_last"))
    assert fp32.model_id == TINY and fast.model_id == f"{TINY}+channels_last"
    assert (fp32.vectors * fast.vectors).sum(axis=1).min() > 0.99
    refused = run_cli("embed", corpus["red.png"], "--model", TINY, "--speedup", "fp8")
    assert refused.returncode == 2 and "invalid choice: 'fp8'" in refused.stderr
