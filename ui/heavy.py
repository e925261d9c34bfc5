"""Heavy work of every session goes through one :class:`core.workpool.WorkPool` per server.

While a request waits, the page says so ("busy: 2 requests ahead of yours", or the work's
progress) instead of freezing; each of those updates also lets Streamlit stop a script run
the user has already replaced, and a queued computation nobody waits for is cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

from core.workpool import Progress, Waiting, WorkPool
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def work_pool() -> WorkPool:
    """The server's pool (``$EMOTION_ATLAS_WORKERS`` threads, default half the CPUs)."""
    return WorkPool(max_entries=48)


def heavy(key: Hashable, compute: Callable[[Progress], object], label: str):
    """``compute(report)`` through the server's pool, with a status line while waiting."""
    pool = work_pool()
    if pool.cached(key):
        return pool.run(key, compute)
    box = st.empty()

    def show(waiting: Waiting) -> None:
        if not waiting.running:
            box.info(t("busy_queued").format(ahead=waiting.ahead + 1))
        elif waiting.total:
            box.progress(waiting.done / waiting.total, text=label)
        else:
            box.info(f"⏳ {label}")

    try:
        return pool.run(key, compute, on_wait=show)
    finally:
        box.empty()
