"""The atlas: a collection's embeddings, their emotions and their map, computed together.

:func:`build_atlas` is the one call behind the Atlas page and ``python -m core atlas``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.defaults import REG, K
from core.embedding import EmbeddingSet
from core.emotions import LabelSet, label_vectors, prompt_bank_center, top_labels, zero_shot
from core.projection import Projector, center_modalities, map_quality, modality_gap

if TYPE_CHECKING:
    from core.encoders import ClipEncoder


@dataclass
class Atlas:
    """Everything one map shows; rows follow ``embeddings``.

    ``probabilities`` has shape (n_items, n_labels); ``coords`` (n_items, 2 or 3).
    """

    embeddings: EmbeddingSet
    label_set: LabelSet
    label_vectors: np.ndarray
    probabilities: np.ndarray
    coords: np.ndarray
    projector: Projector
    quality: dict = field(default_factory=dict)
    gap_before: float = 0.0
    gap_after: float = 0.0
    mapped: np.ndarray | None = None  # the vectors the map was fitted on (centred or not)

    @property
    def top(self) -> list[str]:
        return top_labels(self.probabilities, self.label_set)

    def nearest_images(self, row: int, count: int = 5) -> tuple[list[int], np.ndarray]:
        """The ``count`` pictures most similar to item ``row`` (cosine), and the cosines."""
        vectors = self.embeddings.vectors
        similarity = vectors @ vectors[row]
        kinds = self.embeddings.kinds
        order = [i for i in np.argsort(-similarity) if i != row and kinds[i] == "image"][:count]
        return order, similarity[order]


def emotion_probabilities(
    encoder: ClipEncoder, vectors: np.ndarray, label_set: LabelSet
) -> tuple[np.ndarray, np.ndarray]:
    """(label vectors, zero-shot distributions) of ``vectors`` for ``label_set``."""
    labels = label_vectors(encoder, label_set)
    return labels, zero_shot(vectors, labels, encoder.logit_scale)


def build_atlas(
    embeddings: EmbeddingSet,
    encoder: ClipEncoder,
    label_set: LabelSet,
    *,
    method: str = "lle",
    n_components: int = 2,
    n_neighbors: int = K,
    reg: float = REG,
    center: bool = True,
    random_state: int = 0,
    labels: np.ndarray | None = None,
    landmarks: int | str | None = "auto",
    text_center: np.ndarray | None = None,
    auto_k: bool = False,
) -> Atlas:
    """Score emotions and fit one joint map of all items (texts and images).

    With ``center`` each modality is centred on its own mean first, so texts land among
    the pictures they resemble instead of on an island of their own (the modality gap).

    Texts are centred on ``text_center``, the label set's prompt-bank centre by default
    (:func:`core.emotions.prompt_bank_center`), the same centre placement uses, so that a
    sentence lands where :func:`core.transfer.transfer_view` puts it however many
    sentences there are.

    ``labels`` are the label set's prompt vectors when the caller has them already
    (embedding the prompts costs more than fitting a small map). ``landmarks`` goes to
    :class:`~core.projection.Projector`: by default large collections are mapped through
    landmarks (see :data:`~core.projection.AUTO_LANDMARKS`). With ``auto_k`` an LLE map
    whose neighbour graph falls apart at ``n_neighbors`` is refitted with a larger k
    (``atlas.projector.n_neighbors_``; its notices say why).

    Raises
    ------
    ValueError
        From :class:`~core.projection.Projector` when the parameters do not fit the data.
    """
    vectors = embeddings.vectors
    if labels is None:
        labels = label_vectors(encoder, label_set)
    probabilities = zero_shot(vectors, labels, encoder.logit_scale)
    mapped = vectors
    if center:
        has_text = "text" in set(embeddings.kinds)
        if has_text and text_center is None:
            text_center = prompt_bank_center(encoder, label_set)
        centres = {"text": text_center} if has_text else {}
        mapped = center_modalities(vectors, embeddings.kinds, centres)
    projector = Projector(
        method=method,
        n_components=n_components,
        n_neighbors=n_neighbors,
        reg=reg,
        landmarks=landmarks,
        random_state=random_state,
        auto_k=auto_k,
    ).fit(mapped)
    quality = map_quality(mapped, projector.embedding_)
    quality["seconds"] = projector.seconds_
    if projector.reconstruction_error_ is not None:
        quality["reconstruction_error"] = float(projector.reconstruction_error_)
    return Atlas(
        embeddings=embeddings,
        label_set=label_set,
        label_vectors=labels,
        probabilities=probabilities,
        coords=projector.embedding_,
        projector=projector,
        quality=quality,
        gap_before=modality_gap(vectors, embeddings.kinds),
        gap_after=modality_gap(mapped, embeddings.kinds),
        mapped=mapped,
    )
