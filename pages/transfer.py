"""Transfer: a sentence's emotion, its mood board among the pictures, steering, and a
picture re-coloured with that emotion."""

import numpy as np
import streamlit as st

from core.emotions import top_labels
from core.images import ImageRejected
from core.plots import add_path, atlas_figure, emotion_bars, mood_board
from core.transfer import grade_colours, reinhard_transfer, transfer_view
from ui.frame import ensure_app_frame
from ui.i18n import t, translated
from ui.sidebar import IMAGE_TYPES, context
from ui.state import (
    cached_image_map,
    cached_prompt_center,
    open_upload,
    png_bytes,
    text_embeddings,
)

ensure_app_frame()

st.title(t("transfer_title"))
ctx = context()
if ctx is None:
    st.stop()

text = st.text_input(t("your_text"), "我爱你", key="transfer_text", max_chars=500).strip()
if not text:
    st.warning(t("empty_text"))
    st.stop()
embedded = text_embeddings(ctx.model_name, (text,))
if not len(embedded):
    st.warning(f"{t('refused')} {embedded.rejected[0][1]}")
    st.stop()
for note in embedded.notes:
    if note:
        st.info(note)
text_vector = embedded.vectors[0]
labels = ctx.label_set.labels
label_matrix = ctx.label_vectors
text_probs = ctx.emotions(text_vector[None])[0]

images = ctx.collection.embeddings
if len(images) < 4:
    st.warning(t("too_few_pictures").format(count=len(images)))
    st.stop()
k = st.slider(
    t("mood_board_size"), 2, min(16, len(images) - 1), min(8, len(images) - 1), key="transfer_k"
)
col_profile, col_board = st.columns([1, 2])
with col_profile:
    st.markdown(f"#### {t('text_profile')}")
    st.plotly_chart(emotion_bars(text_probs, labels, label_names=ctx.label_names), key="text_bars")

# One core call gives the bars, the mood board, the star on the map and the steering path.
view = transfer_view(
    text_vector,
    images.vectors,
    label_vectors=label_matrix,
    logit_scale=ctx.encoder.logit_scale,
    text_center=cached_prompt_center(ctx.model_name, ctx.label_key, ctx.label_set),
    k=k,
    image_map=cached_image_map(ctx.model_name, ctx.collection.key, k, _collection=ctx.collection),
)
placement, image_probs = view.placement, view.image_probs
st.session_state["transfer_view"] = {  # what the page shows, for tests and exports
    "text": text,
    "neighbours": [images.names[i] for i in placement.neighbours],
    "weights": [float(w) for w in placement.weights],
    "position": [float(v) for v in placement.position],
}
with col_board:
    st.markdown(f"#### {t('mood_board')}")
    board = [
        np.asarray(ctx.collection.pictures[images.names[i]].resize((96, 96)))
        for i in placement.neighbours
    ]
    st.plotly_chart(
        mood_board(board, placement.weights, [images.names[i] for i in placement.neighbours]),
        key="board",
    )
    transferred = labels[int(placement.emotion.argmax())]
    st.caption(
        t("placement_caption").format(
            top=ctx.label_name(transferred),
            residual=placement.residual,
            uncentred=placement.residual_uncentred,
        )
    )

st.markdown(f"#### {t('steering')}")
picture_names = [n for n, kind in zip(images.names, images.kinds, strict=True) if kind == "image"]
col_pick, col_target = st.columns(2)
with col_pick:
    chosen = st.selectbox(t("picture"), picture_names, key="transfer_picture")
    upload = st.file_uploader(t("or_upload_one"), type=IMAGE_TYPES, key="transfer_upload")
with col_target:
    target = st.selectbox(
        t("target_emotion"),
        labels,
        index=int(text_probs.argmax()),
        format_func=ctx.label_name,
        key="transfer_target",
    )
target_index = labels.index(target)
row = images.names.index(chosen)
steps = view.steering(row, target_index, images.vectors, label_matrix, ctx.encoder.logit_scale)
alpha = st.slider("α", 0.0, 1.0, 0.5, 0.1, key="alpha")
current = min(steps, key=lambda s: abs(s.alpha - alpha))
path_figure = atlas_figure(  # the images' own map, with the sentence at its placed position
    np.vstack([view.coords, placement.position[None]]),
    [*images.names, text],
    [*images.kinds, "text"],
    [*top_labels(image_probs, ctx.label_set), labels[int(text_probs.argmax())]],
    label_names=ctx.label_names,
    highlight=placement.neighbours,
    title=t("steering_map"),
)
add_path(
    path_figure,
    np.array([s.position for s in steps]),
    [f"α={s.alpha:.1f}" for s in steps],
    name=f"→ {ctx.label_name(target)}",
)
col_map, col_now = st.columns([3, 1])
col_map.plotly_chart(path_figure, key="steer_map")
with col_now:
    st.image(
        ctx.collection.pictures[images.names[current.nearest]],
        caption=f"α = {current.alpha:.1f} · {images.names[current.nearest]}",
        width=160,
    )
    st.metric(t("target_probability"), f"{current.target_probability:.0%}")

st.markdown(f"#### {t('pixel_transfer')}")
if upload is not None:
    try:
        source_picture = open_upload(upload)
    except ImageRejected as error:
        st.error(f"{t('refused')} {upload.name}: {error}")
        st.stop()
    source_name = upload.name
else:
    source_picture, source_name = ctx.collection.pictures[chosen], chosen
method = st.radio(
    t("transfer_method"),
    ["grade", "reinhard"],
    horizontal=True,
    format_func=translated("method", ["grade", "reinhard"]),
    key="pixel_method",
)
key = (ctx.model_name, source_name, target, method, ctx.label_key)
results = st.session_state.setdefault("pixel_results", {})
if st.button(t("run_transfer"), key="run_transfer", type="primary"):
    if method == "grade":
        bar = st.progress(0.0, text=t("optimising"))
        outcome = grade_colours(
            ctx.encoder,
            source_picture,
            label_matrix,
            target_index,
            target,
            progress=lambda d, n: bar.progress(d / n, text=t("optimising")),
        )
        bar.empty()
    else:
        references = [ctx.collection.pictures[images.names[i]] for i in placement.neighbours]
        outcome = reinhard_transfer(
            ctx.encoder,
            source_picture,
            references,
            placement.weights,
            label_matrix,
            target_index,
            target,
        )
    results.clear()  # keep one result per session: pictures are not small
    results[key] = outcome
outcome = results.get(key)
if outcome is not None:
    before, after = st.columns(2)
    before.image(source_picture, caption=t("before"))
    after.image(outcome.image, caption=t("after"))
    metrics = st.columns(3)
    metrics[0].metric("Emo-S", f"{outcome.emo_s:+.3f}", help=t("emo_s_help"))
    metrics[1].metric("CLIP-I", f"{outcome.clip_i:.3f}", help=t("clip_i_help"))
    metrics[2].metric(
        t("target_probability"), f"{outcome.probability_after:.0%}", f"{outcome.emo_s:+.0%}"
    )
    st.download_button(
        t("download_result"),
        png_bytes(outcome.image),
        file_name=f"{source_name.rsplit('.', 1)[0]}_{target}.png",
        mime="image/png",
        key="download_result",
    )
