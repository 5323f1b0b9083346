"""A check-in says only what people said: beads tapped in the group are levels, counted and drawn as levels
next to places chosen in private; and a facilitator can close a check-in early, its summary posted once.

End to end through the real bot and the local Bot API server; time is a hand-moved clock driving `tick`.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, bot_reply, press
from piebot.storage.models import CheckIn, Rating
from piebot.storage.schedules import aware
from tests.checkin_helpers import posts, save_rule, summaries, use_hand_clock, utc, weekly

TUESDAY = 1
FIRST_SLOT = utc(2026, 5, 5, 13)  # Tue 5 May 2026, 14:00 in London
SECOND_SLOT = utc(2026, 5, 12, 13)


@pytest.fixture
async def team(api, harness):
    return await add_bot_and_set_up(api, members=3)


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1))


async def tick_at(harness, hand, moment):
    hand.set(moment)
    await scheduling.tick(harness.bot.app, moment)


async def place_privately(api, user, post, level: str, position: str):
    """'Answer privately' on the group post, then the level and the place on the private card."""
    before = len(api.chat_log(user))
    await press(api, user, post, "Answer privately")
    card = await bot_reply(api, user, before)
    await press(api, user, card, level)
    await api.wait_for(lambda: "where in it" in api.last(user).text)
    return await press(api, user, api.last(user), position)


def trend_photos(api, group) -> list:
    return [m for m in api.chat_log(group) if m.kind == "photo" and "over time" in m.text]


async def test_level_taps_are_counted_and_drawn_as_levels_beside_places(api, harness, team, hand, tmp_path):
    ada, bea, cal, dee = team.everyone
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    # Week one: everyone chooses an exact place in private (Well on the way, place 4: index 14).
    await tick_at(harness, hand, FIRST_SLOT)
    first = posts(api, team.group)[-1]
    for user in (bea, cal, dee):
        assert "well along" in (await place_privately(api, user, first, "Well on the way", "along"))["text"]
    # Week two: three taps on "Getting there" in the group, which name the level and nothing finer.
    await tick_at(harness, hand, SECOND_SLOT)
    second = posts(api, team.group)[-1]
    for user in (bea, cal, dee):
        await press(api, user, second, "Getting there")
    with harness.db.session() as s:
        second_id = s.exec(select(CheckIn).order_by(CheckIn.id.desc())).first().id
        tapped = s.exec(select(Rating).where(Rating.checkin_id == second_id)).all()
    assert {(r.value, r.level_only) for r in tapped} == {(6, True)}  # the level's range, not its middle

    await tick_at(harness, hand, utc(2026, 5, 13, 13))
    await api.wait_for(lambda: len(trend_photos(api, team.group)) == 2, timeout=30)
    summary = summaries(api, team.group)[-1]
    assert "• 3 said Getting there\nMiddle view: Getting there" in summary.text
    # Not "a drop from 14 to 8": the change is said in levels, like with like.
    assert "Since the last check-in: down a level, to Getting there" in summary.text
    trend = trend_photos(api, team.group)[-1]
    assert trend.text == ("Responsiveness over time: 2 check-ins.\n"
                          "Latest, 12 May 2026: 3 answered, middle view Getting there.")
    # Every figure, in words, under "In words": to whoever asks, privately.
    await press(api, bea, trend, "In words")
    await api.wait_for(lambda: "Since 5 May 2026" in api.last(bea).text, timeout=10)
    words = api.last(bea).text
    assert "Latest, 12 May 2026: 3 answered — 3 in Getting there. Middle view: Getting there." in words
    assert "Since 5 May 2026: down a level, to Getting there." in words
    assert "5 May 2026 Well on the way — well along (3 answered)" in words
    assert trend.file[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "trend.png").write_bytes(trend.file)  # to look at: pytest --basetemp=DIR


async def test_close_now_posts_the_summary_at_once_and_only_once(api, harness, team, hand):
    ada, bea, cal, dee = team.everyone
    save_rule(harness.db, weekly(TUESDAY, "14:00"), hand())
    await tick_at(harness, hand, FIRST_SLOT)
    post = posts(api, team.group)[-1]
    close, embedded = post.button("Close now"), post.button("Embedded")
    for user, level in ((bea, "Getting there"), (cal, "Well on the way"), (dee, "Well on the way")):
        await press(api, user, post, level)
    refused = await press(api, bea, post, "Close now")
    assert refused["show_alert"] and "facilitator" in refused["text"]
    assert summaries(api, team.group) == []

    hand.set(utc(2026, 5, 5, 13, 20))  # twenty minutes in: the meeting is done
    closed = await press(api, ada, post, "Close now")
    assert "summary" in closed["text"]
    await api.wait_for(lambda: summaries(api, team.group))
    assert "3 of 4 answered" in summaries(api, team.group)[0].text
    await api.wait_for(lambda: trend_photos(api, team.group), timeout=30)
    assert api.chat_log(team.group)[-1].kind == "photo"
    # A check-in's close is one message and at most one picture: the summary, then its trend.
    await api.wait_idle()
    log = api.chat_log(team.group)
    closing = log[next(i for i, m in enumerate(log) if m.message_id == summaries(api, team.group)[0].message_id):]
    assert [m.kind for m in closing] == ["text", "photo"] and len(closing[1].text.splitlines()) <= 2
    await api.wait_for(lambda: not post.buttons)  # the post keeps its words and loses its buttons

    # A second press (an old client still showing the buttons), the next sweeps and the end of the old
    # window all find it closed: still one summary.
    for user, data in ((ada, close), (cal, embedded)):
        query = await api.press(user, post, data, forged=True)
        await api.wait_for(lambda query=query: api.answer_to(query) is not None)
        assert api.answer_to(query)["show_alert"] and "closed" in api.answer_to(query)["text"]
    for moment in (utc(2026, 5, 5, 13, 21), utc(2026, 5, 6, 13), utc(2026, 5, 6, 14)):
        await tick_at(harness, hand, moment)
    await api.wait_idle()
    assert len(summaries(api, team.group)) == 1
    with harness.db.session() as s:
        checkin = s.exec(select(CheckIn)).one()
        assert aware(checkin.closed_at) == aware(checkin.closes_at) == utc(2026, 5, 5, 13, 20)
