"""A quiet group, through the real bot: an evidence, hinders or helps reply gets a receipt that adds no
message to the group (the bot's reaction on the reply, and its buttons in a short private note to the
author); where the chat allows no reactions, or the bot cannot write to the author, it falls back; and
the bot's group messages per element of a live round are counted."""

from __future__ import annotations

import pytest

from piebot.demo.people import add_bot_and_set_up
from piebot.telegram.delivery import ratelimit
from piebot.telegram.rounds.summary import settle
from tests.rounds_helpers import agree_middle, finish, next_stage, rate_all, reveal, start_round, tap, wait_card

# The bot's messages in the group for one element of a live round, from its card to the end of the
# round, as played in play_one_element. Measured on the code before receipts were made quiet: 9 (the
# card, 4 stage questions, the action's receipt, the summary and an album of 2 charts).
BEFORE = 9


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def play_one_element(api, harness, team) -> int:
    """One element taken through every stage with replies in the group; the bot's group messages."""
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    start = len(api.chat_log(group))
    card = await start_round(api, team)
    await rate_all(api, team.everyone, card, [(2, 2), (2, 3), (2, 4), (3, 1)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    prompt = await next_stage(api, ada, group, card, "Evidence")
    await api.send(bea, group, "We sat with a resident after a hard phone call", reply_to=prompt)
    await api.send(cal, group, "Handover notes now say what worked", reply_to=prompt)
    prompt = await next_stage(api, ada, group, card, "What gets in the way")
    await api.send(dee, group, "Agency staff on nights don't know the unwritten ways", reply_to=prompt)
    prompt = await next_stage(api, ada, group, card, "What helps")
    await api.send(bea, group, "The handover book", reply_to=prompt)
    prompt = await next_stage(api, ada, group, card, "Action plan")
    await api.send(cal, group, "Debrief after nights\nBea\n14/1\nnobody goes home upset", reply_to=prompt)
    await api.wait_idle()
    await tap(api, ada, card, "Close this element")
    await wait_card(api, card, "Done for this element")
    await finish(api, ada, group, card)
    await api.wait_idle(timeout=30)
    await settle(harness.bot.app)
    await api.wait_idle()
    # The first message is the wizard's own (/assess), edited into "round started": not the element's.
    return len(api.chat_log(group)) - start - 1


async def test_group_messages_per_element(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    count = await play_one_element(api, harness, team)
    print(f"group messages for one element: {count} (before quiet receipts: {BEFORE})")
    assert count < BEFORE
