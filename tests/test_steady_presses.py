"""Answering a press never decides whether its work happens: presses that grew too old behind a stopped
bot are all stored and counted, a forged press is refused quietly, and a group waiting out a 429 does
not hold up another group's buttons."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlmodel import func, select

from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.storage.models import Rating
from tests.rounds_helpers import grid_data, start_round, wait_card

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_twenty_presses_that_waited_behind_a_stopped_bot_are_all_stored(api, harness, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=20)
    card = await start_round(api, team)
    await api.wait_idle()
    await harness.stop()
    places = [(1 + i % 4, 1 + i % 5) for i in range(20)]
    queries = [await api.press(user, card, grid_data(card, *place))
               for user, place in zip(team.members, places, strict=True)]
    # 16 seconds go by: Telegram no longer lets the bot answer any of these presses.
    api.move_clock(16)
    await harness.start()
    await wait_card(api, card, "20 of 21 have rated", timeout=30)
    await api.wait_idle(timeout=20)
    with harness.db.session() as s:
        assert s.exec(select(func.count()).select_from(Rating)).one() == 20
    assert all(api.answer_to(q) is None for q in queries)
    refused = [c for c in api.calls if c.method == "answerCallbackQuery" and c.status == 400]
    assert len(refused) == 20  # each tried once, none retried
    assert errors(caplog) == []
    assert not [r for r in caplog.records if "gave up" in r.getMessage() or "retrying" in r.getMessage()]


async def test_a_forged_press_is_refused_without_an_error(api, harness, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    card = await start_round(api, team)
    for data in ("v1:rt:999999:P1.1", "garbage", grid_data(card, 1, 1)[:-1] + "9"):
        query = await api.press(team.members[0], card, data, forged=True)
        await api.wait_for(lambda q=query: api.answer_to(q) is not None)
        assert api.answer_to(query)["show_alert"]
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.exec(select(func.count()).select_from(Rating)).one() == 0
    assert errors(caplog) == []


async def test_a_group_that_draws_a_429_does_not_delay_another_groups_button_answers(api, harness):
    held = await add_bot_and_set_up(api, title="Ash House", members=1)
    other = await add_bot_and_set_up(api, title="Birch Court", members=1)
    card = await say(api, other.admin, other.group, "/retention")
    await api.wait_idle()
    api.fail_next("sendMessage", code=429, retry_after=10, chat_id=held.group.id)
    before_held = len(api.chat_log(held.group))
    asked = time.monotonic()
    await api.send(held.members[0], held.group, "/help")
    await api.wait_for(lambda: api.stats.too_many_requests == 1)
    # While Ash House waits out its 429, Birch Court's presses and commands are answered at once.
    started = time.monotonic()
    query = await api.press(other.admin, card, card.button("365"))
    await api.wait_for(lambda: api.answer_to(query) is not None, timeout=6)
    await api.wait_for(lambda: any("365 days" in m.text for m in api.chat_log(other.group)), timeout=6)
    assert "/assess" in (await say(api, other.members[0], other.group, "/help")).text
    assert time.monotonic() - started < 6
    # And Ash House gets its answer once its wait is over, once.
    answer = await bot_reply(api, held.group, before_held, timeout=20)
    assert "/assess" in answer.text and time.monotonic() - asked >= 9.5
    await asyncio.sleep(0.2)
    assert len(api.chat_log(held.group)) == before_held + 1
