"""Text intake: what a sentence must be before it is embedded.

Empty and whitespace-only texts are refused; control characters (NUL included) are
removed; a text longer than the model's context is kept but flagged, because the tokenizer
will embed only its first ``context_length`` tokens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from core.messages import Message, define

define(
    {
        "text.not_a_text": "expected a text, got {kind}",
        "text.empty": "the text is empty",
        "text.only_whitespace": "the text is only whitespace",
        "text.truncated": "truncated: {tokens} tokens, only the first part is embedded",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone halves cannot be encoded as UTF-8
MAX_TEXT_CHARS = 10_000


class TextRejected(ValueError):
    """A text that cannot be embedded; ``str(error)`` is the reason for the user."""


@dataclass(frozen=True)
class TextItem:
    """A cleaned text with its token count; ``truncated`` when it exceeds the context."""

    text: str
    tokens: int
    truncated: bool

    @property
    def note(self) -> str:
        if not self.truncated:
            return ""
        return Message("text.truncated", tokens=self.tokens)


def clean_text(text: str) -> str:
    """NFC-normalise, drop control characters and lone surrogates, trim; keeps every
    script and emoji."""
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text)).strip()


def check_text(text: str, count_tokens: Callable[[str], int], context_length: int) -> TextItem:
    """Clean ``text`` and measure it against the tokenizer.

    Raises
    ------
    TextRejected
        If nothing but whitespace or control characters is left.
    """
    if not isinstance(text, str):
        raise TextRejected(Message("text.not_a_text", kind=type(text).__name__))
    cleaned = clean_text(text)
    if not any(unicodedata.category(char)[0] not in "CZ" for char in cleaned):
        # only separators, controls and invisible format characters such as U+200B
        raise TextRejected(Message("text.empty" if not text else "text.only_whitespace"))
    # Tokenising 100k characters is slow and pointless: the context holds ~77 tokens.
    tokens = count_tokens(cleaned[:MAX_TEXT_CHARS])
    truncated = tokens > context_length or len(cleaned) > MAX_TEXT_CHARS
    return TextItem(cleaned[:MAX_TEXT_CHARS], tokens, truncated)


_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\U0001f9b0-\U0001f9b3]")
# A country's flag (two regional indicators) or a region's (a black flag and tag letters):
# the emoji package names them by the place alone ("China"), CLDR as "flag: China".
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}|\U0001f3f4[\U000e0061-\U000e007a]+\U000e007f")


def spell_emoji(text: str) -> str:
    """``text`` with each emoji written as its CLDR name ("😭" → "loudly crying face"), a
    run of the same emoji written once.

    For sentence towers that never learned emoji: the pocket model's towers read every
    emoji as the same unknown token, so "🥰" and "😡" alike came out as fear 70 %.
    Measured on the gallery's 111 labelled face and symbol emoji (Ekman-7, zero-shot):
    10 % right as raw characters, 58 % spelled out (``benchmarks/RESULTS.md``).
    """
    import emoji

    # Skin tones and hair styles would add words ("dark skin tone") that read as a mood.
    text = _EMOJI_MODIFIERS.sub("", text)
    found = [
        item
        for item in emoji.emoji_list(text)
        # ©, ®, ™, ‼, ↔ and the like are text symbols unless written with VS16
        if not (len(item["emoji"]) == 1 and ord(item["emoji"]) < 0x2200)
    ]
    if not found:
        return text
    parts, last, previous = [], 0, None
    for item in found:
        between = text[last : item["match_start"]]
        name = emoji.EMOJI_DATA.get(item["emoji"], {}).get("en", item["emoji"])
        name = name.strip(":").replace("_", " ").replace("\u200d", " ")
        if _FLAG.fullmatch(item["emoji"]):
            name = f"flag of {name}"  # a flag, not the place: "我爱🇨🇳" is not "我爱 China"
        if not (name == previous and not between.strip()):  # a run of one emoji: once
            parts.append(f"{between} {name} ")
        previous, last = name, item["match_end"]
    parts.append(text[last:])
    joined = re.sub("[\u200d\ufe0f]", " ", "".join(parts))  # joiners left between names
    return re.sub(r"\s+", " ", joined).strip()
