"""Actions followed to done, end to end: the private reminder's buttons, /actions in the group and in
private, who may press what, and the history of every change."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.storage import actions as store
from piebot.storage import rounds
from piebot.storage.models import Action, ActionChange, ActionQuestion, Member, Team
from piebot.telegram.actions.views import Origin, Verb, data
from piebot.telegram.delivery import ratelimit
from tests.checkin_helpers import use_hand_clock, utc
from tests.rounds_helpers import agree_middle, next_stage, rate_all, reveal, start_round, summary_after, tap
from tests.test_charts_bot import documents, pdf_text, photos


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1, 9))


async def pressed(api, user, message, label: str) -> dict:
    query_id = await api.press(user, message, message.button(label))
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


async def forged(api, user, message, data_: str) -> dict:
    query_id = await api.press(user, message, data_, forged=True)
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


def now_of(api, message):
    return next(m for m in api.chat_log(message.chat_id) if m.message_id == message.message_id)


async def edited(api, message, words: str):
    await api.wait_for(lambda: words in now_of(api, message).text, timeout=10)
    return now_of(api, message)


def reminders_to(api, user) -> list:
    return [m for m in api.chat_log(user) if "action you own" in m.text]


async def test_owners_settle_their_actions_from_the_private_reminder(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, _dee) = team.group, team.admin, team.members
    card = await start_round(api, team)
    await rate_all(api, team.everyone, card, [(2, 1), (2, 3), (3, 1), (2, 5)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    for stage in ("Evidence", "What gets in the way", "What helps"):
        await next_stage(api, ada, group, card, stage)
    prompt = await next_stage(api, ada, group, card, "Action plan")
    # The receipts are quiet: a reaction on each reply, the "Action noted" to its author in private.
    await api.send(cal, group, "Weekly debrief after nights\nBea\n2026-05-14\nnobody goes home upset",
                   reply_to=prompt)
    await api.send(ada, group, "Rota swap trial\nCal\n2026-05-20", reply_to=prompt)
    await api.wait_for(lambda: any("Action noted: Rota swap trial" in m.text for m in api.chat_log(ada)))
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    await summary_after(api, group, before)

    # Two days before its date, Bea's reminder comes with the buttons; one tap and it is done.
    app = harness.bot.app
    hand.set(utc(2026, 5, 12, 9))
    await scheduling.tick(app, hand())
    [reminder] = reminders_to(api, bea)
    assert "due on Thu 14 May" in reminder.text and "Weekly debrief after nights" in reminder.text
    assert [label for row in reminder.buttons for label, _ in row] == ["Done ✅", "Drop it", "Still on — new date"]
    answer = await pressed(api, bea, reminder, "Done")
    assert answer["text"] == "Marked done ✅" and not answer.get("show_alert")
    reminder = await edited(api, reminder, "✅ Done")
    assert "✅ Done — Tue 12 May" in reminder.text and reminder.buttons == [[("↩️ Undo", reminder.button("Undo"))]]

    # Cal's is past its date: the morning after, he is asked what happened and keeps it on.
    hand.set(utc(2026, 5, 21, 9))
    await scheduling.tick(app, hand())
    [late] = reminders_to(api, cal)
    assert "Past its date" in late.text and "was due Wed 20 May" in late.text
    await pressed(api, cal, late, "Still on")
    picker = await edited(api, late, "By when now?")
    assert "In a week · Thu 28 May" in str(picker.buttons) and "In a month · Sun 21 Jun" in str(picker.buttons)
    answer = await pressed(api, cal, picker, "In two weeks")
    assert answer["text"] == "Still on, now by Thu 4 Jun"
    late = await edited(api, late, "🗓 Still on")
    sent = len(api.chat_log(cal)), len(api.chat_log(bea))
    await scheduling.tick(app, hand())  # nothing more today, and not again for the old date
    assert (len(api.chat_log(cal)), len(api.chat_log(bea))) == sent

    with harness.db.session() as s:
        debrief = s.exec(select(Action).where(Action.text.startswith("Weekly"))).one()
        rota = s.exec(select(Action).where(Action.text.startswith("Rota"))).one()
        assert (debrief.status, rota.status, rota.due) == ("done", "still_on", date(2026, 6, 4))
        done_history = store.history(s, debrief.id)
        kept_history = store.history(s, rota.id)
        assert len(s.exec(select(ActionChange)).all()) == 2
    assert [(e.on, e.status, e.by, e.role) for e in done_history[1:]] == [(date(2026, 5, 12), "done", "Bea", "owner")]
    assert done_history[0].status is None and done_history[0].due == date(2026, 5, 14)
    assert kept_history[0].due == date(2026, 5, 20)  # the date first agreed is kept
    assert [(e.on, e.status, e.due, e.by) for e in kept_history[1:]] == [
        (date(2026, 5, 21), "still_on", date(2026, 6, 4), "Cal")]


async def _three_actions(harness) -> dict[str, int]:
    """Bea's (overdue), Cal's (due later) and one with no owner (overdue longest), made in the team's round."""
    with harness.db.session() as s:
        team = s.exec(select(Team)).one()
        members = {m.display_name: m.id for m in s.exec(select(Member))}
        round_ = rounds.open_round(s, team_id=team.id, element_ids=["responsiveness"], scope="element",
                                   scope_ref="responsiveness", mode="live", anonymous=False,
                                   framework_variant="pies2", opened_by=None)
        made = {
            "bea": rounds.add_action(s, team_id=team.id, text="Fix the rota", round_id=round_.id,
                                     element_id="responsiveness", owner_member_id=members["Bea"],
                                     due=date(2026, 4, 28)),
            "cal": rounds.add_action(s, team_id=team.id, text="Ask about training", round_id=round_.id,
                                     element_id="responsiveness", owner_member_id=members["Cal"],
                                     due=date(2026, 5, 20)),
            "nobody": rounds.add_action(s, team_id=team.id, text="Paint the lounge", round_id=round_.id,
                                        element_id="responsiveness", due=date(2026, 4, 10)),
        }
        rounds.close_round(s, round_)
        s.commit()
        return {k: a.id for k, a in made.items()}


