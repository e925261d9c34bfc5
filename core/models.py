"""Loading, downloading and saving models: names (:mod:`core.registry`) in, encoders out.

Every model, from the bundled pocket model to a pretrained ViT-B/16, is built by open_clip's
own code (or, for a LiT pocket folder, by :mod:`core.pocket.lit`), wrapped in
:class:`~core.encoders.ClipEncoder` and given its CPU speed-up (:mod:`core.speedups`).
Weights are read only through safetensors or ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.cache import file_sha256
from core.messages import Message, define
from core.registry import (
    HF_CONFIG_FILE,
    ModelSpec,
    ModelUnavailableError,
    check_availability,
    hf_cache_dir,
    hf_text_tower,
    hub_location,
    is_lit_folder,
    open_clip_module,
    resolve_model,
)

if TYPE_CHECKING:
    from core.encoders import ClipEncoder

define(
    {
        "model.unavailable": "{name}: {detail}",
        "model.checkpoint_incompatible": (
            "{name}: could not load {file} into {arch} ({error}). "
            "Check that the file is an open_clip checkpoint of this architecture."
        ),
        "model.no_hub_download": "{name} has no Hugging Face hub location to download.",
        "model.hub_unreachable": (
            "Could not download {name}: the Hugging Face hub cannot be reached from this "
            "machine. Connect to the internet and try again, or use the bundled `pocket` model."
        ),
        "model.download_failed": (
            "Could not download {name} from the Hugging Face hub ({errors}). "
            "Check the internet connection, or use the bundled `pocket` model offline."
        ),
        "model.needs_transformers": (
            "{name} needs the `transformers` package: pip install transformers"
        ),
    }
)


def load_encoder(
    name: str | ModelSpec,
    *,
    allow_download: bool = False,
    device: str = "cpu",
    speedup: str = "auto",
) -> ClipEncoder:
    """Build the model named ``name`` (see :mod:`core.registry`) and wrap it.

    Parameters
    ----------
    name : str or ModelSpec
        A model name such as ``"pocket"`` or ``"ViT-B-32/laion2b_s34b_b79k"``.
    allow_download : bool
        Fetch missing pretrained weights from the Hugging Face hub. Off by default: nothing
        is downloaded unless the user asked for it.

    Raises
    ------
    ValueError
        The name is not a model name (the message lists the presets).
    ModelUnavailableError
        The weights are not on this machine (and could not be downloaded); the message says
        what is missing and how to get it.

    ``speedup`` picks a CPU inference variant (:mod:`core.speedups`): ``"auto"`` takes the
    measured default for this model and CPU (overridable with ``$EMOTION_ATLAS_SPEEDUP``),
    ``"fp32"`` the model as it is.
    """
    spec = resolve_model(name) if isinstance(name, str) else name
    availability = check_availability(spec)
    if not availability.usable:
        if not (allow_download and availability.status == "download"):
            raise ModelUnavailableError(
                Message("model.unavailable", name=spec.name, detail=availability.detail)
            )
        download_weights(spec)
        availability = check_availability(spec)
    if spec.source in {"bundled", "local-dir"} and is_lit_folder(spec.path):
        # The LiT pocket model reads texts without torch; its image tower (and torch, and
        # the speed-up) load when a picture first needs it (core.pocket.encoder).
        from core.pocket.encoder import PocketEncoder

        return PocketEncoder(spec, device=device, speedup=speedup)
    from core.encoders import configure_cpu_threads
    from core.speedups import resolve_speedup, with_speedup

    if device == "cpu":
        configure_cpu_threads()
    encoder = _load_open_clip(spec, availability, device)
    return with_speedup(encoder, resolve_speedup(speedup, device, spec.name))


def _load_open_clip(spec: ModelSpec, availability, device: str) -> ClipEncoder:
    """Every model that is not a LiT pocket folder loads through open_clip's own code."""
    from core.encoders import ClipEncoder

    open_clip = open_clip_module()
    if spec.source in {"bundled", "local-dir", "hf-hub"}:
        arch = spec.arch
        if spec.source == "hf-hub":
            # Point open_clip at the cached folder so that it does not contact the hub.
            arch = f"local-dir:{availability.checkpoint.parent}"
        model, _, preprocess = open_clip.create_model_and_transforms(arch, device=device)
        tokenizer = open_clip.get_tokenizer(arch)
        model_id = f"{spec.name}#{file_sha256(availability.checkpoint)[:16]}"
    else:
        model, preprocess = _build_from_arch(spec, availability.checkpoint, device)
        tokenizer = open_clip.get_tokenizer(spec.arch, cache_dir=hf_cache_dir())
        model_id = spec.name
        if spec.source == "file":
            model_id = f"{spec.arch}@{file_sha256(availability.checkpoint)[:16]}"
    model.eval()
    return ClipEncoder(model_id, model, preprocess, tokenizer, spec=spec, device=device)


