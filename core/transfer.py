"""Text → image emotion transfer, in three senses (see DESIGN.md).

* :func:`place_text` writes a text as a locally linear combination of its k nearest images
  (after each modality is centred) and carries the images' map positions and emotions over.
* :func:`steer` moves an image along (target − source) emotion direction and follows the
  nearest images.
* :func:`grade_colours` and :func:`reinhard_transfer` change the pixels themselves; both
  report Emo-S (target probability after − before) and CLIP-I (source/result cosine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from core.emotions import zero_shot
from core.encoders import ClipEncoder

# --- placement ----------------------------------------------------------------------------


def barycentric_weights(point: np.ndarray, neighbours: np.ndarray, reg: float = 1e-3) -> np.ndarray:
    """Weights ``w`` (summing to 1) minimising ``|point − w @ neighbours|²``, regularised.

    Same rule as scikit-learn's LLE: the local Gram matrix gets ``reg · trace`` added to
    its diagonal, so the solution exists even when neighbours are collinear.

    Parameters
    ----------
    point : ndarray of shape (dim,)
    neighbours : ndarray of shape (k, dim)
    """
    offsets = neighbours - point
    gram = offsets @ offsets.T
    trace = np.trace(gram)
    gram.flat[:: len(gram) + 1] += reg * trace if trace > 0 else reg
    weights = np.linalg.solve(gram, np.ones(len(gram)))
    return weights / weights.sum()


@dataclass
class Placement:
    """Where a text lands among images, and the emotion it borrows from them.

    Attributes
    ----------
    neighbours : ndarray of shape (k,), indices of the nearest images (the mood board)
    weights : ndarray of shape (k,), barycentric weights, sum to 1 (some may be negative)
    residual : float, ``|text − Σ w·image|`` in the centred space (how well images explain it)
    residual_uncentred : float, the same without modality centering (shows the gap)
    position : ndarray of shape (n_components,) or None, the point on the images' map
    emotion : ndarray of shape (n_labels,) or None, the weights' mix of the images' emotions
    """

    neighbours: np.ndarray
    weights: np.ndarray
    residual: float
    residual_uncentred: float
    position: np.ndarray | None = None
    emotion: np.ndarray | None = None


def _nearest(point: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    distances = np.linalg.norm(vectors - point, axis=1)
    return np.argsort(distances, kind="stable")[:k]


def _residual(point, vectors, k, reg) -> tuple[np.ndarray, np.ndarray, float]:
    rows = _nearest(point, vectors, k)
    weights = barycentric_weights(point, vectors[rows], reg)
    return rows, weights, float(np.linalg.norm(point - weights @ vectors[rows]))


def place_text(
    text_vector: np.ndarray,
    image_vectors: np.ndarray,
    *,
    text_center: np.ndarray,
    k: int = 8,
    reg: float = 1e-3,
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
    centred_images = centre_images(image_vectors)
    centred_text = unit(text_vector - text_center)
    rows, weights, residual = _residual(centred_text, centred_images, k, reg)
    _, _, uncentred = _residual(unit(text_vector), image_vectors, k, reg)
    return Placement(
        neighbours=rows,
        weights=weights,
        residual=residual,
        residual_uncentred=uncentred,
        position=None if image_coords is None else weights @ image_coords[rows],
        emotion=None if image_emotions is None else _mix(weights, image_emotions[rows]),
    )


def _mix(weights: np.ndarray, distributions: np.ndarray) -> np.ndarray:
    # Negative LLE weights can push a mix below zero; clip and renormalise to a distribution.
    mixed = np.clip(weights @ distributions, 0, None)
    total = mixed.sum()
    return (
        mixed / total if total > 0 else np.full(distributions.shape[1], 1 / distributions.shape[1])
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def centre_images(image_vectors: np.ndarray) -> np.ndarray:
    """Image vectors centred on their mean and renormalised (the space placement uses)."""
    return unit(image_vectors - image_vectors.mean(axis=0))


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
    image_vectors: np.ndarray, *, k: int = 8, reg: float = 1e-3, n_components: int = 2
):
    """The images' own LLE map: standard LLE of the centred images (the space placement
    uses), with the same k and reg as the placement, so that a placed text's position is
    exactly the map's out-of-sample ``transform``."""
    from core.projection import Projector

    return Projector(method="lle", n_components=n_components, n_neighbors=k, reg=reg).fit(
        centre_images(image_vectors)
    )


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
    k: int = 8,
    reg: float = 1e-3,
    image_map=None,
) -> TransferView:
    """Place one text among images and return every figure's numbers (see TransferView).

    ``text_center`` is the centre of a fixed bank of texts (the label set's prompts,
    :func:`core.emotions.prompt_bank_center`), never the mean of the texts at hand: one
    sentence centred on its own mean would become the zero vector. ``image_map`` is a map
    from :func:`fit_image_map` with the same ``k`` and ``reg`` (fitted here when omitted).

    Raises
    ------
    ValueError
        If k is not below the number of images, or the map was fitted with another k.
    """
    if image_map is None:
        image_map = fit_image_map(image_vectors, k=k, reg=reg)
    elif (image_map.n_neighbors, image_map.reg) != (k, reg):
        raise ValueError(
            f"The image map was fitted with k = {image_map.n_neighbors}, reg = {image_map.reg}; "
            f"placement asked for k = {k}, reg = {reg}."
        )
    image_probs = zero_shot(image_vectors, label_vectors, logit_scale)
    placement = place_text(
        text_vector,
        image_vectors,
        text_center=text_center,
        k=k,
        reg=reg,
        image_coords=image_map.embedding_,
        image_emotions=image_probs,
    )
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
    k: int = 8,
    reg: float = 1e-3,
) -> tuple[np.ndarray, list[TransferView]]:
    """(label vectors, one :func:`transfer_view` per text) for many texts at once: the
    label vectors, the prompt-bank centre and the image map are computed once."""
    from core.emotions import label_vectors, prompt_bank_center

    labels = label_vectors(encoder, label_set)
    centre = prompt_bank_center(encoder, label_set)
    image_map = fit_image_map(image_vectors, k=k, reg=reg)
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


