"""Every user-facing string in English and Chinese; the language follows ``?lang=zh``."""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Emotion Atlas", "zh": "情绪地图"},
    "tagline": {
        "en": "See how emotion travels from text to images.",
        "zh": "看见情绪如何从文字流向图像。",
    },
    "language": {"en": "Language", "zh": "语言"},
    "model": {"en": "Model", "zh": "模型"},
    "home": {"en": "Home", "zh": "首页"},
    "ready": {"en": "ready", "zh": "可用"},
    "not_ready": {"en": "not available offline", "zh": "离线不可用"},
    "home_intro": {
        "en": (
            "Emotion Atlas embeds sentences and pictures in one CLIP space, maps that space "
            "with locally linear embedding, and shows which pictures carry a sentence's emotion."
        ),
        "zh": (
            "情绪地图用 CLIP 把句子和图片放进同一个向量空间，用局部线性嵌入（LLE）把空间画成地图，"
            "并展示哪些图片承载了一句话的情绪。"
        ),
    },
    "models_heading": {"en": "Models on this machine", "zh": "本机可用的模型"},
    "coming_soon": {
        "en": "The atlas, transfer and classroom pages are being built.",
        "zh": "地图、情绪迁移和课堂页面正在建设中。",
    },
}


def current_language() -> str:
    """The UI language: the sidebar's choice, else ``?lang=`` in the URL, else English."""
    lang = st.session_state.get("language") or st.query_params.get("lang", "en")
    return lang if lang in LANGUAGES else "en"


def t(key: str) -> str:
    """The string ``key`` in the current language (English when a translation is missing)."""
    entry = STRINGS[key]
    return entry.get(current_language(), entry["en"])
