"""/report and /export: the round report (PDF) and the team's spreadsheets (CSV), sent privately.

Who may: a group admin or the team's facilitator, and the files go to that person's private chat. A
report or a spreadsheet is made to be handed on, outside the group, so handing it on is a deliberate
act of whoever is responsible; the export of a named round has each person's own answers, which the
group itself never sees. The group is told that a report was made, so nobody wonders. Anonymous
answers carry no names in either file (see piebot.storage.results).

Button "rp": a report of an earlier round (ref = team id, arg = round id), pressed in the private chat
and checked again against the presser.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMediaDocument, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import charts as texts
from piebot.charts import render
from piebot.charts.export import export_csv
from piebot.storage import receipts, results
from piebot.storage.results import RoundInfo, TeamFacts
from piebot.telegram import callbacks
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

REPORT = "rp"
EARLIER_REPORT_BUTTONS = 4
ALBUM_MOST = 10  # Telegram's most items in one album
# One request's uploads together: a report's parts (each under 45 MB) are too big to share one.
ALBUM_BYTES = 50 * 1024 * 1024
# Telegram's own description when the person has never opened a private chat with the bot.
CHAT_NOT_FOUND = re.compile(r"chat\s+not\s+found", re.IGNORECASE)


def _unreachable(exc: Forbidden | BadRequest) -> bool:
    return isinstance(exc, Forbidden) or CHAT_NOT_FOUND.search(str(exc)) is not None


async def _may_hand_on(update: Update, context, facts: TeamFacts) -> bool:
    return facts.lead or await is_admin(update, context)


async def _lead_facts(update: Update, context) -> TeamFacts | None:
    """The team's facts if the sender may make reports and exports here; otherwise says why and returns None."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return None
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    if message.sender_chat is not None or update.effective_user is None:
        await message.reply_html(texts.AS_YOURSELF if await is_admin(update, context) else texts.ONLY_LEADS)
        return None
    user_id = update.effective_user.id
    facts = await rt.read(lambda s: results.facts_for_chat(s, chat_id, user_id))
    if facts is None or not facts.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return None
    if not await _may_hand_on(update, context, facts):
        log.info("report or export refused: not an admin or facilitator")
        await message.reply_html(texts.ONLY_LEADS)
        return None
    return facts


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    facts = await _lead_facts(update, context)
    if facts is None:
        return
    if not facts.rounds:
        await update.effective_message.reply_html(texts.NO_ROUND_FOR_REPORT)
        return
    user = update.effective_user
    sent = await _send_report(context.application, facts, facts.rounds[0], user.id)
    if sent is None:
        await update.effective_message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    latest = facts.rounds[0]
    await update.effective_message.reply_html(
        texts.report_sent(user.first_name, texts.nice_date(latest.closed_on), latest.anonymous, sent))


async def _send_report(app: Application, facts: TeamFacts, info: RoundInfo, user_id: int) -> int | None:
    """Send the round's report to the user privately; the number of parts, or None if they can't be reached."""
    rt: Runtime = app.bot_data["runtime"]
    found = await rt.read(lambda s: results.round_results(s, info.id))
    from piebot.charts.report import round_report_pdf  # fpdf and matplotlib: loaded when a report is asked for

    parts = await render(round_report_pdf, found.current, found.previous)
    earlier = [r for r in facts.rounds if r.id != info.id][:EARLIER_REPORT_BUTTONS]
    markup = None
    if earlier:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            texts.round_button(texts.nice_date(r.closed_on), r.id),
            callback_data=callbacks.encode(REPORT, facts.team_id, str(r.id)))]
            for r in earlier])
    date = texts.nice_date(info.closed_on)
    files = [(filename, data, texts.report_caption(facts.name, date, number, len(parts)))
             for number, (filename, data) in enumerate(parts, start=1)]
    try:
        await send_files(app, user_id, files, markup)
    except (Forbidden, BadRequest) as exc:
        if not _unreachable(exc):
            raise
        return None
    # Handed out of the group: from now on the round's evidence stays as it is in the report.
    await rt.apply(None, lambda s: receipts.left_the_team(s, [info.id]))
    return len(parts)


async def send_files(app: Application, chat_id: int, files: list[tuple[str, bytes, str | None]],
                     markup: InlineKeyboardMarkup | None = None) -> None:
    """Files (name, bytes, plain caption) as one album of documents: one send for up to ten, each with its
    own caption. An album carries no buttons: a lone file keeps them on itself, an album has them on a
    line of their own after it."""
    albums = _albums(files)
    for number, album in enumerate(albums, start=1):
        last = number == len(albums)
        if len(album) == 1:
            filename, data, caption = album[0]
            await app.bot.send_document(chat_id, document=InputFile(data, filename=filename), caption=caption,
                                        parse_mode=None, reply_markup=markup if last else None)
            continue
        await app.bot.send_media_group(chat_id, [
            InputMediaDocument(InputFile(data, filename=filename, attach=True), caption=caption, parse_mode=None)
            for filename, data, caption in album])
        if last and markup is not None:
            await app.bot.send_message(chat_id, texts.EARLIER_REPORTS, reply_markup=markup, parse_mode=None)


def _albums(files: list[tuple[str, bytes, str | None]]) -> list[list[tuple[str, bytes, str | None]]]:
    """Files in order, as few albums as hold them: at most ten each, their bytes within one upload."""
    albums: list[list[tuple[str, bytes, str | None]]] = []
    size = 0
    for file in files:
        if not albums or len(albums[-1]) == ALBUM_MOST or size + len(file[1]) > ALBUM_BYTES:
            albums.append([])
            size = 0
        albums[-1].append(file)
        size += len(file[1])
    return albums


async def on_report_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        press = callbacks.decode(query.data)
        round_id = int(press.arg)
    except (callbacks.BadButton, ValueError):
        log.warning("report button refused: malformed")
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    user = query.from_user
    if update.effective_chat.type != ChatType.PRIVATE or update.effective_chat.id != user.id:
        log.warning("report button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    facts = await rt.read(lambda s: results.facts_for_team(s, press.ref, user.id))
    if facts is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    admin = user.id in await chat_admin_ids(context, facts.chat_id)
    if not (facts.lead or admin):
        log.info("report button refused: not an admin or facilitator")
        await query.answer(texts.ONLY_LEADS, show_alert=True)
        return
    info = next((r for r in facts.rounds if r.id == round_id), None)
    if info is None:
        await query.answer(texts.ROUND_GONE, show_alert=True)
        return
    await query.answer(texts.MAKING)
    await _send_report(context.application, facts, info, user.id)


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    facts = await _lead_facts(update, context)
    if facts is None:
        return
    rt = runtime_of(context)
    rows = await rt.read(lambda s: results.export_rows(s, facts.team_id))
    files = export_csv(rows.rounds, rows.checkins, rows.actions, rows.level_labels)
    user = update.effective_user
    try:
        await send_files(context.application, user.id,
                         [(filename, data, texts.EXPORT_CAPTIONS.get(filename)) for filename, data in files])
    except (Forbidden, BadRequest) as exc:
        if not _unreachable(exc):
            raise
        await update.effective_message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await rt.apply(None, lambda s: receipts.closed_rounds_left(s, facts.team_id))
    await update.effective_message.reply_html(texts.export_sent(user.first_name))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(CallbackQueryHandler(on_report_press, pattern=callbacks.pattern(REPORT)))