def _build_from_arch(spec: ModelSpec, checkpoint: Path | None, device: str):
    """Instantiate ``spec.arch`` and load ``checkpoint`` (strict) with the tag's preprocessing.

    open_clip skips a tag's preprocessing config (mean/std, quick_gelu) when it is given a
    file path; merging the tag's config here keeps a cached pretrained file identical to
    what ``pretrained=TAG`` would build.
    """
    import torch
    from open_clip.transform import PreprocessCfg, image_transform_v2

    open_clip = open_clip_module()
    tag_cfg = open_clip.get_pretrained_cfg(spec.arch, spec.tag) if spec.tag else {}
    preprocess_cfg = {
        k: tag_cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if k in tag_cfg
    }
    if spec.source == "random":
        torch.manual_seed(0)
    model = open_clip.create_model(
        spec.arch,
        pretrained=None,
        device=device,
        force_quick_gelu=bool(tag_cfg.get("quick_gelu", False)),
        force_preprocess_cfg=preprocess_cfg or None,
        pretrained_text=False,
        cache_dir=hf_cache_dir(),
    )
    if checkpoint is not None:
        try:
            open_clip.load_checkpoint(model, str(checkpoint), strict=True, weights_only=True)
        except Exception as error:
            raise ModelUnavailableError(
                Message(
                    "model.checkpoint_incompatible",
                    name=spec.name,
                    file=checkpoint.name,
                    arch=spec.arch,
                    error=str(error),
                )
            ) from error
    preprocess = image_transform_v2(
        PreprocessCfg(**open_clip.get_model_preprocess_cfg(model)), is_train=False
    )
    return model, preprocess


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (or the mirror in ``HF_ENDPOINT``) accepts a connection.

    Asked before a download so that an offline machine gets its answer in seconds, not
    after huggingface_hub's minute of retries.
    """
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    endpoint = urlparse(constants.ENDPOINT)
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        socket.create_connection((endpoint.hostname, port), timeout=timeout).close()
    except OSError:
        return False
    return True


def download_weights(spec: ModelSpec) -> Path:
    """Fetch the weights (and config) of a hub model into the Hugging Face cache."""
    from huggingface_hub import hf_hub_download

    repo_id, files = hub_location(spec)
    if not repo_id:
        raise ModelUnavailableError(Message("model.no_hub_download", name=spec.name))
    if not hub_reachable():
        raise ModelUnavailableError(Message("model.hub_unreachable", name=spec.name))
    errors = []
    for filename in files:
        try:
            path = Path(hf_hub_download(repo_id, filename, cache_dir=hf_cache_dir()))
        except Exception as error:  # network, auth or missing-file errors all read the same here
            errors.append(f"{filename}: {type(error).__name__}")
            continue
        if spec.source == "hf-hub":
            hf_hub_download(repo_id, HF_CONFIG_FILE, cache_dir=hf_cache_dir())
        _download_text_tower(spec)
        return path
    raise ModelUnavailableError(
        Message("model.download_failed", name=spec.name, errors="; ".join(errors))
    )


def _download_text_tower(spec: ModelSpec) -> None:
    """Multilingual models build their text tower from a Hugging Face transformers model."""
    name = hf_text_tower(spec)
    if not name:
        return
    try:
        import transformers
    except ImportError:
        raise ModelUnavailableError(Message("model.needs_transformers", name=spec.name)) from None
    transformers.AutoConfig.from_pretrained(name, cache_dir=hf_cache_dir())
    transformers.AutoTokenizer.from_pretrained(name, cache_dir=hf_cache_dir())


def save_local_dir(encoder: ClipEncoder, folder: Path, model_cfg: dict) -> Path:
    """Write ``encoder`` as an open_clip ``local-dir:`` folder (config + safetensors).

    Returns the checkpoint path. The folder then loads with ``load_encoder("local-dir:...")``.
    """
    import json

    from safetensors.torch import save_file

    open_clip = open_clip_module()
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "model_cfg": model_cfg,
        "preprocess_cfg": open_clip.get_model_preprocess_cfg(encoder.model),
    }
    (folder / HF_CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
    state = {k: v.detach().contiguous() for k, v in encoder.model.state_dict().items()}
    checkpoint = folder / "open_clip_model.safetensors"
    save_file(state, str(checkpoint))
    return checkpoint
