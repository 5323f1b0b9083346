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

No update can stop the loop: each is parsed on its own, and one PTB cannot read (a newer Bot API's
kind or shape) is logged by id and kind, confirmed and skipped. An update whose effect is already
committed (a redelivery after a crash) is confirmed without running the handlers again. Anything
unexpected in the loop itself is logged and the loop goes on after a pause. A stop lets updates in
flight finish for a short grace, then cancels them; those are not confirmed and come again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes

from piebot import metrics
from piebot.storage.db import AlreadyDone, newest_processed, was_processed
from piebot.telegram.delivery.ratelimit import retry_after_seconds
from piebot.telegram.guards import TelegramUnreachable

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25
# A failing update is tried this often before it is given up, so one poisoned update cannot stall
# every team. A database that cannot be reached is no fault of the update: it gets DATABASE_PATIENCE.
ATTEMPTS = 3
DATABASE_PATIENCE_SECONDS = 600.0
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0

_FAILED = "failed_updates"


def kind_of(update: Update | dict[str, Any]) -> str:
    """What kind of update this is ("message", "callback_query", ...): safe to log, unlike its content."""
    if isinstance(update, dict):
        return next((str(k) for k in update if k != "update_id"), "empty")[:40]
    return next((kind for kind in Update.ALL_TYPES if getattr(update, kind, None) is not None), "unknown")


def read_update(app: Application, raw: dict[str, Any]) -> Update | None:
    """The update as PTB's object, or None (logged once, by id and kind) if PTB cannot read it."""
    try:
        return Update.de_json(raw, app.bot)
    except Exception as exc:  # noqa: BLE001 - any shape PTB chokes on: one update must never stop the bot
        metrics.UPDATES_UNREADABLE.inc()
        log.warning("update %s (%s) could not be read (%s); confirmed and skipped",
                    raw.get("update_id"), kind_of(raw), type(exc).__name__)
        return None


def trace_of(error: BaseException) -> str:
    # The code path only: an exception's message may quote what a member wrote, its lines do not.
    return "".join(traceback.format_tb(error.__traceback__))


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
    # A repeat that reached the error handler still has its effect in the database: not a failure. Nor is
    # a check that could not reach Telegram: the person was told to try again, and nothing changed.
    if isinstance(update, Update) and not isinstance(context.error, (AlreadyDone, TelegramUnreachable)):
        context.application.bot_data[_FAILED][update.update_id] = context.error


async def already_done(app: Application, update_id: int) -> bool:
    """Whether this update's effect is committed already (one look-up by primary key)."""
    runtime = app.bot_data.get("runtime")
    if runtime is None:
        return False
    try:
        return await asyncio.to_thread(was_processed, runtime.db, update_id)
    except Exception:  # noqa: BLE001 - the handlers will meet the same database and say so
        return False


async def process_update(app: Application, update: Update, *, maybe_repeat: bool = True) -> BaseException | None:
    """Run one update through the handlers; the error if a handler failed on it, else None.

    A repeat of an update whose effect is committed is not run again: answering a press twice is
    refused by Telegram, and the first run did everything there was to do. Only an update that
    `maybe_repeat` is looked up (the poller knows which are new; see Pipeline.may_have_run).
    """
    if maybe_repeat and await already_done(app, update.update_id):
        metrics.UPDATES_REPEATED.inc()
        return None
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


async def process_with_retries(app: Application, update: Update, stop: asyncio.Event, *,
                               maybe_repeat: bool = True) -> bool:
    """Process one update, retrying while it deserves it; False if stopped first (it must not be confirmed)."""
    loop = asyncio.get_running_loop()
    delay = FIRST_RETRY_SECONDS
    attempts = 0
    first_failed = loop.time()
    while not stop.is_set():
        # A retry may follow a failure after the commit: it is looked up whatever the poller knew.
        error = await process_update(app, update, maybe_repeat=maybe_repeat or attempts > 0)
        if error is None:
            return True
        attempts += 1
        if not patience(error, attempts, loop.time() - first_failed):
            # Given up, and confirmed, so one poisoned update cannot hold its chat for ever.
            metrics.UPDATES_GIVEN_UP.inc()
            log.error("gave up on update %d (%s) after %d attempt(s): %s\n%s", update.update_id,
                      kind_of(update), attempts, type(error).__name__, trace_of(error))
            return True
        log.info("update %d failed (%s); retrying in %.1fs", update.update_id, type(error).__name__, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)
    return False


