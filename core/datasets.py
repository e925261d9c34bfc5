"""Labelled picture sets from uploads: a zip of folders named by label, or a CSV of
``file,label`` rows naming pictures uploaded beside it.

Zip archives are read entry by entry with hard limits on count and size, and entries with
absolute paths or ``..`` are refused: nothing is extracted to disk.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.defaults import GALLERY_METADATA, MAX_UPLOAD_FILES
from core.messages import Message, define, message_of

define(
    {
        "zip.not_a_zip": "not a zip archive ({error})",
        "zip.too_many_files": "the zip holds {count:,} files; the limit is {limit:,}",
        "zip.too_large": "the zip unpacks to {mb:,.0f} MB; the limit is {limit:.0f} MB",
        "zip.unsafe_path": "unsafe path inside the zip",
        "zip.entry_too_large": "{mb:.0f} MB is over the limit",
        "zip.entry_unreadable": "could not be read from the zip ({error})",
        "zip.entry_larger_than_header": "larger than its header says",
        "dataset.no_label_folder": "not inside a folder named by its label",
        "dataset.no_label": "no label",
        "dataset.no_such_picture": "no uploaded picture has this name",
        "dataset.extra_files": "{count} files",
        "dataset.too_many_files": "over {limit}",
    }
)

MAX_ZIP_FILES = 2000
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ENTRY_BYTES = 32 * 1024 * 1024


class DatasetRejected(ValueError):
    """The whole upload cannot be used; the message says why."""


def read_zip_pictures(data: bytes) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """Every file of a zip archive as ``(entry name, bytes)``, read in memory with limits.

    Returns
    -------
    sources : list of (entry name, bytes)
    refused : list of (entry name, reason): unsafe paths, oversized entries

    Raises
    ------
    DatasetRejected
        Not a zip, or over the file-count / total-size limits (a zip bomb is refused
        from its directory, before anything is inflated).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise DatasetRejected(Message("zip.not_a_zip", error=str(error))) from None
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_ZIP_FILES:
        raise DatasetRejected(
            Message("zip.too_many_files", count=len(entries), limit=MAX_ZIP_FILES)
        )
    declared = sum(info.file_size for info in entries)
    if declared > MAX_ZIP_BYTES:
        raise DatasetRejected(
            Message("zip.too_large", mb=declared / 1e6, limit=MAX_ZIP_BYTES / 1e6)
        )
    sources, refused, total = [], [], 0
    for info in entries:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
            refused.append((info.filename, Message("zip.unsafe_path")))
            continue
        if path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        if info.file_size > MAX_ENTRY_BYTES:
            refused.append((info.filename, Message("zip.entry_too_large", mb=info.file_size / 1e6)))
            continue
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_ENTRY_BYTES + 1)  # the header's size may lie
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            refused.append((info.filename, Message("zip.entry_unreadable", error=str(error))))
            continue
        total += len(content)
        if len(content) > MAX_ENTRY_BYTES or total > MAX_ZIP_BYTES:
            refused.append((info.filename, Message("zip.entry_larger_than_header")))
            continue
        sources.append((info.filename, content))
    return sources, refused


def read_labelled_zip(
    data: bytes,
) -> tuple[list[tuple[str, bytes]], list[str], list[tuple[str, str]]]:
    """Pictures and labels from ``label/picture.jpg`` entries (see :func:`read_zip_pictures`).

    Returns sources, one label per source (the entry's folder), and refused entries.
    """
    sources, refused = read_zip_pictures(data)
    kept, labels = [], []
    for name, content in sources:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if len(parts) < 2:
            refused.append((name, Message("dataset.no_label_folder")))
            continue
        kept.append((name, content))
        labels.append(parts[-2])
    return kept, labels, refused


def read_label_csv(text: str, available: set[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """``file,label`` rows → {file: label} for files in ``available``; the rest refused."""
    mapping, refused = {}, []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or row[0].strip().lower() in {"file", "filename"}:
            continue
        name, label = row[0].strip(), row[1].strip()
        if not label:
            refused.append((name, Message("dataset.no_label")))
        elif name not in available:
            refused.append((name, Message("dataset.no_such_picture")))
        else:
            mapping[name] = label
    return mapping, refused


def expand_uploads(
    files: list[tuple[str, bytes]], max_files: int = MAX_UPLOAD_FILES
) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """Pictures from uploaded ``(name, bytes)`` files; a zip contributes its entries.

    Returns the sources (at most ``max_files``, a zip's entries named ``zip/entry``) and
    the refusals, one ``(name, reason)`` per file or entry that could not be used.
    """
    sources: list[tuple[str, bytes]] = []
    refused: list[tuple[str, str]] = []
    for name, data in files:
        if not name.lower().endswith(".zip"):
            sources.append((name, data))
            continue
        try:
            entries, skipped = read_zip_pictures(data)
        except DatasetRejected as error:
            refused.append((name, message_of(error)))
            continue
        sources += [(f"{name}/{entry}", content) for entry, content in entries]
        refused += [(f"{name}/{entry}", reason) for entry, reason in skipped]
    if len(sources) > max_files:
        extra = Message("dataset.extra_files", count=len(sources) - max_files)
        refused.append((extra, Message("dataset.too_many_files", limit=max_files)))
        sources = sources[:max_files]
    return sources, refused


@dataclass(frozen=True)
class GalleryEntry:
    """One picture of the bundled gallery, from its ``metadata.csv``."""

    caption_en: str
    caption_zh: str
    emotion: str


def gallery_metadata(path: Path = GALLERY_METADATA) -> dict[str, GalleryEntry]:
    """File name -> captions and emotion of each bundled gallery picture."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["file"].split("/")[-1]: GalleryEntry(
                row["caption_en"], row["caption_zh"], row["emotion"]
            )
            for row in csv.DictReader(handle)
        }
