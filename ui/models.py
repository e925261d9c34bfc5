"""Models for the dashboard: one loaded encoder per name, shared by every session."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.cache import EmbeddingCache
from core.embedding import EmbeddingSet, embed_texts
from core.emotions import LabelSet, label_vectors, prompt_bank_center
from core.models import load_encoder
from core.registry import list_presets

if TYPE_CHECKING:
    from core.encoders import ClipEncoder


@st.cache_resource(show_spinner=False, max_entries=3)
def get_encoder(name: str) -> ClipEncoder:
    """The encoder named ``name`` (loaded once per server; callers must not mutate it)."""
    return load_encoder(name)


@st.cache_resource(show_spinner=False, max_entries=64)
def text_embeddings(model_name: str, texts: tuple[str, ...]) -> EmbeddingSet:
    return embed_texts(list(texts), get_encoder(model_name), cache=EmbeddingCache())


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_label_vectors(model_name: str, label_set_key: str, _label_set: LabelSet) -> np.ndarray:
    return label_vectors(get_encoder(model_name), _label_set)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_prompt_center(model_name: str, label_set_key: str, _label_set: LabelSet) -> np.ndarray:
    return prompt_bank_center(get_encoder(model_name), _label_set)


@st.cache_data(ttl=60, show_spinner=False)
def preset_rows() -> list[tuple[str, bool, str, float | None]]:
    """(name, usable, detail, download MB) per preset; re-checked at most once a minute."""
    return [
        (spec.name, avail.usable, avail.detail, avail.download_mb) for spec, avail in list_presets()
    ]


DOWNLOADS_ENV = "EMOTION_ATLAS_ALLOW_DOWNLOADS"


def downloads_allowed() -> bool:
    """Whether browser users may start model downloads: off unless the operator set
    ``EMOTION_ATLAS_ALLOW_DOWNLOADS=1`` (one click can fetch gigabytes for a whole class)."""
    return os.environ.get(DOWNLOADS_ENV, "").strip().lower() in {"1", "true", "yes"}


def download_model(model: str) -> None:
    """Fetch a pretrained model the user asked for; raises ModelUnavailableError/ValueError."""
    if not downloads_allowed():
        raise ValueError(f"downloads are switched off on this server ({DOWNLOADS_ENV})")
    from core.models import download_weights
    from core.registry import resolve_model

    download_weights(resolve_model(model))
    preset_rows.clear()
