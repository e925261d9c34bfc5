"""Home: what Emotion Atlas does, and which models this machine can run."""

import streamlit as st

from ui.i18n import t
from ui.sidebar import preset_rows

st.title(t("app_title"))
st.subheader(t("tagline"))
st.write(t("home_intro"))
st.info(t("coming_soon"))
st.markdown(f"#### {t('models_heading')}")
st.table(
    {
        t("model"): [name for name, _, _ in preset_rows()],
        "": ["✅" if ok else "⬇️" for _, ok, _ in preset_rows()],
    }
)
