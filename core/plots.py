"""Plotly figures for every view of the atlas. No Streamlit here: pages and the CLI share them.

One palette everywhere (:func:`emotion_colour`): the same emotion has the same colour on
every page and in every exported file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.defaults import MAP_THUMBNAIL_LIMIT

EMOTION_COLOURS = {
    "anger": "#d62728",
    "disgust": "#7f8c1f",
    "fear": "#7b3fa0",
    "joy": "#f2b701",
    "sadness": "#1f77b4",
    "surprise": "#ff7f0e",
    "neutral": "#8c8c8c",
    "amusement": "#f7c948",
    "awe": "#17becf",
    "contentment": "#2ca02c",
    "excitement": "#e377c2",
    "love": "#ec5f9e",  # pink: the indigo it drew from the spare colours was fear's twin
}
_EXTRA = ("#9467bd", "#8c564b", "#bcbd22", "#393b79", "#637939", "#843c39", "#5254a3", "#6b6ecf")
TEXT_COLOUR = "#111111"
THUMBNAIL_LIMIT = MAP_THUMBNAIL_LIMIT
# Above this many pictures a 2-D map draws its dots with WebGL (SVG slows down past a few
# thousand points) and small, and shows thumbnails of a spread sample only.
WEBGL_FROM = 2000
THUMBNAIL_SAMPLE = 120
FONT = dict(family="Noto Sans, Noto Sans CJK SC, Microsoft YaHei, sans-serif", size=15)


# The words figures draw, in English; the dashboard passes its own language's (``words=``).
WORDS = {
    "texts": "texts",
    "mood_board": "mood board",
    "points": "points",
    "point": "chosen point",
    "neighbours": "neighbours",
    "knn_graph": "k-NN graph",
    "predicted": "predicted",
    "true": "true",
    "text": "text",
    "newest": "newest",
}


def _words(words: dict[str, str] | None) -> dict[str, str]:
    return {**WORDS, **(words or {})}


def emotion_colour(label: str, among: Sequence[str] = ()) -> str:
    """The colour of ``label``.

    Known emotions have fixed colours. A custom label takes the extra colours in the order
    of ``among`` (its label set, e.g. a figure's ``label_names``), so the labels of one set
    never share a colour (up to the palette's size); without ``among`` a stable colour from
    its name. Nothing is remembered between calls: each figure gets its set's colours.
    """
    if label in EMOTION_COLOURS:
        return EMOTION_COLOURS[label]
    custom = [name for name in among if name not in EMOTION_COLOURS]
    if label in custom:
        return _EXTRA[custom.index(label) % len(_EXTRA)]
    return _EXTRA[sum(map(ord, label)) % len(_EXTRA)]


def image_data_uri(picture: bytes) -> str:
    """A ``data:`` URI of PNG or WebP bytes (the format read from the bytes)."""
    kind = "webp" if picture[:4] == b"RIFF" and picture[8:12] == b"WEBP" else "png"
    return f"data:image/{kind};base64," + base64.b64encode(picture).decode("ascii")


def _base_layout(fig: go.Figure, title: str, height: int = 600) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        font=FONT,
        template="plotly_white",
        margin=dict(l=20, r=20, t=60, b=20),
        legend=dict(itemsizing="constant"),
    )
    return fig


def load_figure_classes() -> None:
    """Build and serialise one figure of every kind of trace and decoration used here:
    plotly imports each class on its first use (``ui.frame.import_page_modules`` calls
    this while no other thread imports)."""
    fig = make_subplots(rows=1, cols=2)
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", text=["a"]), 1, 1)
    fig.add_trace(go.Scattergl(x=[0], y=[0]), 1, 2)
    fig.add_trace(go.Bar(x=[1], y=["a"], orientation="h"))
    fig.add_trace(go.Heatmap(z=[[0]]))
    fig.add_trace(go.Scatter3d(x=[0], y=[0], z=[0]))
    fig.add_layout_image(source="data:,", x=0, y=0, sizex=1, sizey=1, xref="x", yref="y")
    fig.add_annotation(text="a", x=0, y=0)
    fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1)
    fig.update_layout(legend=dict(itemsizing="constant"), coloraxis=dict(colorscale="Viridis"))
    fig.to_json()


def waiting_figure(text: str, height: int = 600) -> go.Figure:
    """An empty frame the size of a map, saying ``text`` ("Drawing the map…"): what a
    session's first page shows while its map is computed (the browser meanwhile loads its
    plotting code, seconds on a slow machine, instead of after the map arrives)."""
    fig = go.Figure()
    fig.add_annotation(
        text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=18)
    )
    _base_layout(fig, "", height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def atlas_figure(
    coords: np.ndarray,
    names: Sequence[str],
    kinds: Sequence[str],
    top_labels: Sequence[str],
    *,
    label_names: dict[str, str] | None = None,
    thumbnails: Sequence[bytes | None] | None = None,
    title: str = "Emotion atlas",
    highlight: Sequence[int] = (),
    words: dict[str, str] | None = None,
) -> go.Figure:
    """The map: images as dots coloured by top emotion (with thumbnails), texts as stars.

    Parameters
    ----------
    coords : ndarray of shape (n_items, 2 or 3)
    names, kinds, top_labels : one per row (kind is "image" or "text")
    label_names : display name per label id (e.g. Chinese), optional
    thumbnails : PNG bytes per row (None for texts and pictures without one); drawn on 2-D
        maps up to :data:`THUMBNAIL_LIMIT` images; large maps give them for the rows of
        :func:`legible_rows` only. Above :data:`WEBGL_FROM` pictures dots are WebGL.
    highlight : rows to ring (e.g. the mood board of a selected text)
    words : the figure's own words in the reader's language (see :data:`WORDS`)
    """
    words = _words(words)
    coords = np.asarray(coords)
    three_d = coords.shape[1] == 3
    kinds = np.asarray(kinds)
    labels = np.asarray(top_labels)
    display = label_names or {}
    fig = go.Figure()
    many = int(np.sum(kinds == "image")) > WEBGL_FROM
    scatter = go.Scatter3d if three_d else (go.Scattergl if many else go.Scatter)
    drawn = _thumbnail_rows(kinds, thumbnails) if not three_d else None
    pictured = drawn is not None and len(drawn) == int(np.sum(kinds == "image"))
    for label in dict.fromkeys(labels[kinds == "image"]):
        rows = np.flatnonzero((kinds == "image") & (labels == label))
        colour = emotion_colour(label, display)
        # Under thumbnails (drawn below the traces, so labels stay on top) a picture's
        # emotion is a coloured ring around it; without them, a dot (small when many).
        marker = (
            dict(size=15, color="rgba(0,0,0,0)", line=dict(color=colour, width=2.5))
            if pictured
            else dict(size=6 if three_d else (4 if many else 11), color=colour, opacity=0.9)
        )
        fig.add_trace(
            scatter(
                **_axes(coords[rows]),
                mode="markers",
                name=display.get(label, label),
                marker=marker,
                text=[names[i] for i in rows],
                customdata=rows,
                hovertemplate="%{text}<extra>" + display.get(label, label) + "</extra>",
            )
        )
    text_rows = np.flatnonzero(kinds == "text")
    if len(text_rows):
        fig.add_trace(
            (go.Scatter3d if three_d else go.Scatter)(  # SVG text: halos, labels past the axes
                **_axes(coords[text_rows]),
                mode="markers+text",
                name=words["texts"],
                marker=dict(
                    size=9 if three_d else 22,
                    symbol="diamond" if three_d else "star",
                    color=[emotion_colour(labels[i], display) for i in text_rows],
                    line=dict(color=TEXT_COLOUR, width=1.5),
                ),
                text=[_short(names[i]) for i in text_rows],
                textposition="top center" if three_d else _text_sides(coords, text_rows, names),
                textfont=dict(
                    size=16, color=TEXT_COLOUR, **({} if three_d else {"shadow": "auto"})
                ),
                **({} if three_d else {"cliponaxis": False}),
                customdata=text_rows,
                hovertemplate="%{text}<extra>" + words["text"] + "</extra>",
            )
        )
    if len(highlight) and not three_d:
        rows = np.asarray(highlight)
        fig.add_trace(
            go.Scatter(
                x=coords[rows, 0],
                y=coords[rows, 1],
                mode="markers",
                name=words["mood_board"],
                marker=dict(size=26, color="rgba(0,0,0,0)", line=dict(color="#000", width=2)),
                hoverinfo="skip",
            )
        )
    if thumbnails is not None and not three_d:
        _add_thumbnails(fig, coords, kinds, thumbnails)
    fig.update_layout(clickmode="event+select")
    if not three_d:
        fig.update_xaxes(showticklabels=False, zeroline=False)
        fig.update_yaxes(showticklabels=False, zeroline=False, scaleanchor="x")
        if many:  # a few far points would squeeze the rest into a corner: frame the bulk
            fig.update_xaxes(range=_bulk_range(coords, kinds, 0))
            fig.update_yaxes(range=_bulk_range(coords, kinds, 1))
    return _base_layout(fig, title, 650)


def _bulk_range(coords: np.ndarray, kinds: np.ndarray, axis: int) -> list[float]:
    """An axis range around the middle 99 % of the pictures and every sentence (the
    plot's autoscale button still shows all)."""
    values = coords[kinds == "image", axis]
    low, high = np.percentile(values, [0.5, 99.5])
    texts = coords[kinds == "text", axis]
    if texts.size:
        low, high = min(low, texts.min()), max(high, texts.max())
    pad = 0.05 * (high - low or 1.0)
    return [float(low - pad), float(high + pad)]


def _text_sides(coords: np.ndarray, rows: np.ndarray, names: Sequence[str]) -> list[str]:
    """Sides for the sentences' labels on a 2-D map (see :func:`label_sides`): apart from
    each other and inside the plot (the atlas's plot is about 620 px wide at 1280×720)."""
    widths = [label_share(_short(names[i]), font_px=16, plot_px=620) for i in rows]
    return label_sides(
        coords[rows, :2], coords[:, :2].min(axis=0), coords[:, :2].max(axis=0), widths
    )


def _axes(points: np.ndarray) -> dict:
    axes = {"x": points[:, 0], "y": points[:, 1]}
    if points.shape[1] == 3:
        axes["z"] = points[:, 2]
    return axes


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def legible_rows(coords: np.ndarray, kinds, sample: int = THUMBNAIL_SAMPLE) -> list[int]:
    """The pictures whose thumbnails a 2-D map should carry: all of them up to
    :data:`THUMBNAIL_LIMIT`, else a spread sample of about ``sample``: the map is cut into
    a grid and each occupied cell gives the picture nearest its centre, so thumbnails
    never pile up where the pictures are dense."""
    kinds = np.asarray(kinds)
    images = np.flatnonzero(kinds == "image")
    if len(images) <= THUMBNAIL_LIMIT:
        return images.tolist()
    points = np.asarray(coords)[images, :2]
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    side = max(1, int(np.sqrt(sample)))
    for _ in range(4):  # a map whose pictures crowd into a few places: finer cells
        scaled = (points - low) / np.where(span > 0, span, 1.0) * side
        cells = np.minimum(scaled.astype(int), side - 1)
        if len({(int(x), int(y)) for x, y in cells}) >= sample // 2:
            break
        side *= 2
    offset = np.linalg.norm(scaled - cells - 0.5, axis=1)
    chosen: dict[tuple[int, int], int] = {}
    for row in np.argsort(offset, kind="stable"):
        chosen.setdefault((int(cells[row, 0]), int(cells[row, 1])), int(images[row]))
    if len(chosen) > sample:  # keep the cells holding the most pictures
        counts: dict[tuple[int, int], int] = {}
        for x, y in cells:
            counts[(int(x), int(y))] = counts.get((int(x), int(y)), 0) + 1
        busiest = sorted(chosen, key=lambda cell: -counts[cell])[:sample]
        chosen = {cell: chosen[cell] for cell in busiest}
    return sorted(chosen.values())


def _thumbnail_rows(kinds, thumbnails) -> list[int] | None:
    """The rows whose thumbnails a 2-D map draws, or None when it draws none."""
    if thumbnails is None:
        return None
    rows = [i for i in range(len(kinds)) if kinds[i] == "image" and thumbnails[i]]
    return rows if rows and len(rows) <= THUMBNAIL_LIMIT else None


def _add_thumbnails(fig, coords, kinds, thumbnails) -> None:
    rows = _thumbnail_rows(kinds, thumbnails)
    if rows is None:
        return
    span = float(np.ptp(coords[:, :2], axis=0).max() or 1.0)
    size = span * (0.06 if len(rows) < 60 else 0.035)
    if len(rows) > 1 and len(kinds) > THUMBNAIL_LIMIT:  # a sample: no two overlap
        points = coords[rows, :2]
        gaps = np.linalg.norm(points[:, None] - points[None], axis=2)
        np.fill_diagonal(gaps, np.inf)
        size = min(size, 0.9 * float(np.median(gaps.min(axis=1))))  # zooming in enlarges
    fig.update_layout(
        images=[
            dict(
                source=image_data_uri(thumbnails[i]),
                x=float(coords[i, 0]),
                y=float(coords[i, 1]),
                xref="x",
                yref="y",
                sizex=size,
                sizey=size,
                xanchor="center",
                yanchor="middle",
                layer="below",  # the sentences' stars and labels stay readable on top
                opacity=0.95,
            )
            for i in rows
        ]
    )


def method_grid(
    panels: dict[str, tuple],
    columns: int = 4,
    *,
    colour_title: str | None = None,
    label_names: dict[str, str] | None = None,
) -> go.Figure:
    """Small maps side by side, one per method: ``{title: (coords, colours, kinds)}``.

    ``colours`` are top labels (coloured by emotion) or numbers (a colour scale, e.g. the
    position on a known sheet, as scikit-learn's manifold comparison colours its S-curve):
    one scale for every panel, shown once as a colour bar titled ``colour_title``.

    Plain SVG scatter traces in one figure: a browser allows only a handful of WebGL
    contexts, so a grid of separate WebGL plots would fail. ``label_names`` (the label
    set, in order) gives custom labels their distinct colours.
    """
    display = label_names or {}
    rows = max(1, (len(panels) + columns - 1) // columns)
    fig = make_subplots(
        rows=rows, cols=columns, subplot_titles=list(panels), horizontal_spacing=0.04
    )
    fig.update_annotations(font_size=13)  # four long (Chinese) method names side by side
    numbers = [
        np.asarray(tops, dtype=float)
        for _, tops, _ in panels.values()
        if np.issubdtype(np.asarray(tops).dtype, np.number)
    ]
    low = min((float(n.min()) for n in numbers if n.size), default=0.0)
    high = max((float(n.max()) for n in numbers if n.size), default=1.0)
    for index, (coords, tops, kinds) in enumerate(panels.values()):
        coords = np.asarray(coords)
        symbols = ["star" if kind == "text" else "circle" for kind in kinds]
        marker = dict(size=6, symbol=symbols)
        if np.issubdtype(np.asarray(tops).dtype, np.number):  # a position: a colour scale
            marker.update(
                color=np.asarray(tops, dtype=float),
                colorscale="Viridis",
                cmin=low,
                cmax=high,
                showscale=index == 0,
                colorbar=dict(title=dict(text=colour_title or ""), thickness=14, len=0.8),
            )
        else:
            marker["color"] = [
                emotion_colour(top, display) if kind == "image" else TEXT_COLOUR
                for top, kind in zip(tops, kinds, strict=True)
            ]
        fig.add_trace(
            go.Scatter(
                x=coords[:, 0],
                y=coords[:, 1],
                mode="markers",
                showlegend=False,
                marker=marker,
            ),
            row=index // columns + 1,
            col=index % columns + 1,
        )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return _base_layout(fig, "", 300 * rows)


def emotion_bars(
    probabilities: np.ndarray, labels: Sequence[str], *, label_names=None, title: str = ""
) -> go.Figure:
    """One item's emotion distribution as horizontal coloured bars (percentages).

    Horizontal, so that label names read upright at a projector's size in a narrow side
    column (vertical bars turned eight Chinese names sideways at about 6 px)."""
    display = label_names or {}
    values = np.asarray(probabilities) * 100
    fig = go.Figure(
        go.Bar(
            y=[display.get(label, label) for label in labels],
            x=values,
            orientation="h",
            marker_color=[emotion_colour(label, display) for label in labels],
            text=[f"{v:.0f}%" for v in values],
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=15),
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 125], visible=False)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=16), automargin=True)
    _base_layout(fig, title, 70 + 38 * len(labels))
    fig.update_layout(margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def mood_board(
    images: Sequence[np.ndarray],
    shares: Sequence[float],
    names: Sequence[str],
    *,
    title: str = "",
    away: str = "away",
) -> go.Figure:
    """The pictures a text is made of, each titled with its share of the mix in percent
    (see ``Placement.shares``). A negative share, a picture the mix leans away from, is
    titled in grey with the word ``away`` and its tile is dimmed, so that it is not read as
    part of the sentence's mood."""
    count = len(images)
    titles = [f"{share:.0f} %" if share >= 0 else f"{share:.0f} % {away}" for share in shares]
    fig = make_subplots(rows=1, cols=count, subplot_titles=titles, horizontal_spacing=0.02)
    for column, (picture, name, share) in enumerate(
        zip(images, names, shares, strict=True), start=1
    ):
        array = np.asarray(picture)
        if share < 0:  # dimmed toward white
            array = (0.35 * array + 0.65 * 255).astype(np.uint8)
        fig.add_trace(
            go.Image(z=array, name=name, hovertemplate=name + "<extra></extra>"),
            row=1,
            col=column,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=14)
    for annotation, share in zip(fig.layout.annotations, shares, strict=True):
        if share < 0:
            annotation.font = dict(size=13, color="#777777")
    return _base_layout(fig, title, 240)


def add_path(
    fig: go.Figure,
    points: np.ndarray,
    labels: Sequence[str],
    *,
    name: str = "path",
    colour: str = "#000",
) -> go.Figure:
    """Draw a path (e.g. steering over α) on a 2-D map figure."""
    drawn = [points[:, :2].astype(float)]
    for trace in fig.data:
        x, y = getattr(trace, "x", None), getattr(trace, "y", None)
        if x is not None and y is not None and len(x) == len(y):
            try:  # numeric 2-D traces only (gaps as NaN); categories are skipped
                drawn.append(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
            except (TypeError, ValueError):
                continue
    everything = np.vstack(drawn)
    span = float(np.nanmax(np.nanmax(everything, axis=0) - np.nanmin(everything, axis=0))) or 1.0
    ends = float(np.linalg.norm(points[-1, :2] - points[0, :2])) > 0.12 * span
    fig.add_trace(
        go.Scatter(
            x=points[:, 0],
            y=points[:, 1],
            mode="lines+markers+text",
            name=name,
            line=dict(color=colour, width=3, dash="dot"),
            marker=dict(size=9, color=colour, symbol="arrow", angleref="previous"),
            # Only the two ends are labelled, and only on a path long enough to keep them
            # apart: eleven α labels on a short path merge into a blob, and on top of the
            # sentence's own label. Every step keeps its label in the hover.
            text=[
                label if ends and i in (0, len(labels) - 1) else ""
                for i, label in enumerate(labels)
            ],
            customdata=list(labels),
            textposition="bottom right",
            textfont=dict(size=16, color=colour),
            hovertemplate="%{customdata}<extra>" + name + "</extra>",
        )
    )
    return fig


def confusion_figure(
    matrix: np.ndarray,
    labels: Sequence[str],
    *,
    label_names=None,
    title: str = "",
    words: dict[str, str] | None = None,
) -> go.Figure:
    """Counts of true (rows) against predicted (columns) labels."""
    words = _words(words)
    display = [(label_names or {}).get(label, label) for label in labels]
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=display,
            y=display,
            colorscale="Blues",
            text=matrix,
            texttemplate="%{text}",
            hovertemplate=f"{words['true']} %{{y}} → {words['predicted']} %{{x}}: %{{z}}"
            + "<extra></extra>",
        )
    )
    fig.update_xaxes(title=words["predicted"])
    fig.update_yaxes(title=words["true"], autorange="reversed")
    return _base_layout(fig, title, 480)


