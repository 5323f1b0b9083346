"""The reply to an action's change is never lost, and a reply can't slip past an action's, /support's or
/schedule's question.

A real `piebot run` killed between committing a dropped action and sending its "Dropped" reply sends it
at its next start, once, and puts right the list the press came from. A reason typed the instant the "Why?"
question appears, before the bot has learnt the question's message id, is taken; so are support contacts
typed the instant /support's card appears, and a time typed the instant /schedule asks for it. A question
Telegram refuses leaves nothing waiting for a reply, and pressing again asks again.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage import rounds
from piebot.storage.db import Database
from piebot.storage.models import (
    Action,
    ActionChange,
    ActionQuestion,
    Dialog,
    Member,
    OutboxMessage,
    Prompt,
    Schedule,
    Team,
)
from piebot.telegram.delivery import ratelimit
from tests.checkin_helpers import use_hand_clock, utc
from tests.test_actions import _three_actions, pressed
from tests.test_crash import BotProcess, bot_env

DROPPED = "Dropped: Paint the lounge. Reason kept: Covered by the landlord's works"


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


def count(db: Database, model) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def said(api, chat, words: str) -> list[str]:
    return [m.text for m in api.chat_log(chat) if words in m.text]


def seed_owner_with_an_action(api, database_url: str):
    """A set-up team whose member Bea owns one open action and has opened her private chat with the bot."""
    group = api.create_group("Hall House")
    group.bot_status = "member"
    bea = api.create_user("Bea")
    api.add_member(group, bea)
    db = Database(database_url)
    db.upgrade()
    with Session(db.engine) as s:
        team = Team(chat_id=group.id, chat_title=group.title, name=group.title, set_up=True)
        s.add(team)
        s.flush()
        member = Member(team_id=team.id, telegram_user_id=bea.id, display_name="Bea", private_chat=True)
        s.add(member)
        s.flush()
        rounds.add_action(s, team_id=team.id, text="Paint the lounge", owner_member_id=member.id,
                          due=date.today() + timedelta(days=30))
        s.commit()
    db.dispose()
    return bea


async def test_a_dropped_actions_reply_left_unsent_by_a_killed_process_is_sent_after_restart_once(api, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'actions.db'}"
    bea = seed_owner_with_an_action(api, database_url)
    db = Database(database_url)
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log")
    try:
        await bot.start()
        await api.send(bea, bea, "/actions")
        await api.wait_for(lambda: said(api, bea, "Paint the lounge"), timeout=30)
        listed = api.last(bea)
        await pressed(api, bea, listed, "1 · Drop")
        await api.wait_for(lambda: api.last(bea).force_reply, timeout=10)
        ask = api.last(bea)
        assert "Why?" in ask.text
        # Telegram takes nothing for Bea's chat now: the reply to her reason can only wait in the outbox.
        api.fail_for("sendMessage", 120, code=502, description="Bad Gateway", chat_id=bea.id)
        await api.send(bea, bea, "Covered by the landlord's works", reply_to=ask)
        # The drop is committed, and its reply with it; then the process dies before sending it.
        await api.wait_for(lambda: count(db, ActionChange) == 1, timeout=30)
        await bot.kill()
        assert said(api, bea, "Dropped:") == [], bot.log()
        api.end_outages()
        await bot.start()
        await api.wait_for(lambda: said(api, bea, DROPPED), timeout=30)
        await api.wait_for(lambda: count(db, OutboxMessage) == 0, timeout=10)
        # The list the press came from is put right too.
        await api.wait_for(lambda: "no open actions" in next(
            m for m in api.chat_log(bea) if m.message_id == listed.message_id).text, timeout=10)
        await bot.stop()
        await bot.start()  # another life finds nothing left to send
        await api.wait_idle(timeout=15, quiet=1.0)
        assert len(said(api, bea, "Dropped:")) == 1, bot.log()
        with db.session() as s:
            assert s.exec(select(Action)).one().status == "dropped"
            assert s.exec(select(ActionQuestion)).all() == []
    finally:
        await bot.stop()
        db.dispose()


async def a_team_listing_its_actions(api, harness, monkeypatch):
    """A set-up team with three actions, and the list /actions showed its admin: (group, admin, list)."""
    use_hand_clock(monkeypatch, utc(2026, 5, 1, 9))
    team = await add_bot_and_set_up(api, members=3)
    await _three_actions(harness)
    return team.group, team.admin, await say(api, team.admin, team.group, "/actions")


async def test_a_reason_typed_the_instant_the_drop_question_appears_is_taken(api, harness, monkeypatch,
                                                                            roomy_group_limit):
    group, ada, listed = await a_team_listing_its_actions(api, harness, monkeypatch)
    # The question reaches the group at once, but Telegram's answer to the bot, which carries its
    # message id, is held back.
    before = len(api.chat_log(group))
    api.hold_answer_next("sendMessage", 3.0, chat_id=group.id)
    await pressed(api, ada, listed, "1 · Drop")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]), timeout=5)
    ask = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    with harness.db.session() as s:
        waiting = s.exec(select(ActionQuestion)).all()
    assert [q.message_id < 0 for q in waiting] == [True]  # saved, its id not known yet
    told = await say(api, ada, group, "Covered by the landlord's works", reply_to=ask)
    assert DROPPED in told.text
    with harness.db.session() as s:
        dropped = s.exec(select(Action).where(Action.text == "Paint the lounge")).one()
        assert (dropped.status, dropped.drop_reason) == ("dropped", "Covered by the landlord's works")
        assert s.exec(select(ActionQuestion)).all() == []


async def test_a_question_telegram_refuses_leaves_nothing_waiting_for_a_reply(api, harness, monkeypatch,
                                                                             roomy_group_limit):
    group, ada, listed = await a_team_listing_its_actions(api, harness, monkeypatch)
    # Telegram refuses the "Why?" question for good: nobody can ever reply to it.
    api.fail_next("sendMessage", code=400, description="Bad Request: message is too long", chat_id=group.id)
    await pressed(api, ada, listed, "1 · Drop")
    await api.wait_for(lambda: any(c.method == "sendMessage" and c.status == 400 for c in api.calls))
    await api.wait_idle()
    assert count(harness.db, OutboxMessage) == 0
    with harness.db.session() as s:
        assert s.exec(select(ActionQuestion)).all() == []  # no question left waiting under a placeholder id
        assert s.exec(select(Action).where(Action.text == "Paint the lounge")).one().status == "open"
    # Pressing again asks again, and the reply is taken.
    before = len(api.chat_log(group))
    await pressed(api, ada, listed, "1 · Drop")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]))
    ask = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    told = await say(api, ada, group, "Covered by the landlord's works", reply_to=ask)
    assert DROPPED in told.text


async def test_contacts_typed_the_instant_the_support_card_appears_are_taken(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    group, ada = team.group, team.admin
    before = len(api.chat_log(group))
    api.hold_answer_next("sendMessage", 3.0, chat_id=group.id)
    await api.send(ada, group, "/support")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]), timeout=5)
    card = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    with harness.db.session() as s:
        assert [p.message_id < 0 for p in s.exec(select(Prompt).where(Prompt.chat_id == group.id))] == [True]
    saved = await say(api, ada, group, "Sam (supervisor) — 07700 900123\nEmployee assistance: 0800 000 111",
                      reply_to=card)
    assert saved.text == "✅ Saved 2 support contacts."
    with harness.db.session() as s:
        contacts = s.exec(select(Team)).one().support_contacts
    assert "Sam (supervisor)" in contacts and "Employee assistance" in contacts


async def test_a_time_typed_the_instant_schedule_asks_for_it_is_taken(api, harness, monkeypatch, roomy_group_limit):
    use_hand_clock(monkeypatch, utc(2026, 5, 1, 9))
    team = await add_bot_and_set_up(api, members=1)
    group, ada = team.group, team.admin
    card = await say(api, ada, group, "/schedule")
    await press(api, ada, card, "Tue")

    def shown():
        return next(m for m in api.chat_log(group) if m.message_id == card.message_id)

    await api.wait_for(lambda: "What time?" in shown().text)
    before = len(api.chat_log(group))
    api.hold_answer_next("sendMessage", 3.0, chat_id=group.id)
    await press(api, ada, shown(), "Type a time")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]), timeout=5)
    prompt = next(m for m in api.chat_log(group)[before:] if m.force_reply)
    with harness.db.session() as s:
        assert s.exec(select(Dialog).where(Dialog.chat_id == group.id)).one().state["prompt"] < 0  # not known yet
    await api.send(ada, group, "10:45", reply_to=prompt)
    await api.wait_for(lambda: "ready to save?" in shown().text, timeout=10)
    await press(api, ada, shown(), "Save")
    await api.wait_for(lambda: "Saved" in shown().text)
    with harness.db.session() as s:
        row = s.exec(select(Schedule).where(Schedule.kind == "checkin")).one()
    assert (row.weekday, row.local_time) == (1, "10:45")
