"""Learn LLE: the algorithm one step at a time, on a curved sheet or on real embeddings."""

import streamlit as st

from core import defaults
from core.plots import WEIGHT_LABELS, flat_map, manifold_figure
from core.projection import Projector, map_quality
from core.teaching import (
    learning_points,
    neighbours,
    reconstruction,
    reconstruction_error,
    short_circuit_jump,
    short_circuits,
    toy_manifold,
    unrolled,
)
from ui.comparison import show_comparison
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import figure_words, say, t, translated
from ui.results import cached_comparison
from ui.widgets import chart

ensure_app_frame()

st.title(t("learn_title"))
st.write(t("learn_intro"))

options = ["s_curve", "swiss_roll", "embeddings"]
data = st.radio(
    t("dataset"),
    options,
    horizontal=True,
    key="learn_data",
    format_func=translated("dataset", options),
)
columns = st.columns(3)
if data == "embeddings":
    ctx = context()
    if ctx is None:
        st.stop()
    vectors = ctx.collection.embeddings.vectors
    n_points = len(vectors)
    if n_points < 5:
        st.warning(t("too_few_for_learn").format(count=n_points))
        st.stop()
    # LLE works on the real vectors; the 3-D views show their first three principal
    # components, coloured by each picture's top emotion.
    points, shown, position = learning_points(vectors, ctx.emotions(vectors))
    tops = [ctx.label_set.labels[int(i)] for i in position]  # the comparison's colours
    columns[0].metric(t("points"), n_points)
else:
    n_points = columns[0].slider(t("points"), 200, 1500, 600, 100, key="learn_n")
    points, position = toy_manifold(data, n_points)
    shown = points
# The sliders follow the data: k below the number of points, the focus one of them.
k_low, k_high = defaults.LEARN_K_RANGE
k_max = defaults.max_k(n_points, k_high)
for key, top in (("learn_k", k_max), ("learn_focus", n_points - 1)):
    if st.session_state.get(key, 0) > top:
        st.session_state[key] = top
k = columns[1].slider(
    t("neighbours_k"), k_low, k_max, min(10, k_max), key="learn_k", help=t("learn_k_help")
)
focus = columns[2].slider(t("focus_point"), 0, n_points - 1, 0, key="learn_focus")
if k >= n_points:
    st.error(t("k_too_large").format(k=k, n=n_points))
    st.stop()
words = figure_words()

step1, step2, step3 = st.tabs([t("step_graph"), t("step_weights"), t("step_embedding")])
with step1:
    edges = neighbours(points, k)
    chart(manifold_figure(shown, position, edges=edges, words=words), key="graph")
    if data != "embeddings":
        jumps = short_circuits(points, position, k, jump=short_circuit_jump(position))
        (st.warning if jumps else st.success)(t("short_circuits").format(count=jumps, k=k))
with step2:
    rows, weights, rebuilt = reconstruction(points, focus, k)
    figure = manifold_figure(
        shown, position, focus=focus, focus_neighbours=rows, weights=weights, words=words
    )
    chart(figure, key="weights")
    error = reconstruction_error(points, focus, rebuilt)
    caption = t("weights_caption").format(total=weights.sum(), error=error)
    if len(weights) > WEIGHT_LABELS:
        caption += " " + t("weights_labels").format(count=WEIGHT_LABELS)
    st.caption(caption)
with step3:
    try:
        with st.spinner(t("fitting_map")):
            # The user's own k, even where it folds the map: that is the lesson of this
            # page ("too small: the map falls apart"); the notes say why and which k
            # would connect the graph. (The Atlas raises k instead.)
            projector = Projector(method="lle", n_neighbors=k).fit(points)
    except ValueError as error:
        st.error(say(error))
        st.stop()
    for notice in projector.notices_:
        st.info(say(notice))
    coords = projector.embedding_
    chart(flat_map(coords, position), key="embedding")
    cols = st.columns(3)
    if data != "embeddings":  # only a known sheet has a position to recover
        cols[0].metric(t("unrolled"), f"{unrolled(coords, position):.2f}", help=t("unrolled_help"))
    cols[1].metric(t("trustworthiness"), f"{map_quality(points, coords)['trustworthiness']:.3f}")
    cols[2].metric(t("time_taken"), f"{projector.seconds_:.2f} s")

with st.expander(t("compare_methods")):
    if st.button(t("run_comparison"), key="learn_compare"):
        source = ctx.collection.key if data == "embeddings" else ""
        compare_k = min(max(k, 10), k_max)  # Hessian LLE needs k > 5
        results = cached_comparison(("learn", data, n_points, source), compare_k, points)
        # a sheet: coloured by the position along it, as scikit-learn's manifold gallery
        # does; pictures: by their top emotion, as on the Atlas
        show_comparison(
            results,
            compare_k,
            tops if data == "embeddings" else position,
            ["image"] * n_points,
            key="learn_grid",
            colour_title=t("colour_position"),
        )
