"""A quiet group, through the real bot: an evidence, hinders or helps reply gets a receipt that adds no
message to the group (the bot's reaction on the reply, and its buttons in a short private note to the
author); where the chat allows no reactions, or the bot cannot write to the author, it falls back; and
the bot's group messages per element of a live round are counted."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.models import Evidence, Member
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


async def to_evidence(api, team):
    """A named live round on one element, at its Evidence question; returns (card, question)."""
    group, ada = team.group, team.admin
    card = await start_round(api, team)
    await rate_all(api, team.everyone, card, [(2, 2), (2, 3), (2, 4), (3, 1)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    return card, await next_stage(api, ada, group, card, "Evidence")


def note_about(api, user, words: str):
    return next(m for m in api.chat_log(user) if words in m.text and m.buttons)


async def test_a_reply_gets_a_reaction_and_its_buttons_in_a_private_note(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, bea = team.group, team.members[0]
    card, question = await to_evidence(api, team)
    assert "Say what happened, not who — no residents' names." in question.text
    in_group = len(api.chat_log(group))
    reply = await api.send(bea, group, "Night staff sat with a resident after a hard call", reply_to=question)
    await api.wait_for(lambda: any("Night staff sat" in m.text for m in api.chat_log(bea)))
    await wait_card(api, card, "Evidence: 1")
    assert api.reactions_on(group.id, reply["message_id"]) == ["✍"]
    note = note_about(api, bea, "Night staff sat")
    assert "Kept under" in note.text and "Evidence" in note.text
    labels = [label for row in note.buttons for label, _ in row]
    assert labels == ["🤝 About relationships", "✏️ Edit", "🗑 Remove"]
    await api.wait_idle()
    assert len(api.chat_log(group)) == in_group  # nothing new in the group: the card only counts


async def test_where_reactions_are_off_the_note_is_the_receipt_and_without_a_private_chat_as_before(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, _) = team.group, team.admin, team.members
    group.reactions_allowed = False  # the group's admins switched reactions off
    card, question = await to_evidence(api, team)
    in_group = len(api.chat_log(group))
    reply = await api.send(bea, group, "The rota lets us debrief", reply_to=question)
    await api.wait_for(lambda: any("The rota lets us debrief" in m.text for m in api.chat_log(bea)))
    await api.wait_idle()
    assert api.reactions_on(group.id, reply["message_id"]) == []  # refused: REACTION_INVALID
    assert any(c.method == "setMessageReaction" and c.status == 400 for c in api.calls)
    assert len(api.chat_log(group)) == in_group

    # Cal never opened the private chat: his action's receipt comes in the group, as it always did.
    with harness.db.session() as s:
        member = s.exec(select(Member).where(Member.display_name == "Cal")).one()
        member.private_chat = False
        s.add(member)
        s.commit()
    prompt = None
    for stage in ("What gets in the way", "What helps", "Action plan"):
        prompt = await next_stage(api, ada, group, card, stage)
    noted = await say(api, cal, group, "Debrief after nights\nBea\n14/1", reply_to=prompt)
    assert "Action noted: Debrief after nights — Bea" in noted.text


async def test_an_anonymous_reply_is_taken_back_from_its_note_through_the_ballot_box(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, bea = team.group, team.admin, team.members[0]
    card = await start_round(api, team, anonymous=True)
    await rate_all(api, team.everyone, card, [(2, 2), (2, 3), (2, 4), (3, 1)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    question = await next_stage(api, ada, group, card, "Evidence")
    before = len(api.chat_log(bea))
    reply = await api.send(bea, group, "Handover runs late most nights", reply_to=question)
    await api.wait_for(lambda: len(api.chat_log(bea)) > before)
    await wait_card(api, card, "Evidence: 1")
    assert api.reactions_on(group.id, reply["message_id"]) == ["✍"]
    note = api.chat_log(bea)[before]
    assert "without your name" in note.text and "Handover" not in note.text  # none of the answer in it
    taken = await press(api, bea, note, "Remove")
    assert taken["text"] == "Taken back."
    await wait_card(api, card, "Evidence: 0")
    with harness.db.session() as s:
        assert not s.exec(select(Evidence).where(Evidence.member_id.is_not(None))).all()
