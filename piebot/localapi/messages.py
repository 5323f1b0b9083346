"""Bot API methods that send, edit, delete and answer: messages, photos, documents, albums, button
answers and chat actions, with the results and errors Telegram gives."""

from __future__ import annotations

import copy
import mimetypes
import secrets
import struct
from typing import Any

from piebot.localapi.checks import RequestChecks
from piebot.localapi.model import Chat, SentMessage, StoredFile, bad_request
from piebot.localapi.params import Upload

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_MAX_DOWNLOAD = 20 * 1024 * 1024
_FILE_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "voice": "AwACAgIAAxkBAAI"}
_FILE_FOLDER = {"photo": "photos", "document": "documents", "voice": "voice"}


class MessageMethods(RequestChecks):
    """Mixed into LocalBotApi; every ``_api_<name>`` method answers the Bot API method ``<name>``."""

    def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_post_rights(chat)
        text, entities = self._parse_text(
            p.get("text"), p.get("parse_mode"), p.get("entities"),
            limit=4096, empty="message text is empty", too_long="message is too long",
        )
        markup, force_reply = self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        self._check_flood(chat)
        body: dict[str, Any] = {"text": text}
        if entities:
            body["entities"] = entities
        sent = self._new_bot_message(chat, p, body, kind="text", text=text, entities=entities,
                                     markup=markup, force_reply=force_reply, reply_to=reply_to)
        return sent.to_dict()

    def _api_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "photo")

    def _api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "document")

    def _send_media(self, p: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_post_rights(chat)
        caption, entities = self._parse_text(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
            limit=1024, empty=None, too_long="message caption is too long",
        )
        markup, force_reply = self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        stored = self._stored_media(kind, p.get(kind), p)
        self._check_flood(chat)
        body = self._media_body(kind, stored)
        if caption:
            body["caption"] = caption
            if entities:
                body["caption_entities"] = entities
        sent = self._new_bot_message(chat, p, body, kind=kind, text=caption, entities=entities, markup=markup,
                                     force_reply=force_reply, reply_to=reply_to, stored_file=stored)
        return sent.to_dict()

    def _stored_media(self, kind: str, value: Any, p: dict[str, Any]) -> StoredFile:
        """The file a send names: an upload (``attach://`` a part of the request) or a known file_id."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[len("attach://"):])
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and _image_size(value.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self.store_file(value.data, kind=kind, file_name=value.filename, mime_type=value.content_type)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _api_sendMediaGroup(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """An album: 2 to 10 photos, or 2 to 10 documents; each counts as a message against the limits."""
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_post_rights(chat)
        media = p.get("media")
        if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
            raise bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media specified")
        kinds = {item.get("type") for item in media}
        if not (kinds == {"photo"} or kinds == {"document"}):
            raise bad_request("MEDIA_GROUP_INVALID")
        reply_to = self._reply_target(chat, p)
        items = []
        for item in media:
            caption, entities = self._parse_text(
                item.get("caption"), item.get("parse_mode"), item.get("caption_entities"),
                limit=1024, empty=None, too_long="message caption is too long",
            )
            items.append((item, caption, entities, self._stored_media(item["type"], item.get("media"), p)))
        self._check_flood(chat, count=len(items))
        group_id = str(10**17 + self._message_ids.get(chat.id, 0) * 1000 + len(self._sent_order))
        sent = []
        for item, caption, entities, stored in items:
            body = {"media_group_id": group_id, **self._media_body(item["type"], stored)}
            if caption:
                body["caption"] = caption
                if entities:
                    body["caption_entities"] = entities
            message = self._new_bot_message(
                chat, {**p, "caption": item.get("caption"), "parse_mode": item.get("parse_mode")}, body,
                kind=item["type"], text=caption, entities=entities, markup=None, force_reply=False,
                reply_to=reply_to, stored_file=stored,
            )
            sent.append(message.to_dict())
        return sent

    def store_file(
        self, data: bytes, *, kind: str = "document", file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep ``data`` as Telegram would after an upload; getFile and the file route can then serve it."""
        number = len(self._files) + 1
        if mime_type in (None, "application/octet-stream") and file_name:
            mime_type = mimetypes.guess_type(file_name)[0] or mime_type
        extension = {"photo": ".jpg", "voice": ".oga"}.get(kind) or _extension(file_name, mime_type)
        if kind == "photo" and data.startswith(b"\x89PNG"):
            extension = ".png"
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{number}{secrets.token_hex(12)}",
            file_unique_id=f"AQAD{number}{secrets.token_hex(4)}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{_FILE_FOLDER.get(kind, 'documents')}/file_{number}{extension}",
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def _media_body(kind: str, stored: StoredFile) -> dict[str, Any]:
        base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}
        if kind == "photo":
            width, height = _image_size(stored.data) or (512, 512)
            return {"photo": [{**base, "width": width, "height": height}]}
        if kind == "voice":
            return {"voice": {**base, "duration": 1, "mime_type": "audio/ogg"}}
        document = dict(base)
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return {"document": document}

    def _api_getFile(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > _MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}

    def _editable(self, p: dict[str, Any]) -> tuple[Chat, SentMessage]:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_access(chat)
        key = (chat.id, p.get("message_id"))
        sent = self._sent.get(key)  # type: ignore[arg-type]
        if sent is None or sent.deleted:
            if key in self._messages and key not in self._deleted:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, sent

    def _apply_edit(
        self, chat: Chat, sent: SentMessage, text: str, entities: list[dict[str, Any]],
        markup: dict[str, Any] | None, raw_text: str | None = None,
    ) -> dict[str, Any]:
        if text == sent.text and entities == sent.entities and markup == sent.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self._check_flood(chat)
        text_key = "text" if sent.kind == "text" else "caption"
        sent.text, sent.entities, sent.reply_markup = text, entities, markup
        if raw_text is not None:
            sent.raw_text = raw_text
        sent.edit_count += 1
        message = sent.message
        message.pop(text_key, None)
        message.pop("entities" if text_key == "text" else "caption_entities", None)
        if text:
            message[text_key] = text
            if entities:
                message["entities" if text_key == "text" else "caption_entities"] = entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = self._date()
        self.flood.record(chat.id)
        return copy.deepcopy(message)

    def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, sent = self._editable(p)
        if sent.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = self._parse_text(
            p.get("text"), p.get("parse_mode"), p.get("entities"),
            limit=4096, empty="message text is empty", too_long="message is too long",
        )
        # Leaving reply_markup out removes the keyboard, as on Telegram.
        markup, _ = self._check_markup(p.get("reply_markup"), inline_only=True)
        return self._apply_edit(chat, sent, text, entities, markup, str(p.get("text")))

    def _api_editMessageCaption(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, sent = self._editable(p)
        if sent.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._parse_text(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
            limit=1024, empty=None, too_long="message caption is too long",
        )
        markup, _ = self._check_markup(p.get("reply_markup"), inline_only=True)
        return self._apply_edit(chat, sent, caption, entities, markup, str(p.get("caption") or ""))

    def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        chat, sent = self._editable(p)
        markup, _ = self._check_markup(p.get("reply_markup"), inline_only=True)
        return self._apply_edit(chat, sent, sent.text, sent.entities, markup)

    def _api_deleteMessage(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_access(chat)
        key = (chat.id, p.get("message_id"))
        if key not in self._messages or key in self._deleted:
            raise bad_request("message to delete not found")
        sent = self._sent.get(key)  # type: ignore[arg-type]
        if sent is None and chat.kind != "private" and chat.bot_status not in ("administrator", "creator"):
            raise bad_request("message can't be deleted")
        self._deleted.add(key)  # type: ignore[arg-type]
        if sent is not None:
            sent.deleted = True
        return True

    def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        entry = self._queries.get(query_id)
        if entry is None or query_id in self._answers:
            raise bad_request(_QUERY_INVALID)
        if self._clock() - entry[1] > self.callback_query_ttl:
            raise bad_request(_QUERY_INVALID)
        text = p.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._answers[query_id] = {
            "text": text,
            "show_alert": bool(p.get("show_alert", False)),
            "url": p.get("url"),
            "cache_time": p.get("cache_time", 0),
            "at": self._clock(),
        }
        return True

    def _api_sendChatAction(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        self._require_access(chat)
        action = p.get("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.append((chat.id, str(action), self._clock()))
        return True


def _extension(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    return (mimetypes.guess_extension(mime_type) if mime_type else None) or ""


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, WebP or JPEG; None for anything Telegram would not take as a photo."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return (512, 512)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
        return (512, 512)
    return None
