"""What every Bot API method checks first, the way Telegram does: the chat, the bot's right to write
there, the flood limits, the text and its entities, the keyboard, the message replied to; and how
a message the bot sent is kept."""

from __future__ import annotations

import copy
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

_CHAT_KIND_NAMES = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}
_BUTTON_ACTIONS = (
    "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
)


@dataclass
class Described:
    """A successful result that Telegram accompanies with a description (setWebhook and friends)."""

    result: Any
    description: str


class RequestChecks:
    """Mixed into LocalBotApi: the checks and bookkeeping the method mixins share."""

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

    def _check_flood(self, chat: Chat, count: int = 1) -> None:
        if not self.enforce_limits:
            return
        wait = self.flood.retry_after(chat.id, is_group=chat.kind != "private", count=count)
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


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram nests only one level of reply_to_message.
    copied = copy.deepcopy(message)
    copied.pop("reply_to_message", None)
    return copied

