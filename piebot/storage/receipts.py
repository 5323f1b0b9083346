"""What can be done with one written item from its receipt: mark it about relationships, give it new
words, or remove it; and the moment a round's results leave the team, after which its evidence stays
as it is.

Which items: evidence, what gets in the way and what helps, and a look back (a review answer), which
can be given new words or removed like the others but is not evidence, so it is never about
relationships. Who may: the item's author, or a facilitator of its team. Named items are reached here,
by their id; an anonymous item is never linked to its author (its author takes it back through the
ballot box, as /withdraw does), so of an anonymous round's items, once the ballot box has let them in,
only the mark is here, and only for a facilitator (from /items): never edited or removed. Editing and
removal are refused once the round's results have left the team (a report sent or exported, a peer
review asked, a network overview that included the round).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from conversations.errors import NotAllowed
from conversations.relationships import THREAD_STAGES
from conversations.texts import receipts as texts
from piebot.storage import relationships, rounds, teams
from piebot.storage.models import Evidence, Member, Prompt, Round, Team, utcnow

EDIT_PURPOSE = "evidence_edit"  # the Prompt rows asking for an item's new words
RECEIPT_STAGES = (*THREAD_STAGES, "review")  # the stages whose items are changed from their receipt


@dataclass(frozen=True)
class Item:
    evidence_id: int
    round_id: int
    element_id: str
    card_id: int  # the element's row in the round: its card shows the counts
    text: str
    about: bool
    anonymous: bool = False  # of an anonymous round: marked from /items alone, never edited or removed


def _item(session: Session, evidence: Evidence) -> Item:
    row = rounds.round_element(session, evidence.round_id, evidence.element_id)
    round_ = session.get(Round, evidence.round_id)
    return Item(evidence.id, evidence.round_id, evidence.element_id, row.id, evidence.text,
                relationships.is_about(session, evidence), bool(round_ and round_.anonymous))


def _reach(session: Session, evidence_id: int, telegram_user_id: int, admin: bool = False) -> tuple[Evidence, Round]:
    """The item, when this person may act on it: its author or a facilitator of its team (`admin`: the
    caller found them an admin of the team's group, who facilitates as well)."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.round_id is None:
        raise NotAllowed(texts.GONE)
    round_ = session.get(Round, evidence.round_id)
    if round_ is None or round_.anonymous or evidence.stage not in RECEIPT_STAGES:
        raise NotAllowed(texts.GONE)
    member = teams.member_of(session, evidence.team_id, telegram_user_id)
    if member is None or not member.active:
        raise NotAllowed(texts.NOT_YOURS)
    author = session.get(Member, evidence.member_id) if evidence.member_id else None
    if not (member.facilitator or admin) and (author is None or author.id != member.id):
        raise NotAllowed(texts.NOT_YOURS)
    return evidence, round_


def _still_in_the_team(round_: Round) -> None:
    if round_.left_team_at is not None:
        raise NotAllowed(texts.LEFT_THE_TEAM)


def _reach_to_mark(session: Session, evidence_id: int, telegram_user_id: int, admin: bool) -> Evidence:
    """The item, when this person may mark it: as `_reach` for a named item; an anonymous round's item
    (one the ballot box has let in) by a facilitator of its team alone, or an admin of its group."""
    evidence = session.get(Evidence, evidence_id)
    round_ = session.get(Round, evidence.round_id) if evidence is not None and evidence.round_id else None
    if round_ is None or not round_.anonymous:
        return _reach(session, evidence_id, telegram_user_id, admin)[0]
    if evidence.member_id is not None or evidence.stage not in THREAD_STAGES:
        raise NotAllowed(texts.GONE)
    member = teams.member_of(session, evidence.team_id, telegram_user_id)
    if not admin and (member is None or not member.active or not member.facilitator):
        raise NotAllowed(texts.ANONYMOUS_FOR_FACILITATORS)
    return evidence


def mark(session: Session, evidence_id: int, telegram_user_id: int, about: bool, admin: bool = False) -> Item:
    """Mark (or unmark) an item as about relationships: it joins the round's relationships thread."""
    evidence = _reach_to_mark(session, evidence_id, telegram_user_id, admin)
    relationships.mark_about_relationships(session, evidence.id, about)  # refuses a look back: not evidence
    return _item(session, evidence)


def item(session: Session, evidence_id: int, telegram_user_id: int, admin: bool = False) -> Item:
    evidence, _ = _reach(session, evidence_id, telegram_user_id, admin)
    return _item(session, evidence)


def may_change(session: Session, evidence_id: int, telegram_user_id: int, admin: bool = False) -> Item:
    """The item, when it may still be edited or removed by this person (else NotAllowed, kindly)."""
    evidence, round_ = _reach(session, evidence_id, telegram_user_id, admin)
    _still_in_the_team(round_)
    return _item(session, evidence)


def remove(session: Session, evidence_id: int, telegram_user_id: int, admin: bool = False) -> Item:
    """Remove an item, by its author or a facilitator, while the round's results are the team's own."""
    evidence, round_ = _reach(session, evidence_id, telegram_user_id, admin)
    _still_in_the_team(round_)
    gone = _item(session, evidence)
    for prompt in session.exec(select(Prompt).where(Prompt.evidence_id == evidence.id)):
        session.delete(prompt)
    session.delete(evidence)
    session.flush()
    return gone


def keep_edit_question(session: Session, *, chat_id: int, message_id: int, evidence_id: int) -> None:
    """The private question asking for an item's new words: a reply to it replaces them."""
    evidence = session.get(Evidence, evidence_id)
    session.add(Prompt(chat_id=chat_id, message_id=message_id, team_id=evidence.team_id, purpose=EDIT_PURPOSE,
                       round_id=evidence.round_id, element_id=evidence.element_id, evidence_id=evidence_id))


def edit_question_replied_to(session: Session, chat_id: int, message_id: int) -> Prompt | None:
    return session.exec(select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id,
                                             Prompt.purpose == EDIT_PURPOSE)).first()


def edit(session: Session, evidence_id: int, telegram_user_id: int, text: str, admin: bool = False) -> Item:
    """Give an item new words (a photo's caption, for a photo), while the results are the team's own."""
    evidence, round_ = _reach(session, evidence_id, telegram_user_id, admin)
    _still_in_the_team(round_)
    evidence.text = text.strip()
    session.flush()
    return _item(session, evidence)


def left_the_team(session: Session, round_ids, at: datetime | None = None) -> None:
    """Note that these rounds' results left the team (the first time counts); in the caller's transaction."""
    for round_id in {r for r in round_ids if r is not None}:
        round_ = session.get(Round, round_id)
        if round_ is not None and round_.left_team_at is None:
            round_.left_team_at = at or utcnow()


def round_for_items(session: Session, team_id: int) -> Round | None:
    """The round whose items /items lists: the open one, else the latest closed (an anonymous one too:
    its items that the ballot box has let in, to be marked about relationships)."""
    return rounds.open_round_of(session, team_id) or session.exec(
        select(Round).where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
        .order_by(Round.closed_at.desc(), Round.id.desc())).first()


def closed_rounds_left(session: Session, team_id: int) -> None:
    """An export hands on every closed round of the team: they have all left it."""
    left_the_team(session, session.exec(select(Round.id).where(Round.team_id == team_id, Round.status == "closed")))


def team_chat_of(session: Session, evidence_id: int) -> int | None:
    """The group of the item's team (to ask Telegram whether a presser is one of its admins)."""
    evidence = session.get(Evidence, evidence_id)
    team = session.get(Team, evidence.team_id) if evidence is not None else None
    return team.chat_id if team is not None else None
