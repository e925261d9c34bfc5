"""Models for the dashboard: one loaded encoder per name, shared by every session."""

from __future__ import annotations

import os

import streamlit as st

from core.encoders import ClipEncoder
from core.models import load_encoder
from core.registry import list_presets


@st.cache_resource(show_spinner=False, max_entries=3)
def get_encoder(name: str) -> ClipEncoder:
    """The encoder named ``name`` (loaded once per server; callers must not mutate it)."""
    return load_encoder(name)


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
