"""Long polling that confirms an update to Telegram only after its effect is committed.

PTB's own Updater confirms a batch (by asking for the next offset) as soon as it has queued
it, so a crash mid-batch would lose answers. Here the offset never passes an update that is not
finished; a crash means those updates come again, and the processed-update rows make the repeat
harmless. Updates of one chat are handled in order; different chats run side by side, and a slow
chat (one waiting out its group's 20-a-minute limit, say) does not hold up the others: new updates
are fetched while older ones are still running.

PTB hands a handler's exception to the error handlers and carries on, so an update whose
handler failed (the database was down, say) would look done. `watch_failures` notes such
updates; the poller retries them, holding back their chat's later updates, before it confirms.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes

from piebot import metrics
from piebot.storage.db import AlreadyDone

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
# A failing update is tried this often before it is given up, so one poisoned update cannot stall
# every team. A database that cannot be reached is no fault of the update: it gets DATABASE_PATIENCE.
ATTEMPTS = 3
DATABASE_PATIENCE_SECONDS = 600.0
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0

_FAILED = "failed_updates"


def seconds(retry_after) -> float:
    # PTB gives an int or a timedelta depending on its settings.
    return retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)


def chat_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else 0


def watch_failures(app: Application) -> None:
    """Have the application remember which updates a handler failed on (see process_update)."""
    if _FAILED in app.bot_data:
        return
    app.bot_data[_FAILED] = {}
    app.add_error_handler(_remember_failure)


async def _remember_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # A repeat that reached the error handler still has its effect in the database: not a failure.
    if isinstance(update, Update) and not isinstance(context.error, AlreadyDone):
        context.application.bot_data[_FAILED][update.update_id] = context.error


async def process_update(app: Application, update: Update) -> BaseException | None:
    """Run one update through the handlers; the error if a handler failed on it, else None."""
    failures: dict[int, BaseException] = app.bot_data[_FAILED]
    failures.pop(update.update_id, None)
    started = time.perf_counter()
    try:
        await app.process_update(update)
    finally:
        metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)
    error = failures.pop(update.update_id, None)
    (metrics.UPDATE_FAILURES if error is not None else metrics.UPDATES_PROCESSED).inc()
    return error


def database_unreachable(error: BaseException | None) -> bool:
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, (InterfaceError, PoolTimeout)):
        return True
    if isinstance(error, OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def patience(error: BaseException | None, attempts: int, waited: float) -> bool:
    """Whether a failed update deserves another try."""
    if database_unreachable(error):
        return waited < DATABASE_PATIENCE_SECONDS
    return attempts < ATTEMPTS


async def process_with_retries(app: Application, update: Update, stop: asyncio.Event) -> bool:
    """Process one update, retrying while it deserves it; False if stopped first (it must not be confirmed)."""
    loop = asyncio.get_running_loop()
    delay = FIRST_RETRY_SECONDS
    attempts = 0
    first_failed = loop.time()
    while not stop.is_set():
        error = await process_update(app, update)
        if error is None:
            return True
        attempts += 1
        if not patience(error, attempts, loop.time() - first_failed):
            # Given up, and confirmed, so one poisoned update cannot hold its chat for ever.
            metrics.UPDATES_GIVEN_UP.inc()
            log.error("gave up on update %d after %d attempt(s): %s", update.update_id, attempts, type(error).__name__)
            return True
        log.warning("update %d failed (%s); retrying in %.1fs", update.update_id, type(error).__name__, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)
    return False


class Pipeline:
    """Updates in flight: chained per chat, and the offset that confirms only finished ones."""

    def __init__(self, app: Application, stop: asyncio.Event) -> None:
        self.app = app
        self.stop = stop
        self.unfinished: set[int] = set()
        self.newest: int | None = None
        self.tasks: set[asyncio.Task] = set()
        self._tails: dict[int, asyncio.Task] = {}
        self.progress = asyncio.Event()

    @property
    def in_flight(self) -> int:
        """Updates from the offset to the newest taken: what Telegram would hand back first."""
        offset = self.offset
        return 0 if offset is None or self.newest is None else self.newest - offset + 1

    @property
    def offset(self) -> int | None:
        # Telegram drops every update below the offset, so it stops at the oldest unfinished one.
        if self.unfinished:
            return min(self.unfinished)
        return None if self.newest is None else self.newest + 1

    def take(self, updates: list[Update]) -> int:
        """Start the updates not seen before; how many were new."""
        new = 0
        for update in updates:
            if self.newest is not None and update.update_id <= self.newest:
                continue  # still running (or done and not yet confirmed)
            self.newest = update.update_id
            key = chat_key(update)
            task = asyncio.create_task(self._run(update, self._tails.get(key)), name=f"piebot-update-{update.update_id}")
            self._tails[key] = task
            self.unfinished.add(update.update_id)
            self.tasks.add(task)
            task.add_done_callback(lambda t, uid=update.update_id, key=key: self._finished(t, uid, key))
            new += 1
        return new

    async def _run(self, update: Update, before: asyncio.Task | None) -> bool:
        if before is not None:
            await asyncio.wait([before])
            if before.cancelled() or (before.exception() is None and not before.result()):
                return False  # the chat's earlier update was left for the next run; so is this one
        if self.stop.is_set():
            return False
        return await process_with_retries(self.app, update, self.stop)

    def _finished(self, task: asyncio.Task, update_id: int, key: int) -> None:
        self.tasks.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]
        if task.cancelled():
            pass
        elif task.exception() is not None:
            # A fault of the poller itself, not of a handler: counted as done so the offset never sticks.
            log.error("update %d: %s escaped the handlers", update_id, type(task.exception()).__name__)
            self.unfinished.discard(update_id)
        elif task.result():
            self.unfinished.discard(update_id)
        self.progress.set()

    async def wait_for_progress(self, timeout: float) -> None:
        self.progress.clear()
        waiters = {asyncio.ensure_future(self.progress.wait()), asyncio.ensure_future(self.stop.wait())}
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def drain(self, timeout: float) -> None:
        """Let updates in flight finish (a stop: no new ones start)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)


