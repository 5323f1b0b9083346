"""Runs the bot: migrations, the Application, the scheduler and the update loop."""

from __future__ import annotations

import asyncio
import logging

from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.telegram.app import build_application
from piebot.telegram.polling import poll

log = logging.getLogger(__name__)


class Bot:
    """One running piebot: start it, let it poll until stopped, stop it."""

    def __init__(self, settings: Settings, db: Database | None = None, *, rate_limiter=None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.app = build_application(settings, self.db, rate_limiter=rate_limiter)
        self.stop_event = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.db.upgrade)
        await self.app.initialize()
        await self.app.start()
        for hook in self.app.bot_data.get("on_start", []):
            await hook(self.app)
        self._task = asyncio.create_task(poll(self.app, self.stop_event), name="piebot-poll")

    async def stop(self) -> None:
        self.stop_event.set()
        if self._task is not None:
            await self._task
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
