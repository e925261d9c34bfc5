"""Picture collections of a session: the bundled gallery, uploads, an allowed server folder.

A :class:`Collection` is embeddings plus small decoded pictures, keyed by model and
content. The gallery is shared by every session (``st.cache_resource``); uploads and
folders are kept per session and re-read only when what was chosen changes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from core import defaults, folders
from core.cache import EmbeddingCache
from core.datasets import expand_uploads, gallery_metadata
from core.embedding import EmbeddingSet, embed_images
from core.folders import FolderRefused, list_files, resolve_folder
from core.images import (
    MAX_FILE_BYTES,
    decode_image,
    iter_files,
    thumbnail_webp,
    too_large,
    unreadable,
)
from core.messages import Message, message_of
from core.store import read_store
from ui.i18n import t
from ui.models import get_encoder

if TYPE_CHECKING:
    from core.encoders import ClipEncoder

UPLOADS_FLAG = "uploads"  # in the URL while a session holds uploads


def uploads_changed() -> None:
    """Remember in the URL whether this session holds uploads (see :func:`uploads_lost`)."""
    if st.session_state.get("uploads"):
        st.query_params[UPLOADS_FLAG] = "1"
    else:
        st.query_params.pop(UPLOADS_FLAG, None)


def uploads_lost() -> bool:
    """A new session whose URL says it held uploads: the server restarted and lost them
    (uploads live in the server's memory only)."""
    return st.query_params.get(UPLOADS_FLAG) == "1" and not st.session_state.get("uploads")


@dataclass
class Collection:
    """Pictures of one session: embeddings plus the decoded thumbnails, keyed by content."""

    key: str
    embeddings: EmbeddingSet
    thumbnails: dict[str, bytes]  # name -> PNG bytes
    pictures: dict[str, object]  # name -> PIL image (gallery and uploads are small)
    captions: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (en, zh)


def progress_bar(label: str):
    """A Streamlit progress bar and the ``(done, total)`` callback that moves it."""
    bar = st.progress(0.0, text=label)

    def report(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"{label} {done}/{total}")

    return bar, report


def embed_sources(encoder: ClipEncoder, sources: list[tuple[str, bytes]], label: str):
    """Embed ``(name, bytes)`` pictures with the disk cache and a progress bar."""
    bar, report = progress_bar(label)
    embeddings = embed_images(sources, encoder, cache=EmbeddingCache(), progress=report)
    bar.empty()
    return embeddings


def _collect(encoder: ClipEncoder, sources: list[tuple[str, bytes]], label: str) -> Collection:
    embeddings = embed_sources(encoder, sources, label)
    kept = set(embeddings.names)

    pictures = {}
    for name, data in sources:  # one thread: decode_image's bomb check sets warning filters
        if name in kept:
            picture = decode_image(data, name).image
            picture.thumbnail((defaults.PICTURE_SIZE, defaults.PICTURE_SIZE))
            pictures[name] = picture
    # Pillow lets go of the GIL while it resizes and encodes: two threads make the map's
    # WebP thumbnails in about half the time on two cores.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="thumbnails") as pool:
        webp = pool.map(lambda p: thumbnail_webp(p, defaults.MAP_THUMBNAIL), pictures.values())
        thumbnails = dict(zip(pictures, webp, strict=True))
    # Names are part of the key: two users with the same pictures under other names must
    # never share a cached map (whose hovers and exports carry the names).
    content = "\n".join(
        f"{n}:{h}" for n, h in zip(embeddings.names, embeddings.hashes, strict=True)
    )
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return Collection(f"{encoder.model_id}:{digest}", embeddings, thumbnails, pictures)


@st.cache_resource(show_spinner=False, max_entries=4)
def gallery_collection(model_name: str) -> Collection:
    """The bundled gallery embedded by ``model_name`` (cached on disk: fast after the first)."""
    sources = [(p.name, p.read_bytes()) for p in iter_files([defaults.GALLERY_IMAGES])]
    collection = _collect(get_encoder(model_name), sources, t("embedding_gallery"))
    # Pictures are shown by their captions ("sun / 太阳"), not by file names.
    metadata = gallery_metadata()
    collection.captions = {
        name: (metadata[name].caption_en, metadata[name].caption_zh)
        for name in collection.embeddings.names
        if name in metadata
    }
    return collection


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
        lambda: expand_uploads([(f.name, f.getvalue()) for f in files]),
        t("embedding_uploads"),
    )


def folder_collection(model_name: str, root: str, relative: str):
    """Embed the pictures of an allowed server folder; refusals explain anything skipped.

    The folder is listed on every rerun (names, sizes, modification times), but its files
    are read only when that listing changed. Only regular files are read, checked again
    right before (a pipe swapped in never blocks), and at most ``MAX_FILE_BYTES + 1`` bytes
    of each; a file that vanished or cannot be read is refused, never raised.
    """

    folder = resolve_folder(Path(root), relative)
    files, listing_refused = list_files(folder, Path(root))
    stats, stat_refused = [], []
    for path in files:
        name = str(path.relative_to(folder))
        try:
            stats.append((name, path, os.stat(path)))
        except OSError as error:
            stat_refused.append((name, unreadable(error)))
    signature = hashlib.sha256(
        "\n".join(f"{name}:{s.st_size}:{s.st_mtime_ns}" for name, _, s in stats).encode()
    ).hexdigest()

    def read():
        sources, refused = [], list(listing_refused) + stat_refused
        for name, path, status in stats:
            if status.st_size > MAX_FILE_BYTES:
                refused.append((name, too_large(status.st_size)))
                continue
            try:
                data = folders.read_file(path, MAX_FILE_BYTES)
            except FolderRefused as error:
                refused.append((name, message_of(error)))
            except OSError as error:
                refused.append((name, unreadable(error)))
            else:
                if len(data) > MAX_FILE_BYTES:  # it grew since the listing
                    refused.append((name, too_large(len(data))))
                else:
                    sources.append((name, data))
        return sources, refused

    return _session_collection(
        model_name, "folder", f"{folder}:{signature}", read, t("embedding_folder")
    )


