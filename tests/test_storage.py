"""The same storage behaviour on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone, apply_once, session_scope
from piebot.storage.models import Member, Participation, Rating, Round, SealedBallot, Team


def test_migrations_create_every_table(db):
    tables = set(inspect(db.engine).get_table_names())
    assert {"team", "member", "round", "rating", "evidence", "action", "schedule", "firing", "checkin"} <= tables


def test_teams_are_one_per_chat_and_keep_big_telegram_ids(db):
    chat_id = -1001234567890123  # supergroup ids exceed 32 bits
    with session_scope(db) as s:
        team = teams.ensure_team(s, chat_id, "Hope House", "Europe/London")
        teams.join(s, team, 7_000_000_123, "Bea")
    with session_scope(db) as s:
        again = teams.ensure_team(s, chat_id, "Hope House (renamed)", "Europe/London")
        assert again.chat_title == "Hope House (renamed)"
        assert len(s.exec(select(Team)).all()) == 1
        member, new = teams.join(s, again, 7_000_000_123, "Bea")
        assert not new and member.telegram_user_id == 7_000_000_123


def _team_with_members(s, n=3):
    team = teams.ensure_team(s, -100, "T", "Europe/London")
    members = [teams.join(s, team, 1000 + i, f"M{i}")[0] for i in range(n)]
    return team, members


def test_named_rating_can_be_changed_and_withdrawn(db):
    with session_scope(db) as s:
        team, (a, b, _) = _team_with_members(s)
        r = rounds.open_round(s, team_id=team.id, element_ids=["responsiveness"], scope="element",
                              scope_ref="responsiveness", mode="live", anonymous=False,
                              framework_variant="pies2", opened_by=a.id)
        rounds.record_rating(s, r, a, "responsiveness", 7)
        outcome = rounds.record_rating(s, r, a, "responsiveness", 12)
        assert outcome.changed and outcome.rated == 1
        rounds.record_rating(s, r, b, "responsiveness", 3)
        assert sorted(v for _, v in rounds.ratings_of(s, r.id, "responsiveness")) == [3, 12]
        rounds.withdraw_rating(s, r, b, "responsiveness")
        assert rounds.ratings_of(s, r.id, "responsiveness") == [("M0", 12)]


def test_anonymous_rating_keeps_no_link_and_counts_once(db):
    with session_scope(db) as s:
        team, (a, b, c) = _team_with_members(s)
        r = rounds.open_round(s, team_id=team.id, element_ids=["support"], scope="element", scope_ref="support",
                              mode="async", anonymous=True, framework_variant="pies2", opened_by=a.id)
        for m, v in ((a, 4), (b, 9), (c, 15)):
            rounds.record_rating(s, r, m, "support", v)
        # A second answer is a change: the person's own, found by the bot alone; still one answer each.
        assert rounds.record_rating(s, r, b, "support", 10).changed
        round_id = r.id
    with session_scope(db) as s:
        # Still sealed: three people, but a batch waits for six while the round is open (three held back).
        assert s.exec(select(Rating).where(Rating.round_id == round_id)).all() == []
        assert len(s.exec(select(SealedBallot)).all()) == 4
        assert rounds.count_rated(s, round_id, "support") == 3
        rounds.close_round(s, s.get(Round, round_id))
    with session_scope(db) as s:
        stored = s.exec(select(Rating).where(Rating.round_id == round_id)).all()
        assert sorted(x.value for x in stored) == [4, 10, 15]
        assert all(x.member_id is None and x.owner_key is None and x.id < 0 for x in stored)
        # All share the round's opening time: nothing to line up against when people pressed.
        assert len({x.created_at for x in stored}) == 1
        assert len(s.exec(select(Participation)).all()) == 3
        assert s.exec(select(SealedBallot)).all() == []
        assert all(name is None for name, _ in rounds.ratings_of(s, round_id, "support"))


def test_two_anonymous_answers_stay_sealed_even_at_the_close(db):
    with session_scope(db) as s:
        team, (a, b, _c) = _team_with_members(s)
        r = rounds.open_round(s, team_id=team.id, element_ids=["support"], scope="element", scope_ref="support",
                              mode="async", anonymous=True, framework_variant="pies2", opened_by=a.id)
        rounds.record_rating(s, r, a, "support", 4)
        rounds.record_rating(s, r, b, "support", 9)
        rounds.close_round(s, r)
        round_id = r.id
    with session_scope(db) as s:
        # Applied, two rows would tell a copy of the database that these two people gave these two views.
        assert s.exec(select(Rating).where(Rating.round_id == round_id)).all() == []
        assert len(s.exec(select(SealedBallot)).all()) == 2
        assert rounds.count_rated(s, round_id, "support") == 2


def test_a_batch_goes_in_at_six_people_holding_three_back(db):
    with session_scope(db) as s:
        team, (a, *_rest) = _team_with_members(s)
        people = [a] + [Member(team_id=team.id, telegram_user_id=900 + i, display_name=f"P{i}") for i in range(6)]
        s.add_all(people[1:])
        s.flush()
        r = rounds.open_round(s, team_id=team.id, element_ids=["support"], scope="element", scope_ref="support",
                              mode="async", anonymous=True, framework_variant="pies2", opened_by=a.id)
        round_id = r.id
    for i, person in enumerate(people):
        with session_scope(db) as s:
            rounds.record_rating(s, s.get(Round, round_id), s.get(Member, person.id), "support", 1 + i)
        with db.session() as s:
            stored = len(s.exec(select(Rating)).all())
            waiting = len(s.exec(select(SealedBallot)).all())
        # Nothing before six; at six, three go in (in a transaction of their own) and three wait.
        assert (stored, waiting) == ((0, i + 1) if i < 5 else (3, 3) if i == 5 else (3, 4))


def test_only_one_open_round_per_team(db):
    with session_scope(db) as s:
        team, (a, *_rest) = _team_with_members(s)
        kwargs = dict(team_id=team.id, element_ids=["training"], scope="element", scope_ref="training",
                      mode="live", anonymous=False, framework_variant="pies2", opened_by=a.id)
        rounds.open_round(s, **kwargs)
        with pytest.raises(rounds.RoundRefused):
            rounds.open_round(s, **kwargs)


def test_an_update_takes_effect_once(db):
    with session_scope(db) as s:
        team, _ = _team_with_members(s, 0)
        team_id = team.id

    def rename(s):
        s.get(Team, team_id).name += "!"

    apply_once(db, 42, -100, rename)
    with pytest.raises(AlreadyDone):
        apply_once(db, 42, -100, rename)
    with db.session() as s:
        assert s.get(Team, team_id).name == "T!"


def test_a_failed_effect_leaves_no_trace_and_can_be_retried(db):
    with session_scope(db) as s:
        team, _ = _team_with_members(s, 0)
        team_id = team.id

    def broken(s):
        s.get(Team, team_id).name = "half-way"
        raise RuntimeError("crash mid-update")

    with pytest.raises(RuntimeError):
        apply_once(db, 43, -100, broken)
    apply_once(db, 43, -100, lambda s: setattr(s.get(Team, team_id), "name", "done"))
    with db.session() as s:
        assert s.get(Team, team_id).name == "done"
