"""Files, uploads and sentences in; an :class:`EmbeddingSet` out, with every refusal explained.

This is the one road from user input to vectors used by the dashboard, the CLI and the
benchmarks: intake (``core.images``/``core.texts``) → cache look-up → batched encoding of
what is missing → cache write. One bad item is reported and skipped; it never costs the
rest of the batch.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.cache import EmbeddingCache, text_key
from core.images import (
    ImageRejected,
    decode_image,
    iter_files,
    load_image_file,
    regular_file_chunks,
    sha256_bytes,
    unreadable,
)
from core.messages import Message, define, message_of
from core.texts import TextRejected, check_text

if TYPE_CHECKING:
    from core.encoders import ClipEncoder, ProgressCallback

define(
    {
        "embedding.different_models": (
            "Cannot join embeddings of {first!r} and {second!r}: "
            "vectors of different models do not share a space."
        ),
        "embedding.summary": (
            "{count} embedded ({images} images, {texts} texts; "
            "{cached} from cache), {refused} refused"
        ),
        "embedding.no_such_path": "no such file or folder",
        "embedding.bad_batch_size": (
            "the batch size must be a whole number of at least 1, got {value}"
        ),
        "embedding.cache_not_a_folder": (
            "the cache folder {folder} cannot be used ({reason}); working without a cache"
        ),
        "embedding.cache_is_a_file": "{path} is not a folder",
        "embedding.cache_not_a_folder_itself": "it is not a folder",
        "embedding.cache_no_access": "{path} cannot be read",
    }
)

ImageSource = tuple[str, "Path | bytes"]


@dataclass
class EmbeddingSet:
    """Embedded items of one model, in input order, and the items that were refused.

    Attributes
    ----------
    names : list of str
        File path, upload name or the text itself, one per row of ``vectors``.
    kinds : list of str
        ``"image"`` or ``"text"`` per row.
    vectors : ndarray of shape (n_items, dim), float32, unit rows.
    notes : list of str
        Per row: what intake did worth knowing (truncation, first frame of an animation).
    rejected : list of (name, reason)
    encoded : int
        How many rows went through the encoder; the rest came from the cache.
    """

    model_id: str
    names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    notes: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    encoded: int = 0

    def __len__(self) -> int:
        return len(self.names)

    def __add__(self, other: EmbeddingSet) -> EmbeddingSet:
        if self.model_id != other.model_id:
            raise ValueError(
                Message("embedding.different_models", first=self.model_id, second=other.model_id)
            )
        parts = [v for v in (self.vectors, other.vectors) if v.size]
        return EmbeddingSet(
            model_id=self.model_id,
            names=self.names + other.names,
            kinds=self.kinds + other.kinds,
            vectors=np.concatenate(parts) if parts else self.vectors,
            notes=self.notes + other.notes,
            hashes=self.hashes + other.hashes,
            rejected=self.rejected + other.rejected,
            encoded=self.encoded + other.encoded,
        )

    def summary(self) -> str:
        """One line for a person: how many embedded, from cache, refused."""
        return Message(
            "embedding.summary",
            count=len(self),
            images=self.kinds.count("image"),
            texts=self.kinds.count("text"),
            cached=len(self) - self.encoded,
            refused=len(self.rejected),
        )

    def save_npz(self, path, extra: dict[str, np.ndarray] | None = None) -> None:
        """Write a plain ``.npz`` (string arrays, no pickles): loads with allow_pickle=False.

        ``path`` is a file name or a binary file object; ``extra`` arrays (e.g. emotion
        probabilities) are stored beside the standard ones and ignored by :meth:`load_npz`.
        """
        rejected = np.array(self.rejected, dtype=str).reshape(-1, 2)
        np.savez_compressed(
            path,
            **(extra or {}),
            model_id=np.array(self.model_id),
            names=np.array(self.names, dtype=str),
            kinds=np.array(self.kinds, dtype=str),
            vectors=self.vectors,
            notes=np.array(self.notes, dtype=str),
            hashes=np.array(self.hashes, dtype=str),
            rejected=rejected,
        )

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> EmbeddingSet:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                model_id=str(data["model_id"]),
                names=data["names"].tolist(),
                kinds=data["kinds"].tolist(),
                vectors=data["vectors"].astype(np.float32),
                notes=data["notes"].tolist(),
                hashes=data["hashes"].tolist(),
                rejected=[tuple(row) for row in data["rejected"].tolist()],
            )


def _empty(encoder: ClipEncoder) -> EmbeddingSet:
    return EmbeddingSet(encoder.model_id, vectors=np.zeros((0, encoder.dim), np.float32))


def _content_hash(source: Path | bytes) -> str:
    """sha256 of the bytes or of the file, streamed; a file is read only if it is a regular
    file, and never past the size limit (see :func:`core.images.regular_file_chunks`)."""
    if isinstance(source, bytes):
        return sha256_bytes(source)
    digest = hashlib.sha256()
    for chunk in regular_file_chunks(source):
        digest.update(chunk)
    return digest.hexdigest()


def usable_cache(root: str | os.PathLike | None = None) -> tuple[EmbeddingCache | None, str]:
    """The cache at ``root`` (default folder when None), or None and the reason it cannot
    be used (a file where its folder, or a folder above it, should be): the work then goes
    on uncached rather than failing."""
    cache = EmbeddingCache(root)
    folder = Path(cache.root)
    for candidate in (folder, *folder.parents):
        try:
            mode = os.stat(candidate).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # created when the first vector is stored, or a file above it
        except OSError as error:
            reason = unreadable(error)
        else:
            if not stat.S_ISDIR(mode) and candidate == folder:
                reason = Message("embedding.cache_not_a_folder_itself")
            elif not stat.S_ISDIR(mode):
                reason = Message("embedding.cache_is_a_file", path=str(candidate))
            elif not os.access(candidate, os.R_OK | os.X_OK):
                reason = Message("embedding.cache_no_access", path=str(candidate))
            else:
                return cache, ""
        return None, Message("embedding.cache_not_a_folder", folder=str(folder), reason=reason)
    return cache, ""


def _prepare_batch(encoder: ClipEncoder, batch: list[tuple[int, str, Path | bytes]]):
    """Decode and preprocess one batch: ``(kept, refusals, pixels)``; runs in a worker thread."""
    import torch

    kept, refusals = [], {}
    for index, name, source in batch:
        try:
            item = (
                decode_image(source, name)
                if isinstance(source, bytes)
                else load_image_file(source, name)
            )
        except ImageRejected as error:
            refusals[index] = message_of(error)
            continue
        kept.append((index, item.sha256, item.note, encoder.preprocess(item.image)))
    pixels = torch.stack([row[3] for row in kept]) if kept else None
    return [row[:3] for row in kept], refusals, pixels


def _prepared(encoder: ClipEncoder, batches: list, prefetch: bool):
    """Prepared batches in order; with ``prefetch`` the next one is decoded in a worker
    thread while the caller encodes the current one."""
    if not prefetch:
        for batch in batches:
            yield _prepare_batch(encoder, batch)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(_prepare_batch, encoder, batches[0]) if batches else None
        for number in range(len(batches)):
            ready = upcoming.result()
            if number + 1 < len(batches):
                upcoming = pool.submit(_prepare_batch, encoder, batches[number + 1])
            yield ready


@dataclass
class Plan:
    """What an embedding run has to do, worked out before any picture is decoded.

    Every source is hashed (streamed); cached vectors are looked up; copies of one content
    share one decode. ``pending`` are the indices left to decode and encode, in order.
    Both engines (this module's local one and :mod:`core.scale`'s Ray one) fill it the
    same way and finish it with :meth:`result`, so they refuse and name items alike.
    """

    sources: list
    hashes: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    first_of: dict[str, int] = field(default_factory=dict)
    copies: dict[str, list[int]] = field(default_factory=dict)  # pending content -> items
    pending: list[int] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)
    encoded: int = 0

    def batches(self, batch_size: int) -> list[list[tuple[int, str, Path | bytes]]]:
        pending = self.pending
        return [
            [(i, self.sources[i][0], self.sources[i][1]) for i in pending[at : at + batch_size]]
            for at in range(0, len(pending), batch_size)
        ]

    def settled(self) -> list[int]:
        """Items that need no encoding: cache hits and refusals at hashing (not skipped)."""
        waiting = {i for members in self.copies.values() for i in members} | self.skipped
        return [i for i in range(len(self.sources)) if i not in waiting]

    def with_copies(self, batch) -> list[int]:
        """The batch's items and every copy of their content, in input order."""
        return sorted(i for index, _, _ in batch for i in self.copies[self.hashes[index]])

    def done(self, kept, refusals, fresh) -> dict[str, np.ndarray]:
        """Record one encoded batch: ``kept`` (index, sha256, note) rows and their vectors."""
        self.reasons.update(refusals)
        new = {h: row for (_, h, _), row in zip(kept, fresh, strict=True)}
        self.notes.update({index: note for index, _, note in kept})
        self.vectors.update(new)
        self.encoded += len(kept)
        return new

    def rows(self, indices, model_id: str, dim: int) -> EmbeddingSet:
        """The items ``indices`` as an :class:`EmbeddingSet`: embedded ones and refusals."""
        result = EmbeddingSet(model_id, vectors=np.zeros((0, dim), np.float32))
        for index in indices:
            content_hash = self.hashes.get(index)
            first = self.first_of.get(content_hash, index)
            if content_hash not in self.vectors and first in self.reasons:
                self.reasons[index] = self.reasons[first]
        kept = [i for i in indices if i not in self.reasons and self.hashes.get(i) in self.vectors]
        result.names = [self.sources[i][0] for i in kept]
        result.kinds = ["image"] * len(kept)
        result.hashes = [self.hashes[i] for i in kept]
        result.notes = [self.notes.get(self.first_of.get(self.hashes[i], i), "") for i in kept]
        if kept:
            result.vectors = np.stack([self.vectors[self.hashes[i]] for i in kept])
            result.vectors = result.vectors.astype(np.float32)
        refused = [i for i in indices if i in self.reasons]
        result.rejected = [(self.sources[i][0], self.reasons[i]) for i in refused]
        return result

    def result(self, model_id: str, dim: int) -> EmbeddingSet:
        """Every item not skipped, in input order."""
        indices = [i for i in range(len(self.sources)) if i not in self.skipped]
        result = self.rows(indices, model_id, dim)
        result.encoded = self.encoded
        return result


