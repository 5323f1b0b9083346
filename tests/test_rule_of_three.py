"""The rule of three wherever something leaves the bot: fewer than three views are never shown as values,
a middle, a lowest or a highest — in the round report PDF, the levels chart, the CSV exports, the check-in
trend, the network overview, the peer-review pack — and teams under an alias join a network's overview in
threes."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from conversations.texts.charts import TOO_FEW_LONG
from conversations.texts.networks import no_checkin_yet
from conversations.texts.reports import place_words
from framework import shared_framework
from piebot.charts.data import ElementResult, NothingToChart, RoundResult
from piebot.charts.export import export_csv
from piebot.charts.levels import levels_side_by_side
from piebot.charts.report import round_report_pdf
from piebot.storage import results
from piebot.storage.db import session_scope
from piebot.storage.models import CheckIn, Member, Network, NetworkMembership, Rating, Team, utcnow
from piebot.storage.network_overview import network_overview
from tests.test_charts import pdf_text
from tests.test_results import make_team, run_round

SECRET = b"a-network-secret-of-at-least-32-bytes"


def _element(values: list[int]) -> ElementResult:
    return ElementResult("empathy", "Empathy", "Relationships", False, [(None, v) for v in values], 10)


def _csv(files, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(dict(files)[name].decode("utf-8-sig"))))


def test_ratings_csv_lists_no_value_of_an_anonymous_element_with_fewer_than_three_answers():
    few = RoundResult(1, "Team", None, True, ["A", "B", "C", "D"], [_element([4, 17])])
    enough = RoundResult(2, "Team", None, True, ["A", "B", "C", "D"], [_element([4, 9, 17])])
    rows = _csv(export_csv([few, enough], [], []), "ratings.csv")
    first = [r for r in rows if r["round"] == "1"]
    assert len(first) == 1 and first[0]["place (1-20)"] == "" and "fewer than 3" in first[0]["member"]
    assert sorted(int(r["place (1-20)"]) for r in rows if r["round"] == "2") == [4, 9, 17]


def _team(s, chat_id: int, name: str = "Team") -> Team:
    team = Team(chat_id=chat_id, name=name, set_up=True)
    s.add(team)
    s.flush()
    return team


def _checkin_with(s, team: Team, values: list[int], anonymous: bool = True) -> None:
    now = utcnow()
    checkin = CheckIn(team_id=team.id, anonymous=anonymous, opened_at=now - timedelta(days=2),
                      closes_at=now - timedelta(days=1), closed_at=now - timedelta(days=1))
    s.add(checkin)
    s.flush()
    for v in values:
        s.add(Rating(team_id=team.id, checkin_id=checkin.id, element_id="responsiveness", value=v))


def test_checkins_csv_gives_no_middle_lowest_highest_or_level_counts_from_one_or_two_answers(db):
    with session_scope(db) as s:
        team = _team(s, -10)
        _checkin_with(s, team, [3, 18])
        _checkin_with(s, team, [5, 9, 12])
        team_id = team.id
    with db.session() as s:
        points = results.checkin_points(s, team_id)
        rows = _csv(export_csv([], [results.export_rows(s, team_id).checkins[0]], []), "checkins.csv")
    assert [p.answered for p in points] == [2, 3]
    figures = ["middle place (1-20)", "lowest place (1-20)", "highest place (1-20)"]
    levels = [key for key in rows[0] if key.startswith("in ")]
    assert len(levels) == 4
    assert [(r["answered"], *(r[k] for k in figures)) for r in rows] == [("2", "", "", ""), ("3", "9", "5", "12")]
    assert [rows[0][k] for k in levels] == ["", "", "", ""]
    assert sum(int(rows[1][k]) for k in levels) == 3


def test_network_overview_hides_small_checkins_and_shows_aliased_teams_in_threes(db):
    with session_scope(db) as s:
        network = Network(name="North", lead_user_id=5)
        s.add(network)
        s.flush()
        named = _team(s, -20, "Hope House")
        _checkin_with(s, named, [4, 16])
        s.add(NetworkMembership(network_id=network.id, team_id=named.id))
        for i in range(4):
            hidden = _team(s, -30 - i, f"Secret {i}")
            s.add(NetworkMembership(network_id=network.id, team_id=hidden.id, anonymous=True))
            s.flush()
        network_id = network.id
    with db.session() as s:
        overview = network_overview(s, network_id, SECRET)
    # Three under an alias show together; the fourth waits for two more, and the lead is told.
    assert len(overview.teams) == 4 and overview.anonymous_teams == 3 and overview.waiting_anonymous == 1
    assert not any(t.startswith("Secret") for t in overview.teams)
    [hope] = [c for c in overview.checkins if c.team == "Hope House"]
    assert [(p.middle, p.middle_level, p.answered) for p in hope.points] == [(None, None, 2)]
    # The lead's chart and words say nothing of a check-in two people answered.
    from piebot.charts.network import checkin_words, network_checkins

    assert checkin_words(hope) == no_checkin_yet("Hope House")
    with pytest.raises(NothingToChart):
        network_checkins(overview)


def test_the_peer_review_pack_shows_no_view_of_fewer_than_three():
    from conversations.texts.peer_review import ReviewElement, ReviewPack, reviewer_view

    framework = shared_framework("pies2")
    pack = ReviewPack("Team", "A round", [ReviewElement("empathy", None, (3, 18))])
    shown = reviewer_view(framework, pack)
    assert "Middle" not in shown and "18" not in shown


def test_a_members_data_export_holds_no_one_elses_anonymous_answer(db):
    from piebot.storage import rounds
    from piebot.storage.privacy import export_member

    with session_scope(db) as s:
        team = _team(s, -40)
        people = [Member(team_id=team.id, telegram_user_id=700 + i, display_name=f"P{i}") for i in range(3)]
        s.add_all(people)
        s.flush()
        round_ = rounds.open_round(s, team_id=team.id, element_ids=["empathy"], scope="element",
                                   scope_ref="empathy", mode="async", anonymous=True, framework_variant="pies2",
                                   opened_by=None)
        for i, person in enumerate(people):
            rounds.record_rating(s, round_, person, "empathy", 5 + i)
    with db.session() as s:
        mine = export_member(s, 700)["teams"][0]["anonymous_answers_still_findable"]
        assert [a["value"] for a in mine] == [5]
        assert len(s.exec(select(Member)).all()) == 3


# One, two and three people's own views; places whose words no other answer of the round shares.
FEW = {"support": [2, 19], "training": [1], "responsiveness": [3, 10, 18]}


def _round_with_few_answers(db) -> RoundResult:
    with session_scope(db) as s:
        team, people = make_team(s)
        round_ = run_round(s, team, people, list(FEW), {}, answers=FEW)
        return results.round_result(s, round_.id)


def _element_section(text: str, name: str, following: str) -> str:
    start = text.index(f"\n{name}\nTeam view")
    return text[start:text.index(following, start + 1)]


def test_the_round_report_pdf_shows_no_lowest_or_highest_of_one_or_two_answers(db):
    result = _round_with_few_answers(db)
    labels = list(result.level_labels)
    text = pdf_text(round_report_pdf(result, compress=False)[0][1])
    sections = {"support": _element_section(text, "Support", "\nTraining\n"),
                "training": _element_section(text, "Training", "Theme:"),
                "responsiveness": _element_section(text, "Responsiveness", "· page")}
    for element_id in ("support", "training"):
        assert f"Individual answers: {TOO_FEW_LONG}." in sections[element_id]
    assert "Individual answers: 3, from Just starting — halfway to Embedded — halfway." in sections["responsiveness"]
    assert place_words(labels, 3) == "Just starting — halfway"
    flat = " ".join(text.split())
    # Nowhere in the report: not the places of the one or two who answered, nor how many they were.
    for value in (2, 19, 1):
        assert place_words(labels, value) not in flat, value
    assert "Individual answers: 2" not in flat and "Individual answers: 1" not in flat


def test_the_levels_chart_says_no_view_of_fewer_than_three_people_staff_or_service_users(db):
    result = _round_with_few_answers(db)
    labels = list(result.level_labels)
    # A team view on Support, so its row is drawn though only two gave their own view.
    agreed = dataclasses.replace(result, elements=[dataclasses.replace(e, team_view=8) if e.element_id == "support"
                                                   else e for e in result.elements])
    chart = levels_side_by_side(agreed, {"support": [4, 16], "responsiveness": [2, 5, 19]})
    lines = {line.split(":")[0]: line for line in chart.details.splitlines()[1:]}
    assert set(lines) == {"Support", "Responsiveness"}  # Training: one view, no team view, no row
    assert "fewer than 3 own views, not shown" in lines["Support"]
    assert "service users" not in lines["Support"]  # two people served: their middle would be their views
    assert "3 own views from Just starting — halfway to Embedded — halfway" in lines["Responsiveness"]
    assert "service users: 3 people, middle Just starting — near the top" in lines["Responsiveness"]
    for value in (2, 19, 1, 10):  # the two staff views, the one, and the two service users' middle
        assert place_words(labels, value) not in lines["Support"], value
