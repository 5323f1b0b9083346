"""What the check-in and scheduling tests share: a clock they move by hand, and a team with a rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from conversations.schedule import Cadence, QuietHours, ScheduleRule
from piebot import clock
from piebot.storage import checkins as store
from piebot.storage.models import CheckIn, Firing, Team


class HandClock:
    """Stands in for piebot.clock.now: time moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def use_hand_clock(monkeypatch, start: datetime) -> HandClock:
    hand = HandClock(start)
    monkeypatch.setattr(clock, "now", hand)
    return hand


def save_rule(db, rule: ScheduleRule, now: datetime, *, element_id: str = "responsiveness",
              anonymous: bool = False) -> int:
    with db.session() as session:
        team = session.exec(select(Team)).one()
        schedule = store.save_schedule(session, team.id, rule, element_id=element_id, anonymous=anonymous, now=now)
        session.commit()
        return schedule.id


def weekly(day: int, at: str, *, window_hours: int = 24, quiet: QuietHours | None = None) -> ScheduleRule:
    return ScheduleRule(cadence=Cadence.WEEKLY, day=day, time=at, window_hours=window_hours,
                        quiet=quiet or QuietHours("21:00", "08:00"))


def firings(db) -> list[Firing]:
    with db.session() as session:
        return list(session.exec(select(Firing).order_by(Firing.slot)))


def checkins(db) -> list[CheckIn]:
    with db.session() as session:
        return list(session.exec(select(CheckIn).order_by(CheckIn.id)))


def posts(api, group) -> list:
    return [m for m in api.chat_log(group) if m.text.startswith("Check-in: ")]


def summaries(api, group) -> list:
    return [m for m in api.chat_log(group) if m.text.startswith("Check-in closed")]
