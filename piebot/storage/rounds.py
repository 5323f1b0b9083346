"""Rounds: opening, ratings (named or anonymous), evidence, team views, actions, closing.

Anonymity is kept here, at the one place answers are written: an anonymous rating or piece
of evidence is stored with no member, and the fact that somebody answered goes to
Participation, which holds no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from piebot.storage.models import (
    Action,
    Evidence,
    Member,
    Participation,
    Rating,
    Round,
    RoundElement,
    utcnow,
)


class RoundRefused(Exception):
    """A kind, plain reason why this can't be done now; shown to the person as it is."""


OPEN = ("open", "paused")


def subject(round_id: int) -> str:
    return f"round:{round_id}"


def open_round_of(session: Session, team_id: int) -> Round | None:
    return session.exec(
        select(Round).where(Round.team_id == team_id, Round.status.in_(OPEN), Round.audience == "staff")
    ).first()


def open_round(
    session: Session,
    *,
    team_id: int,
    element_ids: list[str],
    scope: str,
    scope_ref: str | None,
    mode: str,
    anonymous: bool,
    framework_variant: str,
    opened_by: int | None,
    deadline: datetime | None = None,
    audience: str = "staff",
) -> Round:
    if audience == "staff" and open_round_of(session, team_id) is not None:
        raise RoundRefused("There's already a round open. Close it with /close before starting another.")
    if not element_ids:
        raise RoundRefused("That choice has no elements to rate.")
    round_ = Round(
        team_id=team_id,
        element_ids=list(element_ids),
        scope=scope,
        scope_ref=scope_ref,
        mode=mode,
        anonymous=anonymous,
        framework_variant=framework_variant,
        opened_by_member_id=opened_by,
        deadline=deadline,
        audience=audience,
    )
    session.add(round_)
    session.flush()
    for position, element_id in enumerate(element_ids):
        session.add(
            RoundElement(
                round_id=round_.id,
                element_id=element_id,
                position=position,
                phase="rating" if (mode == "async" or position == 0) else "pending",
            )
        )
    session.flush()
    return round_


def _stamp(round_: Round) -> datetime:
    # An anonymous answer's time could be matched to when someone was seen pressing a button,
    # so it carries the round's opening time instead.
    return round_.opened_at if round_.anonymous else utcnow()


def round_element(session: Session, round_id: int, element_id: str) -> RoundElement:
    row = session.exec(
        select(RoundElement).where(RoundElement.round_id == round_id, RoundElement.element_id == element_id)
    ).first()
    if row is None:
        raise RoundRefused("That element isn't part of this round.")
    return row


def elements_of(session: Session, round_id: int) -> list[RoundElement]:
    return list(
        session.exec(select(RoundElement).where(RoundElement.round_id == round_id).order_by(RoundElement.position))
    )


def _check_open(round_: Round, element: RoundElement) -> None:
    if round_.status == "closed":
        raise RoundRefused("That round has closed.")
    if element.phase == "closed":
        raise RoundRefused("That question has closed.")
    if round_.status == "paused":
        raise RoundRefused("The round is paused for now.")


@dataclass(frozen=True)
class RatingOutcome:
    changed: bool  # an earlier rating of the member's was replaced
    rated: int  # how many have rated this element now


