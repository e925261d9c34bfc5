"""Train the LiT pocket model: ``python -m core.pocket.train [--steps N] [--out DIR]``.

The text side is locked: frozen pretrained sentence encoders (:mod:`core.pocket.towers`)
read every caption once, and only a linear projection per tower is trained. The image
tower (open_clip's ModifiedResNet at 64 px, ``assets/models/configs/emotion-atlas-pocket.json``)
is trained against them with three losses:

* multi-positive contrastive loss over picture-caption pairs from
  :class:`core.pocket.data.SampleStream` (every caption in the batch that truly describes a
  picture counts as its match), for each tower's projection;
* zero-shot loss for pictures: cross-entropy of the picture against the *prompt-ensemble*
  label vectors of Ekman-7 and Parrott-6 (:func:`core.emotions.label_vectors`, computed
  through the same projection), so that the product's zero-shot reading is what is trained;
* the same zero-shot loss for a text-only batch of composed training sentences
  (:mod:`core.pocket.sentences`), cheap because their tower vectors are precomputed.

The result is a folder (:mod:`core.pocket.lit`) that ``load_encoder("pocket")`` loads.
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
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from core.emotions import EKMAN7, PARROTT6, label_in_set, prompts_for
from core.encoders import configure_cpu_threads
from core.pocket.data import SampleStream, caption_matches
from core.pocket.lit import LitModel, build_model, load_state
from core.pocket.render import TRAIN_DESIGNS, FontMissingError, load_font
from core.pocket.sentences import training_sentences
from core.pocket.towers import TOWERS, load_tower
from core.registry import LIT_CONFIG_FILE, LIT_WEIGHTS_FILE, POCKET_DIR, open_clip_module

ARCHITECTURE = "emotion-atlas-pocket"
TRAINED_LABEL_SETS = (EKMAN7, PARROTT6)


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


class TextBank:
    """Tower vectors of captions, computed once per distinct text (the towers are frozen).

    Kept on disk between runs (``$EMOTION_ATLAS_CACHE/train-bank/<tower>.npz``, texts and
    float32 vectors, no pickles), so a second training run reads instead of re-encoding.
    """

    def __init__(self, towers: dict, folder: Path | None = None) -> None:
        self.towers = towers
        self.folder = folder
        self.vectors: dict[str, dict[str, np.ndarray]] = {name: {} for name in towers}
        for name in towers:
            self._read(name)

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{name}.npz"

    def _read(self, name: str) -> None:
        path = self._path(name)
        if path is None or not path.is_file():
            return
        try:
            with np.load(path, allow_pickle=False) as stored:
                texts, vectors = stored["texts"], stored["vectors"]
        except (OSError, ValueError, KeyError):
            return  # a damaged bank is rebuilt
        if vectors.shape[1:] == (TOWERS[name].dim,):
            self.vectors[name].update(zip(texts.tolist(), vectors, strict=True))

    def save(self) -> None:
        for name, store in self.vectors.items():
            path = self._path(name)
            if path is None or not store:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp.npz")
            texts = np.array(list(store), dtype=str)
            np.savez(temporary, texts=texts, vectors=np.stack(list(store.values())))
            temporary.replace(path)

    def add(self, texts) -> None:
        """Encode, with every tower, the texts not seen yet."""
        for name, tower in self.towers.items():
            store = self.vectors[name]
            missing = list(dict.fromkeys(t for t in texts if t not in store))
            for start in range(0, len(missing), 256):
                chunk = missing[start : start + 256]
                store.update(zip(chunk, tower.encode(chunk), strict=True))

    def matrix(self, name: str, texts) -> torch.Tensor:
        store = self.vectors[name]
        return torch.from_numpy(np.stack([store[t] for t in texts]))


def label_targets(emotions, label_set_name: str, labels: tuple[str, ...]) -> torch.Tensor:
    """Index of each emotion in the label set (-100, ignored, where it has no place)."""
    rows = []
    for emotion in emotions:
        mapped = label_in_set(emotion, label_set_name) if emotion else None
        rows.append(labels.index(mapped) if mapped in labels else -100)
    return torch.tensor(rows, dtype=torch.long)


def prototypes(model: LitModel, bank: TextBank, tower: str, groups) -> torch.Tensor:
    """Label vectors exactly as :func:`core.emotions.label_vectors` builds them: the
    renormalised mean of each label's unit prompt vectors."""
    flat = [p for group in groups for p in group]
    projected = model.project_text(bank.matrix(tower, flat), tower)
    rows, start = [], 0
    for group in groups:
        rows.append(F.normalize(projected[start : start + len(group)].mean(0), dim=-1))
        start += len(group)
    return torch.stack(rows)


