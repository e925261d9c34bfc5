"""Train the pocket model from scratch: ``python -m core.pocket.train [--steps N] [--out DIR]``.

A small open_clip architecture (``assets/models/configs/emotion-atlas-pocket.json``: a
ModifiedResNet image tower at 64 px and a 3-layer text transformer with open_clip's own
tokenizer) learns from :class:`core.pocket.data.SampleStream` with a multi-positive
contrastive loss: every caption in the batch that truly describes a picture counts as its
match. The result is written as an open_clip ``local-dir`` folder (config + fp16
safetensors) that loads with ``load_encoder("pocket")``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

import core  # noqa: F401  (registers the project's architectures with open_clip)
from core.encoders import configure_cpu_threads
from core.pocket.data import SampleStream, caption_matches
from core.pocket.render import FontMissingError, load_font
from core.registry import HF_CONFIG_FILE, POCKET_DIR

ARCHITECTURE = "emotion-atlas-pocket"


def positives(samples) -> torch.Tensor:
    """(n, n) matrix: ``[i, j]`` is 1 when caption j describes picture i."""
    n = len(samples)
    matrix = torch.zeros(n, n)
    for j, caption_owner in enumerate(samples):
        for i, picture_owner in enumerate(samples):
            if i == j or caption_matches(caption_owner.topic, picture_owner):
                matrix[i, j] = 1.0
    return matrix


def multi_positive_loss(
    image_features: torch.Tensor, text_features: torch.Tensor, scale: torch.Tensor, target
) -> torch.Tensor:
    """Symmetric cross-entropy against the row- and column-normalised positive matrix."""
    logits = scale * image_features @ text_features.T
    image_to_text = -(target / target.sum(1, keepdim=True) * F.log_softmax(logits, 1)).sum(1)
    text_to_image = -(target / target.sum(0, keepdim=True) * F.log_softmax(logits, 0)).sum(0)
    return (image_to_text.mean() + text_to_image.mean()) / 2


def pixels(samples, mean, std) -> torch.Tensor:
    array = np.stack([np.asarray(s.image, dtype=np.float32) for s in samples]) / 255.0
    tensor = torch.from_numpy(array).permute(0, 3, 1, 2)
    return (tensor - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def save_pocket(model: torch.nn.Module, folder: Path, architecture: str, log: dict) -> Path:
    """Write the open_clip local-dir folder: config, fp16 safetensors, training log."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "model_cfg": open_clip.get_model_config(architecture),
        "preprocess_cfg": open_clip.get_model_preprocess_cfg(model),
    }
    (folder / HF_CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
    # fp16 halves the file; open_clip copies it into the fp32 model on load.
    state = {
        k: (v.detach().half() if v.is_floating_point() else v).contiguous()
        for k, v in model.state_dict().items()
    }
    checkpoint = folder / "open_clip_model.safetensors"
    temporary = checkpoint.with_suffix(".tmp")
    save_file(state, str(temporary))
    temporary.replace(checkpoint)
    (folder / "training_log.json").write_text(json.dumps(log, indent=1), encoding="utf-8")
    return checkpoint


def train(
    *,
    steps: int,
    batch_size: int,
    out: Path,
    seed: int = 0,
    peak_lr: float = 1e-3,
    architecture: str = ARCHITECTURE,
    entries=None,
    log_every: int = 25,
    save_every: int = 200,
) -> dict:
    """Train and save; returns the training log (loss curve, time, settings)."""
    random.seed(seed)
    torch.manual_seed(seed)
    threads = configure_cpu_threads()
    model = open_clip.create_model(architecture)
    model.train()
    tokenizer = open_clip.get_tokenizer(architecture)
    preprocess_cfg = open_clip.get_model_preprocess_cfg(model)
    mean, std = preprocess_cfg["mean"], preprocess_cfg["std"]
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
        lr=peak_lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    size = preprocess_cfg["size"]
    stream = SampleStream(seed, entries=entries, size=size if isinstance(size, int) else size[0])
    warmup = max(1, min(100, steps // 10))
    log = {
        "architecture": architecture,
        "seed": seed,
        "steps": steps,
        "batch_size": batch_size,
        "peak_lr": peak_lr,
        "threads": threads,
        "torch": torch.__version__,
        "loss": [],
    }
    started = time.time()
    smoothed = None
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, peak_lr, warmup)
        samples = [stream.sample() for _ in range(batch_size)]
        images = pixels(samples, mean, std)
        tokens = tokenizer([s.caption for s in samples])
        target = positives(samples)
        image_features = model.encode_image(images, normalize=True)
        text_features = model.encode_text(tokens, normalize=True)
        loss = multi_positive_loss(image_features, text_features, model.logit_scale.exp(), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        smoothed = loss.item() if smoothed is None else 0.95 * smoothed + 0.05 * loss.item()
        if (step + 1) % log_every == 0 or step + 1 == steps:
            elapsed = time.time() - started
            log["loss"].append([step + 1, round(smoothed, 4), round(elapsed, 1)])
            print(
                f"step {step + 1}/{steps}  loss {smoothed:.3f}  "
                f"scale {model.logit_scale.exp().item():.1f}  {elapsed / 60:.1f} min",
                flush=True,
            )
        if (step + 1) % save_every == 0 and step + 1 < steps:
            log["train_seconds"] = round(time.time() - started, 1)
            save_pocket(model.eval(), out, architecture, log)
            model.train()
    log["train_seconds"] = round(time.time() - started, 1)
    model.eval()
    save_pocket(model, out, architecture, log)
    return log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.pocket.train", description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=POCKET_DIR)
    args = parser.parse_args(argv)
    try:
        for design in ("noto", "symbola"):
            load_font(design)
    except FontMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log = train(
        steps=args.steps, batch_size=args.batch_size, out=args.out, seed=args.seed, peak_lr=args.lr
    )
    print(f"trained {log['steps']} steps in {log['train_seconds'] / 60:.1f} min → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
