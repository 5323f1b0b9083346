"""Reading Bot API parameters the way Telegram does, whatever the encoding.

PTB sends form fields (or multipart when uploading) where every non-string value is JSON-encoded:
``chat_id=-100``, ``reply_markup={"inline_keyboard": ...}``, ``show_alert=true``; strings are sent
raw. Other clients send a JSON body with native types. Both end up as the same typed dict here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from piebot.localapi.model import bad_request

_JSON_FIELDS = frozenset({
    "reply_markup", "reply_parameters", "entities", "caption_entities", "allowed_updates", "commands",
    "scope", "link_preview_options", "media", "results", "permissions", "reaction",
})
_INT_FIELDS = frozenset({
    "message_id", "user_id", "offset", "limit", "timeout", "reply_to_message_id", "message_thread_id",
    "cache_time", "max_connections", "from_chat_id", "duration", "until_date",
})
_BOOL_FIELDS = frozenset({
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates",
    "allow_sending_without_reply", "disable_web_page_preview", "has_spoiler", "disable_content_type_detection",
    "only_if_banned", "revoke_messages", "is_anonymous", "is_big",
})
_INT_RE = re.compile(r"-?\d+")


@dataclass
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


async def read_params(request: web.Request) -> dict[str, Any]:
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            raw.update(body)
        elif content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name is None:
                    continue
                if part.filename is not None:
                    content_type_header = part.headers.get("Content-Type")
                    raw[part.name] = Upload(bytes(await part.read()), part.filename, content_type_header)
                else:
                    raw[part.name] = await part.text()
        else:
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    return normalise(raw)


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            value = _coerce(name, value)
        params[name] = value
    return params


def _coerce(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as exc:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from exc
            raise bad_request(f"can't parse {name} JSON object") from exc
    if name in _INT_FIELDS or name.endswith("chat_id"):
        if _INT_RE.fullmatch(value):
            return int(value)
        if name in _INT_FIELDS:
            raise bad_request(f"invalid {name} specified")
        return value
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value