def _zero_shot_loss(features, label_vectors, scale, targets) -> torch.Tensor:
    if not bool((targets >= 0).any()):
        return features.sum() * 0
    return F.cross_entropy(scale * features @ label_vectors.T, targets, ignore_index=-100)


def initial_weights(model: LitModel, folder: Path | None) -> str:
    """Start from a trained pocket model in ``folder``: a LiT folder (every matching tensor)
    or a first-generation open_clip folder (its image tower). Returns what was loaded."""
    from safetensors.torch import load_file

    if folder is None:
        return "random initialisation"
    lit, first = folder / LIT_WEIGHTS_FILE, folder / "open_clip_model.safetensors"
    if lit.is_file():
        if _same_heads(model, lit):
            load_state(model, lit)
        else:  # another head design: keep the image tower, train new heads
            _load_visual(model, load_file(lit))
        return f"{lit}"
    if first.is_file():
        _load_visual(model, load_file(first))
        return f"image tower of {first}"
    raise FileNotFoundError(f"No pocket model to start from in {folder}.")


def _same_heads(model: LitModel, checkpoint: Path) -> bool:
    from safetensors import safe_open

    with safe_open(str(checkpoint), "pt") as handle:
        return set(handle.keys()) == set(model.state_dict())


def _load_visual(model: LitModel, state: dict) -> None:
    visual = {
        k.removeprefix("visual."): v.float() for k, v in state.items() if k.startswith("visual.")
    }
    model.visual.load_state_dict(visual, strict=True)


