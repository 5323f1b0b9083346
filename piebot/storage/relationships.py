"""Items marked "about relationships", and the relationships thread that gathers them.

`mark_about_relationships(session, evidence_id, about)` is what the receipt's button (or the
facilitator, from /items) calls, by the item's id alone: whoever calls it has already checked who may.
A named item carries its mark itself. An anonymous round's item is marked only by a facilitator, from
/items, once the ballot box has let it in (never from its author's note, which would tie them to it),
and its mark is kept apart (RelationshipMark, keyed by the item's random key, naming nobody), so the
marking never writes to the anonymous answer row; the close carries marks over to the items' new keys.

The thread names nobody (see conversations.relationships); items given privately are left out of
what leaves the team (a report), as everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from conversations.errors import NotAllowed
from conversations.relationships import THREAD_STAGES, RelationshipsThread, ThreadCount, ThreadItem
from conversations.texts import relationships as texts
from framework import Framework
from framework.model import UnknownName
from piebot.storage import teams
from piebot.storage.actions import today_of
from piebot.storage.models import Evidence, RelationshipMark, Round, RoundElement, Team

# How many rounds the count goes back: enough to show a direction without a wall of numbers.
ROUNDS_COUNTED = 6


@dataclass(frozen=True)
class Marked:
    evidence_id: int
    round_id: int | None
    element_id: str
    about: bool


def mark_about_relationships(session: Session, evidence_id: int, about: bool = True) -> Marked:
    """Mark (or unmark) one evidence, hinders or helps item as about relationships.

    Refused (NotAllowed) for an item that is gone or of another stage (an action, a review comment).
    Marking twice is harmless.
    """
    item = session.get(Evidence, evidence_id)
    if item is None:
        raise NotAllowed(texts.GONE)
    if item.stage not in THREAD_STAGES:
        raise NotAllowed(texts.NOT_A_THREAD_ITEM)
    if kept_apart(session, item):
        mark = session.get(RelationshipMark, item.id)
        if about and mark is None:
            session.add(RelationshipMark(evidence_id=item.id))
        elif not about and mark is not None:
            session.delete(mark)
    else:
        item.about_relationships = about
    session.flush()
    return Marked(item.id, item.round_id, item.element_id, about)


def kept_apart(session: Session, item: Evidence) -> bool:
    """Whether the item's mark lives apart from it: an item of an anonymous round, or one without a name."""
    round_ = session.get(Round, item.round_id) if item.round_id is not None else None
    return item.member_id is None or (round_ is not None and round_.anonymous)


def is_about(session: Session, item: Evidence) -> bool:
    return item.about_relationships or session.get(RelationshipMark, item.id) is not None


def _about():
    """The SQL condition "marked about relationships", on the item or apart from it."""
    return or_(Evidence.about_relationships, Evidence.id.in_(select(RelationshipMark.evidence_id)))


@dataclass(frozen=True)
class Candidate:
    """An item of a round that may be marked about relationships, and whether it is."""

    evidence_id: int
    element_id: str
    stage: str
    text: str
    about: bool


def thread_candidates(session: Session, round_id: int, element_id: str | None = None) -> list[Candidate]:
    """The round's evidence, hinders and helps items (of one element, if given), for the facilitator to mark.

    In the round's element order and as the stages run, never by who wrote them or when."""
    query = select(Evidence).where(Evidence.round_id == round_id, Evidence.stage.in_(THREAD_STAGES))
    if element_id is not None:
        query = query.where(Evidence.element_id == element_id)
    order = _positions(session, round_id)
    rows = sorted(session.exec(query), key=lambda e: (order.get(e.element_id, len(order)),
                                                       THREAD_STAGES.index(e.stage), e.id))
    apart = set(session.exec(select(RelationshipMark.evidence_id).where(
        RelationshipMark.evidence_id.in_([e.id for e in rows])))) if rows else set()
    return [Candidate(e.id, e.element_id, e.stage, e.text, e.about_relationships or e.id in apart) for e in rows]


def _positions(session: Session, round_id: int) -> dict[str, int]:
    return {row.element_id: row.position for row in
            session.exec(select(RoundElement).where(RoundElement.round_id == round_id))}


def _name(framework: Framework, element_id: str) -> str:
    try:
        return framework.element(element_id).name
    except UnknownName:
        return element_id


def thread_items(session: Session, round_id: int, framework: Framework, *, include_private: bool = True
                 ) -> tuple[list[ThreadItem], int]:
    """The round's items about relationships, in its element order, and how many private ones were left out."""
    order = _positions(session, round_id)
    rows = list(session.exec(
        select(Evidence).where(Evidence.round_id == round_id, _about(), Evidence.stage.in_(THREAD_STAGES))
        .order_by(Evidence.id)
    ))
    # Within an element, evidence before hinders before helps, as the stages run; never by who or when.
    rows.sort(key=lambda e: (order.get(e.element_id, len(order)), THREAD_STAGES.index(e.stage), e.id))
    items, held_back = [], 0
    for row in rows:
        if row.private and not include_private:
            held_back += 1
            continue
        text = row.text.strip()
        if text:
            items.append(ThreadItem(row.element_id, _name(framework, row.element_id), row.stage, text))
    return items, held_back


def counts_up_to(session: Session, round_: Round) -> list[ThreadCount]:
    """Items about relationships in each of the team's rounds (of the same audience) up to this one,
    oldest first, this one last (open or closed), at most ROUNDS_COUNTED."""
    earlier = list(session.exec(
        select(Round).where(Round.team_id == round_.team_id, Round.audience == round_.audience,
                            Round.status == "closed", Round.id != round_.id, Round.id < round_.id)
        .order_by(Round.closed_at.desc(), Round.id.desc()).limit(ROUNDS_COUNTED - 1)
    ))
    chosen = [*reversed(earlier), round_]
    found = {
        round_id: (items, elements)
        for round_id, items, elements in session.exec(
            select(Evidence.round_id, func.count(), func.count(func.distinct(Evidence.element_id)))
            .where(Evidence.round_id.in_([r.id for r in chosen]), _about(), Evidence.stage.in_(THREAD_STAGES))
            .group_by(Evidence.round_id)
        )
    }
    team = session.get(Team, round_.team_id)
    return [ThreadCount(r.id, closed_on(team, r), *found.get(r.id, (0, 0))) for r in chosen]


def relationships_thread(session: Session, round_id: int, *, include_private: bool = True) -> RelationshipsThread:
    """The thread of one round, with its count over the rounds, in the team's framework."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"no round {round_id}")
    team = session.get(Team, round_.team_id)
    items, held_back = thread_items(session, round_id, teams.framework_of(team), include_private=include_private)
    return RelationshipsThread(round_id, closed_on(team, round_), items, counts_up_to(session, round_), held_back)


def closed_on(team: Team, round_: Round) -> date | None:
    """The day the round closed, in the team's calendar; None while it is open."""
    return today_of(team, round_.closed_at) if round_.status == "closed" and round_.closed_at else None
