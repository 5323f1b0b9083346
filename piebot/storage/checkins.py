"""Check-ins, their schedules, and the reminders that go with them, as rows.

A schedule row is the source of truth; a slot is taken by inserting a unique (schedule, slot)
Firing row, so whoever inserts it first (this process or another, before or after a restart)
is the only one who posts it. Anonymous answers follow the rounds' rule: no member on the
rating or the evidence, only a Participation row saying that someone answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from conversations.actions import Action as ActionView
from conversations.checkin import CheckInResult, Example, Question, change_to_action
from conversations.schedule import (
    Cadence,
    QuietHours,
    ScheduleRule,
    action_reminder_at,
    defer_for_quiet_hours,
    next_slot,
    reassessment_reminders,
    slots_between,
    window_end,
)
from piebot.storage.models import (
    Action,
    CheckIn,
    Evidence,
    Firing,
    Member,
    Nudge,
    Participation,
    Rating,
    Round,
    Schedule,
    Team,
)
from piebot.storage.rounds import add_action

# A slot posted within this long of its time counts as on time; later ones are "late".
ON_TIME = timedelta(minutes=5)
# After a long outage only this far back is looked at: older slots are simply gone.
LOOK_BACK = timedelta(days=62)
# Reminders for a review or an action are sent until the end of their day, then dropped as stale.
REMINDER_TIME = "10:00"


class CheckInRefused(Exception):
    """An answer that can't be taken; the message says why, kindly."""


def subject(checkin_id: int) -> str:
    return f"checkin:{checkin_id}"


def zone(team: Team) -> ZoneInfo:
    return ZoneInfo(team.timezone)


# ---------------------------------------------------------------- schedules


def checkin_schedule(session: Session, team_id: int) -> Schedule | None:
    return session.exec(
        select(Schedule).where(Schedule.team_id == team_id, Schedule.kind == "checkin").order_by(Schedule.id)
    ).first()


def reassessment_schedule(session: Session, team_id: int) -> Schedule | None:
    return session.exec(
        select(Schedule).where(Schedule.team_id == team_id, Schedule.kind == "reassessment").order_by(Schedule.id)
    ).first()


def quiet_of(schedule: Schedule | None) -> QuietHours | None:
    if schedule is None:
        return QuietHours()
    if schedule.quiet_start is None or schedule.quiet_end is None:
        return None
    return QuietHours(schedule.quiet_start, schedule.quiet_end)


def rule_of(schedule: Schedule, review_on: date | None = None) -> ScheduleRule:
    cadence = Cadence(schedule.cadence)
    return ScheduleRule(
        cadence=cadence,
        day=schedule.day_of_month if cadence is Cadence.MONTHLY else schedule.weekday,
        time=schedule.local_time,
        window_hours=schedule.window_hours,
        quiet=quiet_of(schedule),
        starts_on=schedule.anchor,
        review_on=review_on,
        remind_days_before=schedule.remind_days_before,
    )


@dataclass(frozen=True)
class TeamSchedule:
    """What /schedule shows: the team, its check-in rule (if any) and its review date."""

    team: Team
    schedule: Schedule | None
    review_on: date | None

    @property
    def rule(self) -> ScheduleRule | None:
        return rule_of(self.schedule, self.review_on) if self.schedule else None


def team_schedule(session: Session, team: Team) -> TeamSchedule:
    review = reassessment_schedule(session, team.id)
    return TeamSchedule(team, checkin_schedule(session, team.id), review.review_date if review else None)


def save_schedule(
    session: Session, team_id: int, rule: ScheduleRule, *, element_id: str, anonymous: bool, now: datetime
) -> Schedule:
    """Write the team's check-in rule and its review date. Slots before `now` are never fired."""
    schedule = checkin_schedule(session, team_id)
    if schedule is None:
        schedule = Schedule(team_id=team_id, kind="checkin")
        session.add(schedule)
        # Inserted first: a column with a default would take the default, not None, on insert.
        session.flush()
    monthly = rule.cadence is Cadence.MONTHLY
    schedule.cadence = str(rule.cadence)
    schedule.weekday = 0 if monthly else rule.day
    schedule.day_of_month = rule.day if monthly else None
    schedule.local_time = rule.time
    schedule.window_hours = rule.window_hours
    schedule.quiet_start = rule.quiet.start if rule.quiet else None
    schedule.quiet_end = rule.quiet.end if rule.quiet else None
    schedule.element_id = element_id
    schedule.anonymous = anonymous
    schedule.anchor = rule.starts_on
    schedule.remind_days_before = rule.remind_days_before
    schedule.active = True
    # A changed rule starts counting from now: a slot that passed a minute ago must not fire late.
    schedule.created_at = now
    session.flush()
    set_review_date(session, team_id, rule.review_on)
    return schedule


