"""Training pairs for the pocket model: pictures with English or Chinese captions.

Every sample knows *what its caption says* (an emoji name, an emotion, a scene), so the
training loss can treat every caption in a batch that truly describes a picture as a
positive, not only the one it was drawn with: "I feel so happy" is right for every happy
face in the batch, and wrong for every sad one (the hard negatives between faces).

Run ``python -m core.pocket.data OUT`` to write a contact sheet of samples for a look.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import emoji
from PIL import Image

from core.pocket.lexicon import EMOTION_NAMES, LEARNED, SCENES, face_labels, symbol_labels
from core.pocket.render import (
    TRAIN_DESIGNS,
    TRAIN_STYLE,
    RenderStyle,
    glyph,
    render_emoji,
    render_scene,
)
from core.pocket.sentences import training_sentences

# Code point blocks the vocabulary draws from: faces, gestures, hearts, animals, plants,
# food, weather and celebration, where most everyday emotional emoji live.
EMOJI_BLOCKS = (
    (0x1F600, 0x1F64F),
    (0x1F910, 0x1F92F),
    (0x1F970, 0x1F97A),
    (0x1FAE0, 0x1FAE8),
    (0x1F300, 0x1F320),
    (0x1F330, 0x1F393),
    (0x1F400, 0x1F4AF),
    (0x1F980, 0x1F9AE),
    (0x2600, 0x27BF),
)

NAME_TEMPLATES = {
    "en": ("{}", "{}", "a {}", "{} emoji", "the {} icon", "a picture of {}"),
    "zh": ("{}", "{}", "一个{}", "{}表情", "{}的图标", "一张{}的图"),
}
JOINERS = {"en": " and ", "zh": "和"}


def _clean_name(cldr: str) -> str:
    return re.sub(r"[_:]+", " ", cldr).strip()


@dataclass(frozen=True)
class EmojiEntry:
    char: str
    names_en: tuple[str, ...]
    name_zh: str
    emotion: str | None


@lru_cache(maxsize=1)
def vocabulary() -> tuple[EmojiEntry, ...]:
    """Emoji in :data:`EMOJI_BLOCKS` that Noto draws, with names in both languages.

    Single code points only (a trailing VS16 allowed); sorted by code point.
    """
    emoji.config.load_language("zh")
    labels = {**symbol_labels(), **face_labels()}
    labels = {key.replace("\ufe0f", ""): value for key, value in labels.items()}
    entries = []
    for char, data in emoji.EMOJI_DATA.items():
        base = char.replace("\ufe0f", "")
        if len(base) != 1 or data.get("status") != emoji.STATUS["fully_qualified"]:
            continue
        if not any(lo <= ord(base) <= hi for lo, hi in EMOJI_BLOCKS) or not data.get("zh"):
            continue
        if glyph(base, "noto") is None:
            continue
        names = [_clean_name(data["en"])] + [_clean_name(a) for a in data.get("alias", [])]
        entries.append(
            EmojiEntry(base, tuple(dict.fromkeys(names)), _clean_name(data["zh"]), labels.get(base))
        )
    return tuple(sorted(entries, key=lambda e: ord(e.char)))


@dataclass(frozen=True)
class Sample:
    """A picture and its caption, with what each is about (for the multi-positive loss).

    ``image_emoji``/``image_emotion``/``image_scene`` describe the picture; ``topic`` is
    what the caption asserts: ``("name", frozenset of emoji)``, ``("emotion", label)`` or
    ``("scene", id)``.
    """

    image: Image.Image
    caption: str
    language: str
    topic: tuple
    image_emoji: frozenset
    image_emotion: str | None
    image_scene: str | None = None


def caption_matches(topic: tuple, sample: Sample) -> bool:
    """Whether a caption about ``topic`` truly describes ``sample``'s picture."""
    kind, value = topic
    if kind == "name":
        return value == sample.image_emoji
    if kind == "emotion":
        return value == sample.image_emotion
    return value == sample.image_scene


