"""How much the background UMAP warm-up slows a user's click in the same server process.

    python benchmarks/warmup_interference.py [--runs 5]

In one fresh process: the median seconds of a CLIP-guided re-colour (the pocket model, a
gallery picture) with nothing else running, then the same while the dashboard's warm-up
(``core.projection.warm_up_umap`` in a daemon thread at the lowest priority, as
``ui.warmup`` runs it)
runs beside it. Prints both medians and their ratio (goal: at most 1.2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.defaults import GALLERY_IMAGES  # noqa: E402
from core.emotions import PARROTT6, label_vectors  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.models import load_encoder  # noqa: E402
from core.projection import warm_up_umap  # noqa: E402
from core.recolour import grade_colours  # noqa: E402


def low_priority(work):
    import contextlib
    import os

    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    return work()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    encoder = load_encoder("pocket")
    labels = label_vectors(encoder, PARROTT6)
    picture = load_image_file(sorted(GALLERY_IMAGES.iterdir())[40]).image
    sad = PARROTT6.labels.index("sadness")

    def click() -> float:
        started = time.perf_counter()
        grade_colours(encoder, picture, labels, sad, "sadness")
        return time.perf_counter() - started

    click()  # the first call pays one-off costs
    idle = [click() for _ in range(args.runs)]
    thread = threading.Thread(target=low_priority, args=(warm_up_umap,), daemon=True)
    thread.start()
    busy = []
    while thread.is_alive() and len(busy) < args.runs:
        busy.append(click())
    thread.join()
    if not busy:
        print("the warm-up ended before a re-colour could run beside it; nothing to compare")
        return
    print(f"re-colour alone: median {statistics.median(idle):.2f} s over {len(idle)}")
    print(f"during the UMAP warm-up: median {statistics.median(busy):.2f} s over {len(busy)}")
    print(f"ratio {statistics.median(busy) / statistics.median(idle):.2f}")


if __name__ == "__main__":
    main()
