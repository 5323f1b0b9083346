"""The live round in the group: members place their beads on the card; the facilitator moves the
session on (by the card's buttons or by /next, /back, /skip, /pause, /resume, /close)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import Application, ContextTypes

from conversations.errors import NotAllowed
from conversations.keyboards import Command, PlaceChosen, read_press
from conversations.texts import assess as texts
from conversations.texts import refusals
from conversations.texts.scale import place_plain
from piebot.storage import live as live_rows
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.live import Moved
from piebot.telegram import callbacks
from piebot.telegram.rounds.card import (
    UNDO,
    editor_of,
    may_facilitate,
    queue_card,
    queue_stage_question,
    refuse_log,
)
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- a member places a bead


async def on_rating_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "assessment live")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    user = update.effective_user

    def work(session):
        if press.arg == UNDO:
            return live_rows.take_bead_back(session, press.ref, chat.id, user.id)
        return live_rows.place_bead(session, press.ref, chat.id, user.id, press.arg)

    try:
        try:
            placed = await rt.apply(update, work)
        except IntegrityError:
            # The same person's two presses raced for the first rating; the second is a change.
            placed = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except live_rows.PressRefused as refused:
        refuse_log("rating", str(refused))
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    except NotAllowed as refusal:
        await query.answer(refusal.reason, show_alert=True)
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    if placed.taken_back:
        await query.answer(texts.RATING_WITHDRAWN)
    elif placed.anonymous:
        await query.answer(texts.BEAD_MOVED_ANONYMOUSLY if placed.changed else texts.BEAD_PLACED_ANONYMOUSLY)
    else:
        await query.answer(texts.bead_placed(place_plain(placed.framework.scale, placed.place), placed.changed))
    await editor_of(context.application).refresh(context.application, placed.card_id)


# ---------------------------------------------------------------- the facilitator moves on


async def move(
    update: Update | None,
    context: ContextTypes.DEFAULT_TYPE,
    round_id: int,
    action: str,
    value: int | None = None,
    only_row: int | None = None,
    answer: Callable[[str | None], Awaitable[object]] | None = None,
) -> str | None:
    """Apply one facilitator move and show it. Returns a refusal to show, or None when done.

    `answer` is called as soon as the move is decided, before the group is updated: the group's
    messages may wait on Telegram's rate limit, and a pressed button should not spin meanwhile."""
    app = context.application
    rt = runtime_of(context)
    answered = False

    def work(session) -> Moved:
        moved = live_rows.move(session, round_id, action, value, only_row)
        queue_after_move(session, round_id, moved, app.bot.username)
        return moved

    async def show_at_once(moved: Moved) -> None:
        # The press is answered and the card shows the move before the new messages go out, so the
        # card's buttons are up to date when a stage's question appears.
        nonlocal answered
        answered = True
        if answer is not None:
            await answer(None)
        await editor_of(app).refresh(app, moved.old_row, urgent=True, choosing=action == Command.CHOOSE)

    try:
        await rt.apply(update, work, first=show_at_once)
    except AlreadyDone:
        refusal = None
    except NotAllowed as exc:
        refusal = exc.reason
    except rounds.RoundRefused as exc:
        refusal = str(exc)
    else:
        refusal = None
    if answer is not None and not answered:
        await answer(refusal)
    return refusal


def queue_after_move(session, round_id: int, moved: Moved, bot_username: str) -> None:
    """What a move posts, queued in its transaction: the next element's card, the stage's question, the
    round's summary. Committed with the move, none can be lost to a crash, and a reply to the question
    is taken from the moment it appears."""
    from piebot.telegram.rounds.summary import queue_round_summary

    if moved.new_row is not None:
        queue_card(session, moved.new_row, bot_username)
    if moved.stage is not None:
        queue_stage_question(session, round_id, moved.element_id, moved.stage)
    if moved.finished:
        queue_round_summary(session, round_id)


async def on_move_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "assessment live")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat

    found = await rt.read(lambda s: live_rows.card_in_chat(s, press.ref, chat.id))
    if found is None:
        refuse_log("facilitator", "no such card in this chat")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    round_id, team = found.round_id, found.team
    scale = teams.framework_of(team).scale
    choice = read_press(press.arg, scale)
    if isinstance(choice, PlaceChosen) and choice.team:
        action, value = live_rows.TEAM_VIEW, choice.index(scale)
    elif isinstance(choice, Command):
        action, value = str(choice), None
    else:
        refuse_log("facilitator", "unknown choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not await may_facilitate(update, context, team.id):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return
    await move(
        update,
        context,
        round_id,
        action,
        value,
        only_row=press.ref,
        answer=lambda refusal: query.answer(refusal, show_alert=bool(refusal)),
    )


def recall(app: Application) -> Callable[[], Awaitable[None]]:
    async def settle(_app) -> None:
        from piebot.telegram.rounds import summary

        await editor_of(app).settle()
        await summary.settle(app)

    return settle
