"""Background warm-up: UMAP's code is compiled once per server, off the user's clicks."""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import Future

import streamlit as st

from ui.frame import idle_seconds, importing
from ui.i18n import t


@st.cache_resource(show_spinner=False)
def _umap_warm_up() -> Future:
    """Compile UMAP's code in a background thread, once per server process.

    A daemon thread, not an executor's worker: Python joins those at exit, which held a
    stopping server for the rest of the compilation (measured: over 30 s).
    """
    future: Future = Future()

    def run() -> None:
        try:
            while True:
                _when_quiet()
                with importing:
                    if _needed.is_set() or idle_seconds() > 0:  # nobody started meanwhile
                        import umap  # noqa: F401 - while no script run imports beside it

                        from core.projection import warm_up_umap

                        break
            future.set_result(_low_priority(warm_up_umap))
        except BaseException as error:  # handed to whoever waits; never lost in a thread
            future.set_exception(error)

    threading.Thread(target=run, name="umap-warm-up", daemon=True).start()
    return future


QUIET_S = 2.0  # the server's users have clicked nothing for this long
_needed = threading.Event()  # someone waits for the warm-up: go at once


def _when_quiet() -> None:
    """Wait until no script has run for :data:`QUIET_S` (or until someone needs UMAP):
    a fresh server's first pages and clicks (the first map: scikit-learn's import, the
    fit) then do not share two cores with numba's compiler."""
    while not _needed.is_set():
        idle = idle_seconds()
        if idle >= QUIET_S:
            return
        _needed.wait(timeout=max(0.2, QUIET_S - idle))


def _low_priority(work):
    """Run ``work`` in this thread at the lowest CPU priority (Linux: niceness is per
    thread): what the user clicks gets the CPU first. It still costs a little: re-render
    after a click took 0.9-1.1 s during the warm-up, 0.66 s before it existed."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    return work()


def umap_warm_up_future() -> Future:
    """The warm-up's future (started if it was not), for waiting outside a script run."""
    _needed.set()
    return _umap_warm_up()


def start_umap_warm_up() -> None:
    """Begin the warm-up (idempotent); the app calls it after a page is drawn."""
    _umap_warm_up()


def wait_for_umap(method: str = "umap") -> None:
    """Before a UMAP fit: if the warm-up has not finished, wait for it with a message."""
    if method != "umap":
        return
    _needed.set()
    future = _umap_warm_up()
    if not future.done():
        with st.spinner(t("umap_preparing")):
            future.exception()  # waits; a failed warm-up shows up in the real fit instead
