"""Bot API methods about chats and their members: getChat, getChatMember, the administrators, the
member count, the bot leaving a chat, and the bot's reaction on a message (setMessageReaction)."""

from __future__ import annotations

from typing import Any

from piebot.localapi.checks import RequestChecks
from piebot.localapi.model import PRESENT_STATUSES, Chat, bad_request


class ChatMethods(RequestChecks):
    """Mixed into LocalBotApi; every ``_api_<name>`` method answers the Bot API method ``<name>``."""

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


# The emoji a bot may react with (Telegram's standard reactions; anything else is REACTION_INVALID).
REACTION_EMOJI = frozenset(
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 "
    "💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 "
    "🤷‍♀ 😡".split()
)


class ReactionMethods(RequestChecks):
    """setMessageReaction as Telegram answers it: the bot's reaction replaces its earlier one on that
    message; an empty list takes it off; a chat whose admins switched reactions off, or an emoji that
    is not one of the standard reactions, gets "Bad Request: REACTION_INVALID"."""

    def _api_setMessageReaction(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(p.get("chat_id"))
        if chat.kind != "private":
            self._require_access(chat)
        key = (chat.id, int(p.get("message_id") or 0))
        if key not in self._messages or key in self._deleted:
            raise bad_request("MESSAGE_ID_INVALID")
        reaction = p.get("reaction") or []
        emoji = []
        for one in reaction:
            if not isinstance(one, dict) or one.get("type") != "emoji" or one.get("emoji") not in REACTION_EMOJI:
                raise bad_request("REACTION_INVALID")
            emoji.append(one["emoji"])
        if len(emoji) > 1:
            raise bad_request("REACTIONS_TOO_MANY")
        if emoji and not chat.reactions_allowed:
            raise bad_request("REACTION_INVALID")
        self._reactions[key] = emoji
        return True

    def reactions_on(self, chat_id: int, message_id: int) -> list[str]:
        """The bot's reaction on a message (for tests): its emoji, or [] when it has none."""
        return list(self._reactions.get((chat_id, message_id), []))
