"""What every handler needs, built once by the composition root and kept in bot_data.

`apply` commits a handler's effect together with its update's id; messages the work queued in the
outbox (piebot.storage.outbox) are committed with it and sent right after, by `after_commit` (set by
piebot.telegram.delivery.outbox at start), before `apply` returns. Updates applied while a commit is
under way wait for it and then go in together, in one transaction and one hop to a worker thread
(group commit, piebot.storage.together): a busy bot pays a commit per group, not per update. Its `first`
hook runs between the commit and the sends (a press's answer, which must not wait behind them).
`commit` and `send` are the two halves, for a caller that sends aside (the scheduler's fan-out).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session
from telegram import Update
from telegram.ext import ContextTypes

from piebot.settings import Settings
from piebot.storage import outbox
from piebot.storage.db import Database, session_scope
from piebot.storage.together import Unit, apply_together

T = TypeVar("T")

# At most this many updates in one group commit; PostgreSQL commits this many groups side by side.
GROUP_LIMIT = 50
GROUPS_AT_ONCE_POSTGRES = 4


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bot_username: str = ""
    # Short-lived cache of chat admin ids: (chat_id) -> (fetched_at, ids).
    admin_cache: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)
    # Sends what a committed transaction queued in the outbox.
    after_commit: Callable[[list[outbox.Queued]], Awaitable[None]] | None = None
    # Group commit: updates waiting for their turn, and how many groups are being committed now.
    _waiting: list[tuple[Unit, asyncio.Future]] = field(default_factory=list)
    _committing: int = 0

    async def apply(self, update: Update | None, work: Callable[[Session], T], *,
                    first: Callable[[T], Awaitable[object]] | None = None) -> T:
        """Commit `work` together with the update's id, off the event loop; then send what it queued.

        `first(result)` is awaited after the commit and before the queued messages go: a press's answer,
        which should not wait behind them."""
        result, queued = await self.commit(update, work)
        if first is not None:
            await first(result)
        await self.send(queued)
        return result

    async def commit(self, update: Update | None, work: Callable[[Session], T]) -> tuple[T, list[outbox.Queued]]:
        """Commit `work` as `apply` does, and hand back what it queued instead of sending it: for a
        caller that sends it aside (`send`), as the scheduler's fan-out does."""
        update_id = update.update_id if update is not None else None
        chat = update.effective_chat if update is not None else None
        unit = Unit(update_id, chat.id if chat else None, work)
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((unit, done))
        if self._committing < self._groups_at_once():
            self._committing += 1
            asyncio.get_running_loop().create_task(self._commit_groups(), name="piebot-group-commit")
        await asyncio.shield(done)
        if unit.error is not None:
            raise unit.error
        return unit.result, unit.queued

    def _groups_at_once(self) -> int:
        # SQLite has one writer at a time: one group, as large as it comes. PostgreSQL overlaps a few,
        # each waiting on its own round trips.
        return GROUPS_AT_ONCE_POSTGRES if self.db.is_postgres else 1

    async def _commit_groups(self) -> None:
        """Commit what is waiting, a group at a time, until nothing waits."""
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:GROUP_LIMIT], self._waiting[GROUP_LIMIT:]
                try:
                    await asyncio.to_thread(apply_together, self.db, [unit for unit, _ in group])
                except BaseException as exc:  # noqa: BLE001 - never leave an update waiting for ever
                    for unit, _ in group:
                        if unit.error is None:
                            unit.error = exc
                    if not isinstance(exc, Exception):
                        raise
                finally:
                    for _, done in group:
                        if not done.done():
                            done.set_result(None)
        except BaseException:
            # Cancelled (the bot stopping): what still waits is not applied, and its updates come again.
            left, self._waiting = self._waiting, []
            for unit, done in left:
                unit.error = asyncio.CancelledError()
                if not done.done():
                    done.set_result(None)
            raise
        finally:
            self._committing -= 1

    async def send(self, queued: list[outbox.Queued]) -> None:
        """Send what a committed transaction queued (never raises; what could not go waits for a retry)."""
        if queued and self.after_commit is not None:
            await self.after_commit(queued)

    async def read(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with session_scope(self.db) as session:
                return work(session)

        return await asyncio.to_thread(run)


def runtime_of(context: ContextTypes.DEFAULT_TYPE | Any) -> Runtime:
    return context.application.bot_data["runtime"]
