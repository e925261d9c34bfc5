"""Emotion label sets and zero-shot emotion scoring in a CLIP space.

Each label is a prompt ensemble: several English and Chinese templates filled with the
label's phrases, embedded by the text tower, averaged and renormalised. The zero-shot
distribution of an item is the softmax, at the model's logit scale, of its cosine
similarity to each label vector.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.messages import Message, define

if TYPE_CHECKING:
    from core.encoders import ClipEncoder

define(
    {
        "labels.not_an_object": (
            'A label set is a JSON object like {{"joy": ["happy", "开心"], ...}}.'
        ),
        "labels.bad_count": "A label set needs 2 to {limit} labels, got {count}.",
        "labels.bad_id": "Label ids must be non-empty strings, got {label!r}.",
        "labels.bad_phrases": "Label {label!r} needs a list of 1 to {limit} phrases.",
        "labels.empty_phrase": "Label {label!r} has an empty or non-text phrase.",
        "labels.unknown_set": "Unknown label set {spec!r}: use {choices} or a JSON file path.",
        "labels.bad_json": "{file} is not valid UTF-8 JSON ({error}).",
        "labels.too_deep": (
            "The label set is nested too deeply (over {limit} levels): it should be an "
            "object of lists of phrases."
        ),
        "labels.file_too_large": "{file} is {mb:.1f} MB, over the {limit:.0f} MB limit.",
        "labels.file_over_limit": "{file} is over the {limit:.0f} MB limit.",
        "labels.not_a_file": "{file} is not a regular file (a folder, device or pipe).",
        "labels.unreadable": "{file} could not be read ({error}).",
        "labels.phrase_too_long": (
            "Label {label!r} has a phrase of {length} characters, over the {limit}-character limit."
        ),
        "labels.duplicate": "Label {label!r} appears twice.",
        "labels.same_but_spaces": "Labels {first!r} and {second!r} differ only in spaces.",
        "probe.one_label": "A probe needs at least 2 labels, got {count}: {labels}.",
        "probe.too_few_examples": "Every label needs at least 2 examples; too few: {few}.",
    }
)


@dataclass(frozen=True)
class LabelSet:
    """Named emotion labels with the phrases that describe each, in any language.

    ``phrases[label]`` is a tuple of phrases (English and Chinese mixed); ``names`` gives
    the display name of each label in English and Chinese.
    """

    name: str
    phrases: dict[str, tuple[str, ...]]
    names: dict[str, tuple[str, str]]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.phrases)


EKMAN7 = LabelSet(
    name="ekman7",
    phrases={
        "anger": ("angry", "anger", "furious", "生气", "愤怒"),
        "disgust": ("disgusted", "disgust", "gross", "恶心", "厌恶"),
        "fear": ("afraid", "fear", "scared", "害怕", "恐惧"),
        "joy": ("happy", "joy", "delighted", "开心", "快乐"),
        "sadness": ("sad", "sadness", "heartbroken", "难过", "悲伤"),
        "surprise": ("surprised", "surprise", "amazed", "惊讶", "吃惊"),
        "neutral": ("calm", "neutral", "ordinary", "平静", "一般"),
    },
    names={
        "anger": ("anger", "愤怒"),
        "disgust": ("disgust", "厌恶"),
        "fear": ("fear", "恐惧"),
        "joy": ("joy", "快乐"),
        "sadness": ("sadness", "悲伤"),
        "surprise": ("surprise", "惊讶"),
        "neutral": ("neutral", "平静"),
    },
)

# Mikels' eight, in the order FI and EmoSet use.
MIKELS8 = LabelSet(
    name="mikels8",
    phrases={
        "amusement": ("amused", "amusement", "funny", "好笑", "逗乐"),
        "awe": ("awe", "awe-inspiring", "majestic", "敬畏", "震撼"),
        "contentment": ("content", "contentment", "peaceful", "满足", "惬意"),
        "excitement": ("excited", "excitement", "thrilling", "兴奋", "激动"),
        "anger": ("angry", "anger", "furious", "生气", "愤怒"),
        "disgust": ("disgusted", "disgust", "gross", "恶心", "厌恶"),
        "fear": ("afraid", "fear", "scared", "害怕", "恐惧"),
        "sadness": ("sad", "sadness", "heartbroken", "难过", "悲伤"),
    },
    names={
        "amusement": ("amusement", "愉悦"),
        "awe": ("awe", "敬畏"),
        "contentment": ("contentment", "满足"),
        "excitement": ("excitement", "兴奋"),
        "anger": ("anger", "愤怒"),
        "disgust": ("disgust", "厌恶"),
        "fear": ("fear", "恐惧"),
        "sadness": ("sadness", "悲伤"),
    },
)

# Parrott's (2001) six primary emotions. Love is the one Ekman's set lacks, and the product's
# own first example ("我爱你") is about it.
PARROTT6 = LabelSet(
    name="parrott6",
    phrases={
        "love": ("loving", "love", "affection", "爱", "深爱"),
        "joy": ("happy", "joy", "delighted", "开心", "喜悦"),
        "surprise": ("surprised", "surprise", "amazed", "惊讶", "吃惊"),
        "anger": ("angry", "anger", "furious", "生气", "愤怒"),
        "sadness": ("sad", "sadness", "heartbroken", "难过", "悲伤"),
        "fear": ("afraid", "fear", "scared", "害怕", "恐惧"),
    },
    names={
        "love": ("love", "爱"),
        "joy": ("joy", "喜悦"),
        "surprise": ("surprise", "惊讶"),
        "anger": ("anger", "愤怒"),
        "sadness": ("sadness", "悲伤"),
        "fear": ("fear", "恐惧"),
    },
)

LABEL_SETS = {EKMAN7.name: EKMAN7, MIKELS8.name: MIKELS8, PARROTT6.name: PARROTT6}

# How the eight emotions the pocket model learns (Ekman's seven and love) read in each
# built-in set that lacks one of them: love is a kind of joy for Ekman; in Parrott's tree
# disgust sits under anger, and neutral has no place (None: not scored).
LABEL_MAPS = {
    "ekman7": {"love": "joy"},
    "parrott6": {"disgust": "anger", "neutral": None},
}


def label_in_set(emotion: str, label_set: str) -> str | None:
    """``emotion`` (one of the pocket model's eight) as a label of ``label_set``."""
    return LABEL_MAPS.get(label_set, {}).get(emotion, emotion)


MAX_CUSTOM_LABELS = 40
MAX_PHRASES = 20
MAX_PHRASE_CHARS = 100
MAX_LABEL_FILE_BYTES = 1_000_000
# An object of lists is 2 levels; a little more keeps the specific reasons for near misses.
MAX_LABEL_DEPTH = 20


def _check_depth(data: object, limit: int = MAX_LABEL_DEPTH) -> None:
    """Refuse ``data`` nested deeper than ``limit`` levels (walked without recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                raise ValueError(Message("labels.too_deep", limit=limit))
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


def _spaced(label: str) -> str:
    """A label id as it is compared: surrounding spaces dropped, inner runs made one."""
    return " ".join(label.split())


def parse_label_set(data: object, name: str = "custom") -> LabelSet:
    """A label set from ``{"label_id": ["phrase", "短语", ...], ...}``.

    Raises
    ------
    ValueError
        Saying which label or phrase is wrong, when the structure is not that.
    """
    _check_depth(data)
    if not isinstance(data, dict) or not data:
        raise ValueError(Message("labels.not_an_object"))
    if len(data) < 2 or len(data) > MAX_CUSTOM_LABELS:
        raise ValueError(Message("labels.bad_count", limit=MAX_CUSTOM_LABELS, count=len(data)))
    phrases, seen = {}, {}
    for label, values in data.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(Message("labels.bad_id", label=label))
        if _spaced(label) in seen:
            first = seen[_spaced(label)]
            raise ValueError(Message("labels.same_but_spaces", first=first, second=label))
        seen[_spaced(label)] = label
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not values or len(values) > MAX_PHRASES:
            raise ValueError(Message("labels.bad_phrases", label=label, limit=MAX_PHRASES))
        cleaned = tuple(str(v).strip() for v in values if isinstance(v, str) and v.strip())
        if len(cleaned) != len(values):
            raise ValueError(Message("labels.empty_phrase", label=label))
        for phrase in cleaned:
            if len(phrase) > MAX_PHRASE_CHARS:
                raise ValueError(
                    Message(
                        "labels.phrase_too_long",
                        label=label,
                        length=len(phrase),
                        limit=MAX_PHRASE_CHARS,
                    )
                )
        phrases[_spaced(label)] = cleaned
    names = {
        label: (label, next((p for p in ph if _is_chinese(p)), label))
        for label, ph in phrases.items()
    }
    return LabelSet(name=name, phrases=phrases, names=names)


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` of the label JSON: a key given twice is refused, not merged."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(Message("labels.duplicate", label=key))
        result[key] = value
    return result


def label_set_from_json(raw: bytes | str, name: str = "custom", file: str = "") -> LabelSet:
    """A label set from the text of a JSON file or upload (see :func:`parse_label_set`).

    Refused with a :class:`~core.messages.Message`, before any parsing where it can be:
    over :data:`MAX_LABEL_FILE_BYTES`, not UTF-8 JSON, nested too deeply, a label twice.
    """
    file = file or f"{name}.json"
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > MAX_LABEL_FILE_BYTES:
        raise ValueError(
            Message("labels.file_too_large", file=file, mb=size / 1e6, limit=_limit_mb())
        )
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except RecursionError:
        raise ValueError(Message("labels.too_deep", limit=MAX_LABEL_DEPTH)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(Message("labels.bad_json", file=file, error=str(error))) from None
    return parse_label_set(data, name=name)


def _limit_mb() -> float:
    return MAX_LABEL_FILE_BYTES / 1e6


def _read_label_file(path: Path) -> bytes:
    """The bytes of a regular label file, read at most one byte past the size limit."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(Message("labels.not_a_file", file=path.name))
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise ValueError(Message("labels.not_a_file", file=path.name))
            if status.st_size > MAX_LABEL_FILE_BYTES:
                raise ValueError(
                    Message(
                        "labels.file_too_large",
                        file=path.name,
                        mb=status.st_size / 1e6,
                        limit=_limit_mb(),
                    )
                )
            chunks, total = [], 0
            while total <= MAX_LABEL_FILE_BYTES:
                chunk = os.read(descriptor, MAX_LABEL_FILE_BYTES + 1 - total)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(descriptor)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(Message("labels.unreadable", file=path.name, error=reason)) from None
    if total > MAX_LABEL_FILE_BYTES:
        raise ValueError(Message("labels.file_over_limit", file=path.name, limit=_limit_mb()))
    return b"".join(chunks)


def load_label_set(spec: str) -> LabelSet:
    """``ekman7``, ``mikels8``, ``parrott6`` or the path of a JSON file of at most
    :data:`MAX_LABEL_FILE_BYTES` (see :func:`label_set_from_json`)."""
    if spec in LABEL_SETS:
        return LABEL_SETS[spec]
    path = Path(spec)
    if not os.path.exists(path):
        raise ValueError(Message("labels.unknown_set", spec=spec, choices=", ".join(LABEL_SETS)))
    return label_set_from_json(_read_label_file(path), name=path.stem, file=path.name)


TEMPLATES_EN = ("{}", "I feel {}", "a {} face", "a picture that feels {}", "so {}")
TEMPLATES_ZH = ("{}", "我很{}", "一张{}的脸", "让人感到{}的图片", "好{}")


def _is_chinese(phrase: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in phrase)


def prompts_for(phrases: tuple[str, ...]) -> list[str]:
    """Every template of the phrase's language filled with each phrase."""
    prompts = []
    for phrase in phrases:
        templates = TEMPLATES_ZH if _is_chinese(phrase) else TEMPLATES_EN
        prompts.extend(template.format(phrase) for template in templates)
    return prompts


def label_vectors(encoder: ClipEncoder, label_set: LabelSet = EKMAN7) -> np.ndarray:
    """One unit vector per label: the renormalised mean of its prompt embeddings.

    Returns
    -------
    ndarray of shape (n_labels, dim), float32
    """
    rows = []
    for label in label_set.labels:
        mean = encoder.encode_texts(prompts_for(label_set.phrases[label])).mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.stack(rows).astype(np.float32)


def prompt_bank_center(encoder: ClipEncoder, label_set: LabelSet = EKMAN7) -> np.ndarray:
    """Mean embedding of all the label set's prompts: a stand-in for "the text modality's
    mean" when there are too few user texts to have one (see ``core.transfer.place_text``)."""
    prompts = [p for label in label_set.labels for p in prompts_for(label_set.phrases[label])]
    return encoder.encode_texts(prompts).mean(axis=0)


def zero_shot(vectors: np.ndarray, labels: np.ndarray, logit_scale: float) -> np.ndarray:
    """Emotion distribution of each row of ``vectors``.

    Parameters
    ----------
    vectors : ndarray of shape (n_items, dim), unit rows
    labels : ndarray of shape (n_labels, dim), unit rows (see :func:`label_vectors`)
    logit_scale : float
        The model's temperature (``ClipEncoder.logit_scale``).

    Returns
    -------
    ndarray of shape (n_items, n_labels): rows sum to 1.
    """
    logits = logit_scale * vectors @ labels.T
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def top_labels(probabilities: np.ndarray, label_set: LabelSet) -> list[str]:
    """The most probable label of each row."""
    return [label_set.labels[i] for i in probabilities.argmax(axis=1)]


@dataclass
class ProbeReport:
    """Cross-validated quality of a linear probe and the probe fitted on all data."""

    labels: tuple[str, ...]
    fold_accuracies: list[float]
    confusion: np.ndarray  # (n_labels, n_labels): rows are true labels, columns predictions
    model: object

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.fold_accuracies))

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Label distribution of new items, columns in ``labels`` order."""
        return self.model.predict_proba(vectors)


def fit_linear_probe(
    vectors: np.ndarray, labels, *, folds: int = 5, random_state: int = 0
) -> ProbeReport:
    """The seed's "fully connected layer": logistic regression on frozen CLIP features.

    Stratified k-fold accuracy and a confusion matrix summed over the folds, then a final
    fit on everything. ``folds`` is lowered to the size of the smallest class (min 2).

    Raises
    ------
    ValueError
        With the counts, when a class has fewer than 2 examples or there is one class only.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    names, counts = np.unique(labels, return_counts=True)
    if len(names) < 2:
        raise ValueError(
            Message("probe.one_label", count=len(names), labels=[str(n) for n in names])
        )
    if counts.min() < 2:
        few = {str(n): int(c) for n, c in zip(names, counts, strict=True) if c < 2}
        raise ValueError(Message("probe.too_few_examples", few=few))
    folds = int(min(folds, counts.min()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    accuracies, confusion = [], np.zeros((len(names), len(names)), dtype=int)
    for train_rows, test_rows in splitter.split(vectors, labels):
        probe = LogisticRegression(max_iter=2000, C=10.0).fit(
            vectors[train_rows], labels[train_rows]
        )
        predicted = probe.predict(vectors[test_rows])
        accuracies.append(float((predicted == labels[test_rows]).mean()))
        confusion += confusion_matrix(labels[test_rows], predicted, labels=names)
    final = LogisticRegression(max_iter=2000, C=10.0).fit(vectors, labels)
    return ProbeReport(tuple(str(n) for n in names), accuracies, confusion, final)


def zero_shot_accuracy(
    probabilities: np.ndarray, truth: list[str], label_set: LabelSet
) -> float | None:
    """Share of items whose zero-shot top label is their true label, counting only items
    whose true label is in ``label_set`` (None when there are none)."""
    known = [i for i, label in enumerate(truth) if label in label_set.labels]
    if not known:
        return None
    tops = top_labels(probabilities[known], label_set)
    return float(np.mean([top == truth[i] for top, i in zip(tops, known, strict=True)]))
