"""Rounds: opening (also as /assess starts one), the chat's open round, ratings (named or anonymous),
evidence, team views, actions, closing.

Anonymity is kept here, at the one place answers are written: an anonymous rating, piece of
evidence or action goes into a sealed ballot (piebot.storage.ballots), never straight into the
answers, and the fact that somebody answered goes to Participation, which holds no answer. The
ballots enter the answers later, in batches of three people or more (piebot.storage.ballot_box).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from conversations.pizazz import Scope, ScopeKind
from conversations.texts import refusals
from piebot import clock
from piebot.storage import ballot_box, ballots, teams
from piebot.storage.models import Action, Evidence, Member, Participation, Prompt, Rating, Round, RoundElement, Team, utcnow


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
    names_shown: bool = False,
) -> Round:
    if audience == "staff" and open_round_of(session, team_id) is not None:
        raise RoundRefused(refusals.ROUND_ALREADY_OPEN)
    if not element_ids:
        raise RoundRefused(refusals.NO_ELEMENTS)
    round_ = Round(
        team_id=team_id,
        element_ids=list(element_ids),
        scope=scope,
        scope_ref=scope_ref,
        mode=mode,
        anonymous=anonymous,
        names_shown=names_shown and not anonymous,
        framework_variant=framework_variant,
        opened_by_member_id=opened_by,
        deadline=deadline,
        audience=audience,
        opened_at=clock.now(),
    )
    session.add(round_)
    session.flush()
    # An element the team has looked at before opens with the review; a live round's first at once.
    before = looked_at_before(session, round_)
    first = "review" if mode == "live" and element_ids[0] in before else "rating"
    for position, element_id in enumerate(element_ids):
        session.add(
            RoundElement(
                round_id=round_.id,
                element_id=element_id,
                position=position,
                phase=first if position == 0 else ("rating" if mode == "async" else "pending"),
                looked_at_before=element_id in before,
            )
        )
    session.flush()
    return round_


@dataclass(frozen=True)
class RoundStarted:
    round_id: int
    elements: int
    first_card_id: int  # the first element's row: its card comes first


def start_round(
    session: Session,
    *,
    team_id: int,
    telegram_user_id: int | None,
    element_ids: list[str],
    scope: str,
    scope_ref: str | None,
    mode: str,
    anonymous: bool,
    strengths_first: bool,
    deadline: datetime | None,
    names_shown: bool = False,
) -> RoundStarted:
    """A round opened from /assess: the order of the stages chosen stays the team's setting."""
    team = session.get(Team, team_id)
    team.strengths_first = strengths_first
    opener = teams.member_of(session, team_id, telegram_user_id) if telegram_user_id else None
    round_ = open_round(
        session,
        team_id=team_id,
        element_ids=element_ids,
        scope=scope,
        scope_ref=scope_ref,
        mode=mode,
        anonymous=anonymous,
        framework_variant=team.framework_variant,
        opened_by=opener.id if opener else None,
        deadline=deadline,
        names_shown=names_shown,
    )
    first = elements_of(session, round_.id)[0]
    return RoundStarted(round_.id, len(round_.element_ids), first.id)


def in_chat(session: Session, chat_id: int) -> tuple[Team | None, Round | None]:
    """The chat's team and its open round (either may be None)."""
    team = teams.team_for_chat(session, chat_id)
    return team, (open_round_of(session, team.id) if team else None)


def round_with_team(session: Session, round_id: int) -> tuple[Round | None, Team | None]:
    round_ = session.get(Round, round_id)
    return round_, (session.get(Team, round_.team_id) if round_ is not None else None)


def scope_of(round_: Round) -> Scope:
    """What the round covers; an unknown kind reads as the whole framework."""
    try:
        kind = ScopeKind(round_.scope)
    except ValueError:
        kind = ScopeKind.ALL
    return Scope(kind, round_.scope_ref)


def _stamp(round_: Round) -> datetime:
    # An anonymous answer's time could be matched to when someone was seen pressing a button,
    # so it carries the round's opening time instead.
    return round_.opened_at if round_.anonymous else utcnow()


