"""Emotional training sentences for the pocket model, composed from text written for it.

``core/pocket/corpus/situations_{en,zh}.csv`` hold, for each of the eight emotions the
model learns (Ekman's seven with neutral, plus Parrott's primary *love*), everyday
situations that imply the emotion without naming it ("the landlord kept our deposit") and
short reactions that name it ("气炸了"). Situations and reactions were written for this
project, in each language on its own (not translated), and apart from the evaluation sets
in ``assets/pocket_eval`` (``tests/test_pocket.py`` checks that none overlaps).

:func:`training_sentences` combines them by templates into a fixed, seeded list of a few
thousand sentences per language: situations alone (the implied case), reactions alone
(the explicit case) and situation + reaction.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.pocket.lexicon import EMOTION_WORDS, SCENARIOS, WORD_TEMPLATES

CORPUS = Path(__file__).resolve().parent / "corpus"
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral", "love")
LANGUAGES = ("en", "zh")

# {s} a situation, {r} a reaction. Emotion-neutral frames only: each must read naturally
# for every emotion, or it would teach the frame instead of the content.
SITUATION_FRAMES = {
    "en": ("{s}", "{s}", "{S}.", "{s}!", "{s} today", "so {s}", "{S}..."),
    "zh": ("{s}", "{s}", "{s}。", "{s}！", "今天{s}", "刚刚{s}", "{s}……"),
}
COMBINED_FRAMES = {
    "en": ("{s}, {r}", "{S}. {R}", "{R}: {s}", "{s}... {r}", "{r}, {s}"),
    "zh": ("{s}，{r}", "{s}。{r}", "{r}，{s}", "{s}……{r}", "{r}！{s}"),
}
REACTIONS_PER_SITUATION = 4


@dataclass(frozen=True)
class WrittenLine:
    emotion: str
    kind: str  # "situation" or "reaction"
    text: str
    language: str


@cache
def written_lines(language: str) -> tuple[WrittenLine, ...]:
    """The corpus file of ``language``, checked: known emotions and kinds, no empty text.

    Raises
    ------
    ValueError
        A row with an unknown emotion or kind, quoting it.
    """
    rows = []
    with open(CORPUS / f"situations_{language}.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["emotion"] not in EMOTIONS or row["kind"] not in {"situation", "reaction"}:
                raise ValueError(f"Bad corpus row in situations_{language}.csv: {row}")
            text = row["text"].strip()
            if text:
                rows.append(WrittenLine(row["emotion"], row["kind"], text, language))
    return tuple(rows)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


_TRAILING = ",.;:!?，。；：！？、…~～ "


def _fill(frame: str, situation: str = "", reaction: str = "") -> str:
    """``frame`` with its slots filled; a slot followed by more text loses its end marks
    (no "我要投诉！，")."""
    text = frame
    for slot, value in (
        ("{S}", situation),
        ("{s}", situation),
        ("{R}", reaction),
        ("{r}", reaction),
    ):
        if slot not in text:
            continue
        if not text.endswith(slot):
            value = value.rstrip(_TRAILING)
        if slot in ("{S}", "{R}"):
            value = _capitalise(value)
        text = text.replace(slot, value)
    return text


@dataclass(frozen=True)
class TrainingSentence:
    text: str
    language: str
    emotion: str


def _lexicon_sentences(language: str) -> list[TrainingSentence]:
    """The first pocket model's emotion words in templates and its short situations."""
    found = []
    for emotion, words in EMOTION_WORDS.items():
        for word in words[language]:
            for template in WORD_TEMPLATES[language]:
                found.append(TrainingSentence(template.format(word), language, emotion))
    for emotion, by_language in SCENARIOS.items():
        for text in by_language[language]:
            found.append(TrainingSentence(text, language, emotion))
    return found


@cache
def training_sentences(seed: int = 0) -> tuple[TrainingSentence, ...]:
    """Every composed training sentence, both languages, in a fixed order (no duplicates)."""
    rng = random.Random(seed)
    found: dict[str, TrainingSentence] = {}
    for language in LANGUAGES:
        lines = written_lines(language)
        for emotion in EMOTIONS:
            situations = [x.text for x in lines if x.emotion == emotion and x.kind == "situation"]
            reactions = [x.text for x in lines if x.emotion == emotion and x.kind == "reaction"]
            for reaction in reactions:
                found.setdefault(reaction, TrainingSentence(reaction, language, emotion))
            for situation in situations:
                for frame in rng.sample(SITUATION_FRAMES[language], 2):
                    text = _fill(frame, situation)
                    found.setdefault(text, TrainingSentence(text, language, emotion))
                for reaction in rng.sample(reactions, min(REACTIONS_PER_SITUATION, len(reactions))):
                    text = _fill(rng.choice(COMBINED_FRAMES[language]), situation, reaction)
                    found.setdefault(text, TrainingSentence(text, language, emotion))
        for sentence in _lexicon_sentences(language):
            found.setdefault(sentence.text, sentence)
    return tuple(found.values())


def training_texts() -> set[str]:
    """Every text the model trains on as an emotional sentence, lower-cased (overlap checks)."""
    texts = {s.text.lower() for s in training_sentences()}
    for language in LANGUAGES:
        texts |= {line.text.lower() for line in written_lines(language)}
    return texts
