"""Scheduled posts go through the outbox: a check-in's window claimed closed by a process that is killed
before its summary is posted still gets its summary out, once, after the restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from piebot.storage.db import Database, session_scope
from piebot.storage.models import CheckIn, OutboxMessage, Schedule, Team
from tests.checkin_helpers import summaries
from tests.test_crash import BotProcess, bot_env


def seed_closing_checkin(api, db: Database):
    """A team whose check-in window ran out an hour ago, its summary not yet posted; no quiet hours, so
    it closes whenever the test runs."""
    group = api.create_group("Ash House")
    group.bot_status = "member"
    now = datetime.now(UTC)
    with session_scope(db) as s:
        team = Team(chat_id=group.id, chat_title=group.title, name=group.title, set_up=True)
        s.add(team)
        s.flush()
        schedule = Schedule(team_id=team.id, quiet_start="00:00", quiet_end="00:00", active=False)
        s.add(schedule)
        s.flush()
        s.add(CheckIn(team_id=team.id, schedule_id=schedule.id, opened_at=now - timedelta(hours=25),
                      closes_at=now - timedelta(hours=1), message_id=1))
    return group


def closed_and_queued(db: Database) -> bool:
    with db.session() as s:
        closed = s.exec(select(CheckIn).where(CheckIn.closed_at.is_not(None))).all()
        queued = s.exec(select(func.count()).select_from(OutboxMessage)).one()
        return len(closed) == 1 and queued == 1


async def test_a_summary_claimed_by_a_killed_process_is_posted_after_restart_once(api, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'scheduled.db'}"
    db = Database(database_url)
    db.upgrade()
    group = seed_closing_checkin(api, db)
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log")
    # The group takes nothing for now: the claimed summary can only wait in the outbox.
    api.fail_for("sendMessage", 120, code=502, description="Bad Gateway", chat_id=group.id)
    try:
        await bot.start()  # leading the scheduler, it catches up at once: the window is closed
        await api.wait_for(lambda: closed_and_queued(db), timeout=30)
        await bot.kill()
        assert summaries(api, group) == [], bot.log()
        api.end_outages()
        await bot.start()
        await api.wait_for(lambda: summaries(api, group), timeout=30)
        await bot.stop()
        await bot.start()
        await api.wait_idle(timeout=15, quiet=1.0)
        assert len(summaries(api, group)) == 1, bot.log()
        with db.session() as s:
            assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    finally:
        await bot.stop()
        db.dispose()