def record_rating(session: Session, round_: Round, member: Member, element_id: str, value: int) -> RatingOutcome:
    if not 1 <= value <= 20:
        raise RoundRefused("That isn't a place on the scale.")
    element = round_element(session, round_.id, element_id)
    _check_open(round_, element)
    if round_.mode == "live" and element.phase != "rating":
        raise RoundRefused("Rating for this element has closed.")
    seen = session.exec(
        select(Participation).where(
            Participation.member_id == member.id,
            Participation.subject == subject(round_.id),
            Participation.element_id == element_id,
            Participation.part == "rating",
        )
    ).first()
    changed = False
    if seen is not None:
        if round_.anonymous:
            raise RoundRefused(
                "You've already rated this one. Anonymous answers can't be changed, because I don't keep who gave them."
            )
        rating = session.exec(
            select(Rating).where(
                Rating.round_id == round_.id, Rating.element_id == element_id, Rating.member_id == member.id
            )
        ).one()
        rating.value = value
        rating.updated_at = utcnow()
        changed = True
    else:
        session.add(
            Participation(member_id=member.id, subject=subject(round_.id), element_id=element_id, part="rating")
        )
        stamp = _stamp(round_)
        session.add(
            Rating(
                team_id=round_.team_id,
                round_id=round_.id,
                element_id=element_id,
                member_id=None if round_.anonymous else member.id,
                value=value,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    session.flush()
    return RatingOutcome(changed=changed, rated=count_rated(session, round_.id, element_id))


def withdraw_rating(session: Session, round_: Round, member: Member, element_id: str) -> None:
    element = round_element(session, round_.id, element_id)
    _check_open(round_, element)
    if round_.anonymous:
        raise RoundRefused("Anonymous answers can't be withdrawn, because I don't keep who gave them.")
    rating = session.exec(
        select(Rating).where(Rating.round_id == round_.id, Rating.element_id == element_id, Rating.member_id == member.id)
    ).first()
    if rating is None:
        raise RoundRefused("You haven't rated this one.")
    session.delete(rating)
    for row in session.exec(
        select(Participation).where(
            Participation.member_id == member.id,
            Participation.subject == subject(round_.id),
            Participation.element_id == element_id,
            Participation.part == "rating",
        )
    ):
        session.delete(row)


def count_rated(session: Session, round_id: int, element_id: str) -> int:
    return session.exec(
        select(func.count()).select_from(Rating).where(Rating.round_id == round_id, Rating.element_id == element_id)
    ).one()


def has_rated(session: Session, round_id: int, member_id: int, element_id: str) -> bool:
    return (
        session.exec(
            select(Participation.member_id).where(
                Participation.member_id == member_id,
                Participation.subject == subject(round_id),
                Participation.element_id == element_id,
                Participation.part == "rating",
            )
        ).first()
        is not None
    )


def ratings_of(session: Session, round_id: int, element_id: str) -> list[tuple[str | None, int]]:
    """(name or None, value) per rating; names only in named rounds, in no meaningful order."""
    rows = session.exec(
        select(Rating.value, Member.display_name)
        .join(Member, Member.id == Rating.member_id, isouter=True)
        .where(Rating.round_id == round_id, Rating.element_id == element_id)
        .order_by(Rating.value, Rating.id)
    )
    return [(name, value) for value, name in rows]


def add_evidence(
    session: Session,
    round_: Round,
    member: Member,
    element_id: str,
    stage: str,
    *,
    kind: str = "text",
    text: str = "",
    file_id: str | None = None,
    private: bool = False,
) -> Evidence:
    element = round_element(session, round_.id, element_id)
    _check_open(round_, element)
    evidence = Evidence(
        team_id=round_.team_id,
        round_id=round_.id,
        element_id=element_id,
        stage=stage,
        member_id=None if round_.anonymous else member.id,
        kind=kind,
        text=text,
        file_id=file_id,
        private=private,
        created_at=_stamp(round_),
    )
    session.add(evidence)
    if round_.anonymous:
        # Count that they took part in this stage without linking them to what they wrote.
        seen = session.exec(
            select(Participation.member_id).where(
                Participation.member_id == member.id,
                Participation.subject == subject(round_.id),
                Participation.element_id == element_id,
                Participation.part == stage,
            )
        ).first()
        if seen is None:
            session.add(Participation(member_id=member.id, subject=subject(round_.id), element_id=element_id, part=stage))
    session.flush()
    return evidence


def evidence_of(session: Session, round_id: int, element_id: str | None = None) -> list[Evidence]:
    query = select(Evidence).where(Evidence.round_id == round_id)
    if element_id is not None:
        query = query.where(Evidence.element_id == element_id)
    return list(session.exec(query.order_by(Evidence.id)))


def set_team_view(session: Session, round_: Round, element_id: str, value: int) -> None:
    if not 1 <= value <= 20:
        raise RoundRefused("That isn't a place on the scale.")
    element = round_element(session, round_.id, element_id)
    if round_.status == "closed" and element.team_view is not None:
        raise RoundRefused("That round has closed.")
    element.team_view = value


def add_action(
    session: Session,
    *,
    team_id: int,
    text: str,
    round_id: int | None = None,
    checkin_id: int | None = None,
    element_id: str | None = None,
    owner_member_id: int | None = None,
    due: date | None = None,
    success_measure: str = "",
    depends_on_others: bool = False,
) -> Action:
    action = Action(
        team_id=team_id,
        round_id=round_id,
        checkin_id=checkin_id,
        element_id=element_id,
        text=text,
        owner_member_id=owner_member_id,
        due=due,
        success_measure=success_measure,
        depends_on_others=depends_on_others,
    )
    session.add(action)
    session.flush()
    return action


def actions_of_round(session: Session, round_id: int) -> list[Action]:
    return list(session.exec(select(Action).where(Action.round_id == round_id).order_by(Action.id)))


def close_round(session: Session, round_: Round) -> None:
    now = utcnow()
    round_.status = "closed"
    round_.closed_at = now
    for element in elements_of(session, round_.id):
        if element.phase != "closed":
            element.phase = "closed"
            element.closed_at = now


def previous_closed_round(session: Session, round_: Round) -> Round | None:
    """The team's last closed round before this one, of the same audience."""
    return session.exec(
        select(Round)
        .where(
            Round.team_id == round_.team_id,
            Round.status == "closed",
            Round.audience == round_.audience,
            Round.id < round_.id,
        )
        .order_by(Round.id.desc())
    ).first()


def team_views(session: Session, round_id: int) -> dict[str, int | None]:
    return {e.element_id: e.team_view for e in elements_of(session, round_id)}


def members_counted(session: Session, team_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Member).where(Member.team_id == team_id, Member.active)
    ).one()