def emotion_distribution(
    top_labels: Sequence[str], labels: Sequence[str], *, label_names=None, title: str = ""
) -> go.Figure:
    """How many items have each label as their top emotion."""
    display = label_names or {}
    counts = [list(top_labels).count(label) for label in labels]
    fig = go.Figure(
        go.Bar(
            x=[display.get(label, label) for label in labels],
            y=counts,
            marker_color=[emotion_colour(label, display) for label in labels],
            text=counts,
            textposition="outside",
        )
    )
    return _base_layout(fig, title, 360)


WEIGHT_LABELS = 4  # weights written on the step-2 figure; hover shows the others
WEIGHT_FONT = 13  # px; at least 12 on a projector
WEIGHT_OFFSET = 0.08  # labels sit this far outside the neighbours, in shares of the scene


def _camera_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data-space directions that plotly's default 3-D camera (eye (1.25, 1.25, 1.25),
    z up) draws to the right and up, and the scale of each axis. The axes are scaled as
    plotly's ``aspectmode="auto"`` does: as the data, unless one range is 4× another."""
    spans = np.ptp(points, axis=0)
    spans = np.where(spans > 0, spans, 1.0)
    scale = spans if spans.max() > 4 * spans.min() else np.full(3, spans.max())
    right = np.array([-1.0, 1.0, 0.0]) / np.sqrt(2)
    up = np.array([-1.0, -1.0, 2.0]) / np.sqrt(6)
    return right, up, scale


