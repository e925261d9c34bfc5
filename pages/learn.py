"""Learn LLE: the algorithm one step at a time, on a curved sheet or on real embeddings."""

import numpy as np
import streamlit as st
from scipy.stats import spearmanr
from sklearn.decomposition import PCA

from core.plots import flat_map, manifold_figure, method_grid
from core.projection import METHOD_LABELS, METHODS, Projector, map_quality
from core.teaching import neighbours, reconstruction, short_circuits, toy_manifold
from ui.frame import ensure_app_frame
from ui.i18n import t, translated
from ui.sidebar import context
from ui.state import wait_for_umap

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
    points = ctx.collection.embeddings.vectors.astype(np.float64)
    n_points = len(points)
    if n_points < 5:
        st.warning(t("too_few_for_learn").format(count=n_points))
        st.stop()
    # The algorithm works on the real vectors; the 3-D views show their first three
    # principal components, coloured by each picture's top emotion.
    shown = PCA(n_components=3, random_state=0).fit_transform(points)
    probabilities = ctx.emotions(points)
    position = probabilities.argmax(axis=1).astype(float)
    columns[0].metric(t("points"), n_points)
else:
    n_points = columns[0].slider(t("points"), 200, 1500, 600, 100, key="learn_n")
    points, position = toy_manifold(data, n_points)
    shown = points
k = columns[1].slider(t("neighbours_k"), 3, 80, 10, key="learn_k", help=t("learn_k_help"))
focus = columns[2].slider(t("focus_point"), 0, n_points - 1, 0, key="learn_focus")
if k >= n_points:
    st.error(f"k = {k} needs more than {n_points} points.")
    st.stop()

step1, step2, step3 = st.tabs([t("step_graph"), t("step_weights"), t("step_embedding")])
with step1:
    edges = neighbours(points, k)
    st.plotly_chart(manifold_figure(shown, position, edges=edges), key="graph")
    if data != "embeddings":
        jumps = short_circuits(points, position, k, jump=np.ptp(position) / 4)
        (st.warning if jumps else st.success)(t("short_circuits").format(count=jumps, k=k))
with step2:
    rows, weights, rebuilt = reconstruction(points, focus, k)
    st.plotly_chart(
        manifold_figure(shown, position, focus=focus, focus_neighbours=rows, weights=weights),
        key="weights",
    )
    st.caption(
        t("weights_caption").format(
            total=weights.sum(), error=float(np.linalg.norm(rebuilt - points[focus]))
        )
    )
with step3:
    try:
        projector = Projector(method="lle", n_neighbors=k).fit(points)
    except ValueError as error:
        st.error(str(error))
        st.stop()
    coords = projector.embedding_
    st.plotly_chart(flat_map(coords, position), key="embedding")
    cols = st.columns(3)
    if data != "embeddings":  # only a known sheet has a position to recover
        recovered = max(abs(spearmanr(coords[:, axis], position)[0]) for axis in (0, 1))
        cols[0].metric(t("unrolled"), f"{recovered:.2f}", help=t("unrolled_help"))
    cols[1].metric(t("trustworthiness"), f"{map_quality(points, coords)['trustworthiness']:.3f}")
    cols[2].metric(t("time_taken"), f"{projector.seconds_:.2f} s")

with st.expander(t("compare_methods")):
    if st.button(t("run_comparison"), key="learn_compare"):
        panels, bar = {}, st.progress(0.0)
        for index, method in enumerate(METHODS):
            if method == "umap":
                wait_for_umap()
            try:
                projector = Projector(method=method, n_neighbors=max(k, 10)).fit(points)
            except ValueError as error:
                st.warning(f"{METHOD_LABELS[method]}: {error}")
                continue
            title = f"{METHOD_LABELS[method]} · {projector.seconds_:.2f} s"
            panels[title] = (projector.embedding_, ["neutral"] * n_points, ["image"] * n_points)
            bar.progress((index + 1) / len(METHODS), text=METHOD_LABELS[method])
        st.plotly_chart(method_grid(panels), key="learn_grid")
