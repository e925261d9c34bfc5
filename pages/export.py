"""Export: embeddings, emotions and the atlas as files that open anywhere, offline."""

import csv
import io

import numpy as np
import streamlit as st

from core.emotions import top_labels
from core.plots import atlas_figure
from ui.frame import ensure_app_frame
from ui.i18n import t
from ui.sidebar import context
from ui.state import atlas_for
from ui.widgets import DEFAULT_TEXTS

ensure_app_frame()

st.title(t("export_title"))
ctx = context()
if ctx is None:
    st.stop()

items = ctx.collection.embeddings
probabilities = ctx.emotions(items.vectors)
tops = top_labels(probabilities, ctx.label_set)

buffer = io.StringIO()
writer = csv.writer(buffer)
writer.writerow(
    ["name", "kind", "top_emotion", *[f"p_{x}" for x in ctx.label_set.labels]]
    + [f"e{i}" for i in range(items.vectors.shape[1])]
)
for name, kind, top, probs, vector in zip(
    items.names, items.kinds, tops, probabilities, items.vectors, strict=True
):
    writer.writerow([name, kind, top, *(f"{v:.6f}" for v in np.concatenate([probs, vector]))])
st.download_button(
    t("download_csv"), buffer.getvalue().encode("utf-8"), "embeddings.csv", "text/csv", key="csv"
)

npz = io.BytesIO()
np.savez_compressed(
    npz,
    names=np.array(items.names),
    kinds=np.array(items.kinds),
    vectors=items.vectors,
    probabilities=probabilities,
    labels=np.array(ctx.label_set.labels),
    model=np.array(ctx.model_name),
)
st.download_button(
    t("download_npz"), npz.getvalue(), "embeddings.npz", "application/octet-stream", key="npz"
)

texts = tuple(
    line.strip()
    for line in st.session_state.get("texts", DEFAULT_TEXTS).splitlines()
    if line.strip()
)
method = st.session_state.get("method", "lle")
n_items = len(ctx.collection.embeddings) + len(texts)
if n_items < 5:
    st.warning(t("atlas_too_few").format(count=len(ctx.collection.embeddings)))
    st.stop()
k = min(st.session_state.get("k", 12), n_items - 2)  # as the Atlas page adapts it
try:
    atlas = atlas_for(
        ctx,
        texts,
        method,
        2,
        k,
        st.session_state.get("reg", 1e-3),
        st.session_state.get("center", True),
    )
except ValueError as error:
    st.error(f"{t('map_failed')} {error}")
    st.stop()
figure = atlas_figure(
    atlas.coords,
    atlas.embeddings.names,
    atlas.embeddings.kinds,
    atlas.top,
    label_names=ctx.label_names,
    thumbnails=[ctx.collection.thumbnails.get(n) for n in atlas.embeddings.names],
    title=f"Emotion Atlas · {method} · k = {k}",
)
html = figure.to_html(include_plotlyjs=True, full_html=True)
st.download_button(t("download_html"), html.encode("utf-8"), "atlas.html", "text/html", key="html")
st.caption(t("export_caption").format(count=len(items), method=method, k=k))
st.info(t("presentation_hint"))
