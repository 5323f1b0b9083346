"""When the bot speaks: check-in slots, answer windows, quiet hours and reminders, in the team's time.

Pure functions over zoneinfo. Every datetime going in or out is timezone-aware UTC; "local" means the
team's own zone. Daylight-saving changes are resolved one way everywhere (see `to_utc`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from conversations.texts import checkins as texts
from conversations.texts import schedule as words
from conversations.when import DAY_NAMES, day, day_with_year, moment


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


CADENCE_HOURS = {
    Cadence.WEEKLY: 7 * 24,
    Cadence.FORTNIGHTLY: 14 * 24,
    # The shortest gap between two monthly slots (February), so windows never overlap.
    Cadence.MONTHLY: 28 * 24,
}

# Day 29-31 does not exist in every month; rather than guess what "the 31st" means in April,
# monthly slots are limited to days every month has.
LAST_MONTH_DAY = 28

# Fortnightly slots count whole fortnights from this Monday unless a schedule names its own start.
FORTNIGHT_ANCHOR = date(2024, 1, 1)


@dataclass(frozen=True)
class QuietHours:
    """Nobody is messaged from `start` until `end`, local time; may cross midnight (21:00-08:00)."""

    start: str = "21:00"
    end: str = "08:00"


# The shortest answer window: long enough for a check-in done together in a meeting.
SHORTEST_WINDOW_MINUTES = 15


@dataclass(frozen=True)
class ScheduleRule:
    cadence: Cadence = Cadence.WEEKLY
    # Weekday 0=Monday ... 6=Sunday (like Python and APScheduler cron, unlike PTB's run_daily),
    # or day of month 1-28 for monthly.
    day: int = 1
    time: str = "14:00"
    window_hours: int = 24
    # The window to the minute, when it isn't whole hours (a 15-minute check-in in a meeting); wins over hours.
    window_minutes: int | None = None
    quiet: QuietHours | None = field(default_factory=QuietHours)
    starts_on: date | None = None  # no slot before this; also fixes which weeks a fortnight falls on
    review_on: date | None = None  # the next full reassessment, set in the action plan
    remind_days_before: int = 2  # action reminders

    @property
    def minutes(self) -> int:
        """How long answers stay open, in minutes."""
        return self.window_minutes if self.window_minutes is not None else self.window_hours * 60

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.minutes)


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_clock(text: str) -> time | None:
    """'14:00' or '9:30' on the 24-hour clock; None for anything else ('25:00', 'ten')."""
    match = _CLOCK.match(text or "")
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _clock(text: str) -> time:
    parsed = parse_clock(text)
    if parsed is None:
        raise ValueError(f"not a time of day: {text!r}")
    return parsed


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in the team's zone, as UTC.

    On the spring change a time in the skipped hour (01:30 in London) does not exist: it is shifted
    forward by the gap (01:30 → 02:30 BST), so the message still goes out that day, slightly late
    rather than early. On the autumn change a time in the repeated hour happens twice: the first
    occurrence is used, so nothing fires twice. fold=0 gives exactly these two choices.
    """
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _require_aware(moment_utc: datetime) -> None:
    if moment_utc.tzinfo is None:
        raise ValueError("times must be timezone-aware")


