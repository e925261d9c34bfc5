"""Transfer: a sentence's emotion, its mood board among the pictures, steering, and a
picture re-coloured with that emotion."""

import streamlit as st

from core import defaults
from core.emotions import top_labels
from core.plots import add_path, atlas_figure, emotion_bars, mood_board
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import figure_words, say, t
from ui.recolour_panel import pixel_transfer
from ui.results import text_embeddings, transfer_for
from ui.sidebar import IMAGE_TYPES
from ui.widgets import following_choice, sentence_box

ensure_app_frame()

st.title(t("transfer_title"))
ctx = context()
if ctx is None:
    st.stop()

text = sentence_box(t("your_text"), defaults.MAX_SENTENCE_CHARS)
if not text:
    st.warning(t("empty_text"))
    st.stop()
embedded = text_embeddings(ctx.model_name, (text,))
if not len(embedded):
    st.warning(f"{t('refused')} {say(embedded.rejected[0][1])}")
    st.stop()
for note in embedded.notes:
    if note:
        st.info(say(note))
images, labels = ctx.collection.embeddings, ctx.label_set.labels
if len(images) < 4:
    st.warning(t("too_few_pictures").format(count=len(images)))
    st.stop()
board_max = min(defaults.BOARD_K_MAX, len(images) - 1)
k = st.slider(
    t("mood_board_size"), 2, board_max, min(defaults.BOARD_K, board_max), key="transfer_k"
)
# One core call gives the bars, the mood board, the star on the map and the steering path.
view = transfer_for(ctx, embedded.vectors[0], k)
placement, image_probs, text_probs = view.placement, view.image_probs, view.text_probs
board_names = [images.names[i] for i in placement.neighbours]
st.session_state["transfer_view"] = {  # what the page shows, for tests and exports
    "text": text,
    "neighbours": board_names,
    "weights": [float(w) for w in placement.weights],
    "position": [float(v) for v in placement.position],
}

col_profile, col_board = st.columns([1, 2])
with col_profile:
    st.markdown(f"#### {t('text_profile')}")
    st.plotly_chart(emotion_bars(text_probs, labels, label_names=ctx.label_names), key="text_bars")
with col_board:
    st.markdown(f"#### {t('mood_board')}")
    tile = (defaults.BOARD_TILE, defaults.BOARD_TILE)
    board = [ctx.collection.pictures[name].resize(tile) for name in board_names]
    st.plotly_chart(mood_board(board, placement.weights, board_names), key="board")
    st.caption(
        t("placement_caption").format(
            top=ctx.label_name(labels[int(placement.emotion.argmax())]),
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
    # The target follows the sentence: its own top emotion, until the user picks another.
    best = labels[int(text_probs.argmax())]
    following_choice("transfer_target", labels, (text, ctx.label_key), best)
    target = st.selectbox(
        t("target_emotion"), labels, format_func=ctx.label_name, key="transfer_target"
    )
row = images.names.index(chosen)
steps = view.steering(
    row, labels.index(target), images.vectors, ctx.label_vectors, ctx.encoder.logit_scale
)
alpha = st.slider("α", 0.0, 1.0, 0.5, 0.1, key="alpha")
current = min(steps, key=lambda s: abs(s.alpha - alpha))
path_figure = atlas_figure(  # the images' own map, with the sentence at its placed position
    view.coords_with_text,
    [*images.names, text],
    [*images.kinds, "text"],
    [*top_labels(image_probs, ctx.label_set), labels[int(text_probs.argmax())]],
    label_names=ctx.label_names,
    highlight=placement.neighbours,
    title=t("steering_map"),
    words=figure_words(),
)
add_path(
    path_figure,
    view.path_positions(steps),
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

pixel_transfer(ctx, view, chosen, upload, target)
