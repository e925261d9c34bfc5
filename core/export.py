"""Files the product hands out: embeddings as CSV and NPZ, the atlas as standalone HTML.

The CLI and the Export page call the same functions, so a file is the same whichever made
it. Every file is written atomically (:func:`write_file`): a command killed while writing
leaves the previous file whole.
"""

from __future__ import annotations

import csv
import html
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.embedding import EmbeddingSet


def embeddings_csv(
    items: EmbeddingSet, probabilities: np.ndarray | None = None, labels=()
) -> bytes:
    """UTF-8 CSV, one row per item: name, kind, top emotion, ``p_<label>`` and ``e<i>``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labels = list(labels)
    scored = probabilities is not None and len(labels)
    header = ["name", "kind"]
    if scored:
        header += ["top_emotion", *[f"p_{label}" for label in labels]]
    writer.writerow(header + [f"e{i}" for i in range(items.vectors.shape[1])])
    for row, (name, kind, vector) in enumerate(
        zip(items.names, items.kinds, items.vectors, strict=True)
    ):
        values = [name, kind]
        if scored:
            values += [labels[int(probabilities[row].argmax())]]
            values += [f"{v:.6f}" for v in probabilities[row]]
        writer.writerow(values + [f"{v:.6f}" for v in vector])
    return buffer.getvalue().encode("utf-8")


def embeddings_npz(
    items: EmbeddingSet, probabilities: np.ndarray | None = None, labels=()
) -> bytes:
    """The :meth:`EmbeddingSet.save_npz` format (loads with ``EmbeddingSet.load_npz``),
    with the emotion ``probabilities`` and their ``labels`` beside it when given."""
    extra = {}
    if probabilities is not None:
        extra = {"probabilities": probabilities, "labels": np.array(list(labels), dtype=str)}
    buffer = io.BytesIO()
    items.save_npz(buffer, extra=extra)
    return buffer.getvalue()


def atlas_html(
    figure,
    title: str,
    *,
    language: str = "en",
    sentences: Sequence[str] = (),
    sentences_title: str = "",
    caption: str = "",
) -> bytes:
    """A standalone HTML page of a plotly figure: plotly.js inside, opens offline.

    ``title`` names the page (a browser's tab), ``language`` is its ``lang``. Under the
    figure: ``sentences`` whole, as typed (the map shortens long ones), headed by
    ``sentences_title``, then ``caption``. All of it is escaped.
    """
    page = figure.to_html(include_plotlyjs=True, full_html=True)
    page = page.replace("<html>", f'<html lang="{html.escape(language)}">', 1)
    page = page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    below = []
    if sentences:
        if sentences_title:
            below.append(f"<h2>{html.escape(sentences_title)}</h2>")
        below.append("<ol>" + "".join(f"<li>{html.escape(s)}</li>" for s in sentences) + "</ol>")
    if caption:
        below.append(f"<p>{html.escape(caption)}</p>")
    if below:
        style = "font-family: Noto Sans, Noto Sans CJK SC, sans-serif; margin: 2rem"
        head, tail = page.rsplit("</body>", 1)
        page = f'{head}<section style="{style}">{"".join(below)}</section>\n</body>{tail}'
    return page.encode("utf-8")


def check_writable(path: str | os.PathLike) -> Path:
    """The output path, refused before any work when its folder is missing or unwritable."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"the folder {folder} does not exist")
    if path.is_dir():
        raise ValueError(f"{path} is a folder")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"the folder {folder} is not writable")
    return path


def write_file(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably: a temporary file in the same
    folder, flushed and fsynced, then renamed over ``path``."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def picture_bytes(picture, name: str = "picture.png") -> bytes:
    """A PIL picture as file bytes in the format ``name``'s extension names (PNG if none)."""
    from PIL import Image

    kind = Image.registered_extensions().get(Path(name).suffix.lower(), "PNG")
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return buffer.getvalue()
