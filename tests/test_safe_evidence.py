"""Safe evidence, through the real bot: the author (from the receipt's private note) and the facilitator
(from /items) can give an item new words or remove it until the round's results leave the team; after a
report has been sent, a kind refusal, and the item stays as it was. A facilitator who is no admin changes
someone else's items from /items; a member who wrote neither cannot, even with the list's buttons."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.models import Evidence, Round
from piebot.telegram import gatekeeper
from piebot.telegram.delivery import ratelimit
from tests.rounds_helpers import current, finish, tap, wait_card
from tests.test_quiet_group import note_about, to_evidence


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    harness.bot.app.bot_data[gatekeeper.PRESSES] = gatekeeper.FloodLimit(count=1000)
    return harness


def items(harness) -> list[str]:
    with harness.db.session() as s:
        return sorted(s.exec(select(Evidence.text).where(Evidence.stage.in_(("evidence", "hindering")))))


async def test_edit_and_remove_until_the_results_leave_the_team(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, _) = team.group, team.admin, team.members
    card, question = await to_evidence(api, team)
    await api.send(bea, group, "Jo Smith shouted at night staff", reply_to=question)
    await api.send(cal, group, "We never hear back from the GP", reply_to=question)
    await api.send(bea, group, "A second thought, wrongly placed", reply_to=question)
    await wait_card(api, card, "Evidence: 3")

    # Bea gives her first item new words: no resident's name.
    before = len(api.chat_log(bea))
    await press(api, bea, note_about(api, bea, "Jo Smith shouted"), "Edit")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(bea)[before:]))
    ask = next(m for m in api.chat_log(bea)[before:] if m.force_reply)
    assert "new words" in ask.text and "Jo Smith shouted" in ask.text
    changed = await say(api, bea, bea, "A resident shouted at night staff", reply_to=ask)
    assert "Changed" in changed.text
    # Someone else can't touch Bea's item; Bea removes her second one.
    refused = await press(api, cal, note_about(api, bea, "A second thought"), "Remove")
    assert "Only the person who wrote it" in refused["text"]
    removed = await press(api, bea, note_about(api, bea, "A second thought"), "Remove")
    assert "Removed" in removed["text"]
    assert items(harness) == ["A resident shouted at night staff", "We never hear back from the GP"]
    await wait_card(api, card, "Evidence: 2")

    # The facilitator reaches every item of the round from /items, in private, and can mark one.
    listed_before = len(api.chat_log(ada))
    sent = await say(api, ada, group, "/items")
    assert "in private" in sent.text
    await api.wait_for(lambda: any("The round's items" in m.text for m in api.chat_log(ada)[listed_before:]))
    listed = next(m for m in api.chat_log(ada)[listed_before:] if "The round's items" in m.text)
    assert "We never hear back from the GP" in listed.text and "Jo Smith" not in listed.text
    marked = await press(api, ada, listed, "About relationships 2")
    assert "relationships thread" in marked["text"]
    refused = await say(api, cal, group, "/items")
    assert "Only the facilitator" in refused.text

    # The round ends and its report is sent: the results have left the team.
    for _ in ("What gets in the way", "What helps", "Action plan"):
        await tap(api, ada, card, "Next:")
        await api.wait_idle()
    await tap(api, ada, card, "Close this element")
    await wait_card(api, card, "Done for this element")
    await finish(api, ada, group, card)
    await api.wait_idle(timeout=30)
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().left_team_at is None
    await say(api, ada, group, "/report")
    await api.wait_for(lambda: any(m.kind == "document" for m in api.chat_log(ada)), timeout=30)
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().left_team_at is not None

    note = note_about(api, cal, "We never hear back")
    for label in ("Edit", "Remove"):
        refused = await press(api, cal, current(api, note), label)
        assert "already left the team" in refused["text"]
    refused = await press(api, ada, current(api, listed), "Remove 1")
    assert "already left the team" in refused["text"]
    assert items(harness) == ["A resident shouted at night staff", "We never hear back from the GP"]


async def test_a_facilitator_edits_and_removes_someone_elses_item_from_items(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    # Dee facilitates without being one of the group's admins.
    named = await say(api, ada, group, "/facilitator Dee")
    assert "Dee can now start and run rounds" in named.text
    card, question = await to_evidence(api, team)
    await api.send(bea, group, "Jo Smith was shouted at on the night shift", reply_to=question)
    await api.send(bea, group, "Posted in the wrong place", reply_to=question)
    await wait_card(api, card, "Evidence: 2")

    listed_before = len(api.chat_log(dee))
    assert "in private" in (await say(api, dee, group, "/items")).text
    await api.wait_for(lambda: any("The round's items" in m.text for m in api.chat_log(dee)[listed_before:]))
    listed = next(m for m in api.chat_log(dee)[listed_before:] if "The round's items" in m.text)
    assert "1. " in listed.text and "Jo Smith" in listed.text and "2. " in listed.text

    # Cal, a plain member who wrote neither, cannot change them, even with the list's buttons.
    for label in ("Edit 1", "Remove 2"):
        refused = await press(api, cal, listed, label)
        assert "Only the person who wrote it, or a facilitator" in refused["text"]
    assert not any(m.force_reply for m in api.chat_log(cal))
    assert items(harness) == ["Jo Smith was shouted at on the night shift", "Posted in the wrong place"]

    # Dee gives Bea's first item new words, then removes her second.
    asked_from = len(api.chat_log(dee))
    await press(api, dee, listed, "Edit 1")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(dee)[asked_from:]))
    ask = next(m for m in api.chat_log(dee)[asked_from:] if m.force_reply)
    assert "Jo Smith was shouted at" in ask.text
    changed = await say(api, dee, dee, "A resident was shouted at on the night shift", reply_to=ask)
    assert "Changed" in changed.text
    removed = await press(api, dee, current(api, listed), "Remove 2")
    assert "Removed" in removed["text"]
    await wait_card(api, card, "Evidence: 1")
    assert items(harness) == ["A resident was shouted at on the night shift"]
    # The removed item's buttons leave the list; the other item keeps its own.
    await api.wait_for(lambda: "Remove 2" not in str(current(api, listed).buttons))
    assert "Remove 1" in str(current(api, listed).buttons)
