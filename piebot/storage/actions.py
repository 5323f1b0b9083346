"""Actions followed to done: the lists /actions shows, who may change an action from which chat, the
changes themselves and their history, the reply prompts that ask for a new date or a reason, and what a
review stands on (the elements to look at again, and what the team agreed on one of them last time).

The rules (which change is allowed, what overdue means, the order of a list) are in
conversations.actions; here they meet the rows. Owners are named: an action's owner is named by
whoever wrote it, by choice, and the owner must know it is theirs. Who wrote it is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from conversations.actions import (
    AFTER,
    STILL_OPEN,
    Change,
    HistoryEntry,
    Status,
    TrackedAction,
    in_list_order,
    refusal,
    status_of,
)
from conversations.errors import NotAllowed
from conversations.texts import actions as texts
from piebot import clock
from piebot.storage import outbox, rounds, teams
from piebot.storage.models import (
    Action,
    ActionChange,
    ActionQuestion,
    Member,
    Rating,
    Round,
    RoundElement,
    Team,
)

OWNER, FACILITATOR, ADMIN = "owner", "facilitator", "admin"
# "Settled this week" under the group's list: long enough to be seen at the next meeting.
RECENTLY = timedelta(days=7)


def _zone(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; everything is stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return None if moment is None else _aware(moment).astimezone(zone).date()


def today_of(team: Team, now: datetime) -> date:
    """The team's own calendar day at `now`."""
    return _aware(now).astimezone(_zone(team)).date()


def _names(session: Session, owner_ids: set[int]) -> dict[int, str]:
    if not owner_ids:
        return {}
    return {m.id: m.display_name for m in session.exec(select(Member).where(Member.id.in_(owner_ids)))}


def tracked(action: Action, names: dict[int, str], zone: ZoneInfo) -> TrackedAction:
    return TrackedAction(
        id=action.id,
        what=action.text,
        owner=names.get(action.owner_member_id, "") if action.owner_member_id is not None else "",
        due=action.due,
        status=status_of(action.status),
        check=action.success_measure or "",
        element_id=action.element_id,
        done_on=_local_date(action.done_at, zone) if action.status == Status.DONE else None,
        reason=action.drop_reason or "",
    )


def _tracked_all(session: Session, team: Team, actions: list[Action]) -> list[TrackedAction]:
    names = _names(session, {a.owner_member_id for a in actions if a.owner_member_id is not None})
    zone = _zone(team)
    return [tracked(a, names, zone) for a in actions]


def tracked_action(session: Session, action_id: int) -> TrackedAction | None:
    action = session.get(Action, action_id)
    if action is None:
        return None
    return _tracked_all(session, session.get(Team, action.team_id), [action])[0]


def card_of(session: Session, action_id: int, now: datetime) -> tuple[TrackedAction, date] | None:
    """One action as its card shows it, and its team's day."""
    action = session.get(Action, action_id)
    if action is None:
        return None
    team = session.get(Team, action.team_id)
    return _tracked_all(session, team, [action])[0], today_of(team, now)


def open_actions(session: Session, team_id: int, today: date, *, owner_member_ids: set[int] | None = None
                 ) -> list[TrackedAction]:
    """The team's actions still open (open or still on), overdue first; only those owned by
    `owner_member_ids` when given."""
    query = select(Action).where(Action.team_id == team_id, Action.status.in_(STILL_OPEN))
    if owner_member_ids is not None:
        query = query.where(Action.owner_member_id.in_(owner_member_ids))
    team = session.get(Team, team_id)
    return in_list_order(_tracked_all(session, team, list(session.exec(query.order_by(Action.id)))), today)


def settled_since(session: Session, team_id: int, since: datetime) -> list[TrackedAction]:
    """Actions done or dropped since `since` (their latest change), most recent first."""
    changed = select(ActionChange.action_id).where(ActionChange.team_id == team_id, ActionChange.changed_at >= since)
    rows = list(session.exec(
        select(Action).where(Action.team_id == team_id, Action.status.in_((Status.DONE, Status.DROPPED)),
                             Action.id.in_(changed)).order_by(Action.id)
    ))
    team = session.get(Team, team_id)
    return in_list_order(_tracked_all(session, team, rows), today_of(team, since))


# ---------------------------------------------------------------- the lists


