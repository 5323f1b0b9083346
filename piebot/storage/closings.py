"""Closing a check-in: its window runs out, one caller claims it, and its summary is gathered.

Also the team's actions as the check-in shows them: new ones from this check-in, and open ones
past their date (listed under the next check-in post and in the summary).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from conversations.actions import STILL_OPEN
from conversations.actions import Action as ActionView
from conversations.checkin import CheckInResult, Example, Question
from conversations.checkin_figures import Answer
from conversations.schedule import defer_for_quiet_hours
from piebot.storage import ballot_box, ballots
from piebot.storage.models import Action, CheckIn, Evidence, Member, Prompt, Rating, Schedule, Team
from piebot.storage.schedules import quiet_of, zone


@dataclass(frozen=True)
class Closing:
    checkin_id: int
    chat_id: int
    framework_variant: str
    customisation: dict
    result: CheckInResult


def _ratings(session: Session, checkin_id: int) -> list[Answer]:
    rows = session.exec(
        select(Rating.value, Rating.level_only).where(Rating.checkin_id == checkin_id).order_by(Rating.value)
    )
    return [Answer.kept(value, level_only) for value, level_only in rows]


def action_view(action: Action, names: dict[int, str]) -> ActionView:
    return ActionView(
        what=action.text, owner=names.get(action.owner_member_id, "") if action.owner_member_id else "",
        due=action.due, check=action.success_measure, element_id=action.element_id, done=action.status == "done",
    )


def _names(session: Session, team_id: int) -> dict[int, str]:
    return {m.id: m.display_name for m in session.exec(select(Member).where(Member.team_id == team_id))}


def overdue_actions(session: Session, team_id: int, today: date) -> list[Action]:
    """Open actions past their date: listed at the next check-in and the next round."""
    return list(
        session.exec(
            select(Action)
            .where(Action.team_id == team_id, Action.status.in_(STILL_OPEN), Action.due.is_not(None), Action.due < today)
            .order_by(Action.due, Action.id)
        )
    )


def overdue_by_team(session: Session, team_ids: list[int], now: datetime) -> dict[int, list[ActionView]]:
    """Each team's open actions past their date (by its own calendar), for the check-in post."""
    if not team_ids:
        return {}
    found: dict[int, list[ActionView]] = {}
    rows = session.exec(
        select(Action, Team)
        .join(Team, Team.id == Action.team_id)
        .where(Action.team_id.in_(team_ids), Action.status.in_(STILL_OPEN), Action.due.is_not(None),
               Action.due < now.date() + timedelta(days=1))
        .order_by(Action.due, Action.id)
    )
    names: dict[int, dict[int, str]] = {}
    for action, team in rows:
        if action.due >= now.astimezone(zone(team)).date():
            continue
        if team.id not in names:
            names[team.id] = _names(session, team.id)
        found.setdefault(team.id, []).append(action_view(action, names[team.id]))
    return found


def checkin_result(session: Session, checkin: CheckIn, team: Team, today: date) -> CheckInResult:
    names = _names(session, team.id)
    previous = session.exec(
        select(CheckIn)
        .where(CheckIn.team_id == team.id, CheckIn.id < checkin.id, CheckIn.closed_at.is_not(None),
               CheckIn.element_id == checkin.element_id)
        .order_by(CheckIn.id.desc())
    ).first()
    evidence = session.exec(select(Evidence).where(Evidence.checkin_id == checkin.id).order_by(Evidence.id))
    examples = []
    for item in evidence:
        question = Question(item.stage) if item.stage in Question._value2member_map_ else None
        if question is None or item.kind != "text":
            continue
        name = None if checkin.anonymous or item.member_id is None else names.get(item.member_id)
        text = item.text
        if question is Question.CHANGE and len(text.strip().splitlines()) > 1:
            text = text.strip().splitlines()[0]  # who and by when are in the action it became
        examples.append(Example(question, text, name))
    new_actions = session.exec(select(Action).where(Action.checkin_id == checkin.id).order_by(Action.id))
    members = session.exec(
        select(func.count()).select_from(Member).where(Member.team_id == team.id, Member.active)
    ).one()
    return CheckInResult(
        element_id=checkin.element_id,
        members=members,
        ratings=_ratings(session, checkin.id),
        today=today,
        anonymous=checkin.anonymous,
        previous_ratings=_ratings(session, previous.id) if previous else (),
        examples=examples,
        new_actions=[action_view(a, names) for a in new_actions],
        open_actions=[action_view(a, names) for a in overdue_actions(session, team.id, today)],
    )


def due_closings(session: Session, now: datetime) -> list[int]:
    """Check-ins whose window has run out and whose summary hasn't gone out, outside quiet hours."""
    rows = session.exec(
        select(CheckIn, Team)
        .join(Team, Team.id == CheckIn.team_id)
        .where(CheckIn.closed_at.is_(None), CheckIn.closes_at <= now, Team.paused == False)  # noqa: E712
    )
    due = []
    for checkin, team in rows:
        schedule = session.get(Schedule, checkin.schedule_id) if checkin.schedule_id else None
        if defer_for_quiet_hours(now, zone(team), quiet_of(schedule)) == now:
            due.append(checkin.id)
    return due


def claim_closing(session: Session, checkin_id: int, now: datetime) -> Closing | None:
    """Mark the check-in closed (only one caller wins) and gather its summary."""
    claimed = session.execute(
        update(CheckIn).where(CheckIn.id == checkin_id, CheckIn.closed_at.is_(None)).values(closed_at=now)
    )
    if claimed.rowcount != 1:
        return None
    checkin = session.get(CheckIn, checkin_id)
    session.refresh(checkin)
    if checkin.anonymous:
        # Its sealed answers go in before the summary is gathered. This transaction writes nothing of
        # anyone's (the scheduler's own), so the batch may share it; the questions asked go too.
        ballot_box.open_box(session, ballots.checkin_scope(checkin.id), final=True)
        session.execute(delete(Prompt).where(Prompt.checkin_id == checkin.id))
    team = session.get(Team, checkin.team_id)
    today = now.astimezone(zone(team)).date()
    return Closing(checkin.id, team.chat_id, team.framework_variant, dict(team.customisation or {}),
                   checkin_result(session, checkin, team, today))


def close_now(session: Session, checkin_id: int, now: datetime) -> Closing | None:
    """The facilitator closes the check-in early (one done in a meeting): claimed like a window running out,
    so its summary goes out once, whoever tries. The window is shortened to now as well, so if posting the
    summary fails and the claim is given back, the scheduler posts it at its next sweep."""
    closing = claim_closing(session, checkin_id, now)
    if closing is not None:
        session.execute(update(CheckIn).where(CheckIn.id == checkin_id, CheckIn.closes_at > now)
                        .values(closes_at=now))
    return closing


def claim_closings(session: Session, checkin_ids: list[int], now: datetime) -> list[Closing]:
    return [c for c in (claim_closing(session, i, now) for i in checkin_ids) if c is not None]


def unclaim_closing(session: Session, checkin_id: int) -> None:
    session.execute(update(CheckIn).where(CheckIn.id == checkin_id).values(closed_at=None))
