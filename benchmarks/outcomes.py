"""Measured outcomes of the core library with the pocket model on the bundled gallery.

    python benchmarks/outcomes.py [--images 20] [--steps 40] [--floor 0.8] [--pixel-only] [--json]

1. Placement: each labelled sentence (assets/pocket_eval/sentences.csv and implied.csv) is
   placed among the gallery by core.transfer.transfer_view; is the top label of the
   transferred emotion distribution the sentence's label?
2. Pixel transfer: for ``--images`` gallery pictures × every Ekman-7 target, the mean Emo-S
   and CLIP-I of the colour grade and of the Reinhard transfer (references: the k gallery
   pictures most likely to show the target).
3. Projection: |Spearman| between each LLE method's best axis and the S-curve parameter;
   trustworthiness of every method on the gallery's real pocket embeddings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.datasets import make_s_curve  # noqa: E402

from core.atlas import emotion_probabilities  # noqa: E402
from core.defaults import GALLERY_IMAGES  # noqa: E402
from core.embedding import embed_paths  # noqa: E402
from core.emotions import EKMAN7  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.models import load_encoder  # noqa: E402
from core.pocket.evaluate import IMPLIED, SENTENCES, load_sentences, placement  # noqa: E402
from core.projection import LLE_METHODS, METHODS, Projector, map_quality  # noqa: E402
from core.recolour import CONTENT_FLOOR, grade_colours, reinhard_transfer  # noqa: E402

GALLERY = GALLERY_IMAGES


def placement_agreement(encoder, k: int) -> dict:
    """The pocket evaluation's placement figure (one implementation: core.pocket.evaluate)."""
    sets = {"explicit": load_sentences(SENTENCES), "implied": load_sentences(IMPLIED)}
    return placement(encoder, sets, k=k)


def pixel_transfer(
    encoder, gallery, labels, gallery_probs, n_images: int, steps: int, floor: float
) -> dict:
    chosen = np.linspace(0, len(gallery) - 1, n_images).astype(int)
    results = {"colour grade": [], "reference (Reinhard)": []}
    grade_seconds = []
    started = time.perf_counter()
    for index in chosen:
        picture = load_image_file(gallery.names[index]).image
        for target_index, target in enumerate(EKMAN7.labels):
            begun = time.perf_counter()
            graded = grade_colours(
                encoder, picture, labels, target_index, target, steps=steps, content_floor=floor
            )
            grade_seconds.append(time.perf_counter() - begun)
            results[graded.method].append((graded.emo_s, graded.clip_i))
            best = np.argsort(-gallery_probs[:, target_index])[:5]
            references = [load_image_file(gallery.names[i]).image for i in best]
            moved = reinhard_transfer(
                encoder,
                picture,
                references,
                gallery_probs[best, target_index],
                labels,
                target_index,
                target,
            )
            results[moved.method].append((moved.emo_s, moved.clip_i))
    summary = {}
    for method, pairs in results.items():
        array = np.array(pairs)
        summary[method] = {
            "mean_emo_s": round(float(array[:, 0].mean()), 4),
            "mean_clip_i": round(float(array[:, 1].mean()), 4),
            "least_clip_i": round(float(array[:, 1].min()), 4),
            "runs": len(pairs),
        }
    summary["colour grade"]["median_seconds"] = round(float(np.median(grade_seconds)), 2)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def emoji_reading(encoder) -> dict:
    """Zero-shot Ekman-7 accuracy on the gallery's labelled emoji written as text (one
    character each), read raw and spelled out by name (core.texts.spell_emoji, what the
    pocket model does), against the emotion the gallery's metadata gives each picture."""
    import csv
    import re

    from core.defaults import GALLERY_METADATA
    from core.emotions import label_vectors, zero_shot
    from core.texts import spell_emoji

    chars, truth = [], []
    with open(GALLERY_METADATA, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = re.match(r"images/emoji_\d+_([0-9a-f_]+)\.png", row["file"])
            if found:
                chars.append("".join(chr(int(c, 16)) for c in found.group(1).split("_")))
                truth.append(row["emotion"])
    labels = label_vectors(encoder, EKMAN7)
    tower = getattr(encoder, "tower", None)  # the pocket model's frozen sentence tower
    result = {"emoji": len(chars)}
    for name, texts in (("raw", chars), ("spelled", [spell_emoji(c) for c in chars])):
        if tower is None:
            vectors = encoder.encode_texts(texts)
        else:  # tower + projection by hand: encode_texts would spell the raw ones out too
            import torch

            with torch.inference_mode():
                features = torch.from_numpy(tower.encode(texts))
                vectors = encoder.model.project_text(features, encoder.text_tower).numpy()
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        tops = zero_shot(vectors, labels, encoder.logit_scale).argmax(axis=1)
        hits = [EKMAN7.labels[i] == t for i, t in zip(tops, truth, strict=True)]
        result[f"{name}_accuracy"] = round(float(np.mean(hits)), 3)
        result[f"{name}_distinct_tops"] = len(set(tops.tolist()))
    return result


def projection_quality(gallery_vectors) -> dict:
    points, position = make_s_curve(n_samples=1000, random_state=0)
    spearman = {}
    for method in LLE_METHODS:
        coords = Projector(method=method, n_neighbors=12).fit_transform(points)
        spearman[method] = round(
            max(abs(spearmanr(coords[:, axis], position)[0]) for axis in (0, 1)), 4
        )
    trust = {}
    for method in METHODS:
        coords = Projector(method=method, n_neighbors=12).fit_transform(gallery_vectors)
        trust[method] = round(map_quality(gallery_vectors, coords)["trustworthiness"], 4)
    return {"s_curve_spearman": spearman, "gallery_trustworthiness": trust}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="pocket")
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--pixel-only", action="store_true", help="only the pixel transfer")
    parser.add_argument("--floor", type=float, default=CONTENT_FLOOR, help="grade's CLIP-I floor")
    args = parser.parse_args()

    encoder = load_encoder(args.model)
    gallery = embed_paths([GALLERY], encoder)
    labels, gallery_probs = emotion_probabilities(encoder, gallery.vectors, EKMAN7)
    report = {"model": encoder.model_id, "gallery_images": len(gallery)}
    if not args.pixel_only:
        report["placement_top_label_agreement"] = placement_agreement(encoder, args.k)
        report["emoji_as_text"] = emoji_reading(encoder)
    report["pixel_transfer"] = pixel_transfer(
        encoder, gallery, labels, gallery_probs, args.images, args.steps, args.floor
    )
    if not args.pixel_only:
        report["projection"] = projection_quality(gallery.vectors)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
