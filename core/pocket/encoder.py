"""The pocket model as the dashboard and the CLI hold it: texts first, torch when needed.

A first map of the bundled gallery needs the text side only, and often not even that: the
model ships the vectors of its own gallery, its label prompts and the default sentences
(``known_vectors.npz``, written by ``python -m core.pocket.encoder``). So
:class:`PocketEncoder` reads its id, temperature and text heads straight from the
safetensors file with numpy, loads the sentence tower on the first text it does not know,
and builds the torch image tower (:func:`core.pocket.lit.load_lit`, with its CPU speed-up)
on the first picture it has to encode. On two cores that keeps torch and open_clip (about 8
s of imports) and the tower's start (about 2 s) out of the first page.

Every other attribute of an encoder (``model``, ``preprocess``, ``encode_images``, …) is the
loaded :class:`core.pocket.lit.LitEncoder`'s, so callers cannot tell the two apart. (So
``hasattr`` of such a name loads the model; and the object is not meant to be pickled:
a Ray worker loads its own by name.)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.cache import file_sha256
from core.pocket.towers import TOWERS, SentenceTower, choose_tower, load_tower
from core.registry import LIT_CONFIG_FILE, LIT_WEIGHTS_FILE
from core.texts import spell_emoji

if TYPE_CHECKING:
    from core.encoders import ClipEncoder, ProgressCallback
    from core.registry import ModelSpec

KNOWN_FILE = "known_vectors.npz"


def read_config(folder: Path) -> dict:
    return json.loads((folder / LIT_CONFIG_FILE).read_text(encoding="utf-8"))


def model_id_of(folder: Path, name: str, tower: str) -> str:
    """``pocket#<sha16 of the weights>/<tower>``: caches of two weights or towers never mix."""
    return f"{name}#{file_sha256(folder / LIT_WEIGHTS_FILE)[:16]}/{tower}"