def plan_embedding(
    sources: Iterable[ImageSource],
    encoder: ClipEncoder,
    cache: EmbeddingCache | None = None,
    skip: dict[str, str | None] | None = None,
) -> Plan:
    """Hash ``sources``, look them up in ``cache`` and leave what is missing in ``pending``.

    ``skip`` maps names already done elsewhere (a store's parts from a killed run) to their
    sha256: an item whose name and content both match is left out of the run altogether.
    """
    plan = Plan(list(sources))
    skip = skip or {}
    for index, (name, source) in enumerate(plan.sources):
        try:
            plan.hashes[index] = _content_hash(source)
        except ImageRejected as error:
            plan.reasons[index] = message_of(error)
        except OSError as error:
            plan.reasons[index] = unreadable(error)
        if name in skip and skip[name] is not None and skip[name] == plan.hashes.get(index):
            plan.skipped.add(index)
            plan.hashes.pop(index, None)
    if cache is not None:
        wanted = set(plan.hashes.values())
        plan.vectors.update(cache.get_many(encoder.model_id, "image", wanted, dim=encoder.dim))
        # the vectors a model ships for its own pictures count as cached (same model id)
        shipped = getattr(getattr(encoder, "known", None), "images", {})
        plan.vectors.update({h: shipped[h] for h in wanted - plan.vectors.keys() if h in shipped})
    for index, content_hash in plan.hashes.items():
        if content_hash not in plan.vectors:
            plan.first_of.setdefault(content_hash, index)
            plan.copies.setdefault(content_hash, []).append(index)
    plan.pending = sorted(plan.first_of.values())
    return plan


