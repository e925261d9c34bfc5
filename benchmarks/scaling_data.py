"""Real pocket embeddings at any size, for the projection benchmarks.

The bundled gallery (232 pictures) plus freshly rendered pictures of the pocket model's
own kinds — emoji in two font designs and procedural mood scenes, each with random
placement, colour and style — embedded by the pocket model. Built once per size and model
and kept as a plain ``.npy`` in the embedding cache folder, so later runs start at once.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from core.cache import default_cache_dir
from core.defaults import GALLERY_IMAGES
from core.encoders import ClipEncoder
from core.images import iter_files, load_image_file
from core.pocket.data import vocabulary
from core.pocket.render import SCENE_IDS, render_emoji, render_scene

GALLERY = GALLERY_IMAGES


def gallery_pictures(count: int | None = None) -> list:
    """The bundled gallery's pictures, decoded (the first ``count``)."""
    return [load_image_file(path).image for path in list(iter_files([GALLERY]))[:count]]


def rendered_pictures(count: int, seed: int = 0):
    """``count`` new pictures: two emoji renders for every mood scene, all seeded."""
    rng = random.Random(seed)
    chars = [entry.char for entry in vocabulary()]
    for index in range(count):
        if index % 3 == 2:
            yield render_scene(rng.choice(SCENE_IDS), rng)
        else:
            yield render_emoji([rng.choice(chars)], rng)


def scaling_vectors(
    encoder: ClipEncoder, count: int, *, folder: Path | None = None, progress=None
) -> np.ndarray:
    """``count`` unit vectors (float32, shape (count, dim)): gallery first, then renders."""
    folder = folder or default_cache_dir().parent / "benchmarks"
    safe_id = encoder.model_id.replace("/", "_").replace("#", "-")
    stored = sorted(folder.glob(f"{safe_id}-*.npy"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    for path in stored:
        if int(path.stem.rsplit("-", 1)[1]) >= count:
            return np.load(path, allow_pickle=False)[:count]
    gallery = gallery_pictures(count)
    parts = [encoder.encode_images(gallery, batch_size=64)]
    made = len(gallery)
    batch = []
    for picture in rendered_pictures(count - made):
        batch.append(picture)
        if len(batch) == 512:
            parts.append(encoder.encode_images(batch, batch_size=128))
            made += len(batch)
            batch = []
            if progress is not None:
                progress(made, count)
    if batch:
        parts.append(encoder.encode_images(batch, batch_size=128))
    vectors = np.concatenate(parts).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / f"{safe_id}-{count}.npy", vectors, allow_pickle=False)
    return vectors
