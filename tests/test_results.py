"""From rows to chart data (piebot.storage.results), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from conversations.checkin_figures import Answer
from conversations.texts.charts import OTHER_THEME
from framework import example_relationships
from piebot.charts import spread, team_profile
from piebot.storage import rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import (
    CheckIn,
    Firing,
    PeerReview,
    Rating,
    Round,
    Schedule,
    Team,
)
from piebot.storage.results import (
    action_rows,
    checkin_points,
    export_rows,
    latest_rounds,
    round_result,
)


def make_team(session, *, customisation: dict | None = None, members=("Ada", "Bea", "Cal", "Dee")):
    team = teams.ensure_team(session, -1001, "Hope House", "Europe/London")
    team.name = "Hope House"
    team.set_up = True
    if customisation is not None:
        team.customisation = customisation
    people = [teams.join(session, team, 100 + i, name)[0] for i, name in enumerate(members)]
    session.flush()
    return team, people


def run_round(session, team, people, element_ids, views, *, anonymous=False, answers=None, closed_at=None,
              during=None):
    round_ = rounds.open_round(session, team_id=team.id, element_ids=element_ids, scope="all", scope_ref=None,
                               mode="async", anonymous=anonymous, framework_variant="pies2", opened_by=people[0].id)
    for element_id in element_ids:
        for member, value in zip(people, (answers or {}).get(element_id, []), strict=False):
            rounds.record_rating(session, round_, member, element_id, value)
        if views.get(element_id) is not None:
            rounds.set_team_view(session, round_, element_id, views[element_id])
    if during is not None:
        during(round_)
    rounds.close_round(session, round_)
    if closed_at is not None:
        round_.closed_at = closed_at
    session.flush()
    return round_


def test_round_result_names_views_evidence_actions_and_the_earlier_round(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        first = run_round(s, team, people, ["responsiveness", "training"], {"responsiveness": 6, "training": 9},
                          closed_at=datetime(2025, 1, 10, 12, tzinfo=timezone.utc))
        def talk(second):
            for stage, text in (("evidence", "We bent the curfew for Sam"), ("hindering", "Rota gaps"),
                                ("helping", "Good supervision"), ("action_plan", "not a list of its own")):
                rounds.add_evidence(s, second, people[1], "responsiveness", stage, text=text)
            rounds.add_evidence(s, second, people[2], "responsiveness", "evidence", text="Told in private",
                                private=True)
            rounds.add_evidence(s, second, people[2], "responsiveness", "evidence", kind="photo", file_id="x")
            rounds.add_action(s, team_id=team.id, round_id=second.id, element_id="responsiveness",
                              text="Weekly rule review", owner_member_id=people[1].id, due=date(2025, 4, 1),
                              success_measure="Fewer evictions")
            rounds.add_action(s, team_id=team.id, round_id=second.id, element_id="three-rs", text="Theme-wide")

        second = run_round(s, team, people, ["responsiveness", "training"], {"responsiveness": 11},
                           answers={"responsiveness": [10, 12, 11, 9]},
                           closed_at=datetime(2025, 3, 3, 23, 30, tzinfo=timezone.utc), during=talk)
        s.add(PeerReview(round_id=second.id, code_hash="h1", comments="Thoughtful team.\nKeep going."))
        s.add(PeerReview(round_id=second.id, code_hash="h2", comments="  "))
        ids = first.id, second.id

    with session_scope(db) as s:
        result = round_result(s, ids[1], today=date(2025, 4, 2))
        assert [r.id for r in latest_rounds(s, team.id, 5)] == [ids[1], ids[0]]
        assert [r.id for r in latest_rounds(s, team.id, 1)] == [ids[1]]

    assert result.team_name == "Hope House" and not result.anonymous
    assert result.closed_on == date(2025, 3, 3)  # 23:30 UTC is still 3 March in London (GMT)
    assert result.level_labels == ["Just starting", "Getting there", "Well on the way", "Embedded"]
    resp, training = result.elements
    assert (resp.element_name, resp.theme_name, resp.written_in) == ("Responsiveness", "The Three Rs", False)
    assert sorted(resp.ratings) == [("Ada", 10), ("Bea", 12), ("Cal", 11), ("Dee", 9)]
    assert (resp.team_view, resp.previous_team_view) == (11, 6)
    assert (training.team_view, training.previous_team_view, training.ratings) == (None, 9, [])
    assert resp.evidence == ["We bent the curfew for Sam", "(a photo)",
                             "(1 note given privately, kept within the team)"]
    assert (resp.hinders, resp.helps) == (["Rota gaps"], ["Good supervision"])
    weekly, theme_wide = result.actions
    assert (weekly.owner, weekly.status, weekly.theme_name, weekly.element_name) == (
        "Bea", "overdue", "The Three Rs", "Responsiveness")
    assert weekly.success_measure == "Fewer evictions"
    assert (theme_wide.theme_name, theme_wide.element_name, theme_wide.status) == ("The Three Rs", None, "open")
    assert result.peer_comments == ["Thoughtful team.\nKeep going."]


def test_anonymous_round_carries_no_names_at_all(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        round_ = run_round(s, team, people, ["support"], {"support": 8}, anonymous=True,
                           answers={"support": [4, 8, 15]})
        rounds.add_action(s, team_id=team.id, round_id=round_.id, element_id="support", text="Buddy system",
                          owner_member_id=people[1].id)
        round_id, team_id = round_.id, team.id
    with session_scope(db) as s:
        result = round_result(s, round_id)
        actions = action_rows(s, team_id)
        exported = export_rows(s, team_id)
    assert result.anonymous and sorted(result.elements[0].ratings) == [(None, 4), (None, 8), (None, 15)]
    assert result.actions[0].owner is None and actions[0].owner is None and exported.actions[0].owner is None
    assert exported.rounds[0].anonymous


def test_hidden_and_written_in_elements_keep_a_name(db):
    relationships = example_relationships().model_dump(mode="json")
    with session_scope(db) as s:
        team, people = make_team(s, customisation=relationships)
        round_ = run_round(s, team, people, ["relationships-with-staff", "support"],
                           {"relationships-with-staff": 12, "support": 5})
        # The team later hides Support: its old round must still read, under its id.
        team.customisation = {**relationships, "hidden": ["support"]}
        round_id = round_.id
    with session_scope(db) as s:
        result = round_result(s, round_id)
    own, hidden = result.elements
    assert own.written_in and own.theme_name == "Relationships" and own.element_name != own.element_id
    assert (hidden.element_name, hidden.theme_name, hidden.team_view) == ("support", OTHER_THEME, 5)
    team_profile(result)  # draws without complaint


def test_checkin_points_with_answers_empty_and_missed_slots(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        schedule = Schedule(team_id=team.id, kind="checkin", element_id="responsiveness")
        other = Schedule(team_id=team.id, kind="checkin", element_id="support")
        s.add(schedule)
        s.add(other)
        s.flush()
        start = datetime(2025, 1, 6, 14, tzinfo=timezone.utc)
        # A bead tapped in the group is kept as its level (value is the level's first place, level_only).
        for week, values in enumerate([[(8, False), (10, False), (12, False)], [], [(11, True), (13, False)]]):
            slot = start + timedelta(weeks=week)
            c = CheckIn(team_id=team.id, schedule_id=schedule.id, slot=slot, opened_at=slot,
                        closes_at=slot + timedelta(hours=24), closed_at=slot + timedelta(hours=24))
            s.add(c)
            s.flush()
            for v, level_only in values:
                s.add(Rating(team_id=team.id, checkin_id=c.id, element_id="responsiveness", value=v,
                             level_only=level_only))
        # Still open: not charted yet.
        s.add(CheckIn(team_id=team.id, schedule_id=schedule.id, opened_at=datetime.now(timezone.utc),
                      closes_at=datetime.now(timezone.utc) + timedelta(hours=5)))
        s.add(Firing(schedule_id=schedule.id, slot=start + timedelta(weeks=3), outcome="missed"))
        s.add(Firing(schedule_id=schedule.id, slot=start + timedelta(weeks=4), outcome="sent"))
        s.add(Firing(schedule_id=other.id, slot=start + timedelta(weeks=5), outcome="missed"))
        team_id = team.id
    with session_scope(db) as s:
        points = checkin_points(s, team_id, "responsiveness")
        assert checkin_points(s, team_id, "empathy") == []
        exported = export_rows(s, team_id)
    assert [(p.on, p.answers, p.answered, p.missed) for p in points] == [
        (date(2025, 1, 6), (Answer.at(8), Answer.at(10), Answer.at(12)), 3, False),
        (date(2025, 1, 13), (), 0, False),
        (date(2025, 1, 20), (Answer.in_level(3), Answer.at(13)), 2, False),
        (date(2025, 1, 27), (), 0, True),
    ]
    assert points[0].figures.middle_place == 10
    # A level and a place: no middle place, and the level is not turned into one.
    assert (points[2].figures.middle_place, points[2].figures.middle_level) == (None, 3)
    assert [s_.element_name for s_ in exported.checkins] == ["Responsiveness"]


def test_overdue_is_judged_by_the_teams_own_date(db):
    with session_scope(db) as s:
        team, people = make_team(s)
        team.timezone = "Australia/Sydney"
        for text, due, status in (("a", date(2025, 5, 1), "open"), ("b", date(2025, 4, 30), "open"),
                                  ("c", date(2025, 4, 1), "done"), ("d", None, "open")):
            action = rounds.add_action(s, team_id=team.id, text=text, element_id="training", due=due)
            action.status = status
        team_id = team.id
    with session_scope(db) as s:
        rows = action_rows(s, team_id, today=date(2025, 5, 1))
    assert [(r.text, r.status, r.theme_name) for r in rows] == [
        ("a", "open", "Training and support"), ("b", "overdue", "Training and support"),
        ("c", "done", "Training and support"), ("d", "open", "Training and support")]


def test_no_rounds_yet_gives_empty_results(db):
    with session_scope(db) as s:
        team, _ = make_team(s)
        team_id = team.id
    with session_scope(db) as s:
        assert latest_rounds(s, team_id, 2) == []
        empty = export_rows(s, team_id)
        assert (empty.rounds, empty.checkins, empty.actions) == ([], [], [])
        assert s.get(Team, team_id).name == "Hope House"


def test_sixty_members_make_a_readable_spread(db):
    with session_scope(db) as s:
        team, people = make_team(s, members=[f"Person {i}" for i in range(60)])
        round_ = run_round(s, team, people, ["empathy", "training"], {"empathy": 10},
                           answers={"empathy": [1 + (i * 7) % 20 for i in range(60)]})
        round_id = round_.id
    with session_scope(db) as s:
        result = round_result(s, round_id)
        assert s.get(Round, round_id).status == "closed"
    assert len(result.elements[0].ratings) == 60 and result.answered == 60
    chart = spread(result)
    assert "60 people answered" in chart.caption and "60 answers" in chart.details
