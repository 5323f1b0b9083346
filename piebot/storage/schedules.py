"""Check-in schedules as rows: the team's rule, its review date, the /schedule draft, and taking slots.

A schedule row is the source of truth; a slot is taken by inserting a unique (schedule, slot)
Firing row, so whoever inserts it first (this process or another, before or after a restart)
is the only one who posts it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from conversations.schedule import (
    Cadence,
    QuietHours,
    ScheduleRule,
    defer_for_quiet_hours,
    next_slot,
    slots_between,
    window_end,
)
from piebot.storage import outbox, teams
from piebot.storage.models import CheckIn, Dialog, Firing, Round, Schedule, Team

# A slot posted within this long of its time counts as on time; later ones are "late".
ON_TIME = timedelta(minutes=5)
# After a long outage only this far back is looked at: older slots are simply gone.
LOOK_BACK = timedelta(days=62)


def aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; everything stored is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
        window_minutes=schedule.window_minutes,
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


def schedule_of_chat(session: Session, chat_id: int) -> TeamSchedule | None:
    """The rhythm of the team in this chat; None while there is no team or it isn't set up."""
    team = teams.team_for_chat(session, chat_id)
    return team_schedule(session, team) if team is not None and team.set_up else None


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
    # Whole hours too, for anything that still reads only them; the minutes are the truth.
    schedule.window_hours = rule.minutes // 60
    schedule.window_minutes = rule.minutes
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


# ---------------------------------------------------------------- the /schedule draft


def _dialog(session: Session, chat_id: int, telegram_user_id: int) -> Dialog:
    dialog = session.exec(
        select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == telegram_user_id)
    ).first()
    if dialog is None:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=telegram_user_id, state={})
        session.add(dialog)
    return dialog


def wizard_state(session: Session, chat_id: int, telegram_user_id: int) -> dict:
    """The admin's /schedule draft in this chat (empty when there is none)."""
    return dict(_dialog(session, chat_id, telegram_user_id).state or {})


def set_wizard_state(session: Session, chat_id: int, telegram_user_id: int, state: dict) -> None:
    _dialog(session, chat_id, telegram_user_id).state = state


WIZARD_FILL = "schedule_wizard"  # the wizard's card or question in the outbox (ref: the admin's Telegram id)


@outbox.fills(WIZARD_FILL)
def _fill_wizard(session: Session, chat_id: int, pending: int, message_id: int, user_id: int | None) -> None:
    """The draft's card or question, sent: its message id where the draft holds its pending id."""
    dialog = session.exec(
        select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)
    ).first()
    filled = outbox.sent_into(dict(dialog.state or {}), pending, message_id) if dialog is not None else None
    if filled is not None:
        dialog.state = filled


def wizard_start(session: Session, team_id: int) -> tuple[TeamSchedule, date | None]:
    """What a new draft starts from: the team's schedule now, and the review date its last round proposed."""
    proposal = latest_review_proposal(session, team_id)
    return team_schedule(session, session.get(Team, team_id)), proposal


def save_from_wizard(
    session: Session, team_id: int, rule: ScheduleRule, *, element_id: str, anonymous: bool, now: datetime,
    chat_id: int, telegram_user_id: int,
) -> None:
    """Save the admin's draft as the team's schedule and end their draft, in one transaction."""
    save_schedule(session, team_id, rule, element_id=element_id, anonymous=anonymous, now=now)
    set_wizard_state(session, chat_id, telegram_user_id, {})


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


def take_firing(session: Session, schedule_id: int, slot: datetime, outcome: str, now: datetime) -> bool:
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

    ON CONFLICT DO NOTHING is the unique-constraint race of `take_firing` without an exception per
    row: a slot already in the table (another process, an earlier run) is simply not returned.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return {(d.schedule_id, d.slot) for d in slots if take_firing(session, d.schedule_id, d.slot, d.outcome, now)}
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


CHECKIN_FILL = "checkin"  # a check-in's post queued in the outbox: its message id once sent


def keep_post(session: Session, checkin_id: int, message_id: int) -> None:
    """The check-in's post (a pending id while it is still in the outbox: see piebot.storage.outbox)."""
    session.execute(update(CheckIn).where(CheckIn.id == checkin_id).values(message_id=message_id)
                    .execution_options(synchronize_session=False))


@outbox.fills(CHECKIN_FILL)
def _fill_post(session: Session, chat_id: int, pending: int, message_id: int, checkin_id: int | None) -> None:
    session.execute(update(CheckIn).where(CheckIn.id == checkin_id, CheckIn.message_id == pending)
                    .values(message_id=message_id).execution_options(synchronize_session=False))


def record_posted(session: Session, posted: Iterable[tuple[int, int]]) -> None:
    rows = [{"id": checkin_id, "message_id": message_id} for checkin_id, message_id in posted]
    if rows:
        session.execute(update(CheckIn), rows)  # one executemany, by primary key
