"""Telegram misbehaving on purpose, for tests: a call that fails or is slow once (or whose answer comes
back late), a method that fails or hangs for a while, deliveries held back while presses pile up, raw
updates PTB may not understand, and the server's clock moved on so that what waited grows old.

Outages are timed by the real clock (they are how long the test waits); callback-query expiry and
flood limits follow the server's own clock, which ``move_clock`` moves.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from piebot.localapi.model import ApiError


@dataclass
class Outage:
    until: float  # time.monotonic()
    error: ApiError | None  # the answer while it lasts, or None to hold each call for `hold` seconds
    hold: float = 0.0
    chat_id: int | None = None  # only calls for this chat, or every call


def _for_chat(chat_id: int | None, params: dict[str, Any]) -> bool:
    return chat_id is None or params.get("chat_id") == chat_id


class FaultInjection:
    """Mixed into LocalBotApi: the knobs a test turns to make the server behave badly."""

    # ------------------------------------------------------------------------------ one call at a time

    def fail_next(
        self,
        method: str,
        *,
        code: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``, if given) with this error
        instead of running them."""
        queue = self._faults.setdefault(method.lower(), deque())
        error = _error(code, description, retry_after, migrate_to_chat_id)
        for _ in range(times):
            queue.append((chat_id, _again(error)))

    def delay_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next calls before running them.

        The call still takes effect after the delay, as on Telegram: a client that timed out
        cannot know whether its message was sent.
        """
        self._delays.setdefault(method.lower(), deque()).extend([seconds] * times)

    def hold_answer_next(self, method: str, seconds: float, *, chat_id: int | None = None) -> None:
        """Carry out the next call of ``method`` (for ``chat_id``, if given) at once, but hold its answer
        back for ``seconds``: the message is there for people to see and reply to while the bot still
        waits to learn its id (a slow network on the way back)."""
        self._held_answers.setdefault(method.lower(), deque()).append((chat_id, seconds))

    async def _answer_late(self, method: str, params: dict[str, Any]) -> None:
        """Called after a method ran: holds its answer back as the test asked."""
        held = self._held_answers.get(method)
        if held and _for_chat(held[0][0], params):
            await asyncio.sleep(held.popleft()[1])

    # ------------------------------------------------------------------------------ for a while

    def fail_for(
        self, method: str, seconds: float, *, code: int = 500, description: str = "Internal Server Error",
        retry_after: int | None = None, chat_id: int | None = None,
    ) -> None:
        """Answer every call of ``method`` (for ``chat_id``, if given) with this error for the next
        ``seconds`` (a Telegram outage)."""
        self._outages[method.lower()] = Outage(time.monotonic() + seconds,
                                               _error(code, description, retry_after, None), chat_id=chat_id)

    def hang_for(self, method: str, seconds: float, *, hold: float = 30.0) -> None:
        """For the next ``seconds``, hold each call of ``method`` for ``hold`` seconds before running it,
        so the client times out (a getChatMember that never comes back, say)."""
        self._outages[method.lower()] = Outage(time.monotonic() + seconds, None, hold)

    def end_outages(self) -> None:
        self._outages.clear()

    async def _misbehave(self, method: str, params: dict[str, Any]) -> None:
        """Called before a method runs: waits or raises as the test asked."""
        outage = self._outages.get(method)
        if outage is not None:
            if time.monotonic() >= outage.until:
                del self._outages[method]
            elif not _for_chat(outage.chat_id, params):
                pass
            elif outage.error is not None:
                raise _again(outage.error)
            else:
                await asyncio.sleep(outage.hold)
        delays = self._delays.get(method)
        if delays:
            await asyncio.sleep(delays.popleft())
        faults = self._faults.get(method)
        if faults and _for_chat(faults[0][0], params):
            raise faults.popleft()[1]

    # ------------------------------------------------------------------------------ updates

    def pause_updates(self) -> None:
        """Hold every update back, as if the bot were down: getUpdates finds nothing, no webhook
        delivery is made; presses and messages pile up with their times."""
        self._paused = True

    def resume_updates(self) -> None:
        self._paused = False
        self._notify()

    def queue_raw_update(self, body: dict[str, Any]) -> int:
        """Queue ``body`` as an update exactly as given (an ``update_id`` is added); returns the id.

        Unknown kinds and fields go through as they are, whatever allowed_updates says: what a newer
        Bot API, or another server, might send.
        """
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **copy.deepcopy(body)})
        self._notify()
        return update_id

    def redeliver(self, update: dict[str, Any]) -> None:
        """Queue an update again under its own id, as Telegram does when its confirmation was lost."""
        self._updates.append(copy.deepcopy(update))
        self._updates.sort(key=lambda u: u["update_id"])
        self._notify()

    # ------------------------------------------------------------------------------ time

    def move_clock(self, seconds: float) -> None:
        """Move the server's clock on: presses grow too old to answer, flood windows empty, dates move."""
        self._clock_shift += seconds


def _error(code: int, description: str, retry_after: int | None, migrate_to_chat_id: int | None) -> ApiError:
    if retry_after is not None and code == 429 and description == "Internal Server Error":
        description = f"Too Many Requests: retry after {retry_after}"
    return ApiError(code, description, retry_after=retry_after, migrate_to_chat_id=migrate_to_chat_id)


def _again(error: ApiError) -> ApiError:
    # A fresh exception each time: one raised twice would carry the first traceback along.
    return ApiError(error.code, error.description, retry_after=error.retry_after,
                    migrate_to_chat_id=error.migrate_to_chat_id)
