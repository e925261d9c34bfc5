"""Figures: what each shows, one colour per emotion, and offline HTML."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.images import thumbnail_png
from core.plots import (
    THUMBNAIL_LIMIT,
    add_path,
    atlas_figure,
    confusion_figure,
    emotion_bars,
    emotion_colour,
    mood_board,
)


def _items(n_images=6):
    from PIL import Image

    coords = np.random.default_rng(0).normal(size=(n_images + 2, 2))
    names = [f"img{i}.png" for i in range(n_images)] + ["I love you", "我爱你"]
    kinds = ["image"] * n_images + ["text", "text"]
    tops = (["joy", "sadness"] * n_images)[:n_images] + ["joy", "joy"]
    thumbs = [thumbnail_png(Image.new("RGB", (20, 20), (200, 0, 0)), 16)] * n_images + [None, None]
    return coords, names, kinds, tops, thumbs


def test_atlas_has_one_trace_per_emotion_and_stars_for_texts():
    coords, names, kinds, tops, thumbs = _items()
    fig = atlas_figure(
        coords,
        names,
        kinds,
        tops,
        thumbnails=thumbs,
        label_names={"joy": "快乐"},
        words={"texts": "文本"},
    )
    traces = {trace.name: trace for trace in fig.data}
    assert set(traces) == {"快乐", "sadness", "文本"}  # the reader's words, not English
    assert traces["快乐"].marker.color == emotion_colour("joy")
    assert traces["文本"].marker.symbol == "star"
    assert list(traces["文本"].text) == ["I love you", "我爱你"]
    assert {t.name for t in atlas_figure(coords, names, kinds, tops).data} >= {"texts"}
    assert len(fig.layout.images) == 6
    assert fig.layout.images[0].source.startswith("data:image/png;base64,")


def test_three_d_atlas_and_thumbnail_limit():
    coords, names, kinds, tops, _ = _items()
    fig = atlas_figure(np.c_[coords, coords[:, 0]], names, kinds, tops)
    assert all(isinstance(trace, go.Scatter3d) for trace in fig.data)
    many = THUMBNAIL_LIMIT + 1
    coords, names, kinds, tops, thumbs = _items(many)
    assert len(atlas_figure(coords, names, kinds, tops, thumbnails=thumbs).layout.images) == 0


def test_palette_is_stable_for_custom_labels():
    assert emotion_colour("joy") != emotion_colour("sadness")
    assert emotion_colour("cosy") == emotion_colour("cosy")


def test_bars_mood_board_path_and_confusion():
    bars = emotion_bars(np.array([0.7, 0.3]), ["joy", "fear"])
    assert list(bars.data[0].marker.color) == [emotion_colour("joy"), emotion_colour("fear")]
    board = mood_board([np.zeros((8, 8, 3), np.uint8)] * 3, [0.5, 0.3, 0.2], ["a", "b", "c"])
    assert len(board.data) == 3 and board.layout.annotations[0].text == "+0.50"
    coords, names, kinds, tops, _ = _items()
    fig = add_path(atlas_figure(coords, names, kinds, tops), coords[:3], ["α=0", "α=0.5", "α=1"])
    assert list(fig.data[-1].text) == ["α=0", "α=0.5", "α=1"]
    confusion = confusion_figure(np.array([[3, 1], [0, 4]]), ["joy", "fear"])
    assert confusion.data[0].z.tolist() == [[3, 1], [0, 4]]


def test_labels_of_close_stars_go_to_different_sides():
    from core.plots import label_share, label_sides

    low, high = np.zeros(2), np.ones(2)
    close = np.array([[0.40, 0.50], [0.41, 0.48], [0.60, 0.45]])
    assert len(set(label_sides(close, low, high))) == 3
    assert label_sides(np.array([[0.5, 0.5]]), low, high) == ["top center"]
    # near the left edge a label never goes further left, out of the plot
    assert "left" not in label_sides(np.array([[0.05, 0.5], [0.06, 0.5]]), low, high)[0]
    # a Chinese label is about twice as wide as a Latin one of as many characters, and a
    # wide label near the edge is put where all of it fits: to the right
    assert label_share("我" * 10) > 1.8 * label_share("a" * 10)
    wide = label_share("航空公司弄丢了我的行李")
    assert label_sides(np.array([[0.3, 0.5], [0.31, 0.52]]), low, high, [wide, 0.1])[0] in (
        "middle right",
        "top right",
        "bottom right",
    )
