"""Opening and closing a round in people's own time, and the clock that drives it: a wake-up at each
round's deadline and an hourly pass for the day's gentle nudges. The database says what is due, so the
jobs are rebuilt from it whenever this process starts leading the scheduler."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from conversations.texts import walk as texts
from piebot import clock
from piebot.storage import walks
from piebot.storage.outbox import Queued
from piebot.telegram.delivery.outbox import queue_edit, queue_message
from piebot.telegram.rounds.walk_messages import WALK, application_of, one_button, runtime, title_of
from piebot.telegram.rounds.walk_status import post_status, refresh_status
from piebot.telegram.rounds.walk_steps import offer, show_walk
from piebot.telegram.rounds.walk_teamviews import post_team_views

log = logging.getLogger(__name__)

DEFAULT_OPEN_DAYS = 7
# Nudges go out in working hours of the team's time zone only; a reminder at 3 a.m. is not gentle.
NUDGE_HOURS = range(9, 20)
NUDGE_CHECK_EVERY = timedelta(hours=1)
NUDGE_JOB = "walk-nudges"


# ---------------------------------------------------------------- opening and closing


async def open_async_round(context_or_app, round_id: int) -> None:
    """Post the group's status message and write to everyone who can be written to."""
    app = application_of(context_or_app)
    rt = runtime(app)
    now = clock.now()
    deadline = await rt.apply(None, lambda s: walks.settle_deadline(s, round_id, now, DEFAULT_OPEN_DAYS))
    status_id = await post_status(app, round_id, now)
    people = await rt.apply(None, lambda s: walks.record_opening(s, round_id, status_id, now))
    schedule_round(app, round_id, deadline)
    for user_id, busy in people:
        try:
            if busy:
                await offer(app, user_id, round_id)
            else:
                await show_walk(app, user_id, round_id)
        except Forbidden:
            await rt.apply(None, lambda s, user_id=user_id: walks.not_connected(s, round_id, user_id))
        except TelegramError as exc:
            log.info("could not start a walk in private: %s", type(exc).__name__)
    await refresh_status(app, round_id)


async def close_async_round(app, round_id: int) -> bool:
    """Close an open async round, post the summary, then ask for the team views, most disagreement
    first. Returns False when it was not open (closing twice posts nothing twice)."""
    from piebot.telegram.rounds.summary import queue_round_summary

    app = application_of(app)

    def close(session) -> bool:
        waiting = walks.close_walks(session, round_id)
        if waiting is None:
            return False
        # Nobody's private chat waits on this round any more: their last question loses its buttons. The
        # summary is queued with the closing, so a crash cannot close the round without it.
        for user_id, prompt_id in waiting:
            queue_edit(session, user_id, prompt_id, None)
        queue_round_summary(session, round_id)
        return True

    async def show_closed(closed: bool) -> None:
        if closed:  # the group's status message says so before the summary appears
            await refresh_status(app, round_id)

    if not await runtime(app).apply(None, close, first=show_closed):
        return False
    unschedule_round(app, round_id)
    await post_team_views(app, round_id)
    return True


# ---------------------------------------------------------------- the clock: deadlines and nudges


async def send_due_nudges(app: Application) -> int:
    rt = runtime(app)
    now = clock.now()

    def record_and_queue(session) -> list[tuple[walks.NudgeDue, Queued]]:
        # Recorded and queued together: a nudge decided is a nudge sent, even across a crash.
        queued = []
        for nudge in walks.record_due_nudges(session, now, NUDGE_HOURS):
            text = texts.walk_nudge(
                title_of(nudge.framework, nudge.round), nudge.elements_left, nudge.closes_at,
                ZoneInfo(nudge.team.timezone), now,
            )
            queued.append((nudge, queue_message(
                session, nudge.user_id, text, reply_markup=one_button(texts.CARRY_ON, WALK, nudge.round.id, "go"))))
        return queued

    due = await rt.apply(None, record_and_queue)
    for nudge, sent in due:
        if sent.refused:  # they blocked the bot
            await rt.apply(None, lambda s, n=nudge: walks.not_connected(s, n.round.id, n.user_id))
    return len(due)


async def run_due_work(app) -> None:
    """Everything the clock makes due: close rounds past their deadline, then send the day's nudges.
    Safe to run any time and as often as wanted; jobs call it, and so do tests."""
    app = application_of(app)
    now = clock.now()
    for round_id in await runtime(app).read(lambda s: walks.overdue_rounds(s, now)):
        await close_async_round(app, round_id)
    await send_due_nudges(app)


async def _due_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_due_work(context.application)


def _deadline_job_id(round_id: int) -> str:
    return f"walk-deadline-{round_id}"


def schedule_round(app: Application, round_id: int, deadline: datetime | None) -> None:
    """A wake-up at the round's deadline. It waits as long as piebot's clock says is left, so tests that
    move the clock never meet a real job firing in their past; the work itself re-reads the database."""
    jobs = app.job_queue
    if jobs is None or deadline is None:
        return
    left = deadline - clock.now()
    if left.total_seconds() <= 0:
        return  # already due: run_due_work closes it
    job_id = _deadline_job_id(round_id)
    jobs.run_once(_due_job, when=left, name=job_id, job_kwargs={"id": job_id, "replace_existing": True})


def unschedule_round(app: Application, round_id: int) -> None:
    jobs = app.job_queue
    if jobs is None:
        return
    for job in jobs.get_jobs_by_name(_deadline_job_id(round_id)):
        job.schedule_removal()


async def on_elected(app: Application) -> None:
    """The database is the source of truth: rebuild a deadline job for every open async round, one
    hourly nudge pass for all of them (nudge_due and the Nudge rows keep it to one a day per person),
    and catch up at once on whatever fell due while the bot was down."""
    for round_id, deadline in await runtime(app).read(walks.open_deadlines):
        schedule_round(app, round_id, deadline)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _due_job, interval=NUDGE_CHECK_EVERY, first=NUDGE_CHECK_EVERY, name=NUDGE_JOB,
            job_kwargs={"id": NUDGE_JOB, "replace_existing": True},
        )
    await run_due_work(app)


async def on_deposed(app: Application) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(NUDGE_JOB):
            job.schedule_removal()
