"""Plays people in a group against the real bot: used by the demo and by the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from piebot.localapi import LocalBotApi
from piebot.localapi.server import WAIT_SECONDS


@dataclass
class Team:
    api: LocalBotApi
    group: object
    admin: object
    members: list = field(default_factory=list)

    @property
    def everyone(self) -> list:
        return [self.admin, *self.members]


async def bot_reply(api: LocalBotApi, chat, before: int, timeout: float = WAIT_SECONDS):
    """The bot's next message in `chat` after it had sent `before` messages."""
    await api.wait_for(lambda: len(api.chat_log(chat)) > before, timeout=timeout)
    return api.chat_log(chat)[before]


async def say(api: LocalBotApi, user, chat, text: str, **kwargs):
    """Send as `user` and return the bot's first answer to it in that chat."""
    before = len(api.chat_log(chat))
    await api.send(user, chat, text, **kwargs)
    return await bot_reply(api, chat, before)


async def press(api: LocalBotApi, user, message, label: str):
    """Press the button whose label contains `label`; return the bot's callback answer."""
    data = message.button(label)
    query_id = await api.press(user, message, data)
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


async def press_place(api: LocalBotApi, user, message, level: int, position: int):
    """Press a place on a card's grid: the button under level `level`'s name that says where in it.

    Found by the data it carries ("P3.4" for a bead, "T3.4" for a team view): its label ("along") is
    on every level's row."""
    suffixes = (f"P{level}.{position}", f"T{level}.{position}")
    found = [data for row in message.buttons for _, data in row if data and data.rsplit(":", 1)[-1] in suffixes]
    if not found:
        raise AssertionError(f"no place {level}.{position} on message {message.message_id}")
    query_id = await api.press(user, message, found[0])
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


def start_payload(message) -> str:
    """The /start payload of the first URL button of a message."""
    for row in message.reply_markup["inline_keyboard"]:
        for button in row:
            if "url" in button:
                return parse_qs(urlparse(button["url"]).query)["start"][0]
    raise AssertionError("no deep-link button in the message")


async def add_bot_and_set_up(api: LocalBotApi, *, title: str = "Hope House team", members: int = 3,
                             names=("Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy"),
                             relationships: bool = False) -> Team:
    group = api.create_group(title)
    admin = api.create_user("Ada", username="ada")
    api.add_member(group, admin, status="creator")
    team = Team(api, group, admin)
    for i in range(members):
        user = api.create_user(names[i % len(names)] + ("" if i < len(names) else str(i)))
        api.add_member(group, user)
        team.members.append(user)
    before = len(api.chat_log(group))
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, before)
    card = await say(api, admin, group, "/setup")
    await press(api, admin, card, "Use")
    await api.wait_for(lambda: "2 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "All 15")
    await api.wait_for(lambda: "3 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Europe/London")
    await api.wait_for(lambda: "4 of 4" in api.last(group).text)
    await press(api, admin, api.last(group), "Relationships" if relationships else "No, just")
    await api.wait_for(lambda: "is set up" in api.last(group).text)
    for user in team.everyone:
        await join(api, team, user)
    return team


async def join(api: LocalBotApi, team: Team, user) -> None:
    reply = await say(api, user, team.group, "/join")
    payload = start_payload(reply)
    before = len(api.chat_log(user))
    await api.start_private(user, payload=payload)
    answer = await bot_reply(api, user, before)
    assert "connected" in answer.text, answer.text
