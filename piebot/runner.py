"""Runs the bot: migrations, the Application, the scheduler's leadership and the update loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from urllib.parse import urlparse

from telegram import Update

from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.telegram.app import build_application
from piebot.telegram.delivery.polling import poll, watch_failures
from piebot.telegram.delivery.webhook import DEFAULT_PATH, WebhookServer

log = logging.getLogger(__name__)


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
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        from piebot.scheduling.leader import Leadership

        await asyncio.to_thread(self.db.upgrade)
        await self.app.initialize()
        await self.app.start()
        for hook in self.app.bot_data.get("on_start", []):
            await hook(self.app)
        self.leadership = Leadership(self.db, self._run_hooks("on_elected"), self._run_hooks("on_deposed"))
        await self.leadership.start()
        if self.webhook:
            await self._serve_webhook()
        else:
            # A webhook left from an earlier run would make every getUpdates fail with a conflict.
            await self.app.bot.delete_webhook()
            self._task = asyncio.create_task(poll(self.app, self.stop_event), name="piebot-poll")

    async def _serve_webhook(self) -> None:
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
        await self.app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)

    def _run_hooks(self, name: str):
        async def run() -> None:
            for hook in self.app.bot_data.get(name, []):
                await hook(self.app)

        return run

    async def stop(self) -> None:
        self.stop_event.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self.webhook_server is not None:
            await self.webhook_server.stop()
            self.webhook_server = None
        if self.leadership is not None:
            await self.leadership.stop()
            self.leadership = None
        for hook in self.app.bot_data.get("on_stop", []):
            await hook(self.app)
        await self.app.stop()
        await self.app.shutdown()

    async def run_until_stopped(self) -> None:
        await self.start()
        await self.stop_event.wait()
        await self.stop()

    async def __aenter__(self) -> Bot:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()


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
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, bot.stop_event.set)
    await bot.run_until_stopped()
    return 0
