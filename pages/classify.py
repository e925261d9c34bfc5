"""Classify: zero-shot emotions of the collection, and a linear probe trained on labels."""

import streamlit as st

from core.datasets import DatasetRejected, gallery_metadata, read_label_csv, read_labelled_zip
from core.emotions import LABEL_SETS, fit_linear_probe, top_labels, zero_shot_accuracy
from core.plots import confusion_figure, emotion_distribution
from ui.collections import embed_sources
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import figure_words, say, t, translated
from ui.models import get_encoder
from ui.widgets import chart

ensure_app_frame()

st.title(t("classify_title"))
ctx = context()
if ctx is None:
    st.stop()

images = ctx.collection.embeddings
probabilities = ctx.emotions(images.vectors)
tops = top_labels(probabilities, ctx.label_set)
st.markdown(f"#### {t('zero_shot')}")
left, right = st.columns([2, 1])
with left:
    table = {
        t("picture"): ctx.picture_names(images.names),
        t("top_emotion"): [ctx.label_name(x) for x in tops],
        t("confidence"): [f"{p:.0%}" for p in probabilities.max(axis=1)],
    }
    st.dataframe(table, hide_index=True, height=320)
with right:
    chart(
        emotion_distribution(tops, ctx.label_set.labels, label_names=ctx.label_names),
        key="distribution",
    )

st.markdown(f"#### {t('linear_probe')}")
st.caption(t("probe_help"))
sources = ["gallery", "zip", "csv"]
source = st.radio(
    t("labelled_data"),
    sources,
    horizontal=True,
    key="probe_source",
    format_func=translated("probe", sources),
)
vectors, labels = None, None
if source == "gallery":
    truth = {name: entry.emotion for name, entry in gallery_metadata().items()}
    rows = [i for i, name in enumerate(images.names) if truth.get(name)]
    if rows:
        vectors, labels = images.vectors[rows], [truth[images.names[i]] for i in rows]
    else:
        st.info(t("gallery_not_selected"))
elif source == "zip":
    upload = st.file_uploader(t("probe_zip"), type=["zip"], key="probe_zip")
    if upload is not None:
        try:
            pictures, zip_labels, refused = read_labelled_zip(upload.getvalue())
        except DatasetRejected as error:
            st.error(f"{upload.name}: {say(error)}")
            st.stop()
        embedded = embed_sources(get_encoder(ctx.model_name), pictures, t("embedding_labelled"))
        for name, reason in refused + embedded.rejected:
            st.warning(f"{t('refused')} {name}: {say(reason)}")
        by_name = dict(zip([s[0] for s in pictures], zip_labels, strict=True))
        vectors, labels = embedded.vectors, [by_name[n] for n in embedded.names]
else:
    upload = st.file_uploader(
        t("probe_csv"), type=["csv"], key="probe_csv", help=t("probe_csv_help")
    )
    if upload is not None:
        mapping, refused = read_label_csv(
            upload.getvalue().decode("utf-8", "replace"), set(images.names)
        )
        for name, reason in refused[:50]:
            st.warning(f"{t('refused')} {name}: {say(reason)}")
        rows = [i for i, name in enumerate(images.names) if name in mapping]
        if rows:
            vectors, labels = images.vectors[rows], [mapping[images.names[i]] for i in rows]

if vectors is not None and st.button(t("train_probe"), key="train_probe", type="primary"):
    try:
        report = fit_linear_probe(vectors, labels)
    except ValueError as error:
        st.error(f"{t('probe_failed')} {say(error)}")
        st.stop()
    columns = st.columns(3)
    columns[0].metric(
        t("probe_accuracy"),
        f"{report.accuracy:.0%}",
        help=t("folds").format(count=len(report.fold_accuracies)),
    )
    agreement = zero_shot_accuracy(ctx.emotions(vectors), labels, ctx.label_set)
    if agreement is not None:
        columns[1].metric(t("zero_shot_accuracy"), f"{agreement:.0%}")
    columns[2].metric(t("examples"), len(labels))
    if source == "gallery" and ctx.model_name == "pocket":
        st.info(t("gallery_is_training_data"))
    # The gallery's labels may be outside the chosen set (disgust, neutral): named too.
    names = {
        label: chinese if ctx.language == "zh" else english
        for label_set in LABEL_SETS.values()
        for label, (english, chinese) in label_set.names.items()
    }
    chart(
        confusion_figure(
            report.confusion,
            report.labels,
            label_names={**names, **ctx.label_names},
            words=figure_words(),
        ),
        key="confusion",
    )
