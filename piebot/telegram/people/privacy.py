"""People's rights over their data (/mydata, /forgetme) and a team's (/retention, /deleteteam).

Buttons: "fm" forget me (ref = the person's Telegram id), "kp" keeping (retention) (ref = team id,
arg = days or 0), "dt" delete the team (ref = team id). Every press is checked against the
chat it came from and who pressed it. What a change says back goes through the outbox, committed with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import privacy as texts
from conversations.texts.welcome import GROUP_ONLY, NOT_ADMIN
from piebot.storage import ballot_box, privacy, teams
from piebot.storage.db import AlreadyDone, open_boxes
from piebot.storage.models import utcnow
from piebot.telegram import callbacks
from piebot.telegram.delivery.outbox import in_reply_to, queue_edit, queue_message
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

RETENTION_CHOICES = (90, 365, 730)
MAX_RETENTION_DAYS = 3650
PURGE_EVERY = timedelta(days=1)
PURGE_JOB = "privacy-purge"


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _edit(query, text: str) -> None:
    """Edit the pressed message; a second press of the same button has nothing left to change."""
    try:
        await query.edit_message_text(text)
    except BadRequest as exc:
        if "not modified" not in str(exc):
            raise


# --- /mydata ------------------------------------------------------------------------------


async def mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not _private(update) or update.effective_user is None:
        await message.reply_html(texts.PRIVATE_ONLY)
        return
    user_id = update.effective_user.id
    data = await runtime_of(context).read(lambda s: privacy.export_member(s, user_id))
    document = json.dumps(data, indent=2, ensure_ascii=False).encode()
    await context.bot.send_document(
        update.effective_chat.id, document=document, filename=texts.MYDATA_FILENAME, caption=texts.MYDATA_CAPTION
    )


# --- /forgetme ----------------------------------------------------------------------------


async def forgetme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not _private(update) or update.effective_user is None:
        await message.reply_html(texts.PRIVATE_ONLY)
        return
    user_id = update.effective_user.id
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.FORGET_YES, callback_data=callbacks.encode("fm", user_id, "y"))],
            [InlineKeyboardButton(texts.FORGET_NO, callback_data=callbacks.encode("fm", user_id, "n"))],
        ]
    )
    await message.reply_html(texts.FORGET_ASK, reply_markup=keyboard)


async def on_forget_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "privacy")
    if press is None:
        return
    user_id = query.from_user.id
    if not _private(update) or press.ref != user_id or update.effective_chat.id != user_id:
        log.warning("privacy button refused: not the person's own button")
        await query.answer(texts.NOT_YOURS, show_alert=True)
        return
    if press.arg == "n":
        await query.answer()
        await _edit(query, texts.FORGET_KEPT)
        return
    if press.arg != "y":
        log.warning("privacy button refused: unknown choice")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    message_id = query.message.message_id

    def forget(session) -> None:
        counts = privacy.forget_member(session, user_id)
        queue_edit(session, user_id, message_id,
                   texts.forgotten(counts["teams"], counts["ratings"], counts["evidence"], counts["anonymous"]))

    try:
        await runtime_of(context).apply(update, forget, first=lambda _: query.answer())
    except AlreadyDone:
        await query.answer()
        return
    log.info("a member's named data was erased at their request")


# --- team settings: /retention and /deleteteam ----------------------------------------------


async def _admin_team(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The team of this group if the sender is its admin; otherwise says why and returns None."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(GROUP_ONLY)
        return None
    if not await is_admin(update, context):
        await message.reply_html(NOT_ADMIN)
        return None
    chat_id = update.effective_chat.id
    team = await runtime_of(context).read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None:
        await message.reply_html(texts.NO_TEAM)
    return team


def _retention_keyboard(team_id: int) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(texts.retention_choice(d), callback_data=callbacks.encode("kp", team_id, str(d)))]
            for d in RETENTION_CHOICES]
    rows.append([InlineKeyboardButton(texts.RETENTION_KEEP, callback_data=callbacks.encode("kp", team_id, "0"))])
    return InlineKeyboardMarkup(rows)


def _read_days(text: str) -> int | None | bool:
    """Days as typed; None for "off"; False when it can't be read."""
    text = text.strip().lower()
    if text in ("off", "never", "keep", "0"):
        return None
    if text.isdigit() and 1 <= int(text) <= MAX_RETENTION_DAYS:
        return int(text)
    return False


async def retention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    team = await _admin_team(update, context)
    if team is None:
        return
    message = update.effective_message
    if not context.args:
        await message.reply_html(texts.retention_now(team.retention_days), reply_markup=_retention_keyboard(team.id))
        return
    days = _read_days(context.args[0]) if len(context.args) == 1 else False
    if days is False:
        await message.reply_html(texts.RETENTION_USAGE)
        return
    chat_id, replying = update.effective_chat.id, in_reply_to(message)

    def keep(session) -> None:
        privacy.set_retention(session, team.id, days)
        queue_message(session, chat_id, texts.retention_set(days), **replying)

    try:
        await runtime_of(context).apply(update, keep)
    except AlreadyDone:
        return


