"""Check-ins go out when the team expects them, in its own time, never in quiet hours."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.schedule import (
    Cadence,
    QuietHours,
    ScheduleRule,
    action_reminder_at,
    default_rule,
    defer_for_quiet_hours,
    next_slot,
    parse_clock,
    parse_window,
    quiet_hours_notes,
    reassessment_reminders,
    schedule_summary,
    slots_between,
    validate,
    window_end,
    wizard_steps,
)

LONDON = ZoneInfo("Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


def weekly(day: int, at: str = "10:00", **more) -> ScheduleRule:
    return ScheduleRule(cadence=Cadence.WEEKLY, day=day, time=at, **more)


# ---------------------------------------------------------------- daylight saving (Europe/London)
# 2025: clocks go forward on Sunday 30 March (01:00 GMT -> 02:00 BST)
#       and back on Sunday 26 October (02:00 BST -> 01:00 GMT).


@pytest.mark.parametrize(
    ("day", "after", "expected"),
    [
        # spring: 10:00 GMT is 10:00 UTC, 10:00 BST is 09:00 UTC
        (6, utc(2025, 3, 20), utc(2025, 3, 23, 10)),
        (6, utc(2025, 3, 23, 10), utc(2025, 3, 30, 9)),  # the change day itself
        (6, utc(2025, 3, 30, 9), utc(2025, 4, 6, 9)),
        (0, utc(2025, 3, 20), utc(2025, 3, 24, 10)),
        (0, utc(2025, 3, 24, 10), utc(2025, 3, 31, 9)),
        # autumn: back from 09:00 UTC to 10:00 UTC
        (6, utc(2025, 10, 15), utc(2025, 10, 19, 9)),
        (6, utc(2025, 10, 19, 9), utc(2025, 10, 26, 10)),  # the change day itself
        (0, utc(2025, 10, 19, 9), utc(2025, 10, 20, 9)),
        (0, utc(2025, 10, 20, 9), utc(2025, 10, 27, 10)),
    ],
)
def test_weekly_slot_stays_at_ten_local_across_clock_changes(day, after, expected):
    slot = next_slot(weekly(day), LONDON, after)
    assert slot == expected
    assert slot.tzinfo is not None
    assert slot.astimezone(LONDON).hour == 10
    assert slot.astimezone(LONDON).weekday() == day


def test_slot_in_the_skipped_spring_hour_is_shifted_forward():
    slot = next_slot(weekly(6, "01:30"), LONDON, utc(2025, 3, 29))
    assert slot == utc(2025, 3, 30, 1, 30)
    assert slot.astimezone(LONDON).strftime("%d %H:%M %Z") == "30 02:30 BST"


def test_slot_in_the_repeated_autumn_hour_uses_the_first_and_fires_once():
    rule = weekly(6, "01:30")
    slot = next_slot(rule, LONDON, utc(2025, 10, 25))
    assert slot == utc(2025, 10, 26, 0, 30)
    assert slot.astimezone(LONDON).strftime("%H:%M %Z") == "01:30 BST"
    assert next_slot(rule, LONDON, slot) == utc(2025, 11, 2, 1, 30)


def test_next_slot_is_strictly_after_and_needs_aware_times():
    assert next_slot(weekly(1, "14:00"), LONDON, utc(2025, 6, 3, 13)) == utc(2025, 6, 10, 13)
    assert next_slot(weekly(1, "14:00"), LONDON, utc(2025, 6, 3, 12, 59)) == utc(2025, 6, 3, 13)
    with pytest.raises(ValueError):
        next_slot(weekly(1), LONDON, datetime(2025, 6, 3))
    with pytest.raises(ValueError):
        next_slot(weekly(1, "25:00"), LONDON, utc(2025, 6, 3))


def test_local_date_not_utc_date_decides_the_day():
    auckland = ZoneInfo("Pacific/Auckland")
    # Monday 09:00 in Auckland is still Sunday in UTC.
    slot = next_slot(weekly(0, "09:00"), auckland, utc(2025, 6, 1))
    assert slot.astimezone(auckland) == datetime(2025, 6, 2, 9, 0, tzinfo=auckland)
    assert slot.weekday() == 6


# ---------------------------------------------------------------- monthly and fortnightly


def test_monthly_on_a_day_of_the_month_across_the_year_and_the_clock_change():
    rule = ScheduleRule(cadence=Cadence.MONTHLY, day=15, time="09:00")
    assert next_slot(rule, LONDON, utc(2025, 1, 20)) == utc(2025, 2, 15, 9)
    assert next_slot(rule, LONDON, utc(2025, 3, 15, 9)) == utc(2025, 4, 15, 8)  # 09:00 BST
    assert next_slot(rule, LONDON, utc(2025, 12, 20)) == utc(2026, 1, 15, 9)
    assert next_slot(rule, LONDON, utc(2025, 2, 15, 8)) == utc(2025, 2, 15, 9)
    slots = slots_between(rule, LONDON, utc(2025, 1, 1), utc(2026, 1, 1))
    assert len(slots) == 12
    assert all(s.astimezone(LONDON).hour == 9 and s.astimezone(LONDON).day == 15 for s in slots)


def test_fortnightly_keeps_to_every_other_week_from_its_start():
    rule = ScheduleRule(cadence=Cadence.FORTNIGHTLY, day=1, time="14:00", starts_on=date(2025, 6, 2))
    assert next_slot(rule, LONDON, utc(2025, 5, 1)) == utc(2025, 6, 3, 13)
    assert next_slot(rule, LONDON, utc(2025, 6, 3, 13)) == utc(2025, 6, 17, 13)
    assert next_slot(rule, LONDON, utc(2025, 6, 10, 13)) == utc(2025, 6, 17, 13)
    slots = slots_between(rule, LONDON, utc(2025, 6, 1), utc(2025, 8, 1))
    assert [s.astimezone(LONDON).date() for s in slots] == [
        date(2025, 6, 3),
        date(2025, 6, 17),
        date(2025, 7, 1),
        date(2025, 7, 15),
        date(2025, 7, 29),
    ]


def test_fortnightly_without_a_start_is_still_every_other_week():
    rule = ScheduleRule(cadence=Cadence.FORTNIGHTLY, day=3, time="11:00")
    slots = slots_between(rule, LONDON, utc(2025, 1, 1), utc(2025, 3, 1))
    gaps = {(b - a).days for a, b in itertools.pairwise(slots)}
    assert gaps == {14}


def test_slots_between_includes_the_start_and_excludes_the_end():
    rule = weekly(1, "14:00")
    slots = slots_between(rule, LONDON, utc(2025, 6, 3, 13), utc(2025, 6, 24, 13))
    assert slots == [utc(2025, 6, 3, 13), utc(2025, 6, 10, 13), utc(2025, 6, 17, 13)]


def test_no_slot_before_the_schedule_starts():
    rule = weekly(1, "14:00", starts_on=date(2025, 7, 1))
    assert next_slot(rule, LONDON, utc(2025, 6, 1)) == utc(2025, 7, 1, 13)


# ---------------------------------------------------------------- windows, quiet hours, reminders


def test_window_is_real_hours_even_across_a_clock_change():
    slot = utc(2025, 3, 29, 12)
    assert window_end(slot, weekly(5, "12:00", window_hours=24)) == utc(2025, 3, 30, 12)
    assert window_end(slot, weekly(5, "12:00", window_hours=24)).astimezone(LONDON).hour == 13


QUIET = QuietHours("21:00", "08:00")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (local(2025, 1, 14, 22, 30), local(2025, 1, 15, 8, 0)),  # late evening -> next morning
        (local(2025, 1, 15, 3, 0), local(2025, 1, 15, 8, 0)),  # small hours -> same morning
        (local(2025, 1, 14, 21, 0), local(2025, 1, 15, 8, 0)),  # quiet starts on the minute
        (local(2025, 1, 15, 8, 0), local(2025, 1, 15, 8, 0)),  # and ends on the minute
        (local(2025, 1, 15, 12, 0), local(2025, 1, 15, 12, 0)),
        (local(2025, 6, 1, 23, 59), local(2025, 6, 2, 8, 0)),  # summer time too
        (local(2025, 3, 29, 23, 0), local(2025, 3, 30, 8, 0)),  # the night the clocks go forward
    ],
)
def test_quiet_hours_crossing_midnight_defer_to_their_end(when, expected):
    deferred = defer_for_quiet_hours(when.astimezone(UTC), LONDON, QUIET)
    assert deferred == expected.astimezone(UTC)
    assert deferred.tzinfo is not None


def test_daytime_quiet_hours_and_none():
    lunch = QuietHours("12:00", "14:00")
    assert defer_for_quiet_hours(local(2025, 1, 15, 13).astimezone(UTC), LONDON, lunch) == local(
        2025, 1, 15, 14
    )
    assert defer_for_quiet_hours(local(2025, 1, 15, 15).astimezone(UTC), LONDON, lunch) == local(
        2025, 1, 15, 15
    )
    night = local(2025, 1, 15, 23).astimezone(UTC)
    assert defer_for_quiet_hours(night, LONDON, None) == night
    assert defer_for_quiet_hours(night, LONDON, QuietHours("08:00", "08:00")) == night


def test_review_reminders_a_week_before_and_on_the_day():
    assert reassessment_reminders(date(2025, 7, 15), LONDON) == [utc(2025, 7, 8, 9), utc(2025, 7, 15, 9)]
    # The week-before reminder falls before the clocks go back; the day itself after.
    assert reassessment_reminders(date(2025, 10, 30), LONDON, "09:30") == [
        utc(2025, 10, 23, 8, 30),
        utc(2025, 10, 30, 9, 30),
    ]


def test_action_reminder_days_before_due_in_local_time():
    assert action_reminder_at(date(2025, 11, 3), 2, LONDON) == utc(2025, 11, 1, 10)
    assert action_reminder_at(date(2025, 6, 3), 0, LONDON, "08:15") == utc(2025, 6, 3, 7, 15)


# ---------------------------------------------------------------- validation

TODAY = date(2025, 6, 2)


def test_a_sensible_rule_and_the_defaults_have_no_problems():
    assert validate(weekly(1, "14:00"), TODAY) == []
    assert validate(default_rule(TODAY), TODAY) == []


@pytest.mark.parametrize("bad_time", ["25:00", "ten", "14:60", "", "1400"])
def test_impossible_times_are_refused(bad_time):
    problems = validate(weekly(1, bad_time), TODAY)
    assert len(problems) == 1
    assert "isn't a time of day" in problems[0] and "24-hour clock" in problems[0]


def test_each_validation_reason():
    def only(rule: ScheduleRule) -> str:
        problems = validate(rule, TODAY)
        assert len(problems) == 1, problems
        return problems[0]

    assert "has passed" in only(weekly(1, "14:00", review_on=date(2025, 5, 1)))
    assert "Thu 1 May 2025" in only(weekly(1, "14:00", review_on=date(2025, 5, 1)))
    assert validate(weekly(1, "14:00", review_on=TODAY), TODAY) == []
    assert "longer than the time between check-ins" in only(weekly(1, "14:00", window_hours=200))
    assert "168 hours" in only(weekly(1, "14:00", window_hours=169))
    assert validate(weekly(1, "14:00", window_hours=168), TODAY) == []
    assert validate(ScheduleRule(cadence=Cadence.FORTNIGHTLY, window_hours=300), TODAY) == []
    assert "672 hours" in only(ScheduleRule(cadence=Cadence.MONTHLY, day=1, window_hours=700))
    assert "Not every month has a 31st" in only(ScheduleRule(cadence=Cadence.MONTHLY, day=31))
    assert "1 to 28" in only(ScheduleRule(cadence=Cadence.MONTHLY, day=29))
    assert "at least 15 minutes" in only(weekly(1, "14:00", window_hours=0))
    assert "at least 15 minutes" in only(weekly(1, "14:00", window_hours=-5))
    assert "at least 15 minutes" in only(replace(weekly(1, "14:00"), window_minutes=14))
    assert validate(replace(weekly(1, "14:00"), window_minutes=15), TODAY) == []
    assert "Monday to Sunday" in only(weekly(7, "14:00"))
    # A time inside quiet hours is only refused when the window closes before they end (it would be lost);
    # otherwise the check-in waits for them to end, and the team is told so before saving.
    assert "never be posted" in only(weekly(1, "22:00", window_hours=1))
    assert validate(weekly(1, "22:00"), TODAY) == []
    assert "21:00 to 08:00" in only(weekly(1, "14:00", quiet=QuietHours("nine", "08:00")))
    assert "0 or more days" in only(weekly(1, "14:00", remind_days_before=-1))
    assert "weekly, fortnightly or monthly" in only(ScheduleRule(cadence="daily"))  # type: ignore[arg-type]


def test_several_problems_are_all_reported():
    problems = validate(ScheduleRule(cadence=Cadence.MONTHLY, day=30, time="ten", window_hours=0), TODAY)
    assert len(problems) == 3


def test_parse_clock():
    assert parse_clock("9:30").hour == 9
    assert parse_clock("23:59") is not None
    assert parse_clock("24:00") is None


# ---------------------------------------------------------------- what the team reads


def test_schedule_summary_reads_plainly():
    rule = default_rule(TODAY)
    text = schedule_summary(rule, LONDON, utc(2025, 6, 2, 9))
    assert "Every Tuesday at 14:00 (Europe/London), open for 24 hours." in text
    assert "Next: Tue 14:00." in text
    assert "Quiet hours 21:00–08:00" in text
    assert "2 days before the due date" in text
    assert "Next full review: Mon 28 Jul" in text
    monthly = ScheduleRule(cadence=Cadence.MONTHLY, day=2, time="10:00", quiet=None, remind_days_before=1)
    text = schedule_summary(monthly, LONDON, utc(2025, 6, 2, 9))
    assert "On the 2nd of every month at 10:00" in text and "Quiet" not in text and "1 day before" in text
    fortnightly = ScheduleRule(cadence=Cadence.FORTNIGHTLY, day=4)
    assert "Every other Friday" in schedule_summary(fortnightly, LONDON, utc(2025, 6, 2, 9))


def test_wizard_suggests_an_answer_at_every_step():
    steps = wizard_steps(TODAY)
    defaults = {step.key: step.default for step in steps}
    assert defaults == {
        "cadence": "weekly",
        "day": "Tuesday",
        "time": "14:00",
        "window": "24 hours",
        "quiet": "21:00–08:00",
        "review": "Mon 28 Jul",
        "reminders": "2",
    }
    assert all(step.question and step.default for step in steps)
    assert {s.key: s.default for s in wizard_steps(TODAY, Cadence.MONTHLY)}["day"] == "1st"


def test_quiet_hours_are_said_before_they_change_a_check_in():
    # The usual day-long window spans the night: nothing is lost, but nobody is reminded then.
    assert quiet_hours_notes(weekly(1, "14:00")) == [
        "🌙 Quiet hours (21:00–08:00) fall inside the window: no reminders are sent then."]
    early = quiet_hours_notes(weekly(1, "06:00", window_hours=4))
    assert early == ["⚠️ 06:00 is inside your quiet hours (21:00–08:00), so the check-in will be posted at "
                     "08:00, when they end, and close at 10:00 as planned."]
    late_close = quiet_hours_notes(replace(weekly(1, "20:50"), window_minutes=15))
    assert late_close == ["⚠️ Answers close at 21:05, inside your quiet hours (21:00–08:00), so the summary will "
                          "be posted at 08:00 the next day, when they end."]
    assert "would never be posted" in quiet_hours_notes(weekly(1, "22:30", window_hours=1))[0]
    assert quiet_hours_notes(weekly(1, "14:00", window_hours=1)) == []
    assert quiet_hours_notes(weekly(1, "22:30", quiet=None)) == []
    summary = schedule_summary(weekly(1, "06:00", window_hours=4), LONDON, utc(2025, 6, 2, 9))
    assert "⚠️ 06:00 is inside your quiet hours" in summary


def test_typed_windows_read_hours_and_minutes():
    assert [parse_window(t) for t in ("36", "36 h", "2 hours", "15 min", "90m", "20 minutes")] == [
        2160, 2160, 120, 15, 90, 20]
    assert parse_window("soon") is None and parse_window("") is None
