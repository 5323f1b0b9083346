"""A team view reached by talking, through the real bot: after the reveal the card shows the spread,
where views differ most and prompts for the conversation; the middle view is information only (never a
one-tap button); the facilitator places the team's bead on the grid. Names stand beside the beads only
when the round was started as "named and shown"."""

from __future__ import annotations

from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up
from piebot.storage.models import Round, RoundElement
from tests.rounds_helpers import current, has_grid, rate_all, reveal, start_round, tap_place, wait_card


def labels(card) -> list[str]:
    return [label for row in card.buttons for label, _ in row]


async def test_the_facilitator_places_the_team_bead_after_talking_not_the_middle(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    ada, bea = team.admin, team.members[0]
    card = await start_round(api, team)
    await rate_all(api, team.everyone, card, [(1, 2), (2, 3), (2, 4), (4, 1)])
    card = await reveal(api, ada, card)

    # No one-tap "Team view: <place>": the grid of places for the team's bead, and how to get there.
    assert not any(label.startswith("Team view") for label in labels(card))
    assert has_grid(card, team=True)
    assert "Views differ most between Just starting and Embedded." in card.text
    assert "What would we need to see to move it up a place?" in card.text
    assert "For information: the middle view is Getting there — halfway." in card.text
    # A named round, but not "named and shown": nobody's name is beside a bead.
    assert not any(person.first_name in card.text for person in team.everyone)

    refused = await tap_place(api, bea, card, 3, 1)
    assert "Only the facilitator" in refused["text"]
    # The team talked and put it higher than the middle.
    await tap_place(api, ada, card, 3, 1)
    card = await wait_card(api, card, "Team view: Well on the way — at the start")
    with harness.db.session() as s:
        assert s.exec(select(RoundElement)).one().team_view == 11
        assert not s.exec(select(Round)).one().names_shown


async def test_names_stand_beside_the_beads_only_in_a_round_named_and_shown(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    ada = team.admin
    card = await start_round(api, team, names_shown=True)
    opened = [m for m in api.chat_log(team.group) if "answers named, names shown beside the beads" in m.text]
    assert opened, "the wizard says the round is named and shown"
    await rate_all(api, team.everyone, card, [(1, 2), (2, 3), (2, 4), (4, 1)])
    card = await reveal(api, ada, card)
    assert "Embedded — at the start: Dee" in card.text and "Getting there — halfway: Bea" in card.text
    assert not any(label.startswith("Team view") for label in labels(current(api, card)))
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().names_shown
