"""Atlas: where texts land among pictures, coloured by emotion, on an LLE (or other) map."""

import streamlit as st

from ui.frame import ATLAS_MODULES, ensure_app_frame, import_page_modules
from ui.i18n import t
from ui.widgets import chart_slot

ensure_app_frame()

st.title(t("atlas_title"))
left, right = st.columns([3, 1])
with left:
    above = st.container()  # the fit's status line and notices, above the map
    slot = chart_slot()

# The map's own modules (scikit-learn: seconds on a fresh server) are imported after the
# first paint: the title and the waiting frame are on screen, and a fresh server's first
# deep-link run (ui.frame: it only draws the frame and reruns) does not pay for them.
import_page_modules(ATLAS_MODULES, status=False)  # the waiting frame says it
from core import defaults  # noqa: E402
from core.plots import emotion_bars  # noqa: E402
from core.projection import METHODS  # noqa: E402
from ui.comparison import show_comparison  # noqa: E402
from ui.context import context  # noqa: E402
from ui.i18n import say, translated  # noqa: E402
from ui.results import (  # noqa: E402
    AtlasSettings,
    atlas_or_stop,
    cached_comparison,
    map_figure,
    save_settings,
    saved_settings,
)
from ui.widgets import chart, show_item, texts_box  # noqa: E402

ctx = context()
if ctx is None:
    slot.empty()
    st.stop()

with right:
    texts = texts_box()
    n_items = len(ctx.collection.embeddings) + len(texts)
    saved = saved_settings().fitted_to(n_items)  # k adapts: LLE needs k below the points
    method_name = translated("projection", list(METHODS))
    method = st.selectbox(
        t("method"), METHODS, METHODS.index(saved.method), key="method", format_func=method_name
    )
    dims = st.radio(t("dimensions"), [2, 3], [2, 3].index(saved.dims), key="dims", horizontal=True)
    k_max = defaults.max_k(n_items)
    if st.session_state.get("k", saved.k) > k_max:
        st.session_state["k"] = k_max
    k = st.slider(t("neighbours_k"), defaults.K_RANGE[0], k_max, saved.k, key="k", help=t("k_help"))
    reg = st.select_slider(t("regularisation"), defaults.REG_CHOICES, saved.reg, key="reg")
    center = st.toggle(t("close_gap"), saved.center, key="center", help=t("gap_help"))
    settings = AtlasSettings(method, dims, k, reg, center)
    save_settings(settings)

with above:
    atlas = atlas_or_stop(ctx, texts, settings)
    for notice in atlas.projector.notices_:
        st.info(say(notice))
with left:
    items = atlas.embeddings
    figure = map_figure(ctx, atlas, texts, settings)
    event = chart(figure, slot, on_select="rerun", key="atlas_plot", selection_mode="points")

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
    chart(
        emotion_bars(atlas.probabilities[row], ctx.label_set.labels, label_names=ctx.label_names),
        key="atlas_bars",
    )
    nearest, similarity = atlas.nearest_images(row)
    st.markdown(f"**{t('nearest_pictures')}**")
    st.image(
        [ctx.collection.pictures[items.names[i]] for i in nearest],
        caption=[
            f"{name} {s:.2f}"
            for name, s in zip(
                ctx.picture_names([items.names[i] for i in nearest]), similarity, strict=True
            )
        ],
        width=72,
    )

with st.expander(t("compare_methods")):
    if st.button(t("run_comparison"), key="compare"):
        maps = cached_comparison(
            (ctx.model_name, ctx.collection.key, texts, ctx.label_key, settings), k, atlas.mapped
        )
        show_comparison(
            maps, k, atlas.top, items.kinds, key="compare_plot", label_names=ctx.label_names
        )
