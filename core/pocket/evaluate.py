"""How well the pocket model knows emoji, Chinese and English names, and emotions.

Everything here is held out from training: pictures are fresh renders with a seed the
training stream never uses, one emoji design (DejaVu Sans) is never trained on, and the
sentences in ``assets/pocket_eval/sentences.csv`` were written apart from the training
scenarios.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from core.emotions import EKMAN7, label_vectors, zero_shot
from core.encoders import ClipEncoder
from core.pocket.data import vocabulary
from core.pocket.lexicon import face_labels
from core.pocket.render import EVAL_STYLE, glyph, render_emoji
from core.registry import PROJECT_ROOT

SENTENCES = PROJECT_ROOT / "assets" / "pocket_eval" / "sentences.csv"
EVAL_SEED = 90_210  # never used by training (training streams use small seeds)
QUICK_STRIDE = 4


def recall_at(similarity: np.ndarray, k: int) -> float:
    """Share of rows whose own column (the diagonal) is among the k highest scores."""
    correct = np.diag(similarity)[:, None]
    rank = (similarity > correct).sum(axis=1)
    return float((rank < k).mean())


def _render_all(chars: list[str], design: str, seed: int) -> list:
    rng = random.Random(seed)
    return [render_emoji([c], rng, designs=(design,), style=EVAL_STYLE) for c in chars]


def retrieval(encoder: ClipEncoder, *, quick: bool = False) -> dict:
    """Text → image Recall@1/@5 over one held-out render per emoji, per language."""
    entries = list(vocabulary())[:: QUICK_STRIDE if quick else 1]
    images = encoder.encode_images(_render_all([e.char for e in entries], "noto", EVAL_SEED))
    result = {"candidates": len(entries)}
    for language in ("en", "zh"):
        names = [e.names_en[0] if language == "en" else e.name_zh for e in entries]
        similarity = encoder.encode_texts(names) @ images.T
        result[f"recall@1_{language}"] = round(recall_at(similarity, 1), 4)
        result[f"recall@5_{language}"] = round(recall_at(similarity, 5), 4)
    return result


def emoji_emotion(encoder: ClipEncoder, labels: np.ndarray, design: str = "noto") -> dict:
    """Zero-shot Ekman-7 accuracy on the hand-labelled face emoji, drawn in ``design``."""
    faces = {c.replace("\ufe0f", ""): label for c, label in face_labels().items()}
    chars = [c for c in faces if glyph(c, design) is not None]
    vectors = encoder.encode_images(_render_all(chars, design, EVAL_SEED + 1))
    predicted = zero_shot(vectors, labels, encoder.logit_scale).argmax(axis=1)
    truth = np.array([EKMAN7.labels.index(faces[c]) for c in chars])
    return {"accuracy": round(float((predicted == truth).mean()), 4), "count": len(chars)}


def load_sentences(path: Path = SENTENCES) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sentence_emotion(encoder: ClipEncoder, labels: np.ndarray, *, quick: bool = False) -> dict:
    """Zero-shot Ekman-7 accuracy on the written sentences, per language."""
    rows = load_sentences()[:: 2 if quick else 1]
    result = {}
    for language in ("en", "zh"):
        subset = [row for row in rows if row["language"] == language]
        vectors = encoder.encode_texts([row["text"] for row in subset])
        predicted = zero_shot(vectors, labels, encoder.logit_scale).argmax(axis=1)
        truth = np.array([EKMAN7.labels.index(row["emotion"]) for row in subset])
        result[f"accuracy_{language}"] = round(float((predicted == truth).mean()), 4)
        result[f"count_{language}"] = len(subset)
    return result


def evaluate(encoder: ClipEncoder, *, quick: bool = False) -> dict:
    """All pocket metrics; ``quick`` uses fixed subsets (every 4th emoji, every 2nd sentence)."""
    labels = label_vectors(encoder, EKMAN7)
    return {
        "model": encoder.model_id,
        "subset": "quick" if quick else "full",
        "retrieval": retrieval(encoder, quick=quick),
        "emoji_emotion": emoji_emotion(encoder, labels, "noto"),
        "emoji_emotion_unseen_design": emoji_emotion(encoder, labels, "dejavu"),
        "sentence_emotion": sentence_emotion(encoder, labels, quick=quick),
    }
