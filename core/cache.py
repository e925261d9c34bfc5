"""Embeddings on disk, keyed by model id and the sha256 of the content.

One small ``.npy`` file per vector, written to a temporary file and moved into place with
``os.replace``: two processes embedding the same folder at once can both write, and a
reader sees either no file or a whole one, never a torn one. ``np.load`` runs with
``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np


def default_cache_dir() -> Path:
    """``$EMOTION_ATLAS_CACHE``, else ``$XDG_CACHE_HOME/emotion-atlas``, else ``~/.cache/...``."""
    configured = os.environ.get("EMOTION_ATLAS_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "emotion-atlas" / "embeddings"


def text_key(text: str) -> str:
    """Cache key of a text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_HEADER = re.compile(rb"\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+),\), \} *\n")


def _read_vector(data: bytes) -> np.ndarray:
    """A 1-D float32 ``.npy`` from its bytes; anything else goes through ``np.load``.

    The entries this cache writes all have one header, matched here directly: numpy's own
    reader parses every header with ``ast.literal_eval``, which was most of a warm run's
    time. Never unpickles either way.
    """
    if data[:8] == b"\x93NUMPY\x01\x00":
        length = int.from_bytes(data[8:10], "little")
        match = _HEADER.fullmatch(data, 10, 10 + length)
        if match:
            count = int(match.group(1))
            if len(data) != 10 + length + 4 * count:
                raise ValueError("truncated entry")
            return np.frombuffer(data, dtype="<f4", offset=10 + length).astype(np.float32)
    return np.load(io.BytesIO(data), allow_pickle=False)


class EmbeddingCache:
    """A folder of embeddings; ``kind`` separates images from texts with equal hashes.

    Parameters
    ----------
    root : path, optional
        Where to keep the files; :func:`default_cache_dir` when omitted.
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def _path(self, model_id: str, kind: str, content_hash: str) -> Path:
        return Path(self._folder(model_id, kind), content_hash[:2], f"{content_hash}.npy")

    def _folder(self, model_id: str, kind: str) -> str:
        model_dir = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:24]
        return os.path.join(self.root, model_dir, kind)

    def get_many(
        self, model_id: str, kind: str, content_hashes: Iterable[str]
    ) -> dict[str, np.ndarray]:
        """The cached vectors among ``content_hashes``; damaged entries count as missing."""
        found: dict[str, np.ndarray] = {}
        folder = self._folder(model_id, kind)
        for content_hash in content_hashes:
            path = os.path.join(folder, content_hash[:2], f"{content_hash}.npy")
            try:
                with open(path, "rb") as stream:
                    data = stream.read()
                vector = _read_vector(data)
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                Path(path).unlink(missing_ok=True)  # a damaged entry is re-encoded, not trusted
                continue
            if vector.ndim == 1 and vector.dtype == np.float32:
                found[content_hash] = vector
        return found

    def put_many(self, model_id: str, kind: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors atomically; an unwritable cache never fails the caller's work."""
        for content_hash, vector in vectors.items():
            path = self._path(model_id, kind, content_hash)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            except OSError:
                return  # read-only or full disk: the work goes on uncached
            try:
                with os.fdopen(handle, "wb") as stream:
                    np.save(stream, np.asarray(vector, dtype=np.float32), allow_pickle=False)
                os.replace(temporary, path)
            except OSError:
                Path(temporary).unlink(missing_ok=True)
                return

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)
