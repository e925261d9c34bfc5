"""The bundled pocket model: its data, its training code, its shipped weights and metrics."""
# ruff: noqa: E402

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY  # noqa: F401  (the tiny architecture is registered by core)

from core.images import load_image_file
from core.models import load_encoder
from core.pocket import render
from core.pocket.data import Sample, SampleStream, vocabulary
from core.pocket.evaluate import IMPLIED, SENTENCES, load_sentences, recall_at
from core.pocket.lexicon import LEARNED
from core.pocket.sentences import training_sentences, training_texts, written_lines
from core.pocket.train import multi_positive_loss, positives, train
from core.registry import POCKET_DIR, default_model_name

fonts_missing = False
try:
    for design in render.TRAIN_DESIGNS + render.HELD_OUT_DESIGNS:
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
        text_batch=32,
        out=tmp_path / "model",
        towers=("use",),
        init=POCKET_DIR,
        log_every=1,
    )
    assert [row[0] for row in log["loss"]] == [1, 2]
    encoder = load_encoder(f"local-dir:{tmp_path / 'model'}")
    assert encoder.text_tower == "use" and encoder.model_id.endswith("/use")
    vectors = encoder.encode_texts(["我爱你", "I love you"])
    assert vectors.shape == (2, 128)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert json.loads((tmp_path / "model" / "training_log.json").read_text())["steps"] == 2


def test_pocket_is_the_default_without_pretrained_models(monkeypatch, tmp_path):
    monkeypatch.setenv("EMOTION_ATLAS_HF_CACHE", str(tmp_path))
    assert default_model_name() == "pocket"


def test_shipped_model_is_small_safetensors_with_a_locked_text_tower():
    config = json.loads((POCKET_DIR / "pocket_config.json").read_text())
    assert config["towers"][0] == "use" and set(config["towers"]) <= {"use", "e5"}
    assert not list(POCKET_DIR.glob("*.bin")) and not list(POCKET_DIR.glob("*.pt"))
    bundled = sum(f.stat().st_size for f in (POCKET_DIR.parent.parent).rglob("*") if f.is_file())
    assert bundled <= 25 * 1024 * 1024


@needs_fonts
def test_shipped_weights_reproduce_the_model_card_metrics():
    from core.pocket.evaluate import evaluate

    card = json.loads((POCKET_DIR / "metrics.json").read_text())["quick"]
    measured = evaluate(load_encoder("pocket", speedup="fp32"), quick=True)
    compared = 0
    for section in ("explicit", "implied", "placement", "retrieval", "emoji"):
        for key, value in card[section].items():
            if isinstance(value, float):
                assert measured[section][key] == pytest.approx(value, abs=0.02), (section, key)
                compared += 1
    assert compared >= 15


def test_love_reads_as_love_and_sad_news_as_sadness():
    from core.emotions import EKMAN7, PARROTT6, label_vectors, top_labels, zero_shot

    encoder = load_encoder("pocket")
    texts = ["我爱你", "I love you", "our dog died this morning", "考试没过，我好难过"]
    vectors = encoder.encode_texts(texts)
    parrott = zero_shot(vectors, label_vectors(encoder, PARROTT6), encoder.logit_scale)
    ekman = zero_shot(vectors, label_vectors(encoder, EKMAN7), encoder.logit_scale)
    assert top_labels(parrott, PARROTT6)[:2] == ["love", "love"]
    assert top_labels(ekman, EKMAN7)[2:] == ["sadness", "sadness"]


def test_recall_counts_ties_honestly():
    similarity = np.array([[0.9, 0.1], [0.5, 0.5]])
    assert recall_at(similarity, 1) == 1.0  # a tie is not ranked above the true item
    assert recall_at(np.array([[0.1, 0.9], [0.2, 0.1]]), 1) == 0.0


EMOTION_WORDS_EN = {
    "happy", "happiness", "glad", "joy", "joyful", "sad", "sadness", "unhappy", "angry",
    "anger", "mad", "furious", "annoyed", "scared", "afraid", "fear", "terrified",
    "frightened", "disgust", "disgusted", "gross", "surprise", "surprised", "shocked",
    "amazed", "love", "loved", "adore", "hate", "upset", "excited", "nervous", "worried",
    "lonely", "calm", "thrilled", "depressed", "heartbroken", "delighted",
}  # fmt: skip
EMOTION_WORDS_ZH = [
    "开心",
    "高兴",
    "快乐",
    "幸福",
    "喜悦",
    "难过",
    "伤心",
    "悲伤",
    "生气",
    "愤怒",
    "害怕",
    "恐惧",
    "恶心",
    "厌恶",
    "惊讶",
    "吃惊",
    "震惊",
    "爱",
    "喜欢",
    "讨厌",
    "激动",
    "紧张",
    "担心",
    "孤独",
    "平静",
    "郁闷",
]


