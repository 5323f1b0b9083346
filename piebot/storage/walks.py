"""The records of a round in people's own time: each person's walk (their private chat's `Dialog` row,
under "walk", read and written as `conversations.walk.Walks`), who has finished, the group's status
message, the day's nudges, the rounds the clock must close, and the team views after the round.

Each function runs inside the caller's transaction; a move of a walk is checked, recorded and moved
on in one, so a repeated update changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from conversations.pizazz import AsyncWalk, WalkStep, nudge_due
from conversations.texts import refusals
from conversations.texts import walk as texts
from conversations.walk import Walks
from framework import Framework, shared_framework
from piebot import clock
from piebot.storage import actions, outbox, rounds, teams
from piebot.storage.actions import LastLook
from piebot.storage.models import Dialog, Member, Nudge, Participation, Round, RoundElement, Team


def aware(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _framework(round_: Round, team: Team) -> Framework:
    return shared_framework(round_.framework_variant, team.customisation or None)


@dataclass
class OwnTimeRound:
    """A round in people's own time with its team and the framework it walks through."""

    round: Round
    team: Team
    framework: Framework

    @property
    def closes_at(self) -> datetime | None:
        return aware(self.round.deadline)


def own_time_round(session: Session, round_id: int) -> OwnTimeRound:
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    return OwnTimeRound(round_, team, _framework(round_, team))


# ---------------------------------------------------------------- each person's walk


def _dialog(session: Session, user_id: int) -> Dialog | None:
    return session.exec(select(Dialog).where(Dialog.chat_id == user_id, Dialog.telegram_user_id == user_id)).first()


def walks_of(session: Session, user_id: int) -> Walks:
    """The person's walks without creating a row: reads must leave the database as they found it."""
    dialog = _dialog(session, user_id)
    return Walks.load(((dialog.state if dialog else None) or {}).get("walk"))


