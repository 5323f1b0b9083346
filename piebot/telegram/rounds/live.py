"""The live round in the group: members place their beads on the card; the facilitator moves the
session on (by the card's buttons or by /next, /back, /skip, /pause, /resume, /close)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import Application, ContextTypes

from conversations import pizazz
from conversations.errors import NotAllowed
from conversations.keyboards import Command, PlaceChosen, read_press
from conversations.pizazz import Phase
from conversations.texts import assess as texts
from conversations.texts import refusals
from framework import Stage
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Round, RoundElement, Team
from piebot.telegram import callbacks
from piebot.telegram.rounds.card import (
    UNDO,
    editor_of,
    framework_of,
    load_state,
    may_facilitate,
    post_card,
    post_stage_prompt,
    refuse_log,
    save_state,
    shared_middle,
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

    class Refused(Exception):
        """A press refused before anything was written (the transaction is rolled back)."""

    def work(session):
        # One transaction for the checks and the rating: a press is the busiest thing a round does.
        row = session.get(RoundElement, press.ref)
        round_now = session.get(Round, row.round_id) if row is not None else None
        team = session.get(Team, round_now.team_id) if round_now is not None else None
        if team is None or team.chat_id != chat.id:
            raise Refused("no such card in this chat")
        framework = framework_of(team)
        choice = read_press(press.arg, framework.scale) if press.arg != UNDO else UNDO
        if not (choice == UNDO or (isinstance(choice, PlaceChosen) and not choice.team)):
            raise Refused("unknown choice")
        who = teams.member_of(session, team.id, user.id)
        if who is None or not who.active:
            raise NotAllowed(refusals.NOT_JOINED)
        state = load_state(session, round_now, team)
        state.check_can_rate(row.element_id)
        if choice == UNDO:
            rounds.withdraw_rating(session, round_now, who, row.element_id)
            return row.id, round_now.anonymous, choice, None, framework
        outcome = rounds.record_rating(session, round_now, who, row.element_id, choice.index(framework.scale))
        return row.id, round_now.anonymous, choice, outcome, framework

    try:
        try:
            row_id, anonymous, choice, outcome, framework = await rt.apply(update, work)
        except IntegrityError:
            # The same person's two presses raced for the first rating; the second is a change.
            row_id, anonymous, choice, outcome, framework = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except Refused as refused:
        refuse_log("rating", str(refused))
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    except NotAllowed as refusal:
        await query.answer(refusal.reason, show_alert=True)
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    if choice == UNDO:
        await query.answer(texts.RATING_WITHDRAWN)
    elif anonymous:
        await query.answer(texts.BEAD_PLACED_ANONYMOUSLY)
    else:
        place = framework.scale.describe(choice.index(framework.scale))
        await query.answer(texts.bead_placed(place, outcome.changed))
    await editor_of(context.application).refresh(context.application, row_id)


# ---------------------------------------------------------------- the facilitator moves on


@dataclass(frozen=True)
class Moved:
    old_row: int
    new_row: int | None  # a new element's card to post
    stage: Stage | None  # a stage whose question to ask
    element_id: str
    finished: bool


def _move(session, round_id: int, action: str, value: int | None, only_row: int | None) -> Moved:
    round_ = session.get(Round, round_id)
    if round_ is None or round_.status == "closed":
        raise NotAllowed(refusals.ROUND_CLOSED)
    if round_.mode != "live":
        raise NotAllowed(texts.LIVE_ONLY)
    team = session.get(Team, round_.team_id)
    state = load_state(session, round_, team)
    elements = rounds.elements_of(session, round_.id)
    current = elements[state.element_index]
    if only_row is not None and only_row != current.id:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    before = (state.element_index, state.phase, state.stage_index)
    if action == Command.REVEAL:
        state.reveal(rounds.count_rated(session, round_.id, current.element_id), rounds.members_counted(session, team.id))
    elif action == Command.ACCEPT:
        middle = shared_middle([v for _, v in rounds.ratings_of(session, round_.id, current.element_id)])
        if middle is None:
            raise NotAllowed(texts.NO_PRIVATE_MIDDLE)
        state.set_team_view(middle)
    elif action == "team":
        state.set_team_view(value)
    elif action in (Command.CHOOSE, Command.TEAM_BACK):
        if state.paused:
            raise NotAllowed(pizazz.PAUSED)
        if action == Command.CHOOSE and state.phase not in (Phase.REVEALED, Phase.TEAM_VIEW_SET):
            raise NotAllowed(texts.SHARE_FIRST)
    elif action == Command.NEXT:
        state.next()
    elif action == Command.PREVIOUS:
        state.back()
    elif action == Command.SKIP:
        state.skip()
    elif action == Command.PAUSE:
        state.pause()
    elif action == Command.RESUME:
        state.resume()
    elif action == Command.CLOSE:
        state.close()
    else:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    save_state(session, round_, state)
    session.flush()
    new_row = None
    if state.element_index != before[0] and not state.finished:
        new_row = elements[state.element_index].id
    stage = None
    if state.phase is Phase.STAGE and (state.phase, state.stage_index) != before[1:]:
        stage = state.stage
    return Moved(current.id, new_row, stage, state.element_id, state.finished)


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
    try:
        moved = await rt.apply(update, lambda s: _move(s, round_id, action, value, only_row))
    except AlreadyDone:
        moved, refusal = None, None
    except NotAllowed as exc:
        moved, refusal = None, exc.reason
    except rounds.RoundRefused as exc:
        moved, refusal = None, str(exc)
    else:
        refusal = None
    if answer is not None:
        await answer(refusal)
    if moved is not None:
        await after_move(app, round_id, moved, choosing=action == Command.CHOOSE)
    return refusal


async def after_move(app: Application, round_id: int, moved: Moved, *, choosing: bool = False) -> None:
    await editor_of(app).refresh(app, moved.old_row, urgent=True, choosing=choosing)
    if moved.new_row is not None:
        await post_card(app, moved.new_row)
    if moved.stage is not None:
        await post_stage_prompt(app, round_id, moved.element_id, moved.stage)
    if moved.finished:
        from piebot.telegram.rounds.summary import post_round_summary

        await post_round_summary(app, round_id)


async def on_move_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "assessment live")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat

    def look(session):
        row = session.get(RoundElement, press.ref)
        if row is None:
            return None
        round_ = session.get(Round, row.round_id)
        team = session.get(Team, round_.team_id)
        return (round_.id, team) if team.chat_id == chat.id else None

    found = await rt.read(look)
    if found is None:
        refuse_log("facilitator", "no such card in this chat")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    round_id, team = found
    choice = read_press(press.arg, framework_of(team).scale)
    if isinstance(choice, PlaceChosen) and choice.team:
        action, value = "team", choice.index(framework_of(team).scale)
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
