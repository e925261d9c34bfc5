"""Figures: what each shows, one colour per emotion, and offline HTML."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.images import thumbnail_png
from core.plots import (
    THUMBNAIL_LIMIT,
    THUMBNAIL_SAMPLE,
    add_path,
    atlas_figure,
    confusion_figure,
    emotion_bars,
    emotion_colour,
    legible_rows,
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
    # under thumbnails a picture's emotion is the ring around it; the thumbnails lie below
    # the traces, so the sentences' labels are never hidden by a picture
    assert traces["快乐"].marker.line.color == emotion_colour("joy")
    assert all(image.layer == "below" for image in fig.layout.images)
    plain = atlas_figure(coords, names, kinds, tops)  # no thumbnails: coloured dots
    assert {t.name: t for t in plain.data}["joy"].marker.color == emotion_colour("joy")
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
    assert emotion_colour("love") != emotion_colour("fear")


def test_bars_mood_board_path_and_confusion():
    bars = emotion_bars(np.array([0.7, 0.3]), ["joy", "fear"])
    assert list(bars.data[0].marker.color) == [emotion_colour("joy"), emotion_colour("fear")]
    board = mood_board([np.zeros((8, 8, 3), np.uint8)] * 3, [70, 40, -10], ["a", "b", "c"])
    assert len(board.data) == 3
    assert [a.text for a in board.layout.annotations] == ["70 %", "40 %", "-10 % away"]
    assert board.data[2].z.min() > 150 and board.data[0].z.max() == 0  # the negative is dimmed
    coords, names, kinds, tops, _ = _items()
    fig = add_path(atlas_figure(coords, names, kinds, tops), coords[:3], ["α=0", "α=0.5", "α=1"])
    assert list(fig.data[-1].text) == ["α=0", "", "α=1"]  # the ends only: no blob
    short = add_path(
        atlas_figure(coords, names, kinds, tops), coords[:1] + [[0, 0], [0.01, 0]], "ab"
    )
    assert list(short.data[-1].text) == ["", ""]  # too short to label apart
    assert list(fig.data[-1].customdata) == ["α=0", "α=0.5", "α=1"]  # each step in the hover
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


def test_method_grid_colours_a_sheet_on_one_scale_with_a_colour_bar():
    from core.plots import method_grid

    rng = np.random.default_rng(0)
    position = np.linspace(0, 4, 50)
    panels = {name: (rng.normal(size=(50, 2)), position, ["image"] * 50) for name in "abc"}
    fig = method_grid(panels, colour_title="position along the sheet")
    for trace in fig.data:  # coloured by the position, not one grey
        np.testing.assert_allclose(trace.marker.color, position)
        assert trace.marker.colorscale and (trace.marker.cmin, trace.marker.cmax) == (0, 4)
    assert [trace.marker.showscale for trace in fig.data] == [True, False, False]
    assert fig.data[0].marker.colorbar.title.text == "position along the sheet"
    tops = method_grid({"a": (rng.normal(size=(2, 2)), ["joy", "fear"], ["image"] * 2)})
    assert list(tops.data[0].marker.color) == [emotion_colour("joy"), emotion_colour("fear")]


def test_step_two_writes_only_the_largest_weights_apart_from_each_other():
    from sklearn.datasets import make_s_curve

    from core.plots import WEIGHT_FONT, _camera_axes, manifold_figure, weight_labels
    from core.teaching import reconstruction

    points, position = make_s_curve(600, random_state=0)
    rows, weights, _ = reconstruction(points, 0, 30)
    fig = manifold_figure(points, position, focus=0, focus_neighbours=rows, weights=weights)
    written = [t for trace in fig.data if trace.mode == "text" for t in trace.text]
    largest = sorted(weights, key=abs, reverse=True)[:4]
    assert written == [f"{w:+.2f}" for w in largest]
    assert all(trace.textfont.size >= 12 for trace in fig.data if trace.mode == "text")
    assert WEIGHT_FONT >= 12
    neighbours = next(trace for trace in fig.data if trace.name == "neighbours")
    np.testing.assert_allclose(neighbours.customdata, weights)  # every weight on hover

    _, _, spots = weight_labels(points, 0, rows, weights)
    right, up, scale = _camera_axes(points)
    screen = lambda p: np.column_stack([(p / scale) @ right, (p / scale) @ up])  # noqa: E731
    labels, near, focus = screen(spots), screen(points[rows]), screen(points[[0]])[0]
    gaps = np.linalg.norm(labels[:, None] - labels[None], axis=-1)[np.triu_indices(4, 1)]
    assert gaps.min() > 0.1  # labels far apart (a label is ~0.05 of the scene wide)
    reach = np.linalg.norm(near - focus, axis=1).max()
    assert (np.linalg.norm(labels - focus, axis=1) > reach).all()  # outside the neighbours


def test_presentation_scaling_grows_every_text_and_leaves_the_original():
    from core.plots import scaled_text

    coords, names, kinds, tops, _ = _items()
    original = add_path(atlas_figure(coords, names, kinds, tops, title="map"), coords[:3], "abc")
    before = (original.layout.font.size, original.data[-1].textfont.size)
    bigger = scaled_text(original, 1.5)
    assert bigger.layout.font.size == before[0] * 1.5
    assert bigger.data[-1].textfont.size == before[1] * 1.5
    assert bigger.layout.title.font.size >= 18 and bigger.layout.legend.font.size >= 18
    assert (original.layout.font.size, original.data[-1].textfont.size) == before  # a copy
    board = scaled_text(mood_board([np.zeros((4, 4, 3), np.uint8)] * 2, [60, 40], ["a", "b"]), 2)
    assert all(a.font.size == 28 for a in board.layout.annotations)


def test_sentence_labels_on_the_atlas_go_apart():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [0.52, 0.5], [0.99, 0.0]])
    names = ["a.png", "b.png", "航空公司弄丢了我的行李", "我爱你", "a long English sentence here"]
    kinds = ["image", "image", "text", "text", "text"]
    fig = atlas_figure(coords, names, kinds, ["joy", "fear", "anger", "love", "joy"])
    sides = list(fig.data[-1].textposition)
    assert sides[0] != sides[1]  # two close sentences get different sides
    assert "right" not in sides[2]  # the one at the right edge is not written off the plot


def test_a_large_map_draws_webgl_dots_and_a_spread_sample_of_thumbnails():
    rng = np.random.default_rng(0)
    count = 20_000
    coords = np.r_[rng.normal(size=(count - 200, 2)) * 0.1, rng.uniform(-3, 3, size=(200, 2))]
    kinds = ["image"] * count
    rows = legible_rows(coords, kinds)
    assert 40 <= len(rows) <= THUMBNAIL_SAMPLE
    picked = coords[rows]
    gaps = np.linalg.norm(picked[:, None] - picked[None], axis=2) + np.eye(len(rows)) * 9
    assert gaps.min(axis=1).min() > 0.05  # no two thumbnails on one spot of the dense core
    assert picked[:, 0].min() < -2 and picked[:, 0].max() > 2  # the sparse edges get some
    picture = _items(1)[4][0]
    chosen = set(rows)
    thumbs = [picture if i in chosen else None for i in range(count)]
    names = [str(i) for i in range(count)]
    fig = atlas_figure(coords, names, kinds, ["joy"] * count, thumbnails=thumbs)
    assert all(isinstance(trace, go.Scattergl) for trace in fig.data)
    with_text = atlas_figure(
        coords, [*names[:-1], "我爱你"], [*kinds[:-1], "text"], ["joy"] * count
    )
    assert isinstance(with_text.data[-1], go.Scatter)  # sentences stay SVG: halo, no clipping
    assert fig.data[0].marker.size == 4  # dots, not the rings drawn around every thumbnail
    low, high = fig.layout.xaxis.range  # framed on the dense bulk, not on the far few
    assert high - low < 3 and low < coords[:, 0].mean() < high
    assert len(fig.layout.images) == len(rows)
    small = atlas_figure(coords[:50], names[:50], kinds[:50], ["joy"] * 50)
    assert isinstance(small.data[0], go.Scatter)
    assert legible_rows(coords[:50], kinds[:50]) == list(range(50))


def test_the_labels_of_one_custom_set_get_distinct_colours():
    labels = ["cosy", "homesick", "proud", "bored", "awe", "relief", "joy"]
    names = {label: label.upper() for label in labels}
    coords = np.random.default_rng(1).normal(size=(len(labels), 2))
    fig = atlas_figure(coords, labels, ["image"] * len(labels), labels, label_names=names)
    colours = [trace.marker.color for trace in fig.data]
    assert len(set(colours)) == len(labels)
    assert emotion_colour("joy", names) == emotion_colour("joy")  # known emotions keep theirs
    bars = emotion_bars(np.full(len(labels), 1 / len(labels)), labels, label_names=names)
    assert len(set(bars.data[0].marker.color)) == len(labels)
