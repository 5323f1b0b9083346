"""The live Pizazz round, end to end: the real bot, the local Bot API server, people in a group."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage.models import Action, Evidence, Member, Rating, Round, RoundElement
from piebot.telegram.delivery import ratelimit
from tests.rounds_helpers import (
    agree_middle,
    current,
    has_grid,
    next_card,
    next_stage,
    rate,
    rate_all,
    reveal,
    start_round,
    summary_after,
    tap,
    tap_place,
    wait_card,
)


@pytest.fixture
def roomy_group_limit(monkeypatch):
    # These tests play whole sessions in seconds; Telegram's 20 a minute per group (kept by the bot's
    # rate limiter, see test_live_round_limits) would stretch each to minutes without changing a thing.
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def test_five_members_three_elements_from_assess_to_summary(api, harness):
    team = await add_bot_and_set_up(api, members=4)
    group, ada, (bea, cal, dee, eli) = team.group, team.admin, team.members
    card = await start_round(api, team, scope="One theme", pick="Psychological awareness")
    assert "Empathy" in card.text and "element 1 of 3" in card.text and "0 of 5 have rated" in card.text

    # Element 1: everyone rates; Bea changes her mind; the card only ever counts.
    await rate_all(api, team.everyone, card, [(2, 1), (2, 3), (3, 1), (2, 5), (2, 2)])
    moved = await rate(api, bea, card, 3, 3)
    assert "Moved" in moved["text"] and "Well on the way — halfway" in moved["text"]
    card = await wait_card(api, card, "5 of 5 have rated")
    places = ("at the start", "early on", "halfway", "well along", "near the top")
    assert not any(f"{where}:" in card.text for where in places) and "Bea" not in card.text
    card = await reveal(api, ada, card)
    # A named round shows the beads without names unless it was started as "named and shown".
    assert "Bea" not in card.text and "the middle view is" in card.text
    card = await agree_middle(api, ada, card)
    assert "Team view: Getting there — near the top" in card.text

    prompt = await next_stage(api, ada, group, card, "Evidence")
    assert prompt.force_reply and "Evidence · Empathy" in prompt.text
    await api.send(bea, group, "We sat with Jo for an hour after the call", reply_to=prompt)
    await api.send_photo(cal, group, caption="the new quiet room", reply_to=prompt)
    await api.send_voice(dee, group, reply_to=prompt)
    await api.send_document(eli, group, file_name="incident-notes.txt", reply_to=prompt)
    # Or privately: the card's button opens the private chat, where anything goes to the current stage.
    before = len(api.chat_log(dee))
    await api.send(dee, dee, "Night staff rarely get a debrief")
    assert "Added to <b>Evidence</b>" in (await bot_reply(api, dee, before)).html
    card = await wait_card(api, card, "Evidence: 5")
    for stage in ("What gets in the way", "What helps"):
        prompt = await next_stage(api, ada, group, card, stage)
        await api.send(cal, group, f"Something about {stage.lower()}", reply_to=prompt)
    prompt = await next_stage(api, ada, group, card, "Action plan")
    before, in_group = len(api.chat_log(bea)), len(api.chat_log(group))
    reply = await api.send(cal, group, "Weekly debrief after nights\nBea\n14/1\nnobody goes home upset",
                           reply_to=prompt)
    # A quiet receipt: the bot's reaction on the reply, "Action noted" to Cal in private, nothing new in the group.
    await api.wait_for(lambda: any("Action noted: Weekly debrief after nights — Bea, by 14 Jan" in m.text
                                   for m in api.chat_log(cal)))
    assert api.reactions_on(group.id, reply["message_id"]) == ["✍"]
    assert len(api.chat_log(group)) == in_group
    told = await bot_reply(api, bea, before)  # owners are told privately
    assert "You're down for an action" in told.text and "Weekly debrief" in told.text
    card2 = await next_card(api, ada, group, card)
    assert "Approaches and techniques" in card2.text and "element 2 of 3" in card2.text
    assert current(api, card).buttons == []  # the first card is settled: nothing left to press

    # Element 2: the facilitator chooses the team view on the grid instead of the middle.
    await rate_all(api, team.everyone, card2, [(1, 1), (1, 2), (4, 5), (1, 4), (1, 5)])
    card2 = await reveal(api, ada, card2)
    assert "Views differ a lot" in card2.text  # wide disagreement is flagged
    assert has_grid(card2, team=True)
    await tap_place(api, ada, card2, 2, 4)
    card2 = await wait_card(api, card2, "Team view: Getting there — well along")
    # Stages with nothing said are fine; /next moves on as the buttons do.
    for _ in range(5):
        await api.send(ada, group, "/next")
        await api.wait_idle()
    await wait_card(api, card2, "Done for this element")
    before = len(api.chat_log(group))
    await say(api, ada, group, "/next")
    await api.wait_for(lambda: any("element 3 of 3" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    card3 = next(m for m in api.chat_log(group)[before:] if "element 3 of 3" in m.text)

    # Element 3: rated and agreed, then the round is ended from the card.
    await rate_all(api, team.everyone, card3, [(3, 1), (3, 2), (3, 2), (3, 4), (2, 5)])
    card3 = await reveal(api, ada, card3)
    await agree_middle(api, ada, card3)
    before = len(api.chat_log(group))
    await tap(api, ada, card3, "End round")
    summary = await summary_after(api, group, before)
    assert "Empathy and emotional intelligence: Getting there — near the top" in summary.text
    assert "Approaches and techniques: Getting there — well along" in summary.text
    assert "Psychological models: Well on the way — early on" in summary.text
    assert "Where views differed most" in summary.text and "Approaches" in summary.text.split("differed most")[1]
    assert "Weekly debrief after nights — Bea, by 14 Jan" in summary.text
    await press(api, ada, summary, "In 12 weeks")
    await api.wait_for(lambda: "Review set for" in current(api, summary).text)

    with harness.db.session() as s:
        round_ = s.exec(select(Round)).one()
        assert round_.status == "closed" and round_.review_date is not None
        assert (round_.review_date - round_.closed_at.date()).days == 84
        assert [e.team_view for e in s.exec(select(RoundElement).order_by(RoundElement.position))] == [10, 9, 12]
        assert len(s.exec(select(Rating)).all()) == 15
        kinds = sorted(e.kind for e in s.exec(select(Evidence).where(Evidence.stage == "evidence")))
        assert kinds == ["document", "photo", "text", "text", "voice"]
        assert all(e.member_id is not None for e in s.exec(select(Evidence)))
        action = s.exec(select(Action)).one()
        owner = s.get(Member, action.owner_member_id)
        assert (owner.display_name, action.success_measure) == ("Bea", "nobody goes home upset")


async def test_distance_travelled_since_the_last_round(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    for places, opens in (([(1, 3)] * 3, "have rated"), ([(2, 2)] * 3, "Looking back")):
        await api.wait_idle()  # the first summary's charts come after it
        card = await start_round(api, team, opens=opens)
        if opens == "Looking back":  # looked at before: the review comes first, then the rating
            await tap(api, team.admin, card, "Next: rate it now")
            card = await wait_card(api, card, "have rated")
        await rate_all(api, team.everyone, card, places)
        card = await reveal(api, team.admin, card)
        await agree_middle(api, team.admin, card)
        before = len(api.chat_log(team.group))
        await say(api, team.admin, team.group, "/close")
        summary = await summary_after(api, team.group, before)
    assert "Responsiveness: Getting there — early on (up a level since" in summary.text


async def test_status_and_strengths_first(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    assert "No round is running" in (await say(api, team.admin, team.group, "/status")).text
    card = await start_round(api, team, strengths_first=True)
    await rate(api, team.members[0], card, 2, 2)
    status = await say(api, team.members[1], team.group, "/status")
    assert "element 1 of 1" in status.text and "1 of 3 have rated" in status.text
    await rate_all(api, team.everyone, card, [(2, 2), (2, 3), (2, 4)])
    card = await reveal(api, team.admin, card)
    card = await agree_middle(api, team.admin, card)
    await next_stage(api, team.admin, team.group, card, "Evidence")
    prompt = await next_stage(api, team.admin, team.group, card, "What helps")  # strengths first
    assert "What helps" in prompt.text
    await api.send(team.admin, team.group, "/pause")
    card = await wait_card(api, card, "Paused")
    assert [label for row in card.buttons for label, _ in row] == ["▶️ Resume", "End round"]
    refused = await say(api, team.members[0], team.group, "late thought", reply_to=prompt)
    assert "paused" in refused.text
    status = await say(api, team.members[1], team.group, "/status")
    assert "Paused" in status.text
    await api.send(team.admin, team.group, "/resume")
    await api.wait_for(lambda: "Paused" not in current(api, card).text)
    await api.send(team.admin, team.group, "/back")
    await wait_card(api, card, "Now: Evidence")