async def test_the_group_list_puts_overdue_first_and_only_the_allowed_change_an_action(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, _cal, dee) = team.group, team.admin, team.members
    ids = await _three_actions(harness)

    listed = await say(api, dee, group, "/actions")
    text = listed.text
    assert text.index("Paint the lounge") < text.index("Fix the rota") < text.index("Ask about training")
    assert "1. ⏰ Paint the lounge — no one named yet, was due Fri 10 Apr" in text
    assert "2. ⏰ Fix the rota — Bea, was due Tue 28 Apr" in text
    assert "3. Ask about training — Cal, by Wed 20 May" in text

    # Dee is neither owner, facilitator nor admin: refused kindly, nothing changes.
    refused = await pressed(api, dee, listed, "2 · Done")
    assert refused["show_alert"] and "Only Bea (it's theirs), the facilitator or an admin" in refused["text"]
    refused = await pressed(api, dee, listed, "1 · Drop")
    assert refused["show_alert"] and refused["text"] == "Only the facilitator or an admin can change this one."
    # Bea owns hers: done from the group's list, which is put right at once.
    assert (await pressed(api, bea, listed, "2 · Done"))["text"] == "Marked done ✅"
    listed = await edited(api, listed, "Settled this week")
    assert "✅ Fix the rota — done Fri 1 May" in listed.text and "2. Ask about training" in listed.text

    # The admin drops the ownerless one, with a reason given as a reply.
    before = len(api.chat_log(group))
    await pressed(api, ada, listed, "1 · Drop")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]))
    ask = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    assert "Why?" in ask.text and "Paint the lounge" in ask.text
    nosy = await say(api, dee, group, "Because I said so", reply_to=ask)
    assert "Only the facilitator or an admin" in nosy.text
    told = await say(api, ada, group, "Covered by the landlord's works", reply_to=ask)
    assert "Dropped: Paint the lounge. Reason kept: Covered by the landlord's works" in told.text
    listed = await edited(api, listed, "dropped: Covered")

    # A facilitator keeps Cal's on, with a date typed as a reply.
    with harness.db.session() as s:
        s.exec(select(Member).where(Member.display_name == "Dee")).one().facilitator = True
        s.commit()
    await pressed(api, dee, listed, "1 · Still on")
    picker = await edited(api, listed, "By when now?")
    before = len(api.chat_log(group))
    await pressed(api, dee, picker, "Another date")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]))
    ask = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    assert "couldn't read “someday” as a date" in (await say(api, dee, group, "someday", reply_to=ask)).text
    told = await say(api, dee, group, "in 3 weeks", reply_to=ask)
    assert "Still on: Ask about training, now by Fri 22 May" in told.text
    await edited(api, listed, "Ask about training — Cal, by Fri 22 May (still on)")

    with harness.db.session() as s:
        by_id = {a.id: a for a in s.exec(select(Action))}
        assert (by_id[ids["bea"]].status, by_id[ids["nobody"]].status, by_id[ids["cal"]].status) == (
            "done", "dropped", "still_on")
        assert by_id[ids["nobody"]].drop_reason == "Covered by the landlord's works"
        roles = [(c.action_id, c.role) for c in s.exec(select(ActionChange).order_by(ActionChange.id))]
        assert roles == [(ids["bea"], "owner"), (ids["nobody"], "admin"), (ids["cal"], "facilitator")]
        assert s.exec(select(ActionQuestion)).all() == []  # answered questions leave nothing behind

    # A forged press (another team's action, or a verb piebot never sends) changes nothing.
    other = api.create_group("Another house")
    with harness.db.session() as s:
        stranger = Team(chat_id=other.id, chat_title="Another house", name="Another house", set_up=True)
        s.add(stranger)
        s.flush()
        foreign = rounds.add_action(s, team_id=stranger.id, text="Their action")
        s.commit()
        foreign_id = foreign.id
    answer = await forged(api, ada, listed, data(foreign_id, Verb.DONE, Origin.GROUP_LIST))
    assert answer["show_alert"] and answer["text"] == "That button belongs to another chat."
    answer = await forged(api, ada, listed, f"v1:ac:{ids['cal']}:zz.g")
    assert answer["show_alert"]
    with harness.db.session() as s:
        assert s.get(Action, foreign_id).status == "open" and s.get(Action, ids["cal"]).status == "still_on"


