"""The team views after a round in people's own time: a list of the elements in the group, most
disagreement first, and for each one the spread of views and the buttons the facilitator sets the
team's view with (button kind "wv", ref = round id)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes

from conversations.keyboards import (
    Command,
    LevelChosen,
    PlaceChosen,
    positions_caption,
    read_press,
    team_view_levels,
    team_view_positions,
)
from conversations.spread import Spread, ordered_by_disagreement
from conversations.texts import refusals
from conversations.texts import walk as texts
from conversations.texts.live import View, spread_block
from conversations.texts.scale import place_plain
from piebot.storage import rounds, walks
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks
from piebot.telegram.guards import is_admin
from piebot.telegram.rounds.walk_messages import TEAM_VIEWS, edit, markup, runtime
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

# Telegram shows about this much of a button's label on a phone.
LABEL_CHARS = 64


def _team_views_list(views: walks.TeamViews) -> tuple[str, InlineKeyboardMarkup]:
    framework = views.framework
    spreads = {eid: Spread.of(values, framework.scale.positions) for eid, values in views.ratings.items() if values}
    ordered = [eid for eid, _ in ordered_by_disagreement(spreads)]
    ordered += [e.element_id for e in views.elements if e.element_id not in ordered]
    by_id = {e.element_id: e for e in views.elements}
    names = [framework.element(eid).name for eid in ordered]
    set_count = sum(1 for e in views.elements if e.team_view is not None)
    rows = []
    for eid in ordered:
        element = by_id[eid]
        view = place_plain(framework.scale, element.team_view) if element.team_view is not None else None
        rows.append([InlineKeyboardButton(
            texts.team_view_choice(framework.element(eid).name, view)[:LABEL_CHARS],
            callback_data=callbacks.encode(TEAM_VIEWS, views.round.id, f"e{element.position}"),
        )])
    return texts.team_views_list(names, set_count), InlineKeyboardMarkup(rows)


async def post_team_views(app: Application, round_id: int) -> None:
    views = await runtime(app).read(lambda s: walks.team_views(s, round_id))
    text, reply_markup = _team_views_list(views)
    await app.bot.send_message(views.team.chat_id, text, reply_markup=reply_markup)


async def on_team_view_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "walk")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    user_id = query.from_user.id

    found = await rt.read(lambda s: walks.team_view_rights(s, press.ref, user_id))
    if found is None or found[0] != chat.id:
        log.warning("team view button refused: wrong chat or round")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not found[1] and not await is_admin(update, context):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return
    where, _, rest = press.arg.partition(".")
    message_id = query.message.message_id
    if press.arg == "list":
        await query.answer()
        text, reply_markup = _team_views_list(await rt.read(lambda s: walks.team_views(s, press.ref)))
        await edit(context.bot, chat.id, message_id, text, reply_markup)
        return
    if not (where.startswith("e") and where[1:].isdigit()):
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    position = int(where[1:])

    viewed = await rt.read(lambda s: walks.element_views(s, press.ref, position))
    if viewed is None:
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    framework, element = viewed.framework, viewed.element
    scale = framework.scale
    choice = read_press(rest, scale) if rest else None
    spread = spread_block(framework, [View(value, name) for name, value in viewed.views], viewed.round.anonymous,
                          viewed.round.names_shown)
    name = framework.element(element.element_id).name
    prefix = f"e{position}."
    back = [InlineKeyboardButton(texts.ALL_ELEMENTS, callback_data=callbacks.encode(TEAM_VIEWS, press.ref, "list"))]
    if not rest or choice is Command.TEAM_BACK:
        await query.answer()
        levels = markup(TEAM_VIEWS, press.ref, team_view_levels(scale), prefix)
        await edit(context.bot, chat.id, message_id, texts.team_view_card(name, spread, texts.TEAM_VIEW_QUESTION),
                   InlineKeyboardMarkup([*levels.inline_keyboard, back]))
    elif isinstance(choice, LevelChosen) and choice.team:
        await query.answer()
        positions = markup(TEAM_VIEWS, press.ref, team_view_positions(scale, choice.level), prefix)
        await edit(context.bot, chat.id, message_id,
                   texts.team_view_card(name, spread, positions_caption(scale, choice.level)),
                   InlineKeyboardMarkup([*positions.inline_keyboard, back]))
    elif isinstance(choice, PlaceChosen) and choice.team:
        value = choice.index(scale)
        try:
            views = await rt.apply(update, lambda s: walks.set_team_view(s, press.ref, element.element_id, value))
        except AlreadyDone:
            return
        except rounds.RoundRefused as refused:
            await query.answer(str(refused), show_alert=True)
            return
        await query.answer(place_plain(scale, value))
        text, reply_markup = _team_views_list(views)
        await edit(context.bot, chat.id, message_id, text, reply_markup)
    else:
        log.warning("team view button refused: unknown choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
