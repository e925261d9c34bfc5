"""Generate a corpus of good, odd and bad image files for intake tests.

Run as a script to look at the files: ``python tests/make_corpus.py OUT_FOLDER``.
Every file is made here from Pillow or raw bytes; nothing binary is checked in.
``EXPECTED`` maps each file name to ``"ok"`` or a regex the refusal reason must match.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image

EXPECTED: dict[str, str] = {
    "red.png": "ok",
    "photo.jpg": "ok",
    "tiny_1x1.png": "ok",
    "animated.gif": "ok",
    "cmyk.jpg": "ok",
    "deep_16bit.png": "ok",
    "palette_alpha.png": "ok",
    "rotated_exif6.jpg": "ok",
    "renamed_png.jpg": "ok",
    "greyscale.bmp": "ok",
    "layers.tiff": "ok",
    "sky.webp": "ok",
    "empty.jpg": r"empty \(0 bytes\)",
    "truncated.jpg": r"truncated|damaged|decode",
    "truncated.png": r"truncated|damaged|decode",
    "notes_as_image.jpg": r"text file",
    "drawing.eps": r"PostScript/EPS is refused",
    "page.html.png": r"HTML page",
    "vector.svg": r"SVG",
    "bomb_40000x40000.png": r"safety limit .*decompression-bomb",
}


def _encoded(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _gradient(size=(96, 64)) -> Image.Image:
    width, height = size
    picture = Image.new("RGB", size)
    picture.putdata(
        [(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)]
    )
    return picture


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` pixels but carries no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b""))
        + _png_chunk(b"IEND", b"")
    )


def _exif_rotated() -> bytes:
    # 80 wide × 40 tall stored; orientation 6 means "rotate 90° clockwise to view" → 40×80.
    picture = Image.new("RGB", (80, 40), (30, 160, 60))
    exif = Image.Exif()
    exif[0x0112] = 6
    return _encoded(picture, "JPEG", exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    return _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def _palette_alpha() -> bytes:
    picture = Image.new("P", (32, 32), 0)
    picture.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    for x in range(16):
        for y in range(32):
            picture.putpixel((x, y), 1)
    return _encoded(picture, "PNG", transparency=0)  # index 0 (left half black) transparent


def corpus_bytes() -> dict[str, bytes]:
    """File name → file content for every entry of :data:`EXPECTED`."""
    photo = _encoded(_gradient(), "JPEG", quality=90)
    png = _encoded(_gradient(), "PNG")
    files = {
        "red.png": _encoded(Image.new("RGB", (64, 64), (220, 20, 20)), "PNG"),
        "photo.jpg": photo,
        "tiny_1x1.png": _encoded(Image.new("RGB", (1, 1), (0, 200, 0)), "PNG"),
        "animated.gif": _animated_gif(),
        "cmyk.jpg": _encoded(Image.new("CMYK", (48, 48), (0, 255, 255, 0)), "JPEG"),
        "deep_16bit.png": _encoded(Image.new("I;16", (40, 40), 4000), "PNG"),
        "palette_alpha.png": _palette_alpha(),
        "rotated_exif6.jpg": _exif_rotated(),
        "renamed_png.jpg": png,
        "greyscale.bmp": _encoded(Image.new("L", (30, 30), 90), "BMP"),
        "layers.tiff": _encoded(_gradient((50, 50)), "TIFF"),
        "sky.webp": _encoded(Image.new("RGB", (40, 30), (90, 150, 240)), "WEBP"),
        "empty.jpg": b"",
        "truncated.jpg": photo[: len(photo) // 2],
        "truncated.png": png[: len(png) // 2],
        "notes_as_image.jpg": "I love you / 我爱你: not a picture\n".encode(),
        "drawing.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "page.html.png": b"<!DOCTYPE html><html><body>hello</body></html>",
        "vector.svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "bomb_40000x40000.png": png_header_only(40_000, 40_000),
    }
    assert files.keys() == EXPECTED.keys()
    return files


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every corpus file into ``folder``; returns name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in corpus_bytes().items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    print(f"wrote {len(write_corpus(out))} files to {out}")
