"""Bot API methods, answering with the results and errors Telegram gives."""

from __future__ import annotations

import copy
import mimetypes
import re
import secrets
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from piebot.localapi.entities import detect_entities, parse_html
from piebot.localapi.model import (
    PRESENT_STATUSES,
    ApiError,
    Chat,
    SentMessage,
    StoredFile,
    bad_request,
    forbidden,
)
from piebot.localapi.params import Upload

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
_CHAT_KIND_NAMES = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}
_BUTTON_ACTIONS = (
    "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
)
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})
_MAX_DOWNLOAD = 20 * 1024 * 1024
_FILE_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "voice": "AwACAgIAAxkBAAI"}
_FILE_FOLDER = {"photo": "photos", "document": "documents", "voice": "voice"}


@dataclass
class Described:
    """A successful result that Telegram accompanies with a description (setWebhook and friends)."""

    result: Any
    description: str


class BotApiMethods:
    """Mixed into LocalBotApi; every ``_api_<name>`` method answers the Bot API method ``<name>``."""

    # ------------------------------------------------------------------------------ shared checks

    def _resolve_chat(self, value: Any) -> Chat:
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str):
            wanted = value.removeprefix("@").lower()
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == wanted and chat.kind != "private":
                    return chat
            raise bad_request("chat not found")
        chat = self._chats.get(value)
        if chat is None:
            raise bad_request("chat not found")
        if chat.id != value:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           migrate_to_chat_id=chat.id)
        return chat

    def _require_access(self, chat: Chat) -> None:
        if chat.kind == "private":
            assert chat.user is not None
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        kind_name = _CHAT_KIND_NAMES[chat.kind]
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind_name}")
        if chat.bot_status not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {kind_name}")

    def _require_post_rights(self, chat: Chat) -> None:
        self._require_access(chat)
        if chat.kind == "channel" and chat.bot_status not in ("administrator", "creator"):
            raise bad_request("need administrator rights in the channel chat")

    def _check_flood(self, chat: Chat) -> None:
        if not self.enforce_limits:
            return
        wait = self.flood.retry_after(chat.id, is_group=chat.kind != "private")
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def _parse_text(
        self, value: Any, parse_mode: Any, entities: Any, *, limit: int, empty: str | None, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        text = "" if value is None else str(value)
        mode = (parse_mode or "").lower()
        if mode == "html":
            plain, found = parse_html(text, strict=self.strict_html)
        elif mode in ("markdownv2", "markdown"):
            # Markdown is not modelled; the text is taken as it is so it can still be read back.
            plain, found = text, []
        elif mode == "":
            plain, found = text, [dict(e) for e in entities or []]
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
        if empty is not None and not plain.strip():
            raise bad_request(empty)
        if len(plain) > limit:
            raise bad_request(too_long)
        return plain, detect_entities(plain, found) if plain else []

    def _check_markup(self, markup: Any, *, inline_only: bool = False) -> tuple[dict[str, Any] | None, bool]:
        """Return (inline keyboard or None, whether a reply is forced)."""
        if markup is None:
            return None, False
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    self._check_button(button)
            if not any(rows):
                return None, False
            return copy.deepcopy(markup), False
        if inline_only:
            raise bad_request("inline keyboard expected")
        if markup.get("force_reply"):
            if len(markup.get("input_field_placeholder") or "") > 64:
                raise bad_request("input field placeholder is too long")
            return None, True
        if "keyboard" in markup or "remove_keyboard" in markup:
            return None, False
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the "
                              "inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            return
        if "url" in button:
            url = urlparse(str(button["url"]))
            if url.scheme not in ("http", "https", "tg") or not (url.netloc or url.scheme == "tg"):
                raise bad_request("BUTTON_URL_INVALID")
            return
        if not any(key in button for key in _BUTTON_ACTIONS):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the "
                              "inline keyboard")

    def _reply_target(self, chat: Chat, p: dict[str, Any]) -> dict[str, Any] | None:
        params = p.get("reply_parameters") or {}
        message_id = params.get("message_id") if params else p.get("reply_to_message_id")
        if message_id is None:
            return None
        target = self._resolve_chat(params["chat_id"]) if params.get("chat_id") is not None else chat
        key = (target.id, int(message_id))
        stored = self._messages.get(key)
        if stored is None or key in self._deleted:
            if params.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return stored

    def _new_bot_message(
        self, chat: Chat, p: dict[str, Any], body: dict[str, Any], *, kind: str, text: str,
        entities: list[dict[str, Any]], markup: dict[str, Any] | None, force_reply: bool,
        reply_to: dict[str, Any] | None, stored_file: StoredFile | None = None,
    ) -> SentMessage:
        message_id = self._next_message_id(chat.id)
        message: dict[str, Any] = {"message_id": message_id}
        if chat.kind == "channel":
            message["sender_chat"] = chat.to_dict()
        else:
            message["from"] = dict(self.bot_user)
        message["chat"] = chat.to_dict()
        message["date"] = self._date()
        if p.get("message_thread_id") is not None:
            message["message_thread_id"] = p["message_thread_id"]
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        message.update(body)
        if markup is not None:
            message["reply_markup"] = markup
        sent = SentMessage(
            chat_id=chat.id, message_id=message_id, kind=kind, text=text, entities=entities,
            reply_markup=markup, message=message, raw_text=str(p.get("text") or p.get("caption") or ""),
            parse_mode=p.get("parse_mode"), force_reply=force_reply,
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
            message_thread_id=p.get("message_thread_id"), sent_at=self._clock(),
        )
        if stored_file is not None:
            sent.file, sent.filename, sent.file_id = stored_file.data, stored_file.file_name, stored_file.file_id
        self._messages[(chat.id, message_id)] = message
        self._sent[(chat.id, message_id)] = sent
        self._sent_order.append(sent)
        self._timeline.setdefault(chat, []).append(("message", (chat.id, message_id)))
        self.flood.record(chat.id)
        return sent

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    # -------------------------------------------------------------------------------- the methods

    def _api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

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
        value = p.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[len("attach://"):])
        caption, entities = self._parse_text(
            p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
            limit=1024, empty=None, too_long="message caption is too long",
        )
        markup, force_reply = self._check_markup(p.get("reply_markup"))
        reply_to = self._reply_target(chat, p)
        if isinstance(value, Upload):
            if not value.data:
                raise bad_request("file must be non-empty")
            if kind == "photo" and _image_size(value.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            stored = self.store_file(value.data, kind=kind, file_name=value.filename, mime_type=value.content_type)
        elif isinstance(value, str) and value in self._files:
            stored = self._files[value]
        elif value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        self._check_flood(chat)
        body = self._media_body(kind, stored)
        if caption:
            body["caption"] = caption
            if entities:
                body["caption_entities"] = entities
        sent = self._new_bot_message(chat, p, body, kind=kind, text=caption, entities=entities, markup=markup,
                                     force_reply=force_reply, reply_to=reply_to, stored_file=stored)
        return sent.to_dict()

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

    # ------------------------------------------------------------------------------ commands, texts

    def _scope_key(self, scope: Any) -> tuple[Any, ...]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._resolve_chat(scope.get("chat_id"))
            if kind == "chat_member":
                return (kind, chat.id, int(scope.get("user_id") or 0))
            return (kind, chat.id)
        return (kind,)

    def _api_setMyCommands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        cleaned = []
        for command in commands:
            name = str((command or {}).get("command", ""))
            description = str((command or {}).get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters long")
            cleaned.append({"command": name, "description": description})
        self._commands[(self._scope_key(p.get("scope")), str(p.get("language_code") or ""))] = cleaned
        return True

    def _api_getMyCommands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _api_deleteMyCommands(self, p: dict[str, Any]) -> bool:
        self._commands.pop((self._scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    def commands(self, scope: Any = None, language_code: str = "") -> list[dict[str, str]]:
        """The commands stored for ``scope`` (a dict or a PTB BotCommandScope) and language."""
        if scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def _set_bot_text(self, p: dict[str, Any], field: str, limit: int) -> bool:
        value = str(p.get(field) or "")
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        self._bot_texts[(field, str(p.get("language_code") or ""))] = value
        return True

    def _api_setMyDescription(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "description", 512)

    def _api_setMyShortDescription(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "short_description", 120)

    def _api_setMyName(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "name", 64)

    def _api_getMyDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return {"description": self.bot_text("description", str(p.get("language_code") or ""))}

    def _api_getMyShortDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return {"short_description": self.bot_text("short_description", str(p.get("language_code") or ""))}

    def _api_getMyName(self, p: dict[str, Any]) -> dict[str, str]:
        lang = str(p.get("language_code") or "")
        return {"name": self.bot_text("name", lang) or self.bot_user["first_name"]}

    def bot_text(self, field: str, language_code: str = "") -> str:
        """What setMyDescription / setMyShortDescription / setMyName stored."""
        return self._bot_texts.get((field, language_code), "")

    # ----------------------------------------------------------------------------------- chats

    def _api_getChat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind != "private":
            self._require_access(chat)
        info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                 "premium_subscription": False, "gifts_from_channels": False},
        )
        if chat.description:
            info["description"] = chat.description
        return info

    def _member_json(self, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            return member_json(self.bot_user, chat.bot_status, is_anonymous=chat.bot_is_anonymous)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.kind == "private":
            return member_json(user.to_dict(), "member" if chat.user is user else "left")
        member = chat.members.get(user_id)
        if member is None:
            return member_json(user.to_dict(), "left")
        return member_json(user.to_dict(), member.status, is_anonymous=member.is_anonymous,
                           custom_title=member.custom_title)

    def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind != "private":
            self._require_access(chat)
        return self._member_json(chat, int(p.get("user_id") or 0))

    def _api_getChatAdministrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind == "private":
            raise bad_request("there are no administrators in the private chat")
        self._require_access(chat)
        admins = [self._member_json(chat, uid) for uid, m in chat.members.items()
                  if m.status in ("creator", "administrator")]
        if chat.bot_status in ("creator", "administrator"):
            admins.append(self._member_json(chat, self.bot_user["id"]))
        return admins

    def _api_getChatMemberCount(self, p: dict[str, Any]) -> int:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind == "private":
            return 2
        self._require_access(chat)
        present = sum(1 for m in chat.members.values() if m.status in PRESENT_STATUSES)
        return present + (1 if chat.bot_status in PRESENT_STATUSES else 0)

    def _api_leaveChat(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._require_access(chat)
        old = chat.bot_status
        chat.bot_status = "left"
        self._queue_update("my_chat_member", {
            "chat": chat.to_dict(), "from": dict(self.bot_user), "date": self._date(),
            "old_chat_member": member_json(self.bot_user, old),
            "new_chat_member": member_json(self.bot_user, "left"),
        })
        self._timeline.setdefault(chat, []).append(("event", f"{self.bot_user['first_name']} left"))
        return True

    # -------------------------------------------------------------------------------- webhooks

    def _api_setWebhook(self, p: dict[str, Any]) -> Described:
        url = str(p.get("url") or "")
        if not url:
            return self._api_deleteWebhook(p)
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or parsed.hostname not in ("127.0.0.1", "localhost"):
            raise bad_request("bad webhook: the local Bot API server only delivers to 127.0.0.1")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if p.get("allowed_updates") is not None:
            self._allowed_updates = list(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._updates.clear()
        was_set = self._webhook is not None and self._webhook["url"] == url
        self._webhook = {"url": url, "secret_token": secret, "max_connections": p.get("max_connections") or 40}
        self._notify()
        return Described(True, "Webhook is already set" if was_set else "Webhook was set")

    def _api_deleteWebhook(self, p: dict[str, Any]) -> Described:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        was_set = self._webhook is not None
        self._webhook = None
        self._notify()
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _api_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if "last_error_date" in hook:
                info["last_error_date"] = hook["last_error_date"]
                info["last_error_message"] = hook["last_error_message"]
        return info


def member_json(
    user: dict[str, Any], status: str, *, is_anonymous: bool = False, custom_title: str | None = None
) -> dict[str, Any]:
    """A ChatMember object with the fields Telegram (and PTB's parser) insists on for each status."""
    data: dict[str, Any] = {"user": dict(user), "status": status}
    if status == "creator":
        data["is_anonymous"] = is_anonymous
    elif status == "administrator":
        data.update(
            can_be_edited=False, is_anonymous=is_anonymous, can_manage_chat=True, can_delete_messages=True,
            can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
            can_change_info=True, can_invite_users=True, can_post_stories=False, can_edit_stories=False,
            can_delete_stories=False, can_pin_messages=True,
        )
    elif status == "kicked":
        data["until_date"] = 0
    if custom_title and status in ("creator", "administrator"):
        data["custom_title"] = custom_title
    return data


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram nests only one level of reply_to_message.
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied


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