@dataclass
class KnownVectors:
    """Vectors the model ships for its own data, valid for one ``model_id`` only.

    ``texts``: text as given → (vector, the tower's token ids of it as read); ``images``:
    SHA-256 of the file's bytes → vector. A file written for other weights (or another
    tower) is ignored.
    """

    model_id: str = ""
    texts: dict[str, tuple[np.ndarray, list[int]]] = field(default_factory=dict)
    images: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, model_id: str, dim: int | None = None) -> KnownVectors:
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["model_id"]) != model_id:
                    return cls(model_id)
                ids = json.loads(str(data["text_token_ids"]))
                text_vectors, image_vectors = data["text_vectors"], data["image_vectors"]
                if text_vectors.ndim != 2 or image_vectors.shape[1:] != text_vectors.shape[1:]:
                    raise ValueError("vectors of two lengths")
                rows = zip(data["texts"], text_vectors, ids, strict=True)
                texts = {str(text): (vector, tokens) for text, vector, tokens in rows}
                hashes = map(str, data["image_hashes"])
                images = dict(zip(hashes, image_vectors, strict=True))
        # missing or damaged (a cut zip raises BadZipFile): everything is encoded instead
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return cls(model_id)
        if dim is not None and text_vectors.shape[1] != dim:
            return cls(model_id)
        return cls(model_id, texts, images)

    def write(self, path: Path, dim: int) -> None:
        """Atomically (a reader never sees half a file)."""
        texts = list(self.texts)
        hashes = list(self.images)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                model_id=np.array(self.model_id),
                texts=np.array(texts, dtype=str),
                text_vectors=np.array([self.texts[t][0] for t in texts], np.float32).reshape(
                    len(texts), dim
                ),
                text_token_ids=np.array(json.dumps([self.texts[t][1] for t in texts])),
                image_hashes=np.array(hashes, dtype=str),
                image_vectors=np.array([self.images[h] for h in hashes], np.float32).reshape(
                    len(hashes), dim
                ),
            )
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from other users
        os.replace(temporary, path)


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # torch's exact GELU

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class PocketEncoder:
    """The LiT pocket model (:mod:`core.pocket.lit`) with its image tower loaded on demand."""

    def __init__(
        self,
        spec: ModelSpec,
        *,
        device: str = "cpu",
        speedup: str = "auto",
        tower: str | None = None,
    ) -> None:
        from core.speedups import resolve_speedup, unavailable_reason

        self.spec = spec
        self.folder = Path(spec.path)
        self.device = device
        self.speedup = resolve_speedup(speedup, device, spec.name)
        unavailable_reason(self.speedup)  # a missing package is said now, not at a picture
        if self.speedup != "fp32" and device != "cpu":
            raise ValueError(f"The speed-ups are CPU variants; this model is on {device}.")
        self.config = read_config(self.folder)
        self.tower_name = tower or choose_tower(tuple(self.config["towers"]))
        weights_id = model_id_of(self.folder, spec.name, self.tower_name)
        # the id the loaded model will have (a speed-up's vectors are cached apart) ...
        self.model_id = weights_id + ("" if self.speedup == "fp32" else f"+{self.speedup}")
        self.dim = int(self.config["embed_dim"])
        self._head_kind = self.config.get("head", "linear")
        self._read_weights()
        # ... while the shipped vectors, the fp32 model's, serve every speed-up of these
        # weights: each variant approximates them (cosine >= 0.99, tests/test_speedups.py).
        self.known = KnownVectors.read(self.folder / KNOWN_FILE, weights_id, self.dim)
        self._tower: SentenceTower | None = None
        self._full: ClipEncoder | None = None
        self._failure: Exception | None = None
        self._loading = threading.Lock()

    def _read_weights(self) -> None:
        from safetensors import safe_open

        prefix = f"heads.{self.tower_name}."
        with safe_open(self.folder / LIT_WEIGHTS_FILE, framework="numpy") as weights:
            self.logit_scale = float(min(math.exp(float(weights.get_tensor("logit_scale"))), 100.0))
            self._head = {
                key.removeprefix(prefix): weights.get_tensor(key).astype(np.float32)
                for key in weights.keys()  # noqa: SIM118 - safe_open has no __iter__
                if key.startswith(prefix)
            }

    # --- the text side, without torch -------------------------------------------------
    @property
    def tower(self) -> SentenceTower:
        if self._tower is None:
            self._tower = load_tower(self.tower_name)  # cheap: its weights load on first use
        return self._tower

    @property
    def text_tower(self) -> str:
        return self.tower_name

    @property
    def context_length(self) -> int:
        return TOWERS[self.tower_name].max_tokens

    def reading(self, text: str) -> str:
        return spell_emoji(text)

    def token_ids(self, text: str) -> list[int]:
        """The tower's token ids of ``text`` as it reads it (emoji spelled out).

        Raises ValueError for a tower that does not expose them (e5)."""
        known = self.known.texts.get(text)
        ids = list(known[1]) if known is not None else self.tower.token_ids(spell_emoji(text))
        if ids is None:
            raise ValueError(f"The {self.tower.info.title} tower does not expose token ids.")
        return ids

    def count_tokens(self, text: str) -> int:
        known = self.known.texts.get(text)
        return len(known[1]) if known is not None else self.tower.count_tokens(spell_emoji(text))

    def project(self, features: np.ndarray) -> np.ndarray:
        """The trained head on tower vectors (n, tower dim): unit joint-space rows, float32.
        The same arithmetic as ``LitModel.project_text`` (checked by the tests)."""
        head = self._head
        if self._head_kind == "linear":
            projected = features @ head["weight"].T
        else:
            hidden = _gelu(features @ head["up.weight"].T + head["up.bias"])
            projected = features @ head["linear.weight"].T + hidden @ head["down.weight"].T
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        return (projected / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Unit vectors (n, dim) of ``texts``: shipped ones looked up, the rest read by the
        sentence tower (emoji spelled out first: the towers never learned them)."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        unknown = []
        for i, text in enumerate(texts):
            known = self.known.texts.get(text)
            if known is None:
                unknown.append(i)
            else:
                out[i] = known[0]
        done = len(texts) - len(unknown)
        for start in range(0, len(unknown), batch_size):
            rows = unknown[start : start + batch_size]
            features = self.tower.encode([spell_emoji(texts[i]) for i in rows])
            out[rows] = self.project(features)
            if progress is not None:
                progress(done + start + len(rows), len(texts))
        if progress is not None and not unknown:
            progress(len(texts), len(texts))
        return out

    # --- everything else: the loaded torch model --------------------------------------
    def loaded(self) -> ClipEncoder:
        """The full :class:`core.pocket.lit.LitEncoder` (built once, on first need; a
        failure is kept and raised again, not retried on every attribute)."""
        with self._loading:
            if self._failure is not None:
                raise self._failure
            if self._full is None:
                try:
                    self._full = self._build()
                except Exception as error:
                    self._failure = error
                    raise
            return self._full

    def _build(self) -> ClipEncoder:
        from core.imports import IMPORTING

        with IMPORTING:  # torch and open_clip: seconds, never beside another import
            from core.encoders import configure_cpu_threads
            from core.pocket.lit import load_lit
            from core.speedups import with_speedup

        if self.device == "cpu":
            configure_cpu_threads()
        encoder = load_lit(
            self.folder, name=self.spec.name, device=self.device, tower=self.tower_name
        )
        encoder.spec = self.spec
        return with_speedup(encoder, self.speedup)

    def at_variant(self, variant: str) -> PocketEncoder:
        """This model with another CPU speed-up (``core.speedups.with_speedup`` asks)."""
        return PocketEncoder(self.spec, device=self.device, speedup=variant, tower=self.tower_name)

    @property
    def is_loaded(self) -> bool:
        return self._full is not None

    def __getattr__(self, name: str):
        if name.startswith("_"):  # not yet set in __init__, or private: never load for it
            raise AttributeError(name)
        return getattr(self.loaded(), name)


def write_known_vectors(folder: Path, name: str = "pocket") -> KnownVectors:
    """Encode the gallery, every built-in label set's prompts and the default sentences with
    the full model (fp32) and write them to ``folder/known_vectors.npz``."""
    from core import defaults
    from core.embedding import embed_images
    from core.emotions import LABEL_SETS, prompts_for
    from core.images import iter_files
    from core.pocket.lit import load_lit

    full = load_lit(folder, name=name, tower="use")
    texts = list(defaults.SHIPPED_SENTENCES)
    for label_set in LABEL_SETS.values():
        for label in label_set.labels:
            texts += prompts_for(label_set.phrases[label])
    texts = list(dict.fromkeys(texts))
    vectors = full.encode_texts(texts)
    known = KnownVectors(full.model_id)
    known.texts = {
        text: (vector, full.tower.token_ids(spell_emoji(text)))
        for text, vector in zip(texts, vectors, strict=True)
    }
    gallery = [(p.name, p.read_bytes()) for p in iter_files([defaults.GALLERY_IMAGES])]
    images = embed_images(gallery, full)
    known.images = dict(zip(images.hashes, images.vectors, strict=True))
    known.write(folder / KNOWN_FILE, full.dim)
    return known


if __name__ == "__main__":
    from core.registry import POCKET_DIR

    shipped = write_known_vectors(POCKET_DIR)
    print(f"{len(shipped.texts)} texts, {len(shipped.images)} pictures → {KNOWN_FILE}")