class Pipeline:
    """Updates in flight: chained per chat, and the offset that confirms only finished ones."""

    def __init__(self, app: Application, stop: asyncio.Event, newest_done: int | None = None) -> None:
        self.app = app
        self.stop = stop
        # The newest update committed before this poller began; None: unknown, so every update is looked up.
        self.newest_done = newest_done
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

    def skip(self, update_id: int) -> None:
        """An update not to run (unreadable): done, so the offset may pass it."""
        if self.newest is None or update_id > self.newest:
            self.newest = update_id

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
        return await process_with_retries(self.app, update, self.stop, maybe_repeat=self.may_have_run(update))

    def may_have_run(self, update: Update) -> bool:
        """Whether an earlier life may have committed this update. Telegram numbers updates in order and
        only one poller takes them, so an update newer than any committed at start is new: the hot path
        skips the look-up. (Should one slip through, apply_once still refuses it a second effect.)"""
        return self.newest_done is None or update.update_id <= self.newest_done

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
        """Let updates in flight finish (a stop: no new ones start), then cancel what is left.

        A cancelled update is not confirmed; should its effect have been committed after all (its
        database work runs on in a thread), the redelivery finds it done.
        """
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=max(timeout, 0))
        left = set(self.tasks)
        if left:
            log.info("stopping: %d update(s) still in flight are cancelled and will come again", len(left))
            for task in left:
                task.cancel()
            await asyncio.wait(left, timeout=CANCEL_SECONDS)


# While updates are in flight, Telegram hands them back at once, so the poller asks without waiting
# and pauses between asks; a finished update (a new offset) ends the pause early.
BUSY_PAUSE_SECONDS = 0.25
# Ask again while busy once at least this many of a reply's 100 places can hold new updates.
ROOM = 70
# Or, the offset held back by a slow chat, once this few updates are left running: the others get more
# to do. Not sooner: every update from the offset comes back in each reply and is read again, so asking
# while plenty is running costs more than it brings (most of a burst's JSON, measured).
RUNNING_LOW = 10
# An ask at least this often while busy, even when a reply could hold nothing new (it confirms).
LONGEST_BUSY_PAUSE_SECONDS = 1.0
REPLY_LIMIT = 100


def wants_more(pipeline: Pipeline) -> bool:
    """Whether asking now would bring new updates worth their reading."""
    span = pipeline.in_flight
    if span <= REPLY_LIMIT - ROOM:
        return True
    return span < REPLY_LIMIT and len(pipeline.unfinished) <= RUNNING_LOW
POLL_READ_SLACK_SECONDS = 15


async def fetch_raw(app: Application, offset: int | None, timeout: int, limit: int = 100) -> list[dict]:
    """getUpdates as JSON, through the bot's request, without parsing it."""
    data = {"offset": offset, "timeout": timeout, "allowed_updates": Update.ALL_TYPES, "limit": limit}
    # As Bot.get_updates does: the long poll's own wait on top of the usual read timeout.
    # Bot._post is PTB's own request path (rate limiter included); the public get_updates would
    # parse every update again, and do_api_request refuses known endpoints.
    return await app.bot._post("getUpdates", data, read_timeout=timeout + POLL_READ_SLACK_SECONDS)


# A stop waits this long for updates in flight, then cancels them (see piebot.runner: the whole stop
# is bounded).
STOP_GRACE_SECONDS = 2.5
CANCEL_SECONDS = 0.5
CONFIRM_SECONDS = 0.5
UNEXPECTED_PAUSE_SECONDS = 1.0


