"""Embeddings on disk, keyed by model id and the sha256 of the content.

One small ``.npy`` file per vector, written to a temporary file and moved into place with
``os.replace``: two processes embedding the same folder at once can both write, and a
reader sees either no file or a whole one, never a torn one. ``np.load`` runs with
``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import os
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
        model_dir = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:24]
        return self.root / model_dir / kind / content_hash[:2] / f"{content_hash}.npy"

    def get_many(
        self, model_id: str, kind: str, content_hashes: Iterable[str]
    ) -> dict[str, np.ndarray]:
        """The cached vectors among ``content_hashes``; damaged entries count as missing."""
        found: dict[str, np.ndarray] = {}
        for content_hash in content_hashes:
            path = self._path(model_id, kind, content_hash)
            try:
                vector = np.load(path, allow_pickle=False)
            except FileNotFoundError:
                continue
            except (OSError, ValueError):
                path.unlink(missing_ok=True)  # a damaged entry is re-encoded, not trusted
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
