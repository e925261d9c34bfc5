"""CPU inference variants of an encoder, measured against fp32 by ``benchmarks/run.py``.

Each variant changes only how vectors are computed for embedding; the encoder's own
``model`` stays the fp32 model (the colour transfer needs its gradients). A variant's
vectors differ slightly from fp32, so it gets its own model id (``pocket#…+bf16``) and
never shares cache entries with fp32.

Variants
--------
fp32
    The model as loaded.
channels_last
    Convolution weights and input in NHWC memory layout (helps convolutional towers).
bf16
    ``torch.autocast`` to bfloat16 for both towers.
compile
    ``torch.compile`` (inductor) of both towers; the first batches pay the compilation.
onnx
    The image tower exported to ONNX and run by ONNX Runtime (texts stay on PyTorch);
    needs the ``onnxruntime`` and ``onnxscript`` packages.

A dynamic int8 variant was offered until December 2026. It was built on
``torch.ao.quantization``, which PyTorch deprecates and will remove; its supported successor
(torchao) was not measured on these CPUs, so the option was dropped rather than moved.

Every variant is offered because every one agreed with fp32 (mean cosine ≥ 0.99 for
images and texts of the pocket model and of ViT-B-32 at random init; ``benchmarks/RESULTS.md``,
"CPU speed-ups"). Which one is fastest depends on the model, so ``"auto"`` picks per preset
from those measurements: :data:`MEASURED_DEFAULTS`.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from core.encoders import ClipEncoder

VARIANTS = ("fp32", "channels_last", "bf16", "compile", "onnx")
# What "auto" means on a CPU, by preset, from benchmarks/RESULTS.md. The pocket model:
# bf16 was 1.5x (images) and 1.2x (texts) fp32 with a cosine of 0.99997, on trained
# weights; it needs bfloat16 instructions (AVX-512 BF16 or AMX), else fp32 stays.
# ViT-B-32 is not here: no variant was measured on its pretrained weights.
MEASURED_DEFAULTS = {"pocket": "bf16"}


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = set(handle.read().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def resolve_speedup(choice: str, device: str = "cpu", preset: str | None = None) -> str:
    """What ``"auto"`` means for ``preset`` on ``device``; other names are checked.

    ``$EMOTION_ATLAS_SPEEDUP`` overrides ``"auto"`` (for instance ``fp32`` to switch the
    default off, or ``channels_last``).
    """
    if choice == "auto":
        choice = os.environ.get("EMOTION_ATLAS_SPEEDUP", "auto")
    if choice == "auto":
        best = MEASURED_DEFAULTS.get(preset or "", "fp32") if device == "cpu" else "fp32"
        return best if best != "bf16" or cpu_has_bf16() else "fp32"
    if choice not in VARIANTS:
        raise ValueError(f"Unknown speed-up {choice!r}; choose one of auto, {', '.join(VARIANTS)}.")
    return choice


class SpeedupUnavailable(RuntimeError):
    """The variant cannot run here (a missing package, an export failure); says why."""


def _autocast(forward, dtype: torch.dtype):
    import torch

    def run(inputs: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=dtype):
            return forward(inputs)

    return run


def _channels_last(encoder: ClipEncoder) -> dict:
    import torch

    visual = encoder.model.visual.to(memory_format=torch.channels_last)  # in place, same values

    def run(pixels: torch.Tensor) -> torch.Tensor:
        return visual(pixels.contiguous(memory_format=torch.channels_last))

    return {"image_forward": run}


def _compile(encoder: ClipEncoder) -> dict:
    import torch

    visual = torch.compile(encoder.model.visual, dynamic=True)
    tokens_forward = torch.compile(encoder.encode_tokens, dynamic=True)
    return {"image_forward": visual, "text_forward": tokens_forward}


def unavailable_reason(variant: str) -> None:
    """Raise :class:`SpeedupUnavailable` when ``variant`` needs a package that is missing."""
    import importlib.util

    if variant == "onnx" and importlib.util.find_spec("onnxruntime") is None:
        raise SpeedupUnavailable("needs the onnxruntime package: pip install onnxruntime")


def _onnx(encoder: ClipEncoder) -> dict:
    import torch

    unavailable_reason("onnx")
    import onnxruntime

    size = encoder.image_size
    example = torch.zeros(2, 3, size, size)
    buffer = io.BytesIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            torch.onnx.export(
                encoder.model.visual,
                (example,),
                buffer,
                input_names=["pixels"],
                output_names=["features"],
                dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}},
                dynamo=False,
            )
    except Exception as error:  # the exporter raises many kinds; all mean "not exportable"
        raise SpeedupUnavailable(f"ONNX export failed ({type(error).__name__}: {error})") from error
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(
        buffer.getvalue(), options, providers=["CPUExecutionProvider"]
    )

    def run(pixels: torch.Tensor) -> torch.Tensor:
        (features,) = session.run(None, {"pixels": pixels.float().contiguous().numpy()})
        return torch.from_numpy(features)

    return {"image_forward": run}


def with_speedup(encoder: ClipEncoder, variant: str) -> ClipEncoder:
    """A copy of ``encoder`` that embeds with ``variant`` (see the module notes).

    Raises
    ------
    ValueError
        Unknown variant, or a variant for CPU asked of a model on another device.
    SpeedupUnavailable
        The variant cannot be built here; the message says why.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown speed-up {variant!r}; choose one of {', '.join(VARIANTS)}.")
    if variant == encoder.speedup:
        return encoder
    if encoder.speedup != "fp32":
        raise ValueError(f"{encoder.model_id} already runs as {encoder.speedup}; load it again.")
    if variant == "fp32":
        return encoder
    if encoder.device != "cpu":
        raise ValueError(f"The speed-ups are CPU variants; this model is on {encoder.device}.")
    at_variant = getattr(encoder, "at_variant", None)
    if at_variant is not None:  # the pocket model: its image tower loads later, as variant
        return at_variant(variant)
    import torch

    if variant == "bf16":
        parts = {
            "image_forward": _autocast(encoder.model.encode_image, torch.bfloat16),
            "text_forward": _autocast(encoder.encode_tokens, torch.bfloat16),
        }
    else:
        parts = {
            "channels_last": _channels_last,
            "compile": _compile,
            "onnx": _onnx,
        }[variant](encoder)
    return replace(encoder, model_id=f"{encoder.model_id}+{variant}", speedup=variant, **parts)
