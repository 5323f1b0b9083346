"""The in-memory jobs that decide when to tick, rebuilt from the schedule rows.

Our own APScheduler 3 AsyncIOScheduler rather than PTB's job queue: PTB starts its scheduler with
the Application in every process, while check-ins must run in exactly one. `start` and `stop` are
the "on_elected" / "on_deposed" hooks of piebot.scheduling.leader (pg_try_advisory_lock on
PostgreSQL; on SQLite the one process simply leads).

Two jobs, both only wake-ups — the rows are the truth and `tick` re-reads them:
- "sweep" every minute: closes windows, sends nudges and reminders, and catches anything missed
  (its first run at start is the catch-up after a restart);
- "next-slot" at the earliest coming slot of any team, so a check-in goes out on the minute. One
  job for all teams, not one per team, so 2,000 teams sharing a slot are one wake-up to rebuild.
Job times follow `piebot.clock`: a job waits as long as the clock says is left, so tests that move
the clock never meet a real job firing in their past.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.ext import Application

from piebot import clock
from piebot.scheduling.tick import state_of, tick
from piebot.storage import schedules

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60
# A wake-up that comes late (a suspended laptop, a busy loop) still runs: tick decides what is due.
MISFIRE_GRACE_SECONDS = 6 * 3600
SCHEDULER = "scheduler"


async def _wake(app: Application) -> None:
    # A coroutine, so APScheduler runs it on the event loop rather than in a worker thread.
    request_tick(app)


def running_scheduler(app: Application) -> AsyncIOScheduler | None:
    scheduler = app.bot_data.get(SCHEDULER)
    return scheduler if scheduler is not None and scheduler.running else None


async def start(app: Application) -> None:
    """Run check-ins from this process (idempotent). Catches up at once on what fell due while down."""
    if running_scheduler(app) is not None:
        return
    state = state_of(app)
    state.started_at = clock.now()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        _wake, "interval", seconds=SWEEP_SECONDS, args=[app], id="sweep", replace_existing=True,
        next_run_time=datetime.now(UTC), coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    scheduler.start()
    app.bot_data[SCHEDULER] = scheduler


async def stop(app: Application) -> None:
    """Stop running check-ins here. A fan-out cut short is finished by whoever runs them next."""
    scheduler = app.bot_data.pop(SCHEDULER, None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
    state = state_of(app)
    task, state.running = state.running, None
    if task is not None and not task.done():
        task.cancel()
        try:
            await task
        except BaseException:  # noqa: BLE001 - cancelled on purpose
            pass


def waiting_for_a_slot(app: Application) -> bool:
    scheduler = running_scheduler(app)
    return scheduler is not None and scheduler.get_job("next-slot") is not None


async def wake_for_next_slot(app: Application) -> datetime | None:
    """(Re)build the "next-slot" job from the rows; returns the slot it waits for."""
    scheduler = running_scheduler(app)
    if scheduler is None:
        return None
    now = clock.now()
    slot = await app.bot_data["runtime"].read(lambda s: schedules.next_slot_after(s, now))
    if slot is None:
        if scheduler.get_job("next-slot"):
            scheduler.remove_job("next-slot")
        return None
    scheduler.add_job(
        _wake, "date", run_date=datetime.now(UTC) + (slot - now), args=[app], id="next-slot",
        replace_existing=True, misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    return slot


async def reschedule(app: Application) -> None:
    """A schedule changed: wake up for the (possibly new) earliest slot."""
    await wake_for_next_slot(app)


def request_tick(app: Application) -> None:
    """From a job: tick now, or once more right after the tick already running (never two at once)."""
    state = state_of(app)
    if state.running is not None and not state.running.done():
        state.again = True
        return
    state.running = asyncio.create_task(_tick_until_settled(app), name="piebot-tick")


async def _tick_until_settled(app: Application) -> None:
    state = state_of(app)
    while True:
        state.again = False
        try:
            report = await tick(app, clock.now())
            # Scanning every schedule for the next slot is only needed when one was just used up.
            if report.posted or report.missed or not waiting_for_a_slot(app):
                await wake_for_next_slot(app)
        except Exception:  # noqa: BLE001 - a failed tick must not stop the next one
            log.exception("scheduled tick failed")
        if not state.again:
            return
