"""CPU speed-up variants: same space as fp32, separate cache entries, clear refusals."""

from __future__ import annotations

import numpy as np
import pytest

from core.cache import EmbeddingCache
from core.defaults import GALLERY_IMAGES as GALLERY
from core.embedding import embed_paths, embed_texts
from core.images import iter_files, load_image_file
from core.models import load_encoder
from core.speedups import (
    SpeedupUnavailable,
    cpu_has_bf16,
    resolve_speedup,
    with_speedup,
)

TEXTS = ["我爱你", "I love you", "The airline lost my luggage again.", "今天阳光很好"]


@pytest.fixture(scope="module")
def pocket_fp32():
    return load_encoder("pocket", speedup="fp32")


@pytest.fixture(scope="module")
def pictures():
    return [load_image_file(path).image for path in list(iter_files([GALLERY]))[::12]]


def mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.sum(a * b, axis=1)))


@pytest.mark.parametrize("variant", ["channels_last", "bf16"])
def test_offered_variants_agree_with_fp32(variant, pocket_fp32, pictures):
    fast = with_speedup(load_encoder("pocket", speedup="fp32"), variant)
    assert fast.model_id == f"{pocket_fp32.model_id}+{variant}"
    assert mean_cosine(fast.encode_images(pictures), pocket_fp32.encode_images(pictures)) >= 0.99
    assert mean_cosine(fast.encode_texts(TEXTS), pocket_fp32.encode_texts(TEXTS)) >= 0.99
    # the model used for the transfer's gradients stays a float model
    assert next(fast.model.parameters()).dtype.is_floating_point


def test_int8_is_no_longer_offered():
    # it stood on torch.ao.quantization, which PyTorch deprecates (see core.speedups)
    with pytest.raises(ValueError, match="choose one of auto, fp32"):
        resolve_speedup("int8")


def test_compile_agrees_with_fp32(tiny_encoder):
    import torch

    fast = with_speedup(load_encoder(tiny_encoder.model_id, speedup="fp32"), "compile")
    pixels = torch.rand(3, 3, tiny_encoder.image_size, tiny_encoder.image_size)
    cosine = mean_cosine(fast.encode_pixels(pixels), tiny_encoder.encode_pixels(pixels))
    assert cosine > 0.999 and fast.model_id.endswith("+compile")


def test_onnx_runs_or_says_what_to_install(pocket_fp32, pictures):
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        with pytest.raises(SpeedupUnavailable, match="pip install onnxruntime"):
            with_speedup(load_encoder("pocket", speedup="fp32"), "onnx")
        return
    fast = with_speedup(load_encoder("pocket", speedup="fp32"), "onnx")
    assert mean_cosine(fast.encode_images(pictures), pocket_fp32.encode_images(pictures)) > 0.999


def test_variants_never_share_cache_entries(pocket_fp32, pictures, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    # not the gallery's own files: the model ships their vectors (core.pocket.encoder)
    files = []
    for index, picture in enumerate(pictures[:5]):
        files.append(tmp_path / f"flipped_{index}.png")
        picture.transpose(0).save(files[-1])
    fast = with_speedup(load_encoder("pocket", speedup="fp32"), "bf16")
    assert embed_paths(files, pocket_fp32, cache=cache).encoded == 5
    assert embed_texts(TEXTS, pocket_fp32, cache=cache).encoded == len(TEXTS)
    # nothing borrowed across variants, and each finds its own entries again
    assert embed_paths(files, fast, cache=cache).encoded == 5
    assert embed_texts(TEXTS, fast, cache=cache).encoded == len(TEXTS)
    assert embed_paths(files, fast, cache=cache).encoded == 0


def test_choosing_a_variant(monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_SPEEDUP", "fp32")
    assert resolve_speedup("auto") == "fp32"
    assert load_encoder("pocket").speedup == "fp32"
    monkeypatch.setenv("EMOTION_ATLAS_SPEEDUP", "channels_last")
    assert load_encoder("pocket").model_id.endswith("+channels_last")
    monkeypatch.delenv("EMOTION_ATLAS_SPEEDUP")
    assert resolve_speedup("auto", "cpu", "pocket") == ("bf16" if cpu_has_bf16() else "fp32")
    assert resolve_speedup("auto", "cpu", "ViT-B-32") == "fp32"
    assert resolve_speedup("auto", "cuda", "pocket") == "fp32"
    assert resolve_speedup("bf16") == "bf16"
    with pytest.raises(ValueError, match="choose one of auto, fp32"):
        resolve_speedup("fp8")
    with pytest.raises(ValueError, match="already runs as channels_last"):
        with_speedup(load_encoder("pocket", speedup="channels_last"), "bf16")
