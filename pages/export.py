"""Export: embeddings, emotions and the atlas as files that open anywhere, offline."""

import streamlit as st

from core import export
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import current_language, t, translated
from ui.results import atlas_or_stop, map_figure, saved_settings
from ui.widgets import current_texts

ensure_app_frame()

st.title(t("export_title"))
ctx = context()
if ctx is None:
    st.stop()

# The sentences and the settings of the Atlas page, exactly as it draws them.
texts = current_texts()
n_items = len(ctx.collection.embeddings) + len(texts)
settings = saved_settings().fitted_to(n_items)
atlas = atlas_or_stop(ctx, texts, settings)

items, labels = atlas.embeddings, ctx.label_set.labels  # pictures and sentences
csv_bytes = export.embeddings_csv(items, atlas.probabilities, labels)
st.download_button(t("download_csv"), csv_bytes, "embeddings.csv", "text/csv", key="csv")
npz_bytes = export.embeddings_npz(items, atlas.probabilities, labels)
st.download_button(
    t("download_npz"), npz_bytes, "embeddings.npz", "application/octet-stream", key="npz"
)

method = translated("projection", [settings.method])(settings.method)
figure = map_figure(ctx, atlas, texts, settings)
html = export.atlas_html(  # titled in the reader's language, with the sentences whole
    figure,
    f"{t('app_title')} · {method}",
    language=current_language(),
    sentences=texts,
    sentences_title=t("html_sentences"),
)
st.download_button(t("download_html"), html, "atlas.html", "text/html", key="html")
st.caption(
    t("export_caption").format(
        count=len(ctx.collection.embeddings),
        texts=len(texts),
        method=method,
        k=atlas.projector.n_neighbors_,  # the k the map was drawn with (LLE may raise it)
    )
)
st.info(t("presentation_hint"))
