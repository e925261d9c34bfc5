"""Cached results every page draws from: sentence vectors, label prompts, maps, placements.

Results live in ``st.cache_resource`` (one shared object, never copied per rerun; callers
must not mutate them). Keys are plain strings and numbers that name everything a result
depends on (model, collection content and names, sentences, labels, settings);
unhashable inputs travel in ``_underscored`` arguments beside the key that identifies them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from core import defaults
from core.atlas import Atlas, build_atlas
from core.emotions import LabelSet
from core.plots import atlas_figure, legible_rows
from core.projection import Compared, compare_methods
from core.transfer import TransferView, fit_image_map, transfer_view
from ui.heavy import heavy
from ui.i18n import figure_words, say, t, translated
from ui.models import cached_label_vectors, cached_prompt_center, get_encoder, text_embeddings
from ui.warmup import umap_warm_up_future, wait_for_umap

if TYPE_CHECKING:
    from ui.collections import Collection
    from ui.context import Context


@dataclass(frozen=True)
class AtlasSettings:
    """What the Atlas page draws with; Export and the comparison use the same."""

    method: str = "lle"
    dims: int = 2
    k: int = defaults.K
    reg: float = defaults.REG
    center: bool = True

    def fitted_to(self, n_items: int) -> AtlasSettings:
        """These settings with k lowered to what ``n_items`` points support."""
        return AtlasSettings(**{**asdict(self), "k": min(self.k, defaults.max_k(n_items))})


SETTINGS_KEY = "atlas_settings"  # not a widget key: survives pages without the widgets


def saved_settings() -> AtlasSettings:
    return st.session_state.get(SETTINGS_KEY, AtlasSettings())


def save_settings(settings: AtlasSettings) -> None:
    st.session_state[SETTINGS_KEY] = settings


def cached_atlas(
    model_name: str,
    collection_key: str,
    texts: tuple[str, ...],
    label_set_key: str,
    settings: AtlasSettings,
    _collection: Collection,
    _label_set: LabelSet,
) -> Atlas:
    """One fitted map per parameter set, shared across reruns and sessions (see ui.heavy)."""
    sentences = text_embeddings(model_name, texts)  # cached; the join waits for the pool
    labels = cached_label_vectors(model_name, label_set_key, _label_set)
    center = cached_prompt_center(model_name, label_set_key, _label_set)
    encoder = get_encoder(model_name)

    def fit(_report):
        items = _collection.embeddings + sentences
        items.rejected = []
        return build_atlas(
            items,
            encoder,
            _label_set,
            labels=labels,
            text_center=center,
            method=settings.method,
            n_components=settings.dims,
            n_neighbors=settings.k,
            reg=settings.reg,
            center=settings.center,
            auto_k=True,  # a map folded onto a few dots teaches nothing: raise k, say so
        )

    key = ("atlas", model_name, collection_key, texts, label_set_key, settings)
    return heavy(key, fit, t("fitting_map"))


def atlas_for(ctx: Context, texts: tuple[str, ...], settings: AtlasSettings) -> Atlas:
    """The (cached) atlas of the sidebar's collection and labels with these settings."""
    wait_for_umap(settings.method)
    return cached_atlas(
        ctx.model_name,
        ctx.collection.key,
        texts,
        ctx.label_key,
        settings,
        _collection=ctx.collection,
        _label_set=ctx.label_set,
    )


def cached_comparison(key: tuple, n_neighbors: int, vectors: np.ndarray) -> dict[str, Compared]:
    """Every method on the same vectors (shared across sessions, keyed by ``key``)."""
    warm_up = umap_warm_up_future()

    def umap_ready(method: str) -> None:  # in a worker: no Streamlit calls, just wait
        if method == "umap":
            warm_up.exception()

    def compare(report):
        def done(index: int, total: int, _name: str) -> None:
            report(index, total)

        return compare_methods(
            vectors, n_neighbors, auto_k=True, before_fit=umap_ready, progress=done
        )

    return heavy(("compare", key, n_neighbors), compare, t("run_comparison"))


def cached_image_map(model_name: str, collection_key: str, k: int, _collection: Collection):
    """The collection's own LLE map for placement with this k (shared across sessions)."""
    vectors = _collection.embeddings.vectors
    return heavy(
        ("image map", model_name, collection_key, k),
        lambda _report: fit_image_map(vectors, k=k, auto_k=True),
        t("fitting_map"),
    )


def transfer_for(ctx: Context, text_vector: np.ndarray, k: int) -> TransferView:
    """:func:`core.transfer.transfer_view` of one sentence among the sidebar's pictures."""
    return transfer_view(
        text_vector,
        ctx.collection.embeddings.vectors,
        label_vectors=ctx.label_vectors,
        logit_scale=ctx.encoder.logit_scale,
        text_center=cached_prompt_center(ctx.model_name, ctx.label_key, ctx.label_set),
        k=k,
        image_map=cached_image_map(
            ctx.model_name, ctx.collection.key, k, _collection=ctx.collection
        ),
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def cached_figure(key: tuple, _build):
    """A figure built once per ``key`` (which must name everything it shows, language
    included) and shared: building the atlas's 232 thumbnails through plotly's validators
    was the largest share of a rerun under many users. Callers must not change it."""
    return _build()


def atlas_key(ctx: Context, texts: tuple[str, ...], settings: AtlasSettings) -> tuple:
    """Everything an atlas figure of the sidebar's choice depends on."""
    return (ctx.model_name, ctx.collection.key, texts, ctx.label_key, settings, ctx.language)


def _thumbnails(ctx: Context, atlas: Atlas) -> list[bytes | None]:
    """Thumbnails of the pictures a map can show legibly: all of a small collection, a
    spread sample of a large one (only those are read from a store's files)."""
    names = atlas.embeddings.names
    thumbnails: list[bytes | None] = [None] * len(names)
    for row in legible_rows(atlas.coords, atlas.embeddings.kinds):
        thumbnails[row] = ctx.collection.thumbnails.get(names[row])
    return thumbnails


def map_figure(ctx: Context, atlas: Atlas, texts: tuple[str, ...], settings: AtlasSettings):
    """The Atlas page's map (also what Export writes), built once per atlas and language."""
    method = translated("projection", [settings.method])(settings.method)
    items = atlas.embeddings
    return cached_figure(
        ("map", *atlas_key(ctx, texts, settings)),
        lambda: atlas_figure(
            atlas.coords,
            ctx.picture_names(items.names),
            items.kinds,
            atlas.top,
            label_names=ctx.label_names,
            thumbnails=_thumbnails(ctx, atlas),
            title=f"{method} · k = {atlas.projector.n_neighbors_}",
            words=figure_words(),
        ),
    )


def atlas_or_stop(ctx: Context, texts: tuple[str, ...], settings: AtlasSettings) -> Atlas:
    """:func:`atlas_for`, or the reason there is none on the page and the run stopped
    (too few items for a map, or settings the data cannot take). The work pool shows
    the wait (ui.heavy), so no spinner of its own."""
    if len(ctx.collection.embeddings) + len(texts) < 5:
        st.warning(t("atlas_too_few").format(count=len(ctx.collection.embeddings)))
        st.stop()
    try:
        return atlas_for(ctx, texts, settings)
    except ValueError as error:
        st.error(f"{t('map_failed')} {say(error)}")
        st.stop()