def _save(session: Session, user_id: int, walks: Walks) -> None:
    dialog = _dialog(session, user_id)
    if dialog is None:
        dialog = Dialog(chat_id=user_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    state = dict(dialog.state or {})
    state["walk"] = walks.dump()
    dialog.state = state
    dialog.updated_at = clock.now()
    flag_modified(dialog, "state")


def _change(session: Session, user_id: int, change: Callable[[Walks], None]) -> None:
    walks = walks_of(session, user_id)
    change(walks)
    _save(session, user_id, walks)


def _finished(session: Session, member_id: int, round_id: int) -> bool:
    return session.exec(
        select(Participation.member_id).where(
            Participation.member_id == member_id,
            Participation.subject == rounds.subject(round_id),
            Participation.element_id == "",
            Participation.part == "finished",
        )
    ).first() is not None


def _open_own_time_rounds(session: Session) -> list[Round]:
    return list(session.exec(select(Round).where(Round.mode == "async", Round.status.in_(rounds.OPEN))))


@dataclass
class Walker(OwnTimeRound):
    """One member's walk through one round, as read in one transaction."""

    member: Member
    walks: Walks
    finished: bool
    reviewed: frozenset[str] = frozenset()  # elements looked at before: their walk opens with the review

    @property
    def active(self) -> bool:
        return self.walks.is_active(self.round.id)

    @property
    def prompt(self) -> int | None:
        """The question of theirs waiting for an answer (the only one whose buttons count)."""
        return self.walks.prompt(self.round.id)

    @property
    def started(self) -> bool:
        return self.walks.progress(self.round.id) is not None

    def walk(self) -> AsyncWalk:
        return self.walks.walk(self.round.id, self.round.element_ids, self.team.strengths_first, self.reviewed)


def walker(session: Session, round_id: int, user_id: int) -> Walker | None:
    """Their walk through an own-time round of a team they are an active member of; None otherwise."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode != "async":
        return None
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, user_id)
    if member is None or not member.active:
        return None
    return Walker(
        round=round_, team=team, framework=_framework(round_, team), member=member,
        walks=walks_of(session, user_id), finished=_finished(session, member.id, round_id),
        reviewed=rounds.reviewed(rounds.elements_of(session, round_id)),
    )


def looking_back(session: Session, round_id: int, element_id: str) -> tuple[LastLook, date] | None:
    """What the team agreed on an element last time, for a walk's review step, and the team's day."""
    round_ = session.get(Round, round_id)
    look = actions.last_look(session, round_.team_id, element_id, before_round_id=round_id, now=clock.now(),
                             agreed_only=True)
    return (look, actions.today_of(session.get(Team, round_.team_id), clock.now())) if look else None


def active_walker(session: Session, user_id: int) -> Walker | None:
    """The walk their typed answers go to, if any."""
    active = walks_of(session, user_id).active
    return walker(session, active, user_id) if active else None


def take_up(session: Session, round_id: int, user_id: int) -> tuple[str, Walker | None]:
    """Make this round the person's active walk. Returns ("taken_up", walker), or why not:
    "not_member", "closed" or "finished"."""
    found = walker(session, round_id, user_id)
    if found is None:
        return "not_member", None
    if found.round.status == "closed":
        return "closed", None
    if found.finished:
        return "finished", None
    found.walks.take_up(round_id)
    _save(session, user_id, found.walks)
    return "taken_up", found


WALK_FILL = "walk"  # a walk's question queued in the outbox: its message id once sent


def remember_prompt(session: Session, user_id: int, round_id: int, message_id: int) -> None:
    """The question now waiting for their answer (a pending id while it is still in the outbox)."""
    _change(session, user_id, lambda walks: walks.asked(round_id, message_id))


@outbox.fills(WALK_FILL)
def _fill_prompt(session: Session, chat_id: int, pending: int, message_id: int, ref: int | None) -> None:
    walks = walks_of(session, chat_id)
    if walks.sent(pending, message_id):
        _save(session, chat_id, walks)


def stop_for_now(session: Session, round_id: int, user_id: int) -> None:
    if walker(session, round_id, user_id) is not None:
        _change(session, user_id, lambda walks: walks.stop(round_id))


def put_down(session: Session, user_id: int, round_id: int) -> None:
    """Typed answers no longer go to this round (it closed, or they finished it)."""
    _change(session, user_id, lambda walks: walks.put_down(round_id))


def may_take_part(session: Session, round_id: int, user_id: int, chat_id: int, in_private: bool) -> str:
    """Whether a "take part" press makes sense: "ok", "expired" (wrong chat or round), "not_member",
    or "not_connected" (the bot cannot write to them in private yet)."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode != "async":
        return "expired"
    team = session.get(Team, round_.team_id)
    if not in_private and team.chat_id != chat_id:
        return "expired"
    if in_private and chat_id != user_id:
        return "expired"
    member = teams.member_of(session, team.id, user_id)
    if member is None or not member.active:
        return "not_member"
    if not member.private_chat:
        return "not_connected"
    return "ok"


def not_connected(session: Session, round_id: int, user_id: int) -> None:
    # They blocked the bot or never opened the chat: stop trying until they open it again.
    round_ = session.get(Round, round_id)
    member = teams.member_of(session, round_.team_id, user_id) if round_ else None
    if member is not None:
        member.private_chat = False


def rounds_to_walk(session: Session, user_id: int) -> list[OwnTimeRound]:
    """The open own-time rounds they have still to finish, across their teams; only the active one
    if it is among them."""
    walks = walks_of(session, user_id)
    found = []
    for member, team in teams.memberships(session, user_id):
        if not member.active or not member.private_chat:
            continue
        for round_ in _open_own_time_rounds(session):
            if round_.team_id == team.id and not _finished(session, member.id, round_.id):
                found.append(OwnTimeRound(round_, team, _framework(round_, team)))
    if any(walks.is_active(r.round.id) for r in found):
        return [r for r in found if walks.is_active(r.round.id)]
    return found


# ---------------------------------------------------------------- moving through a walk


@dataclass(frozen=True)
class Moved:
    framework: Framework
    next_step: WalkStep | None
    finished_now: bool


def _move(
    session: Session, round_id: int, user_id: int, prompt_id: int | None,
    act: Callable[[Walker, AsyncWalk, WalkStep], None],
) -> Moved:
    """One move of the walk: check it still makes sense, record, move on."""
    found = walker(session, round_id, user_id)
    if found is None:
        raise rounds.RoundRefused(refusals.NOT_JOINED)
    if found.round.status == "closed":
        raise rounds.RoundRefused(refusals.ROUND_CLOSED)
    if found.finished:
        raise rounds.RoundRefused(texts.ALREADY_FINISHED)
    if prompt_id is not None and found.prompt != prompt_id:
        raise rounds.RoundRefused(refusals.BUTTON_EXPIRED)
    walk = found.walk()
    step = walk.current()
    if step is None:
        raise rounds.RoundRefused(texts.ALREADY_FINISHED)
    act(found, walk, step)
    finished_now = False
    if walk.done:
        session.add(
            Participation(member_id=found.member.id, subject=rounds.subject(round_id), element_id="", part="finished")
        )
        finished_now = True
    found.walks.moved(round_id, walk)
    _save(session, user_id, found.walks)
    return Moved(found.framework, walk.current(), finished_now)


def rate_step(session: Session, round_id: int, user_id: int, prompt_id: int, value: int) -> Moved:
    def act(found: Walker, walk: AsyncWalk, step: WalkStep) -> None:
        rounds.record_rating(session, found.round, found.member, step.element_id, value)
        walk.advance(answered=True)

    return _move(session, round_id, user_id, prompt_id, act)


def skip_step(session: Session, round_id: int, user_id: int, prompt_id: int) -> Moved:
    return _move(session, round_id, user_id, prompt_id, lambda found, walk, step: walk.advance(answered=False))


def step_back(session: Session, round_id: int, user_id: int, prompt_id: int) -> Moved:
    return _move(session, round_id, user_id, prompt_id, lambda found, walk, step: walk.back())


def answer_step(
    session: Session, round_id: int, user_id: int, *, kind: str, text: str, file_id: str | None
) -> Moved:
    """A typed answer (or, for evidence, a photo, voice note or document) to the step waiting for one."""

    def act(found: Walker, walk: AsyncWalk, step: WalkStep) -> None:
        rounds.add_evidence(
            session, found.round, found.member, step.element_id, str(step.step),
            kind=kind, text=text, file_id=file_id, private=True,
        )
        walk.advance(answered=True)

    return _move(session, round_id, user_id, None, act)


# ---------------------------------------------------------------- the group status message


@dataclass
class GroupStatus(OwnTimeRound):
    finished: int
    members: int
    unconnected: bool  # someone the bot cannot write to in private yet


def group_status(session: Session, round_id: int) -> GroupStatus:
    found = own_time_round(session, round_id)
    members = teams.active_members(session, found.team.id)
    finished = session.exec(
        select(func.count()).select_from(Participation).where(
            Participation.subject == rounds.subject(round_id), Participation.part == "finished"
        )
    ).one()
    return GroupStatus(
        found.round, found.team, found.framework,
        finished=finished, members=len(members), unconnected=any(not m.private_chat for m in members),
    )


# ---------------------------------------------------------------- opening and closing


def _nudge_key(round_id: int, now: datetime, tz: str) -> str:
    return f"round:{round_id}:{now.astimezone(ZoneInfo(tz)).date().isoformat()}"


def settle_deadline(session: Session, round_id: int, now: datetime, default_days: int) -> datetime:
    """The round's deadline, set to `default_days` from now if it had none."""
    round_ = session.get(Round, round_id)
    if round_.deadline is None:
        round_.deadline = now + timedelta(days=default_days)
    return aware(round_.deadline)


def record_opening(session: Session, round_id: int, status_message_id: int, now: datetime) -> list[tuple[int, bool]]:
    """Keep the group's status message and count the welcome as today's nudge for everyone who can be
    written to. Returns (user id, busy with another open round) for each of them."""
    round_ = session.get(Round, round_id)
    round_.status_message_id = status_message_id
    tz = session.get(Team, round_.team_id).timezone
    open_ids = [r.id for r in _open_own_time_rounds(session)]
    people = []
    for member in teams.active_members(session, round_.team_id):
        if not member.private_chat:
            continue
        busy = walks_of(session, member.telegram_user_id).walking_another(round_id, open_ids)
        # The welcome is the day's one private message; a nudge the same day would be chasing.
        session.add(Nudge(member_id=member.id, key=_nudge_key(round_id, now, tz), sent_at=now))
        people.append((member.telegram_user_id, busy))
    return people


def close_walks(session: Session, round_id: int) -> list[tuple[int, int]] | None:
    """Close an open own-time round and stop everyone's walk through it. Returns the questions that
    were waiting (user id, message id), or None when the round was not open."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode != "async" or round_.status not in rounds.OPEN:
        return None
    rounds.close_round(session, round_)
    waiting = []
    # Everyone who may have started it, those who have left since included: an anonymous round's walk
    # places go for all of them.
    for member in session.exec(select(Member).where(Member.team_id == round_.team_id)):
        walks = walks_of(session, member.telegram_user_id)
        if not walks.has_started(round_id):
            continue
        if walks.prompt(round_id):
            waiting.append((member.telegram_user_id, walks.prompt(round_id)))
        if round_.anonymous:
            # Where someone stood in an anonymous round says nothing once it has closed; it goes.
            walks.forget(round_id)
        else:
            walks.stop(round_id)
        _save(session, member.telegram_user_id, walks)
    return waiting


# ---------------------------------------------------------------- the clock: deadlines and nudges


def overdue_rounds(session: Session, now: datetime) -> list[int]:
    return [r.id for r in _open_own_time_rounds(session) if r.deadline is not None and aware(r.deadline) <= now]


def open_deadlines(session: Session) -> list[tuple[int, datetime | None]]:
    return [(r.id, aware(r.deadline)) for r in _open_own_time_rounds(session)]


@dataclass
class NudgeDue(OwnTimeRound):
    user_id: int
    elements_left: int


def record_due_nudges(session: Session, now: datetime, hours: range) -> list[NudgeDue]:
    """Decide and record today's nudges in one transaction: the unique (member, key) row is what
    stops a second one, even with two workers or a restart half-way. Only within `hours` of the
    team's local day."""
    due = []
    for round_ in _open_own_time_rounds(session):
        team = session.get(Team, round_.team_id)
        deadline = aware(round_.deadline)
        if team.paused or round_.status != "open" or deadline is None:
            continue
        local = now.astimezone(ZoneInfo(team.timezone))
        if local.hour not in hours:
            continue
        framework = _framework(round_, team)
        key = _nudge_key(round_.id, now, team.timezone)
        for member in teams.active_members(session, team.id):
            if not member.private_chat or (member.away_until and member.away_until >= local.date()):
                continue
            finished = _finished(session, member.id, round_.id)
            sent = session.exec(
                select(Nudge.sent_at, Nudge.key).where(
                    Nudge.member_id == member.id, Nudge.key.startswith(f"round:{round_.id}:")
                ).order_by(Nudge.sent_at.desc())
            ).all()
            if any(k == key for _, k in sent):
                continue
            last = aware(sent[0][0]) if sent else None
            if not nudge_due(last, now, finished, deadline):
                continue
            session.add(Nudge(member_id=member.id, key=key, sent_at=now))
            walks = walks_of(session, member.telegram_user_id)
            left = walks.walk(round_.id, round_.element_ids, team.strengths_first).elements_left
            due.append(NudgeDue(round_, team, framework, user_id=member.telegram_user_id, elements_left=left))
    session.flush()
    return due


# ---------------------------------------------------------------- the team views, after the round


@dataclass
class TeamViews(OwnTimeRound):
    elements: list[RoundElement]
    ratings: dict[str, list[int]]  # element id -> the places people gave it


def team_views(session: Session, round_id: int) -> TeamViews:
    found = own_time_round(session, round_id)
    elements = rounds.elements_of(session, round_id)
    ratings = {e.element_id: [value for _, value in rounds.ratings_of(session, round_id, e.element_id)]
               for e in elements}
    return TeamViews(found.round, found.team, found.framework, elements=elements, ratings=ratings)


def team_view_rights(session: Session, round_id: int, user_id: int) -> tuple[int, bool] | None:
    """(the team's chat id, whether this person facilitates it) for an own-time round; None otherwise."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.mode != "async":
        return None
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, user_id)
    return team.chat_id, bool(member and member.active and member.facilitator)


@dataclass
class ElementViews(OwnTimeRound):
    element: RoundElement
    views: list[tuple[str | None, int]]  # (name, or None when anonymous; place)


def element_views(session: Session, round_id: int, position: int) -> ElementViews | None:
    found = own_time_round(session, round_id)
    element = next((e for e in rounds.elements_of(session, round_id) if e.position == position), None)
    if element is None:
        return None
    return ElementViews(found.round, found.team, found.framework, element=element,
                        views=rounds.ratings_of(session, round_id, element.element_id))


def set_team_view(session: Session, round_id: int, element_id: str, value: int) -> TeamViews:
    rounds.set_team_view(session, session.get(Round, round_id), element_id, value)
    return team_views(session, round_id)
