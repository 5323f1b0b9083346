"""Dates and times as a tired reader wants them: 'Fri 14:00', 'Tue 3 Jun'. English, no locale."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(d: date) -> str:
    return f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"


def day_with_year(d: date) -> str:
    return f"{day(d)} {d.year}"


def short_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}"


def moment(when_utc: datetime, tz: ZoneInfo, now_utc: datetime | None = None) -> str:
    """'Fri 14:00' within the coming week, otherwise 'Fri 6 Jun 14:00'; always in the team's time."""
    local = when_utc.astimezone(tz)
    clock = f"{local:%H:%M}"
    if now_utc is not None and timedelta(0) <= when_utc - now_utc < timedelta(days=6):
        return f"{DAYS[local.weekday()]} {clock}"
    return f"{day(local.date())} {clock}"
