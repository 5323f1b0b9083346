"""/schedule: shown to anyone, changed by admins with buttons (a default at every step), bad input refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.models import Round, Schedule, Team
from piebot.telegram.checkins import answers as checkins
from tests.checkin_helpers import posts, save_rule, summaries, use_hand_clock, utc, weekly


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=2)


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1, 9))  # Fri 1 May 2026


def schedule_rows(db) -> list[Schedule]:
    with db.session() as s:
        return list(s.exec(select(Schedule).where(Schedule.kind == "checkin")))


async def wizard(api, team):
    """The full wizard: an admin's /schedule offers the quick way, and "More options" the nine steps."""
    quick = await say(api, team.admin, team.group, "/schedule")
    if "Change" in str(quick.buttons):  # a team with a schedule sees it first
        before = len(api.chat_log(team.group))
        await press(api, team.admin, quick, "Change")
        quick = await bot_reply(api, team.group, before)
    assert "Weekly check-in" in quick.text and "Which day?" in quick.text
    await press(api, team.admin, quick, "More options")
    await api.wait_for(lambda: "1 of 9" in current(api, team, quick).text)
    return current(api, team, quick)


def current(api, team, card):
    return next(m for m in api.chat_log(team.group) if m.message_id == card.message_id)


async def tap(api, team, card, label: str, step: int | str):
    """Press on the wizard's card and wait for it to move on to `step` (a number, or text it shows)."""
    expect = f"{step} of 9" if isinstance(step, int) else step
    await press(api, team.admin, card, label)
    await api.wait_for(lambda: expect in current(api, team, card).text)
    return current(api, team, card)


async def test_admin_taps_through_the_defaults_and_anyone_can_see_the_result(api, harness, team, hand):
    card = await wizard(api, team)
    for step in range(2, 10):
        card = await tap(api, team, card, "✓", step)
    card = await tap(api, team, card, "✓", "All set")
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)
    (row,) = schedule_rows(harness.db)
    assert (row.cadence, row.weekday, row.local_time, row.window_hours) == ("weekly", 1, "14:00", 24)
    assert (row.quiet_start, row.quiet_end, row.remind_days_before, row.anonymous) == ("21:00", "08:00", 2, False)
    with harness.db.session() as s:
        review = s.exec(select(Schedule).where(Schedule.kind == "reassessment")).one()
        assert review.review_date == date(2026, 6, 26)  # 8 weeks on
    shown = await say(api, team.members[0], team.group, "/schedule")
    assert "Every Tuesday at 14:00 (Europe/London), open for 24 hours" in shown.text
    assert "Next: Tue 14:00" in shown.text and "Responsiveness" in shown.text
    refused = await press(api, team.members[0], shown, "Change")
    assert refused["show_alert"] and "Only a group admin" in refused["text"]


async def test_monthly_on_rules_and_procedures_anonymous(api, harness, team, hand):
    card = await wizard(api, team)
    card = await tap(api, team, card, "Monthly", 2)
    assert "day of the month" in card.text
    card = await tap(api, team, card, "15", 3)
    card = await tap(api, team, card, "10:00", 4)
    card = await tap(api, team, card, "48 h", 5)
    card = await tap(api, team, card, "No quiet", 6)
    card = await tap(api, team, card, "Rules and procedures", 7)
    card = await tap(api, team, card, "Anonymous", 8)
    card = await tap(api, team, card, "No review", 9)
    card = await tap(api, team, card, "3", "All set")
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: schedule_rows(harness.db))
    (row,) = schedule_rows(harness.db)
    assert (row.cadence, row.day_of_month, row.local_time, row.window_hours) == ("monthly", 15, "10:00", 48)
    assert (row.quiet_start, row.element_id, row.anonymous, row.remind_days_before) == (
        None, "rules-and-procedures", True, 3)


async def typed(api, team, card, button: str, text: str, *, refused: bool = False):
    """Tap a "Type…" button and reply to its prompt; returns the refusal when one is expected."""
    before = len(api.chat_log(team.group))
    await press(api, team.admin, card, button)
    prompt = await bot_reply(api, team.group, before)
    assert prompt.force_reply
    if refused:
        return await say(api, team.admin, team.group, text, reply_to=prompt)
    await api.send(team.admin, team.group, text, reply_to=prompt)


