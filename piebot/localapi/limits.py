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
    with two messages in a row. Each item of an album counts; an album with more items than a window
    holds (up to ten) is taken when the window is empty. piebot's rate limiter keeps the same three rules
    (piebot.telegram.delivery.ratelimit), so against this server it never draws a 429.
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

    def retry_after(self, chat_id: int, *, is_group: bool, count: int = 1) -> int | None:
        """Seconds until ``count`` more messages to ``chat_id`` would be allowed, or None if they are now."""
        now = self._clock()
        waits = [self._wait(self._overall, *self.limits.overall, now, count)]
        window = self._per_chat.get(chat_id)
        if window is not None:
            limit = self.limits.per_group if is_group else self.limits.per_private_chat
            waits.append(self._wait(window, *limit, now, count))
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
    def _wait(window: deque[float], limit: int, seconds: float, now: float, count: int = 1) -> float:
        # An album bigger than the whole window (ten documents to a private chat) is taken once the
        # window is empty; every item is recorded, so what follows waits for them to leave it.
        count = min(count, limit)
        while window and window[0] <= now - seconds:
            window.popleft()
        expire = len(window) + count - limit  # how many of the oldest must leave the window first
        if expire <= 0:
            return 0.0
        if expire > len(window):
            return seconds
        return window[expire - 1] + seconds - now
