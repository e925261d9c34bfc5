"""Labelled picture sets from uploads: a zip of folders named by label, or a CSV of
``file,label`` rows naming pictures uploaded beside it.

Zip archives are read entry by entry with hard limits on count and size, and entries with
absolute paths or ``..`` are refused: nothing is extracted to disk.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import PurePosixPath

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
        raise DatasetRejected(f"not a zip archive ({error})") from None
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_ZIP_FILES:
        raise DatasetRejected(
            f"the zip holds {len(entries):,} files; the limit is {MAX_ZIP_FILES:,}"
        )
    declared = sum(info.file_size for info in entries)
    if declared > MAX_ZIP_BYTES:
        raise DatasetRejected(
            f"the zip unpacks to {declared / 1e6:,.0f} MB; "
            f"the limit is {MAX_ZIP_BYTES / 1e6:.0f} MB"
        )
    sources, refused, total = [], [], 0
    for info in entries:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
            refused.append((info.filename, "unsafe path inside the zip"))
            continue
        if path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        if info.file_size > MAX_ENTRY_BYTES:
            refused.append((info.filename, f"{info.file_size / 1e6:.0f} MB is over the limit"))
            continue
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_ENTRY_BYTES + 1)  # the header's size may lie
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
            refused.append((info.filename, f"could not be read from the zip ({error})"))
            continue
        total += len(content)
        if len(content) > MAX_ENTRY_BYTES or total > MAX_ZIP_BYTES:
            refused.append((info.filename, "larger than its header says"))
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
            refused.append((name, "not inside a folder named by its label"))
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
            refused.append((name, "no label"))
        elif name not in available:
            refused.append((name, "no uploaded picture has this name"))
        else:
            mapping[name] = label
    return mapping, refused
