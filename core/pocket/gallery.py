"""Build the demo gallery in ``assets/gallery``: ``python -m core.pocket.gallery``.

About 240 small pictures with English and Chinese captions: the hand-labelled face emoji,
emotional symbols and pairs (Noto Color Emoji), procedural mood scenes, and a handful of
real photographs with free licences from scikit-image's bundled sample data (building
needs ``pip install scikit-image``; the built gallery does not).
"""

from __future__ import annotations

import csv
import random
import shutil
import sys
from pathlib import Path

from PIL import Image

from core.defaults import GALLERY_DIR
from core.pocket.data import vocabulary
from core.pocket.lexicon import SCENES
from core.pocket.render import RenderStyle, render_emoji, render_scene

SIZE = 128
GALLERY_STYLE = RenderStyle(0.7, 0.9, 8.0, 0.0, 0.6)
SCENES_PER_MOOD = 7
PAIRS = 30

EMOJI_SOURCE = "Noto Color Emoji font (Debian fonts-noto-color-emoji); names: emoji package / CLDR"
EMOJI_LICENCE = "OFL-1.1 (glyphs); BSD-3-Clause and Unicode-3.0 (names)"
SCENE_SOURCE = "procedural, drawn by core/pocket/render.py"
SCENE_LICENCE = "CC0-1.0"

# (scikit-image loader, caption_en, caption_zh, source, licence)
PHOTOS = (
    (
        "astronaut",
        "an astronaut smiling in her suit",
        "穿着航天服微笑的宇航员",
        "scikit-image sample data: NASA photograph of Eileen Collins",
        "Public domain (NASA)",
    ),
    (
        "coffee",
        "a cup of coffee on a saucer",
        "一杯咖啡",
        "scikit-image sample data: photo by Rachel Michetti",
        "CC0-1.0",
    ),
    (
        "chelsea",
        "a tabby cat looking at the camera",
        "看着镜头的虎斑猫",
        "scikit-image sample data: photo by Stefan van der Walt",
        "CC0-1.0",
    ),
    (
        "rocket",
        "a rocket launching into the sky",
        "火箭升空",
        "scikit-image sample data: SpaceX launch photo",
        "Public domain (SpaceX)",
    ),
    (
        "hubble_deep_field",
        "countless galaxies in deep space",
        "深空中无数的星系",
        "scikit-image sample data: Hubble eXtreme Deep Field, NASA",
        "Public domain (NASA)",
    ),
    (
        "horse",
        "the silhouette of a horse",
        "一匹马的剪影",
        "scikit-image sample data: openclipart drawing by Andreas Preuss",
        "CC0-1.0",
    ),
    (
        "retina",
        "a photograph of a human retina",
        "人眼视网膜照片",
        "scikit-image sample data: Wikimedia Commons fundus photograph",
        "CC0-1.0",
    ),
)


def _photo(loader: str) -> Image.Image:
    import numpy as np
    import skimage.data

    array = getattr(skimage.data, loader)()
    if array.dtype == bool:
        array = (~array * 255).astype(np.uint8)
    picture = Image.fromarray(array).convert("RGB")
    picture.thumbnail((256, 256), Image.Resampling.LANCZOS)
    return picture


def gallery_items(seed: int = 7):
    """Yield (file name, picture, caption_en, caption_zh, emotion, source, licence)."""
    rng = random.Random(seed)
    entries = vocabulary()
    labelled = [e for e in entries if e.emotion]
    for index, entry in enumerate(labelled):
        picture = render_emoji([entry.char], rng, designs=("noto",), style=GALLERY_STYLE, size=SIZE)
        yield (
            f"emoji_{index:03d}_{ord(entry.char):x}.png",
            picture,
            entry.names_en[0],
            entry.name_zh,
            entry.emotion,
            EMOJI_SOURCE,
            EMOJI_LICENCE,
        )
    by_emotion: dict[str, list] = {}
    for entry in labelled:
        by_emotion.setdefault(entry.emotion, []).append(entry)
    moods = sorted(by_emotion)
    for index in range(PAIRS):
        emotion = moods[index % len(moods)]
        pair = rng.sample(by_emotion[emotion], 2)
        picture = render_emoji(
            [e.char for e in pair], rng, designs=("noto",), style=GALLERY_STYLE, size=SIZE
        )
        yield (
            f"pair_{index:03d}.png",
            picture,
            " and ".join(e.names_en[0] for e in pair),
            "和".join(e.name_zh for e in pair),
            emotion,
            EMOJI_SOURCE,
            EMOJI_LICENCE,
        )
    for scene_id, emotion, english, chinese in SCENES:
        for copy in range(SCENES_PER_MOOD):
            picture = render_scene(scene_id, rng, size=SIZE)
            yield (
                f"scene_{scene_id}_{copy}.jpg",
                picture,
                english,
                chinese,
                emotion,
                SCENE_SOURCE,
                SCENE_LICENCE,
            )
    for loader, english, chinese, source, licence in PHOTOS:
        yield (f"photo_{loader}.jpg", _photo(loader), english, chinese, "", source, licence)


def build(folder: Path = GALLERY_DIR) -> int:
    images = folder / "images"
    shutil.rmtree(images, ignore_errors=True)
    images.mkdir(parents=True)
    rows = []
    for name, picture, english, chinese, emotion, source, licence in gallery_items():
        options = {"quality": 88} if name.endswith(".jpg") else {"optimize": True}
        picture.save(images / name, **options)
        rows.append([f"images/{name}", english, chinese, emotion, source, licence])
    with open(folder / "metadata.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "caption_en", "caption_zh", "emotion", "source", "licence"])
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    try:
        import skimage  # noqa: F401
    except ImportError:
        print(
            "error: building the gallery needs scikit-image: pip install scikit-image",
            file=sys.stderr,
        )
        sys.exit(2)
    count = build()
    size = sum(p.stat().st_size for p in (GALLERY_DIR / "images").iterdir())
    print(f"wrote {count} pictures ({size / 1e6:.1f} MB) to {GALLERY_DIR}")