# --- pixel transfer -----------------------------------------------------------------------

GRADE_PARAMETERS = ("exposure", "contrast", "saturation", "hue", "warmth", "vignette")
GRADE_LIMITS = {
    "exposure": 1.0,  # stops
    "contrast": 0.6,
    "saturation": 0.8,
    "hue": 0.6,  # radians
    "warmth": 0.5,
    "vignette": 0.6,
}


@dataclass
class PixelTransfer:
    """A changed picture and how well it carries the target emotion."""

    image: Image.Image
    method: str
    target: str
    probability_before: float
    probability_after: float
    clip_i: float
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def emo_s(self) -> float:
        """Target probability after minus before (EmoEdit's Emo-S)."""
        return self.probability_after - self.probability_before


def _luminance(rgb: torch.Tensor) -> torch.Tensor:
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=rgb.dtype).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def apply_grade(rgb: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Apply the six global adjustments to images of shape (n, 3, H, W) in [0, 1].

    Every step is differentiable in the parameters and independent of resolution, so
    values found at model resolution apply unchanged to the full-size picture.
    """
    out = rgb * torch.pow(2.0, params["exposure"])
    warmth = params["warmth"]
    out = out * torch.stack([1 + 0.25 * warmth, torch.ones_like(warmth), 1 - 0.25 * warmth]).view(
        1, 3, 1, 1
    )
    mean = _luminance(out).mean(dim=(2, 3), keepdim=True)
    out = (out - mean) * (1 + params["contrast"]) + mean
    grey = _luminance(out)
    out = grey + (out - grey) * (1 + params["saturation"])
    out = _rotate_hue(out, params["hue"])
    height, width = out.shape[-2:]
    ys = torch.linspace(-1, 1, height, dtype=out.dtype).view(1, 1, height, 1)
    xs = torch.linspace(-1, 1, width, dtype=out.dtype).view(1, 1, 1, width)
    out = out * (1 - params["vignette"] * (xs**2 + ys**2) / 2)
    return out.clamp(0, 1)


def _rotate_hue(rgb: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    # Rotate chroma in YIQ space: luminance stays, hue turns by ``angle`` radians.
    to_yiq = torch.tensor(
        [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=rgb.dtype
    )
    from_yiq = torch.linalg.inv(to_yiq)
    cos, sin = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rotation = torch.stack(
        [
            torch.stack([one, zero, zero]),
            torch.stack([zero, cos, -sin]),
            torch.stack([zero, sin, cos]),
        ]
    )
    matrix = from_yiq @ rotation @ to_yiq
    return torch.einsum("ij,njhw->nihw", matrix, rgb)


def _to_tensor(picture: Image.Image) -> torch.Tensor:
    array = np.asarray(picture.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)


def _to_image(tensor: torch.Tensor) -> Image.Image:
    array = (tensor[0].permute(1, 2, 0).detach().numpy() * 255 + 0.5).clip(0, 255)
    return Image.fromarray(array.astype(np.uint8), "RGB")


def _centre_square(rgb: torch.Tensor) -> torch.Tensor:
    """The centre square of (n, 3, H, W): what the model's own transform looks at (shortest
    side, centre crop). Optimising a squashed whole picture would tune a view that the
    report, which embeds the result through that transform, never measures."""
    height, width = rgb.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return rgb[..., top : top + side, left : left + side]


def _model_input(encoder: ClipEncoder, rgb: torch.Tensor) -> torch.Tensor:
    """Resize to the model's resolution and normalise, keeping the graph for gradients."""
    from open_clip import get_model_preprocess_cfg

    cfg = get_model_preprocess_cfg(encoder.model)
    size = encoder.image_size
    resized = torch.nn.functional.interpolate(
        _centre_square(rgb), size=(size, size), mode="bilinear", align_corners=False, antialias=True
    )
    mean = torch.tensor(cfg["mean"], dtype=rgb.dtype).view(1, 3, 1, 1)
    std = torch.tensor(cfg["std"], dtype=rgb.dtype).view(1, 3, 1, 1)
    return (resized - mean) / std


