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

# The hardening corpus: every odd or hostile file a classroom may throw at the app.
EXTRA_EXPECTED: dict[str, str] = {
    **{f"exif_orientation_{n}.jpg": "ok" for n in range(1, 9)},
    "wide_10000x10.png": "ok",
    "tall_10x10000.png": "ok",
    "animated.webp": "ok",
    "rgb_16bit.png": "ok",
    "grey_alpha.png": "ok",
    "one_bit.bmp": "ok",
    "float.tiff": "ok",
    "int32.tiff": "ok",
    "cmyk.tiff": "ok",
    "huge_just_under_limit.png": "ok",
    "huge_just_over_limit.png": r"safety limit .*decompression-bomb",
    "huge_over_error_limit.png": r"safety limit .*decompression-bomb",
    "truncated.webp": r"truncated|damaged|decode|not a supported",
    "truncated.gif": r"truncated|damaged|decode",
    "truncated.tiff": r"truncated|damaged|decode",
    "bad_crc.png": r"damaged|decode|truncated",
    "header_only.bmp": r"truncated|damaged|decode|not a supported",
    "postscript.ps": r"PostScript/EPS is refused",
    "binary.eps": r"PostScript/EPS is refused",
    "document.pdf": r"PDF document",
    "archive_renamed.png": r"zip archive",
    "gzip_renamed.jpg": r"gzip archive",
    "jpeg2000.jp2": r"not a supported image",
    "icon.ico": r"not a supported image",
    "random_bytes.jpg": r"not a supported image",
    "utf16_text.png": r"not a supported image|text file",
    "script.html.jpg": r"HTML page",
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


def _exif_orientation(value: int) -> bytes:
    picture = Image.new("RGB", (60, 30), (200, 120, 40))
    picture.paste((20, 20, 200), (0, 0, 10, 10))  # a marker in one corner
    exif = Image.Exif()
    exif[0x0112] = value
    return _encoded(picture, "JPEG", exif=exif.tobytes())


def _big_blank(pixels: int) -> bytes:
    """A single-channel PNG of about ``pixels`` pixels that compresses to a few hundred KB."""
    width = 10_000
    return _encoded(Image.new("L", (width, pixels // width), 0), "PNG")


def _bad_crc() -> bytes:
    data = bytearray(_encoded(_gradient(), "PNG"))
    data[33 + 8 + 4] ^= 0xFF  # first byte of the first IDAT payload
    return bytes(data)


def extra_corpus_bytes() -> dict[str, bytes]:
    """File name → content for :data:`EXTRA_EXPECTED` (some are tens of MB decoded)."""
    import gzip
    import random as _random

    limit = Image.MAX_IMAGE_PIXELS
    files = {f"exif_orientation_{n}.jpg": _exif_orientation(n) for n in range(1, 9)}
    webp_frames = [Image.new("RGB", (30, 30), c) for c in ((255, 0, 0), (0, 255, 0))]
    webp = io.BytesIO()
    webp_frames[0].save(webp, "WEBP", save_all=True, append_images=webp_frames[1:])
    gif = _animated_gif()
    tiff = _encoded(_gradient((80, 80)), "TIFF")
    files.update(
        {
            "wide_10000x10.png": _encoded(Image.new("RGB", (10_000, 10), (0, 90, 0)), "PNG"),
            "tall_10x10000.png": _encoded(Image.new("RGB", (10, 10_000), (90, 0, 0)), "PNG"),
            "animated.webp": webp.getvalue(),
            "rgb_16bit.png": _rgb16_png(),
            "grey_alpha.png": _encoded(Image.new("LA", (20, 20), (100, 128)), "PNG"),
            "one_bit.bmp": _encoded(Image.new("1", (33, 17), 1), "BMP"),
            "float.tiff": _encoded(Image.new("F", (16, 16), 0.5), "TIFF"),
            "int32.tiff": _encoded(Image.new("I", (16, 16), 30_000), "TIFF"),
            "cmyk.tiff": _encoded(Image.new("CMYK", (16, 16), (0, 0, 255, 0)), "TIFF"),
            "huge_just_under_limit.png": _big_blank(limit - 100_000),
            "huge_just_over_limit.png": _big_blank(limit + 100_000),
            # over twice the limit, where Pillow itself raises DecompressionBombError
            "huge_over_error_limit.png": _big_blank(2 * limit + 100_000),
            "truncated.webp": _encoded(_gradient(), "WEBP")[:60],
            "truncated.gif": gif[: len(gif) // 2],
            "truncated.tiff": tiff[: len(tiff) // 3],
            "bad_crc.png": _bad_crc(),
            "header_only.bmp": _encoded(_gradient(), "BMP")[:54],
            "postscript.ps": b"%!PS-Adobe-3.0\n/Times findfont 12 scalefont setfont\nshowpage\n",
            "binary.eps": b"\xc5\xd0\xd3\xc6" + bytes(40),
            "document.pdf": b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
            "archive_renamed.png": b"PK\x03\x04" + bytes(60),
            "gzip_renamed.jpg": gzip.compress(b"not an image"),
            "jpeg2000.jp2": _encoded(_gradient(), "JPEG2000"),
            "icon.ico": _encoded(_gradient((32, 32)), "ICO"),
            "random_bytes.jpg": _random.Random(7).randbytes(4096),
            "utf16_text.png": "我爱你 I love you".encode("utf-16"),
            "script.html.jpg": b"<html><script>alert(1)</script></html>",
        }
    )
    assert files.keys() == EXTRA_EXPECTED.keys()
    return files


def zip_corpus_bytes() -> dict[str, bytes]:
    """Hostile archives: a zip bomb, path traversal entries, 10,000 tiny files."""
    import zipfile

    def archive(entries) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, content in entries:
                bundle.writestr(name, content)
        return buffer.getvalue()

    red = _encoded(Image.new("RGB", (8, 8), (255, 0, 0)), "PNG")
    return {
        "bomb.zip": archive([("joy/bomb.png", bytes(300_000_000))]),  # 300 MB of zeros
        "traversal.zip": archive(
            [("joy/red.png", red), ("../../x.png", red), ("/etc/passwd", b"x"), ("C:/x.png", red)]
        ),
        "ten_thousand.zip": archive((f"joy/{i}.png", red) for i in range(10_000)),
    }


def _rgb16_png() -> bytes:
    import numpy as np

    pixels = np.full((12, 12, 3), 40_000, dtype=">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", 12, 12, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


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


def write_corpus(folder: Path, *, extra: bool = False) -> dict[str, Path]:
    """Write every corpus file (and the hardening extras) into ``folder``; name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    files = {**corpus_bytes(), **(extra_corpus_bytes() if extra else {})}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    print(f"wrote {len(write_corpus(out, extra='--extra' in sys.argv))} files to {out}")
