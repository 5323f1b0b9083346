"""Telegram's message budgets as sliding windows, and the per-chat queue that waits for them.

A `Window` allows `count` messages in any `seconds`. It never lets more through in any window of that
length, as a leaky bucket does after a burst: a message counts from the moment it leaves until it is
answered, and then from the moment it was answered, so whatever moment Telegram saw it, our count of
that window is at least Telegram's.

A `Lane` is one chat's queue: calls wait there in priority order (then first come, first served) until
the chat's window, any 429 hold on the chat, and the overall window all allow them. A call that has
waited long rises a priority every AGING_SECONDS, so a steady stream of card edits cannot keep a
prompt or a chart waiting for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(eq=False)
class Slot:
    """One message's place in the windows: in flight until `at` is set (when Telegram answered)."""

    at: float | None = None


@dataclass
class Window:
    count: int
    seconds: float
    slots: list[Slot] = field(default_factory=list)

    def wait(self, now: float, need: int = 1) -> float:
        """Seconds until `need` more messages fit (an estimate while some are in flight), 0 if now.

        An album with more items than the window holds goes once the window is empty, as Telegram takes
        it (each item still counts, so what follows waits until they have left the window)."""
        need = min(need, self.count)
        self.slots = [s for s in self.slots if s.at is None or s.at > now - self.seconds]
        expire = len(self.slots) + need - self.count
        if expire <= 0:
            return 0.0
        # A message still in flight leaves the window no sooner than `seconds` from now.
        ends = sorted(self.seconds if s.at is None else s.at + self.seconds - now for s in self.slots)
        return ends[expire - 1] if expire <= len(ends) else self.seconds

    def used(self, now: float) -> int:
        self.wait(now)
        return len(self.slots)

    def idle(self, now: float) -> bool:
        return self.used(now) == 0


class Hold:
    """A time before which nothing may go (Telegram said "retry after"), and a way to wait for change."""

    def __init__(self) -> None:
        self.until = 0.0
        self.changed = asyncio.Event()

    def hold(self, until: float) -> None:
        self.until = max(self.until, until)

    def poke(self) -> None:
        self.changed.set()

    async def nap(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early when poked (a slot freed, a new call queued)."""
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), max(seconds, 0.001))


AGING_SECONDS = 10.0
_order = itertools.count()


@dataclass
class Waiter:
    priority: int
    order: int
    need: int
    since: float
    granted: asyncio.Future

    def rank(self, now: float, aging: float) -> tuple[float, int]:
        return (self.priority - (now - self.since) // aging, self.order)


class Lane(Hold):
    """One chat's calls, waiting in priority order for the chat's budget and the overall one."""

    def __init__(self, window: Window, aging: float = AGING_SECONDS) -> None:
        super().__init__()
        self.window = window
        self.aging = aging
        self.queue: list[Waiter] = []
        self.pump: asyncio.Task | None = None

    def enqueue(self, priority: int, need: int, now: float) -> asyncio.Future:
        granted = asyncio.get_running_loop().create_future()
        self.queue.append(Waiter(priority, next(_order), need, now, granted))
        self.poke()
        return granted

    def head(self, now: float) -> Waiter | None:
        """The waiter to go next (a few wait at most, so a scan is cheap)."""
        self.queue = [w for w in self.queue if not w.granted.done()]  # done: its caller gave up
        return min(self.queue, key=lambda w: w.rank(now, self.aging)) if self.queue else None

    def idle(self, now: float) -> bool:
        return not self.queue and (self.pump is None or self.pump.done()) and self.until <= now \
            and self.window.idle(now)


class Gate(Hold):
    """The overall budget, handed out first come, first served to the lanes whose chat has room.

    One queue and one pump for the whole bot, so thousands of chats waiting for the overall budget
    (a fan-out of check-ins) cost one timer, not one each.
    """

    def __init__(self, window: Window, clock: Callable[[], float]) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self.queue: deque[tuple[int, asyncio.Future]] = deque()
        self.pump: asyncio.Task | None = None

    async def take(self, need: int) -> list[Slot]:
        granted = asyncio.get_running_loop().create_future()
        self.queue.append((need, granted))
        if self.pump is None or self.pump.done():
            self.pump = asyncio.get_running_loop().create_task(self._run(), name="piebot-rate-overall")
        else:
            self.poke()
        return await granted

    async def _run(self) -> None:
        while self.queue:
            need, granted = self.queue[0]
            if granted.done():  # its lane gave up
                self.queue.popleft()
                continue
            now = self.clock()
            wait = max(self.until - now, self.window.wait(now, need))
            if wait > 0:
                await self.nap(wait)
                continue
            self.queue.popleft()
            slots = [Slot() for _ in range(need)]
            self.window.slots.extend(slots)
            granted.set_result(slots)

    def cancel(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        for _, granted in self.queue:
            granted.cancel()


async def run_lane(lane: Lane, gate: Gate, clock: Callable[[], float]) -> None:
    """Grant the lane's waiters their slots, one at a time, best first, as the chat's budget and then
    the overall one allow."""
    while (waiter := lane.head(clock())) is not None:
        now = clock()
        wait = max(lane.until - now, lane.window.wait(now, waiter.need))
        if wait > 0:
            await lane.nap(wait)
            continue
        slots = await gate.take(waiter.need)
        chosen = waiter if not waiter.granted.done() else lane.head(clock())
        if chosen is None or chosen.need != waiter.need or lane.until > clock():
            # Its caller gave up, or Telegram held the chat meanwhile: the overall slots go unused.
            for slot in slots:
                slot.at = clock()
            continue
        lane.queue.remove(chosen)
        lane.window.slots.extend(slots)
        chosen.granted.set_result(slots)
