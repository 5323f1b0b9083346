"""The tasks a running bot starts, known by the bot, so that a stop can wait for them a little and then
cancel them: a card refresh waiting its turn, charts being posted after a round, a scheduled post.

Features start such tasks with plain `asyncio.create_task`, from handlers, jobs and hooks alike. Rather
than have each register its tasks, a bot runs in a context of its own (`contextvars`): every task
created inside it, however deep, inherits the context, and a task factory files it under that bot.
Tasks of anything else in the process (a test's local Bot API server, another bot) are left alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

_OWNER: contextvars.ContextVar[TaskSet | None] = contextvars.ContextVar("piebot_task_owner", default=None)
_INSTALLED = "_piebot_task_factory"


class TaskSet:
    """The tasks started inside one bot's context (see `run_inside`)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()
        self.context = contextvars.copy_context()
        self.context.run(_OWNER.set, self)

    def adopt(self, task: asyncio.Task) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run_inside(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` in the bot's context: every task it starts, and theirs, belong to this set."""
        _install_factory(asyncio.get_running_loop())
        return await asyncio.get_running_loop().create_task(coro, context=self.context)

    def start(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        _install_factory(asyncio.get_running_loop())
        return asyncio.get_running_loop().create_task(coro, name=name, context=self.context)

    def running(self, *, besides: set[asyncio.Task] = frozenset()) -> set[asyncio.Task]:
        current = asyncio.current_task()
        return {t for t in self.tasks if not t.done() and t is not current and t not in besides}

    async def settle(self, timeout: float, *, besides: set[asyncio.Task] = frozenset()) -> int:
        """Wait up to `timeout` for the running tasks, then cancel those left; how many were cancelled."""
        running = self.running(besides=besides)
        if running and timeout > 0:
            await asyncio.wait(running, timeout=timeout)
        left = self.running(besides=besides)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=0.5)
        return len(left)


def _install_factory(loop: asyncio.AbstractEventLoop) -> None:
    if getattr(loop, _INSTALLED, False):
        return
    previous = loop.get_task_factory()

    def factory(loop, coro, **kwargs):
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        context = kwargs.get("context")
        owner = context.get(_OWNER) if context is not None else _OWNER.get()
        if owner is not None:
            owner.adopt(task)
        return task

    loop.set_task_factory(factory)
    setattr(loop, _INSTALLED, True)
