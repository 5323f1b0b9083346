"""The test's hands: people who join groups, write, press buttons and open private chats."""

from __future__ import annotations

import copy
import struct
import zlib
from typing import Any
from urllib.parse import parse_qs, urlparse

from piebot.localapi.entities import detect_entities
from piebot.localapi.methods import member_json
from piebot.localapi.model import (
    GROUP_ANONYMOUS_BOT,
    MEMBER_STATUSES,
    PRESENT_STATUSES,
    Chat,
    Member,
    SentMessage,
    User,
)

_SERVICE_KEYS = frozenset({
    "new_chat_members", "left_chat_member", "migrate_to_chat_id", "migrate_from_chat_id", "new_chat_title",
    "group_chat_created", "supergroup_chat_created", "pinned_message",
})


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid grey PNG, so user photos look like the real thing to anything that inspects them."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Simulation:
    """Mixed into LocalBotApi: creates people and chats and makes them act."""

    # --------------------------------------------------------------------------------- people, chats

    def create_user(
        self, first_name: str, *, username: str | None = None, last_name: str | None = None,
        language_code: str | None = "en", user_id: int | None = None,
    ) -> User:
        if user_id is None:
            user_id = self._next_ids["user"]
            self._next_ids["user"] += 1
        user = User(id=user_id, first_name=first_name, username=username, last_name=last_name,
                    language_code=language_code)
        self._users[user.id] = user
        # The private chat exists from the start; the bot just may not write to it yet.
        self._chats[user.id] = Chat(id=user.id, kind="private", user=user, bot_status="member")
        return user

    def private_chat(self, user: User) -> Chat:
        return self._chats[user.id]

    def create_group(self, title: str, *, kind: str = "group", username: str | None = None) -> Chat:
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"kind must be group, supergroup or channel, not {kind!r}")
        chat_id = -self._next_ids["group" if kind == "group" else "supergroup"]
        self._next_ids["group" if kind == "group" else "supergroup"] += 1
        chat = Chat(id=chat_id, kind=kind, title=title, username=username)
        self._chats[chat.id] = chat
        return chat

    def add_member(
        self, chat: Chat, user: User, status: str = "member", is_anonymous: bool = False,
        custom_title: str | None = None,
    ) -> None:
        """Set up membership silently, as if it had been so before the bot arrived."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {MEMBER_STATUSES}")
        chat.members[user.id] = Member(status=status, is_anonymous=is_anonymous, custom_title=custom_title)

    def user(self, user_id: int) -> User:
        return self._users[user_id]

    def chat(self, chat_id: int) -> Chat:
        return self._chats[chat_id]

    def _as_chat(self, chat: Chat | User | int) -> Chat:
        if isinstance(chat, Chat):
            return chat
        if isinstance(chat, User):
            return self._chats[chat.id]
        return self._chats[chat]

    # ------------------------------------------------------------------------------- membership

    def _chat_member_update(self, chat: Chat, by: User, user: dict[str, Any], old: tuple[str, bool],
                            new: tuple[str, bool], *, kind: str) -> None:
        self._queue_update(kind, {
            "chat": chat.to_dict(), "from": by.to_dict(), "date": self._date(),
            "old_chat_member": member_json(user, old[0], is_anonymous=old[1]),
            "new_chat_member": member_json(user, new[0], is_anonymous=new[1]),
        })

    def _member_changed(self, chat: Chat, user: User, status: str, *, by: User | None) -> None:
        previous = chat.members.get(user.id)
        old = (previous.status, previous.is_anonymous) if previous else ("left", False)
        if previous is None:
            chat.members[user.id] = previous = Member(status=status)
        previous.status = status
        # Telegram sends chat_member only to bots that administer the chat.
        if chat.bot_status in ("administrator", "creator"):
            self._chat_member_update(chat, by or user, user.to_dict(), old, (status, previous.is_anonymous),
                                     kind="chat_member")

    async def add_bot(self, chat: Chat, *, by: User, status: str | None = None) -> dict[str, Any] | None:
        """``by`` adds the bot; returns the new_chat_members service message (None in channels)."""
        status = status or ("administrator" if chat.kind == "channel" else "member")
        old = chat.bot_status
        chat.bot_status = status
        self._chat_member_update(chat, by, self.bot_user, (old, False), (status, False), kind="my_chat_member")
        self._timeline.setdefault(chat, []).append(("event", f"{by.display_name} added {self.bot_user['first_name']}"))
        if chat.kind == "channel":
            return None
        bot = dict(self.bot_user)
        return self._post(by, chat, {"new_chat_participant": bot, "new_chat_member": bot,
                                     "new_chat_members": [bot]}, timeline=False)

    async def remove_bot(self, chat: Chat, *, by: User) -> None:
        old = chat.bot_status
        chat.bot_status = "kicked"
        self._chat_member_update(chat, by, self.bot_user, (old, False), ("kicked", False), kind="my_chat_member")
        self._timeline.setdefault(chat, []).append(("event", f"{by.display_name} removed {self.bot_user['first_name']}"))

    async def promote_bot(self, chat: Chat, *, by: User, status: str = "administrator") -> None:
        old = chat.bot_status
        chat.bot_status = status
        self._chat_member_update(chat, by, self.bot_user, (old, False), (status, False), kind="my_chat_member")

    async def join(self, chat: Chat, user: User, *, by: User | None = None) -> dict[str, Any]:
        self._member_changed(chat, user, "member", by=by)
        return self._post(by or user, chat, {"new_chat_participant": user.to_dict(),
                                             "new_chat_member": user.to_dict(),
                                             "new_chat_members": [user.to_dict()]}, timeline=False,
                          event=f"{user.display_name} joined")

    async def leave(self, chat: Chat, user: User) -> dict[str, Any]:
        message = self._post(user, chat, {"left_chat_participant": user.to_dict(),
                                          "left_chat_member": user.to_dict()}, timeline=False,
                             event=f"{user.display_name} left")
        self._member_changed(chat, user, "left", by=user)
        return message

    async def set_status(self, chat: Chat, user: User, status: str, *, by: User | None = None) -> None:
        """Promote, demote or ban someone; admins' bots receive chat_member."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {MEMBER_STATUSES}")
        self._member_changed(chat, user, status, by=by)

    async def migrate(self, chat: Chat, *, by: User | None = None) -> int:
        """Upgrade a basic group to a supergroup; the Chat object takes the new id."""
        if chat.kind != "group":
            raise ValueError("only basic groups can be upgraded")
        by = by or next((self._users[uid] for uid, m in chat.members.items() if m.status == "creator"), None)
        if by is None:
            raise ValueError("migrate needs by= when the group has no creator")
        old_id = chat.id
        new_id = -self._next_ids["supergroup"]
        self._next_ids["supergroup"] += 1
        self._post(by, chat, {"migrate_to_chat_id": new_id}, timeline=False)
        chat.previous_ids.append(old_id)
        chat.id = new_id
        chat.kind = "supergroup"
        self._chats[new_id] = chat
        self._post(by, chat, {"migrate_from_chat_id": old_id}, timeline=False,
                   event="the group was upgraded to a supergroup")
        return new_id

    async def block(self, user: User) -> None:
        """The user blocks the bot: private sends now fail with 403."""
        user.blocked = True
        self._chat_member_update(self.private_chat(user), user, self.bot_user, ("member", False),
                                 ("kicked", False), kind="my_chat_member")

    async def unblock(self, user: User) -> None:
        user.blocked = False
        self._chat_member_update(self.private_chat(user), user, self.bot_user, ("kicked", False),
                                 ("member", False), kind="my_chat_member")

    # -------------------------------------------------------------------------------- messages

    async def start_private(self, user: User, payload: str | None = None) -> dict[str, Any]:
        """The user opens the bot's private chat (through a deep link when ``payload`` is given)."""
        if user.blocked:
            await self.unblock(user)
        user.started = True
        return await self.send(user, self.private_chat(user), "/start" + (f" {payload}" if payload else ""))

    async def tap_startgroup(self, user: User, link: str, chat: Chat, *, named: str = "a link") -> dict[str, Any]:
        """``user`` taps a t.me/<bot>?startgroup=<payload> link and picks ``chat`` in Telegram's group
        picker: their client sends "/start@<bot> <payload>" there. The transcript says so, calling the
        link ``named``."""
        url = urlparse(link)
        if url.path.strip("/") != self.bot_user["username"]:
            raise ValueError(f"{link} is not a link to this bot")
        (payload,) = parse_qs(url.query)["startgroup"]
        self._timeline.setdefault(chat, []).append(("event", f"{user.display_name} tapped {named} and picked this group"))
        return await self.send(user, chat, f"/start@{self.bot_user['username']} {payload}")

    async def send(
        self, user: User, chat: Chat | User | int, text: str, *, reply_to: Any = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``user`` writes ``text`` in ``chat``; returns the Message as Telegram would deliver it."""
        return self._post(user, self._as_chat(chat), {"text": text, "entities": detect_entities(text, entities)},
                          reply_to=reply_to)

    async def send_photo(
        self, user: User, chat: Chat | User | int, *, caption: str | None = None, reply_to: Any = None,
        data: bytes | None = None,
    ) -> dict[str, Any]:
        stored = self.store_file(data if data is not None else tiny_png(4, 3), kind="photo", mime_type="image/png")
        return self._post(user, self._as_chat(chat), self._media(stored, "photo", caption), reply_to=reply_to)

    async def send_voice(
        self, user: User, chat: Chat | User | int, *, duration: int = 3, caption: str | None = None,
        reply_to: Any = None, data: bytes | None = None,
    ) -> dict[str, Any]:
        stored = self.store_file(data if data is not None else b"OggS" + bytes(60), kind="voice",
                                 mime_type="audio/ogg")
        body = self._media(stored, "voice", caption)
        body["voice"]["duration"] = duration
        return self._post(user, self._as_chat(chat), body, reply_to=reply_to)

    async def send_document(
        self, user: User, chat: Chat | User | int, *, data: bytes = b"notes\n", file_name: str = "notes.txt",
        mime_type: str | None = None, caption: str | None = None, reply_to: Any = None,
    ) -> dict[str, Any]:
        stored = self.store_file(data, kind="document", file_name=file_name, mime_type=mime_type)
        return self._post(user, self._as_chat(chat), self._media(stored, "document", caption), reply_to=reply_to)

    def _media(self, stored: Any, kind: str, caption: str | None) -> dict[str, Any]:
        body = self._media_body(kind, stored)
        if caption:
            body["caption"] = caption
            found = detect_entities(caption)
            if found:
                body["caption_entities"] = found
        return body

    async def edit(self, user: User, message: dict[str, Any], text: str) -> dict[str, Any]:
        """``user`` edits a message they wrote; the bot gets edited_message if it could see it."""
        key = (message["chat"]["id"], message["message_id"])
        stored = self._messages[key]
        if stored.get("from", {}).get("id") != user.id:
            raise ValueError("people can only edit their own messages")
        stored["text"] = text
        stored.pop("entities", None)
        found = detect_entities(text)
        if found:
            stored["entities"] = found
        stored["edit_date"] = self._date()
        chat = self._chats[key[0]]
        if self._bot_sees(chat, stored):
            self._queue_update("edited_channel_post" if chat.kind == "channel" else "edited_message", stored)
        return copy.deepcopy(stored)

    def _post(
        self, user: User, chat: Chat, body: dict[str, Any], *, reply_to: Any = None, timeline: bool = True,
        event: str | None = None,
    ) -> dict[str, Any]:
        self._check_can_write(user, chat)
        message: dict[str, Any] = {"message_id": self._next_message_id(chat.id)}
        member = chat.members.get(user.id)
        if chat.kind == "channel":
            message["sender_chat"] = chat.to_dict()
        elif chat.kind == "supergroup" and member is not None and member.is_anonymous:
            message["from"] = dict(GROUP_ANONYMOUS_BOT)
            message["sender_chat"] = chat.to_dict()
            if member.custom_title:
                message["author_signature"] = member.custom_title
        else:
            message["from"] = user.to_dict()
        message["chat"] = chat.to_dict()
        message["date"] = self._date()
        if reply_to is not None:
            target = self._find_message(chat, reply_to)
            message["reply_to_message"] = {k: v for k, v in copy.deepcopy(target).items()
                                           if k != "reply_to_message"}
        message.update({k: v for k, v in body.items() if v or k == "text"})
        self._messages[(chat.id, message["message_id"])] = message
        entries = self._timeline.setdefault(chat, [])
        if timeline:
            entries.append(("message", (chat.id, message["message_id"]), user))
        if event:
            entries.append(("event", event))
        if chat.kind == "private":
            user.started = True
        if self._bot_sees(chat, message):
            self._queue_update("channel_post" if chat.kind == "channel" else "message", message)
        elif chat.bot_status in PRESENT_STATUSES:
            self.hidden_messages.append(copy.deepcopy(message))
        return copy.deepcopy(message)

    def _check_can_write(self, user: User, chat: Chat) -> None:
        if chat.kind == "private":
            if chat.user is not user:
                raise ValueError(f"only {chat.user.display_name if chat.user else '?'} writes in {chat.name}")
            if user.blocked:
                raise ValueError(f"{user.display_name} blocked the bot; call start_private or unblock first")
            return
        member = chat.members.get(user.id)
        if member is None or member.status not in PRESENT_STATUSES:
            raise ValueError(f"{user.display_name} is not a member of {chat.name}; call add_member first")
        if chat.kind == "channel" and member.status not in ("creator", "administrator"):
            raise ValueError(f"only admins post in the channel {chat.name}")

    def _find_message(self, chat: Chat, ref: Any) -> dict[str, Any]:
        if isinstance(ref, SentMessage):
            key = (ref.chat_id, ref.message_id)
        elif isinstance(ref, dict):
            key = (ref["chat"]["id"], ref["message_id"])
        else:
            key = (chat.id, int(ref))
        message = self._messages.get(key)
        if message is None or key in self._deleted:
            raise ValueError(f"no message {key[1]} in chat {key[0]} to reply to")
        return message

    def _bot_sees(self, chat: Chat, message: dict[str, Any]) -> bool:
        if chat.kind == "private":
            return True
        if chat.bot_status not in PRESENT_STATUSES:
            return False
        if chat.kind == "channel" or not self.privacy_mode or chat.bot_status in ("administrator", "creator"):
            return True
        # Privacy mode: commands, replies to the bot and service messages only.
        if _SERVICE_KEYS & message.keys():
            return True
        replied = message.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.bot_user["id"]:
            return True
        text = message.get("text") or message.get("caption") or ""
        for entity in message.get("entities") or message.get("caption_entities") or []:
            if entity["type"] == "bot_command":
                command = text.encode("utf-16-le")[entity["offset"] * 2:(entity["offset"] + entity["length"]) * 2]
                _, _, target = command.decode("utf-16-le").partition("@")
                if not target or target.lower() == self.bot_user["username"].lower():
                    return True
        return False

    # ------------------------------------------------------------------------------ buttons

    async def press(self, user: User, message: SentMessage | dict[str, Any], data: str, *,
                    forged: bool = False, omit: tuple[str, ...] = ()) -> str:
        """``user`` presses the button carrying ``data``; returns the callback query id.

        Real clients can only send data that is on the keyboard, so anything else is a test mistake
        unless ``forged`` says the test means to play a tampering client. ``omit`` leaves fields out of
        the callback query, as other Bot API servers have been seen to (``chat_instance``, say).
        """
        key = (message.chat_id, message.message_id) if isinstance(message, SentMessage) else (
            message["chat"]["id"], message["message_id"])
        sent = self._sent.get(key)
        if sent is None or sent.deleted:
            raise ValueError(f"the bot has no message {key[1]} in chat {key[0]} to press on")
        chat = self._chats[key[0]]
        if chat.id != key[0]:
            raise ValueError("that message is in a group that has since become a supergroup")
        labels = {d: t for row in sent.buttons for t, d in row}
        if data not in labels and not forged:
            raise ValueError(f"no button with callback_data {data!r} on message {key[1]}; buttons: {sent.buttons}")
        if chat.kind != "private":
            member = chat.members.get(user.id)
            if member is None or member.status not in PRESENT_STATUSES:
                raise ValueError(f"{user.display_name} is not in {chat.name}")
        query_id = str(self._next_query_id)
        self._next_query_id += 1
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": sent.to_dict(),
            "chat_instance": str(zlib.crc32(f"{self.token}:{chat.id}".encode()) * 1000 + 7),
            "data": data,
        }
        for name in omit:
            query.pop(name, None)
        self._queries[query_id] = (query, self._clock())
        self._timeline.setdefault(chat, []).append(("press", user, _pressed_label(sent.buttons, data)))
        if chat.kind == "private" or chat.bot_status in PRESENT_STATUSES:
            self._queue_update("callback_query", query)
        return query_id

    def answer_to(self, query_id: str) -> dict[str, Any] | None:
        """What the bot said in answerCallbackQuery for this press, or None if it never answered."""
        answer = self._answers.get(query_id)
        return dict(answer) if answer else None

    # ------------------------------------------------------------------------------ what was sent

    def chat_log(self, chat: Chat | User | int, *, include_deleted: bool = False) -> list[SentMessage]:
        """What the bot sent to ``chat`` (across its ids, should it have migrated), oldest first."""
        chat = self._as_chat(chat)
        ids = {chat.id, *chat.previous_ids}
        return [s for s in self._sent_order if s.chat_id in ids and (include_deleted or not s.deleted)]

    def last(self, chat: Chat | User | int) -> SentMessage:
        log = self.chat_log(chat)
        if not log:
            raise AssertionError(f"the bot has sent nothing to {self._as_chat(chat).name}\n{self._situation()}")
        return log[-1]

    def transcript(self, chat: Chat | User | int) -> str:
        """The chat as a reader would follow it, with buttons shown as ``[ Label ]``."""
        chat = self._as_chat(chat)
        lines: list[str] = []
        bot_name = self.bot_user["first_name"]
        for entry in self._timeline.get(chat, []):
            if entry[0] == "event":
                lines.append(f"  * {entry[1]}")
                continue
            if entry[0] == "press":
                lines.append(f"  > {entry[1].display_name} pressed [ {entry[2]} ]")
                continue
            key = entry[1]
            if key in self._deleted:
                continue
            sent = self._sent.get(key)
            message = self._messages[key]
            speaker = bot_name if sent else entry[2].display_name
            if sent is None and "sender_chat" in message and message.get("from", {}).get("is_bot"):
                speaker = "(anonymous admin)"
            lines.extend(_render(speaker, message, sent))
        return "\n".join(lines)


def _pressed_label(rows: list[list[tuple[str, str | None]]], data: str) -> str:
    """The pressed button as a reader finds it: a label several buttons share ("halfway" in each row of a
    grid) is named after the one-button row above it, its heading ("Getting there › halfway")."""
    heading = None
    label = None
    for row in rows:
        if len(row) == 1:
            heading = row[0][0]
        for text, button_data in row:
            if button_data == data:
                label = text
                break
        if label is not None:
            break
    if label is None:
        return data
    shared = sum(1 for row in rows for text, _ in row if text == label) > 1
    return f"{heading} › {label}" if shared and heading else label


def _render(speaker: str, message: dict[str, Any], sent: SentMessage | None) -> list[str]:
    text = message.get("text") if "text" in message else message.get("caption", "")
    if "photo" in message:
        kind = "photo in an album" if message.get("media_group_id") else "photo"
        text = f"[{kind}]" + (f" {text}" if text else "")
    elif "document" in message:
        text = f"[document {message['document'].get('file_name', '')}]".replace(" ]", "]") + (
            f" {text}" if text else "")
    elif "voice" in message:
        text = f"[voice {message['voice']['duration']}s]" + (f" {text}" if text else "")
    notes = []
    if message.get("reply_to_message"):
        replied = message["reply_to_message"]
        who = replied.get("from", {}).get("first_name", "?")
        notes.append(f"replying to {who}")
    if message.get("edit_date"):
        notes.append("edited")
    if sent is not None and sent.force_reply:
        notes.append("asks for a reply")
    head = f"{speaker}: "
    body_lines = (text or "").split("\n")
    lines = [head + body_lines[0] + (f"  ({', '.join(notes)})" if notes else "")]
    pad = " " * len(head)
    lines.extend(pad + line for line in body_lines[1:])
    if sent is not None:
        for row in sent.buttons:
            lines.append(pad + " ".join(f"[ {label} ]" for label, _ in row))
    return lines
