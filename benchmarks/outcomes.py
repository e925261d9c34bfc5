"""Measured outcomes of the core library with the pocket model on the bundled gallery.

    python benchmarks/outcomes.py [--images 20] [--steps 40] [--json]

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
from core.recolour import grade_colours, reinhard_transfer  # noqa: E402

GALLERY = GALLERY_IMAGES


def placement_agreement(encoder, k: int) -> dict:
    """The pocket evaluation's placement figure (one implementation: core.pocket.evaluate)."""
    sets = {"explicit": load_sentences(SENTENCES), "implied": load_sentences(IMPLIED)}
    return placement(encoder, sets, k=k)


def pixel_transfer(encoder, gallery, labels, gallery_probs, n_images: int, steps: int) -> dict:
    chosen = np.linspace(0, len(gallery) - 1, n_images).astype(int)
    results = {"colour grade": [], "reference (Reinhard)": []}
    started = time.perf_counter()
    for index in chosen:
        picture = load_image_file(gallery.names[index]).image
        for target_index, target in enumerate(EKMAN7.labels):
            graded = grade_colours(encoder, picture, labels, target_index, target, steps=steps)
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
            "runs": len(pairs),
        }
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


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
    args = parser.parse_args()

    encoder = load_encoder(args.model)
    gallery = embed_paths([GALLERY], encoder)
    labels, gallery_probs = emotion_probabilities(encoder, gallery.vectors, EKMAN7)
    report = {
        "model": encoder.model_id,
        "gallery_images": len(gallery),
        "placement_top_label_agreement": placement_agreement(encoder, args.k),
        "pixel_transfer": pixel_transfer(
            encoder, gallery, labels, gallery_probs, args.images, args.steps
        ),
        "projection": projection_quality(gallery.vectors),
    }
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