async def forget_webhook(app: Application, stop: asyncio.Event) -> None:
    """Delete a webhook left from an earlier run (it would make every getUpdates fail), patiently."""
    delay = 1.0
    while not stop.is_set():
        try:
            await app.bot.delete_webhook()
            return
        except TelegramError as exc:
            log.warning("deleteWebhook failed (%s); retrying in %.0fs", type(exc).__name__, delay)
        await _pause(stop, delay)
        delay = min(delay * 2, 30)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def poll(app: Application, stop: asyncio.Event, *, timeout: int = LONG_POLL_SECONDS,
               grace: float = STOP_GRACE_SECONDS) -> None:
    """Fetch, process and then confirm, until `stop` is set; then finish or cancel what is in flight."""
    watch_failures(app)
    pipeline = Pipeline(app, stop, await _newest_done(app))
    await forget_webhook(app, stop)
    backoff = 1.0
    last_ask = 0.0
    while not stop.is_set():
        try:
            busy = bool(pipeline.unfinished)
            since = time.monotonic() - last_ask
            pause = BUSY_PAUSE_SECONDS if pipeline.in_flight < REPLY_LIMIT else LONGEST_BUSY_PAUSE_SECONDS
            if busy and not wants_more(pipeline) and since < pause:
                # An ask now would bring back mostly updates already running: wait for room, for the
                # running ones to dwindle, or a pause (so one slow chat does not hold back the others
                # for long; longer when a reply could hold nothing new).
                await pipeline.wait_for_progress(pause - since)
                continue
            last_ask = time.monotonic()
            raw = await _fetch_unless_stopped(app, pipeline, stop, 0 if busy else timeout)
            if raw is None:
                break
            backoff = 1.0
            new = _take_new(app, pipeline, raw)
            if pipeline.unfinished and not (new and len(raw) >= 100):
                await pipeline.wait_for_progress(BUSY_PAUSE_SECONDS)
        except RetryAfter as exc:
            await _pause(stop, retry_after_seconds(exc))
        except (TimedOut, NetworkError, Conflict) as exc:
            # Conflict: another poller or a webhook holds the updates; keep trying rather than die quietly.
            log.warning("getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
            await _pause(stop, backoff)
            backoff = min(backoff * 2, 30)
        except Exception as exc:  # noqa: BLE001 - the loop must outlive any surprise while the process runs
            log.error("polling met %s; going on in %.0fs\n%s", type(exc).__name__, UNEXPECTED_PAUSE_SECONDS,
                      trace_of(exc))
            await _pause(stop, UNEXPECTED_PAUSE_SECONDS)
    await pipeline.drain(grace)
    if pipeline.offset is not None:
        # Confirm what finished so a clean stop does not replay it; the unfinished come again.
        try:
            await asyncio.wait_for(fetch_raw(app, pipeline.offset, 0, limit=1), CONFIRM_SECONDS)
        except (TelegramError, TimeoutError):
            pass


async def _newest_done(app: Application) -> int | None:
    runtime = app.bot_data.get("runtime")
    if runtime is None:
        return None
    try:
        newest = await asyncio.to_thread(newest_processed, runtime.db)
    except Exception:  # noqa: BLE001 - unknown: every update is looked up
        return None
    return -1 if newest is None else newest


async def _fetch_unless_stopped(app: Application, pipeline: Pipeline, stop: asyncio.Event,
                                timeout: int) -> list[dict] | None:
    fetch = asyncio.ensure_future(fetch_raw(app, pipeline.offset, timeout))
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if fetch not in done:
        fetch.cancel()
        return None
    return fetch.result()


def _take_new(app: Application, pipeline: Pipeline, raw: list[dict]) -> int:
    """Start the updates not seen before, each parsed on its own; how many started."""
    # Only updates not seen before are parsed: the ones in flight come back on every ask, and
    # parsing a press (its message and keyboard included) costs more than handling it.
    new = 0
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if not isinstance(update_id, int):
            log.warning("getUpdates returned something without an update_id; ignored")
            continue
        if pipeline.newest is not None and update_id <= pipeline.newest:
            continue
        update = read_update(app, item)
        if update is None:
            pipeline.skip(update_id)
        else:
            new += pipeline.take([update])
    return new