async def test_a_member_sees_only_their_own_actions_in_private(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, (bea, cal) = team.group, team.members[:2]
    ids = await _three_actions(harness)
    mine = await say(api, bea, bea, "/actions")
    assert "Your open actions" in mine.text and "Fix the rota" in mine.text
    assert "Ask about training" not in mine.text and "Paint the lounge" not in mine.text
    # A button of the group's list pressed in a private chat is refused: privately, only one's own.
    answer = await forged(api, bea, mine, data(ids["cal"], Verb.DONE, Origin.PRIVATE_LIST))
    assert answer["show_alert"] and "isn't yours" in answer["text"]
    assert (await pressed(api, bea, mine, "1 · Done"))["text"] == "Marked done ✅"
    await edited(api, mine, "You have no open actions")
    before = len(api.chat_log(cal))
    await api.send(cal, cal, "/actions")
    theirs = await bot_reply(api, cal, before)
    assert "Ask about training" in theirs.text and "Fix the rota" not in theirs.text
    with harness.db.session() as s:
        assert s.get(Action, ids["bea"]).status == "done" and s.get(Action, ids["cal"]).status == "open"
    assert "Fix the rota" not in (await say(api, cal, group, "/actions")).text.split("Settled")[0]


async def test_the_report_and_the_actions_chart_keep_the_bots_calendar_as_the_reminders_do(api, harness, hand):
    """The bot's clock, not the wall clock, says what is past its date: moved on by hand here (as the demo
    moves it), the report and the chart say what the owner's reminder said that day."""
    team = await add_bot_and_set_up(api, members=3)
    group, ada, bea = team.group, team.admin, team.members[0]
    with harness.db.session() as s:
        team_row = s.exec(select(Team)).one()
        owner = s.exec(select(Member).where(Member.display_name == "Bea")).one()
        round_ = rounds.open_round(s, team_id=team_row.id, element_ids=["responsiveness"], scope="element",
                                   scope_ref="responsiveness", mode="live", anonymous=False,
                                   framework_variant="pies2", opened_by=None)
        rounds.add_action(s, team_id=team_row.id, text="Pair new night staff", round_id=round_.id,
                          element_id="responsiveness", owner_member_id=owner.id, due=date(2026, 5, 20))
        rounds.close_round(s, round_)
        s.commit()
    app = harness.bot.app

    async def report_words() -> str:
        before = len(documents(api, ada))
        await say(api, ada, group, "/report")
        await api.wait_for(lambda: len(documents(api, ada)) > before, timeout=30)
        return " ".join(pdf_text(documents(api, ada)[-1].file).split())

    async def actions_caption() -> str:
        menu = await say(api, bea, group, "/chart")
        before = len(photos(api, group))
        await pressed(api, bea, menu, "Our actions")
        await api.wait_for(lambda: len(photos(api, group)) > before, timeout=30)
        return photos(api, group)[-1].text

    # Two days before its date (the wall clock is long past it): the reminder, the chart and the report
    # all call it open, as the bot's calendar says.
    hand.set(utc(2026, 5, 18, 9))
    await scheduling.tick(app, hand())
    [reminder] = reminders_to(api, bea)
    assert "due on Wed 20 May" in reminder.text and "Past its date" not in reminder.text
    assert (await actions_caption()).startswith("Our actions: 1 — 1 open.")
    words = await report_words()
    assert "Pair new night staff" in words and "Open" in words and "Past its date" not in words

    # The day after its date: the reminder and the report both say it is past its date.
    hand.set(utc(2026, 5, 21, 9))
    await scheduling.tick(app, hand())
    late = reminders_to(api, bea)[-1]
    assert "Past its date" in late.text and "was due Wed 20 May" in late.text
    words = await report_words()
    assert "Past its date" in words and "Open" not in words