@dataclass(frozen=True)
class GroupList:
    team_id: int
    set_up: bool
    joined: bool
    today: date
    actions: list[TrackedAction]  # at most texts.LIST_MAX
    more: int  # open ones left out of the message
    settled: list[TrackedAction]  # done or dropped this week


def group_list(session: Session, chat_id: int, telegram_user_id: int | None, now: datetime) -> GroupList | None:
    """What /actions shows in the team's group; None when the chat has no team."""
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        return None
    member = teams.member_of(session, team.id, telegram_user_id) if telegram_user_id is not None else None
    today = today_of(team, now)
    found = open_actions(session, team.id, today)
    return GroupList(team.id, team.set_up, member is not None and member.active, today,
                     found[:texts.LIST_MAX], max(0, len(found) - texts.LIST_MAX),
                     settled_since(session, team.id, now - RECENTLY))


def group_list_of_action(session: Session, action_id: int, now: datetime) -> GroupList:
    """The list of the action's team, to put right after a change (whoever made it)."""
    team = session.get(Team, session.get(Action, action_id).team_id)
    today = today_of(team, now)
    found = open_actions(session, team.id, today)
    return GroupList(team.id, team.set_up, True, today, found[:texts.LIST_MAX],
                     max(0, len(found) - texts.LIST_MAX), settled_since(session, team.id, now - RECENTLY))


@dataclass(frozen=True)
class OwnList:
    member_anywhere: bool
    today: date
    teams: list[tuple[str, list[TrackedAction]]]  # (team name, its open actions this person owns)

    @property
    def actions(self) -> list[TrackedAction]:
        """In the order the message numbers them."""
        return [a for _, actions in self.teams for a in actions]


def own_list(session: Session, telegram_user_id: int, now: datetime) -> OwnList:
    """What /actions shows in someone's private chat: only the actions they own."""
    found: list[tuple[str, list[TrackedAction]]] = []
    today = None
    memberships = [(m, t) for m, t in teams.memberships(session, telegram_user_id) if m.active]
    for member, team in memberships:
        today = today or today_of(team, now)
        mine = open_actions(session, team.id, today_of(team, now), owner_member_ids={member.id})
        found.append((team.name or team.chat_title, mine[:texts.LIST_MAX]))
    return OwnList(bool(memberships), today or _aware(now).date(), found)


# ---------------------------------------------------------------- who may change one, from where


@dataclass(frozen=True)
class Rights:
    """What the database says about a press on an action: the admin check (a Telegram call) is left to
    the caller, and only needed when `role` is None in the team's group."""

    action: TrackedAction
    team_id: int
    team_chat_id: int
    private: bool  # pressed in the presser's private chat
    role: str | None  # OWNER or FACILITATOR; None: only an admin of the group may
    today: date

    @property
    def refusal_for_others(self) -> str:
        if self.action.owner.strip():
            return texts.only_owner_or_leads(self.action.owner)
        return texts.ONLY_OWNER_OR_LEADS_NO_OWNER


