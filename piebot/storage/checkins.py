"""Check-ins and their answers as rows: beads, written answers and the questions asked, and support.

Anonymous answers follow the rounds' rule: they go into sealed ballots (piebot.storage.ballots) and
enter the answers in batches of three people or more, and a Participation row says only that someone
answered. A request for support is a sealed ballot too, and leaves only a count.

Schedules, slots and firings are in piebot.storage.schedules; closing a check-in in
piebot.storage.closings; nudges and reminders in piebot.storage.reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from conversations.checkin import Question, change_to_action
from conversations.texts import checkins as texts
from piebot.storage import ballot_box, ballots, teams
from piebot.storage.models import Action as ActionRow
from piebot.storage.models import CheckIn, Evidence, Member, Participation, Prompt, Rating, Team
from piebot.storage.rounds import add_action

# The demo and the tests still import these from here.
from piebot.storage.schedules import aware, due_slots, next_slot_after, save_schedule, take_slots

__all__ = ["aware", "due_slots", "next_slot_after", "save_schedule", "take_slots"]

# What a Prompt row is waiting for: a written answer to a check-in question, or the support contacts.
QUESTION_PROMPT = "checkin"
SUPPORT_PROMPT = "support"


class CheckInRefused(Exception):
    """An answer that can't be taken; the message says why, kindly."""


def subject(checkin_id: int) -> str:
    return f"checkin:{checkin_id}"


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


def checkin_for_member(
    session: Session, checkin_id: int, telegram_user_id: int
) -> tuple[CheckIn, Team, Member | None] | None:
    """The check-in a button belongs to, its team, and the person pressing as a member (if they are one)."""
    found = checkin_and_team(session, checkin_id)
    if found is None:
        return None
    checkin, team = found
    return checkin, team, teams.member_of(session, team.id, telegram_user_id)


def is_open(checkin: CheckIn, now: datetime) -> bool:
    return checkin.closed_at is None and now < aware(checkin.closes_at)


def _check_open(checkin: CheckIn, now: datetime) -> None:
    if not is_open(checkin, now):
        raise CheckInRefused(texts.CHECKIN_CLOSED)


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


def _seal(session: Session, checkin: CheckIn, member: Member, kind: str, part: str, row, op: str = "put") -> None:
    ballots.seal(session, scope=subject(checkin.id), team_id=checkin.team_id, kind=kind, op=op,
                 element=checkin.element_id, part=part, who=ballots.member(member.id), row=row)


def record_checkin_rating(session: Session, checkin: CheckIn, member: Member, value: int, now: datetime,
                          *, level_only: bool = False) -> bool:
    """Place (or move) the member's bead. Returns whether an earlier bead was moved.

    `level_only`: the bead names a level, not a place (a tap in the group); `value` is then the level's
    first place, and the answer stands for the whole level.
    """
    _check_open(checkin, now)
    if not 1 <= value <= 20:
        raise CheckInRefused(texts.NOT_A_PLACE)
    moved = _participated(session, member.id, checkin, "rating")
    if checkin.anonymous:
        if moved and ballot_box.has_legacy_answer(session, Rating, subject(checkin.id), checkin.element_id):
            raise CheckInRefused(texts.ANONYMOUS_ANSWER_KEPT)
        if not moved:
            session.add(Participation(member_id=member.id, subject=subject(checkin.id),
                                      element_id=checkin.element_id, part="rating"))
        _seal(session, checkin, member, "rating", "rating",
              Rating(team_id=checkin.team_id, checkin_id=checkin.id, element_id=checkin.element_id, value=value,
                     level_only=level_only))
        return moved
    if moved:
        rating = session.exec(
            select(Rating).where(Rating.checkin_id == checkin.id, Rating.member_id == member.id)
        ).one()
        rating.value = value
        rating.level_only = level_only
        rating.updated_at = now
        return True
    session.add(Participation(member_id=member.id, subject=subject(checkin.id), element_id=checkin.element_id,
                              part="rating"))
    session.add(
        Rating(
            team_id=checkin.team_id, checkin_id=checkin.id, element_id=checkin.element_id,
            member_id=member.id, value=value, level_only=level_only, created_at=now, updated_at=now,
        )
    )
    session.flush()
    return False


@dataclass(frozen=True)
class AnswerTaken:
    action_id: int | None = None  # 0 for an action still sealed in an anonymous check-in
    owner_found: bool = True
    anonymous: bool = False


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
        raise CheckInRefused(texts.WRITTEN_ONLY)
    evidence = Evidence(
        team_id=checkin.team_id, checkin_id=checkin.id, element_id=checkin.element_id, stage=str(question),
        member_id=None if checkin.anonymous else member.id, text=text[:4000], private=private,
        created_at=_stamp(checkin, now),
    )
    if checkin.anonymous:
        _seal(session, checkin, member, "evidence", str(question), evidence, op="add")
    else:
        session.add(evidence)
    if not _participated(session, member.id, checkin, str(question)):
        session.add(Participation(member_id=member.id, subject=subject(checkin.id), element_id=checkin.element_id,
                                  part=str(question)))
    taken = AnswerTaken(anonymous=checkin.anonymous)
    if question is Question.CHANGE:
        proposed = change_to_action(text, today, checkin.element_id)
        if proposed is not None:
            owner = _owner_of(session, checkin.team_id, proposed.owner, member) if proposed.owner else None
            fields = dict(team_id=checkin.team_id, text=proposed.what, checkin_id=checkin.id,
                          element_id=checkin.element_id, owner_member_id=owner.id if owner else None,
                          due=proposed.due)
            if checkin.anonymous:
                # With the answer it came from: its words are that answer's, so it goes in only with it.
                _seal(session, checkin, member, "action", str(question), ActionRow(**fields), op="add")
                action_id = 0
            else:
                action_id = add_action(session, **fields, author_member_id=member.id).id
            taken = AnswerTaken(action_id, owner is not None or not proposed.owner, checkin.anonymous)
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


