"""/chart in the group: a menu of the team's charts, and the presses that pick one.

Any joined member may ask. The pictures never show who said what (the spread draws no names, in named
rounds too), so everyone in the team may see them, in the group. The pictures themselves are drawn and
sent by piebot.telegram.charts.pictures; /report and /export live in piebot.telegram.charts.files.

Button "ch": which chart, which rounds (ref = team id). Every press is checked against the chat, the
team and the presser. Button "cd", under a chart: its figures in words (piebot.telegram.charts.details).
The relationships thread of the latest round is on the menu too, as a message. A chart is drawn once however
often it is pressed for (pictures.draw_once).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import charts as texts
from conversations.texts.relationships import thread_message
from piebot.storage import relationships, results
from piebot.storage.results import RoundInfo, TeamFacts
from piebot.telegram import callbacks
from piebot.telegram.charts import details, files, pictures
from piebot.telegram.guards import in_group
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

CHART = "ch"


def _chart_button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(CHART, team_id, arg))


def _menu(facts: TeamFacts) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    notes: list[str] = []
    if facts.rounds:
        rows.append([_chart_button(texts.PROFILE_BUTTON, facts.team_id, "p"),
                     _chart_button(texts.SPREAD_BUTTON, facts.team_id, "s")])
        notes.append(texts.MENU_LATEST.format(date=texts.nice_date(facts.rounds[0].closed_on)))
        if len(facts.rounds) >= 2:
            rows.append([_chart_button(texts.DISTANCE_BUTTON, facts.team_id, "d")])
        else:
            notes.append(texts.MENU_ONE_ROUND)
        rows.append([_chart_button(texts.RELATIONSHIPS_BUTTON, facts.team_id, "r")])
    else:
        notes.append(texts.MENU_NO_ROUND)
    for _element_id, name, latest in facts.checkin_elements[:4]:
        rows.append([_chart_button(texts.trend_button(name), facts.team_id, f"t.{latest}")])
    if not facts.checkin_elements:
        notes.append(texts.MENU_NO_CHECKINS)
    if facts.has_actions:
        rows.append([_chart_button(texts.ACTIONS_BUTTON, facts.team_id, "a")])
    text = texts.MENU + "\n" + "\n".join(notes)
    return text, InlineKeyboardMarkup(rows)


async def chart_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    user_id = update.effective_user.id if update.effective_user and message.sender_chat is None else None
    facts = await rt.read(lambda s: results.facts_for_chat(s, chat_id, user_id))
    if facts is None or not facts.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    if not facts.joined:
        await message.reply_html(texts.NOT_JOINED)
        return
    if not (facts.rounds or facts.checkin_elements or facts.has_actions):
        await message.reply_html(texts.NOTHING_YET)
        return
    text, keyboard = _menu(facts)
    await message.reply_html(text, reply_markup=keyboard)


async def on_chart_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "charts")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    facts = await rt.read(lambda s: results.facts_for_chat(s, chat.id, query.from_user.id))
    if facts is None or facts.team_id != press.ref:
        log.warning("chart button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    if not facts.joined:
        log.info("chart button refused: not a joined member")
        await query.answer(texts.NOT_JOINED, show_alert=True)
        return
    what, _, rest = press.arg.partition(".")
    known = {r.id: r for r in facts.rounds}
    try:
        ids = [int(x) for x in rest.split(".")] if rest else []
    except ValueError:
        ids = None
    if ids is None or what not in ("p", "s", "d", "t", "a", "r"):
        log.warning("chart button refused: unknown choice")
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return

    if what in ("p", "s"):
        round_id = ids[0] if ids else (facts.rounds[0].id if facts.rounds else None)
        if round_id is None or (ids and round_id not in known):
            await query.answer(texts.ROUND_GONE, show_alert=True)
            return
        await pictures.draw_once(context.application, query, facts.team_id, f"{what}.{round_id}",
                                 lambda: pictures.send_round_chart(context.application, facts.chat_id, what, round_id))
    elif what == "d":
        await _distance_press(update, context, facts, ids, known)
    elif what == "r":
        if not facts.rounds:
            await query.answer(texts.ROUND_GONE, show_alert=True)
            return
        await query.answer()
        latest = facts.rounds[0].id
        thread = await rt.read(lambda s: relationships.relationships_thread(s, latest))
        await context.bot.send_message(facts.chat_id, thread_message(thread))
    elif what == "t":
        if len(ids) != 1:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        element_id = await rt.read(lambda s: results.checkin_element(s, ids[0], facts.team_id))
        if element_id is None:
            log.warning("chart button refused: check-in of another team")
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        await pictures.draw_once(context.application, query, facts.team_id, f"t.{element_id}",
                                 lambda: pictures.send_trend(context.application, facts.team_id, element_id))
    else:
        await pictures.draw_once(context.application, query, facts.team_id, "a",
                                 lambda: pictures.send_actions(context.application, facts.team_id, facts.chat_id))


async def _distance_press(update: Update, context, facts: TeamFacts, ids: list[int],
                          known: dict[int, RoundInfo]) -> None:
    query = update.callback_query
    if len(facts.rounds) < 2:
        await query.answer(texts.NEED_TWO_ROUNDS, show_alert=True)
        return
    if any(i not in known for i in ids) or len(ids) > 2:
        await query.answer(texts.ROUND_GONE, show_alert=True)
        return
    if not ids and len(facts.rounds) == 2:
        ids = [facts.rounds[1].id, facts.rounds[0].id]
    if len(ids) == 2:
        before, after = sorted(ids, key=lambda i: [r.id for r in facts.rounds[::-1]].index(i))
        if before == after:
            await query.answer(texts.ROUND_GONE, show_alert=True)
            return
        await pictures.draw_once(
            context.application, query, facts.team_id, f"d.{before}.{after}",
            lambda: pictures.send_distance(context.application, facts.team_id, facts.chat_id, before, after))
        return
    # Let the team pick: first the earlier round, then the later one. The picker replaces the menu.
    oldest_first = facts.rounds[::-1]
    day = texts.nice_date
    if not ids:
        latest_two = {facts.rounds[0].id, facts.rounds[1].id}
        rows = [[_chart_button(texts.round_button(day(r.closed_on), r.id, ticked=r.id in latest_two),
                               facts.team_id, f"d.{r.id}")] for r in oldest_first[:-1]]
        rows.insert(0, [_chart_button(texts.last_two_button(day(facts.rounds[1].closed_on),
                                                            day(facts.rounds[0].closed_on)),
                                      facts.team_id, f"d.{facts.rounds[1].id}.{facts.rounds[0].id}")])
        text = texts.PICK_FROM
    else:
        first = known[ids[0]]
        later = [r for r in oldest_first if oldest_first.index(r) > oldest_first.index(first)]
        rows = [[_chart_button(texts.round_button(day(r.closed_on), r.id), facts.team_id, f"d.{first.id}.{r.id}")]
                for r in later]
        text = texts.PICK_TO.format(date=day(first.closed_on))
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))
    except TelegramError as exc:
        if "not modified" not in str(exc):
            raise


def register(app: Application) -> None:
    app.add_handler(CommandHandler("chart", chart_command))
    files.register(app)
    details.register(app)
    app.add_handler(CallbackQueryHandler(on_chart_press, pattern=callbacks.pattern(CHART)))
    app.bot_data.setdefault("on_round_closed", []).append(pictures.on_round_closed)
    app.bot_data.setdefault("on_checkin_closed", []).append(pictures.on_checkin_closed)
