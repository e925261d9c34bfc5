"""CLIP-style encoders behind one interface: images and texts in, unit vectors out.

Every model, from the bundled pocket model to a pretrained ViT-B/16, is loaded through
open_clip's own code and wrapped in :class:`ClipEncoder`, so callers never care which
model they hold. Weights are read only through safetensors or
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import open_clip
import torch
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image

from core.registry import (
    HF_CONFIG_FILE,
    ModelSpec,
    ModelUnavailableError,
    check_availability,
    hf_cache_dir,
    hf_text_tower,
    hub_location,
    is_lit_folder,
    resolve_model,
)

ProgressCallback = Callable[[int, int], None]

log = logging.getLogger(__name__)


def configure_cpu_threads() -> int:
    """Use every core this process may run on, unless the user chose a number already.

    torch defaults to the physical core count of the whole machine, which oversubscribes a
    container limited to fewer CPUs. Returns the thread count in effect.
    """
    if "OMP_NUM_THREADS" not in os.environ and hasattr(os, "sched_getaffinity"):
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    return torch.get_num_threads()


@dataclass
class ClipEncoder:
    """A loaded CLIP-style model: ``encode_images`` and ``encode_texts`` give unit vectors.

    Attributes
    ----------
    model_id : str
        Names the model *and its weights* (file hash for local checkpoints); embedding
        caches are keyed by it.
    model : torch.nn.Module
        The open_clip model, in eval mode.
    preprocess : callable
        PIL image -> float tensor of shape (3, H, W), the model's own transform.
    tokenizer : callable
        list of str -> int tensor of shape (n, context_length).
    """

    model_id: str
    model: torch.nn.Module
    preprocess: Callable[[Image.Image], torch.Tensor]
    tokenizer: Callable[[Sequence[str]], torch.Tensor]
    spec: ModelSpec | None = None
    device: str = "cpu"
    speedup: str = "fp32"
    image_forward: Callable[[torch.Tensor], torch.Tensor] | None = None
    text_forward: Callable[[torch.Tensor], torch.Tensor] | None = None

    @cached_property
    def dim(self) -> int:
        """Length of the embedding vectors (asked once: ``_batched`` needs it per call)."""
        projection = getattr(self.model, "text_projection", None)
        if isinstance(projection, torch.Tensor):
            return int(projection.shape[1])
        with torch.inference_mode():
            return int(self.model.encode_text(self.tokenizer(["a"]).to(self.device)).shape[-1])

    @property
    def logit_scale(self) -> float:
        """The learned temperature, already exponentiated (about 100 for trained CLIP)."""
        return float(self.model.logit_scale.detach().exp().clamp(max=100).item())

    @property
    def context_length(self) -> int:
        """Number of tokens per text, start and end markers included."""
        return int(getattr(self.tokenizer, "context_length", 77))

    @property
    def image_size(self) -> int:
        size = getattr(self.model.visual, "image_size", 224)
        return int(size[0] if isinstance(size, (tuple, list)) else size)

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` needs including the start/end markers (before truncation)."""
        inner = getattr(self.tokenizer, "tokenizer", None)  # open_clip's HFTokenizer
        if inner is not None:
            return len(inner(text)["input_ids"])
        return len(self.tokenizer.encode(text)) + 2

    def encode_pixels(self, pixels: torch.Tensor) -> np.ndarray:
        """Embed a preprocessed batch of shape (n, 3, H, W); returns float32 (n, dim).

        Runs the :attr:`speedup` variant's image tower when one is set (see
        :mod:`core.speedups`); ``self.model`` itself always stays the fp32 model, which the
        transfer's gradients need.
        """
        with torch.inference_mode():
            pixels = pixels.to(self.device)
            if self.image_forward is not None:
                features = torch.nn.functional.normalize(self.image_forward(pixels).float(), dim=-1)
            else:
                features = self.model.encode_image(pixels, normalize=True)
        return features.float().cpu().numpy()

    def encode_images(
        self,
        images: Sequence[Image.Image],
        *,
        batch_size: int = 32,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed RGB PIL images.

        Returns
        -------
        ndarray of shape (n_images, dim), float32, each row of unit length.
        """
        return self._batched(
            images,
            lambda chunk: self.encode_pixels(torch.stack([self.preprocess(im) for im in chunk])),
            batch_size,
            progress,
        )

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed texts; longer ones are truncated to :attr:`context_length` tokens.

        Returns
        -------
        ndarray of shape (n_texts, dim), float32, each row of unit length.
        """

        def encode(chunk: Sequence[str]) -> np.ndarray:
            with torch.inference_mode():
                tokens = self.tokenizer(list(chunk)).to(self.device)
                forward = self.text_forward or self.encode_tokens
                features = torch.nn.functional.normalize(forward(tokens).float(), dim=-1)
                return features.cpu().numpy()

        return self._batched(texts, encode, batch_size, progress)

    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Unit text vectors of token ids (n, context_length).

        For open_clip's own causal text tower with end-of-text pooling, the padding after
        the longest text of the batch cannot change any vector (no position attends to
        later ones), so it is cut off first: short sentences, the usual case, cost a
        fraction of the full context. Other towers run unchanged.
        """
        model = self.model
        if not _can_trim_padding(model, self.tokenizer):
            return model.encode_text(tokens, normalize=True)
        length = max(1, int((tokens != 0).sum(dim=1).max()))
        tokens = tokens[:, :length]
        try:
            cast_dtype = model.transformer.get_cast_dtype()
        except AttributeError:  # dynamic int8 layers hold no float weight to ask
            cast_dtype = model.token_embedding.weight.dtype
        x = model.token_embedding(tokens).to(cast_dtype)
        x = x + model.positional_embedding[:length].to(cast_dtype)
        x = model.transformer(x, attn_mask=model.attn_mask[:length, :length])
        x = model.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
        x = (
            model.text_projection(x)
            if isinstance(model.text_projection, torch.nn.Linear)
            else (x @ model.text_projection)
        )
        return torch.nn.functional.normalize(x, dim=-1)

    def _batched(self, items, encode, batch_size, progress) -> np.ndarray:
        total = len(items)
        parts = [np.zeros((0, self.dim), dtype=np.float32)]
        for start in range(0, total, batch_size):
            parts.append(encode(items[start : start + batch_size]))
            if progress is not None:
                progress(min(start + batch_size, total), total)
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def _can_trim_padding(model: torch.nn.Module, tokenizer) -> bool:
    from open_clip.model import CLIP
    from open_clip.tokenizer import SimpleTokenizer

    return (
        type(model) is CLIP
        and getattr(model, "text_pool_type", None) == "argmax"
        and getattr(model, "attn_mask", None) is not None
        and isinstance(tokenizer, SimpleTokenizer)  # pads with id 0, ends with the top id
    )


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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
            raise ModelUnavailableError(f"{spec.name}: {availability.detail}")
        download_weights(spec)
        availability = check_availability(spec)
    if device == "cpu":
        configure_cpu_threads()

    if spec.source in {"bundled", "local-dir"} and is_lit_folder(spec.path):
        from core.pocket.lit import load_lit  # the LiT pocket model: frozen sentence encoder

        encoder = load_lit(spec.path, name=spec.name, device=device)
        encoder.spec = spec
    else:
        encoder = _load_open_clip(spec, availability, device)
    from core.speedups import resolve_speedup, with_speedup

    return with_speedup(encoder, resolve_speedup(speedup, device, spec.name))


def _load_open_clip(spec: ModelSpec, availability, device: str) -> ClipEncoder:
    """Every model that is not a LiT pocket folder loads through open_clip's own code."""
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
                f"{spec.name}: could not load {checkpoint.name} into {spec.arch} ({error}). "
                "Check that the file is an open_clip checkpoint of this architecture."
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
        raise ModelUnavailableError(f"{spec.name} has no Hugging Face hub location to download.")
    if not hub_reachable():
        raise ModelUnavailableError(
            f"Could not download {spec.name}: the Hugging Face hub cannot be reached from this "
            "machine. Connect to the internet and try again, or use the bundled `pocket` model."
        )
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
        f"Could not download {spec.name} from the Hugging Face hub ({'; '.join(errors)}). "
        "Check the internet connection, or use the bundled `pocket` model offline."
    )


def _download_text_tower(spec: ModelSpec) -> None:
    """Multilingual models build their text tower from a Hugging Face transformers model."""
    name = hf_text_tower(spec)
    if not name:
        return
    try:
        import transformers
    except ImportError:
        raise ModelUnavailableError(
            f"{spec.name} needs the `transformers` package: pip install transformers"
        ) from None
    transformers.AutoConfig.from_pretrained(name, cache_dir=hf_cache_dir())
    transformers.AutoTokenizer.from_pretrained(name, cache_dir=hf_cache_dir())


def save_local_dir(encoder: ClipEncoder, folder: Path, model_cfg: dict) -> Path:
    """Write ``encoder`` as an open_clip ``local-dir:`` folder (config + safetensors).

    Returns the checkpoint path. The folder then loads with ``load_encoder("local-dir:...")``.
    """
    import json

    from safetensors.torch import save_file

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