def merge(collections: list[Collection | None]) -> Collection:
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
    captions = dict(present[0].captions)
    for other in present[1:]:
        embeddings = embeddings + other.embeddings
        thumbnails.update(other.thumbnails)
        pictures.update(other.pictures)
        captions.update(other.captions)
    merged = Collection(key, embeddings, thumbnails, pictures, captions)
    st.session_state["merged_collection"] = merged
    return merged


# --- a Parquet store on the server (``python -m core embed … --out FILE.parquet``) ---------


def store_choices() -> list[Path]:
    """The stores a browser may open: ``*.parquet`` files in an allowed folder or one
    folder below it. Nothing else on the server can be named from the browser."""
    found = []
    for root in folders.allowed_roots():
        for pattern in ("*.parquet", "*/*.parquet"):
            found.extend(path for path in sorted(root.glob(pattern)) if path.is_file())
    return found


def store_label(path: str) -> str:
    """A store as the sidebar shows it: its allowed folder's name and the file name."""
    for root in folders.allowed_roots():
        if Path(path).is_relative_to(root):
            return f"{root.name}/{Path(path).relative_to(root)}"
    return Path(path).name


class StorePictures(Mapping):
    """A store's pictures, read from their files only when a page shows one.

    Only files inside an allowed folder are read (through :func:`core.folders.read_file`
    and the usual intake); one that is missing or refused shows as a grey tile. The last
    :data:`KEEP` pictures stay decoded, so memory stays bounded however large the store.
    """

    KEEP = 256

    def __init__(self, names: list[str], base: Path):
        self._names = names
        self._known = set(names)
        self._base = base
        self._kept: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self):
        return iter(self._names)

    def __contains__(self, name) -> bool:
        return name in self._known

    def _read(self, name: str):

        path = Path(name) if Path(name).is_absolute() else self._base / name
        try:
            resolved = path.resolve()
            if any(resolved.is_relative_to(root) for root in folders.allowed_roots()):
                data = folders.read_file(resolved, MAX_FILE_BYTES)
                if len(data) <= MAX_FILE_BYTES:
                    picture = decode_image(data, name).image
                    picture.thumbnail((defaults.PICTURE_SIZE, defaults.PICTURE_SIZE))
                    return picture
        except (OSError, ValueError, RuntimeError):
            pass
        return None

    def picture(self, name: str):
        """The picture, or None when its file cannot be shown."""
        if name not in self._known:
            raise KeyError(name)
        with self._lock:
            if name in self._kept:
                self._kept.move_to_end(name)
                return self._kept[name]
        picture = self._read(name)
        with self._lock:
            self._kept[name] = picture
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        return picture

    def __getitem__(self, name: str):
        from PIL import Image

        picture = self.picture(name)
        size = (defaults.MAP_THUMBNAIL, defaults.MAP_THUMBNAIL)
        return picture if picture is not None else Image.new("RGB", size, (200, 200, 200))


class StoreThumbnails(Mapping):
    """Map thumbnails of a store's pictures, made when a map asks for one (a sample)."""

    def __init__(self, pictures: StorePictures):
        self._pictures = pictures

    def __len__(self) -> int:
        return len(self._pictures)

    def __iter__(self):
        return iter(self._pictures)

    def __getitem__(self, name: str) -> bytes:
        picture = self._pictures.picture(name)
        if picture is None:
            raise KeyError(name)
        return thumbnail_webp(picture, defaults.MAP_THUMBNAIL)


@st.cache_resource(show_spinner=False, max_entries=2)
def _stored(path: str, size: int, modified: int) -> EmbeddingSet:
    """A store's pictures, read once per file version for every session (a store is a
    server file, the same for everyone who opens it)."""
    return read_store(path, kinds=("image",))


def store_collection(model_name: str, path: str) -> tuple[Collection | None, list]:
    """The store at ``path`` (one of :func:`store_choices`) as a collection.

    Raises
    ------
    FolderRefused
        When it is not one of the offered stores, or was embedded by another model.
    """
    offered = {str(choice): choice for choice in store_choices()}
    if path not in offered:
        raise FolderRefused(Message("folder.not_allowed", name=Path(path).name))
    status = os.stat(offered[path])
    with st.spinner(t("reading_store")):
        embeddings = _stored(path, status.st_size, status.st_mtime_ns)
    encoder = get_encoder(model_name)
    if len(embeddings) and embeddings.model_id != encoder.model_id:
        raise FolderRefused(
            Message(
                "store.other_model",
                path=Path(path).name,
                stored=embeddings.model_id,
                current=encoder.model_id,
            )
        )
    pictures = StorePictures(embeddings.names, Path(path).parent)
    key = hashlib.sha256(f"{path}:{status.st_size}:{status.st_mtime_ns}".encode()).hexdigest()
    collection = Collection(
        f"{encoder.model_id}:store:{key[:16]}", embeddings, StoreThumbnails(pictures), pictures
    )
    # refusals by file name: the server's folders stay on the server
    return collection, [(Path(name).name, reason) for name, reason in embeddings.rejected]
