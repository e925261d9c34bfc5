"""Which models Emotion Atlas can use, and whether each is usable right now.

A model is named by one string, parsed by :func:`resolve_model`:

``pocket``
    The bundled offline model in ``assets/models/pocket`` (open_clip ``local-dir:`` format).
``ARCH/TAG``
    An open_clip architecture with one of its pretrained tags, e.g. ``ViT-B-32/laion2b_s34b_b79k``.
``hf-hub:ORG/REPO``
    An open_clip model published on the Hugging Face hub.
``local-dir:FOLDER``
    A folder with ``open_clip_config.json`` and a ``*.safetensors`` (or ``.bin``) checkpoint.
``ARCH@FILE``
    A local checkpoint file for a known architecture (its built-in preprocessing is used).
``ARCH@random``
    The architecture at a fixed-seed random initialisation: for tests and speed benchmarks.

Nothing in this module downloads anything or builds a model: availability is decided from
the files on disk (the bundle, the Hugging Face cache) alone.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from core.defaults import PROJECT_ROOT
from core.messages import Message, define, joined, message_of

NAME_FORMS = (
    "a preset ({presets}), ARCH/TAG (e.g. ViT-B-32/laion2b_s34b_b79k), hf-hub:ORG/REPO, "
    "local-dir:FOLDER, ARCH@CHECKPOINT_FILE, or ARCH@random"
)

# Messages name files and folders, never where they are on the server: a dashboard user
# reads them in a browser (see _shown).
define(
    {
        "model.unknown_name": "Unknown model {name!r}. Use " + NAME_FORMS + ".",
        "model.unknown_arch": (
            "{unknown} {arch!r} is not an open_clip architecture; "
            "`python -m core models --all` lists them."
        ),
        "model.bad_suffix": (
            "Checkpoint {target!r} for {arch} should be one of {suffixes} (safetensors preferred)."
        ),
        "model.unknown_tag": "{arch} has no pretrained tag {tag!r}. Its tags: {tags}.",
        "model.random": "Random weights: only for tests and speed benchmarks.",
        "model.local_checkpoint": "Local checkpoint {file}.",
        "model.checkpoint_missing": "Checkpoint file {file} does not exist.",
        "model.lit_config_unreadable": "{file} in {folder} cannot be read.",
        "model.no_weights": "{name} has no weights ({file}).",
        "model.text_tower": "Text tower: {title} ({package}, {licence}).",
        "model.loads_from": "Loads from {folder}.",
        "model.pocket_missing": (
            "The bundled pocket model is missing from {folder}. Restore it from the repository "
            "(git checkout -- assets/models) or rebuild it with `python -m core.pocket.train`."
        ),
        "model.folder_incomplete": "{folder} needs {config} and a .safetensors checkpoint.",
        "model.no_hub": "{name} has no Hugging Face hub location.",
        "model.missing_weights": "weights of {repo}",
        "model.missing_config": "{file} of {repo}",
        "model.missing_transformers": "the `transformers` package (pip install transformers)",
        "model.missing_text_tower": "the {tower} text-tower config and tokenizer",
        "model.cached": "In the local Hugging Face cache ({repo}).",
        "model.download": (
            "Not on this machine: needs about {mb:,.0f} MB from the Hugging Face hub "
            "({missing}). With internet, run `python -m core download {name}`, "
            "or pick the bundled `pocket` model to work offline."
        ),
        "model.download_unsized": (
            "Not on this machine: needs a download from the Hugging Face hub ({missing}). "
            "With internet, run `python -m core download {name}`, "
            "or pick the bundled `pocket` model to work offline."
        ),
    }
)

_CONFIGS = PROJECT_ROOT / "assets" / "models" / "configs"


@cache
def open_clip_module():
    """open_clip, imported on first use (with torch: seconds), knowing this project's own
    architectures (``assets/models/configs/*.json`` join open_clip's registry, so they load
    through exactly the same code as ViT-B-32). The pocket model's first map needs neither."""
    import open_clip

    if _CONFIGS.is_dir():
        open_clip.add_model_config(_CONFIGS)
    return open_clip


MODELS_DIR = PROJECT_ROOT / "assets" / "models"
POCKET_DIR = MODELS_DIR / "pocket"

HF_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
HF_CONFIG_FILE = "open_clip_config.json"
CHECKPOINT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


class ModelUnavailableError(RuntimeError):
    """The model cannot be used offline right now; the message says what is missing."""


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model name: where its architecture and weights come from.

    ``source`` is one of ``bundled``, ``pretrained``, ``hf-hub``, ``local-dir``, ``file``,
    ``random``.
    """

    name: str
    source: str
    arch: str
    tag: str | None = None
    path: Path | None = None
    download_mb: float | None = None
    label: str = ""
    multilingual: bool = False
    # What open_clip says of a preset (its hub folder and HF text tower, "" for none), so
    # that listing the presets needs no open_clip import; tests check they still agree.
    hub: str = ""
    hf_text: str = ""


@dataclass(frozen=True)
class Availability:
    """Whether a model can be loaded now, and if not what it would take.

    ``status`` is one of ``bundled`` (ships with the app), ``local`` (a file or folder the
    user named), ``cached`` (in the Hugging Face cache), ``random`` (no weights needed),
    ``download`` (needs a download of about ``download_mb`` MB), ``missing`` (a local file
    or the bundle is absent) or ``unknown``.
    """

    status: str
    detail: str
    download_mb: float | None = None
    checkpoint: Path | None = None
    extra_files: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> bool:
        return self.status in {"bundled", "local", "cached", "random"}


def _preset(
    name: str, *, label: str, download_mb: float, hub: str, hf_text: str = "", multilingual=False
) -> ModelSpec:
    arch, tag = name.split("/", 1)
    return ModelSpec(
        name=name,
        source="pretrained",
        arch=arch,
        tag=tag,
        download_mb=download_mb,
        label=label,
        multilingual=multilingual,
        hub=hub,
        hf_text=hf_text,
    )


# Download sizes are the fp32 checkpoints: parameter count x 4 bytes (counted with
# open_clip on the meta device: 151.3 M, 149.6 M and 366.1 M parameters).
PRESETS: dict[str, ModelSpec] = {
    "pocket": ModelSpec(
        name="pocket",
        source="bundled",
        arch=f"local-dir:{POCKET_DIR}",
        path=POCKET_DIR,
        label="Emotion Atlas pocket model: bundled, offline, English + 中文, emoji-like pictures",
        multilingual=True,
    ),
    "ViT-B-32/laion2b_s34b_b79k": _preset(
        "ViT-B-32/laion2b_s34b_b79k",
        label="OpenCLIP ViT-B/32 trained on LAION-2B: real photos, English",
        download_mb=605,
        hub="laion/CLIP-ViT-B-32-laion2B-s34B-b79K/",
    ),
    "ViT-B-16/laion2b_s34b_b88k": _preset(
        "ViT-B-16/laion2b_s34b_b88k",
        label="OpenCLIP ViT-B/16 trained on LAION-2B: finer detail, slower, English",
        download_mb=599,
        hub="laion/CLIP-ViT-B-16-laion2B-s34B-b88K/",
    ),
    "xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k": _preset(
        "xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k",
        label="Multilingual OpenCLIP (XLM-RoBERTa text tower): photos, 中文 and 100 languages",
        download_mb=1465,
        hub="laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k/",
        hf_text="xlm-roberta-base",
        multilingual=True,
    ),
}


def _unknown_name_message(name: str) -> Message:
    return Message("model.unknown_name", name=name, presets=", ".join(PRESETS))


def _shown(path: Path) -> str:
    """How a message names ``path``: relative to the project when inside it, else its name."""
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return Path(path).name or "."


def resolve_model(name: str) -> ModelSpec:
    """Parse a model name into a :class:`ModelSpec`.

    Raises
    ------
    ValueError
        If the name matches none of the accepted forms; the message lists the presets.
    """
    name = name.strip()
    if name in PRESETS:
        return PRESETS[name]
    if name.startswith("hf-hub:"):
        return ModelSpec(name=name, source="hf-hub", arch=name, label="open_clip model on the hub")
    if name.startswith("local-dir:"):
        folder = Path(name.removeprefix("local-dir:")).expanduser()
        return ModelSpec(name=name, source="local-dir", arch=f"local-dir:{folder}", path=folder)
    if "@" in name:
        arch, target = name.split("@", 1)
        _require_known_arch(arch, name)
        if target == "random":
            return ModelSpec(name=name, source="random", arch=arch, label="random init (tests)")
        path = Path(target).expanduser()
        if path.suffix not in CHECKPOINT_SUFFIXES:
            raise ValueError(
                Message(
                    "model.bad_suffix",
                    target=target,
                    arch=arch,
                    suffixes=", ".join(CHECKPOINT_SUFFIXES),
                )
            )
        return ModelSpec(name=name, source="file", arch=arch, path=path)
    if "/" in name:
        arch, tag = name.split("/", 1)
        _require_known_arch(arch, name)
        if not open_clip_module().get_pretrained_cfg(arch, tag):
            tags = ", ".join(open_clip_module().list_pretrained_tags_by_model(arch)) or "none"
            raise ValueError(Message("model.unknown_tag", arch=arch, tag=tag, tags=tags))
        return ModelSpec(
            name=name, source="pretrained", arch=arch, tag=tag, download_mb=_size_mb(arch)
        )
    raise ValueError(_unknown_name_message(name))


def _require_known_arch(arch: str, name: str) -> None:
    if arch not in open_clip_module().list_models():
        raise ValueError(
            Message("model.unknown_arch", unknown=_unknown_name_message(name), arch=arch)
        )


def _size_mb(arch: str) -> float | None:
    """fp32 checkpoint size of an architecture, counted without allocating its weights."""
    config = open_clip_module().get_model_config(arch) or {}
    if "hf_model_name" in config.get("text_cfg", {}):
        return None  # building it would need the HF text config, which may not be cached
    import torch

    try:
        with torch.device("meta"):
            model = open_clip_module().create_model(arch, device="meta")
    except Exception:  # an estimate only; a failure here must not block anything
        return None
    return round(sum(p.numel() for p in model.parameters()) * 4 / 1e6)


def hf_cache_dir() -> str | None:
    """The Hugging Face hub cache folder in use (``HF_HUB_CACHE`` etc. are honoured)."""
    return os.environ.get("EMOTION_ATLAS_HF_CACHE") or None


def _cached_hub_file(repo_id: str, filenames: tuple[str, ...]) -> Path | None:
    from huggingface_hub import constants

    # The hub cache's documented layout (models--ORG--NAME); try_to_load_from_cache asks
    # the same first, but importing it costs 0.3 s of every fresh server's first page.
    root = hf_cache_dir() or constants.HF_HUB_CACHE
    if not os.path.isdir(os.path.join(root, "models--" + repo_id.replace("/", "--"))):
        return None
    from huggingface_hub import try_to_load_from_cache

    for filename in filenames:
        found = try_to_load_from_cache(repo_id, filename, cache_dir=hf_cache_dir())
        if isinstance(found, str):
            return Path(found)
    return None


def hub_location(spec: ModelSpec) -> tuple[str, tuple[str, ...]]:
    """The hub repository and candidate weight files of a pretrained or hf-hub model."""
    if spec.source == "hf-hub":
        return spec.arch.removeprefix("hf-hub:"), HF_WEIGHT_FILES
    hub = spec.hub or open_clip_module().get_pretrained_cfg(spec.arch, spec.tag or "").get(
        "hf_hub", ""
    )
    if not hub:
        return "", ()
    parts = hub.rstrip("/").split("/")
    repo_id, filename = "/".join(parts[:2]), "/".join(parts[2:])
    return repo_id, (filename,) if filename else HF_WEIGHT_FILES


def hf_text_tower(spec: ModelSpec) -> str | None:
    if spec.source not in {"pretrained", "random", "file"}:
        return None
    if spec.hub:
        return spec.hf_text or None
    config = open_clip_module().get_model_config(spec.arch) or {}
    return config.get("text_cfg", {}).get("hf_model_name")


def check_availability(spec: ModelSpec) -> Availability:
    """Decide, from local files only, whether ``spec`` can be loaded now. Never downloads."""
    if spec.source == "random":
        return Availability("random", Message("model.random"))
    if spec.source in {"bundled", "local-dir"}:
        return _local_dir_availability(spec)
    if spec.source == "file":
        if spec.path is not None and spec.path.is_file():
            shown = spec.path.name
            return Availability(
                "local", Message("model.local_checkpoint", file=shown), checkpoint=spec.path
            )
        shown = spec.path.name if spec.path is not None else "?"
        return Availability("missing", Message("model.checkpoint_missing", file=shown))
    return _hub_availability(spec)


LIT_CONFIG_FILE = "pocket_config.json"  # a LiT pocket folder (core.pocket.lit)
LIT_WEIGHTS_FILE = "pocket_model.safetensors"


def is_lit_folder(folder: Path | None) -> bool:
    """Whether ``folder`` holds a LiT pocket model (:mod:`core.pocket.lit`)."""
    return folder is not None and (folder / LIT_CONFIG_FILE).is_file()


def _lit_tower(folder: Path) -> str:
    """The first of the folder's text towers that imports here.

    Raises
    ------
    ValueError
        The config cannot be read.
    core.pocket.towers.TowerUnavailable
        None of its towers imports (the message says how to install one).
    """
    import json

    from core.pocket.towers import choose_tower

    try:
        towers = tuple(json.loads((folder / LIT_CONFIG_FILE).read_text("utf-8"))["towers"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            Message("model.lit_config_unreadable", file=LIT_CONFIG_FILE, folder=folder.name)
        ) from error
    return choose_tower(towers)


def _lit_availability(spec: ModelSpec, folder: Path) -> Availability:
    """A LiT pocket folder: its weights, and which of its text towers imports here."""
    from core.pocket.towers import TOWERS, TowerUnavailable

    weights = folder / LIT_WEIGHTS_FILE
    if not weights.is_file():
        return Availability(
            "missing", Message("model.no_weights", name=spec.name, file=LIT_WEIGHTS_FILE)
        )
    try:
        tower = TOWERS[_lit_tower(folder)]
    except (ValueError, TowerUnavailable) as error:
        return Availability("missing", message_of(error))
    return Availability(
        "bundled" if spec.source == "bundled" else "local",
        Message(
            "model.text_tower", title=tower.title, package=tower.package, licence=tower.licence
        ),
        checkpoint=weights,
    )


def text_tower_of(spec: ModelSpec) -> str | None:
    """The text tower a LiT pocket model would use here (``"use"``, ``"e5"``), else None."""
    from core.pocket.towers import TowerUnavailable

    if spec.source not in {"bundled", "local-dir"} or not is_lit_folder(spec.path):
        return None
    try:
        return _lit_tower(spec.path)
    except (ValueError, TowerUnavailable):
        return None


def _local_dir_availability(spec: ModelSpec) -> Availability:
    folder = spec.path or Path()
    if is_lit_folder(folder):
        return _lit_availability(spec, folder)
    config = folder / HF_CONFIG_FILE
    weights = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    status = "bundled" if spec.source == "bundled" else "local"
    if config.is_file() and weights:
        return Availability(
            status, Message("model.loads_from", folder=_shown(folder)), checkpoint=weights[0]
        )
    if spec.source == "bundled":
        return Availability("missing", Message("model.pocket_missing", folder=_shown(folder)))
    return Availability(
        "missing",
        Message("model.folder_incomplete", folder=_shown(folder), config=HF_CONFIG_FILE),
    )


def _hub_availability(spec: ModelSpec) -> Availability:
    repo_id, files = hub_location(spec)
    if not repo_id:
        return Availability("unknown", Message("model.no_hub", name=spec.name))
    checkpoint = _cached_hub_file(repo_id, files)
    extra: list[Path] = []
    missing: list[Message] = []
    if spec.source == "hf-hub":
        config = _cached_hub_file(repo_id, (HF_CONFIG_FILE,))
        if config is None:
            missing.append(Message("model.missing_config", file=HF_CONFIG_FILE, repo=repo_id))
        else:
            extra.append(config)
    text_tower = hf_text_tower(spec)
    if text_tower:
        if importlib.util.find_spec("transformers") is None:
            missing.append(Message("model.missing_transformers"))
        if _cached_hub_file(text_tower, ("config.json",)) is None:
            missing.append(Message("model.missing_text_tower", tower=text_tower))
    if checkpoint is None:
        missing.insert(0, Message("model.missing_weights", repo=repo_id))
    if not missing and checkpoint is not None:
        return Availability(
            "cached",
            Message("model.cached", repo=repo_id),
            checkpoint=checkpoint,
            extra_files=tuple(extra),
        )
    if spec.download_mb:
        detail = Message(
            "model.download", mb=spec.download_mb, missing=joined(missing), name=spec.name
        )
    else:
        detail = Message("model.download_unsized", missing=joined(missing), name=spec.name)
    return Availability("download", detail, download_mb=spec.download_mb)


def list_presets() -> list[tuple[ModelSpec, Availability]]:
    """Every preset with its availability, in display order."""
    return [(spec, check_availability(spec)) for spec in PRESETS.values()]


def default_model_name() -> str:
    """The first usable preset, preferring pretrained CLIP when it is already cached."""
    for spec, availability in list_presets():
        if spec.source == "pretrained" and availability.usable:
            return spec.name
    return "pocket"
