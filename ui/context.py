"""What the sidebar chose, loaded and typed: every page starts from :func:`context`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core.emotions import LABEL_SETS, LabelSet, label_set_from_json, zero_shot
from core.folders import FolderRefused
from core.registry import ModelUnavailableError, default_model_name
from ui.collections import (
    Collection,
    folder_collection,
    gallery_collection,
    merge,
    store_collection,
    upload_collection,
    uploads_lost,
)
from ui.i18n import current_language, say, t
from ui.models import cached_label_vectors, get_encoder

if TYPE_CHECKING:
    from core.encoders import ClipEncoder

# Parrott-6 first: it has love, so the product's own example (我爱你) reads as 爱.
LABEL_CHOICES = ["parrott6", "ekman7", "mikels8", "custom"]


@dataclass
class Context:
    """The session's model, pictures and labels, with the helpers pages use to name them."""

    model_name: str
    encoder: ClipEncoder
    collection: Collection
    label_set: LabelSet
    label_key: str
    language: str

    def label_name(self, label: str) -> str:
        english, chinese = self.label_set.names.get(label, (label, label))
        return chinese if self.language == "zh" else english

    def picture_name(self, name: str) -> str:
        """A picture's caption in the reader's language (the gallery's metadata), else its
        file name without folders."""
        caption = self.collection.captions.get(name)
        if caption is None:
            return name.replace("\\", "/").rsplit("/", 1)[-1]
        return caption[1] if self.language == "zh" else caption[0]

    @cached_property
    def _shown_names(self) -> dict[str, str]:
        # Numbered over the whole collection, so a picture has one name on every figure.
        shown, seen = {}, {}
        for name in self.collection.embeddings.names:
            caption = self.picture_name(name)
            seen[caption] = seen.get(caption, 0) + 1
            shown[name] = caption if seen[caption] == 1 else f"{caption} {seen[caption]}"
        return shown

    def picture_names(self, names) -> list[str]:
        """:meth:`picture_name` of each of ``names``, repeated captions told apart by a
        number ("明媚的早晨 2"); names that are not pictures (sentences) are kept."""
        return [self._shown_names.get(name, name) for name in names]

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


def label_set_choice(choice: str, upload) -> tuple[LabelSet, str]:
    """The chosen label set and a cache key for it; a custom JSON upload is parsed here."""
    if choice != "custom" or upload is None:
        label_set = LABEL_SETS.get(choice, LABEL_SETS["parrott6"])
        return label_set, label_set.name
    name = upload.name.rsplit(".", 1)[0]
    label_set = label_set_from_json(upload.getvalue(), name=name, file=upload.name)
    return label_set, "custom:" + hashlib.sha256(upload.getvalue()).hexdigest()[:16]


def _pictures(model_name: str) -> tuple[list[Collection | None], list[tuple[str, str]]]:
    """The collections the sidebar's source names, and what was refused on the way."""
    source = st.session_state.get("source", "gallery")
    parts: list[Collection | None] = []
    refused: list[tuple[str, str]] = []
    if source in ("gallery", "both"):
        parts.append(gallery_collection(model_name))
    if source in ("uploads", "both"):
        uploaded, refused = upload_collection(model_name, st.session_state.get("uploads"))
        parts.append(uploaded)
    if source == "store":
        found, refused = store_collection(model_name, st.session_state.get("store_path", ""))
        parts.append(found)
    if source == "folder":
        found, refused = folder_collection(
            model_name,
            st.session_state.get("folder_root", ""),
            st.session_state.get("folder_relative", ""),
        )
        parts.append(found)
    return parts, refused


def context() -> Context | None:
    """What the sidebar chose, loaded; ``None`` (with a message shown) when not usable."""
    model_name = st.session_state.get("model") or default_model_name()
    try:
        encoder = get_encoder(model_name)
    except (ModelUnavailableError, ValueError) as error:
        st.error(f"{t('model_unavailable')} {say(error)}")
        return None
    try:
        label_set, label_key = label_set_choice(
            st.session_state.get("label_choice", LABEL_CHOICES[0]),
            st.session_state.get("label_file"),
        )
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        st.error(f"{t('bad_label_file')} {say(error)}")
        return None
    try:
        parts, refused = _pictures(model_name)
    except FolderRefused as error:
        st.error(say(error))
        return None
    if refused:
        with st.expander(f"{t('refused')}: {len(refused)}", expanded=len(refused) <= 5):
            for name, reason in refused[:200]:
                st.caption(f"{name}: {say(reason)}")
    source = st.session_state.get("source", "gallery")
    if uploads_lost() and source in ("uploads", "both"):
        st.warning(t("uploads_lost"))
    if model_name == "pocket" and source != "gallery":
        # The bundled model reads sentences well but knows emoji and mood scenes only:
        # a user's photographs would get confident nonsense (issue 16, item 6).
        st.info(t("pocket_photos"))
    if not any(p is not None and len(p.embeddings) for p in parts):
        st.info(t("no_pictures"))
        return None
    return Context(model_name, encoder, merge(parts), label_set, label_key, current_language())
