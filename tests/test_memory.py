"""Bounded memory per click: pixel work in bands gives the same picture as work on the
whole, and one transfer on the largest accepted picture adds well under 1 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core import recolour
from core.recolour import apply_grade, grade_picture, lab_statistics, rgb_to_lab, working_picture

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def picture():
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (600, 410, 3), dtype=np.uint8))


def test_grading_band_by_band_equals_grading_the_whole(picture, monkeypatch):
    monkeypatch.setattr(recolour, "BAND_ROWS", 64)  # several bands, one ragged
    params = {name: torch.tensor(0.3) for name in recolour.GRADE_PARAMETERS}
    whole = torch.from_numpy(np.asarray(picture, np.float32) / 255).permute(2, 0, 1)[None]
    expected = (apply_grade(whole, params)[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255)
    banded = np.asarray(grade_picture(picture, params), dtype=np.float64)
    assert np.abs(banded - expected.astype(np.uint8)).max() <= 1


def test_lab_statistics_band_by_band_equal_the_whole(picture, monkeypatch):
    monkeypatch.setattr(recolour, "BAND_ROWS", 50)
    lab = rgb_to_lab(np.asarray(picture, np.float64) / 255).reshape(-1, 3)
    mean, std = lab_statistics(picture)
    np.testing.assert_allclose(mean, lab.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(std, lab.std(axis=0), rtol=1e-3)


def test_results_are_capped_in_size(monkeypatch):
    monkeypatch.setattr(recolour, "MAX_RESULT_PIXELS", 10_000)
    big = Image.new("RGB", (400, 300), (200, 10, 10))
    small = working_picture(big)
    assert small.width * small.height <= 10_000 and small.width / small.height == pytest.approx(
        4 / 3, rel=0.02
    )
    assert working_picture(Image.new("L", (20, 20))).mode == "RGB"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["reinhard", "grade"])
def test_one_transfer_on_the_largest_picture_adds_under_a_gigabyte(method):
    done = subprocess.run(
        [sys.executable, "benchmarks/memory_per_click.py", "--case", method, "--megapixels", "88"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["added_mb"] < 1024, record
    assert record["result"][0] * record["result"][1] <= recolour.MAX_RESULT_PIXELS


@pytest.mark.slow
def test_a_16_bit_picture_decodes_without_a_float64_copy():
    probe = (
        "import io, resource, numpy as np; from PIL import Image; from core.images import "
        "decode_image\n"
        "a = np.zeros((9000, 9000), np.uint16); a[::7] = 40000; b = io.BytesIO()\n"
        "Image.fromarray(a).save(b, 'PNG'); data = b.getvalue(); del a\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "picture = decode_image(data, 'x.png').image\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert int(done.stdout.strip()) < 1024  # MB; the float64 path took +2.4 GB