def _seal(session: Session, round_: Round, member: Member, kind: str, op: str, element_id: str, part: str,
          row=None, target: str | None = None, unnamed: bool = False) -> None:
    ballots.seal(session, scope=ballots.round_scope(round_.id), team_id=round_.team_id, kind=kind, op=op,
                 element=element_id, part=part, who=ballots.member(member.id), row=row, target=target,
                 unnamed=unnamed)


def _participation(session: Session, member: Member, round_: Round, element_id: str, part: str) -> Participation | None:
    return session.exec(
        select(Participation).where(
            Participation.member_id == member.id,
            Participation.subject == subject(round_.id),
            Participation.element_id == element_id,
            Participation.part == part,
        )
    ).first()


def round_element(session: Session, round_id: int, element_id: str) -> RoundElement:
    row = session.exec(
        select(RoundElement).where(RoundElement.round_id == round_id, RoundElement.element_id == element_id)
    ).first()
    if row is None:
        raise RoundRefused(refusals.NOT_IN_ROUND)
    return row


def elements_of(session: Session, round_id: int) -> list[RoundElement]:
    return list(
        session.exec(select(RoundElement).where(RoundElement.round_id == round_id).order_by(RoundElement.position))
    )


def _check_open(round_: Round, element: RoundElement) -> None:
    if round_.status == "closed":
        raise RoundRefused(refusals.THAT_ROUND_CLOSED)
    if element.phase == "closed":
        raise RoundRefused(refusals.CLOSED)
    if round_.status == "paused":
        raise RoundRefused(refusals.ROUND_PAUSED)


@dataclass(frozen=True)
class RatingOutcome:
    changed: bool  # an earlier rating of the member's was replaced
    _session: Session
    _round_id: int
    _element_id: str

    @property
    def rated(self) -> int:
        """How many have rated this element now (counted when asked: a press does not need it)."""
        return count_rated(self._session, self._round_id, self._element_id)


def record_rating(session: Session, round_: Round, member: Member, element_id: str, value: int, *,
                  element: RoundElement | None = None) -> RatingOutcome:
    """`element`: the round's row of the element, if the caller has it already (one look-up fewer)."""
    if not 1 <= value <= 20:
        raise RoundRefused(refusals.NOT_ON_SCALE)
    if element is None or element.round_id != round_.id or element.element_id != element_id:
        element = round_element(session, round_.id, element_id)
    _check_open(round_, element)
    if round_.mode == "live" and element.phase != "rating":
        raise RoundRefused(refusals.RATING_CLOSED)
    seen = _participation(session, member, round_, element_id, "rating")
    changed = seen is not None
    if round_.anonymous:
        if changed and ballot_box.has_legacy_answer(session, Rating, subject(round_.id), element_id):
            raise RoundRefused(refusals.ALREADY_RATED_ANONYMOUSLY)
        if not changed:
            session.add(Participation(member_id=member.id, subject=subject(round_.id), element_id=element_id,
                                      part="rating"))
        row = Rating(team_id=round_.team_id, round_id=round_.id, element_id=element_id, value=value)
        _seal(session, round_, member, "rating", "put", element_id, "rating", row)
    elif changed:
        rating = session.exec(
            select(Rating).where(
                Rating.round_id == round_.id, Rating.element_id == element_id, Rating.member_id == member.id
            )
        ).one()
        rating.value = value
        rating.updated_at = utcnow()
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
                member_id=member.id,
                value=value,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    session.flush()
    return RatingOutcome(changed, session, round_.id, element_id)


def withdraw_rating(session: Session, round_: Round, member: Member, element_id: str) -> None:
    element = round_element(session, round_.id, element_id)
    _check_open(round_, element)
    seen = _participation(session, member, round_, element_id, "rating")
    if round_.anonymous:
        if seen is None:
            raise RoundRefused(refusals.NOT_RATED)
        if ballot_box.has_legacy_answer(session, Rating, subject(round_.id), element_id):
            raise RoundRefused(refusals.ANONYMOUS_CANNOT_WITHDRAW)
        _seal(session, round_, member, "rating", "withdraw", element_id, "rating")
        session.delete(seen)
        return
    rating = session.exec(
        select(Rating).where(Rating.round_id == round_.id, Rating.element_id == element_id, Rating.member_id == member.id)
    ).first()
    if rating is None:
        raise RoundRefused(refusals.NOT_RATED)
    session.delete(rating)
    if seen is not None:
        session.delete(seen)


