"""The end of a round: what its summary is drawn from, the review date picked under it, and the team
views agreed element by element after a round in people's own time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from conversations.actions import Action as ActionLine
from conversations.keyboards import Command, PlaceChosen
from conversations.pizazz import Scope, shared_middle
from conversations.relationships import ThreadCount
from conversations.texts import assess as texts
from conversations.texts import refusals
from framework import Framework
from piebot import clock
from piebot.storage import ballot_box, ballots, relationships, rounds, schedules, teams
from piebot.storage.models import Member, Round, RoundElement, Team

# ---------------------------------------------------------------- the summary


@dataclass(frozen=True)
class ElementOutcome:
    element_id: str
    team_view: int | None
    views: tuple[int, ...]  # individual views, without names; none for views never shared
    earlier_view: int | None  # the team view at the team's round before, if there was one


@dataclass(frozen=True)
class RoundEnd:
    """What a round's summary is drawn from."""

    chat_id: int
    framework: Framework
    scope: Scope
    closed_on: date
    elements: list[ElementOutcome]
    actions: list[ActionLine]
    earlier_on: date | None  # when the round compared with took place
    # Items about relationships, round by round up to this one (the summary says only how many).
    relationship_counts: list[ThreadCount] = field(default_factory=list)
    # What was said at the review of elements looked at before: element id -> the answers, in order.
    looked_back: dict[str, list[str]] = field(default_factory=dict)


def _views_shown(round_: Round, row: RoundElement) -> bool:
    # A live element skipped before anyone agreed anything never had its views shared: keep it so.
    return round_.mode != "live" or row.team_view is not None or row.stage is not None


def round_end(session: Session, round_id: int) -> RoundEnd:
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    earlier = rounds.previous_closed_round(session, round_)
    earlier_views = rounds.team_views(session, earlier.id) if earlier else {}
    elements = []
    for row in rounds.elements_of(session, round_id):
        values = [v for _, v in rounds.ratings_of(session, round_id, row.element_id)] if _views_shown(round_, row) else []
        elements.append(ElementOutcome(row.element_id, row.team_view, tuple(values), earlier_views.get(row.element_id)))
    actions = []
    stored = list(rounds.actions_of_round(session, round_id))
    if round_.anonymous:
        # Composed in the transaction that closes the round: actions still sealed go in right after it.
        stored += [ballots.row_from("action", row)
                   for row in ballot_box.going_in_at_close(session, rounds.subject(round_id), "action")]
    for action in stored:
        owner = session.get(Member, action.owner_member_id) if action.owner_member_id else None
        actions.append(
            ActionLine(
                what=action.text,
                owner=owner.display_name if owner else "",
                due=action.due,
                check=action.success_measure,
                element_id=action.element_id,
            )
        )
    return RoundEnd(
        looked_back=review_answers(session, round_),
        chat_id=team.chat_id,
        framework=teams.framework_of(team),
        scope=rounds.scope_of(round_),
        closed_on=(round_.closed_at or clock.now()).date(),
        elements=elements,
        actions=actions,
        earlier_on=(earlier.closed_at or earlier.opened_at).date() if earlier else None,
        relationship_counts=relationships.counts_up_to(session, round_),
    )


def review_answers(session: Session, round_: Round) -> dict[str, list[str]]:
    """The review's written answers per element (a photo or voice note by its caption or its kind). In an
    anonymous round, those the close lets in too: the summary is written in the closing transaction."""
    rows = [e for e in rounds.evidence_of(session, round_.id) if e.stage == "review"]
    if round_.anonymous and round_.status == "closed":
        rows += [e for e in (ballots.row_from("evidence", r) for r in
                             ballot_box.going_in_at_close(session, rounds.subject(round_.id), "evidence"))
                 if e.stage == "review"]
    found: dict[str, list[str]] = {}
    for evidence in rows:
        said = evidence.text.strip() or f"({evidence.kind})"
        found.setdefault(evidence.element_id, []).append(said)
    return found


def set_review_date(session: Session, round_id: int, weeks: int) -> date:
    """When the team looks again: `weeks` after the round closed."""
    round_ = session.get(Round, round_id)
    round_.review_date = (round_.closed_at or clock.now()).date() + timedelta(weeks=weeks)
    # The team's reassessment date too, so the reminders (a week before and on the day) come for it.
    schedules.set_review_date(session, round_.team_id, round_.review_date)
    return round_.review_date


# ---------------------------------------------------------------- team views after a round in people's own time


@dataclass(frozen=True)
class TeamViewFacts:
    """What the team-view card of one element shows."""

    card_id: int
    chat_id: int
    message_id: int | None
    framework: Framework
    element_id: str
    number: int  # the element's place in the round, from 1
    of: int
    anonymous: bool
    ratings: list[tuple[str | None, int]]  # (name or None, value)
    team_view: int | None
    names_shown: bool = False  # a named round started as "named and shown"


def team_view_facts(session: Session, card_id: int) -> TeamViewFacts:
    row = session.get(RoundElement, card_id)
    round_ = session.get(Round, row.round_id)
    team = session.get(Team, round_.team_id)
    return TeamViewFacts(
        card_id=row.id,
        chat_id=team.chat_id,
        message_id=row.card_message_id,
        framework=teams.framework_of(team),
        element_id=row.element_id,
        number=row.position + 1,
        of=len(round_.element_ids) or 1,
        anonymous=round_.anonymous,
        ratings=rounds.ratings_of(session, round_.id, row.element_id),
        team_view=row.team_view,
        names_shown=round_.names_shown,
    )


def team_view_card(session: Session, round_id: int, element_id: str) -> TeamViewFacts:
    return team_view_facts(session, rounds.round_element(session, round_id, element_id).id)


def agree_team_view(session: Session, card_id: int, choice: Command | PlaceChosen) -> TeamViewFacts:
    """The facilitator's press on a team-view card: accept the middle view, pick a place, or open or
    close the picker. Once set, the team view stays."""
    row = session.get(RoundElement, card_id)
    round_ = session.get(Round, row.round_id)
    if row.team_view is not None:
        raise rounds.RoundRefused(texts.TEAM_VIEW_ALREADY_SET)
    if choice == Command.ACCEPT:
        values = [v for _, v in rounds.ratings_of(session, round_.id, row.element_id)]
        middle = shared_middle(values)
        if middle is None:
            raise rounds.RoundRefused(texts.NO_PRIVATE_MIDDLE)
        rounds.set_team_view(session, round_, row.element_id, middle)
    elif isinstance(choice, PlaceChosen) and choice.team:
        team = session.get(Team, round_.team_id)
        rounds.set_team_view(session, round_, row.element_id, choice.index(teams.framework_of(team).scale))
    elif choice not in (Command.CHOOSE, Command.TEAM_BACK):
        raise rounds.RoundRefused(refusals.BUTTON_EXPIRED)
    session.flush()
    return team_view_facts(session, row.id)
