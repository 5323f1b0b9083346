"""The team view of one element after a round in people's own time: a card with the spread, prompts for
the conversation and the grid the facilitator places the team's bead on once the team has talked."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from conversations.keyboards import Command, read_press
from conversations.texts import assess as texts
from conversations.texts import live, refusals
from piebot.storage import live as live_rows
from piebot.storage import round_ends, rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks
from piebot.telegram.rounds.card import Card, application_of, grid, may_facilitate, refuse_log
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

TEAM_VIEW = "tv"  # the team view of an element after an async round


async def ask_team_view(app_or_context_or_bot, round_id: int, element_id: str) -> None:
    """Post a card with the element's spread and the team-view buttons (used when an async round ends)."""
    app = application_of(app_or_context_or_bot)
    rt: Runtime = app.bot_data["runtime"]
    facts = await rt.read(lambda s: round_ends.team_view_card(s, round_id, element_id))
    card = _team_view_card(facts, choosing=False)
    sent = await app.bot.send_message(card.chat_id, card.text, reply_markup=card.markup)
    await rt.apply(None, lambda s: live_rows.keep_card_message(s, facts.card_id, sent.message_id))


def _team_view_card(facts: round_ends.TeamViewFacts, *, choosing: bool) -> Card:
    framework = facts.framework
    views = [live.View(v, name) for name, v in facts.ratings]
    element = framework.element(facts.element_id)
    parts = [
        live.element_heading(framework, element, facts.number, facts.of),
        live.spread_block(framework, views, facts.anonymous, facts.names_shown, talking=facts.team_view is None),
    ]
    card_id = facts.card_id
    keyboard: list[list[InlineKeyboardButton]] = []
    if facts.team_view is not None:
        parts.append(live.team_view_line(framework, facts.team_view))
    else:
        # The facilitator places the team's bead on the grid once the team has talked: no one-tap middle.
        parts.append(texts.TALK_IT_THROUGH)
        keyboard = grid(framework, TEAM_VIEW, card_id, "T")
        if choosing:
            keyboard.append([InlineKeyboardButton(
                texts.BACK, callback_data=callbacks.encode(TEAM_VIEW, card_id, Command.TEAM_BACK))])
    markup = InlineKeyboardMarkup(keyboard) if keyboard else None
    return Card(facts.chat_id, facts.message_id, "\n\n".join(parts), markup)


async def on_team_view_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    chat = update.effective_chat
    press = await callbacks.press_of(query, "assessment teamview")
    if press is None:
        return
    found = await rt.read(lambda s: live_rows.card_in_chat(s, press.ref, chat.id))
    team = found.team if found is not None else None
    choice = read_press(press.arg, teams.framework_of(team).scale) if team is not None else None
    if team is None or choice is None:
        refuse_log("team view", "unknown card or choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not await may_facilitate(update, context, team.id):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return
    try:
        facts = await rt.apply(update, lambda s: round_ends.agree_team_view(s, press.ref, choice))
    except AlreadyDone:
        await query.answer()
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    await query.answer()
    card = _team_view_card(facts, choosing=choice == Command.CHOOSE)
    try:
        await context.bot.edit_message_text(
            card.text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=card.markup
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    except TelegramError:
        log.warning("team view card could not be edited")
