"""The relationships thread through the real bot: items of three elements of a live round, marked as about
relationships with one tap on their receipts, come back under the round's summary and from /chart."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.models import Evidence
from piebot.telegram import gatekeeper
from piebot.telegram.delivery import ratelimit
from tests.rounds_helpers import (
    agree_middle,
    current,
    next_card,
    next_stage,
    rate_all,
    reveal,
    start_round,
    summary_after,
    tap,
)

SAID = ["Bea sat with Jo's mum at the door for an hour", "We never learn the names of agency staff",
        "Night staff text each other after a hard shift"]


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def test_items_of_three_elements_make_the_thread(api, harness):
    # The facilitator taps through three elements in seconds: more presses than a person's flood limit allows.
    harness.bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=1000)
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    card = await start_round(api, team, scope="One theme", pick="Psychological awareness")
    for n, said in enumerate(SAID):
        await rate_all(api, team.everyone, card, [(2, 1), (2, 3), (3, 1), (2, 5)])
        card = await reveal(api, ada, card)
        card = await agree_middle(api, ada, card)
        prompt = await next_stage(api, ada, group, card, "Evidence")
        await api.send(bea, group, said, reply_to=prompt)
        await api.send(cal, group, f"Something else on element {n + 1}", reply_to=prompt)
        await api.wait_idle()
        if n < len(SAID) - 1:
            # What gets in the way, what helps, the action plan: nothing said this time.
            while "Close this element" not in str(current(api, card).buttons):
                await tap(api, ada, card, "Next:")
                await api.wait_idle()
            card = await next_card(api, ada, group, card)

    # Bea marks hers from each receipt (the private note under her reply) with one tap.
    for said in SAID:
        note = next(m for m in api.chat_log(bea) if said in m.text and m.buttons)
        marked = await press(api, bea, note, "About relationships")
        assert "relationships thread" in marked["text"]
    await api.wait_idle()
    with harness.db.session() as s:
        assert sorted(s.exec(select(Evidence.text).where(Evidence.about_relationships))) == sorted(SAID)
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    assert "🤝 Relationships thread: 3 items in 3 elements." in summary.text

    await api.wait_idle()
    menu = await say(api, dee, group, "/chart")
    before = len(api.chat_log(group))
    await press(api, dee, menu, "Relationships thread")
    await api.wait_for(lambda: any("Relationships thread —" in m.text for m in api.chat_log(group)[before:]),
                       timeout=10)
    thread = next(m for m in api.chat_log(group)[before:] if "Relationships thread —" in m.text)
    for element, said in zip(("Empathy and emotional intelligence", "Approaches and techniques",
                              "Psychological models"), SAID, strict=True):
        assert element in thread.text and said in thread.text
    assert "Something else" not in thread.text and "Bea," not in thread.text.split("\n")[0]
