"""Telegram's HTML parse mode and automatic entity detection.

The parser follows the Bot API server (tdlib's ``parse_html``) closely enough that text it rejects
would also be rejected by Telegram, with the same wording, because "can't parse entities" is the
error a bot meets in production when it forgets to escape a user's name.
"""

from __future__ import annotations

import re
from typing import Any

from piebot.localapi.model import bad_request

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_END = frozenset(" \t\r\n>")


def utf16_len(text: str) -> int:
    """Telegram counts entity offsets in UTF-16 code units, so emoji count twice."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at ``text[i] == '&'``; returns (character, next index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = text[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    try:
        if body.startswith(("#x", "#X")):
            code = int(body[2:], 16)  # noqa: FURB166 - the prefix is HTML's "#x", not Python's
        elif body.startswith("#"):
            code = int(body[1:], 10)
        else:
            return None
        return chr(code), end + 1
    except (ValueError, OverflowError):
        return None


def _entity_error(message: str) -> Exception:
    return bad_request(f"can't parse entities: {message}")


def _parse_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    attrs: dict[str, str] = {}
    size = len(text)
    while True:
        while i < size and text[i] in " \t\r\n":
            i += 1
        if i == size:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < size and (text[i].isalnum() or text[i] in "-_"):
            i += 1
        name = text[start:i].lower()
        if not name:
            raise _entity_error(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, start)}'
            )
        while i < size and text[i] in " \t\r\n":
            i += 1
        if i < size and text[i] != "=":
            # Telegram allows valueless attributes such as <blockquote expandable>.
            attrs[name] = ""
            continue
        if i == size:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        while i < size and text[i] in " \t\r\n":
            i += 1
        if i == size:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end == -1:
                raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            raw = text[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < size and text[i] not in " \t\r\n>":
                i += 1
            raw = text[start:i]
        attrs[name] = _unescape_attribute(raw)


def _unescape_attribute(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&":
            decoded = _decode_entity(raw, i)
            if decoded:
                out.append(decoded[0])
                i = decoded[1]
                continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the entities Telegram would derive from ``text``.

    With ``strict`` a bare ``&`` is rejected too. Telegram itself lets a stray ``&`` through, but
    only by luck: ``Tom & Jerry`` passes while ``R&amp;D`` written by a user as ``R&D;`` does not,
    so tests are better served by demanding that every user-supplied string is escaped.
    """
    out: list[str] = []
    out_utf16 = 0
    stack: list[tuple[str, dict[str, str], int, int]] = []
    entities: list[dict[str, Any]] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded:
                out.append(decoded[0])
                out_utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise _entity_error(f'Unescaped "&" at byte offset {_byte_offset(text, i)}')
        if char != "<":
            out.append(char)
            out_utf16 += utf16_len(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < size and text[i] == "/":
            i += 1
            start = i
            while i < size and text[i] not in _TAG_NAME_END:
                i += 1
            tag = text[start:i].lower()
            while i < size and text[i] in " \t\r\n":
                i += 1
            if i == size or text[i] != ">":
                raise _entity_error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            open_tag, attrs, offset, _ = stack.pop()
            if tag != open_tag:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{open_tag}>", found "</{tag}>"'
                )
            entity = _make_entity(open_tag, attrs, offset, out_utf16 - offset, "".join(out))
            if entity is not None:
                entities.append(entity)
            continue
        start = i
        while i < size and text[i] not in _TAG_NAME_END:
            i += 1
        if i == size:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[start:i].lower()
        if tag not in ALLOWED_TAGS:
            raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        attrs, i = _parse_attributes(text, i, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _entity_error("Custom emoji entity must contain a valid custom emoji identifier")
        stack.append((tag, attrs, out_utf16, begin))
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    plain = "".join(out)
    entities = _fold_pre_code(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def _make_entity(tag: str, attrs: dict[str, str], offset: int, length: int, text: str) -> dict | None:
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": offset, "length": length}
    if tag == "a":
        href = attrs.get("href", "")
        match = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if match:
            entity.update(type="text_mention", user={"id": int(match.group(1)), "is_bot": False,
                                                     "first_name": ""})
        elif href:
            entity.update(type="text_link", url=href)
        else:
            return None
    elif tag == "span":
        entity["type"] = "spoiler"
    elif tag == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attrs["emoji-id"])
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    else:
        entity["type"] = _SIMPLE_TAGS[tag]
        if tag == "code" and attrs.get("class", "").startswith("language-"):
            entity["language"] = attrs["class"][len("language-"):]
    return entity


def _fold_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``<pre><code class="language-x">`` is one pre entity with a language, as Telegram reports it."""
    pres = {(e["offset"], e["length"]): e for e in entities if e["type"] == "pre"}
    folded = []
    for entity in entities:
        span = (entity["offset"], entity["length"])
        if entity["type"] == "code" and span in pres:
            if "language" in entity:
                pres[span]["language"] = entity["language"]
            continue
        folded.append(entity)
    return folded


_AUTO_PATTERNS = (
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]']")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#&])#\w*[^\W\d]\w*")),
)
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "text_mention"})


def detect_entities(text: str, existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Entities Telegram adds by itself (commands, links, mentions, hashtags) plus ``existing``."""
    existing = list(existing or [])
    blocked = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _NO_AUTO_INSIDE]
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(match.group(0))
            if any(s < end and start < e for s, e in blocked + taken):
                continue
            taken.append((start, end))
            found.append({"offset": start, "length": end - start, "type": kind})
    merged = existing + found
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return merged


def entity_text(text: str, entity: dict[str, Any]) -> str:
    raw = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return raw[start : start + length].decode("utf-16-le")
