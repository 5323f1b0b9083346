"""A member's rights over what is kept about them, and a team's over its own data.

Anonymous answers carry no member, so they can be neither exported nor erased per person:
they are the team's, and stay in its totals until the team's retention runs out or the
team deletes everything.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, SQLModel, select

from conversations.texts import privacy as texts
from piebot.storage.models import (
    Action,
    Dialog,
    Evidence,
    Member,
    Network,
    Nudge,
    Participation,
    PeerReview,
    Rating,
    Round,
    Team,
)

FORMER_MEMBER = texts.FORMER_MEMBER


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: SQLModel, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _member_ids(session: Session, telegram_user_id: int) -> list[int]:
    return list(session.exec(select(Member.id).where(Member.telegram_user_id == telegram_user_id)))


def export_member(session: Session, telegram_user_id: int) -> dict[str, Any]:
    """Everything kept that points at this person, as plain JSON-ready data."""
    teams = []
    for member, team in session.exec(
        select(Member, Team).join(Team, Team.id == Member.team_id).where(Member.telegram_user_id == telegram_user_id)
    ):
        ratings = session.exec(select(Rating).where(Rating.member_id == member.id).order_by(Rating.id))
        evidence = session.exec(select(Evidence).where(Evidence.member_id == member.id).order_by(Evidence.id))
        actions = session.exec(select(Action).where(Action.owner_member_id == member.id).order_by(Action.id))
        nudges = session.exec(select(Nudge).where(Nudge.member_id == member.id).order_by(Nudge.id))
        took_part = session.exec(select(Participation).where(Participation.member_id == member.id))
        opened = session.exec(select(Round.id).where(Round.opened_by_member_id == member.id))
        teams.append(
            {
                "team": {"id": team.id, "name": team.name},
                "member": _row(
                    member, ("display_name", "facilitator", "active", "private_chat", "away_until", "joined_at")
                ),
                "ratings": [
                    _row(r, ("round_id", "checkin_id", "element_id", "value", "level_only", "created_at", "updated_at"))
                    for r in ratings
                ],
                "evidence": [
                    _row(e, ("round_id", "checkin_id", "element_id", "stage", "kind", "text", "file_id", "private",
                             "created_at"))
                    for e in evidence
                ],
                "actions_you_own": [
                    _row(a, ("round_id", "element_id", "text", "due", "success_measure", "status", "created_at"))
                    for a in actions
                ],
                "reminders_sent": [_row(n, ("key", "sent_at")) for n in nudges],
                # That you answered, never what: anonymous answers are not linked to anyone.
                "took_part_in": [_row(p, ("subject", "element_id", "part")) for p in took_part],
                "rounds_you_opened": list(opened),
            }
        )
    dialogs = session.exec(select(Dialog).where(Dialog.telegram_user_id == telegram_user_id))
    reviews = session.exec(select(PeerReview).where(PeerReview.reviewer_user_id == telegram_user_id))
    networks = session.exec(select(Network.name).where(Network.lead_user_id == telegram_user_id))
    return {
        "telegram_user_id": telegram_user_id,
        "teams": teams,
        "conversations_in_progress": [_row(d, ("chat_id", "state", "updated_at")) for d in dialogs],
        "peer_reviews_you_gave": [_row(r, ("round_id", "comments", "redeemed_at")) for r in reviews],
        "networks_you_lead": list(networks),
        "not_included": texts.MYDATA_NOT_INCLUDED,
    }


def forget_member(session: Session, telegram_user_id: int) -> dict[str, int]:
    """Erase what is named: answers, evidence, reminders, conversations; keep the team's anonymous totals.

    The member rows stay, anonymised, so actions and rounds they touched still add up.
    """
    ids = _member_ids(session, telegram_user_id)
    counts = {"teams": len(ids), "ratings": 0, "evidence": 0}
    if ids:
        counts["ratings"] = session.exec(delete(Rating).where(Rating.member_id.in_(ids))).rowcount
        counts["evidence"] = session.exec(delete(Evidence).where(Evidence.member_id.in_(ids))).rowcount
        session.exec(delete(Participation).where(Participation.member_id.in_(ids)))
        session.exec(delete(Nudge).where(Nudge.member_id.in_(ids)))
        session.exec(update(Action).where(Action.owner_member_id.in_(ids)).values(owner_member_id=None))
        session.exec(update(Round).where(Round.opened_by_member_id.in_(ids)).values(opened_by_member_id=None))
        for member in session.exec(select(Member).where(Member.id.in_(ids))):
            member.display_name = FORMER_MEMBER
            # The Telegram id is personal too; a negative stand-in keeps (team, user) unique and can
            # never match a real person (user ids are positive).
            member.telegram_user_id = -member.id
            member.active = False
            member.facilitator = False
            member.private_chat = False
            member.away_until = None
    session.exec(delete(Dialog).where(Dialog.telegram_user_id == telegram_user_id))
    session.exec(update(PeerReview).where(PeerReview.reviewer_user_id == telegram_user_id).values(reviewer_user_id=None))
    session.flush()
    return counts


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """Delete answers older than each team's retention. Safe to run any number of times."""
    counts = {"ratings": 0, "evidence": 0}
    for team in session.exec(select(Team).where(Team.retention_days.is_not(None))):
        if team.retention_days is None or team.retention_days <= 0:
            continue
        cutoff = now - timedelta(days=team.retention_days)
        counts["ratings"] += session.exec(
            delete(Rating).where(Rating.team_id == team.id, Rating.created_at < cutoff)
        ).rowcount
        counts["evidence"] += session.exec(
            delete(Evidence).where(Evidence.team_id == team.id, Evidence.created_at < cutoff)
        ).rowcount
    session.flush()
    return counts


def set_retention(session: Session, team_id: int, days: int | None) -> None:
    team = session.get(Team, team_id)
    if team is not None:
        team.retention_days = days


def delete_team(session: Session, team_id: int) -> bool:
    """Every row of the team, found through the schema so tables added later are covered too.

    A row goes if it names the team, names the team's chat, or cannot exist without a row that
    goes (a NOT NULL foreign key to it). A row that merely mentions one (a nullable foreign key,
    such as something of another team pointing at a departing member) stays, with the link cleared.
    """
    team = session.get(Team, team_id)
    if team is None:
        return False
    tables = SQLModel.metadata.sorted_tables  # parents before children
    team_table = Team.__table__
    doomed_ids: dict = {team_table: {team_id}}
    doomed_where: dict = {}
    cleared: list = []
    for table in tables:
        if table is team_table:
            continue
        owning, mentions = [], []
        for fk in table.foreign_keys:
            ids = doomed_ids.get(fk.column.table)
            if not ids:
                continue
            condition = fk.parent.in_(ids)
            (mentions if fk.parent.nullable and fk.parent.name != "team_id" else owning).append(condition)
            if fk.parent.nullable and fk.parent.name != "team_id":
                cleared.append((table, fk.parent, condition))
        if "chat_id" in table.c and table is not team_table:
            owning.append(table.c.chat_id == team.chat_id)
        if not owning:
            continue
        where = or_(*owning)
        doomed_where[table] = where
        key = list(table.primary_key.columns)
        if len(key) == 1:
            doomed_ids[table] = set(session.exec(select(key[0]).where(where)))
    for table, column, condition in cleared:
        session.exec(update(table).where(condition).values({column.name: None}))
    for table in reversed(tables):
        if table in doomed_where:
            session.exec(delete(table).where(doomed_where[table]))
    session.exec(delete(team_table).where(team_table.c.id == team_id))
    session.flush()
    return True
