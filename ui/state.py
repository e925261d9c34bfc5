"""Cached loaders shared by every page: the model, the gallery, collections and maps.

Models and results live in ``st.cache_resource`` (one shared object, never copied per
rerun; callers must not mutate them); keys are plain strings and numbers, and unhashable
inputs travel in ``_underscored`` arguments next to the key that identifies them.
"""

from __future__ import annotations

import hashlib
import io
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from core.atlas import Atlas, build_atlas
from core.cache import EmbeddingCache
from core.datasets import DatasetRejected, read_zip_pictures
from core.embedding import EmbeddingSet, embed_images, embed_texts
from core.emotions import (
    LABEL_SETS,
    LabelSet,
    label_vectors,
    parse_label_set,
    prompt_bank_center,
)
from core.encoders import ClipEncoder, load_encoder
from core.folders import list_files, resolve_folder
from core.images import (
    MAX_FILE_BYTES,
    decode_image,
    iter_files,
    thumbnail_png,
)
from core.projection import warm_up_umap
from core.registry import PROJECT_ROOT
from ui.i18n import t

GALLERY_IMAGES = PROJECT_ROOT / "assets" / "gallery" / "images"
MAX_UPLOAD_FILES = 500


@st.cache_resource(show_spinner=False, max_entries=3)
def get_encoder(name: str) -> ClipEncoder:
    return load_encoder(name)


@dataclass
class Collection:
    """Pictures of one session: embeddings plus the decoded thumbnails, keyed by content."""

    key: str
    embeddings: EmbeddingSet
    thumbnails: dict[str, bytes]  # name -> PNG bytes
    pictures: dict[str, object]  # name -> PIL image (gallery and uploads are small)


def _progress_bar(label: str):
    bar = st.progress(0.0, text=label)

    def report(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"{label} {done}/{total}")

    return bar, report


def _collect(encoder: ClipEncoder, sources: list[tuple[str, bytes]], label: str) -> Collection:
    bar, report = _progress_bar(label)
    embeddings = embed_images(sources, encoder, cache=EmbeddingCache(), progress=report)
    bar.empty()
    pictures, thumbnails = {}, {}
    kept = set(embeddings.names)
    for name, data in sources:
        if name in kept:
            picture = decode_image(data, name).image
            picture.thumbnail((256, 256))
            pictures[name] = picture
            thumbnails[name] = thumbnail_png(picture, 64)
    digest = hashlib.sha256("".join(embeddings.hashes).encode()).hexdigest()[:16]
    return Collection(f"{encoder.model_id}:{digest}", embeddings, thumbnails, pictures)


@st.cache_resource(show_spinner=False, max_entries=4)
def gallery_collection(model_name: str) -> Collection:
    """The bundled gallery embedded by ``model_name`` (cached on disk: fast after the first)."""
    sources = [(path.name, path.read_bytes()) for path in iter_files([GALLERY_IMAGES])]
    return _collect(get_encoder(model_name), sources, "Embedding the gallery / 正在编码图库")


def _upload_sources(files) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """Pictures from uploaded files; a zip contributes its entries (bounded)."""
    sources, refused = [], []
    for upload in files:
        data = upload.getvalue()
        if upload.name.lower().endswith(".zip"):
            try:
                entries, skipped = read_zip_pictures(data)
            except DatasetRejected as error:
                refused.append((upload.name, str(error)))
                continue
            sources += [(f"{upload.name}/{name}", content) for name, content in entries]
            refused += [(f"{upload.name}/{name}", reason) for name, reason in skipped]
        else:
            sources.append((upload.name, data))
    if len(sources) > MAX_UPLOAD_FILES:
        refused.append((f"{len(sources) - MAX_UPLOAD_FILES} files", f"over {MAX_UPLOAD_FILES}"))
        sources = sources[:MAX_UPLOAD_FILES]
    return sources, refused


def _session_collection(model_name: str, slot: str, signature: str, read, label: str):
    """One collection per slot and session, rebuilt only when ``signature`` changes.

    ``read()`` gives ``(sources, refused)`` and runs only then: a rerun with the same
    uploads or the same folder copies and hashes no picture bytes again. Returns the
    collection (None when nothing could be read) and the refusals.
    """
    key = f"{slot}:{model_name}:{signature}"
    store = st.session_state.setdefault(f"{slot}_collection", {})
    if key not in store:
        store.clear()  # the previous set of this slot is released
        sources, refused = read()
        collection = _collect(get_encoder(model_name), sources, label) if sources else None
        store[key] = (collection, refused)
    collection, refused = store[key]
    return collection, refused + (collection.embeddings.rejected if collection else [])


def upload_collection(model_name: str, files) -> tuple[Collection | None, list[tuple[str, str]]]:
    """Embed uploaded pictures and zips (kept per session); returns the collection and refusals."""
    if not files:
        return None, []
    # Streamlit gives every uploaded file its own id: no need to read the bytes to know
    signature = hashlib.sha256(
        "\n".join(f"{f.file_id}:{f.name}:{f.size}" for f in files).encode()
    ).hexdigest()
    return _session_collection(
        model_name,
        "uploads",
        signature,
        lambda: _upload_sources(files),
        "Embedding uploads / 正在编码上传",
    )


def folder_collection(model_name: str, root: str, relative: str):
    """Embed the pictures of an allowed server folder; refusals explain anything skipped.

    The folder is listed on every rerun (names, sizes, modification times), but its files
    are read only when that listing changed.
    """
    folder = resolve_folder(Path(root), relative)
    files, listing_refused = list_files(folder, Path(root))
    stats = [(str(path.relative_to(folder)), path.stat()) for path in files]
    signature = hashlib.sha256(
        "\n".join(f"{name}:{st_.st_size}:{st_.st_mtime_ns}" for name, st_ in stats).encode()
    ).hexdigest()

    def read():
        sources, refused = [], list(listing_refused)
        for (name, status), path in zip(stats, files, strict=True):
            if status.st_size > MAX_FILE_BYTES:
                refused.append((path.name, "over the size limit for one picture"))
            else:
                sources.append((name, path.read_bytes()))
        return sources, refused

    return _session_collection(
        model_name, "folder", f"{folder}:{signature}", read, "Embedding / 正在编码"
    )


