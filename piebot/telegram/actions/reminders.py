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
from piebot.telegram.checkins.posts import Outgoing


def action_reminder_message(nudge: Nudging, now: datetime) -> Outgoing:
    """The reminder as the scheduler queues it in the outbox, with the decision that it is due."""
    today = now.astimezone(ZoneInfo(nudge.timezone)).date()
    line = nudge.action
    action = TrackedAction(id=nudge.action_id, what=line.what, owner=line.owner, due=line.due, status=Status.OPEN,
                           check=line.check, element_id=line.element_id)
    text, markup = views.reminder(action, today)
    return Outgoing(nudge.telegram_user_id, text, markup)


async def send_action_reminder(bot: Bot, nudge: Nudging, now: datetime) -> Message:
    return await action_reminder_message(nudge, now).send(bot)
