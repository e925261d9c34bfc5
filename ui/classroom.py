"""Streamlit glue of classroom rooms (core/rooms.py): the store, readers, the join address,
its QR code, and the live map's positions.

The live map places every sentence the way the Transfer page places one: LLE weights over
its nearest pictures (``core.transfer.place_text``) on the pictures' own LLE map, fitted
once per model and collection. Positions are computed once per entry and kept in the
teacher's session, so a refresh every two seconds only places what is new.
"""

from __future__ import annotations

import io
import os
import secrets
from urllib.parse import urlsplit

import numpy as np
import segno
import streamlit as st

from core import defaults
from core.emotions import LABEL_SETS, LabelSet, zero_shot
from core.rooms import Entry, Room, RoomStore, default_path, reader
from core.transfer import fit_legible_image_map, place_text
from ui.collections import Collection
from ui.heavy import heavy
from ui.i18n import t
from ui.models import cached_label_vectors, cached_prompt_center, get_encoder

MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:=")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}  # noqa: S104 - a check, no bind


def room_store() -> RoomStore:
    """The server's rooms file (``$EMOTION_ATLAS_ROOMS``)."""
    return _store_at(str(default_path()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _store_at(path: str) -> RoomStore:
    return RoomStore(path)


def room_label_key(room: Room) -> str:
    """The label-vector cache key: shared with other pages for the built-in sets."""
    name = room.label_set.name
    return name if name in LABEL_SETS else f"room:{room.code}:{name}"


def room_reader(room: Room):
    """Texts → (vectors, emotions) under the room's model and labels (cached vectors)."""
    labels = cached_label_vectors(room.model, room_label_key(room), room.label_set)
    return reader(get_encoder(room.model), room.label_set, labels)


def client_id() -> str:
    """This browser session's sender id (the per-student rate limit counts by it)."""
    return st.session_state.setdefault("room_client", secrets.token_hex(8))


def public_base() -> str:
    """Where phones reach this server: ``$EMOTION_ATLAS_PUBLIC_URL``, else the address
    the teacher's browser used."""
    configured = os.environ.get("EMOTION_ATLAS_PUBLIC_URL", "").strip().rstrip("/")
    if configured:
        return configured
    url = urlsplit(getattr(st.context, "url", "") or "http://localhost:8501")
    return f"{url.scheme}://{url.netloc}"


def join_url(code: str, language: str) -> str:
    return f"{public_base()}/join?room={code}&lang={language}"


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


def escaped(text: str) -> str:
    """``text`` for a Streamlit element that reads Markdown, shown exactly as typed."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)


def label_name(label_set: LabelSet, label: str, language: str) -> str:
    english, chinese = label_set.names.get(label, (label, label))
    return chinese if language == "zh" else english


class RoomMap:
    """The pictures' map of a room (model and collection) and the entries placed on it."""

    def __init__(self, room: Room, collection: Collection) -> None:
        self.room, self.collection = room, collection
        encoder = get_encoder(room.model)
        images = collection.embeddings
        self.image_vectors = images.vectors[np.asarray(images.kinds) == "image"]
        labels = cached_label_vectors(room.model, room_label_key(room), room.label_set)
        self.image_probs = zero_shot(self.image_vectors, labels, encoder.logit_scale)
        self.image_tops = [room.label_set.labels[i] for i in self.image_probs.argmax(axis=1)]
        self.k = min(defaults.BOARD_K, len(self.image_vectors) - 1)  # placement: mood board
        self.image_map = heavy(
            ("room-map", room.model, collection.key),
            lambda _report: fit_legible_image_map(self.image_vectors),
            t("fitting_map"),
        )
        self.center = cached_prompt_center(room.model, room_label_key(room), room.label_set)

    @property
    def coords(self) -> np.ndarray:
        return self.image_map.embedding_

    def positions(self, entries: list[Entry]) -> np.ndarray:
        """Map positions of ``entries`` (computed once per entry, kept in the session)."""
        known = st.session_state.setdefault("room_positions", {})
        prefix = (self.room.code, self.collection.key)
        for entry in entries:
            if (*prefix, entry.id) not in known:
                placement = place_text(
                    entry.vector,
                    self.image_vectors,
                    text_center=self.center,
                    k=self.k,
                    reg=defaults.REG,
                    image_coords=self.coords,
                    image_emotions=self.image_probs,
                )
                known[(*prefix, entry.id)] = placement.position
        if not entries:
            return np.zeros((0, 2))
        return np.array([known[(*prefix, entry.id)] for entry in entries])
