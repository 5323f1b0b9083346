"""Runs the bot: migrations, the Application, the scheduler's leadership and the update loop; and stops
it within a few seconds, whatever is in flight.

Start-up survives a Telegram outage: getMe is tried again until Telegram answers (only a token it
refuses stops the process, with one line on stderr), command menus are set in the background, and
polling or the webhook starts regardless.

A stop (SIGTERM, SIGINT, `Bot.stop`) takes at most STOP_SECONDS: updates in flight get a grace to
finish and are then cancelled (unconfirmed, so they come again), background tasks the bot started
likewise, then the scheduler, the leadership, the Application and the chart workers close, each
within what is left of the time. `piebot run` exits by force at HARD_STOP_SECONDS should anything
(a database call in a thread, say) still hold it: `docker stop` kills at ten.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken, TelegramError

from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.telegram.app import build_application
from piebot.telegram.delivery.background import TaskSet
from piebot.telegram.delivery.polling import STOP_GRACE_SECONDS, poll, watch_failures

log = logging.getLogger(__name__)

STOP_SECONDS = 4.5
HARD_STOP_SECONDS = 5.0
# Kept back from the updates' turn for what follows it: hooks, the Application, the chart workers.
AFTER_UPDATES_SECONDS = 1.0
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 30.0
# Threads for database work on PostgreSQL: within what the engine's pool serves (10 and 10 more at a push).
DATABASE_THREADS = 16


class StartAborted(Exception):
    """A stop was asked for while the bot was still waiting for Telegram at start."""


class Bot:
    """One running piebot: start it, let it poll (or serve its webhook) until stopped, stop it.

    Hooks in bot_data, each `async fn(app)`: "on_start"/"on_stop" run in every process;
    "on_elected"/"on_deposed" run in the one process that leads the scheduler (see
    piebot.scheduling.leader), as leadership comes and goes.
    """

    def __init__(self, settings: Settings, db: Database | None = None, *, rate_limiter=None,
                 webhook: bool = False) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.app = build_application(settings, self.db, rate_limiter=rate_limiter)
        watch_failures(self.app)
        self.webhook = webhook
        self.webhook_server = None
        self.leadership = None
        self.stop_event = asyncio.Event()
        self.tasks = TaskSet()
        self._task: asyncio.Task | None = None
        self._long_lived: set[asyncio.Task] = set()
        self._started = False

    # ---------------------------------------------------------------------------------- start

    async def start(self) -> None:
        # Inside the bot's own context: every task started from here on is the bot's (see background).
        await self.tasks.run_inside(self._start())
        # What runs for the bot's whole life (the poller, the leadership campaign, PTB's own loops)
        # is stopped in its own turn, not waited for as background work.
        self._long_lived = self.tasks.running()

    async def _start(self) -> None:
        from piebot.scheduling.leader import Leadership

        if self.db.is_postgres:
            # Handlers' transactions run in the loop's default executor (asyncio.to_thread), six threads
            # on two cores: too few to keep PostgreSQL's pool busy while each waits on its round trips.
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(
                max_workers=DATABASE_THREADS, thread_name_prefix="piebot-db"))
        await asyncio.to_thread(self.db.upgrade)
        await self._initialize()
        await self.app.start()
        self._started = True
        for hook in self.app.bot_data.get("on_start", []):
            await hook(self.app)
        self.leadership = Leadership(self.db, self._run_hooks("on_elected"), self._run_hooks("on_deposed"))
        await self.leadership.start()
        if self.webhook:
            await self._serve_webhook()
        else:
            self._task = asyncio.create_task(poll(self.app, self.stop_event), name="piebot-poll")

    async def _initialize(self) -> None:
        """getMe (inside Application.initialize) until Telegram answers; a refused token is final."""
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                await self.app.initialize()
                return
            except InvalidToken:
                raise
            except TelegramError as exc:
                if self.stop_event.is_set():
                    raise StartAborted from None
                log.warning("Telegram did not answer at start (%s); trying again in %.0fs", type(exc).__name__, delay)
                try:
                    await asyncio.wait_for(self.stop_event.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)

    async def _serve_webhook(self) -> None:
        # aiohttp's server: loaded only by a bot that serves a webhook, not by every start.
        from piebot.telegram.delivery.webhook import DEFAULT_PATH, WebhookServer

        url = self.settings.webhook_url
        secret = self.settings.webhook_secret.get_secret_value() if self.settings.webhook_secret else ""
        if not url:
            raise ValueError("a webhook needs PIEBOT_WEBHOOK_URL")
        self.webhook_server = WebhookServer(
            self.app, self.db, secret=secret, listen=self.settings.webhook_listen,
            port=self.settings.webhook_port, path=urlparse(url).path or DEFAULT_PATH,
        )
        await self.webhook_server.start()
        # Every worker sets the same webhook; Telegram keeps one, and pending updates stay queued.
        # An outage must not stop the server from answering what Telegram does deliver.
        asyncio.create_task(self._set_webhook(url, secret), name="piebot-set-webhook")

    async def _set_webhook(self, url: str, secret: str) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self.stop_event.is_set():
            try:
                await self.app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
                return
            except TelegramError as exc:
                log.warning("setWebhook failed (%s); trying again in %.0fs", type(exc).__name__, delay)
            try:
                await asyncio.wait_for(self.stop_event.wait(), delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)

    def _run_hooks(self, name: str):
        async def run() -> None:
            for hook in self.app.bot_data.get(name, []):
                await hook(self.app)

        return run

    # ---------------------------------------------------------------------------------- stop

    async def stop(self) -> None:
        """Stop within STOP_SECONDS: finish what can be finished, cancel the rest."""
        self.stop_event.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_SECONDS

        def left(keep: float = 0.0) -> float:
            return max(0.0, deadline - loop.time() - keep)

        # The poller lets updates in flight finish for STOP_GRACE_SECONDS, then cancels them and confirms.
        if self._task is not None:
            await _within(self._task, left(AFTER_UPDATES_SECONDS), "the poller")
            self._task = None
        if self.webhook_server is not None:
            grace = min(STOP_GRACE_SECONDS, left(AFTER_UPDATES_SECONDS + 0.5))
            await _within(self.webhook_server.stop(grace), left(AFTER_UPDATES_SECONDS), "the webhook")
            self.webhook_server = None
        if self.leadership is not None:
            await _within(self.leadership.stop(), min(left(0.6), 2.0), "the scheduler's leadership")
            self.leadership = None
        if self._started:
            for hook in self.app.bot_data.get("on_stop", []):
                await _within(hook(self.app), left(0.6), "a stop hook")
        cancelled = await self.tasks.settle(left(0.5), besides=self._long_lived)
        if cancelled:
            log.info("stopping: %d background task(s) cut short", cancelled)
        if self._started:
            self._started = False
            await _within(self.app.stop(), left(0.3), "the Application")
        await _within(self.app.shutdown(), left(0.2), "the Application's shutdown")
        await self.tasks.settle(0)
        await asyncio.to_thread(_close_chart_workers, max(left(), 0.2))

    async def run_until_stopped(self) -> None:
        starting = asyncio.ensure_future(self.start())
        stopped = asyncio.ensure_future(self.stop_event.wait())
        try:
            await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                # Asked to stop while still waiting for Telegram or the database: give up starting.
                starting.cancel()
                await asyncio.wait({starting}, timeout=1.0)
            elif starting.exception() is None:
                await stopped
            elif not isinstance(starting.exception(), StartAborted):
                raise starting.exception()
        finally:
            stopped.cancel()
            await self.stop()

    async def __aenter__(self) -> Bot:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()


async def _within(work: Awaitable, seconds: float, what: str) -> None:
    """Await `work` for at most `seconds`, then cancel it: a stop never waits longer than it may."""
    try:
        await asyncio.wait_for(work, max(seconds, 0.01))
    except TimeoutError:
        log.warning("stopping: %s took too long and was cut short", what)
    except asyncio.CancelledError:
        if asyncio.current_task() is not None and asyncio.current_task().cancelling():
            raise
    except Exception as exc:  # noqa: BLE001 - a stop carries on whatever one part of it met
        log.warning("stopping: %s failed (%s)", what, type(exc).__name__)


def _close_chart_workers(timeout: float) -> None:
    # Only if charts were drawn at all: importing piebot.charts would load matplotlib for nothing.
    charts = sys.modules.get("piebot.charts")
    if charts is not None:
        charts.close_pool(timeout)


# ---------------------------------------------------------------------------------- `piebot run`


async def serve(settings: Settings) -> int:
    """`piebot run`: long polling until SIGINT/SIGTERM."""
    return await _serve_until_signalled(Bot(settings))


async def serve_webhook(settings: Settings) -> int:
    """`piebot run --webhook`: serve Telegram's webhook until SIGINT/SIGTERM."""
    missing = [name for name, value in (("PIEBOT_WEBHOOK_URL", settings.webhook_url),
                                        ("PIEBOT_WEBHOOK_SECRET", settings.webhook_secret)) if not value]
    if missing:
        print(f"piebot: set {' and '.join(missing)} to serve a webhook.", file=sys.stderr)
        return 2
    return await _serve_until_signalled(Bot(settings, webhook=True))


async def _serve_until_signalled(bot: Bot) -> int:
    loop = asyncio.get_running_loop()
    forcing: list[threading.Timer] = []

    def on_signal(_signum, _frame) -> None:
        # A plain signal handler, not the loop's: it runs at once on the main thread even while the loop
        # is busy, so the hard deadline counts from the signal itself. The stop then runs on the loop.
        if not forcing:
            forcing.append(_exit_by_force_after(HARD_STOP_SECONDS))
        with contextlib.suppress(RuntimeError):  # the loop already closed: the process is ending anyway
            loop.call_soon_threadsafe(bot.stop_event.set)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    try:
        await bot.run_until_stopped()
    except InvalidToken:
        print("piebot: Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN "
              "(from @BotFather).", file=sys.stderr)
        return 1
    return 0


def _exit_by_force_after(seconds: float) -> threading.Timer:
    """A stop that overruns (a thread stuck in a database call, say) ends the process anyway."""

    def force() -> None:
        os.write(2, b"piebot: the stop took too long; exiting now\n")
        os._exit(1)

    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()
    return timer
