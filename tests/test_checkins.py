"""A check-in as the team lives it: posted, answered in the group and in private, closed with a summary.

The support button, /away, nudges and reminders too. Time is a hand-moved clock driving `tick`.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlmodel import select

from conversations.schedule import QuietHours
from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.models import (
    Action,
    Dialog,
    Evidence,
    Member,
    Nudge,
    Participation,
    Prompt,
    Rating,
    Schedule,
    SealedBallot,
    Team,
)
from tests.checkin_helpers import posts, save_rule, summaries, use_hand_clock, utc, weekly

TUESDAY = 1
SLOT = utc(2026, 5, 5, 13)  # Tue 5 May 2026, 14:00 in London


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=3)


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1))


async def open_checkin(api, harness, team, hand, **kwargs):
    save_rule(harness.db, weekly(TUESDAY, "14:00", **{k: v for k, v in kwargs.items() if k != "anonymous"}), hand(),
              anonymous=kwargs.get("anonymous", False))
    hand.set(SLOT)
    await scheduling.tick(harness.bot.app, SLOT)
    return posts(api, team.group)[-1]


async def answer(api, user, group, prompt_button_message, label: str, text: str):
    """A reply in the group to one of the post's questions; returns the reply, once the bot's reaction
    on it shows it was kept (the group gets no message for it)."""
    before = len(api.chat_log(group))
    await press(api, user, prompt_button_message, label)
    # The question asked for this press (an earlier one may still be the group's last message).
    await api.wait_for(lambda: len(api.chat_log(group)) > before and api.last(group).force_reply)
    reply = await api.send(user, group, text, reply_to=api.last(group))
    await api.wait_for(lambda: api.reactions_on(group.id, reply["message_id"]) == ["✍"])
    return reply


async def test_three_members_answer_and_the_summary_adds_it_up(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    post = await open_checkin(api, harness, team, hand)
    assert "Check-in: Responsiveness" in post.text and "Your name shows" in post.text

    assert "Saved: Getting there" in (await press(api, bea, post, "Getting there"))["text"]
    await press(api, cal, post, "Well on the way")
    await press(api, dee, post, "Getting there")
    moved = await press(api, dee, post, "Well on the way")  # named answers can be changed
    assert "Moved" in moved["text"]

    await answer(api, bea, team.group, post, "We bent a rule", "Let Jo <stay> past curfew after bad news")
    await answer(api, cal, team.group, post, "One small change", "Rota swap trial\nBea\nin 2 weeks")
    # The action's note goes to its author in private.
    await api.wait_for(lambda: any("now an action" in m.text for m in api.chat_log(cal)), timeout=10)

    hand.set(utc(2026, 5, 6, 13))
    await scheduling.tick(harness.bot.app, hand())
    summary = summaries(api, team.group)[-1]
    assert "3 of 4 answered" in summary.text
    # Taps in the group name a level only, and are counted as levels.
    assert "1 said Getting there\n• 2 said Well on the way\nMiddle view: Well on the way\n" in summary.text
    assert "Let Jo <stay> past curfew after bad news — Bea" in summary.text
    assert "Rota swap trial — Bea, by 19 May" in summary.text
    with harness.db.session() as s:
        action = s.exec(select(Action)).one()
        bea_row = s.exec(select(Member).where(Member.display_name == "Bea")).one()
        assert (action.owner_member_id, action.due) == (bea_row.id, date(2026, 5, 19))
    # Answers after the window are refused kindly and change nothing.
    late = await press(api, ada, post, "Embedded")
    assert late["show_alert"] and "closed" in late["text"]
    with harness.db.session() as s:
        assert len(s.exec(select(Rating)).all()) == 3


async def test_the_written_questions_say_what_happened_not_who(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    group = team.group
    post = await open_checkin(api, harness, team, hand)
    for user, label in ((bea, "We bent a rule"), (cal, "We should have"), (dee, "What got in the way"),
                        (ada, "What helped")):
        asked_before = len(api.chat_log(group))
        await press(api, user, post, label)
        await api.wait_for(lambda asked_before=asked_before: len(api.chat_log(group)) > asked_before
                           and api.last(group).force_reply)
        assert "🔒 Say what happened, not who — no residents' names." in api.last(group).text
    # The one small change is an action to be, not an account of what happened: no such line under it.
    asked_before = len(api.chat_log(group))
    await press(api, bea, post, "One small change")
    await api.wait_for(lambda: len(api.chat_log(group)) > asked_before and api.last(group).force_reply)
    assert "One small change" in api.last(group).text and "not who" not in api.last(group).text


async def test_a_written_answer_in_a_named_check_in_adds_no_message_to_the_group(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    group = team.group
    post = await open_checkin(api, harness, team, hand)
    await press(api, bea, post, "We bent a rule")
    await api.wait_for(lambda: api.last(group).force_reply)
    question = api.last(group)
    in_group, to_bea = len(api.chat_log(group)), len(api.chat_log(bea))
    reply = await api.send(bea, group, "We let a resident stay up past curfew after bad news", reply_to=question)
    await api.wait_for(lambda: api.reactions_on(group.id, reply["message_id"]) == ["✍"])
    await api.wait_idle()
    assert len(api.chat_log(group)) == in_group  # the reaction is the receipt
    assert len(api.chat_log(bea)) == to_bea
    with harness.db.session() as s:
        kept = s.exec(select(Evidence)).one()
        bea_row = s.exec(select(Member).where(Member.display_name == "Bea")).one()
        assert (kept.text, kept.stage, kept.private, kept.member_id) == (
            "We let a resident stay up past curfew after bad news", "bent", False, bea_row.id)

    # Where the group allows no reactions, a private note is the receipt; still nothing new in the group.
    group.reactions_allowed = False
    asked_before = len(api.chat_log(group))
    await press(api, cal, post, "What helped")
    await api.wait_for(lambda: len(api.chat_log(group)) > asked_before and api.last(group).force_reply)
    question = api.last(group)
    in_group = len(api.chat_log(group))
    reply = await api.send(cal, group, "The handover book", reply_to=question)
    await api.wait_for(lambda: any("noted for the check-in" in m.text for m in api.chat_log(cal)), timeout=10)
    note = next(m for m in api.chat_log(cal) if "noted for the check-in" in m.text)
    assert "What helped?" in note.text
    await api.wait_idle()
    assert api.reactions_on(group.id, reply["message_id"]) == []
    assert len(api.chat_log(group)) == in_group
    with harness.db.session() as s:
        assert sorted(e.text for e in s.exec(select(Evidence)).all()) == [
            "The handover book", "We let a resident stay up past curfew after bad news"]


async def test_the_next_check_in_shows_the_change_and_overdue_actions(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    post = await open_checkin(api, harness, team, hand)
    for user in (bea, cal, dee):
        await press(api, user, post, "Getting there")
    await answer(api, cal, team.group, post, "One small change", "Debrief after incidents\nCal\n8/5")
    hooked = []

    async def on_closed(app, checkin_id):
        hooked.append(checkin_id)

    harness.bot.app.bot_data.setdefault("on_checkin_closed", []).append(on_closed)
    hand.set(utc(2026, 5, 12, 13))  # the next slot: the first closes, the second opens
    await scheduling.tick(harness.bot.app, hand())
    assert len(hooked) == 1
    second = posts(api, team.group)[-1]
    assert "Past their date — still on?" in second.text and "Debrief after incidents — Cal, by 8 May" in second.text
    for user in (bea, cal, dee):
        await press(api, user, second, "Well on the way")
    hand.set(utc(2026, 5, 13, 13))
    await scheduling.tick(harness.bot.app, hand())
    summary = summaries(api, team.group)[-1]
    assert "Since the last check-in: up a level, to Well on the way" in summary.text
    assert "Past their date — still on?" in summary.text and "Debrief after incidents — Cal, by 8 May" in summary.text


async def test_anonymous_check_in_asks_privately_and_keeps_no_names(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    post = await open_checkin(api, harness, team, hand, anonymous=True)
    assert "Answers are anonymous" in post.text
    for user in (bea, cal, dee):
        await press(api, user, post, "Well on the way")
    # Moving one's own anonymous bead works while the check-in is open: only the bot can find it.
    again = await press(api, bea, post, "Embedded")
    assert not again.get("show_alert")

    for user, words in ((cal, "The night team covered"), (bea, "Handover was calm"), (dee, "We asked first")):
        asked = await press(api, user, post, "What helped")
        assert "private" in asked["text"]
        await api.wait_for(lambda user=user: api.last(user).force_reply)
        group_before = len(api.chat_log(team.group))
        thanks = await say(api, user, user, words, reply_to=api.last(user))
        assert "without your name" in thanks.text
        assert len(api.chat_log(team.group)) == group_before

    with harness.db.session() as s:
        # Sealed until the close: nothing in the answers yet, and no prompt left naming anyone's chat.
        assert s.exec(select(Rating)).all() == [] and s.exec(select(Evidence)).all() == []
        assert s.exec(select(Prompt).where(Prompt.purpose == "checkin")).all() == []
        assert len(s.exec(select(Participation).where(Participation.part == "rating")).all()) == 3
    hand.set(utc(2026, 5, 6, 13))
    await scheduling.tick(harness.bot.app, hand())
    summary = summaries(api, team.group)[-1]
    assert "The night team covered" in summary.text and "Cal" not in summary.text
    with harness.db.session() as s:
        # Beads tapped in the group name a level only (stored as the level's first place, level_only).
        assert sorted((r.value, r.level_only) for r in s.exec(select(Rating)).all()) == [
            (11, True), (11, True), (16, True)]
        assert {e.member_id for e in s.exec(select(Evidence)).all()} == {None}


async def test_answering_in_private_places_the_bead_exactly(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    await open_checkin(api, harness, team, hand)
    hand.set(utc(2026, 5, 6, 1, 0))  # halfway through the window, but quiet hours
    await scheduling.tick(harness.bot.app, hand())
    assert not [m for m in api.chat_log(bea) if "gentle reminder" in m.text]
    hand.set(utc(2026, 5, 6, 7, 0))  # 08:00 in London
    await scheduling.tick(harness.bot.app, hand())
    card = api.last(bea)
    assert "gentle reminder" in card.text
    await press(api, bea, card, "Well on the way")
    await api.wait_for(lambda: "where in it" in api.last(bea).text)
    saved = await press(api, bea, api.last(bea), "along")
    assert saved["text"] == "Saved: Well on the way — well along. Thank you!"
    with harness.db.session() as s:
        rating = s.exec(select(Rating)).one()
        assert (rating.value, rating.level_only) == (14, False)  # level 3, place 4: a place, not a level


async def test_one_private_nudge_per_window_and_none_for_who_is_away_or_answered(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    away_reply = await say(api, cal, cal, "/away 2 weeks")
    assert "no reminders until" in away_reply.text
    post = await open_checkin(api, harness, team, hand)
    await press(api, bea, post, "Getting there")
    group_before = len(api.chat_log(team.group))
    for hours in (12, 13, 20):  # 02:00 (quiet), 03:00 (quiet), 10:00 local next day
        hand.set(utc(2026, 5, 5, 13 + hours) if hours < 11 else utc(2026, 5, 6, hours - 11))
        await scheduling.tick(harness.bot.app, hand())

    def nudged(user):
        return [m for m in api.chat_log(user) if "gentle reminder" in m.text]

    assert len(nudged(ada)) == 1 and len(nudged(dee)) == 1
    assert nudged(bea) == [] and nudged(cal) == []
    # Never a tag or a reminder in the group.
    assert len(api.chat_log(team.group)) == group_before
    with harness.db.session() as s:
        assert len(s.exec(select(Nudge)).all()) == 2


async def test_away_reads_dates_and_refuses_the_past(api, harness, team, hand):
    bea = team.members[0]
    hand.set(utc(2026, 3, 1, 12))
    assert "Sat 14 Mar 2026" in (await say(api, bea, bea, "/away 14/3")).text
    assert "has already passed" in (await say(api, bea, bea, "/away 2026-02-01")).text
    assert "couldn't read" in (await say(api, bea, bea, "/away someday")).text
    assert "reminders are on again" in (await say(api, bea, bea, "/away off")).text
    with harness.db.session() as s:
        assert s.exec(select(Member).where(Member.display_name == "Bea")).one().away_until is None


async def test_support_is_private_and_leaves_only_a_count(api, harness, team, hand, caplog):
    ada, bea, cal, dee = team.everyone
    contacts_card = await say(api, ada, team.group, "/support")
    saved = await say(api, ada, team.group, "Sam (supervisor) — 07700 900123\nEAP: 0800 000 111",
                      reply_to=contacts_card)
    assert "Saved 2 support contacts" in saved.text
    post = await open_checkin(api, harness, team, hand)
    # The presses' update ids are kept (they name nobody): that is what counts a repeated press once.
    tables = (Dialog, Prompt, Nudge, Evidence, Participation, Rating)

    def counts():
        with harness.db.session() as s:
            return {table.__name__: len(s.exec(select(table)).all()) for table in tables}

    before = counts()
    group_before = [m.text for m in api.chat_log(team.group)]
    private_before = len(api.chat_log(dee))
    caplog.set_level(logging.DEBUG, logger="piebot")
    caplog.set_level(logging.INFO)

    answered = await press(api, dee, post, "support")
    assert answered["text"] == "I've sent you something privately." and not answered.get("show_alert")
    reply = await bot_reply(api, dee, private_before)
    assert "Sam (supervisor)" in reply.text and "07700 900123" in reply.text and "EAP" in reply.text
    await api.wait_idle()

    assert [m.text for m in api.chat_log(team.group)] == group_before
    with harness.db.session() as s:
        # Counted through the ballot box: the count moves when three people have asked.
        assert s.exec(select(Team)).one().support_requests == 0
        assert len(s.exec(select(SealedBallot)).all()) == 1
    for user in (bea, cal):
        await press(api, user, post, "support")
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().support_requests == 3
        assert s.exec(select(SealedBallot)).all() == []
    assert counts() == before  # nothing about the presses is kept beyond the count
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(dee.id) not in logged and "Dee" not in logged


async def test_support_without_the_private_chat_says_how_to_open_it(api, harness, team, hand):
    eve = api.create_user("Eve")
    api.add_member(team.group, eve)
    await say(api, eve, team.group, "/join")  # joined, but never opened the private chat
    post = await open_checkin(api, harness, team, hand)
    answered = await press(api, eve, post, "support")
    assert answered["show_alert"] and "/join" in answered["text"]
    assert api.chat_log(eve) == []
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().support_requests == 0


async def test_strangers_and_forged_presses_are_refused(api, harness, team, hand):
    post = await open_checkin(api, harness, team, hand)
    zed = api.create_user("Zed")
    api.add_member(team.group, zed)
    refused = await press(api, zed, post, "Embedded")
    assert refused["show_alert"] and "/join" in refused["text"]
    query = await api.press(team.members[0], post, "v1:ci:999:L2", forged=True)
    await api.wait_for(lambda: api.answer_to(query))
    assert api.answer_to(query)["show_alert"]
    with harness.db.session() as s:
        assert s.exec(select(Rating)).all() == []


async def test_review_reminders_a_week_before_and_on_the_day(api, harness, team, hand):
    rule = weekly(TUESDAY, "14:00")
    from dataclasses import replace

    save_rule(harness.db, replace(rule, review_on=date(2026, 6, 15)), hand())
    app = harness.bot.app
    await scheduling.tick(app, utc(2026, 6, 8, 8, 59))
    assert not [m for m in api.chat_log(team.group) if "review" in m.text]
    for moment in (utc(2026, 6, 8, 9), utc(2026, 6, 8, 12), utc(2026, 6, 15, 9), utc(2026, 6, 15, 10)):
        await scheduling.tick(app, moment)
    reminders = [m.text for m in api.chat_log(team.group) if "review" in m.text]
    assert len(reminders) == 2
    assert "A week to go" in reminders[0] and "Mon 15 Jun" in reminders[0]
    assert "Today is the team's review date" in reminders[1]


async def test_action_owners_are_reminded_privately_before_the_due_date(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    post = await open_checkin(api, harness, team, hand)
    await answer(api, cal, team.group, post, "One small change", "Rota swap trial\nme\n14/5")
    app = harness.bot.app
    await scheduling.tick(app, utc(2026, 5, 12, 8, 59))  # 2 days before, 09:59 local
    assert not [m for m in api.chat_log(cal) if "due" in m.text]
    await scheduling.tick(app, utc(2026, 5, 12, 9))
    await scheduling.tick(app, utc(2026, 5, 13, 9))
    reminders = [m.text for m in api.chat_log(cal) if "An action you own is due" in m.text]
    assert len(reminders) == 1 and "Rota swap trial" in reminders[0] and "Thu 14 May" in reminders[0]


async def test_review_reminders_wait_out_quiet_hours(api, harness, team, hand):
    rule = weekly(TUESDAY, "14:00", quiet=QuietHours("20:00", "11:00"))
    from dataclasses import replace

    save_rule(harness.db, replace(rule, review_on=date(2026, 6, 15)), hand())
    await scheduling.tick(harness.bot.app, utc(2026, 6, 8, 9))  # 10:00 local, still quiet until 11:00
    assert not [m for m in api.chat_log(team.group) if "review" in m.text]
    await scheduling.tick(harness.bot.app, utc(2026, 6, 8, 10))
    assert len([m for m in api.chat_log(team.group) if "review" in m.text]) == 1
    with harness.db.session() as s:
        assert s.exec(select(Schedule).where(Schedule.kind == "reassessment")).one().review_date == date(2026, 6, 15)


async def test_a_member_can_take_the_check_in_to_the_private_chat(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    post = await open_checkin(api, harness, team, hand)
    before = len(api.chat_log(cal))
    sent = await press(api, cal, post, "Answer privately")
    assert "private chat" in sent["text"]
    card = await bot_reply(api, cal, before)
    await press(api, cal, card, "What got in the way")
    await api.wait_for(lambda: api.last(cal).force_reply)
    thanks = await say(api, cal, cal, "Agency staff didn't know the unwritten rules", reply_to=api.last(cal))
    assert "noted" in thanks.text
    with harness.db.session() as s:
        evidence = s.exec(select(Evidence)).one()
        cal_row = s.exec(select(Member).where(Member.display_name == "Cal")).one()
        assert (evidence.stage, evidence.private, evidence.member_id) == ("blocks", True, cal_row.id)
