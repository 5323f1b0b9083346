"""Many thumbs at once, and every kind of bad input: counted exactly once, refused with nothing changed."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import func, select

from piebot.demo.people import add_bot_and_set_up, say
from piebot.storage.models import Action, Evidence, Participation, Rating, Round, RoundElement
from piebot.telegram.delivery import ratelimit
from tests.rounds_helpers import (
    agree_middle,
    current,
    grid_data,
    next_stage,
    rate,
    rate_all,
    reveal,
    start_round,
    wait_card,
)


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


def _edits(api, message) -> int:
    return sum(
        1 for c in api.calls
        if c.method.lower() == "editmessagetext" and int(c.params.get("message_id", 0)) == message.message_id
    )


async def test_twenty_simultaneous_presses_are_each_counted_once(api, harness):
    team = await add_bot_and_set_up(api, members=20)
    card = await start_round(api, team)
    await api.wait_idle()
    edits_before = _edits(api, card)
    people = team.members
    places = [(1 + i % 4, 1 + i % 5) for i in range(20)]
    presses = [api.press(user, card, grid_data(card, *place)) for user, place in zip(people, places, strict=True)]
    query_ids = await asyncio.gather(*presses)
    await api.wait_for(lambda: all(api.answer_to(q) for q in query_ids), timeout=15)
    card = await wait_card(api, card, "20 of 21 have rated")
    await api.wait_idle(timeout=10)
    with harness.db.session() as s:
        assert s.exec(select(func.count()).select_from(Rating)).one() == 20
        assert s.exec(select(func.count()).select_from(Participation)).one() == 20
    # Batched: a handful of edits for twenty presses, none refused as "not modified".
    assert _edits(api, card) - edits_before <= 4
    assert not [c for c in api.calls if c.status != 200]


async def test_the_group_never_gets_more_than_twenty_a_minute(api, monkeypatch):
    # Uses the real limit. The bot's own rate limiter keeps it, and the debounced card asks little of it.
    from piebot.runner import Bot
    from tests.conftest import make_settings

    api.enforce_limits = True
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 20)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(make_settings(api, f"sqlite:///{tmp}/p.db"))
        await bot.start()
        try:
            team = await add_bot_and_set_up(api, members=2)
            card = await start_round(api, team)
            for _ in range(3):
                await asyncio.gather(*(rate(api, u, card, 2, 1 + i) for i, u in enumerate(team.everyone)))
            await wait_card(api, card, "3 of 3 have rated", timeout=60)
            assert api.stats.too_many_requests == 0
        finally:
            await bot.stop()
            bot.db.dispose()


async def _counts(harness):
    with harness.db.session() as s:
        return tuple(
            s.exec(select(func.count()).select_from(model)).one() for model in (Rating, Participation, Evidence, Action)
        )


async def test_bad_presses_and_replies_are_refused_and_change_nothing(api, harness, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=3)
    group, ada, bea = team.group, team.admin, team.members[0]
    stranger = api.create_user("Zed")
    api.add_member(group, stranger)
    card = await start_round(api, team, scope="One theme", pick="Training and support")
    await rate_all(api, team.everyone[:3], card, [(2, 2), (2, 3), (2, 4)])
    before = await _counts(harness)
    with harness.db.session() as s:
        row_id = s.exec(select(RoundElement).where(RoundElement.position == 0)).one().id

    async def answer(user, data, message=None):
        query = await api.press(user, current(api, message or card), data, forged=True)
        await api.wait_for(lambda: api.answer_to(query) is not None)
        return api.answer_to(query)

    # Someone in the group who never joined: a private hint, not counted.
    hint = await answer(stranger, grid_data(current(api, card), 1, 1))
    assert hint["show_alert"] and "/join" in hint["text"]
    # Forged or malformed button data.
    for data in (f"v1:rt:{row_id + 999}:P1.1", f"v1:rt:{row_id}:P9.9", f"v1:rt:{row_id}:T1.1", "garbage", "v1:rt:x:1"):
        refused = await answer(bea, data)
        assert refused["show_alert"] and ("older message" in refused["text"] or "any more" in refused["text"]), data
    # Facilitator moves by someone who is not one.
    assert "Only the facilitator" in (await answer(bea, f"v1:fc:{row_id}:reveal"))["text"]
    assert "older message" in (await answer(ada, f"v1:fc:{row_id}:zzz"))["text"]
    # Revealing too early is refused with the reason.
    assert await _counts(harness) == before
    early = await answer(ada, f"v1:fc:{row_id}:next")
    assert early["show_alert"] and "Share everyone's views first" in early["text"]

    # A button from an element the session has moved past.
    old = grid_data(current(api, card), 3, 3)
    card = await reveal(api, ada, card)
    await agree_middle(api, ada, card)
    gone = await answer(team.members[2], old)
    assert gone["show_alert"] and "closed" in gone["text"]

    # Replies that can't be kept: nothing stored, a clear answer.
    prompt = await next_stage(api, ada, group, card, "Evidence")
    long_reply = await say(api, bea, group, "x" * 3001, reply_to=prompt)
    assert "3,001 characters" in long_reply.text
    empty = await say(api, bea, group, "   ", reply_to=prompt)
    assert "looks empty" in empty.text
    sticker = {"file_id": "CAAC", "file_unique_id": "s1", "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False}
    before_sticker = len(api.chat_log(group))
    api._post(bea, group, {"sticker": sticker}, reply_to=prompt)
    await api.wait_for(lambda: len(api.chat_log(group)) > before_sticker)
    assert "photos, voice notes and documents" in api.chat_log(group)[before_sticker].text
    outsider = await say(api, stranger, group, "I wasn't asked", reply_to=prompt)
    assert "/join" in outsider.text
    assert await _counts(harness) == before

    # A button from a round that has closed.
    await say(api, ada, group, "/close")
    await api.wait_idle()
    closed = await answer(bea, old)
    assert closed["show_alert"]
    assert await _counts(harness) == before
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().status == "closed"

    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) >= 6
    names = {u.first_name for u in [*team.everyone, stranger]}
    assert not any(n in line for line in refusals for n in names)