def weight_labels(points, focus: int, rows, weights, count: int = WEIGHT_LABELS):
    """Where the step-2 figure writes weights: the ``count`` largest (by size) only, on
    a circle (in the default camera's view) round the chosen point just outside all its
    neighbours, evenly spread in the order the neighbours lie, so that labels cover neither
    each other nor the neighbours. Returns (indices into ``rows``, texts, positions (m, 3)).
    """
    rows = np.asarray(rows)
    if weights is None or count <= 0 or not len(rows):
        return np.array([], dtype=int), [], np.empty((0, 3))
    weights = np.asarray(weights, dtype=float)
    chosen = np.argsort(-np.abs(weights), kind="stable")[:count]
    right, up, scale = _camera_axes(points)
    offsets = (points[rows[chosen]] - points[focus]) / scale
    angles = np.arctan2(offsets @ up, offsets @ right)
    order = np.argsort(angles, kind="stable")
    step = 2 * np.pi / len(chosen)
    turn = np.angle(np.exp(1j * (angles[order] - step * np.arange(len(chosen)))).mean())
    targets = np.empty(len(chosen))
    targets[order] = turn + step * np.arange(len(chosen))
    # on a circle round the chosen point, just outside all of its neighbours
    every = (points[rows] - points[focus]) / scale
    radius = np.hypot(every @ right, every @ up).max() + WEIGHT_OFFSET
    moves = np.cos(targets)[:, None] * right + np.sin(targets)[:, None] * up
    positions = points[focus] + radius * moves * scale
    return chosen, [f"{weights[i]:+.2f}" for i in chosen], positions


