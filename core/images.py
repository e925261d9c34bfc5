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
import stat
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
        "image.over_limit": "the file is over the {limit:.0f} MB limit",
        "image.is_folder": "a folder, not a file",
        "image.not_a_file": "not a regular file (a device, pipe or socket): it is not read",
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


def too_large(size: int, limit: int | None = None) -> Message:
    """The reason a file of ``size`` bytes (over ``limit``, :data:`MAX_FILE_BYTES`) is refused."""
    limit = MAX_FILE_BYTES if limit is None else limit
    return Message("image.too_large", mb=size / 1e6, limit=limit / 1e6)


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
        # Band by band in float32: a float64 copy of a whole 16-bit picture cost 8 bytes
        # per pixel (measured: +2.4 GB for one 171 KB PNG within the intake's pixel limit).
        values = np.asarray(picture)
        top = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        if mode == "F":
            top = max(1.0, float(values.max(initial=1.0)))
        grey = np.empty(values.shape, dtype=np.uint8)
        for first in range(0, len(values), 512):
            band = values[first : first + 512].astype(np.float32)
            grey[first : first + 512] = np.clip(band * (255.0 / top) + 0.5, 0, 255)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode == "P" and "transparency" in picture.info:
        picture = picture.convert("RGBA")
        mode = "RGBA"
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return picture.convert("RGB")


def read_regular_file(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (:data:`MAX_FILE_BYTES`).

    Folders, devices (``/dev/zero``), pipes and sockets are refused before they are opened;
    the file is opened without blocking and checked again, then read at most ``limit + 1``
    bytes, so a file that grows while it is read cannot make the read endless either.

    Raises
    ------
    ImageRejected
        Folder, not a regular file, too large, or unreadable (the reason names no path).
    """
    return b"".join(regular_file_chunks(path, limit))


def regular_file_chunks(
    path: str | os.PathLike, limit: int | None = None, chunk: int = 1 << 20
) -> Iterator[bytes]:
    """The file's bytes, ``chunk`` at a time, as :func:`read_regular_file` reads them; the
    refusal of an over-long file comes after its first ``limit + 1`` bytes at the latest."""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        _check_regular(os.stat(path).st_mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)
    except OSError as error:
        raise ImageRejected(unreadable(error)) from None
    try:
        status = os.fstat(descriptor)
        _check_regular(status.st_mode)
        if status.st_size > limit:
            raise ImageRejected(too_large(status.st_size, limit))
        total = 0
        while total <= limit:
            data = os.read(descriptor, min(chunk, limit + 1 - total))
            if not data:
                return
            total += len(data)
            if total > limit:
                raise ImageRejected(Message("image.over_limit", limit=limit / 1e6))
            yield data
    except OSError as error:
        raise ImageRejected(unreadable(error)) from None
    finally:
        os.close(descriptor)


def _check_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise ImageRejected(Message("image.is_folder"))
    if not stat.S_ISREG(mode):
        raise ImageRejected(Message("image.not_a_file"))


def load_image_file(path: str | os.PathLike, name: str | None = None) -> IntakeImage:
    """Read (see :func:`read_regular_file`) and decode one file; raises
    :class:`ImageRejected` with a reason."""
    return decode_image(read_regular_file(path), name or str(path))


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


def thumbnail_webp(picture: Image.Image, size: int = THUMBNAIL_SIZE, quality: int = 80) -> bytes:
    """WebP bytes of :func:`make_thumbnail`: a fifth of the PNG's size for map thumbnails
    (the gallery's 232: 163 KB instead of 827 KB), which every rerun sends to the browser."""
    buffer = io.BytesIO()
    make_thumbnail(picture, size).save(buffer, format="WEBP", quality=quality)
    return buffer.getvalue()


def thumbnail_png(picture: Image.Image, size: int = THUMBNAIL_SIZE) -> bytes:
    """PNG bytes of :func:`make_thumbnail`, for figures and downloads."""
    buffer = io.BytesIO()
    make_thumbnail(picture, size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