def embed_images(
    sources: Iterable[ImageSource],
    encoder: ClipEncoder,
    *,
    cache: EmbeddingCache | None = None,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
    prefetch: bool = False,
    sink=None,
    skip: dict[str, str | None] | None = None,
) -> EmbeddingSet:
    """Embed pictures given as ``(name, path or bytes)`` pairs.

    Files are hashed first (streamed, not held in memory); only cache misses are read
    again, decoded and encoded, ``batch_size`` at a time, so memory stays bounded for
    large folders. With ``prefetch`` a worker thread decodes and preprocesses the next
    batch while the model encodes the current one (Pillow and torch both release the GIL).
    It is off by default: on 2 cores, where torch already uses both, it was slower
    (``benchmarks/RESULTS.md``, "Pipeline overhead"); it can pay where cores are spare.

    ``sink``, when given, is called with an :class:`EmbeddingSet` of every finished part
    (first the items the cache already had, then each batch): a store writes them as
    they come (:class:`core.store.StoreWriter`). ``skip``: see :func:`plan_embedding`.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(Message("embedding.bad_batch_size", value=batch_size))
    plan = plan_embedding(sources, encoder, cache, skip)
    total = len(plan.sources)
    batches = plan.batches(batch_size)
    done = total - len(plan.pending)
    if sink is not None:
        sink(plan.rows(plan.settled(), *_shape(encoder)))
    if progress is not None:
        progress(done, total)
    for batch, (kept, refusals, pixels) in zip(
        batches, _prepared(encoder, batches, prefetch), strict=True
    ):
        new = plan.done(kept, refusals, encoder.encode_pixels(pixels) if kept else [])
        if cache is not None and new:
            cache.put_many(encoder.model_id, "image", new)
        if sink is not None:
            sink(plan.rows(plan.with_copies(batch), *_shape(encoder)))
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return plan.result(*_shape(encoder))


def _shape(encoder: ClipEncoder) -> tuple[str, int]:
    return encoder.model_id, encoder.dim


def list_sources(paths: Iterable[str | os.PathLike]) -> tuple[list[ImageSource], list]:
    """``(name, path)`` of every file named or below the folders named, and a refusal for
    each path that does not exist. Names are the paths as given (``str``)."""
    missing = []
    sources: list[ImageSource] = []
    for path in iter_files(paths):
        if os.path.exists(path):  # folders, devices and pipes are refused when hashed
            sources.append((str(path), path))
        else:
            missing.append((str(path), Message("embedding.no_such_path")))
    return sources, missing


def embed_paths(
    paths: Iterable[str | os.PathLike],
    encoder: ClipEncoder,
    **kwargs,
) -> EmbeddingSet:
    """Embed image files and every file below the folders given (see :func:`embed_images`)."""
    sources, missing = list_sources(paths)
    if missing and kwargs.get("sink") is not None:
        refused = _empty(encoder)
        refused.rejected = missing
        kwargs["sink"](refused)
    result = embed_images(sources, encoder, **kwargs)
    result.rejected = missing + result.rejected
    return result


def embed_texts(
    texts: Sequence[str],
    encoder: ClipEncoder,
    *,
    cache: EmbeddingCache | None = None,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
) -> EmbeddingSet:
    """Embed sentences; empty ones are refused, over-long ones kept with a note."""
    items, rejected = [], []
    for text in texts:
        try:
            items.append(check_text(text, encoder.count_tokens, encoder.context_length))
        except TextRejected as error:
            rejected.append((repr(text)[:60], message_of(error)))
    # keyed by the text as the model reads it (the pocket model spells emoji out)
    keys = [text_key(encoder.reading(item.text)) for item in items]
    vectors = (
        cache.get_many(encoder.model_id, "text", keys, dim=encoder.dim) if cache is not None else {}
    )
    missing = list(dict.fromkeys(k for k in keys if k not in vectors))
    by_key = {key: item.text for key, item in zip(keys, items, strict=True)}
    if missing:
        fresh = encoder.encode_texts(
            [by_key[k] for k in missing], batch_size=batch_size, progress=progress
        )
        new = dict(zip(missing, fresh, strict=True))
        vectors.update(new)
        if cache is not None:
            cache.put_many(encoder.model_id, "text", new)
    elif progress is not None:
        progress(len(items), len(items))

    result = _empty(encoder)
    result.names = [item.text for item in items]
    result.kinds = ["text"] * len(items)
    result.hashes = keys
    result.notes = [item.note for item in items]
    if items:
        result.vectors = np.stack([vectors[k] for k in keys]).astype(np.float32)
    result.rejected = rejected
    result.encoded = len(missing)
    return result
