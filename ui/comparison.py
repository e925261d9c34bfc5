"""The "compare all methods" grid of the Atlas and Learn pages, said the same way on both."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from core.plots import method_grid
from core.projection import LLE_METHODS, METHODS, Compared
from ui.i18n import say, t, translated
from ui.widgets import chart


def show_comparison(
    results: dict[str, Compared],
    k: int,
    colours: Sequence | np.ndarray,
    kinds: Sequence[str],
    *,
    key: str,
    colour_title: str | None = None,
    label_names: dict[str, str] | None = None,
) -> None:
    """Each method's failure as a warning, one sentence naming the LLE maps drawn with a
    larger k than ``k`` (their neighbour graph fell apart), then the grid: panels titled
    with the method, its k where it differs, and its time; coloured by ``colours`` (top
    labels, or numbers on one colour scale titled ``colour_title``)."""
    method_name = translated("projection", list(METHODS))
    raised = {
        name: result.n_neighbors
        for name, result in results.items()
        if name in LLE_METHODS and result.coords is not None and result.n_neighbors not in (None, k)
    }
    for name, result in results.items():
        if result.error:
            st.warning(f"{method_name(name)}: {say(result.error)}")
    if raised:
        methods = " · ".join(f"{method_name(name)}: k = {used}" for name, used in raised.items())
        st.info(t("compare_k_raised").format(k=k, methods=methods))
    # what else a method's fit had to say (a solver fallback, a fold, landmarks, a lowered
    # perplexity), once per method; the raised k is said above already
    summarised = {"projection.k_raised", "projection.k_raised_best", "projection.duplicates"}
    for name, result in results.items():
        said = [n for n in result.notices if getattr(n, "code", None) not in summarised]
        if said and result.coords is not None:
            st.caption(f"{method_name(name)}: " + " ".join(say(n) for n in dict.fromkeys(said)))
    panels = {}
    for name, result in results.items():
        if result.coords is None:
            continue
        details = [*([f"k = {raised[name]}"] if name in raised else []), f"{result.seconds:.2f} s"]
        # two lines: on one, the long names ("LTSA（局部切空间）") ran into each other
        title = f"{method_name(name)}<br>{' · '.join(details)}"
        panels[title] = (result.coords, colours, kinds)
    chart(method_grid(panels, colour_title=colour_title, label_names=label_names), key=key)
