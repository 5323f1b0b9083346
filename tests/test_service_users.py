"""Service users' views end to end: a scribe enters each person's view privately, no names are kept, and
their views are shown beside the staff view (and reach a network) only with the team's permission."""

from __future__ import annotations

from sqlmodel import select

from framework import load_framework
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say, start_payload
from piebot.storage.models import Evidence, Rating, Round
from tests.test_networks import accept, code_in, new_network, overview, pdf_text, run_round

STREET = load_framework("pies2-street")
PATHWAYS = "Pathways, systems and system coherence"


async def rate(api, scribe, card, level: int, position: int) -> None:
    """The level by its name, then where in it in a word, as the scribe's buttons say them."""
    await press(api, scribe, card, STREET.scale.levels[level - 1].label)
    await api.wait_for(lambda: "where in it" in card.text)
    await press(api, scribe, card, ("start", "early", "halfway", "along", "top")[position - 1])
    await api.wait_for(lambda: "✓" in card.text)


async def scribe_round(api, team, people: list[tuple[int, int, str | None]], element: str = "pathways"):
    """The admin opens the private chat from the group and enters each person's view and words."""
    scribe = team.admin
    intro = await say(api, scribe, team.group, "/serviceusers")
    before = len(api.chat_log(scribe))
    await api.start_private(scribe, payload=start_payload(intro))
    picker = await bot_reply(api, scribe, before)
    assert "Which part" in picker.text
    before = len(api.chat_log(scribe))
    await press(api, scribe, picker, STREET.element(element).name)
    card = await bot_reply(api, scribe, before)
    for n, (level, position, words) in enumerate(people, start=1):
        assert f"Person {n}" in card.text
        await rate(api, scribe, card, level, position)
        after = card
        if words:
            after = await say(api, scribe, scribe, words)
            assert "Noted" in after.text
        before = len(api.chat_log(scribe))
        if n < len(people):
            await press(api, scribe, after, "Next person")
            card = await bot_reply(api, scribe, before)
        else:
            group_before = len(api.chat_log(team.group))
            await press(api, scribe, after, "Finish")
            done = await bot_reply(api, scribe, before)
            assert f"{len(people)} people gave their view" in done.text
            return await bot_reply(api, team.group, group_before)


async def test_scribed_round_shows_beside_the_staff_view_only_with_permission(api, harness):
    team = await add_bot_and_set_up(api, title="Ash House", members=3)
    run_round(harness.db, team.group.id, {"pathways": (12, [11, 12, 13])})
    intro = await say(api, team.admin, team.group, "/serviceusers")
    assert "not shown here until the team marks" in intro.text

    news = await scribe_round(api, team, [(2, 3, "The council never calls back"), (1, 4, None), (1, 2, None)])
    # Recorded, but without permission the group sees no figures.
    assert "is recorded (3 people)" in news.text and "middle" not in news.text
    with harness.db.session() as s:
        round_ = s.exec(select(Round).where(Round.audience == "service_users")).one()
        assert round_.anonymous and round_.status == "closed" and round_.framework_variant == "pies2-street"
        ratings = s.exec(select(Rating).where(Rating.round_id == round_.id)).all()
        assert sorted(r.value for r in ratings) == [2, 4, 8] and all(r.member_id is None for r in ratings)
        words = s.exec(select(Evidence).where(Evidence.round_id == round_.id)).one()
        assert words.member_id is None and words.private and words.text == "The council never calls back"
    assert "beside yours" not in (await say(api, team.admin, team.group, "/serviceusers")).text

    refused = await say(api, team.members[0], team.group, "/serviceusers permission")
    assert "Only a group admin" in refused.text
    assert "Only a group admin or a facilitator" in (await say(api, team.members[0], team.group, "/serviceusers")).text
    assert "Marked" in (await say(api, team.admin, team.group, "/serviceusers permission")).text
    shown = await say(api, team.admin, team.group, "/serviceusers")
    assert (f"{PATHWAYS}: 3 people, middle view Just starting — well along; your team view: "
            "Well on the way — early on") in shown.text

    # A later round posts its figures beside the staff view straight away.
    news = await scribe_round(api, team, [(3, 1, None), (3, 3, None), (2, 5, None)])
    assert (f"{PATHWAYS}</b>: 3 people, middle view Well on the way — at the start; your team view: "
            "Well on the way — early on.") in news.html
    # Switching permission off hides them again.
    assert "Not marked" in (await say(api, team.admin, team.group, "/serviceusers permission")).text
    assert "beside yours" not in (await say(api, team.admin, team.group, "/serviceusers")).text


async def test_two_peoples_views_stay_sealed_and_show_no_middle(api, harness):
    team = await add_bot_and_set_up(api, title="Ash House", members=3)
    await say(api, team.admin, team.group, "/serviceusers permission")
    news = await scribe_round(api, team, [(2, 3, "We wait weeks"), (1, 4, None)])
    assert "2 people" in news.text and "middle" not in news.text and "Fewer than three" in news.text
    with harness.db.session() as s:
        assert s.exec(select(Rating)).all() == [] and s.exec(select(Evidence)).all() == []


async def test_service_users_views_reach_a_network_only_when_shared_and_permitted(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    team = await add_bot_and_set_up(api, title="Ash House", members=3)
    await accept(api, team, code_in(card))
    run_round(harness.db, team.group.id, {"pathways": (12, [11, 12, 13])})
    await scribe_round(api, team, [(2, 3, None), (1, 4, None), (2, 1, None)])
    await say(api, team.admin, team.group, "/serviceusers permission")

    def pdf(sent) -> str:
        return pdf_text(next(m for m in sent if m.kind == "document").file)

    assert "Service users" not in pdf(await overview(api, lead, card))  # permitted, but not shared
    sharing = next(m for m in reversed(api.chat_log(team.group)) if "Service users' views: not shared" in m.text)
    await press(api, team.admin, sharing, "Share service users' views")
    await api.wait_for(lambda: "Service users' views: shared" in sharing.text)
    assert ("Service users (Ash House, with permission): 3 people, middle Getting there — at the start."
            in " ".join(pdf(await overview(api, lead, card)).split()))
    await say(api, team.admin, team.group, "/serviceusers permission")  # permission withdrawn
    assert "Service users" not in pdf(await overview(api, lead, card))


async def test_only_the_scribe_can_press_and_forged_presses_change_nothing(api, harness):
    team = await add_bot_and_set_up(api, title="Ash House", members=2)
    scribe, worker = team.admin, team.members[0]
    intro = await say(api, scribe, team.group, "/serviceusers")
    before = len(api.chat_log(scribe))
    await api.start_private(scribe, payload=start_payload(intro))
    picker = await bot_reply(api, scribe, before)
    # The scribe's link is no use to a worker who isn't an admin or facilitator.
    before = len(api.chat_log(worker))
    await api.start_private(worker, payload=start_payload(intro))
    assert "someone else" in (await bot_reply(api, worker, before)).text
    assert "don't know which team" in (await say(api, worker, worker, "/serviceusers")).text
    before = len(api.chat_log(scribe))
    await press(api, scribe, picker, STREET.element("support").name)
    card = await bot_reply(api, scribe, before)
    query = await api.press(worker, card, card.button("Getting there"), forged=True)
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert api.answer_to(query)["show_alert"]
    with harness.db.session() as s:
        assert s.exec(select(Rating)).all() == []
