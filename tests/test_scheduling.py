"""Check-ins go out at their slot in the team's time, once, through restarts, and never into quiet hours.

Time is a hand-moved clock: `tick(app, now)` is what the scheduler's jobs call, called here directly.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from conversations.schedule import QuietHours
from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up
from piebot.storage import checkins as store
from piebot.storage.models import CheckIn, Firing, Team
from tests.checkin_helpers import checkins, firings, posts, save_rule, summaries, use_hand_clock, utc, weekly

TUESDAY = 1


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=3)


async def test_weekly_check_in_keeps_to_local_ten_oclock_across_the_spring_change(api, harness, team, monkeypatch):
    # London moves to BST on Sun 29 Mar 2026: 10:00 local is 10:00 UTC before, 09:00 UTC after.
    hand = use_hand_clock(monkeypatch, utc(2026, 3, 20, 12))
    save_rule(harness.db, weekly(TUESDAY, "10:00"), hand())
    app = harness.bot.app

    await scheduling.tick(app, utc(2026, 3, 24, 9, 59))
    assert posts(api, team.group) == []
    report = await scheduling.tick(app, utc(2026, 3, 24, 10, 0))
    assert report.posted == 1 and len(posts(api, team.group)) == 1

    await scheduling.tick(app, utc(2026, 3, 31, 8, 59))
    assert len(posts(api, team.group)) == 1
    await scheduling.tick(app, utc(2026, 3, 31, 9, 0))
    assert len(posts(api, team.group)) == 2
    assert [f.slot.hour for f in firings(harness.db)] == [10, 9]
    assert [f.outcome for f in firings(harness.db)] == ["sent", "sent"]


async def test_weekly_check_in_keeps_to_local_ten_oclock_across_the_autumn_change(api, harness, team, monkeypatch):
    # Back to GMT on Sun 25 Oct 2026: 10:00 local is 09:00 UTC before, 10:00 UTC after.
    hand = use_hand_clock(monkeypatch, utc(2026, 10, 15, 12))
    save_rule(harness.db, weekly(TUESDAY, "10:00"), hand())
    app = harness.bot.app
    await scheduling.tick(app, utc(2026, 10, 20, 9, 0))
    await scheduling.tick(app, utc(2026, 10, 27, 9, 0))
    assert len(posts(api, team.group)) == 1  # 09:00 UTC is only 09:00 local now
    await scheduling.tick(app, utc(2026, 10, 27, 10, 0))
    assert len(posts(api, team.group)) == 2
    assert [(f.slot.day, f.slot.hour) for f in firings(harness.db)] == [(20, 9), (27, 10)]


async def test_a_slot_never_fires_twice_however_often_it_is_ticked(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    app = harness.bot.app
    slot = utc(2026, 5, 5, 13)  # 14:00 BST
    for minutes in (0, 0, 1, 30):
        await scheduling.tick(app, slot + timedelta(minutes=minutes))
    assert len(posts(api, team.group)) == 1
    assert len(firings(harness.db)) == 1


async def test_a_restart_between_the_slot_and_the_windows_end_sends_it_late_once(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    await harness.stop()
    hand.set(utc(2026, 5, 5, 16))  # down over the 13:00 UTC slot, back 3 hours later
    await harness.start()  # start-up catches up at once
    await api.wait_for(lambda: len(posts(api, team.group)) == 1)
    await harness.restart()
    await scheduling.tick(harness.bot.app, hand.advance(minutes=5))
    await api.wait_idle()
    assert len(posts(api, team.group)) == 1
    assert [f.outcome for f in firings(harness.db)] == ["late"]
    # The window still counts from the slot, not from the late post.
    assert store.aware(checkins(harness.db)[0].closes_at) == utc(2026, 5, 6, 13)


async def test_a_restart_after_the_window_records_a_missed_slot_and_keeps_the_next(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    await harness.stop()
    hand.set(utc(2026, 5, 6, 14))  # a day and an hour after the slot: its 24-hour window is over
    await harness.start()
    await api.wait_for(lambda: firings(harness.db))
    await api.wait_idle()
    assert posts(api, team.group) == []
    assert [f.outcome for f in firings(harness.db)] == ["missed"]
    await scheduling.tick(harness.bot.app, utc(2026, 5, 12, 13))
    assert len(posts(api, team.group)) == 1
    assert [f.outcome for f in firings(harness.db)] == ["missed", "sent"]


async def test_a_window_open_at_restart_closes_on_time(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00", window_hours=4), hand())
    await scheduling.tick(harness.bot.app, utc(2026, 5, 5, 13))
    await harness.restart()
    await scheduling.tick(harness.bot.app, utc(2026, 5, 5, 16, 59))
    assert summaries(api, team.group) == []
    await scheduling.tick(harness.bot.app, utc(2026, 5, 5, 17))
    assert len(summaries(api, team.group)) == 1
    assert checkins(harness.db)[0].closed_at is not None


async def test_two_processes_racing_for_one_slot_post_it_once(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    schedule_id = save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    now = utc(2026, 5, 5, 13)
    with harness.db.session() as first, harness.db.session() as second:
        due_a, due_b = store.due_slots(first, now), store.due_slots(second, now)
        taken_a = store.take_slots(first, due_a, now)
        first.commit()
        taken_b = store.take_slots(second, due_b, now)  # its insert meets the unique (schedule, slot)
        second.commit()
    assert len(taken_a.posts) == 1 and taken_b.posts == []
    with harness.db.session() as session:
        assert len(session.exec(select(Firing).where(Firing.schedule_id == schedule_id)).all()) == 1
        assert len(session.exec(select(CheckIn)).all()) == 1


async def test_late_slot_in_quiet_hours_waits_for_the_morning(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 1, 1))
    save_rule(harness.db, weekly(TUESDAY, "20:00", quiet=QuietHours("21:00", "08:00")), hand())
    app = harness.bot.app
    # Down over Tue 6 Jan 20:00; back at 22:00, inside quiet hours.
    await scheduling.tick(app, utc(2026, 1, 6, 22))
    await scheduling.tick(app, utc(2026, 1, 7, 7, 59))
    assert posts(api, team.group) == [] and firings(harness.db) == []
    await scheduling.tick(app, utc(2026, 1, 7, 8))
    assert len(posts(api, team.group)) == 1
    assert [f.outcome for f in firings(harness.db)] == ["late"]


async def test_paused_teams_are_skipped(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    with harness.db.session() as session:
        session.exec(select(Team)).one().paused = True
        session.commit()
    await scheduling.tick(harness.bot.app, utc(2026, 5, 5, 13))
    assert posts(api, team.group) == [] and firings(harness.db) == []


async def test_the_scheduler_wakes_for_the_next_slot_by_the_clock(api, harness, team, monkeypatch):
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    app = harness.bot.app
    assert await scheduling.jobs.wake_for_next_slot(app) == utc(2026, 5, 5, 13)
    scheduler = app.bot_data["scheduler"]
    assert {job.id for job in scheduler.get_jobs()} == {"sweep", "next-slot"}
    await scheduling.stop(app)
    assert "scheduler" not in app.bot_data


def test_the_unique_firing_row_decides_who_posts_on_sqlite_and_postgresql(db):
    """Two processes, each with its own session, both see the slot due; only the first insert wins."""
    now = utc(2026, 5, 5, 13)
    with db.session() as session:
        team = Team(chat_id=-100123, name="Hope House", set_up=True)
        session.add(team)
        session.flush()
        store.save_schedule(session, team.id, weekly(TUESDAY, "14:00"), element_id="responsiveness",
                            anonymous=False, now=utc(2026, 5, 1))
        session.commit()
    with db.session() as first, db.session() as second:
        due_first, due_second = store.due_slots(first, now), store.due_slots(second, now)
        assert len(due_first) == len(due_second) == 1
        taken_first = store.take_slots(first, due_first, now)
        first.commit()
        taken_second = store.take_slots(second, due_second, now)
        second.commit()
    assert len(taken_first.posts) == 1 and taken_second.posts == []
    with db.session() as session:
        assert len(session.exec(select(Firing)).all()) == 1
        assert len(session.exec(select(CheckIn)).all()) == 1


async def test_the_next_slot_job_posts_the_check_in_on_its_own(api, harness, team, monkeypatch):
    """No tick called by hand: the scheduler's own wake-up, timed by the clock, posts the check-in."""
    import time

    from piebot import clock

    save_rule(harness.db, weekly(TUESDAY, "14:00"), utc(2026, 5, 1))
    slot, started = utc(2026, 5, 5, 13), time.monotonic()
    # A clock that runs, 1.5 seconds before the slot.
    monkeypatch.setattr(clock, "now", lambda: slot - timedelta(seconds=1.5) + timedelta(
        seconds=time.monotonic() - started))
    assert await scheduling.reschedule(harness.bot.app) is None
    await api.wait_for(lambda: posts(api, team.group), timeout=10)
    assert [f.outcome for f in firings(harness.db)] == ["sent"]
