"""A budget for the upload bytes Streamlit holds in the server's memory.

Streamlit keeps every uploaded file in RAM (its ``MemoryUploadedFileManager``) until the
browser removes it or the session ends; an uploader on a page the user has left keeps its
files until then too. So:

- :class:`UploadGate` wraps the server's upload manager: a file that would take its session
  over the per-user budget, or the server over the per-server budget, is not kept (the
  route has read it already; Streamlit caps one file at ``server.maxUploadSize``);
- :func:`guard`, at the start of every script run, tells the user which files were not
  kept and frees the session's files that no widget refers to any more (after a grace, so a
  file whose upload has just finished is never freed before its widget reports it).

Budgets (megabytes) come from ``EMOTION_ATLAS_UPLOAD_MB_PER_USER`` and
``EMOTION_ATLAS_UPLOAD_MB_SERVER``. Streamlit's API used: ``runtime.get_instance()``'s
``uploaded_file_mgr`` with ``add_file``/``remove_file``/``get_stats`` (the
``UploadedFileManager`` interface) and the memory manager's ``file_storage`` mapping.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.stats import CACHE_MEMORY_FAMILY
from streamlit.runtime.uploaded_file_manager import UploadedFile

from ui.i18n import t

PER_USER_MB = 300  # a gallery of phone photos; 3 files at Streamlit's 100 MB cap
SERVER_MB = 2000  # all sessions together: a class of 30 stays well inside 24 GB
GRACE_SECONDS = 60.0  # an unreferenced file younger than this may still be on its way
MB = 1024 * 1024


def _budget(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def session_files(manager, session_id: str) -> dict:
    """A copy of ``session_id``'s files (a browser's DELETE may change them meanwhile)."""
    for _ in range(10):
        try:
            return dict(manager.file_storage.get(session_id, {}))
        except RuntimeError:  # changed size during the copy: copy again
            continue
    return {}


def held_bytes(manager, session_id: str) -> int:
    return sum(len(rec.data) for rec in session_files(manager, session_id).values())


class UploadGate:
    """Wraps an upload manager's ``add_file``: a file over either budget is not stored.

    The upload route has already read the file (Streamlit caps one at
    ``server.maxUploadSize``); the gate decides whether it is *kept*, so a session can never
    hold more than its budget however many files it sends at once. Refused names are kept
    per session until the session's next script run reports them (:meth:`take_refused`).
    """

    def __init__(self, manager, per_user_bytes: int, server_bytes: int) -> None:
        self.manager, self.per_user, self.server = manager, per_user_bytes, server_bytes
        self._add_file = manager.add_file
        self._lock = threading.Lock()
        self._refused: dict[str, list[tuple[str, bool]]] = {}  # session -> (name, server?)
        manager.add_file = self.add_file

    def add_file(self, session_id: str, file) -> None:
        size = len(file.data)
        with self._lock:  # one decision at a time, so two uploads cannot both squeeze in
            mine = held_bytes(self.manager, session_id)
            stats = self.manager.get_stats().get(CACHE_MEMORY_FAMILY, [])
            total = sum(stat.byte_length for stat in stats)
            if mine + size > self.per_user or total + size > self.server:
                refused = self._refused.setdefault(session_id, [])
                if len(refused) < 1000:
                    refused.append((file.name, mine + size <= self.per_user))
                return
            self._add_file(session_id, file)

    def take_refused(self, session_id: str) -> list[tuple[str, bool]]:
        with self._lock:
            return self._refused.pop(session_id, [])


def referenced_ids(values: Iterable[object]) -> set[str]:
    """The file ids that widget values (``UploadedFile`` or lists of them) refer to."""
    ids: set[str] = set()
    for value in values:
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, UploadedFile):
                ids.add(item.file_id)
    return ids


def free_orphans(manager, session_id: str, referenced: set[str], seen: dict, now: float) -> None:
    """Free ``session_id``'s files no widget refers to any more, once older than the grace.

    ``seen`` maps file id to when this session first saw it (kept between runs; updated
    here): a file whose upload has just finished may not be in any widget's value yet.
    """
    held = set(session_files(manager, session_id))
    for file_id in set(seen) - held:
        del seen[file_id]
    for file_id in held:
        seen.setdefault(file_id, now)
        if file_id not in referenced and now - seen[file_id] > GRACE_SECONDS:
            manager.remove_file(session_id, file_id)
            del seen[file_id]


_install_lock = threading.Lock()


def _gate(manager) -> UploadGate:
    with _install_lock:  # one gate per manager (the server's), made by the first run
        gate = getattr(manager, "emotion_atlas_gate", None)
        if gate is None:
            gate = UploadGate(
                manager,
                _budget("EMOTION_ATLAS_UPLOAD_MB_PER_USER", PER_USER_MB) * MB,
                _budget("EMOTION_ATLAS_UPLOAD_MB_SERVER", SERVER_MB) * MB,
            )
            manager.emotion_atlas_gate = gate
        return gate


def served() -> bool:
    """Whether this run is served by a real Streamlit server (AppTest's runtime holds
    stand-ins, not Streamlit's in-memory upload manager)."""
    if get_script_run_ctx() is None or not runtime.exists():
        return False
    return isinstance(runtime.get_instance().uploaded_file_mgr, MemoryUploadedFileManager)


def guard() -> None:
    """The budgets for this session (no-op outside a running server, e.g. AppTest)."""
    if not served():
        return
    ctx, manager = get_script_run_ctx(), runtime.get_instance().uploaded_file_mgr
    gate, state = _gate(manager), st.session_state
    seen = state.setdefault("_upload_seen", {})
    values = (state[key] for key in list(state.keys()))
    free_orphans(manager, ctx.session_id, referenced_ids(values), seen, time.monotonic())
    refused = gate.take_refused(ctx.session_id)
    held = frozenset(session_files(manager, ctx.session_id))
    if refused:
        names = [name for name, _ in refused]
        server = all(by_server for _, by_server in refused)
        values = {
            "names": ", ".join(names[:10]) + (" …" if len(names) > 10 else ""),
            "limit": round((gate.server if server else gate.per_user) / MB),
            "held": round(held_bytes(manager, ctx.session_id) / MB, 1),
        }
        state["_upload_refusal"] = ("upload_server_full" if server else "upload_over_budget",
                                    values, held)  # fmt: skip
    # The notice stays, in the current language, until this session's stored files change.
    if "_upload_refusal" in state:
        key, values, when = state["_upload_refusal"]
        if when != held:
            del state["_upload_refusal"]
        else:
            st.warning(t(key).format(**values))
