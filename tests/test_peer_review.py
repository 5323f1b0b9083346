"""Peer review, end to end: a one-time code for the facilitator, redeemed once by a colleague from
another team, who reads the round without names or private evidence and replies with comments that
the team sees in its group."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, say, start_payload
from piebot.storage import rounds, teams
from piebot.storage.models import PeerReview, Round, Team
from piebot.telegram.rounds import walk
from tests.walk_helpers import answer, finish_with_skips, frozen_clock, opened, rate, said

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@pytest.fixture
def fixed_clock(monkeypatch):
    return frozen_clock(monkeypatch)


async def closed_round(api, harness, team, *, anonymous: bool) -> int:
    """Three people walk one element in private (their evidence is private); the team also has one
    piece of evidence said in the group; then the round closes."""
    round_id = await opened(api, harness, team, elements=("training",), anonymous=anonymous)
    for person, (level, position), words in zip(
        team.everyone, [(1, 2), (2, 4), (4, 5)],
        ["Only one of us has done the trauma course", "The induction feels thin", "We are doing fine here"],
        strict=True,
    ):
        await rate(api, person, level, position)
        await answer(api, person, words)
        await finish_with_skips(api, person)
    with harness.db.session() as s:
        round_ = s.get(Round, round_id)
        member = teams.member_of(s, round_.team_id, team.admin.id)
        rounds.add_evidence(s, round_, member, "training", "evidence", text="Training log on the office wall")
        s.commit()
    assert await walk.close_async_round(harness.bot.app, round_id)
    await said(api, team.group, "— summary")
    return round_id


async def ask(api, user, chat, command: str, words: str):
    """Send a command and wait for the bot's answer containing `words` (charts may arrive in between)."""
    before = len(api.chat_log(chat))
    await api.send(user, chat, command)
    return await said(api, chat, words, after=before)


async def open_private(api, name: str):
    person = api.create_user(name)
    await api.start_private(person)
    await api.wait_for(lambda: api.chat_log(person))
    return person


async def code_from(api, person) -> str:
    await api.wait_for(lambda: any(CODE.search(m.text) for m in api.chat_log(person)))
    return CODE.search([m for m in api.chat_log(person) if CODE.search(m.text)][-1].text).group(0)


async def test_code_redeemed_once_and_comments_reach_the_team(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=2)
    ada, bea, cal = team.everyone
    round_id = await closed_round(api, harness, team, anonymous=True)

    await ask(api, bea, team.group, "/peerreview", "Only the facilitator")
    with harness.db.session() as s:
        assert s.get(Round, round_id).left_team_at is None
    await ask(api, ada, team.group, "/peerreview", "in private")
    code = await code_from(api, ada)
    # A peer review was asked: the round's results leave the team, and its evidence stays as it is.
    with harness.db.session() as s:
        assert s.get(Round, round_id).left_team_at is not None
    assert "until" in api.last(ada).text
    # The code is a secret: never in the group, and never stored as it is.
    assert not any(CODE.search(m.text) for m in api.chat_log(team.group))
    with harness.db.session() as s:
        stored = s.exec(select(PeerReview)).one()
        assert stored.round_id == round_id and code not in stored.code_hash and stored.redeemed_at is None

    rae = await open_private(api, "Rae")  # a colleague from another team
    wrong = await say(api, rae, rae, "/review ABCD-EFGH-JKMN")
    assert "doesn't work" in wrong.text
    view = await say(api, rae, rae, f"/review {code.lower()}")
    assert "Peer review: Hope House team" in view.text and view.force_reply
    assert "Training log on the office wall" in view.text
    assert "3 more kept within the team" in view.text
    for secret in ("trauma course", "induction feels thin", "doing fine"):
        assert secret not in view.text
    for name in ("Ada", "Bea", "Cal"):
        assert name not in view.text

    # Single use: nobody gets in with it again, not even the same reviewer.
    zed = await open_private(api, "Zed")
    assert "doesn't work" in (await say(api, zed, zed, f"/review {code}")).text
    assert "doesn't work" in (await say(api, rae, rae, f"/review {code}")).text

    # Too long for the team's chat: refused kindly, nothing reaches the team, and the review stays open.
    too_long = await say(api, rae, rae, "So much to say. " * 188, reply_to=view)  # 3,008 characters
    assert "the limit is 3,000" in too_long.text
    assert not any("Peer review from" in m.text for m in api.chat_log(team.group))
    thanks = await say(api, rae, rae, "Lovely to see the log. How do night staff get trained?", reply_to=view)
    assert "gone to the team" in thanks.text
    comments = await said(api, team.group, "Peer review from Rae")
    assert "night staff" in comments.text
    with harness.db.session() as s:
        stored = s.exec(select(PeerReview)).one()
        assert stored.redeemed_at is not None and stored.reviewer_user_id == rae.id
        assert "night staff" in stored.comments


async def test_code_by_link_for_a_facilitator_without_private_chat_and_shared_private_evidence(
    api, harness, fixed_clock
):
    team = await add_bot_and_set_up(api, members=2)
    ada, bea, cal = team.everyone
    await closed_round(api, harness, team, anonymous=False)
    with harness.db.session() as s:
        row = s.exec(select(Team)).one()
        row.share_private_evidence_with_peer = True
        teams.member_of(s, row.id, ada.id).private_chat = False
        s.commit()

    told = await ask(api, ada, team.group, "/peerreview", "in private")
    assert not CODE.search(told.text)
    # Someone else can't use Ada's link.
    before = len(api.chat_log(bea))
    await api.start_private(bea, payload=start_payload(told))
    await api.wait_for(lambda: len(api.chat_log(bea)) > before)
    assert not CODE.search(api.last(bea).text)
    await api.start_private(ada, payload=start_payload(told))
    code = await code_from(api, ada)

    # A member of the same team is not a peer reviewer, and trying doesn't use the code up.
    assert "another team" in (await say(api, bea, bea, f"/review {code}")).text
    rae = await open_private(api, "Rae")
    view = await say(api, rae, rae, f"/review {code}")
    # The team allows its private evidence to be shared — still without who said it.
    assert "trauma course" in view.text and "Training log" in view.text
    for name in ("Ada", "Bea", "Cal"):
        assert name not in view.text


async def test_nothing_to_review_before_a_round_has_closed(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=1)
    await ask(api, team.admin, team.group, "/peerreview", "no finished round")
