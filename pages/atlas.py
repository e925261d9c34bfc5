"""Atlas: where texts land among pictures, coloured by emotion, on an LLE (or other) map."""

import numpy as np
import streamlit as st

from core.plots import atlas_figure, emotion_bars, method_grid
from core.projection import METHOD_LABELS, METHODS
from ui.frame import ensure_app_frame
from ui.i18n import t
from ui.sidebar import context
from ui.state import atlas_for, start_umap_warm_up
from ui.widgets import show_item, texts_box

ensure_app_frame()

st.title(t("atlas_title"))
ctx = context()
if ctx is None:
    st.stop()

left, right = st.columns([3, 1])
with right:
    texts = texts_box()
    method = st.selectbox(t("method"), METHODS, key="method", format_func=METHOD_LABELS.get)
    dims = st.radio(t("dimensions"), [2, 3], key="dims", horizontal=True)
    # k adapts to the collection: LLE needs fewer neighbours than there are points
    n_items = len(ctx.collection.embeddings) + len(texts)
    k_max = max(3, min(40, n_items - 2))
    if st.session_state.get("k", 12) > k_max:
        st.session_state["k"] = k_max
    k = st.slider(t("neighbours_k"), 3, k_max, min(12, k_max), key="k", help=t("k_help"))
    reg = st.select_slider(t("regularisation"), [1e-4, 1e-3, 1e-2, 1e-1], 1e-3, key="reg")
    center = st.toggle(t("close_gap"), True, key="center", help=t("gap_help"))

with left:
    if n_items < 5:
        st.warning(t("atlas_too_few").format(count=len(ctx.collection.embeddings)))
        st.stop()
    try:
        with st.spinner(t("fitting_map")):
            atlas = atlas_for(ctx, texts, method, dims, k, reg, center)
    except ValueError as error:
        st.error(f"{t('map_failed')} {error}")
        st.stop()
    for notice in atlas.projector.notices_:
        st.info(notice)
    items = atlas.embeddings
    thumbnails = [ctx.collection.thumbnails.get(name) for name in items.names]
    figure = atlas_figure(
        atlas.coords,
        items.names,
        items.kinds,
        atlas.top,
        label_names=ctx.label_names,
        thumbnails=thumbnails,
        title=f"{METHOD_LABELS[method]} · k = {k} · {ctx.model_name}",
    )
    event = st.plotly_chart(figure, on_select="rerun", key="atlas_plot", selection_mode="points")

    quality = atlas.quality
    columns = st.columns(4)
    columns[0].metric(t("trustworthiness"), f"{quality['trustworthiness']:.3f}")
    columns[1].metric(t("knn_kept"), f"{quality['knn_preservation']:.2f}")
    error = quality.get("reconstruction_error")
    columns[2].metric(t("reconstruction_error"), "—" if error is None else f"{error:.2e}")
    columns[3].metric(t("time_taken"), f"{quality['seconds']:.2f} s")
    st.caption(t("gap_caption").format(before=atlas.gap_before, after=atlas.gap_after))

selected = [p.get("customdata") for p in (event.selection.points if event else [])]
selected = [int(i[0] if isinstance(i, list) else i) for i in selected if i is not None]
row = selected[0] if selected else (len(items) - 1 if "text" in items.kinds else 0)
with right:
    st.markdown(f"#### {t('selected')}")
    show_item(ctx, atlas, row)
    st.plotly_chart(
        emotion_bars(atlas.probabilities[row], ctx.label_set.labels, label_names=ctx.label_names),
        key="atlas_bars",
    )
    similarity = atlas.embeddings.vectors @ atlas.embeddings.vectors[row]
    nearest = [i for i in np.argsort(-similarity) if i != row and items.kinds[i] == "image"][:5]
    st.markdown(f"**{t('nearest_pictures')}**")
    st.image(
        [ctx.collection.pictures[items.names[i]] for i in nearest],
        caption=[f"{similarity[i]:.2f}" for i in nearest],
        width=72,
    )

with st.expander(t("compare_methods")):
    if st.button(t("run_comparison"), key="compare"):
        maps, progress = {}, st.progress(0.0)
        for index, name in enumerate(METHODS):
            try:
                maps[name] = atlas_for(ctx, texts, name, 2, k, reg, center)
            except ValueError as error:
                st.warning(f"{METHOD_LABELS[name]}: {error}")
            progress.progress((index + 1) / len(METHODS), text=METHOD_LABELS[name])
        panels = {
            f"{METHOD_LABELS[name]} · {a.quality['seconds']:.2f} s": (
                a.coords,
                a.top,
                a.embeddings.kinds,
            )
            for name, a in maps.items()
        }
        st.plotly_chart(method_grid(panels), key="compare_plot")

start_umap_warm_up()  # also when this page ran alone (see ui.frame)
