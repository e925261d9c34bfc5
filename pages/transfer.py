"""Transfer: a sentence's emotion, its mood board among the pictures, steering, and a
picture re-coloured with that emotion."""

import streamlit as st

from core import defaults
from core.emotions import top_labels
from core.plots import add_path, atlas_figure, emotion_bars, mood_board
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import figure_words, say, t
from ui.models import text_embeddings
from ui.recolour_panel import pixel_transfer
from ui.results import transfer_for
from ui.widgets import chart, following_choice, sentence_box

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
order, shares = placement.shares()
board_rows = [int(placement.neighbours[i]) for i in order]
board_names = [images.names[i] for i in board_rows]
st.session_state["transfer_view"] = {  # what the page shows, for tests and exports
    "text": text,
    "neighbours": [images.names[i] for i in placement.neighbours],
    "weights": [float(w) for w in placement.weights],
    "board": board_names,  # as shown: largest share first
    "shares": [float(v) for v in shares],
    "position": [float(v) for v in placement.position],
}

# The story in one row: the sentence's emotion, the board's, and the re-coloured picture's.
text_top = labels[int(text_probs.argmax())]
board_top = labels[int(placement.emotion.argmax())]
story = st.columns(3)
story[0].metric(t("story_sentence"), f"{ctx.label_name(text_top)} {text_probs.max():.0%}")
story[1].metric(t("story_board"), f"{ctx.label_name(board_top)} {placement.emotion.max():.0%}")
if board_top != text_top:
    st.info(
        t("story_disagree").format(text=ctx.label_name(text_top), board=ctx.label_name(board_top))
    )

col_profile, col_board = st.columns([1, 2])
with col_profile:
    st.markdown(f"#### {t('text_profile')}")
    chart(emotion_bars(text_probs, labels, label_names=ctx.label_names), key="text_bars")
with col_board:
    st.markdown(f"#### {t('mood_board')}")
    tile = (defaults.BOARD_TILE, defaults.BOARD_TILE)
    board = [ctx.collection.pictures[name].resize(tile) for name in board_names]
    chart(
        mood_board(board, shares, ctx.picture_names(board_names), away=t("board_away")),
        key="board",
    )
    st.caption(t("board_caption").format(fit=placement.fit))

st.markdown(f"#### {t('steering')}")
picture_names = [n for n, kind in zip(images.names, images.kinds, strict=True) if kind == "image"]
shown = dict(zip(picture_names, ctx.picture_names(picture_names), strict=True))
col_pick, col_target = st.columns(2)
with col_pick:
    chosen = st.selectbox(
        t("picture"), picture_names, format_func=shown.get, key="transfer_picture"
    )
with col_target:
    # The target follows the sentence: its own top emotion, until the user picks another.
    following_choice("transfer_target", labels, (text, ctx.label_key), text_top)
    target = st.selectbox(
        t("target_emotion"), labels, format_func=ctx.label_name, key="transfer_target"
    )
if target != text_top:
    st.caption(
        t("story_other_target").format(target=ctx.label_name(target), text=ctx.label_name(text_top))
    )
row = images.names.index(chosen)
steps = view.steering(
    row, labels.index(target), images.vectors, ctx.label_vectors, ctx.encoder.logit_scale
)
alpha = st.slider("α", 0.0, 1.0, 0.5, 0.1, key="alpha")
current = min(steps, key=lambda s: abs(s.alpha - alpha))
path_figure = atlas_figure(  # the images' own map, with the sentence at its placed position
    view.coords_with_text,
    [*ctx.picture_names(images.names), text],
    [*images.kinds, "text"],
    [*top_labels(image_probs, ctx.label_set), text_top],
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
with col_map:
    chart(path_figure, key="steer_map")
with col_now:
    st.image(
        ctx.collection.pictures[images.names[current.nearest]],
        caption=f"α = {current.alpha:.1f} · {ctx.picture_name(images.names[current.nearest])}",
        width=160,
    )
    st.metric(t("target_probability"), f"{current.target_probability:.0%}")
st.caption(t("steering_caption").format(target=ctx.label_name(target)))
map_k = getattr(view.image_map, "n_neighbors_", k)
if map_k != k:  # the map raised its own k (the pictures' graph falls apart at the board's)
    st.caption(t("steering_map_k").format(map_k=map_k, k=k))

outcome = pixel_transfer(ctx, view, chosen, target)
if outcome is None:
    story[2].metric(t("story_result"), "—", help=t("story_not_run"))
else:
    story[2].metric(
        t("story_result"),
        f"{ctx.label_name(target)} {outcome.probability_after:.0%}",
        f"{outcome.emo_s:+.0%}",
    )