def place_bead(session: Session, checkin_id: int, member_id: int, value: int, now: datetime,
               *, level_only: bool = False) -> bool:
    """A member's bead on a check-in's scale (see record_checkin_rating). Returns whether it was moved."""
    checkin, _ = checkin_and_team(session, checkin_id)
    return record_checkin_rating(session, checkin, session.get(Member, member_id), value, now,
                                 level_only=level_only)


def answer_question(
    session: Session, checkin_id: int, member_id: int, question: Question, text: str, *, private: bool,
    now: datetime, today: date, prompt: tuple[int, int] | None = None,
) -> AnswerTaken:
    """A member's written answer to one of the check-in's questions (see add_checkin_answer). In an
    anonymous check-in the question's `prompt` (chat id, message id) goes once answered: it names the
    person's private chat."""
    checkin, _ = checkin_and_team(session, checkin_id)
    taken = add_checkin_answer(session, checkin, session.get(Member, member_id), question, text, private=private,
                               now=now, today=today)
    if checkin.anonymous and prompt is not None:
        session.execute(delete(Prompt).where(Prompt.chat_id == prompt[0], Prompt.message_id == prompt[1],
                                             Prompt.purpose == QUESTION_PROMPT))
    return taken


# ---------------------------------------------------------------- questions asked with ForceReply


def remember_question(
    session: Session, *, chat_id: int, message_id: int, team_id: int, checkin_id: int, element_id: str,
    question: Question,
) -> None:
    """The prompt message that asked a check-in question: a reply to it is the answer."""
    session.add(Prompt(chat_id=chat_id, message_id=message_id, team_id=team_id, purpose=QUESTION_PROMPT,
                       checkin_id=checkin_id, element_id=element_id, stage=str(question)))


@dataclass(frozen=True)
class QuestionAsked:
    """What a reply answers: the question, its check-in and team, and who replied (if a member)."""

    question: str
    checkin_id: int
    team: Team
    member: Member | None


def question_asked(session: Session, chat_id: int, message_id: int, telegram_user_id: int) -> QuestionAsked | None:
    """The check-in question asked by the bot's message `message_id`, or None if it asked none."""
    prompt = session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id,
                             Prompt.purpose == QUESTION_PROMPT)
    ).first()
    if prompt is None:
        return None
    checkin, team = checkin_and_team(session, prompt.checkin_id)
    return QuestionAsked(prompt.stage, checkin.id, team, teams.member_of(session, team.id, telegram_user_id))


# ---------------------------------------------------------------- support


@dataclass(frozen=True)
class SupportFacts:
    """What the support reply needs: the team's contacts, its time zone (for the country's lines), and the
    facilitators who could be told (only if the person chooses)."""

    contacts: str
    timezone: str
    facilitators: list[str]


def _reachable_facilitators(session: Session, team_id: int, asker_user_id: int) -> list[Member]:
    """Facilitators who opened their private chat (the bot can't write first), never the person asking."""
    return list(session.exec(
        select(Member).where(Member.team_id == team_id, Member.active, Member.facilitator, Member.private_chat,
                             Member.telegram_user_id != asker_user_id).order_by(Member.id)
    ))


def count_support_request(session: Session, team_id: int, member_id: int, asker_user_id: int) -> SupportFacts:
    """One more request for support, and what to send. It is counted through the ballot box, so the count
    moves only with two other people's, and nothing says who asked."""
    ballots.seal(session, scope=ballots.support_scope(team_id), team_id=team_id, kind=ballots.SUPPORT, op="add",
                 element="", part=ballots.SUPPORT, who=ballots.member(member_id))
    team = session.get(Team, team_id)
    names = [m.display_name for m in _reachable_facilitators(session, team_id, asker_user_id)]
    return SupportFacts(team.support_contacts, team.timezone, names)


@dataclass(frozen=True)
class TellFacilitators:
    """The asker's name as the team knows it, the team's name, and (telegram id, name) of whom to tell."""

    asker: str
    team: str
    facilitators: list[tuple[int, str]]


def facilitators_to_tell(session: Session, team_id: int, asker_user_id: int) -> TellFacilitators | None:
    """Only read: letting the facilitator know leaves no row behind. None unless the asker is a member."""
    member = teams.member_of(session, team_id, asker_user_id)
    if member is None or not member.active:
        return None
    team = session.get(Team, team_id)
    found = [(m.telegram_user_id, m.display_name) for m in _reachable_facilitators(session, team_id, asker_user_id)]
    return TellFacilitators(member.display_name, team.name or team.chat_title, found)


def ask_for_support_contacts(session: Session, chat_id: int, message_id: int, team_id: int) -> None:
    """The /support card: an admin's reply to it replaces the team's contacts."""
    session.add(Prompt(chat_id=chat_id, message_id=message_id, team_id=team_id, purpose=SUPPORT_PROMPT))


def team_asking_for_support_contacts(session: Session, chat_id: int, message_id: int) -> int | None:
    """The team whose /support card is the message `message_id`, if it is one."""
    return session.exec(
        select(Prompt.team_id).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id,
                                     Prompt.purpose == SUPPORT_PROMPT)
    ).first()


def set_support_contacts(session: Session, team_id: int, contacts: str) -> None:
    session.get(Team, team_id).support_contacts = contacts
