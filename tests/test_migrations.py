"""Upgrading a database that teams already use loses nothing, on SQLite and PostgreSQL.

The database is built at the first migration and filled through that revision's own tables
(reflected, so the test does not depend on today's models), then upgraded to head, whatever head
is by then. Every row must read back the same, and today's models must be able to load it.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, select

import piebot.storage
from piebot.storage import models
from piebot.storage.db import Database

FIRST = "0001"
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
# What members write comes back byte for byte: quotes, markup-looking text, accents, emoji.
WRITTEN = "Bea's <b>note</b> — we \"checked in\" at handover 🙂 ünïcödé"

# Rows in dependency order, as they would be in a team's first weeks: two teams in a network, members
# (one who left), a round with named and anonymous ratings, evidence, actions, a check-in on a schedule
# that fired, a nudge, a peer review, a prompt waiting for a reply, a dialog and processed updates.
ROWS: list[tuple[str, dict]] = [
    ("team", dict(id=1, chat_id=-4000000001, chat_title="Hope House", name="Hope House team",
                  framework_variant="pies2", customisation={"written_in_themes": [{"name": "Relationships"}]},
                  timezone="Europe/London", set_up=True, strengths_first=True, anonymous_by_default=False,
                  share_private_evidence_with_peer=False, retention_days=None, paused=False,
                  support_contacts="Duty manager: 0123", support_requests=1, service_user_permission=False,
                  created_at=T0)),
    ("team", dict(id=2, chat_id=-1002000000001, chat_title="Riverside", name="Riverside", framework_variant="pies2",
                  customisation={}, timezone="Europe/Dublin", set_up=True, strengths_first=False,
                  anonymous_by_default=True, share_private_evidence_with_peer=True, retention_days=365, paused=True,
                  support_contacts="", support_requests=0, service_user_permission=True, created_at=T0)),
    ("member", dict(id=1, team_id=1, telegram_user_id=100000001, display_name="Ada", facilitator=True, active=True,
                    private_chat=True, away_until=None, joined_at=T0)),
    ("member", dict(id=2, team_id=1, telegram_user_id=100000002, display_name="Bea", facilitator=False, active=True,
                    private_chat=True, away_until=date(2026, 4, 1), joined_at=T0)),
    ("member", dict(id=3, team_id=1, telegram_user_id=100000003, display_name="Cal", facilitator=False, active=False,
                    private_chat=False, away_until=None, joined_at=T0)),
    ("member", dict(id=4, team_id=2, telegram_user_id=100000001, display_name="Ada", facilitator=False, active=True,
                    private_chat=True, away_until=None, joined_at=T1)),
    ("network", dict(id=1, name="North Housing", lead_user_id=100000009, created_at=T0)),
    ("networkmembership", dict(id=1, network_id=1, team_id=1, anonymous=False, share_service_user_views=False,
                               share_evidence=True, joined_at=T0)),
    ("networkmembership", dict(id=2, network_id=1, team_id=2, anonymous=True, share_service_user_views=False,
                               share_evidence=False, joined_at=T1)),
    ("schedule", dict(id=1, team_id=1, kind="checkin", cadence="weekly", weekday=1, day_of_month=None,
                      local_time="14:00", window_hours=24, quiet_start="21:00", quiet_end="08:00",
                      element_id="responsiveness", anonymous=False, anchor=date(2026, 3, 3), review_date=None,
                      remind_days_before=2, active=True, created_at=T0)),
    ("checkin", dict(id=1, team_id=1, schedule_id=1, element_id="responsiveness", anonymous=False, slot=T1,
                     opened_at=T1, closes_at=T1, closed_at=T1, message_id=77)),
    ("firing", dict(id=1, schedule_id=1, slot=T1, outcome="sent", fired_at=T1)),
    ("nudge", dict(id=1, member_id=2, key="checkin:1", sent_at=T1)),
    ("round", dict(id=1, team_id=1, framework_variant="pies2", audience="staff", scope="theme",
                   scope_ref="relationships", element_ids=["relationships_staff", "responsiveness"], mode="live",
                   anonymous=False, status="closed", current_index=1, deadline=None, status_message_id=42,
                   opened_by_member_id=1, opened_at=T0, closed_at=T1, review_date=date(2026, 6, 1))),
    ("round", dict(id=2, team_id=1, framework_variant="pies2", audience="staff", scope="element",
                   scope_ref="responsiveness", element_ids=["responsiveness"], mode="async", anonymous=True,
                   status="open", current_index=0, deadline=T1, status_message_id=None, opened_by_member_id=None,
                   opened_at=T1, closed_at=None, review_date=None)),
    ("roundelement", dict(id=1, round_id=1, element_id="relationships_staff", position=0, phase="closed",
                          stage="doing", card_message_id=43, team_view=13, closed_at=T1)),
    ("roundelement", dict(id=2, round_id=1, element_id="responsiveness", position=1, phase="closed", stage=None,
                          card_message_id=44, team_view=None, closed_at=T1)),
    ("rating", dict(id=1, team_id=1, round_id=1, checkin_id=None, element_id="relationships_staff", member_id=1,
                    value=13, created_at=T0, updated_at=T1)),
    ("rating", dict(id=2, team_id=1, round_id=1, checkin_id=None, element_id="relationships_staff", member_id=2,
                    value=8, created_at=T0, updated_at=T0)),
    # Anonymous: no member, and Participation only says that someone answered.
    ("rating", dict(id=3, team_id=1, round_id=2, checkin_id=None, element_id="responsiveness", member_id=None,
                    value=1, created_at=T1, updated_at=T1)),
    ("rating", dict(id=4, team_id=1, round_id=None, checkin_id=1, element_id="responsiveness", member_id=2,
                    value=17, created_at=T1, updated_at=T1)),
    ("participation", dict(member_id=2, subject="round:2", element_id="responsiveness", part="rating")),
    ("evidence", dict(id=1, team_id=1, round_id=1, checkin_id=None, element_id="relationships_staff",
                      stage="doing", member_id=2, kind="text", text=WRITTEN, file_id=None, private=False,
                      created_at=T0)),
    ("evidence", dict(id=2, team_id=1, round_id=1, checkin_id=None, element_id="relationships_staff",
                      stage="reviewing", member_id=None, kind="photo", text="", file_id="AgACAgQ-photo-1",
                      private=True, created_at=T1)),
    ("action", dict(id=1, team_id=1, round_id=1, checkin_id=None, element_id="relationships_staff",
                    text="Handover notes include " + WRITTEN, owner_member_id=2, due=date(2026, 4, 15),
                    success_measure="Everyone reads them", status="open", depends_on_others=True, created_at=T1,
                    done_at=None)),
    ("peerreview", dict(id=1, round_id=1, code_hash="c0ffee" * 10, created_at=T1, redeemed_at=None,
                        reviewer_user_id=None, comments="")),
    ("prompt", dict(id=1, chat_id=-4000000001, message_id=45, team_id=1, purpose="evidence", round_id=2,
                    checkin_id=None, element_id="responsiveness", stage="planning", created_at=T1)),
    ("dialog", dict(id=1, chat_id=100000002, telegram_user_id=100000002,
                    state={"step": "evidence", "round": 2, "draft": WRITTEN}, updated_at=T1)),
    ("processedupdate", dict(update_id=2**40 + 7, processed_at=T1)),
    ("processedupdate", dict(update_id=1, processed_at=T0)),
    ("usedtoken", dict(nonce="n-1", used_at=T1)),
]


def _snapshot(db: Database, columns_of: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of the filled tables, read through the live schema, limited to the first revision's columns."""
    metadata = sa.MetaData()
    snapshot: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        for name, columns in columns_of.items():
            table = sa.Table(name, metadata, autoload_with=conn)
            key = [c for c in table.primary_key.columns]
            rows = conn.execute(sa.select(*(table.c[c] for c in columns)).order_by(*key)).all()
            snapshot[name] = [tuple(row) for row in rows]
    return snapshot


