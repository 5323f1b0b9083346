"""Everything due at one moment: slots fired, windows closed, nudges and reminders sent.

`tick(app, now)` reads what is due from the database, takes it (unique rows, so a second
process or a second tick finds nothing left), and only then sends. Sending goes through a
bounded number of concurrent calls, so a fan-out to thousands of groups never queues more than a
second's worth of messages ahead of a member's button press, and the event loop stays free
(database work runs in threads).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from telegram.error import TelegramError
from telegram.ext import Application

from piebot import clock
from piebot.storage import closings, reminders, schedules
from piebot.telegram.actions.reminders import send_action_reminder
from piebot.telegram.checkins import posts as send

log = logging.getLogger(__name__)

T = TypeVar("T")

# About one second of Telegram's overall limit in flight at once: enough to keep the limiter busy,
# few enough that a handler's own reply never waits behind more than a second of fan-out.
FANOUT_CONCURRENCY = 30
# Slots are taken in chunks, so the database's write lock is never held long enough to keep a
# member's button press waiting, and posting starts before every slot is taken.
TAKE_CHUNK = 100
RECORD_CHUNK = 100


@dataclass
class TickState:
    """This process's part: the lock that keeps ticks apart and what it has already re-posted."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Check-ins taken before this moment but never posted were left by a run that stopped mid-way.
    started_at: datetime = field(default_factory=lambda: clock.now())
    reposted: set[int] = field(default_factory=set)
    running: asyncio.Task | None = None
    again: bool = False


@dataclass
class TickReport:
    posted: int = 0
    missed: int = 0
    closed: int = 0
    nudged: int = 0
    reminded: int = 0
    failed: int = 0


def state_of(app: Application) -> TickState:
    state = app.bot_data.get("scheduling_state")
    if state is None:
        state = app.bot_data["scheduling_state"] = TickState()
    return state


async def tick(app: Application, now: datetime | None = None) -> TickReport:
    """Do everything due at `now` (the clock's now by default). Safe to call any number of times."""
    now = now or clock.now()
    state = state_of(app)
    async with state.lock:
        report = TickReport()
        await _fire_slots(app, state, now, report)
        await _close_windows(app, now, report)
        await _nudge(app, now, report)
        await _remind(app, now, report)
    if report.posted or report.closed or report.missed:
        log.info("tick: %d posted, %d missed, %d closed, %d nudged, %d reminders, %d failed",
                 report.posted, report.missed, report.closed, report.nudged, report.reminded, report.failed)
    return report


def _runtime(app: Application):
    return app.bot_data["runtime"]


async def _write(app: Application, work: Callable[..., T]) -> T:
    return await _runtime(app).apply(None, work)


async def deliver(items: Iterable[T], send_one: Callable[[T], Awaitable[object]], what: str,
                  report: TickReport, concurrency: int = FANOUT_CONCURRENCY) -> list[tuple[T, object | None]]:
    """Send to many chats at once, `concurrency` at a time; the rate limiter paces the calls."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> tuple[T, object | None]:
        async with gate:
            try:
                return item, await send_one(item)
            except TelegramError as exc:
                # The error's type only: its message may quote the text that was sent.
                log.warning("could not send a %s: %s", what, type(exc).__name__)
                report.failed += 1
                return item, None

    return list(await asyncio.gather(*(one(item) for item in items)))


async def _fire_slots(app: Application, state: TickState, now: datetime, report: TickReport) -> None:
    rt = _runtime(app)
    due = await rt.read(lambda s: schedules.due_slots(s, now))
    leftovers = await rt.read(lambda s: schedules.unposted_checkins(s, state.started_at, now))
    leftovers = [p for p in leftovers if p.checkin_id not in state.reposted]
    state.reposted.update(p.checkin_id for p in leftovers)
    if not due and not leftovers:
        return
    posted: list[tuple[int, int]] = []
    overdue: dict[int, list] = {}

    async def post(p: schedules.Post) -> object:
        message = await send.post_checkin(app.bot, p, now, overdue.get(p.team_id, ()))
        posted.append((p.checkin_id, message.message_id))
        report.posted += 1
        if len(posted) >= RECORD_CHUNK:
            batch = posted[:]
            posted.clear()
            await _write(app, lambda s: schedules.record_posted(s, batch))
        return message

    overdue.update(await rt.read(lambda s: closings.overdue_by_team(s, [p.team_id for p in leftovers], now)))
    sending = [asyncio.create_task(deliver(leftovers, post, "check-in", report))]
    for start in range(0, len(due), TAKE_CHUNK):
        chunk = due[start:start + TAKE_CHUNK]
        taken = await _write(app, lambda s, chunk=chunk: schedules.take_slots(s, chunk, now))
        report.missed += taken.missed
        teams = [p.team_id for p in taken.posts]
        overdue.update(await rt.read(lambda s, teams=teams: closings.overdue_by_team(s, teams, now)))
        if taken.posts:
            sending.append(asyncio.create_task(deliver(taken.posts, post, "check-in", report)))
    await asyncio.gather(*sending)
    if posted:
        await _write(app, lambda s: schedules.record_posted(s, posted))


async def _close_windows(app: Application, now: datetime, report: TickReport) -> None:
    rt = _runtime(app)
    due = await rt.read(lambda s: closings.due_closings(s, now))
    if not due:
        return
    claimed = await _write(app, lambda s: closings.claim_closings(s, due, now))
    results = await deliver(claimed, lambda c: send.post_summary(app.bot, c), "check-in summary", report)
    unsent = [c.checkin_id for c, message in results if message is None]
    if unsent:
        # Not posted: open it for closing again at the next tick rather than lose the summary.
        await _write(app, lambda s: [closings.unclaim_closing(s, i) for i in unsent])
    for closing, message in results:
        if message is None:
            continue
        report.closed += 1
        for hook in app.bot_data.get("on_checkin_closed", []):
            try:
                await hook(app, closing.checkin_id)
            except Exception:  # noqa: BLE001 - a chart failing must not stop the other teams' summaries
                log.exception("on_checkin_closed hook failed")


async def _nudge(app: Application, now: datetime, report: TickReport) -> None:
    nudges = await _write(app, lambda s: reminders.due_checkin_nudges(s, now))
    results = await deliver(nudges, lambda n: send.send_checkin_nudge(app.bot, n, now), "nudge", report)
    report.nudged += sum(1 for _, message in results if message is not None)


async def _remind(app: Application, now: datetime, report: TickReport) -> None:
    reviews = await _write(app, lambda s: reminders.due_review_reminders(s, now))
    results = await deliver(reviews, lambda r: send.post_review_reminder(app.bot, r), "review reminder", report)
    report.reminded += sum(1 for _, message in results if message is not None)
    actions = await _write(app, lambda s: reminders.due_action_reminders(s, now))
    results = await deliver(actions, lambda n: send_action_reminder(app.bot, n, now), "action reminder", report)
    report.reminded += sum(1 for _, message in results if message is not None)
