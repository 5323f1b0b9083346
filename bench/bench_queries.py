"""Queries: a round's summary and a network's overview, on SQLite and PostgreSQL.

Data: one team of 50 members with 20 closed rounds of all 15 elements (15,000 ratings, team views,
evidence, actions), next to 200 other teams in one network, each with 4 closed rounds (12,000 team
views, ~96,000 ratings), so indexes have to pick the right rows out of many.

- Round summary: what the summary posted at the end of a round reads, through the live round's own
  function (`piebot.telegram.rounds.summary.summary_text`: ratings per element of the latest round, its team
  views, the previous round's team views, the actions and their owners). Goal <= 20 ms. The charts'
  and report's `piebot.storage.results.round_result` (the same round with evidence) is shown too.
- Network overview: the latest agreed team view (and the one before) of every canonical element for
  each of the network's 200 teams, in one query: the networks feature's own
  `piebot.storage.network_overview._team_views`. Goal <= 200 ms. Its whole `network_overview` (team views,
  individual views, check-ins, hindrances, shared actions: seven queries) is shown against the same
  goal.

Each figure is the median of repeated runs, each in a fresh session, as a handler's `rt.read` does.
Floor: one indexed primary-key lookup (`SELECT team WHERE id = ?`) through the same engine, session
and ORM. `SELECT 1` would time only the round trip; the key lookup adds what every real query pays
(compiling the statement, the index, building a row object), so the ratio reads as "this many of the
smallest real queries".
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select
from sqlmodel import Session

from bench.common import engines, row
from framework import load_framework
from piebot.storage.db import Database
from piebot.storage.models import (
    Action,
    Evidence,
    Member,
    Network,
    NetworkMembership,
    Rating,
    Round,
    RoundElement,
    Team,
    utcnow,
)

SUMMARY_GOAL_MS = 20.0
OVERVIEW_GOAL_MS = 200.0
ELEMENTS = [e.id for e in load_framework("pies2").elements]


def seed(db: Database, *, members: int, rounds: int, teams: int, team_rounds: int, team_members: int) -> dict:
    """Bulk inserts; returns the ids the queries need."""
    rnd = random.Random(3)
    start = utcnow() - timedelta(days=30 * (rounds + 1))
    with Session(db.engine) as session:
        focus = Team(chat_id=-1, name="Riverside", set_up=True)
        network = Network(name="North", lead_user_id=1)
        session.add_all([focus, network])
        session.flush()
        session.execute(insert(Team), [{"chat_id": -2 - t, "name": f"Team {t}", "set_up": True, "customisation": {},
                                        "created_at": start} for t in range(teams)])
        others = list(session.execute(select(Team.id).where(Team.id != focus.id).order_by(Team.id)).scalars())
        session.execute(insert(NetworkMembership), [{"network_id": network.id, "team_id": t, "joined_at": start}
                                                    for t in others])
        plan = [(focus.id, members, rounds)] + [(t, team_members, team_rounds) for t in others]
        session.execute(insert(Member), [{"team_id": t, "telegram_user_id": 10_000 + t * 100 + i,
                                          "display_name": f"Member {i}", "joined_at": start}
                                         for t, n, _ in plan for i in range(n)])
        member_ids: dict[int, list[int]] = {}
        for team_id, member_id in session.execute(select(Member.team_id, Member.id)):
            member_ids.setdefault(team_id, []).append(member_id)
        session.execute(insert(Round), [
            {"team_id": t, "framework_variant": "pies2", "audience": "staff", "scope": "all",
             "element_ids": ELEMENTS, "mode": "live", "anonymous": False, "status": "closed",
             "current_index": len(ELEMENTS) - 1, "opened_at": start + timedelta(days=30 * k),
             "closed_at": start + timedelta(days=30 * k, hours=2)}
            for t, _, n_rounds in plan for k in range(n_rounds)])
        round_rows = list(session.execute(select(Round.id, Round.team_id)))
        session.execute(insert(RoundElement), [
            {"round_id": r, "element_id": e, "position": p, "phase": "closed", "stage": "action_plan",
             "team_view": rnd.randint(1, 20), "closed_at": start}
            for r, _ in round_rows for p, e in enumerate(ELEMENTS)])
        ratings, evidence, actions = [], [], []
        for r, t in round_rows:
            for e in ELEMENTS:
                for m in member_ids[t]:
                    ratings.append({"team_id": t, "round_id": r, "element_id": e, "member_id": m,
                                    "value": rnd.randint(1, 20), "created_at": start, "updated_at": start})
                if t == focus.id:
                    evidence += [{"team_id": t, "round_id": r, "element_id": e, "stage": stage,
                                  "member_id": rnd.choice(member_ids[t]), "kind": "text",
                                  "text": f"What we saw about {e}.", "private": False, "created_at": start}
                                 for stage in ("evidence", "evidence", "hindering", "helping")]
            if t == focus.id:
                actions += [{"team_id": t, "round_id": r, "element_id": ELEMENTS[i], "text": f"Action {i}",
                             "owner_member_id": member_ids[t][i], "success_measure": "we see it", "status": "open",
                             "depends_on_others": False, "created_at": start} for i in range(5)]
        for table, rows_ in ((Rating, ratings), (Evidence, evidence), (Action, actions)):
            for i in range(0, len(rows_), 20_000):
                session.execute(insert(table), rows_[i:i + 20_000])
        session.commit()
        latest = session.execute(
            select(Round.id).where(Round.team_id == focus.id).order_by(Round.closed_at.desc()).limit(1)
        ).scalar_one()
        ids = {"round_id": latest, "network_id": network.id, "team_id": focus.id, "teams": len(others),
               "ratings": len(ratings)}
    with db.engine.connect() as conn:  # fresh statistics, as a database that has lived a while has
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return ids


def median_ms(db: Database, work, repeats: int) -> float:
    with Session(db.engine) as session:  # warm the connection pool, the statement cache and the pages
        work(session)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        with Session(db.engine, expire_on_commit=False) as session:
            work(session)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure_engine(name: str, url: str, smoke: bool) -> list[dict]:
    sizes = (dict(members=5, rounds=3, teams=5, team_rounds=2, team_members=3) if smoke
             else dict(members=50, rounds=20, teams=200, team_rounds=4, team_members=8))
    repeats = 3 if smoke else 30
    db = Database(url)
    db.upgrade()
    ids = seed(db, **sizes)
    from piebot.storage.network_overview import _team_views, canonical_ids, network_overview
    from piebot.storage.results import round_result
    from piebot.telegram.rounds.summary import summary_text

    canonical = canonical_ids()
    with Session(db.engine) as session:
        found = len(_team_views(session, ids["network_id"], canonical))
    if found != ids["teams"] * len(ELEMENTS):
        raise RuntimeError(f"the network's team views gave {found} rows, expected {ids['teams'] * len(ELEMENTS)}")
    floor = median_ms(db, lambda s: s.execute(select(Team).where(Team.id == ids["team_id"])).scalar_one(),
                      repeats * 3)
    summary = median_ms(db, lambda s: summary_text(s, ids["round_id"]), repeats)
    result = median_ms(db, lambda s: round_result(s, ids["round_id"]), repeats)
    views = median_ms(db, lambda s: _team_views(s, ids["network_id"], canonical), repeats)
    network = median_ms(db, lambda s: network_overview(s, ids["network_id"], b"bench"), repeats)
    db.dispose()
    m, r = sizes["members"], sizes["rounds"]
    return [
        row(f"round summary, {m} members x 15 x {r} rounds, {name}", summary, floor,
            f"<= {SUMMARY_GOAL_MS:g} ms", "ms", summary <= SUMMARY_GOAL_MS),
        row(f"round_result (charts, report), {name}", result, floor,
            f"<= {SUMMARY_GOAL_MS:g} ms", "ms", result <= SUMMARY_GOAL_MS),
        row(f"network team views, {sizes['teams']} teams, one query, {name}", views, floor,
            f"<= {OVERVIEW_GOAL_MS:g} ms", "ms", views <= OVERVIEW_GOAL_MS),
        row(f"network_overview (all 7 queries), {name}", network, floor,
            f"<= {OVERVIEW_GOAL_MS:g} ms", "ms", network <= OVERVIEW_GOAL_MS),
        row(f"query floor: primary-key lookup, {name}", floor, None, "floor", "ms", None),
    ]


def run(smoke: bool = False) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="piebot-bench-") as tmp:
        for name, url in engines(Path(tmp)):
            rows += measure_engine(name, url, smoke)
    return rows


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
