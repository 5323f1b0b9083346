"""A member's rights over what is kept about them, and a team's over its own data.

Anonymous answers carry no member. While their round or check-in is open, or while they wait sealed
(fewer than three people gave one), the bot can still find a person's own (by the keyed hashes of
piebot.storage.ballots), so /mydata shows them and /forgetme erases them; once they have gone into a
closed scope nobody can, the bot included, and they stay in the team's totals until the team's
retention runs out or the team deletes everything. docs/anonymity.md says what
each right removes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, SQLModel, select

from conversations.checkin import Question
from conversations.texts import privacy as texts
from conversations.walk import Walks
from framework import Stage
from piebot.storage import ballot_box, ballots
from piebot.storage.models import (
    Action,
    ActionChange,
    ActionQuestion,
    CheckIn,
    Dialog,
    Evidence,
    Member,
    Network,
    Nudge,
    Participation,
    PeerReview,
    Prompt,
    Rating,
    Round,
    SealedBallot,
    Team,
)

# Every part of a scope a person may have answered anonymously: the owner keys to look for.
PARTS = ("rating", *(str(s) for s in Stage), *(str(q) for q in Question))

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
        wrote = session.exec(select(Action).where(Action.author_member_id == member.id).order_by(Action.id))
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
                "actions_you_wrote": [
                    _row(a, ("round_id", "checkin_id", "element_id", "text", "due", "status", "created_at"))
                    for a in wrote
                ],
                "reminders_sent": [_row(n, ("key", "sent_at")) for n in nudges],
                # Only the bot can find these: in scopes still open, and ballots still sealed.
                "anonymous_answers_still_findable": _findable(session, member),
                # That you answered, never what: anonymous answers are not linked to anyone.
                "took_part_in": [_row(p, ("subject", "element_id", "part")) for p in took_part],
                "rounds_you_opened": list(opened),
            }
        )
    dialogs = session.exec(select(Dialog).where(Dialog.telegram_user_id == telegram_user_id))
    asked = session.exec(select(Prompt).where(Prompt.chat_id == telegram_user_id).order_by(Prompt.id))
    reviews = session.exec(select(PeerReview).where(PeerReview.reviewer_user_id == telegram_user_id))
    networks = session.exec(select(Network.name).where(Network.lead_user_id == telegram_user_id))
    return {
        "telegram_user_id": telegram_user_id,
        "teams": teams,
        "conversations_in_progress": [_row(d, ("chat_id", "state", "updated_at")) for d in dialogs],
        "questions_waiting_for_your_reply": [_row(p, ("purpose", "round_id", "checkin_id", "element_id", "stage",
                                                         "created_at")) for p in asked],
        "peer_reviews_you_gave": [_row(r, ("round_id", "comments", "redeemed_at")) for r in reviews],
        "networks_you_lead": list(networks),
        "not_included": texts.MYDATA_NOT_INCLUDED,
    }


def _open_anonymous_scopes(session: Session, team_id: int) -> list[tuple[str, list[str]]]:
    """(scope, its elements) of the team's open anonymous rounds and check-ins."""
    found = [(ballots.round_scope(r.id), list(r.element_ids)) for r in session.exec(
        select(Round).where(Round.team_id == team_id, Round.anonymous, Round.status != "closed"))]
    found += [(ballots.checkin_scope(c.id), [c.element_id]) for c in session.exec(
        select(CheckIn).where(CheckIn.team_id == team_id, CheckIn.anonymous, CheckIn.closed_at.is_(None)))]
    return found


def _sealed_scopes(session: Session, team_id: int) -> set[str]:
    return set(session.exec(select(SealedBallot.scope).where(SealedBallot.team_id == team_id).distinct()))


def _findable_scopes(session: Session, team_id: int) -> list[tuple[str, list[str]]]:
    """Where a person's anonymous answers can still be found, with the elements whose answers are in the
    answers yet: the open anonymous rounds and check-ins, then every other scope with ballots still sealed
    (a support press, an answer fewer than three people gave before a close), whose answers are all sealed."""
    open_scopes = _open_anonymous_scopes(session, team_id)
    done = {scope for scope, _ in open_scopes}
    return open_scopes + [(scope, []) for scope in sorted(_sealed_scopes(session, team_id) - done)]


