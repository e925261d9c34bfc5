"""Embeddings on disk, keyed by model id and the sha256 of the content.

One small ``.npy`` file per vector, written to a temporary file, flushed to disk
(``fsync``) and moved into place with ``os.replace``: two processes embedding the same
folder at once can both write, and a reader sees either no file or a whole one, never a
torn one, even after a power cut. Entries are parsed here, never by ``np.load`` and never
unpickled; anything that is not a whole, finite, non-zero float32 vector counts as missing
and is deleted, so it is encoded and written again.

The cache keeps under a size limit (:data:`LIMIT_ENV`, in MB; ``limit_bytes``), least
recently used entries going first: a hit refreshes the entry's modification time, and
:meth:`EmbeddingCache.sweep` deletes the oldest entries down to 90 % of the limit. The
running size lives in a small file (``usage``) that each ``put_many`` batch updates; the
cache is walked only when that estimate passes the limit, when it is missing, or once a
day, never once per put.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

LIMIT_ENV = "EMOTION_ATLAS_CACHE_LIMIT_MB"
DEFAULT_LIMIT_MB = 2048
KEEP_FRACTION = 0.9  # a sweep over the limit evicts down to this share of it
STALE_TEMPORARY_S = 3600  # a .tmp file this old is an orphan of a crashed writer
RECOUNT_S = 86400  # the running size is recounted (and orphans swept) at least this often
TOUCH_AFTER_S = 600  # a hit refreshes an entry's mtime only when it is older than this
_USAGE = "usage"  # "<bytes> <unix time of the last full count>"


def default_cache_dir() -> Path:
    """``$EMOTION_ATLAS_CACHE``, else ``$XDG_CACHE_HOME/emotion-atlas``, else ``~/.cache/...``."""
    configured = os.environ.get("EMOTION_ATLAS_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "emotion-atlas" / "embeddings"


def default_limit_bytes() -> int:
    """``$EMOTION_ATLAS_CACHE_LIMIT_MB`` (default 2048) in bytes; 0 or less: no limit."""
    configured = os.environ.get(LIMIT_ENV, "").strip()
    try:
        megabytes = float(configured) if configured else DEFAULT_LIMIT_MB
    except ValueError:
        megabytes = DEFAULT_LIMIT_MB
    if not math.isfinite(megabytes):
        megabytes = DEFAULT_LIMIT_MB
    return int(megabytes * 1024 * 1024)


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def text_key(text: str) -> str:
    """Cache key of a text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_HEADER = re.compile(rb"\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+),\), \} *\n")
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _read_vector(data: bytes) -> np.ndarray:
    """A 1-D float32 vector from the bytes of a ``.npy`` file; ``ValueError`` otherwise.

    The entries this cache writes all have one header, matched here directly: numpy's own
    reader parses every header with ``ast.literal_eval``, which was most of a warm run's
    time. Other headers go through numpy's header parser alone, and the length of the data
    is checked against the shape before anything is allocated: ``np.load`` is never called
    (it would open zips, try pickles, and allocate whatever a damaged header claims).
    """
    if data[:8] == b"\x93NUMPY\x01\x00":
        length = int.from_bytes(data[8:10], "little")
        match = _HEADER.fullmatch(data, 10, 10 + length)
        if match:
            count = int(match.group(1))
            if len(data) != 10 + length + 4 * count:
                raise ValueError("truncated entry")
            return np.frombuffer(data, dtype="<f4", offset=10 + length).astype(np.float32)
    stream = io.BytesIO(data)
    try:
        reader = _HEADER_READERS.get(np.lib.format.read_magic(stream))
        if reader is None:
            raise ValueError("unknown .npy version")
        shape, _, dtype = reader(stream)
    except Exception as error:  # garbage can trip numpy's parser in many ways
        raise ValueError("not a .npy entry") from error
    if len(shape) != 1 or dtype.kind != "f" or dtype.itemsize != 4:
        raise ValueError("not a float32 vector")
    if len(data) - stream.tell() != 4 * shape[0]:
        raise ValueError("truncated entry")
    return np.frombuffer(data, dtype=dtype, offset=stream.tell()).astype(np.float32)


def _usable(vector: np.ndarray, dim: int | None) -> bool:
    """A vector worth returning: 1-D float32, of length ``dim``, finite, not all zero."""
    return (
        vector.ndim == 1
        and vector.dtype == np.float32
        and vector.size > 0
        and (dim is None or vector.shape[0] == dim)
        and bool(np.isfinite(vector).all())
        and bool(vector.any())
    )


