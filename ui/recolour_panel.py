"""The Transfer page's last section: a picture re-coloured toward the chosen emotion."""

from __future__ import annotations

import streamlit as st

from core.export import picture_bytes
from core.images import ImageRejected, decode_image
from core.recolour import grade_colours, reinhard_transfer
from core.transfer import TransferView
from ui.context import Context
from ui.i18n import say, t, translated

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


def _run(ctx: Context, view: TransferView, picture, target_index: int, method: str):
    labels, images = ctx.label_set.labels, ctx.collection.embeddings
    target = labels[target_index]
    if method == "grade":
        bar = st.progress(0.0, text=t("optimising"))
        outcome = grade_colours(
            ctx.encoder,
            picture,
            ctx.label_vectors,
            target_index,
            target,
            progress=lambda d, n: bar.progress(d / n, text=t("optimising")),
        )
        bar.empty()
        return outcome
    placement = view.placement
    references = [ctx.collection.pictures[images.names[i]] for i in placement.neighbours]
    return reinhard_transfer(
        ctx.encoder, picture, references, placement.weights, ctx.label_vectors, target_index, target
    )


def pixel_transfer(ctx: Context, view: TransferView, chosen: str, upload, target: str) -> None:
    """Method choice, a Run button, before/after pictures, Emo-S and CLIP-I, a download."""
    st.markdown(f"#### {t('pixel_transfer')}")
    picture, source_name = _source(ctx, chosen, upload)
    method = st.radio(
        t("transfer_method"),
        METHODS,
        horizontal=True,
        format_func=translated("method", METHODS),
        key="pixel_method",
    )
    key = (ctx.model_name, source_name, target, method, ctx.label_key)
    results = st.session_state.setdefault("pixel_results", {})
    if st.button(t("run_transfer"), key="run_transfer", type="primary"):
        outcome = _run(ctx, view, picture, ctx.label_set.labels.index(target), method)
        results.clear()  # keep one result per session: pictures are not small
        results[key] = outcome
    outcome = results.get(key)
    if outcome is None:
        return
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
