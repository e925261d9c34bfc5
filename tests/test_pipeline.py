"""From folders and sentences to an EmbeddingSet: bad items reported, cache honoured."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from make_corpus import EXPECTED

from core.cache import EmbeddingCache
from core.embedding import EmbeddingSet, embed_images, embed_paths, embed_texts


class CountingEncoder:
    """The real tiny encoder, counting what it is asked to encode."""

    def __init__(self, encoder):
        self.inner = encoder
        self.images = 0
        self.texts = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_pixels(self, pixels):
        self.images += len(pixels)
        return self.inner.encode_pixels(pixels)

    def encode_texts(self, texts, **kwargs):
        self.texts += len(texts)
        return self.inner.encode_texts(texts, **kwargs)


def test_folder_keeps_good_items_and_reports_bad_ones(tiny_encoder, corpus):
    folder = next(iter(corpus.values())).parent
    result = embed_paths([folder], tiny_encoder)
    good = {name for name, expected in EXPECTED.items() if expected == "ok"}
    assert {Path(name).name for name in result.names} == good
    assert result.vectors.shape == (len(good), tiny_encoder.dim)
    refused = {Path(name).name: reason for name, reason in result.rejected}
    assert set(refused) == set(EXPECTED) - good
    assert all(reason for reason in refused.values())
    assert result.encoded == len(good)


def test_second_run_encodes_nothing(tiny_encoder, corpus, tmp_path):
    folder = next(iter(corpus.values())).parent
    cache = EmbeddingCache(tmp_path / "cache")
    counting = CountingEncoder(tiny_encoder)
    first = embed_paths([folder], counting, cache=cache)
    texts_first = embed_texts(["I love you", "我爱你"], counting, cache=cache)
    encoded_before = (counting.images, counting.texts)
    second = embed_paths([folder], counting, cache=cache)
    texts_second = embed_texts(["I love you", "我爱你"], counting, cache=cache)
    assert encoded_before == (len(first), 2)
    assert (counting.images, counting.texts) == encoded_before  # zero new encoder calls
    assert second.encoded == 0 and texts_second.encoded == 0
    np.testing.assert_array_equal(first.vectors, second.vectors)
    np.testing.assert_array_equal(texts_first.vectors, texts_second.vectors)
    assert second.rejected == first.rejected


def test_cache_is_per_model(tiny_encoder, tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put_many("model-a", "text", {"abc": np.ones(4, np.float32)})
    assert cache.get_many("model-b", "text", ["abc"]) == {}
    assert cache.get_many("model-a", "image", ["abc"]) == {}
    assert cache.get_many("model-a", "text", ["abc"])["abc"].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize(
    "damage",
    [lambda data: b"\x93NUMPY garbage", lambda data: data[:-10], lambda data: data[:64]],
    ids=["garbage", "truncated-data", "truncated-header"],
)
def test_damaged_cache_entry_is_re_encoded(tiny_encoder, tmp_path, damage):
    cache = EmbeddingCache(tmp_path)
    counting = CountingEncoder(tiny_encoder)
    first = embed_texts(["joy"], counting, cache=cache)
    for entry in tmp_path.rglob("*.npy"):
        entry.write_bytes(damage(entry.read_bytes()))
    again = embed_texts(["joy"], counting, cache=cache)
    assert counting.texts == 2 and again.encoded == 1
    np.testing.assert_array_equal(again.vectors, first.vectors)
    assert embed_texts(["joy"], counting, cache=cache).encoded == 0  # the entry was rewritten


def _write_many(args):
    root, worker = args
    cache = EmbeddingCache(root)
    for round_ in range(30):
        vectors = {f"{i:064x}": np.full(256, i + 1 + worker * 0.0, np.float32) for i in range(20)}
        cache.put_many("shared-model", "image", vectors)
        found = cache.get_many("shared-model", "image", vectors)
        for key, vector in found.items():
            assert vector.shape == (256,) and np.all(vector == int(key, 16) + 1), round_
    return True


def test_two_processes_writing_at_once_leave_no_torn_files(tmp_path):
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        assert all(pool.map(_write_many, [(tmp_path, 0), (tmp_path, 1)]))
    found = EmbeddingCache(tmp_path).get_many(
        "shared-model", "image", [f"{i:064x}" for i in range(20)]
    )
    assert len(found) == 20
    assert not list(tmp_path.rglob("*.tmp"))


def test_bytes_uploads_and_duplicates(tiny_encoder, corpus):
    data = corpus["red.png"].read_bytes()
    result = embed_images([("a.png", data), ("b.png", data), ("bad.png", b"nope")], tiny_encoder)
    assert result.names == ["a.png", "b.png"]
    np.testing.assert_array_equal(result.vectors[0], result.vectors[1])
    assert result.rejected == [("bad.png", "a text file, not an image")]


def test_texts_refused_and_flagged(tiny_encoder):
    result = embed_texts(["I love you", "   ", "", "joy " * 100], tiny_encoder)
    assert result.names[0] == "I love you" and len(result) == 2
    assert [reason for _, reason in result.rejected] == [
        "the text is only whitespace",
        "the text is empty",
    ]
    assert result.notes[0] == "" and "truncated" in result.notes[1]


def test_npz_round_trip_without_pickles(tiny_encoder, corpus, tmp_path):
    result = embed_paths([corpus["red.png"], corpus["empty.jpg"]], tiny_encoder) + embed_texts(
        ["我爱你"], tiny_encoder
    )
    result.save_npz(tmp_path / "out.npz")
    loaded = EmbeddingSet.load_npz(tmp_path / "out.npz")
    assert loaded.names == result.names and loaded.kinds == ["image", "text"]
    assert loaded.rejected == result.rejected
    np.testing.assert_array_equal(loaded.vectors, result.vectors)


def test_joining_sets_of_different_models_is_refused(tiny_encoder):
    import pytest

    other = EmbeddingSet("another-model", vectors=np.zeros((0, 64), np.float32))
    with pytest.raises(ValueError, match="different models"):
        embed_texts(["x"], tiny_encoder) + other


def test_prefetching_pipeline_gives_the_same_result(tiny_encoder, corpus, tmp_path):
    import shutil

    folder = tmp_path / "pictures"
    shutil.copytree(next(iter(corpus.values())).parent, folder)
    # copies of a good and of a bad file: each copy gets the first one's vector or reason
    shutil.copy(folder / "red.png", folder / "red_copy.png")
    shutil.copy(folder / "truncated.png", folder / "truncated_copy.png")
    plain = embed_paths([folder], tiny_encoder, batch_size=4)
    fetched = embed_paths([folder], tiny_encoder, batch_size=4, prefetch=True)
    assert fetched.names == plain.names and fetched.rejected == plain.rejected
    np.testing.assert_array_equal(fetched.vectors, plain.vectors)
    refused = dict(plain.rejected)
    assert refused[str(folder / "truncated_copy.png")] == refused[str(folder / "truncated.png")]
    row = {name: i for i, name in enumerate(plain.names)}
    copy, original = row[str(folder / "red_copy.png")], row[str(folder / "red.png")]
    np.testing.assert_array_equal(plain.vectors[copy], plain.vectors[original])
    assert plain.encoded == len(plain) - 1  # the copy was not encoded twice
