"""The network overview's queries and aliases, on SQLite and PostgreSQL, without Telegram."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event

from piebot.charts.data import ElementResult, RoundResult
from piebot.charts.levels import levels_side_by_side
from piebot.storage import networks, rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import NetworkMembership
from piebot.storage.network_overview import network_overview

SECRET = b"test-secret"


def add_team(session, n: int, network_id: int, *, anonymous: bool = False, view: int = 8) -> int:
    team = teams.ensure_team(session, -5000 - n, f"Team number {n}", "Europe/London")
    team.name, team.set_up = f"Service {n:03d}", True
    members = [teams.join(session, team, 90000 + n * 10 + k, f"Worker {k}")[0] for k in range(3)]
    for offset in (0, 2):
        round_ = rounds.open_round(session, team_id=team.id, element_ids=["pathways", "support"], scope="all",
                                   scope_ref=None, mode="async", anonymous=False, framework_variant="pies2",
                                   opened_by=None)
        for member, value in zip(members, (view - 1, view, view + 1), strict=True):
            rounds.record_rating(session, round_, member, "pathways", value + offset)
        rounds.set_team_view(session, round_, "pathways", view + offset)
        rounds.add_evidence(session, round_, members[0], "pathways", "hindering", text=f"gap {n}")
        rounds.close_round(session, round_)
    session.add(NetworkMembership(network_id=network_id, team_id=team.id, anonymous=anonymous))
    session.flush()
    return team.id


def count_queries(db, work) -> int:
    seen = []

    def count(*_args) -> None:
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with session_scope(db) as session:
            work(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_overview_takes_the_same_few_queries_for_3_or_30_teams(db):
    with session_scope(db) as s:
        small = networks.create_network(s, "Small", 1).id
        large = networks.create_network(s, "Large", 2).id
        for n in range(3):
            add_team(s, n, small)
        for n in range(3, 33):
            add_team(s, n, large, anonymous=n % 2 == 0)
    few = count_queries(db, lambda s: network_overview(s, small, SECRET))
    many = count_queries(db, lambda s: network_overview(s, large, SECRET))
    assert few == many <= 8
    with session_scope(db) as s:
        overview = network_overview(s, large, SECRET)
    assert len(overview.teams) == 30 and overview.anonymous_teams == 15
    pathways = overview.element("pathways")
    assert len(pathways.views) == 30 and all(v.value == 10 and v.previous == 8 for v in pathways.views)
    assert all(d.compared == 1 and d.up == 1 and d.places == 2 for d in overview.distances)
    assert len(pathways.individual) == 90
    assert overview.teams == sorted(overview.teams, key=str.casefold)


def test_aliases_are_stable_and_do_not_follow_the_order_of_joining():
    joined = list(range(1, 27))
    letters = networks.aliases(SECRET, 7, joined)
    assert len(set(letters.values())) == 26 and all(re.fullmatch(r"Team [A-Z]{1,2}", a) for a in letters.values())
    # Joining order is not the alphabet's order.
    assert [letters[t] for t in joined[:5]] != ["Team A", "Team B", "Team C", "Team D", "Team E"]
    # Another team joining changes no letter already shown.
    more = networks.aliases(SECRET, 7, joined + [99])
    assert all(more[t] == letters[t] for t in joined)
    # The same team gets an unrelated letter in another network; another secret gives other letters.
    assert networks.aliases(SECRET, 8, joined) != letters
    assert networks.aliases(b"other", 7, joined) != letters


def test_levels_side_by_side_highlights_where_views_differ_most():
    round_ = RoundResult(4, "Hope House", date(2026, 11, 1), False, ["Just starting", "Getting there", "Well on the way",
                                                                      "Embedded"], [
        ElementResult("empathy", "Empathy and emotional intelligence", "Psychological awareness", False,
                      [("Bea", 8), ("Cal", 9), ("Dee", 10)], 9),
        ElementResult("pathways", "Pathways, systems and system coherence", "Spaces of opportunity", False,
                      [("Bea", 3), ("Cal", 4), ("Dee", 14)], 12),
        ElementResult("relationships-with-staff", "Relationships with staff", "Relationships", True,
                      [("Bea", 3)], 6),
    ])
    chart = levels_side_by_side(round_, {"pathways": [2, 4, 5]})
    assert chart.width_px == 1080 and chart.height_px < 1350 and chart.png.startswith(b"\x89PNG")
    assert chart.caption.endswith("They differ most on Pathways, systems and system coherence.")
    assert ("Differ most: Pathways, systems and system coherence (own views about a level from the team view, "
            "on average)") in chart.details
    assert ("Pathways, systems and system coherence: 3 own views from Just starting — halfway to Well on the way — "
            "well along, middle Just starting — well along; team view Well on the way — early on; "
            "service users: 3 people, middle Just starting — well along.") in chart.details
    assert ("Relationships with staff: fewer than 3 own views, not shown; team view Getting there — at the start."
            in chart.details)
    for name in ("Bea", "Cal", "Dee"):
        assert name not in chart.caption + chart.details
    assert "service users" not in levels_side_by_side(round_).details
