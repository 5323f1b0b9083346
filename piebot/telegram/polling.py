"""Long polling that confirms an update to Telegram only after its effect is committed.

PTB's own Updater confirms a batch (by asking for the next offset) as soon as it has queued
it, so a crash mid-batch would lose answers. Here a batch is processed first and confirmed
after; a crash means the batch comes again, and the processed-update rows make the repeat
harmless. Updates of one chat are handled in order; different chats run side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from telegram import Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25


def seconds(retry_after) -> float:
    # PTB gives an int or a timedelta depending on its settings.
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)


def chat_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


async def process_batch(app: Application, updates: list[Update]) -> None:
    by_chat: dict[int, list[Update]] = defaultdict(list)
    for update in updates:
        by_chat[chat_key(update)].append(update)

    async def in_order(chat_updates: list[Update]) -> None:
        for update in chat_updates:
            await app.process_update(update)

    await asyncio.gather(*(in_order(u) for u in by_chat.values()))


async def poll(app: Application, stop: asyncio.Event, *, timeout: int = LONG_POLL_SECONDS) -> None:
    """Fetch, process and then confirm, until `stop` is set."""
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            app.bot.get_updates(offset=offset, timeout=timeout, allowed_updates=Update.ALL_TYPES)
        )
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            stopper.cancel()
            break
        stopper.cancel()
        try:
            updates = fetch.result()
        except RetryAfter as exc:
            await asyncio.sleep(seconds(exc.retry_after))
            continue
        except (TimedOut, NetworkError) as exc:
            log.warning("getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30)
            continue
        backoff = 1.0
        if not updates:
            continue
        await process_batch(app, list(updates))
        offset = updates[-1].update_id + 1
    if offset is not None:
        # Confirm the last processed batch so a clean stop does not replay it.
        try:
            await app.bot.get_updates(offset=offset, timeout=0, limit=1, allowed_updates=Update.ALL_TYPES)
        except (TimedOut, NetworkError):
            pass
