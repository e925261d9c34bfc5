"""Text → image emotion transfer as placement and steering (DESIGN.md, "transfer").

* :func:`place_text` writes a text as a locally linear combination of its k nearest images
  (after each modality is centred) and carries the images' map positions and emotions over.
* :func:`steer` moves an image along (target − source) emotion direction and follows the
  nearest images.
* :func:`transfer_view` is the one computation every view of a sentence's transfer (the
  Transfer page, the Atlas star, ``python -m core place``, the benchmarks) draws from.

The third sense, changing the pixels, is :mod:`core.recolour`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.defaults import BOARD_K, REG
from core.emotions import zero_shot
from core.projection import Projector, barycentric_weights, center, distinct_spots, unit

if TYPE_CHECKING:
    from core.encoders import ClipEncoder

# --- placement ----------------------------------------------------------------------------


@dataclass
class Placement:
    """Where a text lands among images, and the emotion it borrows from them.

    Attributes
    ----------
    neighbours : ndarray of shape (k,), indices of the nearest images (the mood board)
    weights : ndarray of shape (k,), barycentric weights, sum to 1 (some may be negative)
    residual : float, ``|text − Σ w·image|`` in the centred space (how well images explain it)
    residual_uncentred : float, the same without modality centering (shows the gap)
    fit : float, cosine between the (centred) text and its reconstruction ``Σ w·image``:
        1 when the pictures rebuild the sentence's direction exactly. Unlike the residuals
        it is scale-free, so it reads the same in both spaces.
    position : ndarray of shape (n_components,) or None, the point on the images' map
    emotion : ndarray of shape (n_labels,) or None, the weights' mix of the images' emotions
    """

    neighbours: np.ndarray
    weights: np.ndarray
    residual: float
    residual_uncentred: float
    position: np.ndarray | None = None
    emotion: np.ndarray | None = None
    fit: float = float("nan")

    def shares(self) -> tuple[np.ndarray, np.ndarray]:
        """(order, share): the mood board sorted by weight, largest first, and each
        picture's share of the mix in percent (they add up to 100; a negative share is a
        picture the mix leans away from, to correct the others)."""
        order = np.argsort(-self.weights, kind="stable")
        return order, 100 * self.weights[order] / self.weights.sum()


def _nearest(point: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    distances = np.linalg.norm(vectors - point, axis=1)
    return np.argsort(distances, kind="stable")[:k]


def _residual(point, vectors, k, reg) -> tuple[np.ndarray, np.ndarray, float, float]:
    rows = _nearest(point, vectors, k)
    weights = barycentric_weights(point, vectors[rows], reg)
    rebuilt = weights @ vectors[rows]
    fit = float(point @ rebuilt / max(np.linalg.norm(point) * np.linalg.norm(rebuilt), 1e-12))
    return rows, weights, float(np.linalg.norm(point - rebuilt)), fit


def place_text(
    text_vector: np.ndarray,
    image_vectors: np.ndarray,
    *,
    text_center: np.ndarray,
    k: int = BOARD_K,
    reg: float = REG,
    image_coords: np.ndarray | None = None,
    image_emotions: np.ndarray | None = None,
) -> Placement:
    """Write a text as a locally linear combination of its k nearest images.

    Both modalities are centred before mixing: images on their own mean, the text on
    ``text_center`` (the mean of a bank of texts, e.g. the emotion prompts and the user's
    sentences; one text alone has no mean of its own). With ``image_coords`` from an LLE
    map fitted on the centred images with the same k and reg, ``position`` equals
    scikit-learn's ``LocallyLinearEmbedding.transform`` of the centred text.

    Parameters
    ----------
    text_vector : ndarray of shape (dim,)
    image_vectors : ndarray of shape (n_images, dim), unit rows
    text_center : ndarray of shape (dim,)
    image_coords : ndarray of shape (n_images, n_components), optional
    image_emotions : ndarray of shape (n_images, n_labels), optional

    Raises
    ------
    ValueError
        If k is not below the number of images.
    """
    n_images = len(image_vectors)
    if not 1 <= k < n_images:
        raise ValueError(
            f"Expected 1 <= k < n_images, but n_images = {n_images}, k = {k}. "
            "Lower k or add pictures."
        )
    centred_images = center(image_vectors)
    centred_text = unit(text_vector - text_center)
    rows, weights, residual, fit = _residual(centred_text, centred_images, k, reg)
    _, _, uncentred, _ = _residual(unit(text_vector), image_vectors, k, reg)
    return Placement(
        neighbours=rows,
        weights=weights,
        residual=residual,
        residual_uncentred=uncentred,
        position=None if image_coords is None else weights @ image_coords[rows],
        emotion=None if image_emotions is None else _mix(weights, image_emotions[rows]),
        fit=fit,
    )


def _mix(weights: np.ndarray, distributions: np.ndarray) -> np.ndarray:
    # Negative LLE weights can push a mix below zero; clip and renormalise to a distribution.
    mixed = np.clip(weights @ distributions, 0, None)
    total = mixed.sum()
    return (
        mixed / total if total > 0 else np.full(distributions.shape[1], 1 / distributions.shape[1])
    )


# --- steering -----------------------------------------------------------------------------


@dataclass
class SteeringStep:
    alpha: float
    nearest: int  # index of the nearest image to the steered vector
    similarity: float
    position: np.ndarray | None
    target_probability: float


def steer(
    image_vector: np.ndarray,
    source_direction: np.ndarray,
    target_direction: np.ndarray,
    image_vectors: np.ndarray,
    *,
    label_vectors: np.ndarray,
    target_index: int,
    logit_scale: float,
    alphas: np.ndarray | None = None,
    place: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[SteeringStep]:
    """Follow ``image + α·(target − source)`` for each α: nearest image, map point, p(target).

    ``place`` maps vectors of shape (n, dim) to map coordinates (e.g. ``Projector.transform``).
    """
    direction = target_direction - source_direction
    steps = []
    for alpha in np.linspace(0, 1, 11) if alphas is None else alphas:
        moved = unit(image_vector + alpha * direction)
        similarities = image_vectors @ moved
        nearest = int(similarities.argmax())
        probability = zero_shot(moved[None], label_vectors, logit_scale)[0, target_index]
        position = None if place is None else np.asarray(place(moved[None]))[0]
        steps.append(
            SteeringStep(
                float(alpha), nearest, float(similarities[nearest]), position, float(probability)
            )
        )
    return steps


# --- one view of a sentence's transfer ---------------------------------------------------


def fit_image_map(
    image_vectors: np.ndarray,
    *,
    k: int = BOARD_K,
    reg: float = REG,
    n_components: int = 2,
    auto_k: bool = False,
):
    """The images' own LLE map: standard LLE of the centred images (the space placement
    uses). With the placement's k and reg, a placed text's position is exactly the map's
    out-of-sample ``transform``; ``auto_k`` lets the map raise k where the pictures'
    neighbour graph falls apart (a gallery of emoji and photographs folds to a few dots at
    k = 8), and :func:`transfer_view` then places the text by that map's own transform."""
    return Projector(
        method="lle", n_components=n_components, n_neighbors=k, reg=reg, auto_k=auto_k
    ).fit(center(image_vectors))


