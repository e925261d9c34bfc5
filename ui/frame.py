"""The frame around every page: page config, the shared sidebar, presentation mode.

app.py draws it before running the page. One case needs the page to draw it itself:
Streamlit treats an app with a ``pages/`` folder as a legacy multipage app until its
entry script has called ``st.navigation`` once in the server process, so the first request
of a fresh server to a deep link such as ``/atlas`` (and every AppTest run) executes
``pages/atlas.py`` alone. :func:`ensure_app_frame` notices that, draws the frame in place
(widget state and clicks are kept), and switches the process to ``st.navigation`` mode so
later runs go through app.py.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.i18n import t
from ui.sidebar import render_sidebar

PRESENTATION_CSS = (
    "<style>html, body, [class*='css'] {font-size: 21px !important;}"
    "h1 {font-size: 3rem !important;}"
    "header, footer, [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl']"
    " {display: none !important;}</style>"
)


def render_frame() -> None:
    st.set_page_config(page_title="Emotion Atlas · 情绪地图", page_icon="🧭", layout="wide")
    render_sidebar()
    if st.session_state.get("presentation"):
        # Large type for projectors; the sidebar and Streamlit's chrome go, one button
        # brings them back.
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
        st.button(t("leave_presentation"), key="leave_presentation", on_click=_leave)


def _leave() -> None:
    st.session_state["presentation"] = False


def ensure_app_frame() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        render_frame()
