"""A private chat that receives many messages back to back (the network overview, /export) is paced by
the rate limiter so that Telegram never answers 429: the local server here enforces Telegram's limits,
about one message a second per private chat (three in any three seconds, the rule both keep)."""

from __future__ import annotations

import pytest

from piebot.demo.people import add_bot_and_set_up, say
from piebot.localapi import Limits
from tests.conftest import Harness
from tests.test_charts_bot import FIRST, album_of, documents, play_round
from tests.test_networks import accept, add_checkins, code_in, fresh_code, new_network, overview, run_round, sends


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


def paced(api, chat) -> bool:
    """Every send found room in the chat's window: the messages of the sends before it in the last few
    seconds, and its own (an album bigger than the window needs it empty), within the count."""
    count, seconds = Limits().per_private_chat
    sends: dict[object, list[float]] = {}
    for m in api.chat_log(chat):
        sends.setdefault(album_of(m) or ("single", m.message_id), []).append(m.sent_at)
    ordered = sorted(sends.values(), key=min)
    for number, times in enumerate(ordered):
        at = min(times)
        before = sum(1 for earlier in ordered[:number] for t in earlier if at - seconds < t <= at)
        if before + min(len(times), count) > count:
            return False
    return True


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
        add_checkins(harness.db, team.group.id)
    sent = await overview(api, lead, card)
    # Four charts in one album, more than the chat's window holds, the intro on the first; the gaps on the
    # PDF: 5 messages in 2 sends, where one by one it was 7 (intro, 4 pictures, gaps, PDF) in 7.
    assert [m.kind for m in sent] == ["photo"] * 4 + ["document"] and sends(sent) == 2
    assert "overview of 2 teams" in sent[0].text and "Gaps and barriers" in sent[-1].text
    await api.wait_idle(timeout=30)
    assert api.stats.too_many_requests == 0
    assert paced(api, lead)


async def test_an_export_to_a_private_chat_draws_no_429(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    play_round(harness.db, team.group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    await say(api, team.admin, team.group, "/report")
    await say(api, team.admin, team.group, "/export")
    await api.wait_for(lambda: len(documents(api, team.admin)) == 4, timeout=30)
    # The report one file; the export's three spreadsheets one album: 2 sends, where it was 4.
    assert sends(documents(api, team.admin)) == 2
    await api.wait_idle(timeout=30)
    assert api.stats.too_many_requests == 0
    assert paced(api, team.admin)