def _normalised(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def test_evaluation_sets_are_held_out_from_training_text():
    training = {_normalised(t) for t in training_texts()}
    for path in (SENTENCES, IMPLIED):
        rows = load_sentences(path)
        overlap = [r["text"] for r in rows if _normalised(r["text"]) in training]
        assert not overlap, overlap
        for language in ("en", "zh"):
            assert sum(row["language"] == language for row in rows) >= 50


def _grams(text: str, n: int) -> set[str]:
    text = "".join(c for c in text.lower() if c.isalnum())
    return {text[i : i + n] for i in range(max(1, len(text) - n + 1))}


# Character n-gram Jaccard similarity above which two sentences tell the same situation
# (measured on the sets: "爸妈要离婚了" / "爸妈决定离婚了" is 0.38 with bigrams).
NEAR = {"en": (4, 0.4), "zh": (2, 0.3)}


def test_no_training_situation_retells_an_evaluation_sentence():
    from core.pocket.lexicon import SCENARIOS

    evaluation = load_sentences(SENTENCES) + load_sentences(IMPLIED)
    for language, (n, limit) in NEAR.items():
        written = [x.text for x in written_lines(language)]
        written += [t for pools in SCENARIOS.values() for t in pools[language]]
        written_grams = [(t, _grams(t, n)) for t in written]
        for row in (r for r in evaluation if r["language"] == language):
            grams = _grams(row["text"], n)
            for text, other in written_grams:
                similarity = len(grams & other) / len(grams | other)
                assert similarity < limit, (row["text"], text, round(similarity, 2))


def test_implied_set_never_names_its_emotion():
    import re

    rows = load_sentences(IMPLIED)
    assert {row["emotion"] for row in rows} == set(LEARNED)
    for row in rows:
        if row["language"] == "en":
            words = set(re.findall(r"[a-z]+", row["text"].lower()))
            assert not words & EMOTION_WORDS_EN, row["text"]
        else:
            assert not [w for w in EMOTION_WORDS_ZH if w in row["text"]], row["text"]


def test_training_text_is_bilingual_varied_and_covers_every_emotion():
    for language in ("en", "zh"):
        lines = written_lines(language)
        for emotion in LEARNED:
            kinds = [x.kind for x in lines if x.emotion == emotion]
            assert kinds.count("situation") >= 40 and kinds.count("reaction") >= 20
    sentences = training_sentences()
    assert len(sentences) >= 5000
    assert len({s.text for s in sentences}) == len(sentences)
    assert {(s.emotion, s.language) for s in sentences} == {
        (e, lang) for e in LEARNED for lang in ("en", "zh")
    }


def test_explicit_set_keeps_its_size():
    rows = load_sentences(SENTENCES)
    for language in ("en", "zh"):
        assert sum(row["language"] == language for row in rows) >= 100


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


def test_emoji_are_spelled_out_for_the_pocket_text_tower(tmp_path):
    from core.cache import EmbeddingCache
    from core.embedding import embed_texts
    from core.emotions import PARROTT6, label_vectors, zero_shot
    from core.models import load_encoder
    from core.texts import spell_emoji

    assert spell_emoji("考试😭😭 😭") == "考试 loudly crying face"
    assert spell_emoji("no emoji here") == "no emoji here"
    assert spell_emoji("👍🏿 ok") == "thumbs up ok"  # no "dark skin tone" words
    assert spell_emoji("Acme™ ©") == "Acme™ ©"  # text symbols stay as they are
    # a flag is read as a flag (CLDR "flag: China"), not as the bare name of a place
    assert spell_emoji("我爱🇨🇳") == "我爱 flag of China"
    assert spell_emoji(
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    ) == ("flag of Scotland")
    assert spell_emoji("🏳️‍🌈") == "rainbow flag"
    assert spell_emoji("☀️ ❤️") == "sun red heart"
    encoder = load_encoder("pocket")
    labels = label_vectors(encoder, PARROTT6)
    texts = ["🥰", "😡", "😭", "💔"]
    vectors = embed_texts(texts, encoder, cache=EmbeddingCache(tmp_path)).vectors
    tops = [PARROTT6.labels[i] for i in zero_shot(vectors, labels, encoder.logit_scale).argmax(1)]
    # as raw characters the towers read all four as one unknown token (fear 70 % each)
    assert tops == ["love", "anger", "sadness", "sadness"]
