"""How well the pocket model reads emoji, names and the emotion of sentences.

Everything here is held out from training:

* pictures are fresh renders with a seed the training stream never uses; two emoji
  designs are never trained on (DejaVu Sans, monochrome; OpenMoji, colour);
* ``assets/pocket_eval/sentences.csv`` (105 + 105 social-media sentences, the emotion often
  named) and ``implied.csv`` (80 + 80 sentences whose emotion is implied and never named:
  no emotion word at all) were written apart from the training situations, and a test
  checks that none of them appears in the training text.

Emotion accuracy is zero-shot, exactly as the product reads it: the argmax of the model's
similarity to a label set's prompt ensembles (:func:`core.emotions.label_vectors`). Love is
read as joy in Ekman-7 (``core.emotions.LABEL_MAPS``).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

from core.defaults import GALLERY_IMAGES
from core.emotions import EKMAN7, LABEL_SETS, label_in_set, label_vectors, zero_shot
from core.encoders import ClipEncoder
from core.pocket.data import vocabulary
from core.pocket.lexicon import face_labels
from core.pocket.render import EVAL_STYLE, HELD_OUT_DESIGNS, TRAIN_DESIGNS, glyph, render_emoji
from core.registry import PROJECT_ROOT

SENTENCES = PROJECT_ROOT / "assets" / "pocket_eval" / "sentences.csv"
IMPLIED = PROJECT_ROOT / "assets" / "pocket_eval" / "implied.csv"
GALLERY = GALLERY_IMAGES
EVAL_SEED = 90_210  # never used by training (training streams use small seeds)
QUICK_STRIDE = 4
LANGUAGES = ("en", "zh")

# What the shipped model must reach (issue "Pocket model 2"); eval-pocket prints each.
TARGETS = {
    ("explicit", "ekman7_en"): 0.90,
    ("explicit", "ekman7_zh"): 0.90,
    ("implied", "ekman7_en"): 0.80,
    ("implied", "ekman7_zh"): 0.80,
    ("placement", "explicit_en"): 0.80,
    ("placement", "explicit_zh"): 0.80,
    ("retrieval", "recall@5_en"): 0.95,
    ("retrieval", "recall@5_zh"): 0.95,
    ("emoji", "noto"): 0.95,
    ("emoji", "dejavu"): 0.85,
    ("emoji", "openmoji"): 0.85,
}


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
    for language in LANGUAGES:
        names = [e.names_en[0] if language == "en" else e.name_zh for e in entries]
        similarity = encoder.encode_texts(names) @ images.T
        result[f"recall@1_{language}"] = round(recall_at(similarity, 1), 4)
        result[f"recall@5_{language}"] = round(recall_at(similarity, 5), 4)
    return result


def emoji_emotion(encoder: ClipEncoder, labels: np.ndarray, design: str) -> tuple[float, int]:
    """Zero-shot Ekman-7 accuracy on the hand-labelled face emoji drawn in ``design``."""
    faces = {c.replace("\ufe0f", ""): label for c, label in face_labels().items()}
    chars = [c for c in faces if glyph(c, design) is not None]
    vectors = encoder.encode_images(_render_all(chars, design, EVAL_SEED + 1))
    predicted = zero_shot(vectors, labels, encoder.logit_scale).argmax(axis=1)
    truth = np.array([EKMAN7.labels.index(label_in_set(faces[c], "ekman7")) for c in chars])
    return round(float((predicted == truth).mean()), 4), len(chars)


def emoji_by_design(encoder: ClipEncoder, labels: np.ndarray) -> dict:
    """Face-emoji accuracy per design; the held-out designs are the honest figure."""
    result = {}
    for design in TRAIN_DESIGNS + HELD_OUT_DESIGNS:
        accuracy, count = emoji_emotion(encoder, labels, design)
        result[design] = accuracy
        result[f"count_{design}"] = count
    result["trained_on"] = list(TRAIN_DESIGNS)
    result["held_out"] = list(HELD_OUT_DESIGNS)
    return result


def load_sentences(path: Path = SENTENCES) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rows(path: Path, quick: bool) -> list[dict]:
    return load_sentences(path)[:: 2 if quick else 1]


def sentence_accuracy(
    encoder: ClipEncoder, rows: list[dict], label_sets: tuple[str, ...] = ("ekman7",)
) -> dict:
    """Zero-shot accuracy per label set and language; rows a set has no place for are
    left out of that set's figure (neutral in Parrott-6)."""
    vectors = encoder.encode_texts([row["text"] for row in rows])
    result = {}
    for name in label_sets:
        label_set = LABEL_SETS[name]
        predicted = zero_shot(vectors, label_vectors(encoder, label_set), encoder.logit_scale)
        for language in LANGUAGES:
            hits = [
                label_set.labels[int(p.argmax())] == label_in_set(row["emotion"], name)
                for p, row in zip(predicted, rows, strict=True)
                if row["language"] == language and label_in_set(row["emotion"], name)
            ]
            result[f"{name}_{language}"] = round(float(np.mean(hits)), 4) if hits else None
            result[f"count_{name}_{language}"] = len(hits)
    return result


