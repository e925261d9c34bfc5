"""Peak memory of one pixel transfer on the largest picture the intake accepts.

Each case runs in a fresh process; it prints the process's peak RSS before and after the
transfer (``ru_maxrss``), so the figure is what one click adds to a server.

    python benchmarks/memory_per_click.py [--megapixels 88] [--methods reinhard grade]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one_case(method: str, megapixels: float) -> dict:
    sys.path.insert(0, str(ROOT))
    import numpy as np
    from PIL import Image

    from core.emotions import EKMAN7, label_vectors
    from core.models import load_encoder
    from core.recolour import grade_colours, reinhard_transfer

    encoder = load_encoder("pocket")
    labels = label_vectors(encoder, EKMAN7)
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    picture = Image.fromarray(coarse).resize((width, height))
    references = [
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)) for _ in range(4)
    ]
    before = peak_mb()
    started = time.perf_counter()
    if method == "reinhard":
        outcome = reinhard_transfer(
            encoder, picture, references, np.full(4, 0.25), labels, 1, "joy"
        )
    else:
        outcome = grade_colours(encoder, picture, labels, 1, "joy")
    return {
        "method": method,
        "megapixels": round(width * height / 1e6, 1),
        "result": list(outcome.image.size),
        "peak_before_mb": round(before),
        "added_mb": round(peak_mb() - before),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=88.0)
    parser.add_argument("--methods", nargs="+", default=["reinhard", "grade"])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case, args.megapixels)))
        return 0
    for method in args.methods:
        done = subprocess.run(
            [sys.executable, __file__, "--case", method, "--megapixels", str(args.megapixels)],
            capture_output=True,
            text=True,
            check=True,
        )
        record = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{record['method']:9s} {record['megapixels']} MP → {record['result']}: "
            f"+{record['added_mb']} MB peak RSS over {record['peak_before_mb']} MB, "
            f"{record['seconds']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
