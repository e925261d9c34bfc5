"""The sidebar every page shares: language, model, picture collection and label set.

Its widgets live on every page, so their values survive page switches; pages read the
result through :func:`ui.context.context`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.folders import allowed_roots
from core.pocket.towers import TOWERS
from core.registry import ModelUnavailableError, default_model_name, resolve_model, text_tower_of
from ui.collections import store_choices, store_label, uploads_changed
from ui.context import LABEL_CHOICES
from ui.i18n import language_switch, say, t, translated
from ui.models import download_model, downloads_allowed, preset_rows

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]
UPLOAD_TYPES = [*IMAGE_TYPES, "zip"]


def render_sidebar() -> None:
    with st.sidebar:
        language_switch()
        rows = preset_rows()
        names = [name for name, *_ in rows]
        usable = {name: ok for name, ok, *_ in rows}
        default = default_model_name()
        model = st.selectbox(
            t("model"),
            names,
            index=names.index(default) if default in names else 0,
            format_func=lambda n: f"{n} {'✓' if usable[n] else '⬇'}",  # same in every language
            key="model",
        )
        size = {name: mb for name, _, _, mb in rows}[model]
        if usable[model]:  # what is ready, never where it lies on the server
            tower = text_tower_of(resolve_model(model))
            if tower:
                info = TOWERS[tower]
                st.caption(t("text_tower_in_use").format(title=info.title, package=info.package))
            else:
                st.caption(t("model_ready"))
        else:
            st.warning(t("model_unavailable") + " " + t("model_needs_download"))
            if not downloads_allowed():
                st.caption(t("downloads_off"))
            elif size and st.button(t("download_model").format(size=size), key="download_model"):
                _download(model)
        stores = [str(path) for path in store_choices()]
        sources = ["gallery", "uploads", "both"] + (["folder"] if allowed_roots() else [])
        sources += ["store"] if stores else []
        st.radio(
            t("collection"),
            sources,
            key="source",
            format_func=translated("source", sources),
            horizontal=True,
        )
        if st.session_state.get("source") == "folder":
            st.selectbox(  # shown by name: the server's full paths stay on the server
                t("allowed_folder"),
                [str(r) for r in allowed_roots()],
                key="folder_root",
                format_func=lambda root: Path(root).name,
            )
            st.text_input(t("sub_folder"), "", key="folder_relative", help=t("sub_folder_help"))
        if st.session_state.get("source") == "store":
            st.selectbox(t("store_file"), stores, key="store_path", format_func=store_label)
            st.caption(t("store_help"))
        st.file_uploader(
            t("upload_pictures"),
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="uploads",
            on_change=uploads_changed,
            help=t("upload_help"),
        )
        st.selectbox(
            t("label_set"),
            LABEL_CHOICES,
            key="label_choice",
            format_func=translated("labels", LABEL_CHOICES),
        )
        if st.session_state.get("label_choice") == "custom":
            st.file_uploader(
                t("custom_labels"), type=["json"], key="label_file", help=t("custom_labels_help")
            )
        presentation_switch()


PRESENTATION = "presentation"  # not a widget key: it survives every page change


def presentation_switch() -> None:
    """The presentation-mode toggle. Its state is kept under :data:`PRESENTATION`, a plain
    session key (Streamlit drops a widget's state on a page without it), and the toggle
    shows it."""
    st.session_state.setdefault(PRESENTATION, False)
    st.session_state["presentation_toggle"] = st.session_state[PRESENTATION]
    st.toggle(
        t("presentation_mode"),
        key="presentation_toggle",
        on_change=lambda: st.session_state.update(
            {PRESENTATION: st.session_state["presentation_toggle"]}
        ),
    )


def _download(model: str) -> None:
    """Fetch a pretrained model the user asked for, with a clear outcome either way."""
    with st.spinner(t("downloading")):
        try:
            download_model(model)
        except (ModelUnavailableError, ValueError) as error:
            st.error(say(error))
            return
    st.success(t("downloaded"))
