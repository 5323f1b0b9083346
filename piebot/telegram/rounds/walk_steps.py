"""A person's walk in their private chat, as they see it: the welcome, one question at a time (its
buttons are the only live ones), carrying on after each move, and the offer of a round when they are
already part-way through another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from conversations.pizazz import WalkStep
from conversations.texts import walk as texts
from framework import Framework
from piebot import clock
from piebot.storage import walks
from piebot.telegram.rounds.walk_messages import WALK, edit, markup, one_button, runtime, title_of
from piebot.telegram.rounds.walk_status import refresh_status


def step_markup(framework: Framework, round_id: int, step: WalkStep) -> InlineKeyboardMarkup:
    return markup(WALK, round_id, texts.walk_keyboard(framework, step))


async def send_step(app: Application, user_id: int, framework: Framework, round_id: int, step: WalkStep) -> None:
    message = await app.bot.send_message(
        user_id, texts.walk_prompt(framework, step), reply_markup=step_markup(framework, round_id, step)
    )
    await runtime(app).apply(None, lambda s: walks.remember_prompt(s, user_id, round_id, message.message_id))


def _welcome(found: walks.OwnTimeRound, now: datetime) -> str:
    return texts.walk_welcome(
        title_of(found.framework, found.round), len(found.round.element_ids), found.round.anonymous,
        found.closes_at, ZoneInfo(found.team.timezone), now,
    )


@dataclass(frozen=True)
class Shown:
    outcome: str  # shown | finished | closed | not_member


async def show_walk(app: Application, user_id: int, round_id: int) -> Shown:
    """Make this round the person's active walk and show where they are (their first step with a
    welcome, or the step they stopped at)."""
    now = clock.now()
    outcome, walker = await runtime(app).apply(None, lambda s: walks.take_up(s, round_id, user_id))
    if walker is None:
        return Shown(outcome)
    await edit(app.bot, user_id, walker.prompt, None)  # its buttons would be out of date
    if not walker.started:
        await app.bot.send_message(user_id, _welcome(walker, now))
    await send_step(app, user_id, walker.framework, round_id, walker.walk().current())
    return Shown("shown")


async def carry_on(app: Application, user_id: int, round_id: int, moved: walks.Moved) -> None:
    """After a move: the next question, or the end of the walk (and one more finished in the group)."""
    if moved.next_step is not None:
        await send_step(app, user_id, moved.framework, round_id, moved.next_step)
        return
    await app.bot.send_message(user_id, texts.walk_finished())
    if moved.finished_now:
        await refresh_status(app, round_id)


async def offer(app: Application, user_id: int, round_id: int) -> None:
    """Someone already part-way through another team's round: offer this one, don't take over."""
    found = await runtime(app).read(lambda s: walks.own_time_round(s, round_id))
    text = _welcome(found, clock.now())
    await app.bot.send_message(user_id, text, reply_markup=one_button(texts.START_THIS_ONE, WALK, round_id, "pick"))
