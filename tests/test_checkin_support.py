""""I'd like some support": the team's own contacts first, then the listening line and emergency numbers of
the team's country (from its time zone), and the person's own choice to let the facilitator know.

End to end through the real bot and the local Bot API server. Nothing about who asked is kept: the
only trace is a count, and letting the facilitator know writes nothing at all.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlmodel import select

from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.models import Dialog, Evidence, Nudge, Participation, Prompt, Rating, Team
from tests.checkin_helpers import posts, save_rule, use_hand_clock, utc, weekly

SLOT = utc(2026, 5, 5, 13)


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=3)


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1))


async def open_checkin(api, harness, team, hand):
    save_rule(harness.db, weekly(1, "14:00"), hand())
    hand.set(SLOT)
    await scheduling.tick(harness.bot.app, SLOT)
    return posts(api, team.group)[-1]


async def ask(api, user, post):
    before = len(api.chat_log(user))
    answered = await press(api, user, post, "support")
    assert answered["text"] == "I've sent you something privately." and not answered.get("show_alert")
    return await bot_reply(api, user, before)


def set_timezone(db, zone: str) -> None:
    with db.session() as s:
        row = s.exec(select(Team)).one()
        row.timezone = zone
        s.add(row)
        s.commit()


async def test_team_contacts_come_first_then_the_countrys_lines(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    card = await say(api, ada, team.group, "/support")
    assert "first" in card.text
    await say(api, ada, team.group, "Sam (supervisor) — 07700 900123\nEmployee assistance: 0800 000 111",
              reply_to=card)
    post = await open_checkin(api, harness, team, hand)

    uk = (await ask(api, dee, post)).text
    order = [uk.index(w) for w in ("Sam (supervisor)", "Employee assistance", "Samaritans", "116 123", "999")]
    assert order == sorted(order)

    set_timezone(harness.db, "Europe/Dublin")
    ireland = (await ask(api, dee, post)).text
    assert "Samaritans — 116 123" in ireland and "112 or 999" in ireland and ireland.index("Sam (") < ireland.index(
        "Samaritans")

    set_timezone(harness.db, "America/Toronto")
    canada = (await ask(api, dee, post)).text
    assert "9-8-8 Suicide Crisis Helpline" in canada and "911" in canada
    assert "116 123" not in canada and "999" not in canada and "Sam (supervisor)" in canada

    set_timezone(harness.db, "Asia/Kolkata")
    unknown = (await ask(api, dee, post)).text
    assert "116 123" not in unknown and "999" not in unknown and "Samaritans" not in unknown
    assert "a listening line where you live" in unknown.lower() and "local emergency number" in unknown
    assert "Sam (supervisor)" in unknown
    with harness.db.session() as s:
        # One person's presses are one sealed request, counted only together with two other people's.
        assert s.exec(select(Team)).one().support_requests == 0


async def test_the_facilitator_is_told_only_if_the_person_chooses(api, harness, team, hand, caplog):
    ada, bea, cal, dee = team.everyone
    menu = await say(api, ada, team.group, "/facilitator")
    await press(api, ada, menu, "Bea")
    await api.wait_idle()
    post = await open_checkin(api, harness, team, hand)
    # (Each press's update id is recorded so it counts once, with its sealed ballot; neither names anyone.)
    tables = (Dialog, Prompt, Nudge, Evidence, Participation, Rating)

    def counts():
        with harness.db.session() as s:
            return {table.__name__: len(s.exec(select(table)).all()) for table in tables}

    before = counts()
    group_before = [m.text for m in api.chat_log(team.group)]
    caplog.set_level(logging.INFO)

    # Cal says no: nobody hears of it.
    reply = await ask(api, cal, post)
    assert "Would you like Bea to know?" in reply.text and "Only if you tap" in reply.text
    bea_before = len(api.chat_log(bea))
    answered = await press(api, cal, reply, "No thanks")
    assert not answered.get("show_alert")
    await api.wait_for(lambda: "Nobody has been told" in reply.text)
    assert not reply.buttons

    # Dee says yes: Bea, and only Bea, gets Dee's name, privately.
    reply = await ask(api, dee, post)
    tell_data = reply.button("Let the facilitator know")
    answered = await press(api, dee, reply, "Let the facilitator know")
    assert "sent privately" in answered["text"]
    note = await bot_reply(api, bea, bea_before)
    assert "Dee from Hope House team tapped “I'd like some support”" in note.text
    await api.wait_for(lambda: "I've let Bea know, privately." in reply.text)
    await api.wait_idle()
    assert len(api.chat_log(bea)) == bea_before + 1
    assert [m.text for m in api.chat_log(team.group)] == group_before
    assert not [m for m in api.chat_log(ada) if "tapped" in m.text]
    # Nothing about who asked, or who chose what, is kept or logged.
    assert counts() == before
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not re.search(r"\b(Dee|Cal)\b", logged) and str(dee.id) not in logged

    # Someone who isn't in the team pressing that choice (a forged press) is refused and tells no one.
    zed = api.create_user("Zed")
    before = len(api.chat_log(zed))
    await api.start_private(zed)
    hello = await bot_reply(api, zed, before)
    bea_count = len(api.chat_log(bea))
    query = await api.press(zed, hello, tell_data, forged=True)
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert api.answer_to(query)["show_alert"]
    await api.wait_idle()
    assert len(api.chat_log(bea)) == bea_count


async def test_a_facilitator_asking_is_not_offered_to_tell_themselves(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    menu = await say(api, ada, team.group, "/facilitator")
    await press(api, ada, menu, "Bea")
    post = await open_checkin(api, harness, team, hand)
    reply = await ask(api, bea, post)
    assert "Would you like" not in reply.text and not reply.buttons and "keep only a count" in reply.text
