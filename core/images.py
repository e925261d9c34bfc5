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

from core.defaults import INTAKE_THUMBNAIL
from core.messages import Message, define

define(
    {
        "image.empty": "the file is empty (0 bytes)",
        "image.too_large": "the file is {mb:.1f} MB, over the {limit:.0f} MB limit",
        "image.unreadable": "could not read the file ({error})",
        "image.truncated": "the file is truncated or damaged ({error})",
        "image.undecodable": "could not decode the image ({error})",
        "image.too_many_pixels": (
            "the image has {pixels:,} pixels, over the safety limit of {limit:,} "
            "pixels (decompression-bomb guard)"
        ),
        "image.too_many_pixels_unknown": (
            "the image has too many pixels, over the safety limit of {limit:,} "
            "pixels (decompression-bomb guard)"
        ),
        "image.postscript": "PostScript/EPS is refused: opening it would run Ghostscript",
        "image.pdf": "a PDF document, not an image",
        "image.zip": "a zip archive, not an image",
        "image.gzip": "a gzip archive, not an image",
        "image.svg": "an SVG drawing: only raster images are supported (export it as PNG)",
        "image.html": "an HTML page, not an image",
        "image.text": "a text file, not an image",
        "image.unsupported": "not a supported image (allowed: JPEG, PNG, WebP, GIF, BMP, TIFF)",
        "image.animated": "animated: first frame used",
    }
)

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
MAX_FILE_BYTES = 64 * 1024 * 1024
THUMBNAIL_SIZE = INTAKE_THUMBNAIL
WHITE = (255, 255, 255)

# Leading bytes of things people rename to .jpg, with the code of the reason they are refused.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%!PS", "image.postscript"),
    (b"\xc5\xd0\xd3\xc6", "image.postscript"),
    (b"%PDF", "image.pdf"),
    (b"PK\x03\x04", "image.zip"),
    (b"\x1f\x8b", "image.gzip"),
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


def _describe_unknown(data: bytes) -> Message:
    head = data[:512].lstrip()
    for signature, code in _SIGNATURES:
        if data.startswith(signature):
            return Message(code)
    lowered = head.lower()
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return Message("image.svg")
    if lowered.startswith((b"<!doctype html", b"<html")):
        return Message("image.html")
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Message("image.text")
    return Message("image.unsupported")


def _too_many_pixels(pillow_message: str) -> Message:
    # Pillow's message carries the pixel count; the header is not read a second time.
    found = re.search(r"\((\d+) pixels\)", pillow_message)
    if found is None:
        return Message("image.too_many_pixels_unknown", limit=Image.MAX_IMAGE_PIXELS)
    return Message(
        "image.too_many_pixels", pixels=int(found.group(1)), limit=Image.MAX_IMAGE_PIXELS
    )


def too_large(size: int) -> Message:
    """The reason a file of ``size`` bytes (over :data:`MAX_FILE_BYTES`) is refused."""
    return Message("image.too_large", mb=size / 1e6, limit=MAX_FILE_BYTES / 1e6)


def decode_image(data: bytes, name: str = "image") -> IntakeImage:
    """Decode bytes into an :class:`IntakeImage`.

    Raises
    ------
    ImageRejected
        With a reason a user can act on: empty, too large, truncated, unsupported format.
    """
    if not data:
        raise ImageRejected(Message("image.empty"))
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected(too_large(len(data)))
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            source_format = opened.format or "?"
            animated = getattr(opened, "n_frames", 1) > 1
            note = Message("image.animated") if animated else ""
            opened.seek(0)
            opened.load()
            picture = to_rgb(ImageOps.exif_transpose(opened))
    except UnidentifiedImageError:
        raise ImageRejected(_describe_unknown(data)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(_too_many_pixels(str(error))) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        detail = str(error) or type(error).__name__
        if "truncated" in detail or isinstance(error, EOFError):
            raise ImageRejected(Message("image.truncated", error=detail)) from None
        raise ImageRejected(Message("image.undecodable", error=detail)) from None
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
            raise ImageRejected(too_large(size))
        data = path.read_bytes()
    except OSError as error:
        raise ImageRejected(unreadable(error)) from None
    return decode_image(data, name or str(path))


def unreadable(error: OSError) -> Message:
    """Why a file could not be read, without its path (``strerror`` names none)."""
    return Message("image.unreadable", error=error.strerror or type(error).__name__)


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
