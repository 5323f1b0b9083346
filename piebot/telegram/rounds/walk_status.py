"""The group's one status message for a round in people's own time: posted when the round opens,
edited in place as people finish and when it closes (posting more would flood the group)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from conversations.texts import walk as texts
from piebot import clock
from piebot.storage import walks
from piebot.telegram.rounds.walk_messages import WALK, edit, one_button, runtime, title_of


def _status(status: walks.GroupStatus, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    title = title_of(status.framework, status.round)
    if status.round.status == "closed":
        return texts.walk_closed_status(title, status.finished, status.members), None
    text = texts.walk_status_for_group(
        title, status.finished, status.members, status.closes_at, ZoneInfo(status.team.timezone), now,
        unconnected=status.unconnected,
    )
    return text, one_button(texts.TAKE_PART, WALK, status.round.id, "go")


async def post_status(app: Application, round_id: int, now: datetime) -> int:
    """Post the status message in the team's group; returns its message id."""
    status = await runtime(app).read(lambda s: walks.group_status(s, round_id))
    text, markup = _status(status, now)
    message = await app.bot.send_message(status.team.chat_id, text, reply_markup=markup)
    return message.message_id


async def refresh_status(app: Application, round_id: int) -> None:
    status = await runtime(app).read(lambda s: walks.group_status(s, round_id))
    text, markup = _status(status, clock.now())
    await edit(app.bot, status.team.chat_id, status.round.status_message_id, text, markup)
