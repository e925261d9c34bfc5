"""The bundled pocket model: its data, its training code, its shipped weights and metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY  # noqa: F401  (the tiny architecture is registered by core)

from core.encoders import load_encoder
from core.images import load_image_file
from core.pocket import render
from core.pocket.data import Sample, SampleStream, vocabulary
from core.pocket.evaluate import load_sentences, recall_at
from core.pocket.lexicon import SCENARIOS, face_labels
from core.pocket.train import multi_positive_loss, positives, train
from core.registry import POCKET_DIR, default_model_name

fonts_missing = False
try:
    for design in ("noto", "symbola", "dejavu"):
        render.load_font(design)
except render.FontMissingError as error:
    fonts_missing = str(error)
needs_fonts = pytest.mark.skipif(bool(fonts_missing), reason=f"{fonts_missing}")

GALLERY = POCKET_DIR.parent.parent / "gallery"


def test_missing_font_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(render, "FONT_DIRS", (tmp_path,))
    render.load_font.cache_clear()
    try:
        with pytest.raises(render.FontMissingError, match="apt-get install -y fonts-symbola"):
            render.load_font("symbola")
    finally:
        render.load_font.cache_clear()


def _sample(topic, emoji=(), emotion=None, scene=None):
    return Sample(None, "", "en", topic, frozenset(emoji), emotion, scene)


def test_positive_matrix_counts_every_true_caption():
    happy_a = _sample(("emotion", "joy"), "😀", "joy")
    happy_b = _sample(("name", frozenset("😊")), "😊", "joy")
    sad = _sample(("emotion", "sadness"), "😢", "sadness")
    named = _sample(("name", frozenset("😊")), "😊", "joy")
    matrix = positives([happy_a, happy_b, sad, named]).numpy()
    # caption 0 ("joy") fits pictures 0, 1 and 3; caption 1 (name of 😊) fits 1 and 3.
    assert matrix[:, 0].tolist() == [1, 1, 0, 1]
    assert matrix[:, 1].tolist() == [0, 1, 0, 1]
    assert matrix[:, 2].tolist() == [0, 0, 1, 0]


def test_loss_prefers_aligned_features():
    import torch

    target = torch.eye(4)
    aligned = torch.nn.functional.normalize(torch.randn(4, 8), dim=1)
    shuffled = aligned[[1, 2, 3, 0]]
    scale = torch.tensor(10.0)
    assert multi_positive_loss(aligned, aligned, scale, target) < multi_positive_loss(
        aligned, shuffled, scale, target
    )


@needs_fonts
def test_vocabulary_and_stream_are_bilingual_and_seeded():
    entries = vocabulary()
    assert len(entries) > 400
    assert all(entry.names_en and entry.name_zh for entry in entries)
    first = [s.caption for s in (SampleStream(3).sample() for _ in range(1))]
    stream_a, stream_b = SampleStream(5), SampleStream(5)
    captions_a = [stream_a.sample().caption for _ in range(40)]
    captions_b = [stream_b.sample().caption for _ in range(40)]
    assert captions_a == captions_b and first
    assert any("\u4e00" <= c <= "\u9fff" for text in captions_a for c in text)


@needs_fonts
def test_one_short_training_run_end_to_end(tmp_path):
    log = train(
        steps=2,
        batch_size=12,
        out=tmp_path / "model",
        architecture="emotion-atlas-tiny",
        entries=vocabulary()[:30],
        log_every=1,
    )
    assert [row[0] for row in log["loss"]] == [1, 2]
    encoder = load_encoder(f"local-dir:{tmp_path / 'model'}")
    vectors = encoder.encode_texts(["我爱你", "I love you"])
    assert vectors.shape == (2, 64)
    assert json.loads((tmp_path / "model" / "training_log.json").read_text())["steps"] == 2


def test_pocket_is_the_default_without_pretrained_models(monkeypatch, tmp_path):
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path))
    assert default_model_name() == "pocket"


def test_shipped_weights_are_small_safetensors():
    checkpoint = POCKET_DIR / "open_clip_model.safetensors"
    assert checkpoint.is_file()
    assert checkpoint.stat().st_size <= 25 * 1024 * 1024


@needs_fonts
def test_shipped_weights_reproduce_the_model_card_metrics():
    from core.pocket.evaluate import evaluate

    card = json.loads((POCKET_DIR / "metrics.json").read_text())["quick"]
    measured = evaluate(load_encoder("pocket"), quick=True)
    for section in (
        "retrieval",
        "emoji_emotion",
        "emoji_emotion_unseen_design",
        "sentence_emotion",
    ):
        for key, value in card[section].items():
            assert measured[section][key] == pytest.approx(value, abs=0.02), (section, key)


def test_recall_counts_ties_honestly():
    similarity = np.array([[0.9, 0.1], [0.5, 0.5]])
    assert recall_at(similarity, 1) == 1.0  # a tie is not ranked above the true item
    assert recall_at(np.array([[0.1, 0.9], [0.2, 0.1]]), 1) == 0.0


def test_evaluation_sentences_are_held_out_and_large_enough():
    rows = load_sentences()
    training = {text for pools in SCENARIOS.values() for texts in pools.values() for text in texts}
    assert not {row["text"] for row in rows} & training
    for language in ("en", "zh"):
        assert sum(row["language"] == language for row in rows) >= 100
    assert {row["emotion"] for row in rows} == set(face_labels().values())


def test_gallery_metadata_matches_files_and_licences():
    import csv

    with open(GALLERY / "metadata.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert 200 <= len(rows) <= 300
    total = 0
    for row in rows:
        path = GALLERY / row["file"]
        total += path.stat().st_size
        assert row["caption_en"] and row["caption_zh"] and row["licence"] and row["source"]
        load_image_file(path)  # every gallery file passes the real intake
    assert total <= 10 * 1024 * 1024
    assert sum(row["file"].startswith("images/photo_") for row in rows) >= 5