def manifold_figure(
    points: np.ndarray,
    colour: np.ndarray,
    *,
    edges: np.ndarray | None = None,
    focus: int | None = None,
    focus_neighbours=None,
    weights=None,
    title: str = "",
    words: dict[str, str] | None = None,
    weight_labels_shown: int = WEIGHT_LABELS,
) -> go.Figure:
    """3-D points coloured by their position on the sheet, with optional neighbour links
    (``edges``: (n, k) neighbour indices) and one focused point with its weighted neighbours.

    Only the ``weight_labels_shown`` largest weights (by size) are written, each moved
    out to its own side (:func:`weight_labels`): ten labels round one point overlapped at
    1280 × 720. Hovering a neighbour shows its weight."""
    words = _words(words)
    fig = go.Figure(
        go.Scatter3d(
            x=points[:, 0],
            y=points[:, 1],
            z=points[:, 2],
            mode="markers",
            name=words["points"],
            marker=dict(size=2.5, color=colour, colorscale="Viridis"),
            hoverinfo="skip",
        )
    )
    if edges is not None:
        segments = [(points[i], points[j], None) for i in range(len(points)) for j in edges[i]]
        xs, ys, zs = ([], [], [])
        for start, end, _ in segments:
            for target, axis in ((xs, 0), (ys, 1), (zs, 2)):
                target.extend([start[axis], end[axis], None])
        fig.add_trace(
            go.Scatter3d(
                x=xs,
                y=ys,
                z=zs,
                mode="lines",
                name=words["knn_graph"],
                line=dict(color="rgba(60,60,60,0.35)", width=1),
            )
        )
    if focus is not None:
        fig.add_trace(
            go.Scatter3d(
                x=[points[focus, 0]],
                y=[points[focus, 1]],
                z=[points[focus, 2]],
                mode="markers",
                name=words["point"],
                marker=dict(size=8, color="#d62728"),
            )
        )
        if focus_neighbours is not None:
            near = points[focus_neighbours]
            fig.add_trace(
                go.Scatter3d(
                    x=near[:, 0],
                    y=near[:, 1],
                    z=near[:, 2],
                    mode="markers",
                    name=words["neighbours"],
                    marker=dict(size=6, color="#1f77b4"),
                    customdata=np.asarray(weights if weights is not None else [], dtype=float),
                    hovertemplate="w = %{customdata:+.3f}<extra></extra>",
                )
            )
            chosen, texts, at = weight_labels(
                points, focus, focus_neighbours, weights, weight_labels_shown
            )
            if len(chosen):  # each label on a short leader line from its neighbour
                leaders = [(near[i], spot) for i, spot in zip(chosen, at, strict=True)]
                fig.add_trace(
                    go.Scatter3d(
                        x=[v for a, b in leaders for v in (a[0], b[0], None)],
                        y=[v for a, b in leaders for v in (a[1], b[1], None)],
                        z=[v for a, b in leaders for v in (a[2], b[2], None)],
                        mode="lines",
                        line=dict(color="rgba(31,59,92,0.6)", width=2),
                        hoverinfo="skip",
                        showlegend=False,
                    )
                )
                fig.add_trace(
                    go.Scatter3d(
                        x=at[:, 0],
                        y=at[:, 1],
                        z=at[:, 2],
                        mode="text",
                        text=texts,
                        textfont=dict(size=WEIGHT_FONT, color="#1f3b5c"),
                        hoverinfo="skip",
                        showlegend=False,
                    )
                )
    fig.update_layout(scene=dict(xaxis_visible=False, yaxis_visible=False, zaxis_visible=False))
    return _base_layout(fig, title, 520)


