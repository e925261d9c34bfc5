"""Changing the pixels: a picture re-coloured toward an emotion (DESIGN.md, "transfer").

* :func:`grade_colours` optimises a global colour grade (exposure, contrast, saturation,
  hue, warmth, vignette, a tone curve, faded blacks and split toning of shadows and
  highlights) by the encoder's own gradient toward the target label, keeping the result's
  similarity to the source above a floor.
* :func:`reinhard_transfer` moves the picture's Lab statistics toward those of a mood board
  (the sentence's nearest pictures, weighted as :func:`core.transfer.place_text` weighs them).

Both report Emo-S (target probability after − before) and CLIP-I (source/result cosine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from core.defaults import BAND_ROWS, MAX_RESULT_PIXELS
from core.emotions import zero_shot
from core.encoders import ClipEncoder

GRADE_PARAMETERS = (
    "exposure",
    "contrast",
    "saturation",
    "hue",
    "warmth",
    "vignette",
    "gamma",
    "fade",
    "shadow_i",
    "shadow_q",
    "highlight_i",
    "highlight_q",
)
GRADE_LIMITS = {
    "exposure": 1.0,  # stops
    "contrast": 0.6,
    "saturation": 0.8,
    "hue": 0.6,  # radians
    "warmth": 0.5,
    "vignette": 0.6,
    "gamma": 0.5,  # tone curve: out = in ** 2**gamma (darker midtones above 0)
    "fade": 0.15,  # blacks lifted to this level (a matte, faded look)
    # split toning: a tint of the shadows and of the highlights, in YIQ's two chroma axes
    "shadow_i": 0.15,
    "shadow_q": 0.15,
    "highlight_i": 0.15,
    "highlight_q": 0.15,
}
CONTENT_FLOOR = 0.80  # the least similarity to the source a grade may keep (CLIP-I)


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


def apply_grade(
    rgb: torch.Tensor,
    params: dict[str, torch.Tensor],
    *,
    mean: torch.Tensor | None = None,
    rows: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Apply the six global adjustments to images of shape (n, 3, H, W) in [0, 1].

    Every step is differentiable in the parameters and independent of resolution, so
    values found at model resolution apply unchanged to the full-size picture. To grade a
    large picture band by band, pass the whole picture's ``mean`` luminance after exposure
    and warmth (:func:`_graded_mean`) and ``rows = (first row, total height)`` of the band.
    """
    out = rgb * torch.pow(2.0, params["exposure"])
    out = out * _warmth(params["warmth"])
    if mean is None:
        mean = _luminance(out).mean(dim=(2, 3), keepdim=True)
    out = (out - mean) * (1 + params["contrast"]) + mean
    grey = _luminance(out)
    out = grey + (out - grey) * (1 + params["saturation"])
    out = _rotate_hue(out, params["hue"])
    height, width = out.shape[-2:]
    first, total = rows or (0, height)
    ys = torch.linspace(-1, 1, total, dtype=out.dtype)[first : first + height].view(1, 1, height, 1)
    xs = torch.linspace(-1, 1, width, dtype=out.dtype).view(1, 1, 1, width)
    out = out * (1 - params["vignette"] * (xs**2 + ys**2) / 2)
    lit = out.clamp(0, 1)  # the tone curve leaves black black (and zero an exact identity)
    out = torch.where(lit > 0, lit.clamp(min=1e-4) ** torch.pow(2.0, params["gamma"]), lit)
    out = params["fade"].clamp(min=0) + out * (1 - params["fade"].abs())
    return _split_tone(out, params).clamp(0, 1)


def _split_tone(rgb: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Tint the shadows and the highlights (weighted by luminance) in YIQ's chroma plane."""
    yiq = torch.einsum("ij,njhw->nihw", _TO_YIQ.to(rgb.dtype), rgb)
    y = yiq[:, :1]
    i = yiq[:, 1:2] + params["shadow_i"] * (1 - y) + params["highlight_i"] * y
    q = yiq[:, 2:3] + params["shadow_q"] * (1 - y) + params["highlight_q"] * y
    return torch.einsum(
        "ij,njhw->nihw", torch.linalg.inv(_TO_YIQ).to(rgb.dtype), torch.cat([y, i, q], dim=1)
    )


_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=torch.float32
)