def _fill_first_revision(db: Database) -> dict[str, list[str]]:
    metadata = sa.MetaData()
    columns_of: dict[str, list[str]] = {}
    with db.engine.begin() as conn:
        for name, values in ROWS:
            table = metadata.tables[name] if name in metadata.tables else sa.Table(name, metadata, autoload_with=conn)
            missing = set(values) - set(table.c.keys())
            assert not missing, f"{name} had no {missing} at {FIRST}; the test's data is wrong"
            conn.execute(table.insert().values(**values))
            columns_of.setdefault(name, sorted(values))
        if db.is_postgres:
            # Explicit ids leave the sequences behind; the app's next insert must not collide.
            for name, columns in columns_of.items():
                if "id" in columns:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                         f"(SELECT max(id) FROM \"{name}\"))"))
    return columns_of


# Anonymous answers are moved by 0005 (new random keys, in shuffled order): compared without their keys.
ANONYMOUS_ROUNDS = {2}


def _keys_of_anonymous_answers_left_out(snapshot: dict[str, list[tuple]],
                                        columns_of: dict[str, list[str]]) -> dict[str, list[tuple]]:
    out = dict(snapshot)
    for name in ("rating", "evidence"):
        columns = columns_of[name]
        at = {c: i for i, c in enumerate(columns)}

        def moved(row, at=at):
            return row[at["member_id"]] is None and row[at["round_id"]] in ANONYMOUS_ROUNDS

        out[name] = sorted((tuple(None if (c == "id" and moved(row)) else v
                                  for c, v in zip(columns, row, strict=True)) for row in snapshot[name]), key=repr)
    return out