def set_review_date(session: Session, team_id: int, review_on: date | None) -> Schedule:
    review = reassessment_schedule(session, team_id)
    if review is None:
        review = Schedule(team_id=team_id, kind="reassessment")
        session.add(review)
        session.flush()
    review.review_date = review_on
    session.flush()
    return review


def review_date_from_round(session: Session, round_id: int) -> tuple[int, date] | None:
    round_ = session.get(Round, round_id)
    if round_ is None or round_.review_date is None:
        return None
    set_review_date(session, round_.team_id, round_.review_date)
    return round_.team_id, round_.review_date


def latest_review_proposal(session: Session, team_id: int) -> date | None:
    return session.exec(
        select(Round.review_date)
        .where(Round.team_id == team_id, Round.status == "closed", Round.review_date.is_not(None))
        .order_by(Round.closed_at.desc())
    ).first()


# ---------------------------------------------------------------- taking slots


@dataclass(frozen=True)
class Post:
    """A check-in to post to a group."""

    checkin_id: int
    chat_id: int
    team_id: int
    framework_variant: str
    customisation: dict
    timezone: str
    element_id: str
    anonymous: bool
    closes_at: datetime


@dataclass(frozen=True)
class DueSlot:
    """A slot whose time has come: to post (unless someone else already has) or to record as missed."""

    schedule_id: int
    slot: datetime
    outcome: str  # sent | late | missed


@dataclass
class SlotsTaken:
    posts: list[Post] = field(default_factory=list)
    missed: int = 0


def _post_of(checkin: CheckIn, team: Team) -> Post:
    return Post(
        checkin.id, team.chat_id, team.id, team.framework_variant, dict(team.customisation or {}), team.timezone,
        checkin.element_id, checkin.anonymous, checkin.closes_at,
    )


def _last_slots(session: Session, schedule_ids: list[int]) -> dict[int, datetime]:
    if not schedule_ids:
        return {}
    rows = session.exec(
        select(Firing.schedule_id, func.max(Firing.slot)).where(Firing.schedule_id.in_(schedule_ids)).group_by(
            Firing.schedule_id
        )
    )
    return {sid: aware(slot) for sid, slot in rows}


def aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _take(session: Session, schedule_id: int, slot: datetime, outcome: str, now: datetime) -> bool:
    """Insert the slot's Firing row; False when someone (another process, an earlier run) has it."""
    try:
        with session.begin_nested():
            session.add(Firing(schedule_id=schedule_id, slot=slot, outcome=outcome, fired_at=now))
            session.flush()
        return True
    except IntegrityError:
        return False


def _active_checkin_schedules(session: Session) -> list[tuple[Schedule, Team]]:
    return list(
        session.exec(
            select(Schedule, Team)
            .join(Team, Team.id == Schedule.team_id)
            .where(Schedule.kind == "checkin", Schedule.active, Team.set_up, Team.paused == False)  # noqa: E712
        )
    )


