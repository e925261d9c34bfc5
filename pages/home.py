"""Home: what Emotion Atlas does, the four-step pipeline, and a one-click example."""

import streamlit as st

from core.registry import ModelUnavailableError, default_model_name
from ui.frame import ensure_app_frame
from ui.i18n import t
from ui.models import get_encoder, preset_rows
from ui.widgets import SENTENCE_KEY

ensure_app_frame()

st.title(t("app_title"))
st.subheader(t("tagline"))
st.write(t("home_intro"))

st.markdown(f"#### {t('pipeline')}")
try:  # the real token ids of the example, from the chosen model's own tokenizer
    encoder = get_encoder(st.session_state.get("model") or default_model_name())
    example_ids = "我爱你 → " + str(encoder.token_ids("我爱你")[:6])[:-1] + ", …]"
except (ModelUnavailableError, ValueError):
    example_ids = "我爱你 → […]"
steps = st.columns(4)
for column, key, detail in zip(
    steps,
    ("step_tokenise", "step_space", "step_match", "step_output"),
    (example_ids, t("step_space_detail"), "😀 😢 😡 😨 …", "📊 🗺️ 🎨"),
    strict=True,
):
    column.info(f"**{t(key)}**\n\n{detail}")

if st.button(t("try_example"), type="primary", key="example"):
    st.session_state[SENTENCE_KEY] = "我爱你"
    st.switch_page("pages/transfer.py")

st.markdown(f"#### {t('models_heading')}")
rows = preset_rows()
st.table(
    {
        t("model"): [name for name, *_ in rows],
        "": [t("ready") if ok else t("not_ready") for _, ok, *_ in rows],
    }
)