def _head(db: Database) -> str:
    return ScriptDirectory.from_config(db.alembic_config()).get_current_head()


def _current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _all_models() -> None:
    # Tables defined beside models.py register on SQLModel.metadata when their module is imported.
    for info in pkgutil.iter_modules(piebot.storage.__path__):
        importlib.import_module(f"piebot.storage.{info.name}")


async def test_upgrading_a_used_database_keeps_every_row(database_url):
    db = Database(database_url)
    try:
        db.upgrade(FIRST)
        assert _current(db) == FIRST
        columns_of = _fill_first_revision(db)
        before = _snapshot(db, columns_of)
        assert sum(len(rows) for rows in before.values()) == len(ROWS)

        db.upgrade()

        assert _current(db) == _head(db)
        assert _keys_of_anonymous_answers_left_out(_snapshot(db, columns_of), columns_of) == \
            _keys_of_anonymous_answers_left_out(before, columns_of)
        # Today's models read the old rows, new columns and all.
        with Session(db.engine) as session:
            assert [t.name for t in session.exec(select(models.Team).order_by(models.Team.id))] == [
                "Hope House team", "Riverside"]
            ratings = session.exec(select(models.Rating).order_by(models.Rating.id)).all()
            # The anonymous one has a random negative key now; the named ones keep theirs.
            assert [(r.member_id, r.value) for r in ratings] == [(None, 1), (1, 13), (2, 8), (2, 17)]
            assert ratings[0].id < 0 and ratings[0].owner_key is None
            evidence = session.exec(select(models.Evidence).order_by(models.Evidence.id)).all()
            assert evidence[0].text == WRITTEN and evidence[1].file_id == "AgACAgQ-photo-1"
            assert session.get(models.Dialog, 1).state["draft"] == WRITTEN
            assert session.get(models.Round, 1).element_ids == ["relationships_staff", "responsiveness"]
            assert session.get(models.Firing, 1).slot == T1
            assert session.get(models.ProcessedUpdate, 2**40 + 7) is not None
            # And the team can carry on: a new member and a new rating go in beside the old ones.
            session.add(models.Member(team_id=1, telegram_user_id=100000004, display_name="Dee"))
            session.flush()
            session.add(models.Rating(team_id=1, round_id=2, element_id="responsiveness", member_id=None, value=9))
            session.commit()
    finally:
        db.dispose()


async def test_upgrading_twice_changes_nothing(database_url):
    db = Database(database_url)
    try:
        db.upgrade(FIRST)
        columns_of = _fill_first_revision(db)
        db.upgrade()
        once = _snapshot(db, columns_of)
        db.upgrade()
        assert _snapshot(db, columns_of) == once
    finally:
        db.dispose()


async def test_the_models_match_the_newest_migration(database_url):
    """`alembic check`: a model change without its migration fails here (ask for a new revision)."""
    _all_models()
    db = Database(database_url)
    try:
        db.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
        assert differences == [], "models and migrations differ; generate a revision:\n" + "\n".join(
            map(repr, differences))
    finally:
        db.dispose()
