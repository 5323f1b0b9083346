"""Which process runs the scheduler: exactly one, elected through the database.

On PostgreSQL every worker campaigns for a session-level advisory lock on a connection of its own,
every couple of seconds. The holder is the leader and runs the scheduler; the lock lives exactly as
long as that connection, so when the leader dies PostgreSQL releases it and another worker takes
over at its next try. A leader that can no longer reach the database deposes itself at once: with
the keepalives below, PostgreSQL notices a vanished client only after that, so two schedulers do
not overlap. (Should they ever, the Firing table's unique (schedule, slot) still fires a slot once.)

On SQLite there is one process, and it simply leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from piebot import metrics
from piebot.storage.db import Database
from piebot.storage.leadership import LeadershipLock

log = logging.getLogger(__name__)

CAMPAIGN_SECONDS = 2.0

Callback = Callable[[], Awaitable[None]]


class Leadership:
    """Campaigns for the scheduler's leadership and runs `on_elected` / `on_deposed` as it changes hands."""

    def __init__(self, db: Database, on_elected: Callback, on_deposed: Callback, *,
                 interval: float = CAMPAIGN_SECONDS) -> None:
        self.db = db
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.interval = interval
        self.is_leader = False
        self._lock = LeadershipLock(db)
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        if not self.db.is_postgres:
            await self._elected()
            return
        self._task = asyncio.create_task(self._campaign(), name="piebot-leadership")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self._deposed()
        await self._disconnect()

    async def _campaign(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                await self._try()
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("scheduler leadership: database unreachable (%s)", type(exc).__name__)
                await self._deposed()
                await self._disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def _try(self) -> None:
        if self.is_leader:
            await self._lock.still_held()
        elif await self._lock.take():
            await self._elected()

    async def _disconnect(self) -> None:
        await self._lock.release()

    async def _elected(self) -> None:
        self.is_leader = True
        metrics.SCHEDULER_LEADER.set(1)
        log.info("this process now runs the scheduler")
        try:
            await self.on_elected()
        except Exception:
            log.exception("starting the scheduler failed")

    async def _deposed(self) -> None:
        if not self.is_leader:
            return
        self.is_leader = False
        metrics.SCHEDULER_LEADER.set(0)
        log.info("this process no longer runs the scheduler")
        try:
            await self.on_deposed()
        except Exception:
            log.exception("stopping the scheduler failed")

