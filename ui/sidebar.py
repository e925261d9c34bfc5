"""The sidebar every page shares: language, model, picture collection and label set.

Its widgets live on every page, so their values survive page switches; pages read the
result through :func:`context`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import streamlit as st

from core.emotions import LabelSet, zero_shot
from core.encoders import ClipEncoder
from core.folders import FolderRefused, allowed_roots
from core.pocket.towers import TOWERS
from core.registry import (
    ModelUnavailableError,
    default_model_name,
    list_presets,
    resolve_model,
    text_tower_of,
)
from ui.i18n import LANGUAGES, current_language, t, translated
from ui.state import (
    Collection,
    cached_label_vectors,
    folder_collection,
    gallery_collection,
    get_encoder,
    label_set_choice,
    merge,
    upload_collection,
)

# Parrott-6 first: it has love, so the product's own example (我爱你) reads as 爱.
LABEL_CHOICES = ["parrott6", "ekman7", "mikels8", "custom"]
IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]
UPLOAD_TYPES = [*IMAGE_TYPES, "zip"]


@st.cache_data(ttl=60, show_spinner=False)
def preset_rows() -> list[tuple[str, bool, str, float | None]]:
    """(name, usable, detail, download MB) per preset; re-checked at most once a minute."""
    return [
        (spec.name, avail.usable, avail.detail, avail.download_mb) for spec, avail in list_presets()
    ]


@dataclass
class Context:
    model_name: str
    encoder: ClipEncoder
    collection: Collection
    label_set: LabelSet
    label_key: str
    language: str

    def label_name(self, label: str) -> str:
        english, chinese = self.label_set.names.get(label, (label, label))
        return chinese if self.language == "zh" else english

    @property
    def label_names(self) -> dict[str, str]:
        return {label: self.label_name(label) for label in self.label_set.labels}

    @property
    def label_vectors(self) -> np.ndarray:
        """The label set's prompt vectors for this model (cached across reruns)."""
        return cached_label_vectors(self.model_name, self.label_key, self.label_set)

    def emotions(self, vectors: np.ndarray) -> np.ndarray:
        """Zero-shot distributions of ``vectors`` (n, dim) over the chosen labels."""
        return zero_shot(vectors, self.label_vectors, self.encoder.logit_scale)


def render_sidebar() -> None:
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
        st.query_params["lang"] = chosen  # a shared link opens in the same language
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
        detail = {name: d for name, _, d, _ in rows}[model]
        size = {name: mb for name, _, _, mb in rows}[model]
        if usable[model]:
            tower = text_tower_of(resolve_model(model))
            if tower:
                info = TOWERS[tower]
                st.caption(t("text_tower_in_use").format(title=info.title, package=info.package))
            else:
                st.caption(detail)
        else:
            st.warning(t("model_unavailable") + " " + detail)
            if size and st.button(t("download_model").format(size=size), key="download_model"):
                _download(model)
        sources = ["gallery", "uploads", "both"] + (["folder"] if allowed_roots() else [])
        st.radio(
            t("collection"),
            sources,
            key="source",
            format_func=translated("source", sources),
            horizontal=True,
        )
        if st.session_state.get("source") == "folder":
            st.selectbox(t("allowed_folder"), [str(r) for r in allowed_roots()], key="folder_root")
            st.text_input(t("sub_folder"), "", key="folder_relative", help=t("sub_folder_help"))
        st.file_uploader(
            t("upload_pictures"),
            type=UPLOAD_TYPES,
            accept_multiple_files=True,
            key="uploads",
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
        st.toggle(t("presentation_mode"), key="presentation")


def _download(model: str) -> None:
    """Fetch a pretrained model the user asked for, with a clear outcome either way."""
    from core.encoders import download_weights
    from core.registry import resolve_model

    with st.spinner(t("downloading")):
        try:
            download_weights(resolve_model(model))
        except (ModelUnavailableError, ValueError) as error:
            st.error(str(error))
            return
    preset_rows.clear()
    st.success(t("downloaded"))


def context() -> Context | None:
    """What the sidebar chose, loaded; ``None`` (with a message shown) when not usable."""
    model_name = st.session_state.get("model") or default_model_name()
    try:
        encoder = get_encoder(model_name)
    except (ModelUnavailableError, ValueError) as error:
        st.error(f"{t('model_unavailable')} {error}")
        return None
    try:
        label_set, label_key = label_set_choice(
            st.session_state.get("label_choice", LABEL_CHOICES[0]),
            st.session_state.get("label_file"),
        )
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as error:
        st.error(f"{t('bad_label_file')} {error}")
        return None
    source = st.session_state.get("source", "gallery")
    parts = []
    if source in ("gallery", "both"):
        parts.append(gallery_collection(model_name))
    refused: list[tuple[str, str]] = []
    if source in ("uploads", "both"):
        uploaded, refused = upload_collection(model_name, st.session_state.get("uploads"))
        parts.append(uploaded)
    if source == "folder":
        try:
            found, refused = folder_collection(
                model_name,
                st.session_state.get("folder_root", ""),
                st.session_state.get("folder_relative", ""),
            )
        except FolderRefused as error:
            st.error(str(error))
            return None
        parts.append(found)
    if refused:
        with st.expander(f"{t('refused')}: {len(refused)}", expanded=len(refused) <= 5):
            for name, reason in refused[:200]:
                st.caption(f"{name}: {reason}")
    if not any(p is not None and len(p.embeddings) for p in parts):
        st.info(t("no_pictures"))
        return None
    return Context(model_name, encoder, merge(parts), label_set, label_key, current_language())
