"""The team view of one element after a round in people's own time: a card with the spread and the
team-view buttons, for the facilitator to set once the team has talked."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from conversations.keyboards import Command, PlaceChosen, read_press
from conversations.texts import assess as texts
from conversations.texts import live, refusals
from piebot.storage import rounds
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Round, RoundElement, Team
from piebot.telegram import callbacks
from piebot.telegram.rounds.card import (
    Card,
    application_of,
    framework_of,
    grid,
    may_facilitate,
    refuse_log,
    shared_middle,
)
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

TEAM_VIEW = "tv"  # the team view of an element after an async round


async def ask_team_view(app_or_context_or_bot, round_id: int, element_id: str) -> None:
    """Post a card with the element's spread and the team-view buttons (used when an async round ends)."""
    app = application_of(app_or_context_or_bot)
    rt: Runtime = app.bot_data["runtime"]

    def read(session):
        row = rounds.round_element(session, round_id, element_id)
        return row.id, _team_view_card(session, row.id, choosing=False)

    row_id, card = await rt.read(read)
    sent = await app.bot.send_message(card.chat_id, card.text, reply_markup=card.markup)

    def keep(session):
        session.get(RoundElement, row_id).card_message_id = sent.message_id

    await rt.apply(None, keep)


def _team_view_card(session, row_id: int, *, choosing: bool) -> Card:
    row = session.get(RoundElement, row_id)
    round_ = session.get(Round, row.round_id)
    team = session.get(Team, round_.team_id)
    framework = framework_of(team)
    views = [live.View(v, name) for name, v in rounds.ratings_of(session, round_.id, row.element_id)]
    element = framework.element(row.element_id)
    position = row.position + 1
    parts = [
        live.element_heading(framework, element, position, len(round_.element_ids) or 1),
        live.spread_block(framework, views, round_.anonymous),
    ]
    keyboard: list[list[InlineKeyboardButton]] = []
    if row.team_view is not None:
        parts.append(live.team_view_line(framework, row.team_view))
    elif choosing:
        keyboard = grid(framework, TEAM_VIEW, row.id, "T")
        keyboard.append(
            [InlineKeyboardButton("← Back", callback_data=callbacks.encode(TEAM_VIEW, row.id, Command.TEAM_BACK))]
        )
    else:
        parts.append(texts.TALK_IT_THROUGH)
        middle = shared_middle([v.index for v in views])
        if middle is not None:
            label = f"Team view: {framework.scale.describe(middle)}"
            keyboard.append([InlineKeyboardButton(label, callback_data=callbacks.encode(TEAM_VIEW, row.id, Command.ACCEPT))])
        keyboard.append(
            [
                InlineKeyboardButton(
                    "Choose another team view", callback_data=callbacks.encode(TEAM_VIEW, row.id, Command.CHOOSE)
                )
            ]
        )
    return Card(team.chat_id, row.card_message_id, "\n\n".join(parts), InlineKeyboardMarkup(keyboard) if keyboard else None)


async def on_team_view_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    chat = update.effective_chat
    press = await callbacks.press_of(query, "assessment teamview")
    if press is None:
        return

    def look(session):
        row = session.get(RoundElement, press.ref)
        if row is None:
            return None
        team = session.get(Team, session.get(Round, row.round_id).team_id)
        return team if team.chat_id == chat.id else None

    team = await rt.read(look)
    choice = read_press(press.arg, framework_of(team).scale) if team is not None else None
    if team is None or choice is None:
        refuse_log("team view", "unknown card or choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not await may_facilitate(update, context, team.id):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return

    def work(session):
        row = session.get(RoundElement, press.ref)
        round_ = session.get(Round, row.round_id)
        if row.team_view is not None:
            raise rounds.RoundRefused(texts.TEAM_VIEW_ALREADY_SET)
        if choice == Command.ACCEPT:
            values = [v for _, v in rounds.ratings_of(session, round_.id, row.element_id)]
            middle = shared_middle(values)
            if middle is None:
                raise rounds.RoundRefused(texts.NO_PRIVATE_MIDDLE)
            rounds.set_team_view(session, round_, row.element_id, middle)
        elif isinstance(choice, PlaceChosen) and choice.team:
            rounds.set_team_view(session, round_, row.element_id, choice.index(framework_of(team).scale))
        elif choice not in (Command.CHOOSE, Command.TEAM_BACK):
            raise rounds.RoundRefused(refusals.BUTTON_EXPIRED)
        session.flush()
        return _team_view_card(session, row.id, choosing=choice == Command.CHOOSE)

    try:
        card = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    await query.answer()
    try:
        await context.bot.edit_message_text(
            card.text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=card.markup
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    except TelegramError:
        log.warning("team view card could not be edited")
