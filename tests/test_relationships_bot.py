"""The relationships thread through the real bot: items of three elements of a live round, marked as about
relationships with one tap on their receipts, come back under the round's summary and from /chart; and an
anonymous round's items, once the ballot box has let them in, marked by the facilitator from /items (their
authors' notes offer no such button), come back the same way without anyone's name."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.models import Evidence, RelationshipMark, SealedBallot
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
    wait_card,
)

SAID = ["Bea sat with Jo's mum at the door for an hour", "We never learn the names of agency staff",
        "Night staff text each other after a hard shift"]


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def relationships_thread(api, who, group):
    """The relationships thread as `who` gets it from the /chart menu in the group."""
    menu = await say(api, who, group, "/chart")
    before = len(api.chat_log(group))
    await press(api, who, menu, "Relationships thread")
    await api.wait_for(lambda: any("Relationships thread —" in m.text for m in api.chat_log(group)[before:]),
                       timeout=10)
    return next(m for m in api.chat_log(group)[before:] if "Relationships thread —" in m.text)


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
    thread = await relationships_thread(api, dee, group)
    for element, said in zip(("Empathy and emotional intelligence", "Approaches and techniques",
                              "Psychological models"), SAID, strict=True):
        assert element in thread.text and said in thread.text
    assert "Something else" not in thread.text and "Bea," not in thread.text.split("\n")[0]


ANONYMOUS_SAID = ["Agency staff are never introduced at handover", "Night staff check on each other by text",
                  "The key worker sat in on the family visit", "Handover notes skip how people are feeling",
                  "The cook knows every resident's birthday", "The rota splits up people who work well together",
                  "New starters shadow for a whole week"]


def _listed(api, user, before: int):
    return next(m for m in api.chat_log(user)[before:] if "The round's items" in m.text)


async def test_a_facilitator_marks_an_anonymous_rounds_items_from_items_and_the_thread_names_nobody(api, harness):
    harness.bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=1000)
    team = await add_bot_and_set_up(api, members=6)
    group, ada, bea = team.group, team.admin, team.members[0]
    names = [u.first_name for u in team.everyone]
    card = await start_round(api, team, anonymous=True)
    await rate_all(api, team.everyone, card, [(1, 1), (1, 3), (2, 2), (2, 4), (3, 1), (3, 3), (4, 2)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    question = await next_stage(api, ada, group, card, "Evidence")
    for user, said in zip(team.everyone, ANONYMOUS_SAID, strict=True):
        before = len(api.chat_log(user))
        await api.send(user, group, said, reply_to=question)
        await api.wait_for(lambda user=user, before=before: len(api.chat_log(user)) > before)
    await wait_card(api, card, f"Evidence: {len(team.everyone)}")
    await api.wait_idle()
    # The authors' notes carry none of it and no "About relationships": a button there would tie them to it.
    for user in team.everyone:
        assert not any("About relationships" in label for m in api.chat_log(user) for row in m.buttons
                       for label, _ in row)
    with harness.db.session() as s:
        landed = sorted(s.exec(select(Evidence.text).where(Evidence.stage == "evidence")))
        assert s.exec(select(SealedBallot)).all()  # some still sealed: three people are held back
    assert 3 <= len(landed) < len(team.everyone)  # in batches of three people; the rest wait, not listed

    # A plain member cannot go through the items.
    refused = await say(api, bea, group, "/items")
    assert "Only the facilitator" in refused.text
    before = len(api.chat_log(ada))
    assert "in private" in (await say(api, ada, group, "/items")).text
    await api.wait_for(lambda: any("The round's items" in m.text for m in api.chat_log(ada)[before:]))
    listed = _listed(api, ada, before)
    assert "anonymous" in listed.text
    # Only what has gone in, without a name; a mark and nothing else (no Edit, no Remove).
    for said in ANONYMOUS_SAID:
        assert (said in listed.text) == (said in landed), said
    assert not any(f" {name}" in listed.text or f"{name} " in listed.text for name in names)
    labels = [label for row in listed.buttons for label, _ in row]
    assert labels == [f"🤝 About relationships {n}" for n in range(1, len(landed) + 1)]

    # The list's buttons in a plain member's hands: refused, and nothing is marked.
    refused = await press(api, bea, listed, "About relationships 3")
    assert "Only a facilitator" in refused["text"]
    for n in (1, 2):
        marked = await press(api, ada, current(api, listed), f"About relationships {n}")
        assert "relationships thread" in marked["text"]
    assert "Not about relationships 1" in str(current(api, listed).buttons)
    await api.wait_idle()
    with harness.db.session() as s:
        marked = sorted(s.exec(select(Evidence.text).join(RelationshipMark,
                                                          RelationshipMark.evidence_id == Evidence.id)))
        # The mark stays out of the anonymous answer rows.
        assert not s.exec(select(Evidence).where(Evidence.about_relationships)).all()
    assert len(marked) == 2 and set(marked) <= set(landed)

    # The round ends: every answer goes in under a new key, and the marks follow their items.
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    assert "🤝 Relationships thread: 2 items in 1 element." in summary.text
    await api.wait_idle()
    with harness.db.session() as s:
        assert sorted(s.exec(select(Evidence.text).join(RelationshipMark,
                                                        RelationshipMark.evidence_id == Evidence.id))) == marked
        assert not s.exec(select(Evidence).where(Evidence.owner_key.is_not(None))).all()

    thread = await relationships_thread(api, bea, group)
    for said in ANONYMOUS_SAID:
        assert (said in thread.text) == (said in marked), said
    assert not any(f" {name}" in thread.text or f"{name} " in thread.text or f"{name}," in thread.text
                   for name in names)
