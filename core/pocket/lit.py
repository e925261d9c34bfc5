"""The LiT-style pocket model: a trained image tower and frozen pretrained text towers.

Zhai et al. (2022) lock a pretrained *image* tower and train the text tower against it
("locked-image tuning"). Here the text side is the one that is locked: a pretrained
multilingual sentence encoder (:mod:`core.pocket.towers`) reads the sentence, and a trained
linear projection per tower maps its vector into the joint space, where the image tower
(open_clip's ModifiedResNet, trained by this project) puts pictures.

Files (``assets/models/pocket``):

``pocket_config.json``
    ``embed_dim``, open_clip ``vision_cfg``, ``preprocess_cfg``, the towers with their input
    sizes and the order in which they are tried.
``pocket_model.safetensors``
    ``visual.*`` (fp16 on disk, fp32 in memory), ``heads.<tower>.weight``, ``logit_scale``.

:class:`LitEncoder` is a :class:`core.encoders.ClipEncoder` (same ``encode_images``,
``encode_texts``, ``model_id``, ``dim``, ``logit_scale``), so no caller knows the difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from open_clip.model import CLIPVisionCfg, _build_vision_tower
from open_clip.transform import PreprocessCfg, image_transform_v2

from core.encoders import ClipEncoder, ProgressCallback, file_sha256
from core.pocket.encoder import read_config
from core.pocket.towers import TOWERS, SentenceTower, choose_tower, load_tower
from core.registry import LIT_WEIGHTS_FILE
from core.texts import spell_emoji


class ResidualHead(torch.nn.Module):
    """A linear projection plus a small residual MLP, which starts at zero (so training
    begins from the plain linear projection of LiT and adds capacity only where it helps,
    e.g. telling apart near-identical emoji names)."""

    def __init__(self, dim: int, embed_dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(dim, embed_dim, bias=False)
        self.up = torch.nn.Linear(dim, hidden)
        self.down = torch.nn.Linear(hidden, embed_dim, bias=False)
        torch.nn.init.zeros_(self.down.weight)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features) + self.down(torch.nn.functional.gelu(self.up(features)))


def _head(kind: str, dim: int, embed_dim: int) -> torch.nn.Module:
    if kind == "linear":
        return torch.nn.Linear(dim, embed_dim, bias=False)
    if kind == "residual-mlp":
        return ResidualHead(dim, embed_dim)
    raise ValueError(f"Unknown projection head {kind!r}; use 'linear' or 'residual-mlp'.")


class LitModel(torch.nn.Module):
    """Image tower + one projection head per text tower + the learned temperature.

    ``encode_image`` has open_clip's signature, so the colour transfer's gradients and the
    CPU speed-ups use this model exactly as they use an open_clip ``CLIP``.
    """

    def __init__(
        self,
        embed_dim: int,
        vision_cfg: dict,
        tower_dims: dict[str, int],
        head: str = "linear",
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.visual = _build_vision_tower(embed_dim, CLIPVisionCfg(**vision_cfg))
        self.heads = torch.nn.ModuleDict(
            {name: _head(head, dim, embed_dim) for name, dim in tower_dims.items()}
        )
        self.logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, pixels: torch.Tensor, normalize: bool = False) -> torch.Tensor:
        features = self.visual(pixels)
        return torch.nn.functional.normalize(features, dim=-1) if normalize else features

    def project_text(
        self, features: torch.Tensor, tower: str, normalize: bool = True
    ) -> torch.Tensor:
        """Joint-space vectors of tower vectors ``features`` (n, tower dim)."""
        projected = self.heads[tower](features)
        return torch.nn.functional.normalize(projected, dim=-1) if normalize else projected


def build_model(config: dict) -> LitModel:
    dims = {name: TOWERS[name].dim for name in config["towers"]}
    model = LitModel(config["embed_dim"], config["vision_cfg"], dims, config.get("head", "linear"))
    # where open_clip.get_model_preprocess_cfg looks (the colour transfer's resize and norm)
    model.visual.preprocess_cfg = dict(config["preprocess_cfg"])
    return model


def load_state(model: LitModel, checkpoint: Path) -> None:
    """Strict load from safetensors (never a pickle); fp16 weights become fp32."""
    from safetensors.torch import load_file

    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(checkpoint).items()}
    model.load_state_dict(state, strict=True)


@dataclass
class LitEncoder(ClipEncoder):
    """A :class:`ClipEncoder` whose texts go through a frozen sentence encoder + projection."""

    tower: SentenceTower | None = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self.model.embed_dim)

    @property
    def context_length(self) -> int:  # type: ignore[override]
        return self.tower.info.max_tokens

    @property
    def text_tower(self) -> str:
        """Which frozen sentence encoder reads texts, e.g. ``"use"``."""
        return self.tower.info.name

    def count_tokens(self, text: str) -> int:
        return self.tower.count_tokens(spell_emoji(text))

    def reading(self, text: str) -> str:
        return spell_emoji(text)

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed texts: tower vectors, projected and renormalised; (n, dim) float32.
        Emoji are spelled out by name first (:func:`core.texts.spell_emoji`): the towers
        never learned them."""

        def encode(chunk: Sequence[str]) -> np.ndarray:
            features = torch.from_numpy(self.tower.encode([spell_emoji(t) for t in chunk]))
            with torch.inference_mode():
                projected = self.model.project_text(features.to(self.device), self.text_tower)
            return projected.float().cpu().numpy()

        return self._batched(list(texts), encode, batch_size, progress)


def tower_tokenizer(tower: SentenceTower):
    """``list of str -> (n, length) int tensor`` of the tower's own token ids (0-padded)."""

    def tokenize(texts: Sequence[str]) -> torch.Tensor:
        rows = []
        for text in texts:
            ids = tower.token_ids(text)
            if ids is None:
                raise ValueError(f"The {tower.info.title} tower does not expose token ids.")
            rows.append(ids)
        width = max((len(r) for r in rows), default=1)
        return torch.tensor([r + [0] * (width - len(r)) for r in rows], dtype=torch.long)

    return tokenize


def load_lit(folder: Path, *, name: str, device: str = "cpu", tower: str | None = None):
    """Load the LiT model in ``folder`` with the first text tower that imports here.

    ``tower`` forces one (``"use"`` or ``"e5"``). The model id names the weights (their
    hash) and the tower: ``pocket#<sha16>/use``.

    Raises
    ------
    core.pocket.towers.TowerUnavailable
        No tower of the model imports here (the message says how to install one).
    """
    config = read_config(folder)
    checkpoint = folder / LIT_WEIGHTS_FILE
    chosen = tower or choose_tower(tuple(config["towers"]))
    sentence_tower = load_tower(chosen)
    model = build_model(config)
    load_state(model, checkpoint)
    model.to(device).eval()
    preprocess = image_transform_v2(PreprocessCfg(**config["preprocess_cfg"]), is_train=False)
    encoder = LitEncoder(
        model_id=f"{name}#{file_sha256(checkpoint)[:16]}/{chosen}",
        model=model,
        preprocess=preprocess,
        tokenizer=tower_tokenizer(sentence_tower),
        device=device,
        tower=sentence_tower,
    )
    encoder.encode_texts(["warm-up"])  # the tower's lazy weights load now, not on a first click
    return encoder
