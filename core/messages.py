"""Messages from core to people, as codes and values, so every interface can say them in
its own language.

A :class:`Message` *is* its English text (a ``str``: the CLI prints it, tests match it),
and also carries ``code`` and ``values``: the dashboard renders it from its own templates
(``ui/messages_zh.py``) in Chinese. Core raises and reports only Messages for anything a
user may read; :data:`EN` holds every English template.
"""

from __future__ import annotations

import json

EN: dict[str, str] = {}


def define(templates: dict[str, str]) -> None:
    """Add English templates (``str.format`` placeholders); a code is defined only once."""
    for code, template in templates.items():
        if code in EN and EN[code] != template:
            raise ValueError(f"message code {code!r} is defined twice")
        EN[code] = template


class Message(str):
    """English text with the ``code`` and ``values`` it was made from."""

    code: str
    values: dict

    def __new__(cls, code: str, **values) -> Message:
        text = super().__new__(cls, EN[code].format(**values))
        text.code = code
        text.values = values
        return text

    def __reduce__(self):  # copies and pickles keep the code
        return (_rebuild, (self.code, self.values))


def _rebuild(code: str, values: dict) -> Message:
    return Message(code, **values)


define({"list.semicolons": "{first}; {rest}"})


def message_json(reason: str) -> str | None:
    """A reason's code and values as JSON (to store or send it), None for plain text."""
    if isinstance(reason, Message):
        return json.dumps({"code": reason.code, "values": reason.values}, ensure_ascii=False)
    return None


def from_json(text: str, stored: str | None) -> str:
    """The :class:`Message` :func:`message_json` stored, when its code is known here;
    else ``text`` (its English) as it is."""
    if stored:
        try:
            record = json.loads(stored)
            if record.get("code") in EN:
                return Message(record["code"], **record.get("values", {}))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            pass
    return text


def message_of(error: BaseException) -> str:
    """The :class:`Message` an exception was raised with, else its plain text."""
    if error.args and isinstance(error.args[0], Message):
        return error.args[0]
    return str(error)


def joined(parts) -> str:
    """``parts`` joined by "; " as one message whose parts each keep their own code."""
    parts = list(parts)
    if not parts:
        return ""
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = Message("list.semicolons", first=part, rest=result)
    return result