def due_slots(session: Session, now: datetime) -> list[DueSlot]:
    """Every check-in slot due at `now` and not yet taken: to post now, or missed (window over).

    A slot in quiet hours is left for later (it stays due); one whose window ran out while the bot
    was down is missed, and only the latest slot of a schedule is ever posted.
    """
    due: list[DueSlot] = []
    rows = _active_checkin_schedules(session)
    last = _last_slots(session, [s.id for s, _ in rows])
    zones: dict[str, ZoneInfo] = {}
    for schedule, team in rows:
        tz = zones.setdefault(team.timezone, ZoneInfo(team.timezone))
        rule = rule_of(schedule)
        since = max(aware(schedule.created_at), now - LOOK_BACK)
        if schedule.id in last:
            since = max(since, last[schedule.id] + timedelta(microseconds=1))
        slots = slots_between(rule, tz, since, now + timedelta(microseconds=1))
        if not slots:
            continue
        *older, latest = slots
        # A later slot is due, so the windows of these have run out unanswered.
        due += [DueSlot(schedule.id, slot, "missed") for slot in older]
        if now >= window_end(latest, rule):
            due.append(DueSlot(schedule.id, latest, "missed"))
        elif defer_for_quiet_hours(now, tz, rule.quiet) == now:
            due.append(DueSlot(schedule.id, latest, "sent" if now - latest <= ON_TIME else "late"))
    return due


def _take_all(session: Session, slots: list[DueSlot], now: datetime) -> set[tuple[int, datetime]]:
    """Insert the Firing rows of many slots in one statement; returns the ones this call took.

    ON CONFLICT DO NOTHING is the unique-constraint race of `_take` without an exception per row:
    a slot already in the table (another process, an earlier run) is simply not returned.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return {(d.schedule_id, d.slot) for d in slots if _take(session, d.schedule_id, d.slot, d.outcome, now)}
    rows = [{"schedule_id": d.schedule_id, "slot": d.slot, "outcome": d.outcome, "fired_at": now} for d in slots]
    statement = (
        insert(Firing).values(rows).on_conflict_do_nothing(index_elements=["schedule_id", "slot"])
        .returning(Firing.schedule_id, Firing.slot)
    )
    return {(schedule_id, aware(slot)) for schedule_id, slot in session.execute(statement)}


def take_slots(session: Session, slots: list[DueSlot], now: datetime) -> SlotsTaken:
    """Take each slot (a unique Firing row) and open its check-in; slots someone else took are skipped."""
    taken = SlotsTaken()
    if not slots:
        return taken
    won = _take_all(session, slots, now)
    to_post = [d for d in slots if (d.schedule_id, d.slot) in won and d.outcome != "missed"]
    taken.missed = sum(1 for d in slots if (d.schedule_id, d.slot) in won and d.outcome == "missed")
    if not to_post:
        return taken
    rows = session.exec(
        select(Schedule, Team).join(Team, Team.id == Schedule.team_id).where(
            Schedule.id.in_([d.schedule_id for d in to_post])
        )
    )
    found = {schedule.id: (schedule, team) for schedule, team in rows}
    opened = []
    for due in to_post:
        schedule, team = found[due.schedule_id]
        checkin = CheckIn(
            team_id=team.id, schedule_id=schedule.id, element_id=schedule.element_id, anonymous=schedule.anonymous,
            slot=due.slot, opened_at=now, closes_at=window_end(due.slot, rule_of(schedule)),
        )
        opened.append((checkin, team))
    session.add_all([checkin for checkin, _ in opened])
    session.flush()
    taken.posts = [_post_of(checkin, team) for checkin, team in opened]
    return taken


def next_slot_after(session: Session, now: datetime) -> datetime | None:
    """The earliest slot of any active schedule after `now`: when the scheduler should next wake."""
    earliest = None
    zones: dict[str, ZoneInfo] = {}
    for schedule, team in _active_checkin_schedules(session):
        tz = zones.setdefault(team.timezone, ZoneInfo(team.timezone))
        try:
            slot = next_slot(rule_of(schedule), tz, now)
        except ValueError:
            continue
        if earliest is None or slot < earliest:
            earliest = slot
    return earliest


def unposted_checkins(session: Session, opened_before: datetime, now: datetime) -> list[Post]:
    """Check-ins whose slot was taken by a run that stopped before posting them, still open."""
    rows = session.exec(
        select(CheckIn, Team)
        .join(Team, Team.id == CheckIn.team_id)
        .where(
            CheckIn.message_id.is_(None), CheckIn.closed_at.is_(None), CheckIn.opened_at < opened_before,
            CheckIn.closes_at > now, Team.paused == False,  # noqa: E712
        )
    )
    return [_post_of(c, t) for c, t in rows]


def record_posted(session: Session, posted: Iterable[tuple[int, int]]) -> None:
    rows = [{"id": checkin_id, "message_id": message_id} for checkin_id, message_id in posted]
    if rows:
        session.execute(update(CheckIn), rows)  # one executemany, by primary key


def open_checkin_of(session: Session, team_id: int, now: datetime) -> CheckIn | None:
    return session.exec(
        select(CheckIn)
        .where(CheckIn.team_id == team_id, CheckIn.closed_at.is_(None), CheckIn.closes_at > now)
        .order_by(CheckIn.id.desc())
    ).first()


# ---------------------------------------------------------------- answers


def checkin_and_team(session: Session, checkin_id: int) -> tuple[CheckIn, Team] | None:
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None:
        return None
    return checkin, session.get(Team, checkin.team_id)


def is_open(checkin: CheckIn, now: datetime) -> bool:
    return checkin.closed_at is None and now < aware(checkin.closes_at)


def _check_open(checkin: CheckIn, now: datetime) -> None:
    if not is_open(checkin, now):
        raise CheckInRefused("This check-in has closed. Thank you — there'll be another soon.")


def _stamp(checkin: CheckIn, now: datetime) -> datetime:
    # An anonymous answer's time could be matched to when someone was seen pressing a button.
    return checkin.opened_at if checkin.anonymous else now


def _participated(session: Session, member_id: int, checkin: CheckIn, part: str) -> bool:
    return (
        session.exec(
            select(Participation.member_id).where(
                Participation.member_id == member_id,
                Participation.subject == subject(checkin.id),
                Participation.element_id == checkin.element_id,
                Participation.part == part,
            )
        ).first()
        is not None
    )


def record_checkin_rating(session: Session, checkin: CheckIn, member: Member, value: int, now: datetime) -> bool:
    """Place (or, when named, move) the member's bead. Returns whether an earlier bead was moved."""
    _check_open(checkin, now)
    if not 1 <= value <= 20:
        raise CheckInRefused("That isn't a place on the scale.")
    if _participated(session, member.id, checkin, "rating"):
        if checkin.anonymous:
            raise CheckInRefused(
                "You've already answered. Anonymous answers can't be changed, because I don't keep who gave them."
            )
        rating = session.exec(
            select(Rating).where(Rating.checkin_id == checkin.id, Rating.member_id == member.id)
        ).one()
        rating.value = value
        rating.updated_at = now
        return True
    session.add(Participation(member_id=member.id, subject=subject(checkin.id), element_id=checkin.element_id,
                              part="rating"))
    stamp = _stamp(checkin, now)
    session.add(
        Rating(
            team_id=checkin.team_id, checkin_id=checkin.id, element_id=checkin.element_id,
            member_id=None if checkin.anonymous else member.id, value=value, created_at=stamp, updated_at=stamp,
        )
    )
    session.flush()
    return False


