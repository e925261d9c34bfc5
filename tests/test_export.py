"""Exported files (core.export): one format whether the CLI or the Export page wrote it,
HTML that opens offline, and writes that never leave a torn file behind."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pytest

from core.embedding import EmbeddingSet
from core.export import atlas_html, check_writable, embeddings_csv, embeddings_npz, write_file
from core.plots import atlas_figure


@pytest.fixture
def items():
    vectors = np.eye(3, 4, dtype=np.float32)
    return EmbeddingSet(
        model_id="m#1",
        names=["a.png", "b.png", "我爱你"],
        kinds=["image", "image", "text"],
        vectors=vectors,
        notes=["", "", ""],
        hashes=["h1", "h2", "h3"],
    )


def test_npz_is_the_embedding_set_format_with_emotions(items, tmp_path):
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    path = write_file(tmp_path / "e.npz", embeddings_npz(items, probabilities, ["joy", "fear"]))
    loaded = EmbeddingSet.load_npz(path)
    assert loaded.names == items.names and np.array_equal(loaded.vectors, items.vectors)
    with np.load(path, allow_pickle=False) as data:  # no pickles inside
        assert data["labels"].tolist() == ["joy", "fear"]
        assert np.allclose(data["probabilities"], probabilities)


def test_csv_has_a_row_per_item_with_top_emotion(items):
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    rows = list(
        csv.reader(io.StringIO(embeddings_csv(items, probabilities, ["joy", "fear"]).decode()))
    )
    assert rows[0][:5] == ["name", "kind", "top_emotion", "p_joy", "p_fear"]
    assert [r[0] for r in rows[1:]] == items.names and [r[2] for r in rows[1:]] == [
        "joy",
        "fear",
        "joy",
    ]
    assert len(rows[1]) == 5 + 4
    plain = list(csv.reader(io.StringIO(embeddings_csv(items).decode())))
    assert plain[0] == ["name", "kind", "e0", "e1", "e2", "e3"]


def test_standalone_html_works_offline_and_has_a_title(items):
    coords = np.random.default_rng(0).normal(size=(3, 2))
    figure = atlas_figure(coords, items.names, items.kinds, ["joy", "fear", "joy"])
    page = atlas_html(figure, "Emotion Atlas <情绪地图>").decode("utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page)  # nothing fetched: plotly.js is inline
    assert "plotly.js" in page.lower() and len(page) > 1_000_000
    assert "<title>Emotion Atlas &lt;情绪地图&gt;</title>" in page
    assert "我爱你" in page or "\\u6211\\u7231\\u4f60" in page


def test_standalone_html_speaks_the_reader_language_and_lists_the_sentences_whole(items):
    coords = np.random.default_rng(0).normal(size=(3, 2))
    figure = atlas_figure(coords, items.names, items.kinds, ["joy", "fear", "joy"])
    long = "今天" * 20 + "<b>"  # the map shortens it; the list keeps it whole, as text
    title = "情绪地图 · LLE（标准）"
    page = atlas_html(figure, title, language="zh", sentences=[long], sentences_title="句子")
    page = page.decode("utf-8")
    assert '<html lang="zh">' in page[:100]
    assert "<title>情绪地图 · LLE（标准）</title>" in page
    assert "<h2>句子</h2><ol><li>" + "今天" * 20 + "&lt;b&gt;</li></ol>" in page
    assert page.rstrip().endswith("</html>")


def test_write_file_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    path = write_file(tmp_path / "out.npz", b"first")
    import os

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_file(path, b"second")
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]  # no temporary left behind


def test_outputs_are_checked_before_the_work(tmp_path):
    assert check_writable(tmp_path / "x.npz") == tmp_path / "x.npz"
    with pytest.raises(ValueError, match="does not exist"):
        check_writable(tmp_path / "missing" / "x.npz")
    with pytest.raises(ValueError, match="is a folder"):
        check_writable(tmp_path)
