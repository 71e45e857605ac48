"""Telegram's HTML parse mode, as the Bot API applies it: tags to entities, or a 400 with its reason.

Independent of `bot.render` on purpose: the stand-in must catch what our renderer gets wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
ATTR = re.compile(r"""([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);")
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
MAX_TEXT = 4096


class EntityError(Exception):
    """Telegram would answer 400 "Bad Request: can't parse entities: …"."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, Telegram's measure."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    name: str
    offset: int
    attrs: dict[str, str]


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _attrs(raw: str) -> dict[str, str]:
    values = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in ATTR.finditer(raw)
    }
    return {key: ENTITY.sub(lambda m: _entity_char(m) or m.group(0), value) for key, value in values.items()}


def _entity_char(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith("#x"):
        return chr(int(body[2:], 16))
    if body.startswith("#"):
        return chr(int(body[1:]))
    return NAMED.get(body)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and entities of an HTML-formatted message; EntityError when Telegram would refuse it."""
    text: list[str] = []
    length = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = TAG.match(source, i)
            if match is None:
                raise EntityError(f"Unexpected end of name token at byte offset {_byte_offset(source, i)}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ENTITY_TYPES:
                kind = "end" if closing else "start"
                raise EntityError(f'Unsupported {kind} tag "{name}" at byte offset {_byte_offset(source, i)}')
            if closing:
                if not stack:
                    raise EntityError(f"Unexpected end tag at byte offset {_byte_offset(source, i)}")
                top = stack.pop()
                if top.name != name:
                    raise EntityError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected "</{top.name}>", found "</{name}>"'
                    )
                if length > top.offset:
                    entity: dict[str, Any] = {
                        "type": ENTITY_TYPES[name],
                        "offset": top.offset,
                        "length": length - top.offset,
                    }
                    if name == "a":
                        entity["url"] = top.attrs.get("href", "")
                    entities.append(entity)
            else:
                attrs = _attrs(match.group(3))
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityError('Tag "span" must have class "tg-spoiler"')
                stack.append(_Open(name, length, attrs))
            i = match.end()
            continue
        if (
            char == "&"
            and (match := ENTITY.match(source, i))
            and (resolved := _entity_char(match)) is not None
        ):
            text.append(resolved)
            length += utf16_len(resolved)
            i = match.end()
            continue
        text.append(char)
        length += utf16_len(char)
        i += 1
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(text), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def validate_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The message Telegram would store, or ValueError with its 400 description."""
    entities: list[dict[str, Any]] = []
    if parse_mode and parse_mode.upper() == "HTML":
        try:
            text, entities = parse_html(text)
        except EntityError as exc:
            raise ValueError(f"Bad Request: can't parse entities: {exc}") from None
    shown = text.strip()
    if not shown:
        raise ValueError("Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise ValueError("Bad Request: message is too long")
    return text, entities