def rights(session: Session, action_id: int, chat_id: int, telegram_user_id: int, now: datetime) -> Rights:
    """Who the presser is to this action, in this chat. Refused (NotAllowed) when the action is gone,
    the chat is neither the team's group nor the presser's own private chat, or, privately, when the
    action is not theirs: a private chat shows only one's own actions."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotAllowed(texts.GONE)
    team = session.get(Team, action.team_id)
    private = chat_id == telegram_user_id
    if not private and chat_id != team.chat_id:
        raise NotAllowed(texts.WRONG_CHAT)
    member = teams.member_of(session, team.id, telegram_user_id)
    role = None
    if member is not None and member.active:
        if action.owner_member_id == member.id:
            role = OWNER
        elif member.facilitator and not private:
            role = FACILITATOR
    if private and role != OWNER:
        raise NotAllowed(texts.NOT_YOURS_PRIVATELY)
    view = _tracked_all(session, team, [action])[0]
    return Rights(view, team.id, team.chat_id, private, role, today_of(team, now))


@dataclass(frozen=True)
class Changed:
    action: TrackedAction
    team_id: int
    team_chat_id: int
    today: date


def change_action(session: Session, action_id: int, change: Change, *, chat_id: int, telegram_user_id: int,
                  admin: bool, now: datetime, new_due: date | None = None, reason: str = "") -> Changed:
    """Make the change if the presser may, from this chat, and the rules allow it; record it in the history.

    `admin`: the presser is an admin of the team's group (checked by the caller with Telegram). Refusals
    are NotAllowed with a kind sentence, and change nothing.
    """
    found = rights(session, action_id, chat_id, telegram_user_id, now)
    role = found.role or (ADMIN if admin and not found.private else None)
    if role is None:
        raise NotAllowed(found.refusal_for_others)
    problem = refusal(found.action.status, change, found.today, new_due=new_due, reason=reason)
    if problem is not None:
        raise NotAllowed(texts.refused(problem, found.action, found.today))
    action = session.get(Action, action_id)
    due_before = action.due
    after = AFTER[change]
    action.status = str(after)
    if change is Change.STILL_ON:
        action.due = new_due
    action.done_at = now if after is Status.DONE else None
    action.drop_reason = reason.strip() if after is Status.DROPPED else ""
    member = teams.member_of(session, found.team_id, telegram_user_id)
    session.add(ActionChange(
        action_id=action.id, team_id=found.team_id, status=str(after), due=action.due, due_before=due_before,
        reason=action.drop_reason, changed_by_member_id=member.id if member is not None else None, role=role,
        changed_at=now,
    ))
    session.flush()
    return Changed(_tracked_all(session, session.get(Team, found.team_id), [action])[0], found.team_id,
                   found.team_chat_id, found.today)


def history(session: Session, action_id: int) -> list[HistoryEntry]:
    """When the action was agreed, then every change to it, oldest first."""
    action = session.get(Action, action_id)
    if action is None:
        return []
    team = session.get(Team, action.team_id)
    zone = _zone(team)
    changes = list(session.exec(
        select(ActionChange).where(ActionChange.action_id == action_id).order_by(ActionChange.changed_at,
                                                                                    ActionChange.id)
    ))
    names = _names(session, {c.changed_by_member_id for c in changes if c.changed_by_member_id is not None})
    agreed_due = changes[0].due_before if changes else action.due
    entries = [HistoryEntry(_local_date(action.created_at, zone), None, agreed_due)]
    for change in changes:
        entries.append(HistoryEntry(_local_date(change.changed_at, zone), status_of(change.status), change.due,
                                    change.reason, names.get(change.changed_by_member_id, ""), change.role))
    return entries


# ---------------------------------------------------------------- questions asked as reply prompts


QUESTION_FILL = "action_question"  # a prompt about an action queued in the outbox: its message id once sent


def ask(session: Session, *, chat_id: int, message_id: int, action_id: int, asking: str, origin: str,
        origin_message_id: int | None) -> None:
    """A prompt the bot sent about an action ("date" or "reason"): a reply to it answers it. Saved with
    the message that asks it, a pending id until it is sent (see piebot.storage.outbox)."""
    session.add(ActionQuestion(chat_id=chat_id, message_id=message_id, action_id=action_id, asking=asking,
                               origin=origin, origin_message_id=origin_message_id))


def _forget_question(session: Session, chat_id: int, pending: int) -> None:
    session.execute(delete(ActionQuestion).where(ActionQuestion.chat_id == chat_id, ActionQuestion.message_id == pending)
                    .execution_options(synchronize_session=False))


@outbox.fills(QUESTION_FILL, unsent=_forget_question)
def _fill_question(session: Session, chat_id: int, pending: int, message_id: int, ref: int | None) -> None:
    session.execute(update(ActionQuestion).where(ActionQuestion.chat_id == chat_id, ActionQuestion.message_id == pending)
                    .values(message_id=message_id).execution_options(synchronize_session=False))


def question_replied_to(session: Session, chat_id: int, message_id: int) -> ActionQuestion | None:
    return session.exec(
        select(ActionQuestion).where(ActionQuestion.chat_id == chat_id, ActionQuestion.message_id == message_id)
    ).first()


def answer_question(session: Session, question_id: int, change: Change, *, telegram_user_id: int, admin: bool,
                    now: datetime, new_due: date | None = None, reason: str = "") -> Changed:
    """The change a reply asks for; the question goes once it is answered (nothing is kept of who was asked)."""
    question = session.get(ActionQuestion, question_id)
    if question is None:
        raise NotAllowed(texts.GONE)
    changed = change_action(session, question.action_id, change, chat_id=question.chat_id,
                            telegram_user_id=telegram_user_id, admin=admin, now=now, new_due=new_due, reason=reason)
    session.delete(question)
    return changed


def followed_since(round_: Round, earlier: Round | None):
    """The query for the actions a round's report follows up: agreed before it (in an earlier round or a
    check-in) and still open, or settled since the round before it closed. Oldest first."""
    query = select(Action).where(Action.team_id == round_.team_id, or_(Action.round_id.is_(None),
                                                                       Action.round_id != round_.id))
    if round_.opened_at is not None:
        query = query.where(Action.created_at < round_.opened_at)
    settled_since = select(ActionChange.action_id).where(ActionChange.team_id == round_.team_id)
    if earlier is not None and earlier.closed_at is not None:
        settled_since = settled_since.where(ActionChange.changed_at >= earlier.closed_at)
    return query.where(or_(Action.status.in_(STILL_OPEN), Action.id.in_(settled_since))).order_by(Action.id)


# ---------------------------------------------------------------- what a review stands on


def elements_to_review(session: Session, team_id: int) -> list[str]:
    """The elements a review round should open on: those the team looked at in its last closed round
    (rated, or given a team view), and those with actions still open, from any round or check-in.

    In the order of the team's framework; ids the framework no longer has (or that name a theme) are left out.
    """
    team = session.get(Team, team_id)
    last = session.exec(
        select(Round).where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).first()
    wanted: set[str] = set()
    if last is not None:
        rated = set(session.exec(select(Rating.element_id).where(Rating.round_id == last.id)))
        for row in session.exec(select(RoundElement).where(RoundElement.round_id == last.id)):
            if row.team_view is not None or row.element_id in rated:
                wanted.add(row.element_id)
        wanted |= {e for e in session.exec(select(Action.element_id).where(Action.round_id == last.id)) if e}
    wanted |= {e for e in session.exec(
        select(Action.element_id).where(Action.team_id == team_id, Action.status.in_(STILL_OPEN))) if e}
    return [e.id for e in teams.framework_of(team).elements if e.id in wanted]


@dataclass(frozen=True)
class ReviewPlan:
    """What the review reminder's button opens: a live round on these elements, as anonymous as the last."""

    element_ids: list[str]
    anonymous: bool