def _findable(session: Session, member: Member) -> list[dict[str, Any]]:
    """A person's own anonymous answers the bot can still find: in the answers, or still sealed."""
    if ballots.KEYS not in session.info:
        return []
    who = ballots.member(member.id)
    found = []
    scopes = _findable_scopes(session, member.team_id)
    for scope, elements in scopes:
        for element in elements:
            for part in PARTS:
                for model, kind in ((Rating, "rating"), (Evidence, "evidence"), (Action, "action")):
                    for row in ballot_box.own_rows(session, model, scope, element, part, who):
                        found.append({"in": scope, "element_id": element, "part": part, "kind": kind,
                                      "value": getattr(row, "value", None), "text": getattr(row, "text", None),
                                      "waiting": False})
    for scope, _ in scopes:
        for ballot in ballot_box.own_waiting(session, scope, who):
            found.append({"in": scope, "element_id": ballot.element, "part": ballot.part, "kind": ballot.kind,
                          "value": ballot.row.get("value"), "text": ballot.row.get("text"), "op": ballot.op,
                          "waiting": True})
    return found


def forget_member(session: Session, telegram_user_id: int) -> dict[str, int]:
    """Erase what is named: answers, evidence, reminders, conversations; keep the team's anonymous totals.

    The member rows stay, anonymised, so actions and rounds they touched still add up.
    """
    ids = _member_ids(session, telegram_user_id)
    counts = {"teams": len(ids), "ratings": 0, "evidence": 0, "anonymous": 0}
    if ids and ballots.KEYS in session.info:
        for member in session.exec(select(Member).where(Member.id.in_(ids))):
            who = ballots.member(member.id)
            for scope, elements in _findable_scopes(session, member.team_id):
                parts = [(element, part) for element in elements for part in PARTS]
                counts["anonymous"] += ballot_box.forget_in_scope(session, scope, who, parts)
    if ids:
        counts["ratings"] = session.exec(delete(Rating).where(Rating.member_id.in_(ids))).rowcount
        counts["evidence"] = session.exec(delete(Evidence).where(Evidence.member_id.in_(ids))).rowcount
        _delete_actions(session, select(Action.id).where(Action.author_member_id.in_(ids)))
        # Changes they made to others' actions stay (the history still adds up), without their name or words.
        dropped_by_them = select(ActionChange.action_id).where(ActionChange.changed_by_member_id.in_(ids),
                                                               ActionChange.status == "dropped")
        session.exec(update(Action).where(Action.id.in_(dropped_by_them)).values(drop_reason=""))
        session.exec(update(ActionChange).where(ActionChange.changed_by_member_id.in_(ids))
                     .values(changed_by_member_id=None, reason=""))
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
    session.exec(delete(Prompt).where(Prompt.chat_id == telegram_user_id))
    session.exec(delete(ActionQuestion).where(ActionQuestion.chat_id == telegram_user_id))
    # What a reviewer wrote goes with them, like a member's named evidence.
    session.exec(update(PeerReview).where(PeerReview.reviewer_user_id == telegram_user_id)
                 .values(reviewer_user_id=None, comments=""))
    session.flush()
    return counts