class EmbeddingCache:
    """A folder of embeddings; ``kind`` separates images from texts with equal hashes.

    Parameters
    ----------
    root : path, optional
        Where to keep the files; :func:`default_cache_dir` when omitted.
    limit_bytes : int, optional
        Size to keep under (least recently used entries are evicted); from
        :data:`LIMIT_ENV` when omitted (:func:`default_limit_bytes`); 0 or less: no limit.
    """

    def __init__(
        self, root: str | os.PathLike | None = None, limit_bytes: int | None = None
    ) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.limit_bytes = default_limit_bytes() if limit_bytes is None else int(limit_bytes)

    def _path(self, model_id: str, kind: str, content_hash: str) -> Path:
        return Path(self._folder(model_id, kind), content_hash[:2], f"{content_hash}.npy")

    def _folder(self, model_id: str, kind: str) -> str:
        model_dir = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:24]
        return os.path.join(self.root, model_dir, kind)

    def get_many(
        self,
        model_id: str,
        kind: str,
        content_hashes: Iterable[str],
        *,
        dim: int | None = None,
    ) -> dict[str, np.ndarray]:
        """The cached vectors among ``content_hashes``; damaged entries count as missing.

        Damaged is anything but a whole, finite, non-zero 1-D float32 vector of length
        ``dim`` (without ``dim``: of the length most of the found vectors have). Damaged
        entries are deleted, so the caller's next :meth:`put_many` writes them again.
        Hits older than :data:`TOUCH_AFTER_S` get their mtime refreshed (the LRU clock).
        """
        found: dict[str, tuple[np.ndarray, str, float]] = {}
        damaged: list[str] = []
        folder = self._folder(model_id, kind)
        for content_hash in content_hashes:
            path = os.path.join(folder, content_hash[:2], f"{content_hash}.npy")
            try:
                with open(path, "rb") as stream:
                    data = stream.read()
                    modified = os.fstat(stream.fileno()).st_mtime
                vector = _read_vector(data)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, EOFError):
                damaged.append(path)
                continue
            if _usable(vector, dim):
                found[content_hash] = (vector, path, modified)
            else:
                damaged.append(path)
        if dim is None and found:
            lengths = Counter(vector.shape[0] for vector, _, _ in found.values()).most_common()
            tied = len(lengths) > 1 and lengths[1][1] == lengths[0][1]
            common = None if tied else lengths[0][0]  # a tie: no length can be trusted
            for content_hash, (vector, path, _) in list(found.items()):
                if vector.shape[0] != common:
                    damaged.append(path)
                    del found[content_hash]
        for path in damaged:  # a damaged entry is re-encoded, not trusted
            with contextlib.suppress(OSError):
                os.unlink(path)
        now = time.time()
        for _, path, modified in found.values():
            if now - modified > TOUCH_AFTER_S:
                with contextlib.suppress(OSError):  # a read-only cache still reads
                    os.utime(path)
        return {content_hash: vector for content_hash, (vector, _, _) in found.items()}

    def put_many(self, model_id: str, kind: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors atomically; an unwritable cache never fails the caller's work.

        Vectors that :meth:`get_many` would count as damaged are not stored. Once per call
        the running size is updated, and the cache swept when it passes the limit.
        """
        written: list[tuple[str, int]] = []
        for content_hash, vector in vectors.items():
            vector = np.asarray(vector, dtype=np.float32)
            if not _usable(vector, None):
                continue
            path = self._path(model_id, kind, content_hash)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            except OSError:
                break  # read-only or full disk: the work goes on uncached
            try:
                with os.fdopen(handle, "wb") as stream:
                    np.save(stream, vector, allow_pickle=False)
                    stream.flush()
                    os.fsync(stream.fileno())  # the bytes are on disk before the name is
                    size = stream.tell()
                os.replace(temporary, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                break
            written.append((os.fspath(path), size))
        if written:
            self._account(written)

    def size_bytes(self) -> int:
        """The cache's size: as last counted plus what was written since (approximate).

        Counted by walking the cache when no count is kept yet; :meth:`sweep` recounts.
        """
        usage = self._read_usage()
        if usage is not None:
            return usage[0]
        return sum(status.st_size for name, status in self._files() if name.endswith(".npy"))

    def sweep(self) -> int:
        """Count the cache, evict the least recently used entries when it is over the limit
        (down to :data:`KEEP_FRACTION` of it), and delete orphaned ``.tmp`` files older than
        :data:`STALE_TEMPORARY_S`. Returns the size in bytes afterwards."""
        return self._sweep(protected=frozenset())

    def _sweep(self, protected: frozenset[str]) -> int:
        now = time.time()
        entries: list[tuple[bool, float, str, int]] = []
        total = 0
        for path, status in self._files():
            if path.endswith(".tmp"):
                if now - status.st_mtime > STALE_TEMPORARY_S:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
            elif path.endswith(".npy"):
                # entries just written go last: equal mtimes must not evict the newest batch
                entries.append((path in protected, status.st_mtime, path, status.st_size))
                total += status.st_size
        if 0 < self.limit_bytes < total:
            target = int(self.limit_bytes * KEEP_FRACTION)
            entries.sort()
            for _, _, path, size in entries:
                if total <= target:
                    break
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass  # another process evicted it first
                except OSError:
                    continue
                total -= size
        self._write_usage(total, now)
        return total

    def _files(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every plain file below the root with its ``lstat``; links are not followed."""
        folders = [os.fspath(self.root)]
        while folders:
            try:
                with os.scandir(folders.pop()) as listing:
                    found = list(listing)
            except OSError:
                continue
            for entry in found:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        yield entry.path, entry.stat(follow_symlinks=False)
                except OSError:
                    continue

    def _account(self, written: list[tuple[str, int]]) -> None:
        """Add a batch to the running size; sweep when it passes the limit or is stale.

        Two processes updating the count at once may lose one batch's bytes: the count
        is an estimate, corrected by every sweep (at least daily).
        """
        usage = self._read_usage()
        added = sum(size for _, size in written)
        if (
            usage is None
            or abs(time.time() - usage[1]) > RECOUNT_S
            or 0 < self.limit_bytes < usage[0] + added
        ):
            self._sweep(protected=frozenset(path for path, _ in written))
        else:
            self._write_usage(usage[0] + added, usage[1])

    def _read_usage(self) -> tuple[int, float] | None:
        try:
            with open(os.path.join(self.root, _USAGE), encoding="ascii") as stream:
                size, counted = stream.read(100).split()
            usage = int(size), float(counted)
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if usage[0] < 0 or not math.isfinite(usage[1]):
            return None
        return usage

    def _write_usage(self, size: int, counted: float) -> None:
        try:
            handle, temporary = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="ascii") as stream:
                stream.write(f"{size} {counted:.0f}\n")
            os.replace(temporary, os.path.join(self.root, _USAGE))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.root, ignore_errors=True)