# While updates are in flight, Telegram hands them back at once, so the poller asks without waiting
# and pauses between asks; a finished update (a new offset) ends the pause early.
BUSY_PAUSE_SECONDS = 0.25
# Ask again while busy once at least this many of a reply's 100 places can hold new updates.
ROOM = 50
POLL_READ_SLACK_SECONDS = 15


async def fetch_raw(app: Application, offset: int | None, timeout: int) -> list[dict]:
    """getUpdates as JSON, through the bot's request and rate limiter, without parsing it."""
    data = {"offset": offset, "timeout": timeout, "allowed_updates": Update.ALL_TYPES}
    # As Bot.get_updates does: the long poll's own wait on top of the usual read timeout.
    # Bot._post is PTB's own request path (rate limiter included); the public get_updates would
    # parse every update again, and do_api_request refuses known endpoints.
    return await app.bot._post("getUpdates", data, read_timeout=timeout + POLL_READ_SLACK_SECONDS)


STOP_GRACE_SECONDS = 30.0


async def poll(app: Application, stop: asyncio.Event, *, timeout: int = LONG_POLL_SECONDS) -> None:
    """Fetch, process and then confirm, until `stop` is set."""
    watch_failures(app)
    pipeline = Pipeline(app, stop)
    backoff = 1.0
    last_ask = 0.0
    while not stop.is_set():
        busy = bool(pipeline.unfinished)
        if busy and pipeline.in_flight > ROOM and time.monotonic() - last_ask < BUSY_PAUSE_SECONDS:
            # An ask now would bring back mostly updates already running: wait for room (or a pause,
            # so one slow chat does not hold back the others for long).
            await pipeline.wait_for_progress(BUSY_PAUSE_SECONDS - (time.monotonic() - last_ask))
            continue
        last_ask = time.monotonic()
        fetch = asyncio.ensure_future(fetch_raw(app, pipeline.offset, 0 if busy else timeout))
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            stopper.cancel()
            break
        stopper.cancel()
        try:
            raw = fetch.result()
        except RetryAfter as exc:
            await asyncio.sleep(seconds(exc.retry_after))
            continue
        except (TimedOut, NetworkError, Conflict) as exc:
            # Conflict: another poller or a webhook holds the updates; keep trying rather than die quietly.
            log.warning("getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30)
            continue
        # Only updates not seen before are parsed: the ones in flight come back on every ask, and
        # parsing a press (its message and keyboard included) costs more than handling it.
        updates = [Update.de_json(item, app.bot) for item in raw
                   if pipeline.newest is None or item["update_id"] > pipeline.newest]
        backoff = 1.0
        new = pipeline.take(updates)
        if pipeline.unfinished and not (new and len(raw) >= 100):
            await pipeline.wait_for_progress(BUSY_PAUSE_SECONDS)
    await pipeline.drain(STOP_GRACE_SECONDS)
    if pipeline.offset is not None:
        # Confirm what finished so a clean stop does not replay it; the unfinished come again.
        try:
            await app.bot.get_updates(offset=pipeline.offset, timeout=0, limit=1, allowed_updates=Update.ALL_TYPES)
        except (TimedOut, NetworkError):
            pass
