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

A question is queued with the row that waits for its replies, in one transaction: that row holds
`pending_id(handle)` and the queue call names the `fill` that writes the real id in once it is sent
(piebot.storage.outbox). A reply that arrives before that finds the chat `waiting` and `settles`.

A job (piebot.storage.outbox.queue_job) is run by the function its feature registered with `job`, aside,
once what its chat had queued before it has gone; its row goes when it is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message
from telegram.constants import ChatType, ParseMode
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
# How long a reply to a message still on its way waits for it to be sent (see `settle`): longer than a
# send takes, short enough that the chat's later updates are not held up for long.
SETTLE_SECONDS = 5.0
_SETTLE_POLL_SECONDS = 0.05
# Chats sent to at once when one transaction queued for many (nudges to a whole team, a fan-out): about a
# second of Telegram's overall budget, so a member's reply elsewhere never waits behind more than that.
CHATS_AT_ONCE = 30


def _jsonable(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


def queue_message(session, chat_id: int, text: str, *, reply_markup=None, fill: str | None = None,
                  **params: Any) -> Queued:
    """Queue a text message (HTML, as every text of piebot's) in this transaction."""
    payload: dict[str, Any] = {"text": text, "parse_mode": ParseMode.HTML,
                               **{key: _jsonable(value) for key, value in params.items()}}
    if reply_markup is not None:
        payload["reply_markup"] = _jsonable(reply_markup)
    return outbox.queue(session, chat_id, "sendMessage", payload, fill=fill)


def queue_call(session, chat_id: int, method: str, *, fill: str | None = None, **params: Any) -> Queued:
    """Queue any other Bot API call (an edit, a photo by file_id...) with JSON-able parameters."""
    return outbox.queue(session, chat_id, method,
                        {key: _jsonable(value) for key, value in params.items() if value is not None}, fill=fill)


def queue_reaction(session, chat_id: int, message_id: int, emoji: str) -> Queued:
    """Queue the bot's reaction on a message: a receipt that adds no message to the chat. A chat that
    allows no reactions refuses it (the queued item says so once sent: `refused`)."""
    return queue_call(session, chat_id, "setMessageReaction", message_id=message_id,
                      reaction=[{"type": "emoji", "emoji": emoji}])


def queue_edit(session, chat_id: int, message_id: int | None, text: str | None, *, reply_markup=None) -> None:
    """Queue an edit of a message sent earlier: its text (and buttons), or only its buttons when `text`
    is None. Nothing for a message not (yet) sent."""
    if message_id is None or outbox.is_pending(message_id):
        return
    if text is None:
        queue_call(session, chat_id, "editMessageReplyMarkup", message_id=message_id, reply_markup=reply_markup)
    else:
        queue_call(session, chat_id, "editMessageText", message_id=message_id, text=text,
                   parse_mode=ParseMode.HTML, reply_markup=reply_markup)


def in_reply_to(message: Message) -> dict[str, Any]:
    """The parameters that make a queued message answer `message` as `message.reply_html` would: quoting
    it in a group (still sent if it was deleted meanwhile), in its forum topic if it has one."""
    params: dict[str, Any] = {}
    if message.chat.type != ChatType.PRIVATE:
        params["reply_parameters"] = {"message_id": message.message_id, "allow_sending_without_reply": True}
    if getattr(message, "is_topic_message", False) and message.message_thread_id is not None:
        params["message_thread_id"] = message.message_thread_id
    return params


async def settle(runtime: Runtime, chat_id: int, timeout: float | None = None) -> bool:
    """Whether messages were on their way to this chat and have now been sent, waiting briefly for them.

    For a reply to a message of the bot's that no feature knows yet: it may answer a question that
    Telegram has shown but whose id is not written in yet. False when nothing was on its way (there is
    nothing to wait for) or it did not go within `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (SETTLE_SECONDS if timeout is None else timeout)
    waited = False
    while True:
        try:
            on_its_way = await runtime.read(lambda session: outbox.waiting(session, chat_id))
        except Exception as exc:  # noqa: BLE001 - a look that fails is a look that found nothing settled
            log.info("could not look into the outbox (%s)", type(exc).__name__)
            return False
        if not on_its_way:
            return waited
        if loop.time() >= deadline:
            return False
        waited = True
        await asyncio.sleep(_SETTLE_POLL_SECONDS)


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
            await send(app, claimed)
        await asyncio.sleep(SWEEP_SECONDS)
        claimed = await _claim(runtime)


async def send(app: Application, queued: list[Queued], *, gate: asyncio.Semaphore | None = None) -> None:
    """Send queued calls, each chat's in the order queued; never raises (what could not go stays queued
    for a retry). Chats go side by side, so one group's budget does not hold the others back; `gate`
    bounds how many at once (a fan-out to thousands of chats)."""
    by_chat: dict[int, list[Queued]] = defaultdict(list)
    for item in queued:
        by_chat[item.chat_id].append(item)
    if len(by_chat) == 1:
        await _send_in_order(app, queued, gate)
        return
    gate = gate or asyncio.Semaphore(CHATS_AT_ONCE)
    await asyncio.gather(*(_send_in_order(app, items, gate) for items in by_chat.values()))


async def _send_in_order(app: Application, queued: list[Queued], gate: asyncio.Semaphore | None) -> None:
    if gate is None:
        await _send_each(app, queued)
        return
    async with gate:
        await _send_each(app, queued)


# name -> async fn(app, params): a job of piebot's own queued like a message (piebot.storage.outbox.queue_job).
Job = Callable[[Application, dict[str, Any]], Awaitable[None]]
_JOBS: dict[str, Job] = {}


def job(name: str) -> Callable[[Job], Job]:
    """Register what a queued job of this name does (the feature that queues it registers it at import)."""

    def register(run: Job) -> Job:
        _JOBS[name] = run
        return run

    return register


def _start_job(app: Application, item: Queued) -> None:
    # Aside, once what was queued before it in its chat has gone: a job (charts drawn and sent) can take
    # seconds, which the chat's next updates must not wait for. A stop cuts it short like any background
    # task; its row stays, and the next sweep (or start) runs it again.
    asyncio.create_task(_run_job(app, item), name=f"piebot-job-{item.id}")


async def _run_job(app: Application, item: Queued) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    name = item.method.removeprefix(outbox.JOB)
    run = _JOBS.get(name)
    try:
        if run is None:
            log.warning("outbox job %d: no job named %s; dropped", item.id, name)
        else:
            await run(app, item.params())
    except Exception as exc:  # noqa: BLE001 - a job that failed (not for want of Telegram) would fail again
        log.warning("outbox job %d (%s) failed (%s); dropped", item.id, name, type(exc).__name__)
    await _record(runtime, lambda session, row_id: outbox.sent(session, row_id), item.id)


async def _send_each(app: Application, queued: list[Queued]) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    for index, item in enumerate(queued):
        if outbox.is_job(item.method):
            _start_job(app, item)
            continue
        try:
            result = await app.bot._post(item.method, item.params())  # PTB's path: defaults, rate limiter
        except (BadRequest, Forbidden) as exc:
            if not (isinstance(exc, BadRequest) and "not modified" in str(exc).lower()):
                # Telegram will never take this one (the person blocked the bot, the message it edits is
                # gone or too old). An edit to what a message already says is simply done.
                item.refused = True
                metrics.OUTBOX_DROPPED.inc()
                # An edit refused only leaves an old message as it was; a message refused is worth a look.
                log.log(logging.INFO if item.method.startswith("edit") else logging.WARNING,
                        "outbox message %d refused by Telegram (%s); dropped", item.id, type(exc).__name__)
            await _record(runtime, lambda session, row_id, item=item: outbox.dropped(
                session, row_id, chat_id=item.chat_id, fill=item.fill), item.id)
            continue
        except (TelegramError, OSError) as exc:
            # Passing (network, 5xx, 429s beyond patience): this and the rest of the batch, in order, later.
            await _later(runtime, queued[index:], exc)
            return
        item.sent = True
        if isinstance(result, dict) and isinstance(result.get("message_id"), int):
            item.message_id = result["message_id"]
        metrics.OUTBOX_SENT.inc()
        await _record(runtime, lambda session, row_id, item=item: outbox.sent(
            session, row_id, item.message_id, chat_id=item.chat_id, fill=item.fill), item.id)


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
