"""A private chat that receives many messages back to back (the network overview, /export) is paced by
the rate limiter so that Telegram never answers 429: the local server here enforces Telegram's limits,
about one message a second per private chat (three in any three seconds, the rule both keep)."""

from __future__ import annotations

import pytest

from piebot.demo.people import add_bot_and_set_up, say
from piebot.localapi import Limits
from tests.conftest import Harness
from tests.test_charts_bot import FIRST, documents, play_round
from tests.test_networks import accept, code_in, fresh_code, new_network, overview, run_round


@pytest.fixture
async def harness(api, sqlite_url):
    """The bot against a server that enforces Telegram's limits, with the rate limiter that keeps them."""
    api.enforce_limits = True
    harness = Harness(api=api, database_url=sqlite_url)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max((sum(1 for t in times if start <= t < start + seconds) for start in times), default=0)


def paced(api, chat) -> bool:
    count, seconds = Limits().per_private_chat
    return most_in_any_window([m.sent_at for m in api.chat_log(chat)], seconds) <= count


async def test_the_network_overview_to_a_private_chat_draws_no_429(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    ash = await add_bot_and_set_up(api, title="Ash House", members=3)
    birch = await add_bot_and_set_up(api, title="Birch Court", members=3)
    await accept(api, ash, code_in(card))
    await accept(api, birch, await fresh_code(api, lead, card))
    for team in (ash, birch):
        run_round(harness.db, team.group.id, {"pathways": (6, [5, 6, 8]), "responsiveness": (9, [9, 9, 10])})
        run_round(harness.db, team.group.id, {"pathways": (8, [7, 8, 12])})
    sent = await overview(api, lead, card)
    assert len(sent) >= 5 and any(m.kind == "photo" for m in sent)
    await api.wait_idle(timeout=30)
    assert api.stats.too_many_requests == 0
    assert paced(api, lead)


async def test_an_export_to_a_private_chat_draws_no_429(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    await say(api, team.admin, team.group, "/report")
    await say(api, team.admin, team.group, "/export")
    await api.wait_for(lambda: len(documents(api, team.admin)) == 4, timeout=30)
    await api.wait_idle(timeout=30)
    assert api.stats.too_many_requests == 0
    assert paced(api, team.admin)