def spread(coords: np.ndarray, decimals: int = 2) -> float:
    """Share of distinct positions on a map scaled to the unit box (1.0: none overlap):
    :func:`core.projection.distinct_spots` over all the points.

    LLE folds each unconnected cluster of its neighbour graph into one point, so a map of a
    collection in a few clusters (emoji designs, photographs) can put 232 pictures on 3."""
    return distinct_spots(coords, decimals) / max(len(coords), 1)


def fit_legible_image_map(
    image_vectors: np.ndarray, ladder=(12, 20, 25, 30, 40), *, least_spread: float = 0.5
):
    """:func:`fit_image_map` with the smallest k of ``ladder`` whose map spreads the
    pictures out (:func:`spread` at least ``least_spread``), else the most spread one.
    For a live map shown to a room, where 200 pictures on three dots teach nothing."""
    best = None
    for k in ladder:
        if k >= len(image_vectors):
            break
        fitted = fit_image_map(image_vectors, k=k)
        score = spread(fitted.embedding_)
        if best is None or score > best[0]:
            best = (score, fitted)
        if score >= least_spread:
            break
    if best is None:  # fewer pictures than the ladder's first k
        return fit_image_map(image_vectors, k=max(2, len(image_vectors) - 2))
    return best[1]


@dataclass
class TransferView:
    """Everything the Transfer page, the Atlas star, ``python -m core place`` and the
    benchmarks show of one text among a collection's images, from one computation.

    Attributes
    ----------
    text_probs : ndarray of shape (n_labels,), the text's own zero-shot emotions
    image_probs : ndarray of shape (n_images, n_labels), the images' zero-shot emotions
    placement : Placement, with ``position`` on :attr:`coords` and the borrowed ``emotion``
    image_map : fitted Projector of the centred images (see :func:`fit_image_map`)
    coords : ndarray of shape (n_images, n_components), the images' map
    """

    text_probs: np.ndarray
    image_probs: np.ndarray
    placement: Placement
    image_map: object
    coords: np.ndarray
    image_mean: np.ndarray

    @property
    def coords_with_text(self) -> np.ndarray:
        """The images' map with the text's placed position as one more (last) row."""
        return np.vstack([self.coords, self.placement.position[None]])

    @staticmethod
    def path_positions(steps: list[SteeringStep]) -> np.ndarray:
        """The map points of a steering path, shape (n_steps, n_components)."""
        return np.array([step.position for step in steps])

    def steering(
        self,
        row: int,
        target_index: int,
        image_vectors: np.ndarray,
        label_vectors: np.ndarray,
        logit_scale: float,
    ) -> list[SteeringStep]:
        """The steering path of image ``row`` towards label ``target_index`` on this map."""
        source_index = int(self.image_probs[row].argmax())
        return steer(
            image_vectors[row],
            label_vectors[source_index],
            label_vectors[target_index],
            image_vectors,
            label_vectors=label_vectors,
            target_index=target_index,
            logit_scale=logit_scale,
            place=lambda v: self.image_map.transform(unit(v - self.image_mean)),
        )


