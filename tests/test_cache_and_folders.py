"""A damaged or growing embedding cache, and server folders holding pipes, loops and odd names.

Everything here is real: entries written by ``put_many`` and then damaged on disk, FIFOs
made with ``os.mkfifo``, symlink loops. Anything that could hang runs under an alarm, so a
hang fails the test instead of the suite.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from core.cache import DEFAULT_LIMIT_MB, LIMIT_ENV, EmbeddingCache
from core.folders import (
    ROOTS_ENV,
    FolderRefused,
    allowed_roots,
    list_files,
    read_file,
    resolve_folder,
)
from core.messages import Message

MODEL = "test-model"
DIM = 4
KEYS = [f"{i:064x}" for i in range(1, 4)]


@contextmanager
def finishes_within(seconds: float):
    """Fail (instead of hanging) when the body runs longer than ``seconds``."""

    def hung(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _vector(i: int, dim: int = DIM) -> np.ndarray:
    return np.arange(1, dim + 1, dtype=np.float32) * (i + 1)


def _entry(cache: EmbeddingCache, key: str, kind: str = "image") -> Path:
    return cache._path(MODEL, kind, key)


def _npy(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


# ---- A.1 damaged entries count as missing ------------------------------------------------

DAMAGES = {
    "empty": lambda data: b"",
    "one-byte": lambda data: data[:1],
    "truncated-data": lambda data: data[:-4],
    "truncated-header": lambda data: data[:40],
    "magic-only": lambda data: b"\x93NUMPY\x01\x00",
    "wrong-header": lambda data: data.replace(b"'<f4'", b"'<f8'"),
    "header-garbage": lambda data: b"\x93NUMPY\x01\x00\x10\x00{not a dict}   \n" + data[-16:],
    "huge-shape": lambda data: data.replace(b"(4,)", b"(9999999999999,)"),
    "zero-length": lambda data: _npy(np.zeros(0, np.float32)),
    "longer": lambda data: _npy(np.ones(DIM + 3, np.float32)),
    "float64": lambda data: _npy(np.ones(DIM, np.float64)),
    "two-d": lambda data: _npy(np.ones((2, 2), np.float32)),
    "pickled-object": lambda data: _npy(np.array([{"a": 1}, None], dtype=object)),
    "nan": lambda data: _npy(np.array([1, np.nan, 2, 3], np.float32)),
    "inf": lambda data: _npy(np.array([1, np.inf, 2, 3], np.float32)),
    "all-zero": lambda data: _npy(np.zeros(DIM, np.float32)),
    "zip": lambda data: b"PK\x03\x04" + data,
    "text": lambda data: b"hello, I am not an array\n",
}


@pytest.mark.parametrize("damage", list(DAMAGES.values()), ids=list(DAMAGES))
def test_a_damaged_entry_is_missing_removed_and_rewritten(tmp_path, damage):
    cache = EmbeddingCache(tmp_path, limit_bytes=0)
    vectors = {key: _vector(i) for i, key in enumerate(KEYS)}
    cache.put_many(MODEL, "image", vectors)
    damaged = _entry(cache, KEYS[1])
    good = damaged.read_bytes()
    for dim, asked in ((None, KEYS), (DIM, KEYS), (DIM, KEYS[1:2])):  # alone, dim tells
        damaged.write_bytes(damage(good))
        found = cache.get_many(MODEL, "image", asked, dim=dim)
        assert set(found) == set(asked) - {KEYS[1]}
        assert not damaged.exists()  # deleted, so the next put rewrites it
        cache.put_many(MODEL, "image", {KEYS[1]: vectors[KEYS[1]]})
        assert damaged.read_bytes() == good
    again = cache.get_many(MODEL, "image", KEYS, dim=DIM)
    assert set(again) == set(KEYS)
    for key, vector in vectors.items():
        np.testing.assert_array_equal(again[key], vector)
        assert again[key].dtype == np.float32 and again[key].shape == (DIM,)


def test_random_garbage_never_raises(tmp_path):
    cache = EmbeddingCache(tmp_path, limit_bytes=0)
    rng = np.random.default_rng(0)
    cache.put_many(MODEL, "text", {KEYS[0]: _vector(0)})
    entry = _entry(cache, KEYS[0], "text")
    good = entry.read_bytes()
    for trial in range(300):
        size = int(rng.integers(0, 300))
        noise = rng.bytes(size)
        if trial % 3 == 0:
            noise = good[: int(rng.integers(0, len(good)))] + noise
        elif trial % 3 == 1:
            noise = b"\x93NUMPY" + noise
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(noise)
        found = cache.get_many(MODEL, "text", [KEYS[0]], dim=DIM)
        assert found == {} or np.array_equal(found[KEYS[0]], _vector(0)), trial


def test_a_vector_of_another_length_is_damaged_even_without_dim(tmp_path):
    cache = EmbeddingCache(tmp_path, limit_bytes=0)
    cache.put_many(MODEL, "text", {key: _vector(i) for i, key in enumerate(KEYS)})
    cache.put_many(MODEL, "text", {KEYS[2]: _vector(2, DIM + 1)})  # e.g. an older model
    assert set(cache.get_many(MODEL, "text", KEYS)) == set(KEYS[:2])
    assert not _entry(cache, KEYS[2], "text").exists()
    cache.put_many(MODEL, "text", {KEYS[2]: _vector(2, DIM + 1)})
    assert cache.get_many(MODEL, "text", KEYS[2:], dim=DIM) == {}
    assert set(cache.get_many(MODEL, "text", KEYS[:2], dim=DIM)) == set(KEYS[:2])


def test_an_unwritable_cache_never_fails_the_caller(tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    cache = EmbeddingCache(blocker, limit_bytes=1000)
    cache.put_many(MODEL, "image", {KEYS[0]: _vector(0)})
    assert cache.get_many(MODEL, "image", KEYS) == {}
    assert cache.sweep() == 0
    assert cache.size_bytes() == 0


# ---- A.2 fsync before the rename ---------------------------------------------------------


def test_every_entry_is_fsynced_before_it_is_renamed_into_place(tmp_path, monkeypatch):
    """A spy around the real calls (they still run): the order is what is checked."""
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(source, target, **kwargs):
        events.append(("replace", os.fspath(source)))
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    cache = EmbeddingCache(tmp_path, limit_bytes=0)
    cache.put_many(MODEL, "image", {key: _vector(i) for i, key in enumerate(KEYS)})
    monkeypatch.undo()
    renamed = [path for event, path in events if event == "replace" and "/image/" in path]
    assert len(renamed) == len(KEYS)
    for path in renamed:
        assert events.index(("fsync", path)) < events.index(("replace", path)), path


# ---- A.3 size limit, least recently used first --------------------------------------------


def _npy_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.npy"))


def test_limit_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    assert EmbeddingCache(tmp_path).limit_bytes == DEFAULT_LIMIT_MB * 1024 * 1024 == 2048 << 20
    monkeypatch.setenv(LIMIT_ENV, "3")
    assert EmbeddingCache(tmp_path).limit_bytes == 3 << 20
    monkeypatch.setenv(LIMIT_ENV, "lots")
    assert EmbeddingCache(tmp_path).limit_bytes == DEFAULT_LIMIT_MB << 20
    assert EmbeddingCache(tmp_path, limit_bytes=1234).limit_bytes == 1234


def test_sweep_evicts_the_least_recently_used_and_keeps_a_recent_hit(tmp_path):
    keys = [f"{i:064x}" for i in range(10)]
    cache = EmbeddingCache(tmp_path, limit_bytes=0)
    cache.put_many(MODEL, "image", {key: _vector(i, 32) for i, key in enumerate(keys)})
    entry_size = _entry(cache, keys[0]).stat().st_size
    now = time.time()
    for i, key in enumerate(keys):  # written a day ago, keys[0] first
        os.utime(_entry(cache, key), (now - 86400 + i, now - 86400 + i))
    assert set(cache.get_many(MODEL, "image", keys[:1], dim=32)) == {keys[0]}  # a hit
    assert _entry(cache, keys[0]).stat().st_mtime > now - 60

    limited = EmbeddingCache(tmp_path, limit_bytes=6 * entry_size)
    assert limited.sweep() == _npy_bytes(tmp_path) <= 0.9 * 6 * entry_size
    survivors = {key for key in keys if _entry(cache, key).exists()}
    assert keys[0] in survivors  # the oldest written, but read just now
    assert survivors == {keys[0], *keys[-4:]}  # the rest went oldest first
    assert limited.size_bytes() == _npy_bytes(tmp_path)


def test_puts_keep_the_cache_under_its_limit(tmp_path):
    probe = EmbeddingCache(tmp_path / "probe", limit_bytes=0)
    probe.put_many(MODEL, "text", {KEYS[0]: _vector(0, 64)})
    entry_size = _npy_bytes(tmp_path / "probe")
    limit = 20 * entry_size
    cache = EmbeddingCache(tmp_path / "cache", limit_bytes=limit)
    keys = [f"{i:064x}" for i in range(100)]
    for start in range(0, len(keys), 5):
        batch = {key: _vector(i, 64) for i, key in enumerate(keys[start : start + 5])}
        cache.put_many(MODEL, "text", batch)
        assert _npy_bytes(tmp_path / "cache") <= limit
    assert cache.size_bytes() >= _npy_bytes(tmp_path / "cache")
    # the newest batch is always kept
    assert set(cache.get_many(MODEL, "text", keys[-5:], dim=64)) == set(keys[-5:])


def test_sweep_removes_stale_temporary_files_and_keeps_fresh_ones(tmp_path):
    cache = EmbeddingCache(tmp_path, limit_bytes=10**9)
    cache.put_many(MODEL, "image", {KEYS[0]: _vector(0)})
    folder = _entry(cache, KEYS[0]).parent
    stale, fresh = folder / "tmpold123.tmp", folder / "tmpnew456.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    cache.sweep()
    assert not stale.exists() and fresh.exists()
    assert set(cache.get_many(MODEL, "image", KEYS[:1])) == {KEYS[0]}


# ---- B. server folders --------------------------------------------------------------------


@pytest.fixture
def root(tmp_path, monkeypatch):
    allowed = tmp_path / "allowed"
    (allowed / "pics" / "sub").mkdir(parents=True)
    monkeypatch.setenv(ROOTS_ENV, str(allowed))
    return allowed


def _assert_no_server_path(reason, tmp_path):
    assert isinstance(reason, Message) and reason.code.startswith("folder."), reason
    assert str(tmp_path) not in reason
    assert not any(str(tmp_path) in str(value) for value in reason.values.values())


def test_pipes_loops_and_broken_links_are_refused_and_the_pictures_kept(root, tmp_path):
    pics = root / "pics"
    for name in ("a.png", "sub/b.png", "z.jpg"):
        (pics / name).write_bytes(b"picture")
    os.mkfifo(pics / "pipe.png")
    os.symlink(pics / "b.png", pics / "a-loop.png")  # a -> b -> a
    os.symlink(pics / "a-loop.png", pics / "b.png")
    os.symlink(pics / "gone.png", pics / "dangling.png")
    os.symlink(pics / "sub" / "b.png", pics / "inside-link.png")
    with finishes_within(10):
        files, refused = list_files(resolve_folder(root, "pics"), root)
    assert [str(f.relative_to(pics)) for f in files] == [
        "a.png",
        "inside-link.png",
        "z.jpg",
        "sub/b.png",
    ]
    reasons = dict(refused)
    assert set(reasons) == {"pipe.png", "a-loop.png", "b.png", "dangling.png"}
    assert reasons["pipe.png"].code == "folder.special_file"
    assert reasons["a-loop.png"].code == reasons["b.png"].code == "folder.file_link_loop"
    assert reasons["dangling.png"].code == "folder.file_unreadable"
    for reason in reasons.values():
        _assert_no_server_path(reason, tmp_path)


def test_a_socket_is_refused(root, tmp_path):
    here = os.getcwd()
    os.chdir(root / "pics")  # a short relative name: socket paths are limited to ~100 bytes
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind("s.png")
            with finishes_within(10):
                files, refused = list_files(resolve_folder(root, "pics"), root)
    finally:
        os.chdir(here)
    assert files == [] and [(n, r.code) for n, r in refused] == [("s.png", "folder.special_file")]


def test_reading_a_pipe_or_a_device_is_refused_at_once(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with finishes_within(10):
        for special in (pipe, Path("/dev/zero")):
            with pytest.raises(FolderRefused) as caught:
                read_file(special, 100)
            assert caught.value.args[0].code == "folder.special_file"
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1000)
    assert read_file(big, 10) == b"x" * 11  # at most limit + 1 bytes: the caller refuses it
    assert read_file(big, 5000) == b"x" * 1000


@pytest.mark.parametrize(
    ("relative", "code"),
    [
        ("x" * 6000, "folder.bad_name"),
        ("pics/" + "x" * 300, "folder.bad_name"),
        ("/".join(["pics"] * 2000), "folder.bad_name"),
        ("pi\0cs", "folder.bad_name"),
        ("loop", "folder.link_loop"),
        ("loop/inner", "folder.link_loop"),
    ],
    ids=["6000-chars", "long-part", "deep", "nul", "loop", "below-loop"],
)
def test_odd_folder_names_are_refused_with_a_message(root, tmp_path, relative, code):
    os.symlink(root / "loop2", root / "loop")
    os.symlink(root / "loop", root / "loop2")
    with finishes_within(10), pytest.raises(FolderRefused) as caught:
        resolve_folder(root, relative)
    assert caught.value.args[0].code == code
    _assert_no_server_path(caught.value.args[0], tmp_path)


def test_a_root_that_is_a_loop_is_skipped_not_raised(tmp_path, monkeypatch):
    good = tmp_path / "good"
    good.mkdir()
    os.symlink(tmp_path / "l2", tmp_path / "l1")
    os.symlink(tmp_path / "l1", tmp_path / "l2")
    monkeypatch.setenv(ROOTS_ENV, os.pathsep.join([str(tmp_path / "l1"), str(good), "x" * 6000]))
    assert allowed_roots() == [good.resolve()]


def test_the_dashboard_reads_a_folder_of_pipes_without_hanging(root, tmp_path):
    """``folder_collection`` (Streamlit in bare mode): nothing readable, nothing hangs."""
    from ui.collections import folder_collection

    pics = root / "pics"
    os.mkfifo(pics / "pipe.png")
    os.symlink(pics / "l2.png", pics / "l1.png")
    os.symlink(pics / "l1.png", pics / "l2.png")
    with finishes_within(20):
        collection, refused = folder_collection("pocket", str(root), "pics")
    assert collection is None
    assert {name: reason.code for name, reason in refused} == {
        "pipe.png": "folder.special_file",
        "l1.png": "folder.file_link_loop",
        "l2.png": "folder.file_link_loop",
    }
