"""Who may run a round, taking back one's own answers, the team-view card after a round in people's own
time, and a restart in the middle of a session."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage import rounds
from piebot.storage.db import session_scope
from piebot.storage.models import Evidence, Member, Rating, RoundElement, Team
from piebot.telegram.delivery import ratelimit
from piebot.telegram.rounds.assess import ask_team_view
from tests.rounds_helpers import (
    agree_middle,
    current,
    has_grid,
    next_stage,
    rate,
    rate_all,
    reveal,
    start_round,
    tap,
    tap_place,
    wait_card,
)


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def test_an_admin_names_a_facilitator_who_then_runs_a_round(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    assert "Only a group admin or a facilitator" in (await say(api, bea, group, "/assess")).text
    assert "Only a group admin" in (await say(api, bea, group, "/facilitator")).text
    # By replying to one of Bea's messages.
    note = await api.send(bea, group, "/help")
    await api.wait_idle()
    named = await say(api, ada, group, "/facilitator", reply_to=note)
    assert "Bea can now start and run rounds" in named.text
    # By the buttons: Cal on, then off again.
    menu = await say(api, ada, group, "/facilitator")
    assert ["Ada", "Bea ✓", "Cal", "Dee"] == [label for row in menu.buttons for label, _ in row]
    answer = await press(api, ada, menu, "Cal")
    assert "Cal can now start" in answer["text"]
    refused = await press(api, dee, current(api, menu), "Dee")
    assert refused["show_alert"] and "Only a group admin" in refused["text"]
    await api.wait_for(lambda: "Cal ✓" in str(current(api, menu).buttons))
    await press(api, ada, current(api, menu), "Cal ✓")
    await api.wait_for(lambda: "Cal ✓" not in str(current(api, menu).buttons))
    with harness.db.session() as s:
        assert [m.display_name for m in s.exec(select(Member).where(Member.facilitator))] == ["Bea"]
    # Bea runs a round; Cal (not a facilitator) can't move it on.
    card = await start_round(api, team, by=bea)
    await rate_all(api, [bea, cal, dee], card, [(1, 1), (1, 2), (1, 3)])
    refused = await tap(api, cal, card, "Share the views")
    assert refused["show_alert"] and "Only the facilitator" in refused["text"]
    assert "Only the facilitator" in (await say(api, cal, group, "/close")).text
    await reveal(api, bea, card)


async def test_named_members_take_back_their_own_bead_and_evidence(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    card = await start_round(api, team, names_shown=True)
    await rate_all(api, [ada, bea, cal], card, [(2, 2), (2, 3), (2, 4)])
    taken = await tap(api, bea, card, "Take my bead back")
    assert "taken back" in taken["text"]
    card = await wait_card(api, card, "2 of 4 have rated")
    await rate(api, bea, card, 3, 1)
    await rate(api, dee, card, 3, 2)
    card = await reveal(api, ada, card)
    assert "Well on the way — at the start: Bea" in card.text
    card = await agree_middle(api, ada, card)
    prompt = await next_stage(api, ada, group, card, "Evidence")
    await api.send(bea, group, "Said in haste", reply_to=prompt)
    await api.send(bea, group, "Keep this one", reply_to=prompt)
    await wait_card(api, card, "Evidence: 2")
    before = len(api.chat_log(bea))
    assert "in private" in (await say(api, bea, group, "/withdraw")).text
    listing = await bot_reply(api, bea, before)
    await press(api, bea, listing, "Said in haste")
    await wait_card(api, card, "Evidence: 1")
    with harness.db.session() as s:
        assert [e.text for e in s.exec(select(Evidence))] == ["Keep this one"]
        assert len(s.exec(select(Rating)).all()) == 4
    # Someone else can't use Bea's list.
    forged = await api.press(cal, listing, current(api, listing).button("Keep"), forged=True)
    await api.wait_for(lambda: api.answer_to(forged) is not None)
    with harness.db.session() as s:
        assert len(s.exec(select(Evidence)).all()) == 1


async def test_team_view_card_after_a_round_in_own_time(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    with session_scope(harness.db) as s:
        row = s.exec(select(Team)).one()
        people = list(s.exec(select(Member).order_by(Member.id)))
        round_ = rounds.open_round(s, team_id=row.id, element_ids=["support"], scope="element", scope_ref="support",
                                   mode="async", anonymous=True, framework_variant="pies2", opened_by=people[0].id)
        for member, value in zip(people, (4, 9, 10, 15), strict=True):
            rounds.record_rating(s, round_, member, "support", value)
        rounds.close_round(s, round_)
        round_id = round_.id
    before = len(api.chat_log(team.group))
    await ask_team_view(harness.bot.app, round_id, "support")
    card = await bot_reply(api, team.group, before)
    assert "Everyone's views (4)" in card.text and "Views differ a lot" in card.text
    assert not any(p.first_name in card.text for p in team.everyone)
    assert has_grid(card, team=True)
    refused = await tap_place(api, team.members[0], card, 2, 3)
    assert "Only the facilitator" in refused["text"]
    await tap_place(api, team.admin, card, 2, 3)
    await api.wait_for(lambda: "Team view: Getting there — halfway" in current(api, card).text)
    with harness.db.session() as s:
        assert s.exec(select(RoundElement)).one().team_view == 8


async def test_a_restart_mid_session_carries_on_where_it_was(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    card = await start_round(api, team)
    await rate_all(api, team.everyone[:2], card, [(2, 2), (2, 3)])
    await harness.restart()
    await rate(api, team.members[1], card, 2, 4)
    await rate(api, team.members[2], card, 2, 5)
    card = await wait_card(api, card, "4 of 4 have rated")
    card = await reveal(api, team.admin, card)
    card = await agree_middle(api, team.admin, card)
    await harness.restart()
    prompt = await next_stage(api, team.admin, team.group, card, "Evidence")
    await api.send(team.members[0], team.group, "Still here after the restart", reply_to=prompt)
    await wait_card(api, card, "Evidence: 1")


async def test_assess_opens_a_round_in_own_time_and_close_ends_it(api, harness):
    from datetime import timedelta

    from piebot.storage.models import Round, utcnow

    team = await add_bot_and_set_up(api, members=2)
    group, ada = team.group, team.admin
    wizard = await say(api, ada, group, "/assess")
    await press(api, ada, wizard, "All elements")
    await api.wait_for(lambda: "2 of 4" in current(api, wizard).text)
    await press(api, ada, current(api, wizard), "In our own time")
    await api.wait_for(lambda: "How long" in current(api, wizard).text)
    await press(api, ada, current(api, wizard), "1 week")
    await api.wait_for(lambda: "3 of 4" in current(api, wizard).text)
    await press(api, ada, current(api, wizard), "Anonymous")
    await api.wait_for(lambda: "4 of 4" in current(api, wizard).text)
    await press(api, ada, current(api, wizard), "strengths first")
    await api.wait_for(lambda: "in your own time" in current(api, wizard).text)
    await api.wait_idle()
    with harness.db.session() as s:
        round_ = s.exec(select(Round)).one()
        team_row = s.exec(select(Team)).one()
        assert (round_.mode, round_.anonymous, round_.scope, len(round_.element_ids)) == ("async", True, "all", 15)
        assert timedelta(days=6, hours=23) < round_.deadline.replace(tzinfo=utcnow().tzinfo) - utcnow() <= timedelta(days=7)
        assert team_row.strengths_first
    status = await say(api, team.members[0], group, "/status")
    assert "0 of 3 have finished" in status.text
    assert "own time" in (await say(api, ada, group, "/next")).text
    before = len(api.chat_log(group))
    await api.send(ada, group, "/close")
    await api.wait_for(lambda: any("— summary" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().status == "closed"


async def test_skipping_an_element_keeps_its_views_unshared(api, harness):
    from tests.rounds_helpers import summary_after

    team = await add_bot_and_set_up(api, members=3)
    group, ada = team.group, team.admin
    card = await start_round(api, team, scope="One theme", pick="Training and support")
    await rate_all(api, team.everyone, card, [(1, 1), (4, 5), (1, 2), (4, 4)])
    before = len(api.chat_log(group))
    await api.send(ada, group, "/skip")
    await api.wait_for(lambda: any("element 2 of 2" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    card = await wait_card(api, card, "Not talked through")
    assert "4 of 4 have rated" in card.text and "of 5" not in card.text and card.buttons == []
    assert "there's nothing before it" in (await say(api, ada, group, "/back")).text
    before = len(api.chat_log(group))
    await api.send(ada, group, "/close")
    summary = await summary_after(api, group, before)
    assert "Training: not agreed this time" in summary.text and "Support: not agreed this time" in summary.text
    assert "differed" not in summary.text
