"""The people, chats and messages the local Bot API server keeps track of."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

#: Telegram shows anonymous group admins as this bot; handlers that trust ``from`` trip over it.
GROUP_ANONYMOUS_BOT: dict[str, Any] = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT_STATUSES = ("creator", "administrator", "member", "restricted")


class ApiError(Exception):
    """A Bot API error response; raised inside method handlers, turned into Telegram's JSON shape."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        parameters: dict[str, Any] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


@dataclass(eq=False)
class User:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    # Telegram only lets a bot write to someone who opened the private chat first.
    started: bool = False
    blocked: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class Member:
    status: str
    is_anonymous: bool = False
    custom_title: str | None = None


@dataclass(eq=False)
class Chat:
    id: int
    kind: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    username: str | None = None
    #: For private chats: the user on the other side.
    user: User | None = None
    members: dict[int, Member] = field(default_factory=dict)
    bot_status: str = "left"
    bot_is_anonymous: bool = False
    #: Ids this chat had before a group -> supergroup migration, oldest first.
    previous_ids: list[int] = field(default_factory=list)
    description: str | None = None
    #: Whether members and bots may react to messages here; a group's admins can switch reactions off,
    #: and then Telegram answers setMessageReaction with "Bad Request: REACTION_INVALID".
    reactions_allowed: bool = True

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "private" and self.user is not None:
            data: dict[str, Any] = {"id": self.id, "first_name": self.user.first_name}
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            data["type"] = "private"
            return data
        data = {"id": self.id, "title": self.title, "type": self.kind}
        if self.username:
            data["username"] = self.username
        return data

    @property
    def name(self) -> str:
        if self.kind == "private" and self.user is not None:
            return f"private chat with {self.user.display_name}"
        return self.title or str(self.id)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent, kept up to date as the bot edits or deletes it."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo" or "document"
    text: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    message: dict[str, Any]
    raw_text: str = ""
    parse_mode: str | None = None
    file: bytes | None = None
    filename: str | None = None
    file_id: str | None = None
    force_reply: bool = False
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None
    edit_count: int = 0
    deleted: bool = False
    sent_at: float = 0.0

    @property
    def html(self) -> str:
        """The text or caption exactly as the bot sent it, markup and escapes included."""
        return self.raw_text

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as ``(text, callback_data)``; url buttons give their url instead."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row] for row in rows
        ]

    def button(self, text_substring: str) -> str:
        for row in self.buttons:
            for text, data in row:
                if text_substring in text and data is not None:
                    return data
        labels = [text for row in self.buttons for text, _ in row]
        raise AssertionError(f"no button containing {text_substring!r} on message {self.message_id}; "
                             f"buttons are {labels}")

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.message)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    description: str | None = None


@dataclass
class Stats:
    requests: int = 0
    too_many_requests: int = 0
    errors: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0