def transfer_view(
    text_vector: np.ndarray,
    image_vectors: np.ndarray,
    *,
    label_vectors: np.ndarray,
    logit_scale: float,
    text_center: np.ndarray,
    k: int = BOARD_K,
    reg: float = REG,
    image_map=None,
) -> TransferView:
    """Place one text among images and return every figure's numbers (see TransferView).

    ``text_center`` is the centre of a fixed bank of texts (the label set's prompts,
    :func:`core.emotions.prompt_bank_center`), never the mean of the texts at hand: one
    sentence centred on its own mean would become the zero vector. ``image_map`` is a map
    from :func:`fit_image_map` with the same ``reg`` (fitted here, with ``auto_k``, when
    omitted). The mood board always uses ``k``; the text's position is the map's own
    out-of-sample transform (the board's weights exactly, when the map's k is ``k``).

    Raises
    ------
    ValueError
        If k is not below the number of images, or the map was fitted with another reg.
    """
    if image_map is None:
        image_map = fit_image_map(image_vectors, k=k, reg=reg, auto_k=True)
    elif image_map.reg != reg:
        raise ValueError(
            f"The image map was fitted with reg = {image_map.reg}; placement asked for {reg}."
        )
    same_k = getattr(image_map, "n_neighbors_", image_map.n_neighbors) == k
    image_probs = zero_shot(image_vectors, label_vectors, logit_scale)
    placement = place_text(
        text_vector,
        image_vectors,
        text_center=text_center,
        k=k,
        reg=reg,
        image_coords=image_map.embedding_ if same_k else None,
        image_emotions=image_probs,
    )
    if not same_k:
        placement.position = image_map.transform(unit(text_vector - text_center)[None])[0]
    return TransferView(
        text_probs=zero_shot(text_vector[None], label_vectors, logit_scale)[0],
        image_probs=image_probs,
        placement=placement,
        image_map=image_map,
        coords=image_map.embedding_,
        image_mean=image_vectors.mean(axis=0),
    )


def transfer_views(
    text_vectors: np.ndarray,
    image_vectors: np.ndarray,
    encoder: ClipEncoder,
    label_set,
    *,
    k: int = BOARD_K,
    reg: float = REG,
) -> tuple[np.ndarray, list[TransferView]]:
    """(label vectors, one :func:`transfer_view` per text) for many texts at once: the
    label vectors, the prompt-bank centre and the image map are computed once."""
    from core.emotions import label_vectors, prompt_bank_center

    labels = label_vectors(encoder, label_set)
    centre = prompt_bank_center(encoder, label_set)
    image_map = fit_image_map(image_vectors, k=k, reg=reg, auto_k=True)
    views = [
        transfer_view(
            vector,
            image_vectors,
            label_vectors=labels,
            logit_scale=encoder.logit_scale,
            text_center=centre,
            k=k,
            reg=reg,
            image_map=image_map,
        )
        for vector in text_vectors
    ]
    return labels, views