def purge_expired(session: Session, now: datetime) -> dict[str, int]:
    """Delete, by age, everything people wrote or that says they answered, past each team's retention.
    Safe to run any number of times."""
    counts = dict.fromkeys(("ratings", "evidence", "actions", "reviews", "prompts", "participation", "dialogs",
                            "sealed", "reminders"), 0)
    for team in session.exec(select(Team).where(Team.retention_days.is_not(None))):
        if team.retention_days is None or team.retention_days <= 0:
            continue
        cutoff = now - timedelta(days=team.retention_days)

        def gone(statement) -> int:
            return session.exec(statement).rowcount

        counts["ratings"] += gone(delete(Rating).where(Rating.team_id == team.id, Rating.created_at < cutoff))
        counts["evidence"] += gone(delete(Evidence).where(Evidence.team_id == team.id, Evidence.created_at < cutoff))
        counts["actions"] += _delete_actions(session, select(Action.id).where(Action.team_id == team.id,
                                                                            Action.created_at < cutoff))
        gone(delete(ActionChange).where(ActionChange.team_id == team.id, ActionChange.changed_at < cutoff))
        old_rounds = list(session.exec(select(Round.id).where(Round.team_id == team.id, Round.opened_at < cutoff)))
        old_checkins = list(session.exec(select(CheckIn.id).where(CheckIn.team_id == team.id,
                                                                  CheckIn.opened_at < cutoff)))
        counts["reviews"] += gone(delete(PeerReview).where(PeerReview.round_id.in_(old_rounds),
                                                           PeerReview.created_at < cutoff))
        counts["prompts"] += gone(delete(Prompt).where(Prompt.team_id == team.id, Prompt.created_at < cutoff))
        subjects = [ballots.round_scope(i) for i in old_rounds] + [ballots.checkin_scope(i) for i in old_checkins]
        if subjects:
            counts["participation"] += gone(delete(Participation).where(Participation.subject.in_(subjects)))
            counts["sealed"] += gone(delete(SealedBallot).where(SealedBallot.scope.in_(subjects)))
        counts["sealed"] += _purge_old_ballots(session, team.id, cutoff)
        members = list(session.exec(select(Member.id, Member.telegram_user_id).where(Member.team_id == team.id)))
        chats = [team.chat_id, *(user_id for _, user_id in members)]
        counts["dialogs"] += gone(delete(Dialog).where(Dialog.chat_id.in_(chats), Dialog.updated_at < cutoff))
        counts["prompts"] += gone(delete(ActionQuestion).where(ActionQuestion.chat_id.in_(chats),
                                                               ActionQuestion.created_at < cutoff))
        counts["reminders"] += gone(delete(Nudge).where(Nudge.member_id.in_([i for i, _ in members]),
                                                        Nudge.sent_at < cutoff))
    session.flush()
    return counts


def _purge_old_ballots(session: Session, team_id: int, cutoff: datetime) -> int:
    """Sealed ballots of any kind (a support press waiting for two more people, an answer in a scope too
    young to go by its opening) sealed before the cutoff: only the time inside the seal tells their age."""
    if ballots.KEYS not in session.info:
        return 0
    before = cutoff.replace(tzinfo=cutoff.tzinfo or timezone.utc).timestamp() * 1e9
    old = [b.key for scope in _sealed_scopes(session, team_id) for b in ballots.waiting(session, scope) if b.at < before]
    if not old:
        return 0
    return session.exec(delete(SealedBallot).where(SealedBallot.key.in_(old))).rowcount


def _delete_actions(session: Session, which) -> int:
    """Actions and what hangs on them (their history, questions waiting for a reply); how many actions went."""
    ids = list(session.exec(which))
    if not ids:
        return 0
    session.exec(delete(ActionChange).where(ActionChange.action_id.in_(ids)))
    session.exec(delete(ActionQuestion).where(ActionQuestion.action_id.in_(ids)))
    return session.exec(delete(Action).where(Action.id.in_(ids))).rowcount


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
    _forget_team_in_private_dialogs(session, team_id)
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


def _forget_team_in_private_dialogs(session: Session, team_id: int) -> None:
    """Members' private chats remember where they stood in the team's rounds: that goes with the team,
    and a dialog left with nothing in it goes too."""
    round_ids = set(session.exec(select(Round.id).where(Round.team_id == team_id)))
    round_keys = {str(i) for i in round_ids}  # as a service-user round is kept in a dialog
    users = list(session.exec(select(Member.telegram_user_id).where(Member.team_id == team_id)))
    for dialog in session.exec(select(Dialog).where(Dialog.telegram_user_id.in_(users))):
        state = dict(dialog.state or {})
        if "walk" in state:
            walks = Walks.load(state["walk"])
            for round_id in round_ids:
                walks.forget(round_id)
            if walks.is_empty():
                state.pop("walk")
            else:
                state["walk"] = walks.dump()
        if isinstance(state.get("sv"), dict) and str(state["sv"].get("round")) in round_keys:
            state.pop("sv")
        if not any(state.values()):
            session.delete(dialog)
        elif state != dialog.state:
            dialog.state = state