async def deleteteam(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    team = await _admin_team(update, context)
    if team is None:
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.DELETE_YES, callback_data=callbacks.encode("dt", team.id, "y"))],
            [InlineKeyboardButton(texts.DELETE_NO, callback_data=callbacks.encode("dt", team.id, "n"))],
        ]
    )
    await update.effective_message.reply_html(
        texts.DELETE_ASK.format(name=texts.team_name(team.name or team.chat_title)), reply_markup=keyboard
    )


async def _pressed_team(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """(press, team) for an admin's press on this group's own team button, or None after refusing."""
    query = update.callback_query
    press = await callbacks.press_of(query, "privacy")
    if press is None:
        return None
    if not in_group(update):
        log.warning("privacy button refused: not in a group")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return None
    chat_id = update.effective_chat.id
    team = await runtime_of(context).read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or team.id != press.ref:
        log.warning("privacy button refused: wrong chat")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return None
    if not await is_admin(update, context):
        log.warning("privacy button refused: not an admin")
        await query.answer(NOT_ADMIN, show_alert=True)
        return None
    return press, team


async def on_retention_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await _pressed_team(update, context)
    if found is None:
        return
    press, team = found
    query = update.callback_query
    if press.arg not in {str(d) for d in (0, *RETENTION_CHOICES)}:
        log.warning("privacy button refused: unknown choice")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    days = int(press.arg) or None
    chat_id, message_id = update.effective_chat.id, query.message.message_id

    def keep(session) -> None:
        privacy.set_retention(session, team.id, days)
        queue_edit(session, chat_id, message_id, texts.retention_set(days))

    try:
        await runtime_of(context).apply(update, keep, first=lambda _: query.answer())
    except AlreadyDone:
        await query.answer()
        return


async def on_delete_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await _pressed_team(update, context)
    if found is None:
        return
    press, team = found
    query = update.callback_query
    if press.arg == "n":
        await query.answer()
        await _edit(query, texts.DELETE_KEPT)
        return
    if press.arg != "y":
        log.warning("privacy button refused: unknown choice")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    try:
        await runtime_of(context).apply(update, lambda s: privacy.delete_team(s, team.id))
    except AlreadyDone:
        await query.answer()
        return
    log.info("a team's data was deleted by its admin")
    await query.answer()
    await _edit(query, texts.GOODBYE)
    try:
        await context.bot.leave_chat(update.effective_chat.id)
    except TelegramError:
        pass  # the data is gone either way; staying in the group keeps nothing


# --- automatic purge -------------------------------------------------------------------------


async def purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime_of(context)
    counts = await rt.apply(None, lambda s: privacy.purge_expired(s, utcnow()))
    if any(counts.values()):
        log.info("retention purge: %s", ", ".join(f"{n} {what}" for what, n in counts.items() if n))
    # A close cut short (the process stopped between the close and its batch) left ballots sealed in a
    # closed round or check-in: they go in now, each box in a transaction of its own.
    closed = await rt.read(ballot_box.closed_scopes_waiting)
    if closed:
        await asyncio.to_thread(open_boxes, rt.db, dict.fromkeys(closed, True))


async def _start_purging(app: Application) -> None:
    if app.job_queue is None:
        log.warning("no job queue: answers past a team's retention will not be purged automatically")
        return
    # Runs in the scheduler's leader only; it is idempotent, and a missed day is caught up the next.
    app.job_queue.run_repeating(
        purge_job, interval=PURGE_EVERY, first=timedelta(minutes=1), name=PURGE_JOB,
        job_kwargs={"id": PURGE_JOB, "replace_existing": True, "misfire_grace_time": 6 * 3600},
    )


async def _stop_purging(app: Application) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(PURGE_JOB):
            job.schedule_removal()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("mydata", mydata))
    app.add_handler(CommandHandler("forgetme", forgetme))
    app.add_handler(CommandHandler("retention", retention))
    app.add_handler(CommandHandler("deleteteam", deleteteam))
    app.add_handler(CallbackQueryHandler(on_forget_press, pattern=callbacks.pattern("fm")))
    app.add_handler(CallbackQueryHandler(on_retention_press, pattern=callbacks.pattern("kp")))
    app.add_handler(CallbackQueryHandler(on_delete_press, pattern=callbacks.pattern("dt")))
    app.bot_data.setdefault("on_elected", []).append(_start_purging)
    app.bot_data.setdefault("on_deposed", []).append(_stop_purging)
