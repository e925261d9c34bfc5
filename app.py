"""Emotion Atlas: the Streamlit entry point. A router and a frame, nothing more."""

import streamlit as st

from ui.i18n import t
from ui.sidebar import render_sidebar

st.set_page_config(page_title="Emotion Atlas · 情绪地图", page_icon="🧭", layout="wide")

pages = [st.Page("pages/home.py", title=t("home"), icon="🏠", default=True)]
navigation = st.navigation(pages)
st.session_state["model_name"] = render_sidebar()
navigation.run()
