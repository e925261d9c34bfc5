"""Emotion Atlas: the Streamlit entry point. A router and a frame, nothing more."""

import streamlit as st

from ui.frame import render_frame
from ui.i18n import t
from ui.state import start_umap_warm_up

pages = [
    st.Page("pages/home.py", title=t("home"), icon="🏠", default=True, url_path="home"),
    st.Page("pages/atlas.py", title=t("atlas"), icon="🗺️", url_path="atlas"),
    st.Page("pages/transfer.py", title=t("transfer"), icon="🎨", url_path="transfer"),
    st.Page("pages/classify.py", title=t("classify"), icon="🏷️", url_path="classify"),
    st.Page("pages/learn.py", title=t("learn"), icon="🎓", url_path="learn"),
    st.Page("pages/export.py", title=t("export"), icon="📦", url_path="export"),
]
navigation = st.navigation(pages)
render_frame()
navigation.run()
start_umap_warm_up()  # after the page is drawn: UMAP's first click then finds it compiled