async def test_impossible_and_contradictory_choices_are_refused_and_the_old_schedule_kept(api, harness, team, hand):
    save_rule(harness.db, weekly(3, "09:30"), hand())
    before = schedule_rows(harness.db)[0]
    shown = await say(api, team.admin, team.group, "/schedule")
    await press(api, team.admin, shown, "Change")
    await api.wait_for(lambda: "Which day?" in api.last(team.group).text)
    quick = api.last(team.group)
    assert "Thu ✓" in str(quick.buttons)  # the team's own rule is what the quick way starts from
    await press(api, team.admin, quick, "More options")
    await api.wait_for(lambda: "1 of 9" in current(api, team, quick).text)
    card = current(api, team, quick)
    assert "Weekly ✓" in str(card.buttons)  # the team's own rule is what one tap keeps
    card = await tap(api, team, card, "Weekly", 2)
    assert "Thu ✓" in str(card.buttons)
    card = await tap(api, team, card, "Thu", 3)
    refused = await typed(api, team, card, "Type a time", "25:00", refused=True)
    assert "isn't a time of day" in refused.text
    await api.send(team.admin, team.group, "22:30", reply_to=api.chat_log(team.group)[-2])
    await api.wait_for(lambda: "4 of 9" in current(api, team, card).text)
    card = current(api, team, card)
    await typed(api, team, card, "Type a length", "200")
    await api.wait_for(lambda: "5 of 9" in current(api, team, card).text)
    card = current(api, team, card)
    for step, label in ((6, "21:00"), (7, "Responsiveness"), (8, "Named")):
        card = await tap(api, team, card, label, step)
    await typed(api, team, card, "Type a date", "2026-04-01")
    await api.wait_for(lambda: "9 of 9" in current(api, team, card).text)
    card = current(api, team, card)
    card = await tap(api, team, card, "2", "All set")
    # Said before saving, not found out later: the check-in would wait for the quiet hours to end.
    assert "⚠️ 22:30 is inside your quiet hours (21:00–08:00), so the check-in will be posted at 08:00" in card.text
    before_count = len(api.chat_log(team.group))
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: len(api.chat_log(team.group)) > before_count)
    refusal = api.last(team.group).text
    assert "schedule is unchanged" in refusal
    assert "200-hour window is longer than the time between check-ins" in refusal
    assert "has passed" in refusal
    (after,) = schedule_rows(harness.db)
    assert after.model_dump() == before.model_dump()


async def test_a_non_admin_cannot_press_the_wizard(api, harness, team, hand):
    card = await wizard(api, team)
    refused = await press(api, team.members[0], card, "Monthly")
    assert refused["show_alert"] and "admin" in refused["text"]
    assert "1 of 9" in current(api, team, card).text
    assert schedule_rows(harness.db) == []
    # A member's /schedule only shows that there is none yet.
    shown = await say(api, team.members[0], team.group, "/schedule")
    assert "No check-ins are scheduled yet" in shown.text


async def test_a_rounds_review_date_becomes_the_reassessment_date(api, harness, team, hand):
    with harness.db.session() as s:
        team_row = s.exec(select(Team)).one()
        round_ = Round(team_id=team_row.id, status="closed", closed_at=hand(), review_date=date(2026, 7, 1))
        s.add(round_)
        s.commit()
        round_id = round_.id
    for hook in harness.bot.app.bot_data["on_round_closed"]:
        await hook(harness.bot.app, round_id)
    shown = await say(api, team.admin, team.group, "/schedule")
    assert "Next full review: Wed 1 Jul" in shown.text
    assert checkins.read_away("2 weeks", date(2026, 5, 1)) == date(2026, 5, 15)


async def test_a_working_weekly_check_in_in_four_taps(api, harness, team, hand):
    taps = 1
    card = await say(api, team.admin, team.group, "/schedule")
    for label, shows in (("Tue", "What time?"), ("14:00", "ready to save?")):
        await press(api, team.admin, card, label)
        taps += 1
        await api.wait_for(lambda shows=shows: shows in current(api, team, card).text)
    card = current(api, team, card)
    assert "Weekly, Tuesday, at 14:00" in card.text
    assert "Open for 24 hours" in card.text and "Responsiveness, named" in card.text
    assert "🌙 Quiet hours (21:00–08:00) fall inside the window" in card.text
    await press(api, team.admin, card, "Save")
    taps += 1
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)
    assert taps <= 5
    (row,) = schedule_rows(harness.db)
    assert (row.cadence, row.weekday, row.local_time, row.window_minutes, row.anonymous) == (
        "weekly", 1, "14:00", 24 * 60, False)
    # And it works: the next Tuesday at 14:00 the check-in is posted.
    hand.set(utc(2026, 5, 5, 13))
    await scheduling.tick(harness.bot.app, hand())
    assert posts(api, team.group) and "Check-in: Responsiveness" in posts(api, team.group)[-1].text