def review_plan(session: Session, team_id: int) -> ReviewPlan:
    last = session.exec(
        select(Round).where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).first()
    return ReviewPlan(elements_to_review(session, team_id), bool(last.anonymous) if last else False)


@dataclass(frozen=True)
class LastLook:
    """What the team agreed on an element the last time it looked at it: for the review that opens it again."""

    round_id: int
    closed_on: date | None
    team_view: int | None
    actions: list[TrackedAction]  # agreed then on this element, and any still open on it since


def last_look(session: Session, team_id: int, element_id: str, before_round_id: int | None = None,
              now: datetime | None = None, *, agreed_only: bool = False) -> LastLook | None:
    """The team's last closed staff round on `element_id` (before `before_round_id`, if given); None if never.
    `agreed_only`: the last one that agreed a team view on it (what the review looks back on)."""
    query = (select(Round).join(RoundElement, RoundElement.round_id == Round.id)
             .where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff",
                    RoundElement.element_id == element_id))
    if agreed_only:
        query = query.where(RoundElement.team_view.is_not(None))
    if before_round_id is not None:
        query = query.where(Round.id < before_round_id)
    round_ = session.exec(query.order_by(Round.closed_at.desc(), Round.id.desc())).first()
    if round_ is None:
        return None
    team = session.get(Team, team_id)
    row = rounds.round_element(session, round_.id, element_id)
    found = list(session.exec(
        select(Action).where(Action.team_id == team_id, Action.element_id == element_id,
                             or_(Action.round_id == round_.id, Action.status.in_(STILL_OPEN)))
        .order_by(Action.id)
    ))
    today = today_of(team, now or clock.now())
    return LastLook(round_.id, _local_date(round_.closed_at, _zone(team)), row.team_view,
                    in_list_order(_tracked_all(session, team, found), today))
