"""Button data: short, versioned, prefixed strings, parsed and checked on every press.

Form: ``v1:<kind>:<ref>:<arg>`` where ``ref`` is a database id and ``arg`` a short suffix.
Telegram allows 64 bytes; the data arrives from the client, so nothing in it is trusted
beyond its shape: who pressed and where is checked against the database by each handler.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from conversations.texts.refusals import BUTTON_EXPIRED

log = logging.getLogger(__name__)

VERSION = "v1"
MAX_BYTES = 64
_PATTERN = re.compile(r"^v1:([a-z]{1,4}):(\d{1,12}):([A-Za-z0-9._\-]{0,24})$")


class BadButton(ValueError):
    """Button data that piebot could not have sent."""


@dataclass(frozen=True)
class Press:
    kind: str
    ref: int
    arg: str


def encode(kind: str, ref: int, arg: str = "") -> str:
    data = f"{VERSION}:{kind}:{ref}:{arg}"
    if len(data.encode()) > MAX_BYTES or not _PATTERN.match(data):
        raise ValueError(f"button data would be invalid: {data!r}")
    return data


def decode(data: str | None) -> Press:
    match = _PATTERN.match(data or "")
    if match is None:
        raise BadButton("malformed button data")
    kind, ref, arg = match.groups()
    return Press(kind, int(ref), arg)


def pattern(kind: str) -> re.Pattern[str]:
    """The CallbackQueryHandler pattern for one kind of button."""
    return re.compile(rf"^v1:{re.escape(kind)}:")


async def press_of(query, feature: str) -> Press | None:
    """The press behind a callback query; malformed data is refused kindly and logged without content."""
    try:
        return decode(query.data)
    except BadButton:
        log.warning("%s button refused: malformed", feature)
        await query.answer(BUTTON_EXPIRED, show_alert=True)
        return None
