"""Join (``/join?room=CODE``), made for a phone: one sentence box, an optional name, Send,
the emotion the model read, and this student's own sentences. No sidebar."""

import streamlit as st

from core.plots import emotion_bars
from core.registry import ModelUnavailableError
from core.rooms import MAX_NAME_CHARS, MAX_TEXT_CHARS, normal_code
from ui.classroom import client_id, escaped, label_name, room_reader, room_store
from ui.frame import ensure_app_frame
from ui.i18n import current_language, say, t
from ui.sidebar import IMAGE_TYPES
from ui.widgets import chart

ensure_app_frame(phone=True)
language = current_language()

st.title(t("join_title"))
code = normal_code(st.query_params.get("room", ""))
if not code:
    typed = st.text_input(t("join_enter_code"), max_chars=8, key="join_code")
    code = normal_code(typed)
    if not code:
        st.stop()
    st.query_params["room"] = code
store = room_store()
try:
    room = store.room(code)
except ValueError as error:
    st.error(say(error))
    st.stop()
st.subheader(escaped(room.title))  # shown as typed, never as Markdown
with st.form("send", clear_on_submit=True):
    text = st.text_area(
        t("your_sentence"), max_chars=MAX_TEXT_CHARS, height=100, help=t("your_sentence_help")
    )
    name = st.text_input(t("your_name"), max_chars=MAX_NAME_CHARS, key="join_name")
    picture = st.file_uploader(t("your_picture"), type=IMAGE_TYPES, key="join_picture")
    sent = st.form_submit_button(t("send"), type="primary")
if sent:
    try:
        results = store.submit(
            room.code,
            [text],
            room_reader(room),
            name=name,
            client=client_id(),
            picture=picture.getvalue() if picture is not None else None,
        )
    except (ValueError, ModelUnavailableError) as error:
        st.error(say(error) if isinstance(error, ValueError) else t("room_model_missing"))
        st.stop()
    for result in results:
        if result.entry is None:
            st.warning(say(result.reason))
            continue
        entry = result.entry
        st.success(
            t("sent_read").format(
                emotion=label_name(room.label_set, entry.top, language),
                share=entry.probs[entry.top],
            )
        )
        labels = room.label_set.labels
        names = {label: label_name(room.label_set, label, language) for label in labels}
        chart(
            emotion_bars([entry.probs[label] for label in labels], labels, label_names=names),
            key="join_bars",
            config={"displayModeBar": False, "staticPlot": True},
        )

mine = store.entries(room.code, client=client_id())
if mine:
    st.markdown(f"#### {t('your_entries')}")
    for entry in reversed(mine):
        with st.container(border=True):
            st.text(entry.text)  # st.text: never Markdown or HTML
            if entry.picture:
                st.image(entry.picture, width=120)
            st.caption(label_name(room.label_set, entry.top, language))