def flat_map(coords: np.ndarray, colour: np.ndarray, *, title: str = "") -> go.Figure:
    """A 2-D embedding coloured by the known position on the sheet."""
    fig = go.Figure(
        go.Scatter(
            x=coords[:, 0],
            y=coords[:, 1],
            mode="markers",
            marker=dict(size=5, color=colour, colorscale="Viridis"),
        )
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return _base_layout(fig, title, 420)


# Where a star's label may go: (horizontal direction, vertical offset as a share of the
# plotted height). A side label's centre sits half its width (plus a gap) beside the star.
SIDES = {
    "top center": (0, 0.06),
    "bottom center": (0, -0.06),
    "middle right": (1, 0.0),
    "middle left": (-1, 0.0),
    "top right": (1, 0.05),
    "top left": (-1, 0.05),
    "bottom right": (1, -0.05),
    "bottom left": (-1, -0.05),
}
MAP_PIXELS = 500  # the live map's plot width on a 1280-pixel screen, about


def label_share(text: str, font_px: int = 22, plot_px: int = MAP_PIXELS) -> float:
    """A label's width as a share of the plot's: a CJK character is about one font size
    wide, another character about half of one."""
    wide = sum(1 for c in text if ord(c) > 0x2E80)
    return (wide + 0.55 * (len(text) - wide)) * font_px / plot_px


def label_sides(
    points: np.ndarray, low: np.ndarray, high: np.ndarray, widths: Sequence[float] | None = None
) -> list[str]:
    """A side for each point's label on a plot of range ``low``..``high``, chosen greedily:
    the label (``widths``: shares of the plot's width) stays inside the plot, far from the
    other points and from the labels already placed; centred labels are preferred."""
    points = (np.asarray(points, dtype=float).reshape(-1, 2) - low) / np.maximum(high - low, 1e-12)
    widths = list(widths) if widths is not None else [0.3] * len(points)
    taken: list[np.ndarray] = []
    sides = []
    for index, point in enumerate(points):
        half = widths[index] / 2
        others = [p for j, p in enumerate(points) if j != index] + taken
        score = {}
        for side, (direction, rise) in SIDES.items():
            centre = point + np.array([direction * (half + 0.03), rise])
            room = min((float(np.linalg.norm(centre - o)) for o in others), default=1.0)
            inside = half <= centre[0] <= 1 - half
            score[side] = room + (0.08 if direction == 0 else 0.0) - (0.0 if inside else 1.0)
        best = max(SIDES, key=score.get)  # ties keep the first: top centre
        direction, rise = SIDES[best]
        sides.append(best)
        taken.append(point + np.array([direction * (half + 0.03), rise]))
    return sides


def plain(text: str) -> str:
    """``text`` safe to show in a plotly label or hover: plotly reads a few HTML tags
    (``<b>``, ``<a href>``, ``<br>``) in text, so students' sentences are escaped."""
    return html.escape(text, quote=False).replace("\n", " ")


def room_figure(
    image_coords: np.ndarray,
    image_tops: Sequence[str],
    entry_coords: np.ndarray,
    entry_texts: Sequence[str],
    entry_tops: Sequence[str],
    *,
    label_names: dict[str, str] | None = None,
    newest: int = 3,
    title: str = "",
    words: dict[str, str] | None = None,
) -> go.Figure:
    """A classroom's live map: the pictures as faint dots coloured by emotion, every
    student's sentence as a star, the ``newest`` sentences large and labelled.

    Only the newest carry a label on the map (all of them would pile up on a projector);
    every star's sentence is in its hover. Texts are escaped (:func:`plain`).
    """
    words = _words(words)
    display = label_names or {}
    fig = go.Figure()
    image_tops = np.asarray(image_tops)
    for label in dict.fromkeys(image_tops):
        rows = np.flatnonzero(image_tops == label)
        fig.add_trace(
            go.Scatter(
                x=image_coords[rows, 0],
                y=image_coords[rows, 1],
                mode="markers",
                name=display.get(label, label),
                marker=dict(size=9, color=emotion_colour(label, display), opacity=0.35),
                hoverinfo="skip",
            )
        )
    count = len(entry_texts)
    if count:
        entry_coords = np.asarray(entry_coords)
        colours = [emotion_colour(top, display) for top in entry_tops]
        hover = [
            f"{plain(t)} · {display.get(top, top)}"
            for t, top in zip(entry_texts, entry_tops, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=entry_coords[:, 0],
                y=entry_coords[:, 1],
                mode="markers",
                name=words["texts"],
                marker=dict(
                    size=16, symbol="star", color=colours, line=dict(color=TEXT_COLOUR, width=1)
                ),
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
        recent = list(range(max(0, count - newest), count))
        plotted = _room_range(image_coords, entry_coords)
        labels = [_short(entry_texts[i], 12) for i in recent]
        fig.add_trace(
            go.Scatter(
                x=entry_coords[recent, 0],
                y=entry_coords[recent, 1],
                mode="markers+text",
                name=words["newest"],
                marker=dict(size=30, symbol="star", color=[colours[i] for i in recent],
                            line=dict(color=TEXT_COLOUR, width=2.5)),
                text=[plain(text) for text in labels],
                # each label on the side with most room, so close sentences stay readable
                textposition=label_sides(
                    entry_coords[recent], *plotted, [label_share(text) for text in labels]
                ),
                textfont=dict(size=22, color=TEXT_COLOUR),
                cliponaxis=False,
                hoverinfo="skip",
            )
        )  # fmt: skip
    low, high = _room_range(image_coords, entry_coords)
    fig.update_xaxes(
        showticklabels=False,
        zeroline=False,
        showgrid=False,
        range=[low[0], high[0]],
    )
    fig.update_yaxes(
        showticklabels=False,
        zeroline=False,
        showgrid=False,
        range=[low[1], high[1]],
    )
    fig.update_layout(legend=dict(orientation="h", y=-0.02, font=dict(size=18)), uirevision="room")
    return _base_layout(fig, title, 620)


def _room_range(image_coords, entry_coords) -> tuple[np.ndarray, np.ndarray]:
    """The live map's plotted range: every point, with room at the sides for labels."""
    everything = np.vstack([image_coords[:, :2], np.asarray(entry_coords).reshape(-1, 2)])
    low, high = everything.min(axis=0), everything.max(axis=0)
    pad = (high - low) * np.array([0.3, 0.12]) + 1e-9
    return low - pad, high + pad


def tally_figure(
    counts: dict[str, int], *, label_names: dict[str, str] | None = None, title: str = ""
) -> go.Figure:
    """How many sentences read as each emotion: horizontal bars, large type."""
    display = label_names or {}
    labels = list(counts)
    fig = go.Figure(
        go.Bar(
            y=[display.get(label, label) for label in labels],
            x=[counts[label] for label in labels],
            orientation="h",
            marker_color=[emotion_colour(label, display) for label in labels],
            text=[str(counts[label]) for label in labels],
            textposition="outside",
            textfont=dict(size=22),
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=22))
    fig.update_xaxes(visible=False, range=[0, max(1, *counts.values()) * 1.25])
    fig.update_layout(uirevision="tally")
    return _base_layout(fig, title, 420)


def scaled_text(fig: go.Figure, factor: float) -> go.Figure:
    """A copy of ``fig`` with every text size (layout, titles, legend, axes, 3-D scenes,
    colour bars, annotations, the traces' own text) multiplied by ``factor``: presentation
    mode's projector type. A size left unset is scaled from what plotly would draw: the
    layout's font size (the title: 1.4 times it)."""
    scaled = go.Figure(fig)
    layout = scaled.layout
    base = layout.font.size or 12

    def grow(font, default: float = base) -> dict:
        size = font.size if font is not None and font.size is not None else default
        return dict(size=round(size * factor, 1))

    layout.font.update(grow(layout.font))
    layout.title.font.update(grow(layout.title.font, round(base * 1.4)))
    layout.legend.font.update(grow(layout.legend.font))
    layout.legend.title.font.update(grow(layout.legend.title.font))
    for annotation in layout.annotations or ():
        annotation.font.update(grow(annotation.font))
    axes = [layout[name] for name in dir(layout) if name.startswith(("xaxis", "yaxis"))]
    for name in dir(layout):
        if name.startswith("scene") and layout[name] is not None:
            axes += [layout[name].xaxis, layout[name].yaxis, layout[name].zaxis]
    for axis in axes:
        if axis is not None:
            axis.tickfont.update(grow(axis.tickfont))
            axis.title.font.update(grow(axis.title.font))
    for trace in scaled.data:
        if "textfont" in trace:
            trace.textfont.update(grow(trace.textfont))
        bar = getattr(getattr(trace, "marker", None), "colorbar", None)
        if bar is not None and "marker" in trace and trace.marker.showscale:
            bar.tickfont.update(grow(bar.tickfont))
            bar.title.font.update(grow(bar.title.font))
    layout.height = round((layout.height or 450) * min(factor, 1.3))
    return scaled
