"""Everything due at one moment: slots fired, windows closed, nudges and reminders sent.

`tick(app, now)` reads what is due from the database, takes it (unique rows, so a second
process or a second tick finds nothing left) and queues its messages in the outbox in the same
transaction, and only then sends: a process that dies in between leaves them to the outbox, which
sends them at the next start, once. Sending goes through a bounded number of concurrent calls, so a
fan-out to thousands of groups never queues more than a second's worth of messages ahead of a
member's button press, and the event loop stays free (database work runs in threads).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import Application

from piebot import clock
from piebot.storage import closings, reminders, schedules
from piebot.storage.outbox import Queued, fill_of, pending_id
from piebot.telegram.actions.reminders import action_reminder_message
from piebot.telegram.checkins import posts as send
from piebot.telegram.delivery import outbox as sending
from piebot.telegram.delivery.outbox import queue_message

log = logging.getLogger(__name__)

# About one second of Telegram's overall limit in flight at once: enough to keep the limiter busy,
# few enough that a handler's own reply never waits behind more than a second of fan-out.
FANOUT_CONCURRENCY = 30
# Slots are taken in chunks, so the database's write lock is never held long enough to keep a
# member's button press waiting, and posting starts before every slot is taken.
TAKE_CHUNK = 100


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


def _queue(session, message: send.Outgoing, *, fill: str | None = None) -> Queued:
    return queue_message(session, message.chat_id, message.text, reply_markup=message.reply_markup, fill=fill)


async def _queue_and_send(app: Application, work: Callable[..., list[Queued]], gate: asyncio.Semaphore | None = None,
                          ) -> list[Queued]:
    """Commit `work`, which decides what is due and queues its messages in the same transaction (so a
    crash between the two loses nothing: the outbox sends them at the next start), then send them."""
    queued, _ = await _runtime(app).commit(None, work)
    await sending.send(app, queued, gate=gate or asyncio.Semaphore(FANOUT_CONCURRENCY))
    return queued


def _tally(queued: list[Queued], report: TickReport) -> int:
    """How many went; the others wait in the outbox for a retry or were refused for good."""
    went = sum(1 for q in queued if q.sent)
    report.failed += len(queued) - went
    return went


def _queue_posts(session, posts: list[schedules.Post], now: datetime) -> list[Queued]:
    overdue = closings.overdue_by_team(session, [p.team_id for p in posts], now)
    queued = []
    for post in posts:
        posted = _queue(session, send.checkin_message(post, now, overdue.get(post.team_id, ())),
                        fill=fill_of(schedules.CHECKIN_FILL, post.checkin_id))
        schedules.keep_post(session, post.checkin_id, pending_id(posted))
        queued.append(posted)
    return queued


async def _fire_slots(app: Application, state: TickState, now: datetime, report: TickReport) -> None:
    rt = _runtime(app)
    due = await rt.read(lambda s: schedules.due_slots(s, now))
    leftovers = await rt.read(lambda s: schedules.unposted_checkins(s, state.started_at, now))
    leftovers = [p for p in leftovers if p.checkin_id not in state.reposted]
    state.reposted.update(p.checkin_id for p in leftovers)
    if not due and not leftovers:
        return
    gate = asyncio.Semaphore(FANOUT_CONCURRENCY)
    # Each chunk's posts are sent aside while the next chunk is taken.
    sends: list[asyncio.Task] = []
    taken_posts: list[Queued] = []

    async def commit_and_send(work) -> None:
        queued, _ = await rt.commit(None, work)
        taken_posts.extend(queued)
        if queued:
            sends.append(asyncio.create_task(sending.send(app, queued, gate=gate)))

    if leftovers:
        await commit_and_send(lambda s: _queue_posts(s, leftovers, now))
    for start in range(0, len(due), TAKE_CHUNK):
        chunk = due[start:start + TAKE_CHUNK]

        def take(s, chunk=chunk) -> list[Queued]:
            taken = schedules.take_slots(s, chunk, now)
            report.missed += taken.missed
            return _queue_posts(s, taken.posts, now)

        await commit_and_send(take)
    await asyncio.gather(*sends)
    report.posted += _tally(taken_posts, report)


async def _close_windows(app: Application, now: datetime, report: TickReport) -> None:
    rt = _runtime(app)
    due = await rt.read(lambda s: closings.due_closings(s, now))
    if not due:
        return
    claimed: list[closings.Closing] = []

    def claim(s) -> list[Queued]:
        # Claimed and queued together: the summary goes out even if this process dies right after.
        claimed.extend(closings.claim_closings(s, due, now))
        return [_queue(s, send.summary_message(c)) for c in claimed]

    summaries = await _queue_and_send(app, claim)
    report.closed += len(claimed)
    _tally(summaries, report)
    for closing, summary in zip(claimed, summaries, strict=True):
        if not summary.sent:
            continue  # the outbox posts it later; the trend can be asked for with /chart
        for hook in app.bot_data.get("on_checkin_closed", []):
            try:
                await hook(app, closing.checkin_id)
            except Exception:  # noqa: BLE001 - a chart failing must not stop the other teams' summaries
                log.exception("on_checkin_closed hook failed")


async def _nudge(app: Application, now: datetime, report: TickReport) -> None:
    nudges = await _queue_and_send(app, lambda s: [
        _queue(s, send.checkin_nudge_message(n, now)) for n in reminders.due_checkin_nudges(s, now)])
    report.nudged += _tally(nudges, report)


async def _remind(app: Application, now: datetime, report: TickReport) -> None:
    reviews = await _queue_and_send(app, lambda s: [
        _queue(s, send.review_reminder_message(r)) for r in reminders.due_review_reminders(s, now)])
    report.reminded += _tally(reviews, report)
    actions = await _queue_and_send(app, lambda s: [
        _queue(s, action_reminder_message(n, now)) for n in reminders.due_action_reminders(s, now)])
    report.reminded += _tally(actions, report)
