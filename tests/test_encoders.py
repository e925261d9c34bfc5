"""The encoder layer through open_clip's real code: random-init architectures, local
checkpoints, the hub cache, and the errors a user sees when a model is not here."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import TINY
from PIL import Image

from core.models import load_encoder, save_local_dir
from core.registry import (
    PRESETS,
    ModelUnavailableError,
    check_availability,
    open_clip_module,
    resolve_model,
)

open_clip = open_clip_module()  # knows the project's own architectures

PICTURES = [Image.new("RGB", (50, 40), colour) for colour in ((230, 20, 20), (20, 20, 230))]
SENTENCES = ["I love you", "我爱你", "our dog died this morning"]


def test_tiny_architecture_encodes_images_and_texts(tiny_encoder):
    images = tiny_encoder.encode_images(PICTURES)
    texts = tiny_encoder.encode_texts(SENTENCES)
    assert images.shape == (2, tiny_encoder.dim) and texts.shape == (3, tiny_encoder.dim)
    assert images.dtype == np.float32 and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    assert not np.allclose(images[0], images[1])
    assert tiny_encoder.logit_scale > 1


def test_batching_and_progress_do_not_change_results(tiny_encoder):
    calls = []
    batched = tiny_encoder.encode_texts(
        SENTENCES, batch_size=2, progress=lambda d, t: calls.append((d, t))
    )
    np.testing.assert_allclose(batched, tiny_encoder.encode_texts(SENTENCES), atol=1e-5)
    assert calls == [(2, 3), (3, 3)]
    assert tiny_encoder.encode_images([]).shape == (0, tiny_encoder.dim)


def test_random_init_is_reproducible(tiny_encoder):
    again = load_encoder(TINY)
    np.testing.assert_array_equal(
        tiny_encoder.encode_texts(SENTENCES), again.encode_texts(SENTENCES)
    )


def test_local_dir_round_trip_is_identical(tiny_encoder, tmp_path):
    model_cfg = open_clip.get_model_config("emotion-atlas-tiny")
    checkpoint = save_local_dir(tiny_encoder, tmp_path / "saved", model_cfg)
    assert checkpoint.suffix == ".safetensors"
    loaded = load_encoder(f"local-dir:{tmp_path / 'saved'}")
    np.testing.assert_array_equal(
        loaded.encode_images(PICTURES), tiny_encoder.encode_images(PICTURES)
    )
    np.testing.assert_array_equal(
        loaded.encode_texts(SENTENCES), tiny_encoder.encode_texts(SENTENCES)
    )
    assert loaded.model_id.startswith("local-dir:") and "#" in loaded.model_id


def test_checkpoint_file_round_trip_and_id_follows_the_weights(tiny_encoder, tmp_path):
    path = tmp_path / "tiny.pt"
    torch.save(tiny_encoder.model.state_dict(), path)
    loaded = load_encoder(f"emotion-atlas-tiny@{path}")
    np.testing.assert_array_equal(
        loaded.encode_texts(SENTENCES), tiny_encoder.encode_texts(SENTENCES)
    )
    state = {k: v.clone() for k, v in tiny_encoder.model.state_dict().items()}
    state["logit_scale"] += 1
    other = tmp_path / "other.pt"
    torch.save(state, other)
    assert load_encoder(f"emotion-atlas-tiny@{other}").model_id != loaded.model_id


class _Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_code_in_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"state_dict": _Payload()}, handle)
    with pytest.raises(ModelUnavailableError, match="could not load evil.pt"):
        load_encoder(f"emotion-atlas-tiny@{path}")


def test_checkpoint_of_another_architecture_is_a_clear_error(tmp_path):
    path = tmp_path / "wrong.pt"
    torch.save({"visual.proj": torch.zeros(3, 3)}, path)
    with pytest.raises(ModelUnavailableError, match="open_clip checkpoint of this architecture"):
        load_encoder(f"emotion-atlas-tiny@{path}")


def test_unknown_model_name_lists_the_presets():
    with pytest.raises(ValueError, match="Unknown model 'no-such-model'") as error:
        resolve_model("no-such-model")
    for preset in PRESETS:
        assert preset in str(error.value)


def test_unknown_tag_lists_the_tags():
    with pytest.raises(ValueError, match="laion2b_s34b_b79k"):
        resolve_model("ViT-B-32/not-a-tag")


def test_unavailable_pretrained_model_fails_offline_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path / "empty-cache"))
    availability = check_availability(resolve_model("ViT-B-32/laion2b_s34b_b79k"))
    assert availability.status == "download" and availability.download_mb == 605
    # The no_network fixture fails the test if this tries to connect anywhere.
    with pytest.raises(ModelUnavailableError, match=r"about 605 MB.*python -m core download"):
        load_encoder("ViT-B-32/laion2b_s34b_b79k")


def _fake_hub_cache(root, repo_id, filename, payload_path):
    """Lay a file out the way huggingface_hub caches it (refs/main → snapshot)."""
    folder = root / f"models--{repo_id.replace('/', '--')}"
    snapshot = folder / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("0" * 40)
    (snapshot / filename).write_bytes(payload_path.read_bytes())


def test_cached_pretrained_tag_loads_offline_with_its_preprocessing(
    tiny_encoder, tmp_path, monkeypatch
):
    # Register a tag whose preprocessing differs from the default, as real tags do.
    tag_cfg = {"hf_hub": "example/tiny-clip/", "mean": (0.5, 0.5, 0.5), "std": (0.25,) * 3}
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "emotion-atlas-tiny", {"t": tag_cfg})
    weights = tmp_path / "w.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in tiny_encoder.model.state_dict().items()}, weights)
    _fake_hub_cache(tmp_path / "hub", "example/tiny-clip", "open_clip_model.safetensors", weights)
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path / "hub"))

    spec = resolve_model("emotion-atlas-tiny/t")
    assert check_availability(spec).status == "cached"
    encoder = load_encoder(spec)
    assert open_clip.get_model_preprocess_cfg(encoder.model)["mean"] == (0.5, 0.5, 0.5)
    np.testing.assert_array_equal(
        encoder.encode_texts(SENTENCES), tiny_encoder.encode_texts(SENTENCES)
    )
    # Same weights, different normalisation: image vectors must differ from the default's.
    assert not np.allclose(encoder.encode_images(PICTURES), tiny_encoder.encode_images(PICTURES))


def test_missing_pocket_bundle_says_how_to_restore_it(tmp_path, monkeypatch):
    from dataclasses import replace

    spec = replace(PRESETS["pocket"], path=tmp_path / "gone")
    availability = check_availability(spec)
    assert not availability.usable
    assert "core.pocket.train" in availability.detail


def test_trimmed_text_encoding_equals_open_clip_encode_text():
    encoder = load_encoder(TINY, speedup="fp32")  # an open_clip text tower (pocket's is LiT)
    texts = ["我爱你", "I love you", "joy " * 30, "航空公司弄丢了我的行李", "a"]
    tokens = encoder.tokenizer(texts)
    with torch.inference_mode():
        reference = encoder.model.encode_text(tokens, normalize=True).numpy()
    np.testing.assert_allclose(encoder.encode_texts(texts), reference, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_texts(texts[:1]), reference[:1], atol=1e-5)
