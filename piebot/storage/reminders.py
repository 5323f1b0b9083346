"""Reminders as rows: nudges to answer a check-in, actions coming due (and once past their date), the
team's review date, /away.

Each reminder is claimed by a unique row before it is sent (a Nudge per member and key, a Firing
of the review row), so a second process or a second tick never sends it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from conversations.actions import STILL_OPEN
from conversations.actions import Action as ActionView
from conversations.schedule import action_reminder_at, defer_for_quiet_hours, reassessment_reminders
from piebot.storage.checkins import answered, subject
from piebot.storage.closings import action_view
from piebot.storage.models import Action, CheckIn, Member, Nudge, Schedule, Team
from piebot.storage.schedules import aware, checkin_schedule, quiet_of, take_firing, zone

# Reminders for a review or an action are sent until the end of their day, then dropped as stale.
REMINDER_TIME = "10:00"


@dataclass(frozen=True)
class Nudging:
    """One private reminder to send: a check-in still unanswered, or an action coming due."""

    telegram_user_id: int
    key: str
    timezone: str
    framework_variant: str
    customisation: dict
    checkin_id: int | None = None
    element_id: str | None = None
    closes_at: datetime | None = None
    action: ActionView | None = None
    action_id: int | None = None


def is_away(member: Member, today: date) -> bool:
    return member.away_until is not None and today <= member.away_until


def _claim_nudge(session: Session, member_id: int, key: str, now: datetime) -> bool:
    try:
        with session.begin_nested():
            session.add(Nudge(member_id=member_id, key=key, sent_at=now))
            session.flush()
        return True
    except IntegrityError:
        return False


def release_nudge(session: Session, telegram_user_id: int, key: str) -> None:
    """A nudge that could not be delivered (the member blocked the bot) may be tried again later."""
    member_ids = select(Member.id).where(Member.telegram_user_id == telegram_user_id)
    for nudge in session.exec(select(Nudge).where(Nudge.key == key, Nudge.member_id.in_(member_ids))):
        session.delete(nudge)


def due_checkin_nudges(session: Session, now: datetime) -> list[Nudging]:
    """Halfway through a window, one private nudge to each member who hasn't answered and isn't away."""
    nudges = []
    rows = session.exec(
        select(CheckIn, Team)
        .join(Team, Team.id == CheckIn.team_id)
        .where(CheckIn.closed_at.is_(None), CheckIn.closes_at > now, CheckIn.message_id.is_not(None),
               Team.paused == False)  # noqa: E712
    )
    for checkin, team in rows:
        opened = aware(checkin.slot or checkin.opened_at)
        if now < opened + (aware(checkin.closes_at) - opened) / 2:
            continue
        schedule = session.get(Schedule, checkin.schedule_id) if checkin.schedule_id else None
        tz = zone(team)
        if defer_for_quiet_hours(now, tz, quiet_of(schedule)) != now:
            continue
        today = now.astimezone(tz).date()
        done = answered(session, checkin.id)
        key = subject(checkin.id)
        for member in session.exec(
            select(Member).where(Member.team_id == team.id, Member.active, Member.private_chat)
        ):
            if member.id in done or is_away(member, today):
                continue
            if _claim_nudge(session, member.id, key, now):
                nudges.append(Nudging(member.telegram_user_id, key, team.timezone, team.framework_variant,
                                      dict(team.customisation or {}), checkin.id, checkin.element_id,
                                      aware(checkin.closes_at)))
    return nudges


def due_action_reminders(session: Session, now: datetime) -> list[Nudging]:
    """Owners of open actions, privately: the set number of days before the due date (until the day ends),
    and once more the day after it has passed, since that is when "done, or still on?" gets its answer."""
    reminders = []
    rows = session.exec(
        select(Action, Member, Team)
        .join(Member, Member.id == Action.owner_member_id)
        .join(Team, Team.id == Action.team_id)
        .where(Action.status.in_(STILL_OPEN), Action.due.is_not(None), Member.active, Member.private_chat,
               Team.paused == False)  # noqa: E712
    )
    schedules: dict[int, Schedule | None] = {}
    for action, member, team in rows:
        if team.id not in schedules:
            schedules[team.id] = checkin_schedule(session, team.id)
        schedule = schedules[team.id]
        tz = zone(team)
        days_before = schedule.remind_days_before if schedule else 2
        today = now.astimezone(tz).date()
        late = today > action.due
        # Past its date: the next morning, at the reminders' time, whenever the bot is next up.
        at = action_reminder_at(action.due, -1 if late else days_before, tz, REMINDER_TIME)
        if now < at or is_away(member, today):
            continue
        if defer_for_quiet_hours(now, tz, quiet_of(schedule)) != now:
            continue
        key = f"action:{action.id}:{action.due.isoformat()}" + (":late" if late else "")
        if _claim_nudge(session, member.id, key, now):
            names = {member.id: member.display_name}
            reminders.append(Nudging(member.telegram_user_id, key, team.timezone, team.framework_variant,
                                     dict(team.customisation or {}), action=action_view(action, names),
                                     action_id=action.id))
    return reminders


@dataclass(frozen=True)
class ReviewReminder:
    chat_id: int
    team_id: int
    review_on: date
    on_the_day: bool
    timezone: str


def due_review_reminders(session: Session, now: datetime) -> list[ReviewReminder]:
    """A week before the review date and on the day, to the group, once each (a Firing of the review row)."""
    reminders = []
    rows = session.exec(
        select(Schedule, Team)
        .join(Team, Team.id == Schedule.team_id)
        .where(Schedule.kind == "reassessment", Schedule.review_date.is_not(None), Team.set_up,
               Team.paused == False)  # noqa: E712
    )
    for review, team in rows:
        tz = zone(team)
        quiet = quiet_of(checkin_schedule(session, team.id))
        for n, at in enumerate(reassessment_reminders(review.review_date, tz, REMINDER_TIME)):
            if not at <= now < at + timedelta(hours=14):
                continue
            if defer_for_quiet_hours(now, tz, quiet) != now:
                continue
            if take_firing(session, review.id, at, "sent", now):
                reminders.append(ReviewReminder(team.chat_id, team.id, review.review_date, n == 1, team.timezone))
    return reminders


# ---------------------------------------------------------------- away


def set_away(session: Session, telegram_user_id: int, until: date | None) -> int:
    """Away (or back, with None) in every team the person belongs to; returns how many teams."""
    members = list(session.exec(select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active)))
    for member in members:
        member.away_until = until
    return len(members)