def save_lit(model: LitModel, folder: Path, config: dict, log: dict) -> Path:
    """Write config, weights (image tower fp16, heads fp32) and the training log."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.detach().half() if k.startswith("visual.") and v.is_floating_point() else v.detach())
        .contiguous()
        .cpu()
        for k, v in model.state_dict().items()
    }
    checkpoint = folder / LIT_WEIGHTS_FILE
    for path, write in (
        (folder / LIT_CONFIG_FILE, lambda p: p.write_text(json.dumps(config, indent=2), "utf-8")),
        (checkpoint, lambda p: save_file(state, str(p))),
        (folder / "training_log.json", lambda p: p.write_text(json.dumps(log, indent=1), "utf-8")),
    ):
        temporary = path.with_name(path.name + ".tmp")
        write(temporary)
        temporary.replace(path)
    return checkpoint


def lit_config(towers: tuple[str, ...], head: str = "linear") -> dict:
    from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

    model_cfg = open_clip_module().get_model_config(ARCHITECTURE)
    return {
        "format": "emotion-atlas-lit/1",
        "embed_dim": model_cfg["embed_dim"],
        "vision_cfg": model_cfg["vision_cfg"],
        "preprocess_cfg": {
            "size": model_cfg["vision_cfg"]["image_size"],
            "mode": "RGB",
            "mean": list(OPENAI_DATASET_MEAN),
            "std": list(OPENAI_DATASET_STD),
            "interpolation": "bicubic",
            "resize_mode": "shortest",
            "fill_color": 0,
        },
        "towers": list(towers),
        "head": head,
    }


def train(
    *,
    steps: int,
    batch_size: int,
    out: Path,
    seed: int = 0,
    peak_lr: float = 1e-3,
    visual_lr_scale: float = 0.3,
    towers: tuple[str, ...] = ("use", "e5"),
    init: Path | None = POCKET_DIR,
    text_batch: int = 256,
    head: str = "residual-mlp",
    head_decay: float = 0.5,
    designs: tuple[str, ...] = TRAIN_DESIGNS,
    bank_folder: Path | None = None,
    log_every: int = 25,
    save_every: int = 200,
) -> dict:
    """Train and save; returns the training log (loss curve, time, settings)."""
    random.seed(seed)
    torch.manual_seed(seed)
    threads = configure_cpu_threads()
    config = lit_config(towers, head)
    model = build_model(config)
    started_from = initial_weights(model, init)
    model.train()
    loaded = {name: load_tower(name) for name in towers}
    bank = TextBank(loaded, bank_folder)
    sentences = training_sentences()
    groups = {
        label_set.name: [prompts_for(label_set.phrases[label]) for label in label_set.labels]
        for label_set in TRAINED_LABEL_SETS
    }
    prep = time.time()
    bank.add([s.text for s in sentences] + [p for g in groups.values() for ps in g for p in ps])
    bank.save()
    prep = time.time() - prep
    text_targets = {
        ls.name: label_targets([s.emotion for s in sentences], ls.name, ls.labels)
        for ls in TRAINED_LABEL_SETS
    }
    preprocess_cfg = config["preprocess_cfg"]
    mean, std = preprocess_cfg["mean"], preprocess_cfg["std"]
    visual = list(model.visual.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": visual, "weight_decay": 0.1, "scale": visual_lr_scale},
            {"params": list(model.heads.parameters()), "weight_decay": head_decay, "scale": 1.0},
            {"params": [model.logit_scale], "weight_decay": 0.0, "scale": 1.0},
        ],
        lr=peak_lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    size = preprocess_cfg["size"]
    stream = SampleStream(seed, designs=designs, size=size if isinstance(size, int) else size[0])
    rng = random.Random(seed + 1)
    warmup = max(1, min(100, steps // 10))
    log = {
        "format": config["format"],
        "towers": list(towers),
        "started_from": started_from,
        "designs": list(designs),
        "seed": seed,
        "steps": steps,
        "batch_size": batch_size,
        "text_batch": text_batch,
        "head": head,
        "head_decay": head_decay,
        "peak_lr": peak_lr,
        "visual_lr_scale": visual_lr_scale,
        "threads": threads,
        "torch": torch.__version__,
        "training_sentences": len(sentences),
        "text_bank_seconds": round(prep, 1),
        "loss": [],
    }
    started = time.time()
    smoothed = None
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, peak_lr, warmup) * group["scale"]
        samples = [stream.sample() for _ in range(batch_size)]
        captions = [s.caption for s in samples]
        bank.add(captions)
        target = positives(samples)
        image_features = model.encode_image(pixels(samples, mean, std), normalize=True)
        scale = model.logit_scale.exp()
        chosen = rng.sample(range(len(sentences)), min(text_batch, len(sentences)))
        chosen_texts = [sentences[i].text for i in chosen]
        pair_loss, label_loss = 0.0, 0.0
        for name in towers:
            text_features = model.project_text(bank.matrix(name, captions), name)
            pair_loss = pair_loss + multi_positive_loss(
                image_features, text_features, scale, target
            )
            sentence_features = model.project_text(bank.matrix(name, chosen_texts), name)
            for label_set in TRAINED_LABEL_SETS:
                vectors = prototypes(model, bank, name, groups[label_set.name])
                image_targets = label_targets(
                    [s.image_emotion for s in samples], label_set.name, label_set.labels
                )
                label_loss = label_loss + _zero_shot_loss(
                    image_features, vectors, scale, image_targets
                )
                label_loss = label_loss + _zero_shot_loss(
                    sentence_features, vectors, scale, text_targets[label_set.name][chosen]
                )
        loss = (pair_loss + label_loss / len(TRAINED_LABEL_SETS)) / len(towers)
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
            save_lit(model.eval(), out, config, log)
            bank.save()
            model.train()
    log["train_seconds"] = round(time.time() - started, 1)
    model.eval()
    save_lit(model, out, config, log)
    bank.save()
    return log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.pocket.train", description=__doc__)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--towers", default="use,e5", help="comma-separated, first is preferred")
    parser.add_argument("--head", choices=("linear", "residual-mlp"), default="residual-mlp")
    parser.add_argument(
        "--init",
        default=str(POCKET_DIR),
        help="a pocket model folder to start from, or 'none' for random initialisation",
    )
    parser.add_argument("--out", type=Path, default=POCKET_DIR)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch_size < 2:
        print("error: --steps must be ≥ 1 and --batch-size ≥ 2", file=sys.stderr)
        return 2
    towers = tuple(t.strip() for t in args.towers.split(",") if t.strip())
    unknown = [t for t in towers if t not in TOWERS]
    if not towers or unknown:
        print(f"error: --towers takes names from {', '.join(TOWERS)}", file=sys.stderr)
        return 2
    try:
        for design in TRAIN_DESIGNS:
            load_font(design)
    except FontMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from core.cache import default_cache_dir

    log = train(
        steps=args.steps,
        batch_size=args.batch_size,
        out=args.out,
        seed=args.seed,
        peak_lr=args.lr,
        towers=towers,
        head=args.head,
        init=None if args.init == "none" else Path(args.init),
        bank_folder=default_cache_dir() / "train-bank",
    )
    print(f"trained {log['steps']} steps in {log['train_seconds'] / 60:.1f} min → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
