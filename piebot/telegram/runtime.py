"""What every handler needs, built once by the composition root and kept in bot_data.

`apply` commits a handler's effect together with its update's id; messages the work queued in the
outbox (piebot.storage.outbox) are committed with it and sent right after, by `after_commit` (set by
piebot.telegram.delivery.outbox at start), before `apply` returns. Its `first` hook runs between the
commit and the sends (a press's answer, which must not wait behind them). `commit` and `send` are the
two halves, for a caller that sends aside (the scheduler's fan-out).
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
from piebot.storage.db import Database, apply_once, session_scope

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    bot_username: str = ""
    # Short-lived cache of chat admin ids: (chat_id) -> (fetched_at, ids).
    admin_cache: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)
    # Sends what a committed transaction queued in the outbox.
    after_commit: Callable[[list[outbox.Queued]], Awaitable[None]] | None = None

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
        queued: list[outbox.Queued] = []
        result = await asyncio.to_thread(apply_once, self.db, update_id, chat.id if chat else None, work,
                                         lambda session: queued.extend(outbox.queued_in(session)))
        return result, queued

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
