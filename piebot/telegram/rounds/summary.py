"""The end of a round in the group: the summary, the review date, then the on_round_closed hooks.

`queue_round_summary` queues the summary in the transaction that closes the round (a live round
finishing, a round in people's own time closing), and after it a job (piebot.storage.outbox.queue_job)
that runs the hooks (the charts' album, the review date's reminders) once the summary is out. Queued
with the closing, neither is lost to a crash or a stop cut short: the outbox runs what was left at the
next start. `post_round_summary` does the same for a round closed earlier; it takes the Application (or
a CallbackContext, or the running bot)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from conversations.texts import refusals
from conversations.texts import summary as texts
from conversations.texts.relationships import summary_line
from conversations.texts.walk import round_title
from piebot.storage import outbox as outbox_rows
from piebot.storage import round_ends, rounds
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks
from piebot.telegram.delivery.outbox import job, queue_message
from piebot.telegram.rounds.card import application_of, may_facilitate
from piebot.telegram.runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

REVIEW = "rv"  # the review date picked under a round's summary


def summary_text(session: Session, round_id: int) -> tuple[str, int, date]:
    """The summary's text, the chat it goes to, and the day the round closed."""
    end = round_ends.round_end(session, round_id)
    summary = texts.RoundSummary(
        title=round_title(end.framework, end.scope),
        closed_on=end.closed_on,
        results=[texts.ElementResult(e.element_id, e.team_view, e.views, e.earlier_view) for e in end.elements],
        actions=end.actions,
        earlier_on=end.earlier_on,
        relationships_line=summary_line(end.relationship_counts, round_id),
        looked_back=end.looked_back,
    )
    return texts.round_summary(end.framework, summary), end.chat_id, end.closed_on


def _review_markup(round_id: int, closed_on: date) -> InlineKeyboardMarkup:
    rows = texts.review_keyboard(closed_on)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=callbacks.encode(REVIEW, round_id, b.data)) for b in row]
            for row in rows
        ]
    )


ROUND_CLOSED = "round_closed"  # the job that runs the on_round_closed hooks


def queue_round_summary(session: Session, round_id: int) -> None:
    """Queue the summary in this transaction: the one that closes the round, so a crash between the two
    cannot lose it (it is sent after the commit, or by the outbox at the next start); and after it, the
    job that runs the on_round_closed hooks."""
    text, chat_id, closed_on = summary_text(session, round_id)
    queue_message(session, chat_id, text, reply_markup=_review_markup(round_id, closed_on))
    outbox_rows.queue_job(session, chat_id, ROUND_CLOSED, round_id=round_id)


async def post_round_summary(app_or_context_bot, round_id: int) -> None:
    """Post the summary of a round closed earlier, then run the on_round_closed hooks."""
    app = application_of(app_or_context_bot)
    rt: Runtime = app.bot_data["runtime"]
    await rt.apply(None, lambda s: queue_round_summary(s, round_id))


HOOK_TASKS = "round_closed_tasks"


@job(ROUND_CLOSED)
async def _after_round_summary(app, params: dict) -> None:
    """The on_round_closed hooks, once the summary is out. Run aside by the outbox (the charts wait on
    the group's rate limit, and the group's next updates, someone picking the review date, must not wait
    behind them); kept among the tasks a stop lets finish first (`settle`)."""
    task = asyncio.current_task()
    pending = application_of(app).bot_data.setdefault(HOOK_TASKS, set())
    pending.add(task)
    try:
        await _run_hooks(application_of(app), int(params["round_id"]))
    finally:
        pending.discard(task)


async def _run_hooks(app, round_id: int) -> None:
    for hook in app.bot_data.get("on_round_closed", []):
        try:
            await hook(app, round_id)
        except Exception:  # one feature's failure must not keep the others from running
            log.exception("an on_round_closed hook failed")


async def settle(app, *, queued_too: bool = False) -> None:
    """Wait for hooks still running (on stop, so no chart is cut off half-sent); `queued_too`: and for
    those queued and not yet begun (the demo, before its next scene)."""
    while True:
        await asyncio.gather(*list(app.bot_data.get(HOOK_TASKS, ())), return_exceptions=True)
        if not queued_too:
            return
        rt: Runtime = app.bot_data["runtime"]
        if not app.bot_data.get(HOOK_TASKS) and not await rt.read(lambda s: outbox_rows.jobs_waiting(s, ROUND_CLOSED)):
            return
        await asyncio.sleep(0.05)


async def on_review_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "summary")
    if press is None:
        return
    weeks = int(press.arg[2:]) if press.arg.startswith("rv") and press.arg[2:].isdigit() else None
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    round_, team = await rt.read(lambda s: rounds.round_with_team(s, press.ref))
    if team is None or team.chat_id != chat_id or weeks not in texts.REVIEW_WEEKS or round_.status != "closed":
        log.warning("review button refused: unknown round or choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not await may_facilitate(update, context, team.id):
        await query.answer(refusals.FACILITATOR_ONLY, show_alert=True)
        return
    try:
        review_on = await rt.apply(update, lambda s: round_ends.set_review_date(s, round_.id, weeks))
    except AlreadyDone:
        await query.answer()
        return
    await query.answer()
    text, _, _ = await rt.read(lambda s: summary_text(s, round_.id))
    # The suggestion line gives way to the date chosen; the buttons go, a new /assess can set another.
    head = text.split("\n\n" + texts.REVIEW_QUESTION)[0]
    await query.edit_message_text(head + "\n\n" + texts.review_set(review_on), reply_markup=None)
