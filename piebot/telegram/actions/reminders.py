"""The private reminder of an action, sent by the scheduler: before its date, on the day, and once after
it has passed. It carries the action's buttons, so one tap settles it (piebot.telegram.actions.commands
takes the press)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Bot, Message

from conversations.actions import Status, TrackedAction
from piebot.storage.reminders import Nudging
from piebot.telegram.actions import views


async def send_action_reminder(bot: Bot, nudge: Nudging, now: datetime) -> Message:
    today = now.astimezone(ZoneInfo(nudge.timezone)).date()
    line = nudge.action
    action = TrackedAction(id=nudge.action_id, what=line.what, owner=line.owner, due=line.due, status=Status.OPEN,
                           check=line.check, element_id=line.element_id)
    text, markup = views.reminder(action, today)
    return await bot.send_message(nudge.telegram_user_id, text, reply_markup=markup)