async def test_the_shortest_window_is_fifteen_minutes(api, harness, team, hand):
    card = await wizard(api, team)
    card = await tap(api, team, card, "✓", 2)
    card = await tap(api, team, card, "✓", 3)
    card = await tap(api, team, card, "✓", 4)
    assert "15 min" in str(card.buttons)
    await typed(api, team, card, "Type a length", "10 min")
    await api.wait_for(lambda: "5 of 9" in current(api, team, card).text)
    card = current(api, team, card)
    for step in (6, 7, 8, 9, "All set"):
        card = await tap(api, team, card, "✓", step)
    assert "Open for 10 minutes" in card.text
    before = len(api.chat_log(team.group))
    await press(api, team.admin, card, "Save")
    refusal = await bot_reply(api, team.group, before)
    assert "at least 15 minutes" in refusal.text and schedule_rows(harness.db) == []

    card = await wizard(api, team)
    for step in (2, 3, 4):
        card = await tap(api, team, card, "✓", step)
    card = await tap(api, team, card, "15 min", 5)
    for step in (6, 7, 8, 9, "All set"):
        card = await tap(api, team, card, "✓", step)
    await press(api, team.admin, card, "Save")
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)
    assert "open for 15 minutes" in current(api, team, card).text
    (row,) = schedule_rows(harness.db)
    assert (row.window_minutes, row.window_hours) == (15, 0)
    # A 15-minute check-in opens at 14:00 and its summary goes out once the quarter hour is over.
    hand.set(utc(2026, 5, 5, 13))
    await scheduling.tick(harness.bot.app, hand())
    post = posts(api, team.group)[-1]
    for user in team.members:
        await press(api, user, post, "Getting there")
    hand.set(utc(2026, 5, 5, 13, 14))
    await scheduling.tick(harness.bot.app, hand())
    assert summaries(api, team.group) == []
    hand.set(utc(2026, 5, 5, 13, 15))
    await scheduling.tick(harness.bot.app, hand())
    assert len(summaries(api, team.group)) == 1


async def test_quiet_hours_warn_and_never_swallow_a_check_in(api, harness, team, hand):
    card = await say(api, team.admin, team.group, "/schedule")
    await press(api, team.admin, card, "Tue")
    await api.wait_for(lambda: "What time?" in current(api, team, card).text)
    before = len(api.chat_log(team.group))
    await press(api, team.admin, current(api, team, card), "Type a time")
    prompt = await bot_reply(api, team.group, before)
    await api.send(team.admin, team.group, "06:30", reply_to=prompt)
    await api.wait_for(lambda: "ready to save?" in current(api, team, card).text)
    ready = current(api, team, card)
    warning = ("⚠️ 06:30 is inside your quiet hours (21:00–08:00), so the check-in will be posted at 08:00, "
               "when they end, and close at 06:30 the next day as planned.")
    assert warning in ready.text
    await press(api, team.admin, ready, "Save")
    await api.wait_for(lambda: "Saved" in current(api, team, card).text)
    assert "⚠️ 06:30 is inside your quiet hours" in current(api, team, card).text
    shown = await say(api, team.members[0], team.group, "/schedule")
    assert "⚠️ 06:30 is inside your quiet hours" in shown.text
    # What was said happens: nothing at 06:30 (quiet), the check-in at 08:00.
    hand.set(utc(2026, 5, 5, 5, 30))
    await scheduling.tick(harness.bot.app, hand())
    assert posts(api, team.group) == []
    hand.set(utc(2026, 5, 5, 7, 0))
    await scheduling.tick(harness.bot.app, hand())
    assert len(posts(api, team.group)) == 1

    # A window that would close before quiet hours end is refused, with the reason.
    card = await wizard(api, team)
    card = await tap(api, team, card, "✓", 2)
    card = await tap(api, team, card, "✓", 3)
    await typed(api, team, card, "Type a time", "22:30")
    await api.wait_for(lambda: "4 of 9" in current(api, team, card).text)
    card = await tap(api, team, current(api, team, card), "1 h", 5)
    for step in (6, 7, 8, 9, "All set"):
        card = await tap(api, team, card, "✓", step)
    before = len(api.chat_log(team.group))
    await press(api, team.admin, card, "Save")
    refusal = await bot_reply(api, team.group, before)
    assert "would never be posted" in refusal.text and "schedule is unchanged" in refusal.text
    (row,) = schedule_rows(harness.db)
    assert row.local_time == "06:30"