def _slot_dates(rule: ScheduleRule, start: date) -> Iterator[date]:
    """Local dates of slots, in order, from `start` on (inclusive)."""
    if rule.starts_on and start < rule.starts_on:
        start = rule.starts_on
    if rule.cadence is Cadence.MONTHLY:
        year, month = start.year, start.month
        if start.day > rule.day:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        while True:
            yield date(year, month, rule.day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    step = 7 if rule.cadence is Cadence.WEEKLY else 14
    if rule.cadence is Cadence.FORTNIGHTLY:
        anchor = rule.starts_on or FORTNIGHT_ANCHOR
        first = anchor + timedelta(days=(rule.day - anchor.weekday()) % 7)
        fortnights = max(0, -(-(start - first).days // 14))
        current = first + timedelta(days=14 * fortnights)
    else:
        current = start + timedelta(days=(rule.day - start.weekday()) % 7)
    while True:
        yield current
        current += timedelta(days=step)


def next_slot(rule: ScheduleRule, tz: ZoneInfo, after_utc: datetime) -> datetime:
    """The first slot strictly after `after_utc`, as aware UTC, at the rule's local time."""
    _require_aware(after_utc)
    problems = _shape_problems(rule)
    if problems:
        raise ValueError(" ".join(problems))
    at = _clock(rule.time)
    # Start a day early: the local date of `after_utc` may lag or lead the UTC date.
    start = after_utc.astimezone(tz).date() - timedelta(days=1)
    for local_day in _slot_dates(rule, start):
        slot = to_utc(datetime.combine(local_day, at), tz)
        if slot > after_utc:
            return slot
    raise AssertionError("slot dates never run out")


def slots_between(rule: ScheduleRule, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Every slot with start <= slot < end."""
    _require_aware(start)
    _require_aware(end)
    slots = []
    slot = next_slot(rule, tz, start - timedelta(microseconds=1))
    while slot < end:
        slots.append(slot)
        slot = next_slot(rule, tz, slot)
    return slots


def window_end(slot: datetime, rule: ScheduleRule) -> datetime:
    """Answers close this many real minutes after the slot, even across a clock change."""
    return slot + rule.window


def in_quiet_hours(when_utc: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> bool:
    return defer_for_quiet_hours(when_utc, tz, quiet) != when_utc


def defer_for_quiet_hours(when_utc: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """`when_utc` itself, or the end of the quiet hours it falls in (same night or next morning)."""
    _require_aware(when_utc)
    if quiet is None:
        return when_utc
    start, end = _clock(quiet.start), _clock(quiet.end)
    if start == end:
        return when_utc  # no quiet time at all
    local = when_utc.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= now < end:
            return when_utc
        end_day = local.date()
    elif now >= start:
        end_day = local.date() + timedelta(days=1)
    elif now < end:
        end_day = local.date()
    else:
        return when_utc
    return to_utc(datetime.combine(end_day, end), tz)


def reassessment_reminders(review_on: date, tz: ZoneInfo, at_local_time: str = "10:00") -> list[datetime]:
    """A week before the review, and on the day."""
    at = _clock(at_local_time)
    return [to_utc(datetime.combine(d, at), tz) for d in (review_on - timedelta(days=7), review_on)]


def action_reminder_at(due: date, days_before: int, tz: ZoneInfo, at_local_time: str = "10:00") -> datetime:
    return to_utc(datetime.combine(due - timedelta(days=days_before), _clock(at_local_time)), tz)


# ---------------------------------------------------------------- checking a rule


def _shape_problems(rule: ScheduleRule) -> list[str]:
    problems = []
    try:
        cadence = Cadence(rule.cadence)
    except ValueError:
        return [words.bad_cadence(html.escape(str(rule.cadence)))]
    if parse_clock(rule.time) is None:
        problems.append(words.bad_time(html.escape(str(rule.time))))
    if cadence is Cadence.MONTHLY:
        if not 1 <= rule.day <= LAST_MONTH_DAY:
            problems.append(words.month_day_missing(rule.day, LAST_MONTH_DAY))
    elif not 0 <= rule.day <= 6:
        problems.append(words.PICK_A_WEEKDAY)
    return problems


def validate(rule: ScheduleRule, today: date) -> list[str]:
    """Every reason the rule can't be used, kindly worded; an empty list means it's fine."""
    problems = _shape_problems(rule)
    cadence_ok = not any(words.NOT_A_CHOICE in p for p in problems)
    if rule.minutes < SHORTEST_WINDOW_MINUTES:
        problems.append(texts.window_too_short(SHORTEST_WINDOW_MINUTES))
    elif cadence_ok and rule.minutes > CADENCE_HOURS[Cadence(rule.cadence)] * 60:
        longest = CADENCE_HOURS[Cadence(rule.cadence)]
        problems.append(texts.window_too_long(rule.minutes, longest))
    if rule.quiet is not None:
        start, end = parse_clock(rule.quiet.start), parse_clock(rule.quiet.end)
        if start is None or end is None:
            problems.append(words.BAD_QUIET_HOURS)
        elif (effect := quiet_hours_effect(rule)) is not None and effect.swallowed:
            problems.append(texts.quiet_swallows(rule.time, rule.quiet.start, rule.quiet.end, effect.closes))
    if rule.review_on is not None and rule.review_on < today:
        problems.append(words.review_passed(day_with_year(rule.review_on)))
    if rule.remind_days_before < 0:
        problems.append(words.NEGATIVE_REMIND_DAYS)
    return problems


# ---------------------------------------------------------------- what quiet hours do to a check-in

# A plain Wednesday in January: no clock change, so wall-clock times add up.
_PROBE_DAY = date(2024, 1, 10)


@dataclass(frozen=True)
class QuietEffect:
    """What the team's quiet hours do to a check-in at its time, in wall-clock words ("08:00")."""

    posted_late_at: str | None  # the check-in time is inside quiet hours: posted when they end
    swallowed: bool  # ...and the window closes before they end: it would never be posted
    summary_late_at: str | None  # the window closes inside quiet hours: the summary waits until they end
    spans_quiet: bool  # quiet hours fall inside the window: no reminders then
    closes: str  # when answers close, "22:30" or "22:30 the next day"


def _clock_words(moment: datetime, day0: date) -> str:
    return texts.clock_on_day(f"{moment:%H:%M}", (moment.date() - day0).days)


def quiet_hours_effect(rule: ScheduleRule) -> QuietEffect | None:
    """None without quiet hours (or with a rule too broken to tell); else what they will do."""
    if rule.quiet is None or parse_clock(rule.time) is None or rule.minutes <= 0:
        return None
    if parse_clock(rule.quiet.start) is None or parse_clock(rule.quiet.end) is None:
        return None
    utc_zone = ZoneInfo("UTC")
    slot = datetime.combine(_PROBE_DAY, parse_clock(rule.time), tzinfo=UTC)
    closes = slot + rule.window
    posted = defer_for_quiet_hours(slot, utc_zone, rule.quiet)
    late = posted != slot
    swallowed = late and posted >= closes
    summary = defer_for_quiet_hours(closes, utc_zone, rule.quiet)
    # Quiet hours inside the window: some moment in it is quiet (checked on the quarter hour).
    step, moment, spans = timedelta(minutes=15), slot, False
    while moment < closes and not spans:
        spans = in_quiet_hours(moment, utc_zone, rule.quiet)
        moment += step
    return QuietEffect(
        posted_late_at=_clock_words(posted, _PROBE_DAY) if late else None,
        swallowed=swallowed,
        summary_late_at=_clock_words(summary, _PROBE_DAY) if summary != closes and not swallowed else None,
        spans_quiet=spans,
        closes=_clock_words(closes, _PROBE_DAY),
    )


def quiet_hours_notes(rule: ScheduleRule) -> list[str]:
    """What quiet hours will do to this check-in, said plainly before it is saved (never silently)."""
    effect = quiet_hours_effect(rule)
    if effect is None or rule.quiet.start == rule.quiet.end:
        return []
    quiet = (rule.quiet.start, rule.quiet.end)
    if effect.swallowed:
        return [texts.quiet_swallows(rule.time, *quiet, effect.closes)]
    notes = []
    if effect.posted_late_at:
        notes.append(texts.quiet_posts_late(rule.time, *quiet, effect.posted_late_at, effect.closes))
    if effect.summary_late_at:
        notes.append(texts.quiet_summary_late(effect.closes, *quiet, effect.summary_late_at))
    if effect.spans_quiet and not notes:
        notes.append(texts.quiet_no_reminders(*quiet))
    return notes


_LENGTH = re.compile(r"^\s*(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?)?\s*$", re.IGNORECASE)


def parse_window(text: str) -> int | None:
    """A typed answer window in minutes: '36' or '36 h' (hours), '15 min' or '90m' (minutes)."""
    match = _LENGTH.match(text or "")
    if match is None:
        return None
    number, unit = int(match[1]), (match[2] or "h").lower()
    return number if unit.startswith("m") else number * 60


# ---------------------------------------------------------------- what the team sees


def _when_phrase(rule: ScheduleRule) -> str:
    if rule.cadence is Cadence.MONTHLY:
        return words.monthly(rule.day, rule.time)
    return words.weekly(rule.cadence is Cadence.WEEKLY, DAY_NAMES[rule.day], rule.time)


def schedule_summary(rule: ScheduleRule, tz: ZoneInfo, now_utc: datetime) -> str:
    """The /schedule reply."""
    lines = [
        words.CHECKINS_HEAD,
        words.when_line(_when_phrase(rule), html.escape(tz.key), texts.duration_words(rule.minutes)),
        words.next_line(moment(next_slot(rule, tz, now_utc), tz, now_utc)),
    ]
    if rule.quiet is not None and rule.quiet.start != rule.quiet.end:
        lines.append(words.quiet_line(rule.quiet.start, rule.quiet.end))
        lines += [note for note in quiet_hours_notes(rule) if note.startswith(texts.WARNING)]
    lines.append(words.action_reminders_line(rule.remind_days_before))
    if rule.review_on is not None:
        lines.append(words.review_line(day(rule.review_on)))
    else:
        lines.append(words.NO_REVIEW_DATE)
    return "\n".join(lines)


# ---------------------------------------------------------------- the set-up wizard

# Tuesday 14:00: Monday is taken up with the weekend's catch-up, and early afternoon sits between the
# morning handover and the evening shift, when most of a team is on and awake.
DEFAULT_DAY = 1
DEFAULT_MONTH_DAY = 1
DEFAULT_TIME = "14:00"
DEFAULT_WINDOW_HOURS = 24  # long enough that every shift pattern meets it once
DEFAULT_REVIEW_WEEKS = 8
DEFAULT_REMIND_DAYS = 2  # enough time to do something about it, close enough to be remembered


@dataclass(frozen=True)
class WizardStep:
    key: str
    question: str
    default: str  # shown as "Keep: …" so one tap accepts it


def default_rule(today: date) -> ScheduleRule:
    return ScheduleRule(
        cadence=Cadence.WEEKLY,
        day=DEFAULT_DAY,
        time=DEFAULT_TIME,
        window_hours=DEFAULT_WINDOW_HOURS,
        quiet=QuietHours(),
        review_on=today + timedelta(weeks=DEFAULT_REVIEW_WEEKS),
        remind_days_before=DEFAULT_REMIND_DAYS,
    )


def wizard_steps(today: date, cadence: Cadence = Cadence.WEEKLY) -> list[WizardStep]:
    """Each question of /schedule set-up with the answer we suggest, so a tired lead can tap through."""
    rule = default_rule(today)
    day_default = words.ordinal(DEFAULT_MONTH_DAY) if cadence is Cadence.MONTHLY else DAY_NAMES[DEFAULT_DAY]
    day_question = words.ASK_MONTH_DAY if cadence is Cadence.MONTHLY else words.ASK_WEEKDAY
    return [
        WizardStep("cadence", words.ASK_CADENCE, str(Cadence.WEEKLY)),
        WizardStep("day", day_question, day_default),
        WizardStep("time", words.ASK_TIME, rule.time),
        WizardStep("window", words.ASK_WINDOW, texts.duration_words(rule.minutes)),
        WizardStep("quiet", words.ASK_QUIET, "21:00–08:00"),
        WizardStep("review", words.ASK_REVIEW, day(rule.review_on or today)),
        WizardStep("reminders", words.ASK_REMIND_DAYS, str(rule.remind_days_before)),
    ]
