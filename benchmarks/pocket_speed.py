"""Encoding speed of a model on this CPU: images/s and texts/s at a given batch size.

    python benchmarks/pocket_speed.py [--model pocket] [--batch 64] [--repeats 5] [--speedup fp32]

Images are the bundled gallery (decoded once, then preprocessed and encoded each run, as
``encode_images`` does); texts are the pocket evaluation sentences (both held-out sets),
English and Chinese. Prints the median and range of ``--repeats`` timed runs after one
warm-up run, and the time a freshly loaded model takes to answer its first sentence
(emotion included: the label vectors are computed in that time too).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.defaults import GALLERY_IMAGES  # noqa: E402
from core.images import iter_files, load_image_file  # noqa: E402
from core.models import load_encoder  # noqa: E402
from core.pocket.evaluate import IMPLIED, SENTENCES, load_sentences  # noqa: E402


def timed_rate(work, count: int, repeats: int) -> tuple[float, float, float]:
    work()  # warm-up: first-call allocations and kernel choices
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), min(rates), max(rates)


def untrimmed(encoder, texts, batch):
    """open_clip's own encode_text over the full context (what encode_texts trims)."""
    with torch.inference_mode():
        for start in range(0, len(texts), batch):
            tokens = encoder.tokenizer(texts[start : start + batch])
            encoder.model.encode_text(tokens, normalize=True)


def first_answer_seconds(model: str, speedup: str) -> tuple[float, float]:
    """(load seconds, seconds from loaded to the first sentence's emotion)."""
    from core.emotions import PARROTT6, label_vectors, zero_shot

    started = time.perf_counter()
    encoder = load_encoder(model, speedup=speedup)
    # the whole model, as before the pocket model loaded its parts on demand
    encoder = getattr(type(encoder), "loaded", lambda e: e)(encoder)
    loaded = time.perf_counter()
    vector = encoder.encode_texts(["我爱你"])
    zero_shot(vector, label_vectors(encoder, PARROTT6), encoder.logit_scale)
    return loaded - started, time.perf_counter() - loaded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="pocket")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--speedup", default="fp32", help="CPU variant (core.speedups)")
    args = parser.parse_args()

    load_seconds, answer_seconds = first_answer_seconds(args.model, args.speedup)
    encoder = load_encoder(args.model, speedup=args.speedup)
    gallery = GALLERY_IMAGES
    pictures = [load_image_file(p).image for p in iter_files([gallery])]
    texts = [row["text"] for path in (SENTENCES, IMPLIED) for row in load_sentences(path)]
    pixels = torch.stack([encoder.preprocess(p) for p in pictures])

    print(
        f"model {encoder.model_id}  threads {torch.get_num_threads()}  "
        f"cpu {platform.processor() or platform.machine()}  torch {torch.__version__}"
    )
    rows = [
        (
            "images/s, PIL → vectors",
            len(pictures),
            lambda: encoder.encode_images(pictures, batch_size=args.batch),
        ),
        (
            "images/s, forward only",
            len(pictures),
            lambda: [
                encoder.encode_pixels(pixels[i : i + args.batch])
                for i in range(0, len(pixels), args.batch)
            ],
        ),
        ("texts/s", len(texts), lambda: encoder.encode_texts(texts, batch_size=args.batch)),
    ]
    if hasattr(encoder.model, "encode_text"):  # open_clip text towers only
        rows.append(
            (
                "texts/s, untrimmed context",
                len(texts),
                lambda: untrimmed(encoder, texts, args.batch),
            )
        )
    for label, count, work in rows:
        median, low, high = timed_rate(work, count, args.repeats)
        print(
            f"{label:<26} batch {args.batch:>3}: median {median:8.0f}  "
            f"(min {low:.0f}, max {high:.0f}, n={count}, runs={args.repeats})"
        )
    print(f"load {load_seconds:.2f} s; first sentence answered {answer_seconds:.3f} s after load")


if __name__ == "__main__":
    main()
