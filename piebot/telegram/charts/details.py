""""In words" under a chart: every figure of a chart said in words (its long caption), for whoever asks.

A chart /chart posts to the group has a caption of a line or two; the button under it (button "cd",
ref = team id, arg = what the chart shows: "p.<round>", "s.<round>", "d.<before>.<after>",
"t.<a check-in of the element>" or "a") sends the figures in words to the person who tapped, in their
private chat, so the group gets no new message. Someone the bot can't write to yet gets them as a reply
under the chart instead. The words are worked out again from the team's data (piebot.charts.DETAILS),
without drawing anything; every press is checked against the chat, the team and the presser.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from conversations.texts import charts as texts
from piebot import charts
from piebot.charts import NothingToChart
from piebot.charts.data import same_elements
from piebot.storage import results
from piebot.storage.results import TeamFacts
from piebot.telegram import callbacks
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

DETAILS_BUTTON = "cd"
# Telegram's own description when the person has never opened a private chat with the bot.
CHAT_NOT_FOUND = re.compile(r"chat\s+not\s+found", re.IGNORECASE)


def markup(team_id: int, what: str) -> InlineKeyboardMarkup:
    """The "In words" button for a chart of the team: `what` as in the module's docstring."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        texts.DETAILS_BUTTON, callback_data=callbacks.encode(DETAILS_BUTTON, team_id, what))]])


def _ids(rest: str) -> list[int] | None:
    try:
        return [int(x) for x in rest.split(".")] if rest else []
    except ValueError:
        return None


async def details_of(rt: Runtime, facts: TeamFacts, what: str) -> str | None:
    """The figures in words of the chart `what` of the team; None if it names nothing of the team's."""
    kind, _, rest = what.partition(".")
    ids = _ids(rest)
    rounds = {r.id for r in facts.rounds}
    if ids is None:
        return None
    if kind in ("p", "s") and len(ids) == 1 and ids[0] in rounds:
        found = await rt.read(lambda s: results.round_results(s, ids[0]))
        if kind == "p":
            return charts.DETAILS[charts.team_profile](found.current, found.previous)
        return charts.DETAILS[charts.spread](found.current)
    if kind == "d" and len(ids) == 2 and set(ids) <= rounds:
        before, after = await rt.read(lambda s: results.two_rounds(s, facts.team_id, ids[0], ids[1]))
        return charts.DETAILS[charts.distance_travelled](same_elements(before, after), after)
    if kind == "t" and len(ids) == 1:
        element_id = await rt.read(lambda s: results.checkin_element(s, ids[0], facts.team_id))
        if element_id is None:
            return None
        found = await rt.read(lambda s: results.trend(s, facts.team_id, element_id))
        return charts.DETAILS[charts.responsiveness_trend](found.points, found.element_name, found.level_labels)
    if kind == "a" and not ids:
        rows = await rt.read(lambda s: results.action_rows(s, facts.team_id))
        return charts.DETAILS[charts.action_table](rows)
    return None


async def on_details_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "chart details")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    facts = await rt.read(lambda s: results.facts_for_chat(s, chat.id, query.from_user.id))
    if facts is None or facts.team_id != press.ref:
        log.warning("details button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    if not facts.joined:
        await query.answer(texts.NOT_JOINED, show_alert=True)
        return
    try:
        details = await details_of(rt, facts, press.arg)
    except NothingToChart as nothing:
        details = str(nothing)
    if details is None:
        log.warning("details button refused: not a chart of this team")
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    text = texts.details_message(facts.name, details)
    try:
        await context.bot.send_message(query.from_user.id, text, parse_mode=None)
    except (Forbidden, BadRequest) as exc:
        if isinstance(exc, BadRequest) and CHAT_NOT_FOUND.search(str(exc)) is None:
            raise
        # Never opened a private chat with the bot: the words go under the chart, for this one person's ask.
        await query.answer()
        await context.bot.send_message(chat.id, text, parse_mode=None,
                                       reply_to_message_id=query.message.message_id if query.message else None)
        return
    await query.answer(texts.DETAILS_SENT_PRIVATELY)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_details_press, pattern=callbacks.pattern(DETAILS_BUTTON)))
