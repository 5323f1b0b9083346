"""Sending the outbox (piebot.storage.outbox): right after the commit that queued a message, and, for
what is left (a process that died before sending, a send that failed for a passing reason), at start
and every few seconds after.

A handler queues inside its transaction and carries on after `rt.apply` returns, by when the queued
messages have been sent (or left for a retry): replies keep their order with what the handler sends
after. `queue_message` is the short way for the usual case, a text with or without buttons:

    def work(session):
        rounds.record_rating(...)
        return queue_message(session, chat_id, texts.SAVED, reply_markup=keyboard)
    reply = await rt.apply(update, work)
    reply.message_id   # once sent
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from piebot import metrics
from piebot.storage import outbox
from piebot.storage.outbox import Queued
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 300.0


def queue_message(session, chat_id: int, text: str, *, reply_markup=None, **params: Any) -> Queued:
    """Queue a text message (HTML, as every text of piebot's) in this transaction."""
    payload: dict[str, Any] = {"text": text, "parse_mode": ParseMode.HTML, **params}
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup.to_dict() if hasattr(reply_markup, "to_dict") else reply_markup
    return outbox.queue(session, chat_id, "sendMessage", payload)


def queue_call(session, chat_id: int, method: str, **params: Any) -> Queued:
    """Queue any other Bot API call (an edit, a photo by file_id...) with JSON-able parameters."""
    return outbox.queue(session, chat_id, method, {
        key: value.to_dict() if hasattr(value, "to_dict") else value for key, value in params.items()})


async def start_sending(app: Application) -> None:
    """Wire the outbox: sends after each commit, and what earlier lives left (claimed now, sent aside)."""
    runtime: Runtime = app.bot_data["runtime"]

    async def after_commit(queued: list[Queued]) -> None:
        await send(app, queued)

    runtime.after_commit = after_commit
    # On SQLite this is the only process: whatever is in the outbox was left by an earlier life.
    left = await _claim(runtime, everything=runtime.db.is_sqlite)
    app.bot_data["outbox_sweeper"] = asyncio.create_task(_sweep_forever(app, left), name="piebot-outbox")


async def _claim(runtime: Runtime, *, everything: bool = False) -> list[Queued]:
    try:
        return await runtime.apply(None, lambda session: outbox.claim(session, everything=everything))
    except Exception as exc:  # noqa: BLE001 - the next sweep tries again
        log.warning("could not look into the outbox (%s)", type(exc).__name__)
        return []


async def _sweep_forever(app: Application, first: list[Queued]) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    claimed = first
    while True:
        if claimed:
            log.info("sending %d message(s) left in the outbox", len(claimed))
            by_chat: dict[int, list[Queued]] = defaultdict(list)
            for item in claimed:
                by_chat[item.chat_id].append(item)
            # Chats side by side, each in its order: one group's budget does not hold the others back.
            await asyncio.gather(*(send(app, items) for items in by_chat.values()))
        await asyncio.sleep(SWEEP_SECONDS)
        claimed = await _claim(runtime)


async def send(app: Application, queued: list[Queued]) -> None:
    """Send queued calls in order; never raises (what could not go stays queued for a retry)."""
    runtime: Runtime = app.bot_data["runtime"]
    for index, item in enumerate(queued):
        try:
            result = await app.bot._post(item.method, dict(item.payload))  # PTB's path: defaults, rate limiter
        except (BadRequest, Forbidden) as exc:
            # Telegram will never take this one (the person blocked the bot, the message it edits is gone).
            metrics.OUTBOX_DROPPED.inc()
            log.warning("outbox message %d refused by Telegram (%s); dropped", item.id, type(exc).__name__)
            await _record(runtime, outbox.dropped, item.id)
            continue
        except (TelegramError, OSError) as exc:
            # Passing (network, 5xx, 429s beyond patience): this and the rest of the batch, in order, later.
            await _later(runtime, queued[index:], exc)
            return
        item.sent = True
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            item.message_id = result["message_id"]
        metrics.OUTBOX_SENT.inc()
        await _record(runtime, outbox.sent, item.id)


async def _record(runtime: Runtime, change, row_id: int) -> None:
    try:
        await runtime.apply(None, lambda session: change(session, row_id))
    except Exception as exc:  # noqa: BLE001 - a sent row left behind is sent again: at least once
        log.warning("outbox row %d could not be updated (%s)", row_id, type(exc).__name__)


async def _later(runtime: Runtime, items: list[Queued], error: BaseException) -> None:
    log.info("outbox: %d message(s) wait for a retry (%s)", len(items), type(error).__name__)
    try:
        given_up = await runtime.apply(None, lambda session: outbox.retry_later(
            session, [i.id for i in items], first=FIRST_RETRY_SECONDS, longest=LONGEST_RETRY_SECONDS))
    except Exception as exc:  # noqa: BLE001 - their claims lapse and a sweep takes them anyway
        log.warning("outbox rows could not be put back (%s)", type(exc).__name__)
        return
    for row_id in given_up:
        metrics.OUTBOX_DROPPED.inc()
        log.error("outbox message %d failed every try; dropped", row_id)
