"""Safe image intake: bytes from a file or an upload become an RGB picture, or a reason.

Formats are decided by content, never by the file name. Only common raster formats are
opened; PostScript/EPS (which Pillow would hand to Ghostscript), SVG, PDF and everything
else is refused with a sentence that says why. Pillow's decompression-bomb limit
(``Image.MAX_IMAGE_PIXELS``) is kept and enforced strictly: an image above it is refused
rather than merely warned about.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
MAX_FILE_BYTES = 64 * 1024 * 1024
THUMBNAIL_SIZE = 128
WHITE = (255, 255, 255)

# Leading bytes of things people rename to .jpg, with the reason they are refused.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%!PS", "PostScript/EPS is refused: opening it would run Ghostscript"),
    (b"\xc5\xd0\xd3\xc6", "PostScript/EPS is refused: opening it would run Ghostscript"),
    (b"%PDF", "a PDF document, not an image"),
    (b"PK\x03\x04", "a zip archive, not an image"),
    (b"\x1f\x8b", "a gzip archive, not an image"),
)


class ImageRejected(ValueError):
    """An input that is not a usable picture; ``str(error)`` is the reason for the user."""


@dataclass(frozen=True)
class IntakeImage:
    """A decoded picture ready for an encoder.

    ``image`` is RGB, EXIF orientation applied, alpha composited on white. ``sha256`` is
    of the original bytes, so the same file always has the same key. ``note`` tells what
    was done to it worth knowing (e.g. "animated: first frame used"), or is empty.
    """

    name: str
    image: Image.Image
    sha256: str
    source_format: str
    note: str = ""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _describe_unknown(data: bytes) -> str:
    head = data[:512].lstrip()
    for signature, reason in _SIGNATURES:
        if data.startswith(signature):
            return reason
    lowered = head.lower()
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return "an SVG drawing: only raster images are supported (export it as PNG)"
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page, not an image"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "a text file, not an image"
    return "not a supported image (allowed: JPEG, PNG, WebP, GIF, BMP, TIFF)"


def _too_many_pixels(pillow_message: str) -> str:
    # Pillow's message carries the pixel count; the header is not read a second time.
    found = re.search(r"\((\d+) pixels\)", pillow_message)
    size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    return (
        f"the image has {size}, over the safety limit of {Image.MAX_IMAGE_PIXELS:,} "
        "pixels (decompression-bomb guard)"
    )


def decode_image(data: bytes, name: str = "image") -> IntakeImage:
    """Decode bytes into an :class:`IntakeImage`.

    Raises
    ------
    ImageRejected
        With a reason a user can act on: empty, too large, truncated, unsupported format.
    """
    if not data:
        raise ImageRejected("the file is empty (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected(
            f"the file is {len(data) / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit"
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            source_format = opened.format or "?"
            note = "animated: first frame used" if getattr(opened, "n_frames", 1) > 1 else ""
            opened.seek(0)
            opened.load()
            picture = to_rgb(ImageOps.exif_transpose(opened))
    except UnidentifiedImageError:
        raise ImageRejected(_describe_unknown(data)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_too_many_pixels(str(error))) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        message = str(error) or type(error).__name__
        if "truncated" in message or isinstance(error, EOFError):
            message = f"the file is truncated or damaged ({message})"
        else:
            message = f"could not decode the image ({message})"
        raise ImageRejected(message) from None
    return IntakeImage(name, picture, sha256_bytes(data), source_format, note)


def to_rgb(picture: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB without clipping or losing transparency sense.

    16-bit and 32-bit greyscale are rescaled (Pillow's own ``convert`` clips them to white);
    transparent images are composited on white; CMYK and palettes go through Pillow.
    """
    mode = picture.mode
    if mode == "RGB":
        return picture
    if mode.startswith("I;16") or mode in {"I", "F"}:
        values = np.asarray(picture, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        if mode == "F":
            top = max(1.0, float(values.max(initial=1.0)))
        grey = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode == "P" and "transparency" in picture.info:
        picture = picture.convert("RGBA")
        mode = "RGBA"
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return picture.convert("RGB")


def load_image_file(path: str | os.PathLike, name: str | None = None) -> IntakeImage:
    """Read and decode one file; raises :class:`ImageRejected` with a reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageRejected(
                f"the file is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit"
            )
        data = path.read_bytes()
    except OSError as error:
        raise ImageRejected(f"could not read the file ({error.strerror or error})") from None
    return decode_image(data, name or str(path))


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Files named directly, and every non-hidden file below the folders named (sorted).

    Symlinked folders are not followed, so a link loop cannot trap the walk.
    """
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for filename in sorted(files):
                    if not filename.startswith("."):
                        yield Path(root) / filename
        else:
            yield path


def make_thumbnail(picture: Image.Image, size: int = THUMBNAIL_SIZE) -> Image.Image:
    """A copy no larger than ``size``×``size`` pixels, aspect ratio kept."""
    thumb = picture.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    return thumb


def thumbnail_png(picture: Image.Image, size: int = THUMBNAIL_SIZE) -> bytes:
    """PNG bytes of :func:`make_thumbnail`, for figures and downloads."""
    buffer = io.BytesIO()
    make_thumbnail(picture, size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