def count_rated(session: Session, round_id: int, element_id: str) -> int:
    """How many have rated: from Participation, since anonymous ratings may still be sealed."""
    return session.exec(
        select(func.count()).select_from(Participation).where(
            Participation.subject == subject(round_id), Participation.element_id == element_id,
            Participation.part == "rating",
        )
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
    if not round_.anonymous:
        session.add(evidence)
        session.flush()
        return evidence
    _seal(session, round_, member, "evidence", "add", element_id, stage, evidence)
    # Count that they took part in this stage without linking them to what they wrote.
    if _participation(session, member, round_, element_id, stage) is None:
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
        raise RoundRefused(refusals.NOT_ON_SCALE)
    element = round_element(session, round_.id, element_id)
    if round_.status == "closed" and element.team_view is not None:
        raise RoundRefused(refusals.THAT_ROUND_CLOSED)
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
    author_member_id: int | None = None,
) -> Action:
    """A named action (its author kept, so /forgetme finds what they wrote). Anonymous ones: add_anonymous_action."""
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
        author_member_id=author_member_id,
    )
    session.add(action)
    session.flush()
    return action


def add_anonymous_action(session: Session, round_: Round, author: Member, element_id: str, action: Action,
                         *, unnamed: bool = True) -> None:
    """An action written in an anonymous round: sealed like any anonymous answer, its author never kept.
    Nothing else in a live round's transaction names the author (no Participation for actions), so it
    goes in at the close however few proposed one: a team's plan is not held back."""
    action.author_member_id = None
    _seal(session, round_, author, "action", "add", element_id, "action_plan", action, unnamed=unnamed)


def actions_of_round(session: Session, round_id: int) -> list[Action]:
    return list(session.exec(select(Action).where(Action.round_id == round_id).order_by(Action.id)))


def close_round(session: Session, round_: Round) -> None:
    now = clock.now()  # the clock a demo or a test moves on: the review says when this was
    round_.status = "closed"
    round_.closed_at = now
    for element in elements_of(session, round_.id):
        if element.phase != "closed":
            element.phase = "closed"
            element.closed_at = now
    if round_.anonymous:
        # The stage questions asked for it are of no use now, and nothing may point at an answer.
        session.execute(delete(Prompt).where(Prompt.round_id == round_.id, Prompt.purpose == "stage"))
        ballots.open_after_commit(session, subject(round_.id), final=True)


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


def looked_at_before(session: Session, round_: Round) -> frozenset[str]:
    """The elements of this round the team agreed a view on in an earlier closed round (same audience):
    each opens with the review of the Pizazz before it is rated again."""
    if not round_.element_ids:
        return frozenset()
    found = session.exec(
        select(RoundElement.element_id)
        .join(Round, Round.id == RoundElement.round_id)
        .where(*_agreed_before(round_), RoundElement.element_id.in_(list(round_.element_ids)))
        .distinct()
    )
    return frozenset(found)


def _agreed_before(round_: Round) -> tuple:
    """Where an element's team view was agreed in one of the team's closed rounds before this one."""
    return (
        Round.team_id == round_.team_id,
        Round.status == "closed",
        Round.audience == round_.audience,
        Round.id < round_.id,
        RoundElement.team_view.is_not(None),
    )


def reviewed(elements: list[RoundElement]) -> frozenset[str]:
    """Which of a round's elements (its rows) open with the review, as recorded when it opened."""
    return frozenset(e.element_id for e in elements if e.looked_at_before)


def earlier_team_view(session: Session, round_: Round, element_id: str) -> tuple[int, datetime | None] | None:
    """The team view agreed on this element in the team's last closed round before this one, and when
    that round closed: where the distance travelled is measured from."""
    found = session.exec(
        select(RoundElement.team_view, Round.closed_at)
        .join(Round, Round.id == RoundElement.round_id)
        .where(*_agreed_before(round_), RoundElement.element_id == element_id)
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).first()
    return (found[0], found[1]) if found is not None else None


def team_views(session: Session, round_id: int) -> dict[str, int | None]:
    return {e.element_id: e.team_view for e in elements_of(session, round_id)}


def members_counted(session: Session, team_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Member).where(Member.team_id == team_id, Member.active)
    ).one()
