"""Telegram's flood limits as sliding windows, with an honest ``retry_after``."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """How many messages fit in how many seconds.

    Telegram documents "about one message per second" in a private chat but lets short bursts
    through; three in three seconds keeps that average without punishing a bot that answers /start
    with two messages in a row.
    """

    overall: tuple[int, float] = (30, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    per_private_chat: tuple[int, float] = (3, 3.0)


class FloodControl:
    def __init__(self, clock: Callable[[], float], limits: Limits | None = None) -> None:
        self._clock = clock
        self.limits = limits or Limits()
        self._overall: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    def retry_after(self, chat_id: int, *, is_group: bool) -> int | None:
        """Seconds until one more message to ``chat_id`` would be allowed, or None if it is now."""
        now = self._clock()
        waits = [self._wait(self._overall, *self.limits.overall, now)]
        window = self._per_chat.get(chat_id)
        if window is not None:
            limit = self.limits.per_group if is_group else self.limits.per_private_chat
            waits.append(self._wait(window, *limit, now))
        longest = max(waits)
        if longest <= 0:
            return None
        # Telegram rounds up: waiting exactly retry_after seconds must be enough.
        return max(1, math.ceil(longest))

    def record(self, chat_id: int) -> None:
        now = self._clock()
        self._overall.append(now)
        self._per_chat.setdefault(chat_id, deque()).append(now)

    @staticmethod
    def _wait(window: deque[float], count: int, seconds: float, now: float) -> float:
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) < count:
            return 0.0
        return window[len(window) - count] + seconds - now
