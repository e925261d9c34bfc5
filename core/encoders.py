"""One interface for CLIP-style encoders: images and texts in, unit vectors out.

:class:`ClipEncoder` wraps a loaded model, so callers never care which model they hold.
Loading, downloading and saving live in :mod:`core.models`, which composes this module,
:mod:`core.registry` and :mod:`core.speedups`; this module imports neither of the latter.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from PIL import Image

from core.cache import file_sha256  # noqa: F401 - where callers found it
from core.registry import (
    ModelSpec,
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

    def reading(self, text: str) -> str:
        """``text`` as this model's text tower reads it (the cache's key follows it)."""
        return text

    def token_ids(self, text: str) -> list[int]:
        """The model's token ids of ``text`` (padding dropped), for showing how it reads."""
        return [int(i) for i in self.tokenizer([text])[0] if i]

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