@dataclass(frozen=True)
class AnswerTaken:
    action_id: int | None = None
    owner_found: bool = True


def _owner_of(session: Session, team_id: int, name: str, author: Member) -> Member | None:
    wanted = name.strip().lstrip("@").casefold()
    if wanted in ("me", "i", "myself"):
        return author
    for member in session.exec(select(Member).where(Member.team_id == team_id, Member.active)):
        if member.display_name.casefold() == wanted:
            return member
    return None


def add_checkin_answer(
    session: Session, checkin: CheckIn, member: Member, question: Question, text: str, *, private: bool,
    now: datetime, today: date,
) -> AnswerTaken:
    _check_open(checkin, now)
    text = text.strip()
    if not text:
        raise CheckInRefused("I only take written answers here — a few words is plenty.")
    session.add(
        Evidence(
            team_id=checkin.team_id, checkin_id=checkin.id, element_id=checkin.element_id, stage=str(question),
            member_id=None if checkin.anonymous else member.id, text=text[:4000], private=private,
            created_at=_stamp(checkin, now),
        )
    )
    if not _participated(session, member.id, checkin, str(question)):
        session.add(Participation(member_id=member.id, subject=subject(checkin.id), element_id=checkin.element_id,
                                  part=str(question)))
    taken = AnswerTaken()
    if question is Question.CHANGE:
        proposed = change_to_action(text, today, checkin.element_id)
        if proposed is not None:
            owner = _owner_of(session, checkin.team_id, proposed.owner, member) if proposed.owner else None
            action = add_action(
                session, team_id=checkin.team_id, text=proposed.what, checkin_id=checkin.id,
                element_id=checkin.element_id, owner_member_id=owner.id if owner else None, due=proposed.due,
            )
            taken = AnswerTaken(action.id, owner is not None or not proposed.owner)
    session.flush()
    return taken


