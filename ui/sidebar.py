"""The sidebar every page shares: language and model choice."""

from __future__ import annotations

import streamlit as st

from core.registry import default_model_name, list_presets
from ui.i18n import LANGUAGES, current_language, t


@st.cache_data(ttl=60, show_spinner=False)
def preset_rows() -> list[tuple[str, bool, str]]:
    """(name, usable, detail) for each preset; re-checked at most once a minute."""
    return [(spec.name, avail.usable, avail.detail) for spec, avail in list_presets()]


def render_sidebar() -> str:
    """Draw the shared sidebar; returns the chosen model name."""
    with st.sidebar:
        codes = list(LANGUAGES)
        chosen = st.radio(
            t("language"),
            codes,
            index=codes.index(current_language()),
            format_func=LANGUAGES.get,
            horizontal=True,
            key="language",
        )
        st.query_params["lang"] = chosen  # so a shared link opens in the same language
        rows = preset_rows()
        names = [name for name, _, _ in rows]
        usable = {name: ok for name, ok, _ in rows}
        default = default_model_name()
        model = st.selectbox(
            t("model"),
            names,
            index=names.index(default) if default in names else 0,
            format_func=lambda n: f"{n} ({t('ready') if usable[n] else t('not_ready')})",
            key="model",
        )
        detail = dict((name, d) for name, _, d in rows)[model]
        (st.caption if usable[model] else st.warning)(detail)
    return model