def placement(encoder: ClipEncoder, sets: dict[str, list[dict]], k: int = 8) -> dict:
    """Does a sentence placed among the bundled gallery borrow its own emotion?

    Each sentence is placed exactly as the Transfer page places it
    (:func:`core.transfer.transfer_view`: a barycentric mix of its k nearest gallery
    pictures, centred on the Ekman-7 prompt bank); the top label of the borrowed Ekman-7
    distribution is compared with the sentence's label.
    """
    from core.embedding import embed_paths
    from core.transfer import transfer_views

    gallery = embed_paths([GALLERY], encoder)
    tagged = [(set_name, row) for set_name, rows in sets.items() for row in rows]
    vectors = encoder.encode_texts([row["text"] for _, row in tagged])
    _, views = transfer_views(vectors, gallery.vectors, encoder, EKMAN7, k=k)  # one map
    hits: dict[tuple[str, str], list[bool]] = {}
    for (set_name, row), view in zip(tagged, views, strict=True):
        top = EKMAN7.labels[int(view.placement.emotion.argmax())]
        correct = top == label_in_set(row["emotion"], "ekman7")
        hits.setdefault((set_name, row["language"]), []).append(correct)
    result = {"gallery_images": len(gallery), "k": k}
    for set_name in sets:
        for language in LANGUAGES:
            result[f"{set_name}_{language}"] = round(float(np.mean(hits[(set_name, language)])), 4)
    return result


def evaluate(encoder: ClipEncoder, *, quick: bool = False) -> dict:
    """All pocket metrics; ``quick`` uses fixed subsets (every 4th emoji, every 2nd sentence)."""
    labels = label_vectors(encoder, EKMAN7)
    explicit, implied = _rows(SENTENCES, quick), _rows(IMPLIED, quick)
    return {
        "model": encoder.model_id,
        "text_tower": getattr(encoder, "text_tower", "open_clip"),
        "subset": "quick" if quick else "full",
        "explicit": sentence_accuracy(encoder, explicit),
        "implied": sentence_accuracy(encoder, implied, ("ekman7", "parrott6")),
        "placement": placement(encoder, {"explicit": explicit, "implied": implied}),
        "retrieval": retrieval(encoder, quick=quick),
        "emoji": emoji_by_design(encoder, labels),
    }


def verdicts(metrics: dict) -> list[str]:
    """One line per target: the figure, and reached or missed by how much."""
    lines = []
    for (section, key), target in TARGETS.items():
        value = metrics.get(section, {}).get(key)
        if value is None:
            continue
        verdict = "reached" if value >= target else f"missed by {target - value:.2f}"
        lines.append(f"  {section}.{key}: {value:.3f}  (target ≥ {target:.2f}: {verdict})")
    return lines
