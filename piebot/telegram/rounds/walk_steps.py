"""A person's walk in their private chat, as they see it: the welcome, one question at a time (its
buttons are the only live ones), carrying on after each move, and the offer of a round when they are
already part-way through another.

Each question is queued in the outbox in the transaction that moves the walk, so it is saved as the
one waiting before it is sent, and a crash between the two cannot leave a person without it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden
from telegram.ext import Application

from conversations.pizazz import WalkStep
from conversations.texts import review
from conversations.texts import walk as texts
from framework import Framework
from piebot import clock
from piebot.storage import walks
from piebot.storage.outbox import Queued, pending_id
from piebot.telegram.delivery.outbox import queue_edit, queue_message
from piebot.telegram.rounds.walk_messages import WALK, markup, one_button, runtime, title_of
from piebot.telegram.rounds.walk_status import refresh_status


def step_markup(framework: Framework, round_id: int, step: WalkStep) -> InlineKeyboardMarkup:
    return markup(WALK, round_id, texts.walk_keyboard(framework, step))


def queue_step(session, user_id: int, framework: Framework, round_id: int, step: WalkStep) -> Queued:
    """Ask a step of the walk in this transaction: the question goes out after the commit, and it is the
    one waiting for their answer from the moment it is saved (so a quick answer is never lost)."""
    text = texts.walk_prompt(framework, step)
    if step.is_review and (found := walks.looking_back(session, round_id, step.element_id)):
        look, today = found
        text = review.walk_looking_back(framework.scale, look.team_view, look.closed_on, look.actions, today) \
            + "\n\n" + text
    asked = queue_message(session, user_id, text,
                          reply_markup=step_markup(framework, round_id, step), fill=walks.WALK_FILL)
    walks.remember_prompt(session, user_id, round_id, pending_id(asked))
    return asked


def queue_next(session, user_id: int, round_id: int, moved: walks.Moved) -> None:
    """After a move, in its transaction: the next question, or the end of the walk."""
    if moved.next_step is not None:
        queue_step(session, user_id, moved.framework, round_id, moved.next_step)
    else:
        queue_message(session, user_id, texts.walk_finished())


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
    welcome, or the step they stopped at). Raises Forbidden when the bot may not write to them."""
    now = clock.now()

    def work(session) -> tuple[str, Queued | None]:
        outcome, walker = walks.take_up(session, round_id, user_id)
        if walker is None:
            return outcome, None
        queue_edit(session, user_id, walker.prompt, None)  # its buttons would be out of date
        if not walker.started:
            queue_message(session, user_id, _welcome(walker, now))
        return outcome, queue_step(session, user_id, walker.framework, round_id, walker.walk().current())

    outcome, asked = await runtime(app).apply(None, work)
    if asked is None:
        return Shown(outcome)
    if asked.refused:
        raise Forbidden(texts.NOT_CONNECTED_ALERT)
    return Shown("shown")


async def after_move(app: Application, round_id: int, moved: walks.Moved) -> None:
    """After a move has been recorded and its messages sent: one more finished, in the group."""
    if moved.finished_now:
        await refresh_status(app, round_id)


async def offer(app: Application, user_id: int, round_id: int) -> None:
    """Someone already part-way through another team's round: offer this one, don't take over."""
    found = await runtime(app).read(lambda s: walks.own_time_round(s, round_id))
    text = _welcome(found, clock.now())
    await app.bot.send_message(user_id, text, reply_markup=one_button(texts.START_THIS_ONE, WALK, round_id, "pick"))
