"""Classroom: the teacher starts a room, shows its QR code, and watches the class's
sentences land on the map live, with the emotion tally and moderation beside it."""

from datetime import timedelta

import streamlit as st

from core.plots import room_figure, tally_figure
from core.rooms import entries_csv, tally
from ui.classroom import (
    RoomMap,
    escaped,
    is_local,
    join_url,
    label_name,
    qr_png,
    room_store,
)
from ui.collections import gallery_collection
from ui.context import context
from ui.frame import ensure_app_frame
from ui.i18n import current_language, figure_words, say, t
from ui.widgets import chart

ensure_app_frame()
st.title(f"🏫 {t('classroom')}")
store, language = room_store(), current_language()


def _open(code: str, key: str) -> None:
    try:
        store.check_key(code, key)
    except ValueError as error:
        st.session_state["room_error"] = say(error)
        return
    st.session_state["teacher_room"] = (code, key)


if "teacher_room" not in st.session_state:
    st.write(t("classroom_intro"))
    ctx = context()
    if ctx is None:
        st.stop()
    labels = ", ".join(ctx.label_names.values())
    st.caption(t("room_uses").format(model=ctx.model_name, labels=labels))
    with st.form("new_room"):
        title = st.text_input(t("room_title"), t("room_title_default"), max_chars=120)
        if st.form_submit_button(t("start_room"), type="primary"):
            try:
                room, key = store.new_room(title, ctx.model_name, ctx.label_set)
            except ValueError as error:
                st.error(say(error))
                st.stop()
            st.session_state["teacher_room"] = (room.code, key)
            st.rerun()
    with st.expander(t("open_room")):
        code = st.text_input(t("room_code"), max_chars=8, key="reopen_code")
        key = st.text_input(t("teacher_key"), type="password", key="reopen_key")
        st.button(t("open"), on_click=_open, args=(code, key), key="reopen")
        if "room_error" in st.session_state:
            st.error(st.session_state.pop("room_error"))
    st.stop()

code, key = st.session_state["teacher_room"]
try:
    room = store.check_key(code, key)
except ValueError as error:  # expired, or the rooms file was replaced
    st.error(say(error))
    del st.session_state["teacher_room"]
    st.stop()

url = join_url(room.code, language)
scan, about = st.columns([2, 3], gap="large")
with scan:
    st.image(qr_png(url), caption=t("scan_to_join"), width=300)
with about:
    st.markdown(f"## {escaped(room.title)}")
    st.markdown(f"# `{room.code}`")
    st.markdown(f"##### {t('or_open').format(url=url)}")
    if is_local(url):
        st.warning(t("url_is_local"))
    with st.expander(t("teacher_key")):
        st.write(t("teacher_key_note"))
        st.code(key, language=None)
    if st.button(t("leave_room"), key="leave_room"):
        del st.session_state["teacher_room"]
        st.rerun()

names = {label: label_name(room.label_set, label, language) for label in room.label_set.labels}
# The sidebar's collection when it is of the room's model, else the bundled gallery.
ctx = context()
collection = ctx.collection if ctx and ctx.model_name == room.model else None
room_map = RoomMap(room, collection or gallery_collection(room.model))


@st.fragment(run_every=timedelta(seconds=2))
def live() -> None:
    """Redrawn every two seconds on its own: the rest of the page keeps its widgets."""
    everything = store.entries(room.code, include_hidden=True)  # one read per refresh
    entries = [entry for entry in everything if not entry.hidden]
    board, side = st.columns([3, 2])
    with board:
        st.markdown(f"### {t('live_map')} · {t('sentences_count').format(count=len(entries))}")
        figure = room_figure(
            room_map.coords,
            room_map.image_tops,
            room_map.positions(entries),
            [entry.text for entry in entries],
            [entry.top for entry in entries],
            label_names=names,
            words=figure_words(),
        )
        chart(figure, key="room_map", config={"displayModeBar": False})
        if not entries:
            st.info(t("no_sentences_yet"))
    with side:
        st.markdown(f"### {t('tally')}")
        counts = tally(entries, room.label_set.labels)
        chart(tally_figure(counts, label_names=names), key="room_tally")
        pictured = [entry for entry in entries if entry.picture]
        if pictured:
            st.markdown(f"#### {t('newest_picture')}")
            st.image(pictured[-1].picture, width=200)
            st.caption(escaped(pictured[-1].text))
        with st.expander(t("moderation")):
            moderate(everything)


def _set_hidden(entries, label: str, button: str, hidden: bool) -> None:
    """A select box of ``entries`` and a button that hides (or shows again) the chosen."""
    if not entries:
        return
    by_id = {entry.id: entry for entry in entries}
    chosen = st.selectbox(
        t(label),
        list(reversed(by_id)),
        format_func=lambda i: f"#{i} · {by_id[i].text[:60]}",
        key=f"{button}_choice",
    )
    if st.button(t(button), key=button):
        store.set_hidden(room.code, key, chosen, hidden=hidden)
        st.rerun(scope="fragment")


def moderate(everything) -> None:
    _set_hidden([e for e in everything if not e.hidden], "hide_sentence", "hide", True)
    _set_hidden([e for e in everything if e.hidden], "hidden_sentences", "show_again", False)
    was_locked = store.room(room.code).locked
    if st.toggle(t("lock_room"), value=was_locked, key="lock_room") != was_locked:
        store.set_locked(room.code, key, not was_locked)
    st.download_button(
        t("export_room"),
        entries_csv(everything, room.label_set.labels).encode("utf-8-sig"),
        file_name=f"room-{room.code}.csv",
        mime="text/csv",
        key="export_room",
        on_click="ignore",
    )
    if st.checkbox(t("clear_room"), key="clear_room"):
        st.button(t("clear_confirm"), key="clear_confirm", type="primary", on_click=_clear)


def _clear() -> None:
    count = store.clear(room.code, key)
    st.session_state["clear_room"] = False  # a callback runs before the checkbox exists
    st.toast(t("cleared").format(count=count))


live()