def merge(collections: list[Collection]) -> Collection:
    """One collection of several (gallery and uploads), joined once per session.

    Joining copies every vector; the result is kept in the session and reused while the
    same collections are chosen, so a rerun copies nothing.
    """
    present = [c for c in collections if c is not None and len(c.embeddings)]
    if len(present) == 1:
        return present[0]
    key = "+".join(c.key for c in present)
    kept = st.session_state.get("merged_collection")
    if kept is not None and kept.key == key:
        return kept
    embeddings = present[0].embeddings
    thumbnails, pictures = dict(present[0].thumbnails), dict(present[0].pictures)
    for other in present[1:]:
        embeddings = embeddings + other.embeddings
        thumbnails.update(other.thumbnails)
        pictures.update(other.pictures)
    merged = Collection(key, embeddings, thumbnails, pictures)
    st.session_state["merged_collection"] = merged
    return merged


@st.cache_resource(show_spinner=False, max_entries=64)
def text_embeddings(model_name: str, texts: tuple[str, ...]) -> EmbeddingSet:
    return embed_texts(list(texts), get_encoder(model_name), cache=EmbeddingCache())


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_label_vectors(model_name: str, label_set_key: str, _label_set: LabelSet) -> np.ndarray:
    return label_vectors(get_encoder(model_name), _label_set)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_prompt_center(model_name: str, label_set_key: str, _label_set: LabelSet) -> np.ndarray:
    return prompt_bank_center(get_encoder(model_name), _label_set)


@st.cache_resource(show_spinner=False)
def _umap_warm_up() -> Future:
    """Compile UMAP's code in a background thread, once per server process.

    A daemon thread, not an executor's worker: Python joins those at exit, which held a
    stopping server for the rest of the compilation (measured: over 30 s).
    """
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(_low_priority(warm_up_umap))
        except BaseException as error:  # handed to whoever waits; never lost in a thread
            future.set_exception(error)

    threading.Thread(target=run, name="umap-warm-up", daemon=True).start()
    return future


def _low_priority(work):
    """Run ``work`` in this thread at the lowest CPU priority (Linux: niceness is per
    thread): what the user clicks gets the CPU first. It still costs a little: re-render
    after a click took 0.9-1.1 s during the warm-up, 0.66 s before it existed."""
    import contextlib
    import os

    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    return work()


def start_umap_warm_up() -> None:
    """Begin the warm-up (idempotent); pages call it after they are drawn."""
    _umap_warm_up()


def wait_for_umap() -> None:
    """Before a UMAP fit: if the warm-up has not finished, wait for it with a message."""
    future = _umap_warm_up()
    if not future.done():
        with st.spinner(t("umap_preparing")):
            future.exception()  # waits; a failed warm-up shows up in the real fit instead


@st.cache_resource(show_spinner=False, max_entries=24)
def cached_atlas(
    model_name: str,
    collection_key: str,
    texts: tuple[str, ...],
    label_set_key: str,
    method: str,
    dims: int,
    k: int,
    reg: float,
    center: bool,
    _collection: Collection,
    _label_set: LabelSet,
) -> Atlas:
    """One fitted map per parameter set, shared across reruns and sessions."""
    items = _collection.embeddings + text_embeddings(model_name, texts)
    items.rejected = []
    return build_atlas(
        items,
        get_encoder(model_name),
        _label_set,
        labels=cached_label_vectors(model_name, label_set_key, _label_set),
        text_center=cached_prompt_center(model_name, label_set_key, _label_set),
        method=method,
        n_components=dims,
        n_neighbors=k,
        reg=reg,
        center=center,
    )


@st.cache_resource(show_spinner=False, max_entries=24)
def cached_image_map(model_name: str, collection_key: str, k: int, _collection: Collection):
    """The collection's own LLE map for placement with this k (shared across sessions)."""
    from core.transfer import fit_image_map

    return fit_image_map(_collection.embeddings.vectors, k=k)


def atlas_for(
    ctx,
    texts: tuple[str, ...],
    method: str,
    dims: int = 2,
    k: int = 12,
    reg: float = 1e-3,
    center: bool = True,
) -> Atlas:
    """The (cached) atlas of the sidebar's collection and labels with these settings."""
    if method == "umap":
        wait_for_umap()
    return cached_atlas(
        ctx.model_name,
        ctx.collection.key,
        texts,
        ctx.label_key,
        method,
        dims,
        k,
        reg,
        center,
        _collection=ctx.collection,
        _label_set=ctx.label_set,
    )


def label_set_choice(choice: str, upload) -> tuple[LabelSet, str]:
    """The chosen label set and a cache key for it; a custom JSON upload is parsed here."""
    if choice != "custom" or upload is None:
        label_set = LABEL_SETS.get(choice, LABEL_SETS["parrott6"])
        return label_set, label_set.name
    import json

    data = json.loads(upload.getvalue().decode("utf-8"))
    label_set = parse_label_set(data, name=upload.name.rsplit(".", 1)[0])
    return label_set, "custom:" + hashlib.sha256(upload.getvalue()).hexdigest()[:16]


def open_upload(upload) -> object:
    """Decode one uploaded picture; raises ImageRejected with the reason."""
    return decode_image(upload.getvalue(), upload.name).image


def png_bytes(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