def _embed(encoder: ClipEncoder, picture: Image.Image) -> np.ndarray:
    return encoder.encode_images([picture])[0]


def _probability(encoder, vector, label_vectors, target_index) -> float:
    return float(zero_shot(vector[None], label_vectors, encoder.logit_scale)[0, target_index])


def grade_colours(
    encoder: ClipEncoder,
    picture: Image.Image,
    label_vectors: np.ndarray,
    target_index: int,
    target_name: str,
    *,
    steps: int = 40,
    learning_rate: float = 0.08,
    content_weight: float = 7.5,
    progress: Callable[[int, int], None] | None = None,
) -> PixelTransfer:
    """Optimise six colour-grade parameters so the picture reads as the target emotion.

    The loss is ``−log p(target) + content_weight · (s / 100) · (1 − cos(source, result))``,
    computed by the frozen image tower at model resolution, where ``s`` is the model's
    logit scale: the emotion term's gradient grows with ``s``, so the content term is
    scaled with it (CLIP's s = 100 keeps ``content_weight`` as it is; the pocket model
    learned s ≈ 20). The parameters, bounded by ``tanh`` to :data:`GRADE_LIMITS`, are then
    applied to the full-size picture.
    """
    source = _to_tensor(picture)
    small = torch.nn.functional.interpolate(
        _centre_square(source), size=(encoder.image_size * 2,) * 2, mode="bilinear", antialias=True
    )
    labels = torch.from_numpy(label_vectors)
    source_vector = torch.from_numpy(_embed(encoder, picture))
    raw = {name: torch.zeros((), requires_grad=True) for name in GRADE_PARAMETERS}
    optimiser = torch.optim.Adam(list(raw.values()), lr=learning_rate)
    limits = {name: torch.tensor(limit) for name, limit in GRADE_LIMITS.items()}
    content = content_weight * encoder.logit_scale / 100

    def bounded():
        return {name: limits[name] * torch.tanh(value) for name, value in raw.items()}

    for step in range(steps):
        graded = apply_grade(small, bounded())
        features = encoder.model.encode_image(_model_input(encoder, graded), normalize=True)[0]
        log_probs = torch.log_softmax(encoder.logit_scale * features @ labels.T, dim=0)
        loss = -log_probs[target_index] + content * (1 - features @ source_vector)
        gradients = torch.autograd.grad(loss, list(raw.values()))
        for value, gradient in zip(raw.values(), gradients, strict=True):
            value.grad = gradient
        optimiser.step()
        if progress is not None:
            progress(step + 1, steps)
    with torch.no_grad():
        params = bounded()
        result = _to_image(apply_grade(source, params))
    return _report(
        encoder,
        picture,
        result,
        "colour grade",
        label_vectors,
        target_index,
        target_name,
        {k: round(float(v), 4) for k, v in params.items()},
        before=source_vector.numpy(),
    )


