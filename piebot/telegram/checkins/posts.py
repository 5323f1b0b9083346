"""Check-in messages as Bot API calls: the post, the private card, the summary and the review reminder.
(An action's private reminder is piebot.telegram.actions.reminders.)

Each is built as an `Outgoing` message, which the scheduler (piebot.scheduling) queues in the outbox in
the transaction that decided it is due, and the handlers send. Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from conversations.actions import Action
from conversations.checkin import (
    Contact,
    checkin_keyboard,
    checkin_nudge,
    checkin_post,
)
from conversations.checkin_summary import checkin_summary
from conversations.keyboards import Button, Command, Keyboard
from conversations.texts.checkins import (
    ANSWER_PRIVATELY,
    CLOSE_NOW,
    CONTACT_HOW_UNKNOWN,
    overdue_block,
    review_reminder,
)
from framework import Framework, shared_framework
from piebot.storage.closings import Closing
from piebot.storage.reminders import Nudging, ReviewReminder
from piebot.storage.schedules import Post
from piebot.telegram import callbacks
from piebot.telegram.rounds.review import review_button

KIND = "ci"  # a press on a check-in's buttons: ref = check-in id
PRIVATE_CARD = "private"  # from the group post: send me this check-in privately


@lru_cache(maxsize=256)
def _framework(variant: str, customisation_json: str) -> Framework:
    customisation = json.loads(customisation_json)
    return shared_framework(variant, customisation or None)


def framework_of(variant: str, customisation: dict | None) -> Framework:
    # 2,000 teams sharing one slot mostly share a framework too: load each shape once.
    return _framework(variant, json.dumps(customisation or {}, sort_keys=True))


def markup(keyboard: Keyboard, checkin_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callbacks.encode(KIND, checkin_id, b.data)) for b in row]
         for row in keyboard]
    )


@dataclass(frozen=True)
class Outgoing:
    """A message as the scheduler queues it in the outbox (piebot.scheduling.tick) or sends it."""

    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None = None

    async def send(self, bot: Bot) -> Message:
        return await bot.send_message(self.chat_id, self.text, reply_markup=self.reply_markup)


def checkin_message(post: Post, now: datetime, overdue: Sequence[Action] = ()) -> Outgoing:
    framework = framework_of(post.framework_variant, post.customisation)
    text = checkin_post(framework, post.element_id, post.closes_at, ZoneInfo(post.timezone), now, post.anonymous)
    if overdue:
        text += "\n\n" + overdue_block(overdue)
    # "Close now" is for a check-in done in a meeting; it sits last, away from the beads.
    keyboard = [*checkin_keyboard(framework), [Button(ANSWER_PRIVATELY, PRIVATE_CARD)],
                [Button(CLOSE_NOW, Command.CLOSE)]]
    return Outgoing(post.chat_id, text, markup(keyboard, post.checkin_id))


async def post_checkin(bot: Bot, post: Post, now: datetime, overdue: Sequence[Action] = ()) -> Message:
    return await checkin_message(post, now, overdue).send(bot)


def private_card(telegram_user_id: int, checkin_id: int, framework: Framework, element_id: str,
                 closes_at: datetime, timezone: str, now: datetime) -> Outgoing:
    text = checkin_nudge(framework, element_id, closes_at, ZoneInfo(timezone), now)
    return Outgoing(telegram_user_id, text, markup(checkin_keyboard(framework), checkin_id))


async def send_private_card(bot: Bot, telegram_user_id: int, checkin_id: int, framework: Framework,
                            element_id: str, closes_at: datetime, timezone: str, now: datetime) -> Message:
    return await private_card(telegram_user_id, checkin_id, framework, element_id, closes_at, timezone,
                              now).send(bot)


def checkin_nudge_message(nudge: Nudging, now: datetime) -> Outgoing:
    """The private nudge doubles as a private card: answering here is as good as in the group."""
    framework = framework_of(nudge.framework_variant, nudge.customisation)
    return private_card(nudge.telegram_user_id, nudge.checkin_id, framework, nudge.element_id, nudge.closes_at,
                        nudge.timezone, now)


async def send_checkin_nudge(bot: Bot, nudge: Nudging, now: datetime) -> Message:
    return await checkin_nudge_message(nudge, now).send(bot)


def summary_message(closing: Closing) -> Outgoing:
    framework = framework_of(closing.framework_variant, closing.customisation)
    return Outgoing(closing.chat_id, checkin_summary(framework, closing.result))


async def post_summary(bot: Bot, closing: Closing) -> Message:
    return await summary_message(closing).send(bot)


def review_reminder_message(reminder: ReviewReminder) -> Outgoing:
    """With the one-tap button that opens the review round (taken by piebot.telegram.rounds.review)."""
    return Outgoing(reminder.chat_id, review_reminder(reminder.review_on, reminder.on_the_day),
                    reply_markup=review_button(reminder.team_id))


async def post_review_reminder(bot: Bot, reminder: ReviewReminder) -> Message:
    return await review_reminder_message(reminder).send(bot)


_SEPARATOR = re.compile(r"\s+[—–-]\s+|:\s+|\s+-{1,2}\s*")


def read_contacts(text: str) -> list[Contact]:
    """'Sam (supervisor) — 07700 900123', one a line; a line without a separator is a name alone."""
    contacts = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("•*- ").strip()
        if not line:
            continue
        parts = _SEPARATOR.split(line, maxsplit=1)
        name, how = (parts[0], parts[1]) if len(parts) == 2 else (line, CONTACT_HOW_UNKNOWN)
        contacts.append(Contact(name.strip()[:80], how.strip()[:200]))
    return contacts[:10]
