"""The Transfer page's last section: a picture re-coloured toward the chosen emotion."""

from __future__ import annotations

import hashlib

import streamlit as st

from core.export import picture_bytes
from core.images import ImageRejected, decode_image
from core.recolour import grade_colours, reinhard_transfer
from core.transfer import TransferView
from ui.context import Context
from ui.heavy import heavy
from ui.i18n import say, t, translated
from ui.sidebar import IMAGE_TYPES

METHODS = ["grade", "reinhard"]


def _source(ctx: Context, chosen: str, upload):
    """The picture to re-colour: the upload when there is one, else the chosen picture."""
    if upload is None:
        return ctx.collection.pictures[chosen], chosen
    try:
        return decode_image(upload.getvalue(), upload.name).image, upload.name
    except ImageRejected as error:
        st.error(f"{t('refused')} {upload.name}: {say(error)}")
        st.stop()


def _run(ctx: Context, view: TransferView, picture, key: tuple, target_index: int, method: str):
    """The transfer through the server's work pool (bounded; one computation per key)."""
    labels, images = ctx.label_set.labels, ctx.collection.embeddings
    target, encoder, label_vectors = labels[target_index], ctx.encoder, ctx.label_vectors
    placement = view.placement
    references = [ctx.collection.pictures[images.names[i]] for i in placement.neighbours]

    def compute(report):
        if method == "grade":
            return grade_colours(
                encoder, picture, label_vectors, target_index, target, progress=report
            )
        weights = placement.weights
        return reinhard_transfer(
            encoder, picture, references, weights, label_vectors, target_index, target
        )

    return heavy(("recolour", *key), compute, t("optimising"))


def pixel_transfer(ctx: Context, view: TransferView, chosen: str, target: str):
    """Method choice, a Run button, before/after pictures, Emo-S and CLIP-I, a download.
    Returns the shown result (None before the first run)."""
    st.markdown(f"#### {t('pixel_transfer')}")
    upload = st.file_uploader(t("or_upload_one"), type=IMAGE_TYPES, key="transfer_upload")
    picture, source_name = _source(ctx, chosen, upload)
    digest = hashlib.sha256(upload.getvalue()).hexdigest()[:16] if upload is not None else ""
    method = st.radio(
        t("transfer_method"),
        METHODS,
        horizontal=True,
        format_func=translated("method", METHODS),
        key="pixel_method",
    )
    board = tuple(int(i) for i in view.placement.neighbours) if method == "reinhard" else ()
    key = (
        ctx.model_name,
        ctx.collection.key,
        source_name,
        digest,
        target,
        method,
        ctx.label_key,
        board,
    )
    results = st.session_state.setdefault("pixel_results", {})
    if st.button(t("run_transfer"), key="run_transfer", type="primary"):
        index = ctx.label_set.labels.index(target)
        outcome = _run(ctx, view, picture, key, index, method)
        results.clear()  # keep one result per session: pictures are not small
        results[key] = outcome
    outcome = results.get(key)
    if outcome is None:
        return None
    before, after = st.columns(2)
    before.image(picture, caption=t("before"))
    after.image(outcome.image, caption=t("after"))
    metrics = st.columns(3)
    metrics[0].metric("Emo-S", f"{outcome.emo_s:+.3f}", help=t("emo_s_help"))
    metrics[1].metric("CLIP-I", f"{outcome.clip_i:.3f}", help=t("clip_i_help"))
    metrics[2].metric(
        t("target_probability"), f"{outcome.probability_after:.0%}", f"{outcome.emo_s:+.0%}"
    )
    st.download_button(
        t("download_result"),
        picture_bytes(outcome.image),
        file_name=f"{source_name.rsplit('.', 1)[0]}_{target}.png",
        mime="image/png",
        key="download_result",
    )
    reason = weak_reason(outcome)
    if reason:
        st.info(t(reason).format(target=ctx.label_name(target)))
    return outcome


def weak_reason(outcome) -> str | None:
    """Why a result moved the target probability little, as a message key (None: it moved).
    No "+0 %" is shown without one of these."""
    if outcome.emo_s >= 0.05:
        return None
    if outcome.probability_before >= 0.8:
        return "recolour_already"
    if outcome.emo_s < -0.02:
        return "recolour_away"
    return "recolour_weak" if outcome.method == "colour grade" else "recolour_weak_reference"