@lru_cache(maxsize=1)
def sentence_pool() -> dict[tuple[str, str], tuple[str, ...]]:
    """The composed training sentences (:mod:`core.pocket.sentences`) by (emotion, language)."""
    pool: dict[tuple[str, str], list[str]] = {}
    for sentence in training_sentences():
        pool.setdefault((sentence.emotion, sentence.language), []).append(sentence.text)
    return {key: tuple(texts) for key, texts in pool.items()}


def emotion_caption(label: str, language: str, rng: random.Random) -> str:
    """A caption expressing ``label``: a composed sentence (situation, reaction, emotion
    word in a template), or the emotion's name."""
    if rng.random() < 0.92:
        return rng.choice(sentence_pool()[(label, language)])
    english, chinese = EMOTION_NAMES[label]
    return english if language == "en" else chinese


def name_caption(entries: list[EmojiEntry], language: str, rng: random.Random) -> str:
    if language == "en":
        names = [rng.choice(entry.names_en) for entry in entries]
    else:
        names = [entry.name_zh for entry in entries]
    joined = JOINERS[language].join(names)
    return rng.choice(NAME_TEMPLATES[language]).format(joined)


class SampleStream:
    """An endless, seeded stream of training samples.

    Parameters
    ----------
    seed : int
        Fixes the whole stream.
    designs : tuple of str
        Font designs to draw emoji with (the first is the fallback).
    entries : sequence of EmojiEntry, optional
        The emoji to use; the whole :func:`vocabulary` by default.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        designs: tuple[str, ...] = TRAIN_DESIGNS,
        entries: tuple[EmojiEntry, ...] | None = None,
        style: RenderStyle = TRAIN_STYLE,
        size: int = 64,
    ) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.designs = designs
        self.style = style
        self.entries = list(entries if entries is not None else vocabulary())
        self.emotional = {
            label: [e for e in self.entries if e.emotion == label] for label in LEARNED
        }
        self.emotional = {label: group for label, group in self.emotional.items() if group}

    def __iter__(self) -> Iterator[Sample]:
        while True:
            yield self.sample()

    def sample(self) -> Sample:
        rng = self.rng
        language = "en" if rng.random() < 0.5 else "zh"
        roll = rng.random()
        if roll < 0.14:
            scene_id, label, english, chinese = rng.choice(SCENES)
            picture = render_scene(scene_id, rng, self.size)
            if rng.random() < 0.6:
                caption, topic = (english if language == "en" else chinese), ("scene", scene_id)
            else:
                caption, topic = emotion_caption(label, language, rng), ("emotion", label)
            return Sample(picture, caption, language, topic, frozenset(), label, scene_id)
        if roll < 0.48 and self.emotional:
            label = rng.choice(sorted(self.emotional))
            count = 1 if rng.random() < 0.8 else rng.randint(2, 3)
            chosen = [rng.choice(self.emotional[label]) for _ in range(count)]
            caption, topic = emotion_caption(label, language, rng), ("emotion", label)
        else:
            count = 1 if rng.random() < 0.85 else 2
            chosen = rng.sample(self.entries, count)
            caption = name_caption(chosen, language, rng)
            topic = ("name", frozenset(e.char for e in chosen))
            emotions = {e.emotion for e in chosen}
            label = emotions.pop() if len(emotions) == 1 else None
        picture = render_emoji(
            [e.char for e in chosen], rng, designs=self.designs, style=self.style, size=self.size
        )
        return Sample(picture, caption, language, topic, frozenset(e.char for e in chosen), label)


def contact_sheet(samples: list[Sample], columns: int = 8) -> Image.Image:
    """Samples side by side (captions are printed by the caller), for a visual check."""
    size = samples[0].image.width
    rows = (len(samples) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * size, rows * size), (255, 255, 255))
    for index, sample in enumerate(samples):
        sheet.paste(sample.image, ((index % columns) * size, (index // columns) * size))
    return sheet


if __name__ == "__main__":
    import sys

    stream = SampleStream(seed=1)
    batch = [stream.sample() for _ in range(48)]
    contact_sheet(batch).resize((8 * 128, 6 * 128), Image.Resampling.NEAREST).save(
        sys.argv[1] if len(sys.argv) > 1 else "samples.png"
    )
    print(f"{len(vocabulary())} emoji in the vocabulary")
    for index, sample in enumerate(batch):
        print(index, sample.topic[0], sample.caption)