def _report(
    encoder, picture, result, method, label_vectors, target_index, target_name, params, before=None
):
    """Emo-S and CLIP-I of ``result``; ``before`` is the source's vector when already known."""
    before = _embed(encoder, picture) if before is None else before
    after = _embed(encoder, result)
    return PixelTransfer(
        image=result,
        method=method,
        target=target_name,
        probability_before=_probability(encoder, before, label_vectors, target_index),
        probability_after=_probability(encoder, after, label_vectors, target_index),
        clip_i=float(before @ after),
        parameters=params,
    )


# sRGB (D65) <-> CIE Lab, the colour space Reinhard et al. transfer statistics in.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB values in [0, 1], shape (..., 3) → Lab (L in [0, 100])."""
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    linear = xyz @ np.linalg.inv(_RGB_TO_XYZ).T
    linear = np.clip(linear, 0, 1)
    rgb = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.clip(rgb, 0, 1)


def lab_statistics(picture: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of a picture in Lab."""
    lab = rgb_to_lab(np.asarray(picture.convert("RGB"), dtype=np.float64) / 255.0).reshape(-1, 3)
    return lab.mean(axis=0), lab.std(axis=0) + 1e-6


def reinhard_transfer(
    encoder: ClipEncoder,
    picture: Image.Image,
    references: list[Image.Image],
    weights: np.ndarray,
    label_vectors: np.ndarray,
    target_index: int,
    target_name: str,
    *,
    strength: float = 0.8,
) -> PixelTransfer:
    """Give ``picture`` the Lab colour statistics of the (weighted) reference pictures.

    Reinhard et al. (2001): match each Lab channel's mean and standard deviation; the
    references are the mood board, weighted by their (positive) placement weights.
    ``strength`` blends between the original (0) and the full transfer (1).
    """
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0, None)
    weights = (
        weights / weights.sum()
        if weights.sum() > 0
        else np.full(len(references), 1 / len(references))
    )
    stats = [lab_statistics(reference) for reference in references]
    target_mean = sum(w * mean for w, (mean, _) in zip(weights, stats, strict=True))
    target_std = sum(w * std for w, (_, std) in zip(weights, stats, strict=True))
    lab = rgb_to_lab(np.asarray(picture.convert("RGB"), dtype=np.float64) / 255.0)
    mean, std = lab.reshape(-1, 3).mean(axis=0), lab.reshape(-1, 3).std(axis=0) + 1e-6
    moved = (lab - mean) / std * target_std + target_mean
    blended = (1 - strength) * lab + strength * moved
    result = Image.fromarray((lab_to_rgb(blended) * 255 + 0.5).astype(np.uint8), "RGB")
    return _report(
        encoder,
        picture,
        result,
        "reference (Reinhard)",
        label_vectors,
        target_index,
        target_name,
        {"strength": strength},
    )