def _warmth(warmth: torch.Tensor) -> torch.Tensor:
    return torch.stack([1 + 0.25 * warmth, torch.ones_like(warmth), 1 - 0.25 * warmth]).view(
        1, 3, 1, 1
    )


def _graded_mean(channel_means: np.ndarray, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """The mean luminance after exposure and warmth, from the picture's channel means
    (exact: both steps and the luminance are linear)."""
    means = torch.tensor(channel_means, dtype=torch.float32).view(1, 3, 1, 1)
    return _luminance(means * torch.pow(2.0, params["exposure"]) * _warmth(params["warmth"]))


def working_picture(picture: Image.Image) -> Image.Image:
    """``picture`` in RGB, scaled down to at most :data:`~core.defaults.MAX_RESULT_PIXELS`:
    what a pixel transfer returns, so that its memory stays bounded on any accepted input."""
    pixels = picture.width * picture.height
    if pixels > MAX_RESULT_PIXELS:  # scaled before any copy in another mode is made
        scale = (MAX_RESULT_PIXELS / pixels) ** 0.5
        size = (max(1, int(picture.width * scale)), max(1, int(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return picture if picture.mode == "RGB" else picture.convert("RGB")


def _bands(height: int):
    """Row ranges of at most :data:`BAND_ROWS` rows covering ``height``."""
    for first in range(0, height, BAND_ROWS):
        yield first, min(height, first + BAND_ROWS)


def _channel_means(array: np.ndarray) -> np.ndarray:
    """Per-channel means of an (H, W, 3) uint8 array in [0, 1], summed band by band."""
    total = np.zeros(3)
    for first, last in _bands(len(array)):
        total += array[first:last].reshape(-1, 3).sum(axis=0, dtype=np.float64)
    return total / (array.shape[0] * array.shape[1] * 255.0)


def grade_picture(picture: Image.Image, params: dict[str, torch.Tensor]) -> Image.Image:
    """:func:`apply_grade` on a whole picture, band by band in float32 (bounded memory)."""
    source = np.asarray(working_picture(picture))
    mean = _graded_mean(_channel_means(source), params)
    result = np.empty_like(source)
    with torch.no_grad():
        for first, last in _bands(len(source)):
            band = torch.from_numpy(source[first:last].astype(np.float32) / 255.0)
            graded = apply_grade(
                band.permute(2, 0, 1).unsqueeze(0), params, mean=mean, rows=(first, len(source))
            )
            result[first:last] = (graded[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255)
    return Image.fromarray(result, "RGB")


def _rotate_hue(rgb: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    # Rotate chroma in YIQ space: luminance stays, hue turns by ``angle`` radians.
    to_yiq = _TO_YIQ.to(rgb.dtype)
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


def _reduced(picture: Image.Image, side: int) -> Image.Image:
    """A copy whose shorter side is about ``side`` pixels (never larger than the picture)."""
    scale = side / max(1, min(picture.size))
    if scale >= 1:
        return picture
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.convert("RGB").resize(size, Image.Resampling.BILINEAR)


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
    learning_rate: float = 0.1,
    content_floor: float = CONTENT_FLOOR,
    progress: Callable[[int, int], None] | None = None,
) -> PixelTransfer:
    """Optimise the grade's parameters (:data:`GRADE_PARAMETERS`) so the picture reads as
    the target emotion while it stays like itself.

    The loss is ``−log p(target) + 10 s · max(0, content_floor − cos(source, result))²``,
    computed by the frozen image tower at model resolution, where ``s`` is the model's
    logit scale (the emotion term's gradient grows with it; the pocket model learned
    s ≈ 20, CLIP has 100): the emotion pulls until the
    result's similarity to the source (CLIP-I) reaches ``content_floor``, where the
    penalty pushes back. The penalty is soft, so the grade found is then weakened, when
    needed, to the strongest fraction of it that keeps CLIP-I at the floor
    (:func:`_held_at_floor`). The parameters, bounded by ``tanh`` to
    :data:`GRADE_LIMITS`, are then applied to the full-size picture. Every step is
    global (the same curve for every pixel), so the edit can change light, colour and
    mood but never what the picture shows.
    """
    small = torch.nn.functional.interpolate(  # the optimisation sees a small copy only
        _centre_square(_to_tensor(_reduced(picture, encoder.image_size * 4))),
        size=(encoder.image_size * 2,) * 2,
        mode="bilinear",
        antialias=True,
    )
    labels = torch.from_numpy(label_vectors)
    source_vector = torch.from_numpy(_embed(encoder, picture))
    raw = {name: torch.zeros((), requires_grad=True) for name in GRADE_PARAMETERS}
    optimiser = torch.optim.Adam(list(raw.values()), lr=learning_rate)
    limits = {name: torch.tensor(limit) for name, limit in GRADE_LIMITS.items()}

    def bounded():
        return {name: limits[name] * torch.tanh(value) for name, value in raw.items()}

    for step in range(steps):
        graded = apply_grade(small, bounded())
        features = encoder.model.encode_image(_model_input(encoder, graded), normalize=True)[0]
        log_probs = torch.log_softmax(encoder.logit_scale * features @ labels.T, dim=0)
        shortfall = torch.relu(content_floor - features @ source_vector)
        loss = -log_probs[target_index] + 10 * encoder.logit_scale * shortfall**2
        gradients = torch.autograd.grad(loss, list(raw.values()))
        for value, gradient in zip(raw.values(), gradients, strict=True):
            value.grad = gradient
        optimiser.step()
        if progress is not None:
            progress(step + 1, steps)
    with torch.no_grad():
        params = _held_at_floor(encoder, picture, raw, limits, source_vector, content_floor)
    result = grade_picture(picture, params)
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


def _held_at_floor(encoder, picture, raw, limits, source_vector, floor, halvings: int = 6):
    """The optimised grade, or the strongest fraction of it whose result keeps CLIP-I at
    ``floor`` or above: the loss's penalty is soft, so the optimum can end below the floor.
    Checked on the model's own view of a small copy (the picture's shorter side twice the
    model's size): the full-size result the report embeds differs from it by resizing only.
    Fractions scale the raw parameters (0 is the identity grade), halved ``halvings``
    times."""
    check = _reduced(picture, encoder.image_size * 2)
    source = source_vector.numpy()

    def at(fraction: float):
        params = {name: limits[name] * torch.tanh(fraction * value) for name, value in raw.items()}
        return float(_embed(encoder, grade_picture(check, params)) @ source), params

    similarity, params = at(1.0)
    if similarity >= floor:
        return params
    low, high, kept = 0.0, 1.0, at(0.0)[1]
    for _ in range(halvings):
        middle = (low + high) / 2
        similarity, candidate = at(middle)
        if similarity >= floor:
            low, kept = middle, candidate
        else:
            high = middle
    return kept


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
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB values in [0, 1], shape (..., 3) → Lab (L in [0, 100])."""
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = linear @ _RGB_TO_XYZ.T.astype(rgb.dtype) / _WHITE.astype(rgb.dtype)
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_lab`, clipped to [0, 1]."""
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE.astype(lab.dtype)
    linear = xyz @ _XYZ_TO_RGB.T.astype(lab.dtype)
    linear = np.clip(linear, 0, 1)
    rgb = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.clip(rgb, 0, 1)


def lab_statistics(picture: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of a picture in Lab (band by band)."""
    return _lab_moments(np.asarray(working_picture(picture)))


def _lab_moments(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total, squares = np.zeros(3), np.zeros(3)
    for first, last in _bands(len(array)):
        lab = rgb_to_lab(array[first:last].astype(np.float32) / 255.0).reshape(-1, 3)
        total += lab.sum(axis=0, dtype=np.float64)
        squares += (lab.astype(np.float64) ** 2).sum(axis=0)
    count = array.shape[0] * array.shape[1]
    mean = total / count
    return mean, np.sqrt(np.maximum(squares / count - mean**2, 0)) + 1e-6


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
    source = np.asarray(working_picture(picture))
    mean, std = _lab_moments(source)
    scale = (target_std / std).astype(np.float32)
    shift = (target_mean - mean * target_std / std).astype(np.float32)
    result = np.empty_like(source)
    for first, last in _bands(len(source)):  # float32, band by band: bounded memory
        lab = rgb_to_lab(source[first:last].astype(np.float32) / 255.0)
        blended = (1 - strength) * lab + strength * (lab * scale + shift)
        result[first:last] = (lab_to_rgb(blended) * 255 + 0.5).clip(0, 255)
    result = Image.fromarray(result, "RGB")
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
