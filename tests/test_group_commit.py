"""Group commit: updates applied at the same moment go in together, and each keeps its own rules, on SQLite
and on PostgreSQL: every answer stored once with its update's id, a refused or repeated update told so
alone while the others go in, and a ballot box never opened in a transaction shared with others."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from conversations.errors import NotAllowed
from piebot.settings import Settings
from piebot.storage import ballot_box, ballots, teams
from piebot.storage.db import AlreadyDone, session_scope
from piebot.storage.models import Member, ProcessedUpdate
from piebot.storage.together import Unit, apply_together
from piebot.telegram.runtime import Runtime

CHAT = -100_777


def _runtime(db) -> Runtime:
    settings = Settings(_env_file=None, PIEBOT_SIGNING_SECRET="test-signing-secret-of-at-least-32-bytes")
    return Runtime(settings, db)


def _update(update_id: int, chat_id: int = CHAT):
    return SimpleNamespace(update_id=update_id, effective_chat=SimpleNamespace(id=chat_id))


def _joins(person: int):
    def work(session):
        team = teams.ensure_team(session, CHAT, "Hope House", "Europe/London")
        member, _ = teams.join(session, team, 5000 + person, f"Person {person}")
        return member.display_name

    return work


def _count(db, model) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _commits(db) -> list[int]:
    seen: list[int] = []
    event.listen(db.engine, "commit", lambda _conn: seen.append(1))
    return seen


async def test_updates_at_the_same_moment_are_each_stored_once_in_fewer_commits(db):
    rt = _runtime(db)
    with session_scope(db) as s:
        teams.ensure_team(s, CHAT, "Hope House", "Europe/London")
    commits = _commits(db)
    names = await asyncio.gather(*(rt.apply(_update(100 + i, CHAT - i), _joins(i)) for i in range(30)))
    assert names == [f"Person {i}" for i in range(30)]
    assert _count(db, Member) == 30
    assert _count(db, ProcessedUpdate) == 30
    assert len(commits) < 30  # grouped: not one commit per update


async def test_a_refused_update_is_told_so_and_the_others_of_its_group_go_in(db):
    rt = _runtime(db)

    def refused(session):
        _joins(99)(session)  # written, then refused: none of it may stay
        raise NotAllowed("Only members of the team can do that.")

    jobs = [rt.apply(_update(200 + i, CHAT - i), _joins(i)) for i in range(10)]
    jobs.insert(5, rt.apply(_update(299, CHAT - 99), refused))
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(outcomes[5], NotAllowed)
    assert [o for i, o in enumerate(outcomes) if i != 5] == [f"Person {i}" for i in range(10)]
    with db.session() as s:
        assert s.get(ProcessedUpdate, 299) is None
        assert {m.telegram_user_id for m in s.exec(select(Member))} == {5000 + i for i in range(10)}


async def test_a_repeated_update_in_a_group_is_already_done_and_the_others_go_in(db):
    rt = _runtime(db)
    await rt.apply(_update(300), _joins(0))
    outcomes = await asyncio.gather(rt.apply(_update(300), _joins(50)),
                                    *(rt.apply(_update(301 + i, CHAT - i - 1), _joins(i + 1)) for i in range(5)),
                                    return_exceptions=True)
    assert isinstance(outcomes[0], AlreadyDone)
    assert outcomes[1:] == [f"Person {i + 1}" for i in range(5)]
    assert _count(db, Member) == 6  # person 50 never joined: the repeat had no second effect


def test_a_ballot_box_opened_in_an_update_never_shares_its_transaction(db):
    def opens_a_box(session):
        ballot_box.open_box(session, ballots.checkin_scope(1), final=False)
        return "opened"

    units = [Unit(400, CHAT, _joins(0)), Unit(401, CHAT - 1, opens_a_box), Unit(402, CHAT - 2, _joins(2))]
    together = apply_together(db, units)
    assert not together  # applied one by one
    assert [u.result for u in units] == ["Person 0", "opened", "Person 2"]
    assert all(u.error is None for u in units)
    assert _count(db, ProcessedUpdate) == 3


@pytest.mark.parametrize("size", [2, 20])
def test_a_group_without_surprises_is_one_transaction(db, size):
    commits = _commits(db)
    units = [Unit(500 + i, CHAT - i, _joins(i)) for i in range(size)]
    assert apply_together(db, units)
    assert len(commits) == 1
    assert [u.result for u in units] == [f"Person {i}" for i in range(size)]