def answered(session: Session, checkin_id: int) -> set[int]:
    """Member ids who placed a bead (named or anonymous: this is only *that* they answered)."""
    return set(
        session.exec(
            select(Participation.member_id).where(
                Participation.subject == subject(checkin_id), Participation.part == "rating"
            )
        )
    )


# ---------------------------------------------------------------- closing


@dataclass(frozen=True)
class Closing:
    checkin_id: int
    chat_id: int
    framework_variant: str
    customisation: dict
    result: CheckInResult


def _ratings(session: Session, checkin_id: int) -> list[int]:
    return list(session.exec(select(Rating.value).where(Rating.checkin_id == checkin_id).order_by(Rating.value)))


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
            .where(Action.team_id == team_id, Action.status == "open", Action.due.is_not(None), Action.due < today)
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
        .where(Action.team_id.in_(team_ids), Action.status == "open", Action.due.is_not(None),
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
    team = session.get(Team, checkin.team_id)
    today = now.astimezone(zone(team)).date()
    return Closing(checkin.id, team.chat_id, team.framework_variant, dict(team.customisation or {}),
                   checkin_result(session, checkin, team, today))


def claim_closings(session: Session, checkin_ids: list[int], now: datetime) -> list[Closing]:
    return [c for c in (claim_closing(session, i, now) for i in checkin_ids) if c is not None]


def unclaim_closing(session: Session, checkin_id: int) -> None:
    session.execute(update(CheckIn).where(CheckIn.id == checkin_id).values(closed_at=None))


# ---------------------------------------------------------------- reminders


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
    """Owners of open actions, privately, the set number of days before the due date (until the day ends)."""
    reminders = []
    rows = session.exec(
        select(Action, Member, Team)
        .join(Member, Member.id == Action.owner_member_id)
        .join(Team, Team.id == Action.team_id)
        .where(Action.status == "open", Action.due.is_not(None), Member.active, Member.private_chat,
               Team.paused == False)  # noqa: E712
    )
    schedules: dict[int, Schedule | None] = {}
    for action, member, team in rows:
        if team.id not in schedules:
            schedules[team.id] = checkin_schedule(session, team.id)
        schedule = schedules[team.id]
        tz = zone(team)
        days_before = schedule.remind_days_before if schedule else 2
        at = action_reminder_at(action.due, days_before, tz, REMINDER_TIME)
        today = now.astimezone(tz).date()
        if now < at or today > action.due or is_away(member, today):
            continue
        if defer_for_quiet_hours(now, tz, quiet_of(schedule)) != now:
            continue
        key = f"action:{action.id}:{action.due.isoformat()}"
        if _claim_nudge(session, member.id, key, now):
            names = {member.id: member.display_name}
            reminders.append(Nudging(member.telegram_user_id, key, team.timezone, team.framework_variant,
                                     dict(team.customisation or {}), action=action_view(action, names)))
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
            if _take(session, review.id, at, "sent", now):
                reminders.append(ReviewReminder(team.chat_id, team.id, review.review_date, n == 1, team.timezone))
    return reminders


# ---------------------------------------------------------------- members


def set_away(session: Session, telegram_user_id: int, until: date | None) -> int:
    """Away (or back, with None) in every team the person belongs to; returns how many teams."""
    members = list(session.exec(select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active)))
    for member in members:
        member.away_until = until
    return len(members)


def count_support_request(session: Session, team_id: int) -> str:
    """One more request for support, and the contacts to send. Nothing says who asked."""
    session.execute(update(Team).where(Team.id == team_id).values(support_requests=Team.support_requests + 1))
    return session.get(Team, team_id).support_contacts
