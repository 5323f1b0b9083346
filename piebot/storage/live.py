"""A live round kept in its rows: where the session stands, what its card is drawn from, a member's
bead, the facilitator's moves, and what /status reports.

Where a live round stands is kept in its rows (Round.current_index and status, RoundElement.phase,
stage and team_view) and rebuilt as a `LiveRound` for every press, so a restart or a second worker
carries on exactly where the session was. Each function runs inside the one transaction of the update
it serves; none commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, update
from sqlmodel import Session, select

from conversations import pizazz
from conversations.errors import NotAllowed
from conversations.keyboards import Command, PlaceChosen, read_press
from conversations.pizazz import LiveRound, Phase, shared_middle
from conversations.texts import assess as texts
from conversations.texts import refusals
from framework import Framework, Stage
from piebot import clock
from piebot.storage import actions, ballots, outbox, rounds, teams
from piebot.storage.actions import LastLook
from piebot.storage.models import Action, Evidence, Member, Participation, Round, RoundElement, Team

_PHASE_ROW = {
    Phase.REVIEW: "review",
    Phase.RATING: "rating",
    Phase.REVEALED: "revealed",
    Phase.TEAM_VIEW_SET: "agreed",
    Phase.STAGE: "stages",
    Phase.CLOSED: "closed",
}
_ROW_PHASE = {row: phase for phase, row in _PHASE_ROW.items()} | {"pending": Phase.RATING}


# ---------------------------------------------------------------- state in rows


def load_state(session: Session, round_: Round, team: Team) -> LiveRound:
    elements = rounds.elements_of(session, round_.id)
    index = min(round_.current_index, len(elements) - 1)
    current = elements[index]
    order = pizazz.stages(team.strengths_first)
    stage_index = order.index(Stage(current.stage)) if current.stage in order else 0
    return LiveRound(
        element_ids=[e.element_id for e in elements],
        strengths_first=team.strengths_first,
        element_index=index,
        phase=_ROW_PHASE.get(current.phase, Phase.RATING),
        stage_index=stage_index,
        team_view=current.team_view,
        paused=round_.status == "paused",
        finished=round_.status == "closed",
        team_views={e.element_id: e.team_view for e in elements if e.team_view is not None},
        reviewed=rounds.reviewed(elements),
    )


def save_state(session: Session, round_: Round, state: LiveRound) -> None:
    elements = rounds.elements_of(session, round_.id)
    now = clock.now()  # as close_round's: the element and its round close at the same moment
    for element in elements[: state.element_index]:
        if element.phase != "closed":  # skipped or finished: either way, no more answers
            element.phase, element.closed_at = "closed", now
    current = elements[state.element_index]
    current.phase = _PHASE_ROW[state.phase]
    current.stage = str(state.stage) if state.phase is Phase.STAGE else current.stage
    current.closed_at = now if state.phase is Phase.CLOSED else None
    if state.team_view is not None:
        rounds.set_team_view(session, round_, current.element_id, state.team_view)
    round_.current_index = state.element_index
    if state.finished:
        rounds.close_round(session, round_)
    else:
        round_.status = "paused" if state.paused else "open"


def _settled(session: Session, round_: Round, team: Team, row: RoundElement) -> LiveRound:
    """How an element's card looks once the session has moved past it. One skipped before anyone
    agreed anything keeps showing only the count: its views were never shared."""
    order = pizazz.stages(team.strengths_first)
    shared = row.team_view is not None or row.stage is not None
    return LiveRound(
        element_ids=list(round_.element_ids) or [row.element_id],
        strengths_first=team.strengths_first,
        element_index=row.position,
        phase=Phase.CLOSED if shared else Phase.RATING,
        stage_index=order.index(Stage(row.stage)) if row.stage in order else 0,
        team_view=row.team_view,
        finished=True,
        reviewed=frozenset([row.element_id]) if row.looked_at_before else frozenset(),
    )


# ---------------------------------------------------------------- what a card is drawn from


@dataclass(frozen=True)
class CardFacts:
    """What one element's card shows. Before the reveal only how many have rated: no value is read."""

    card_id: int  # the element's row in the round
    chat_id: int
    message_id: int | None
    framework: Framework
    state: LiveRound  # the session's state, or how this element was left once the session moved past it
    members: int
    anonymous: bool
    rated: int  # how many have rated, while rating
    ratings: list[tuple[str | None, int]]  # (name or None, value), once the views are shared
    stage: str | None  # the furthest stage reached on this element
    answers: dict[Stage, int]  # answers so far per stage, once the stages have begun
    live_now: bool  # the element the session is on: its card has buttons
    look: LastLook | None = None  # an element looked at before: what was agreed on it then
    today: date | None = None  # the team's day, for the actions' dates
    round_id: int = 0
    names_shown: bool = False  # a named round started as "named and shown": names beside the beads


def card_facts(session: Session, card_id: int) -> CardFacts | None:
    row = session.get(RoundElement, card_id)
    if row is None:
        return None
    round_ = session.get(Round, row.round_id)
    team = session.get(Team, round_.team_id)
    state = load_state(session, round_, team)
    if state.element_id != row.element_id or round_.status == "closed":
        # An earlier element's card: keep its last words, drop its buttons.
        state = _settled(session, round_, team, row)
    members = rounds.members_counted(session, team.id)
    rated, ratings = 0, []
    if state.phase is Phase.RATING:
        rated = rounds.count_rated(session, round_.id, row.element_id)
    else:
        ratings = rounds.ratings_of(session, round_.id, row.element_id)
    answers = {}
    if state.phase in (Phase.STAGE, Phase.CLOSED) and row.stage:
        answers = _answers_per_stage(session, round_.id, row.element_id, round_.anonymous)
    look = None
    if row.element_id in state.reviewed:
        look = actions.last_look(session, team.id, row.element_id, before_round_id=round_.id, now=clock.now(),
                                 agreed_only=True)
        if state.phase is Phase.REVIEW:
            answers = _answers_per_stage(session, round_.id, row.element_id, round_.anonymous)
    return CardFacts(
        card_id=row.id,
        chat_id=team.chat_id,
        message_id=row.card_message_id,
        framework=teams.framework_of(team),
        state=state,
        members=members,
        anonymous=round_.anonymous,
        rated=rated,
        ratings=ratings,
        stage=row.stage,
        answers=answers,
        live_now=not state.finished and state.element_id == row.element_id and round_.status != "closed",
        look=look,
        today=actions.today_of(team, clock.now()),
        round_id=round_.id,
        names_shown=round_.names_shown,
    )


def _answers_per_stage(session: Session, round_id: int, element_id: str, anonymous: bool = False) -> dict[Stage, int]:
    rows = session.exec(
        select(Evidence.stage, func.count())
        .where(Evidence.round_id == round_id, Evidence.element_id == element_id)
        .group_by(Evidence.stage)
    )
    counts = {Stage(stage): n for stage, n in rows if stage in set(Stage)}
    actions = session.exec(
        select(func.count()).select_from(Action).where(Action.round_id == round_id, Action.element_id == element_id)
    ).one()
    counts[Stage.ACTION_PLAN] = counts.get(Stage.ACTION_PLAN, 0) + actions
    if anonymous:
        # Answers still sealed count too; only the bot can open them to count.
        for ballot in ballots.waiting(session, rounds.subject(round_id)):
            if ballot.element != element_id or ballot.kind not in ("evidence", "action"):
                continue
            stage = Stage.ACTION_PLAN if ballot.kind == "action" else Stage(ballot.part)
            counts[stage] = max(0, counts.get(stage, 0) + (1 if ballot.op == "add" else -1))
    return counts


CARD_FILL = "card"  # a card queued in the outbox: its message id once sent


def keep_card_message(session: Session, card_id: int, message_id: int) -> None:
    """The message the card was posted as, so later presses edit it in place (a pending id while it
    is still in the outbox: see piebot.storage.outbox)."""
    session.get(RoundElement, card_id).card_message_id = message_id


@outbox.fills(CARD_FILL)
def _fill_card(session: Session, chat_id: int, pending: int, message_id: int, card_id: int | None) -> None:
    session.execute(update(RoundElement).where(RoundElement.id == card_id, RoundElement.card_message_id == pending)
                    .values(card_message_id=message_id).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class CardPlace:
    """A card found in the chat its button was pressed in."""

    card_id: int
    round_id: int
    team: Team


def card_in_chat(session: Session, card_id: int, chat_id: int) -> CardPlace | None:
    row = session.get(RoundElement, card_id)
    if row is None:
        return None
    round_ = session.get(Round, row.round_id)
    team = session.get(Team, round_.team_id)
    return CardPlace(row.id, round_.id, team) if team.chat_id == chat_id else None


def current_card(session: Session, chat_id: int) -> int | None:
    """The card of the element a live round in this chat is on, if it was ever posted."""
    team = teams.team_for_chat(session, chat_id)
    round_ = rounds.open_round_of(session, team.id) if team else None
    if round_ is None or round_.mode != "live":
        return None
    elements = rounds.elements_of(session, round_.id)
    row = elements[min(round_.current_index, len(elements) - 1)]
    return row.id if row.card_message_id is not None else None


def review_card_of_action(session: Session, action_id: int) -> int | None:
    """The card of a live round reviewing this action's element right now, if one is (its buttons
    settle the action, and the card shows the change)."""
    action = session.get(Action, action_id)
    round_ = rounds.open_round_of(session, action.team_id) if action is not None else None
    if round_ is None or round_.mode != "live":
        return None
    elements = rounds.elements_of(session, round_.id)
    row = elements[min(round_.current_index, len(elements) - 1)]
    return row.id if row.phase == "review" and row.element_id == action.element_id else None


@dataclass(frozen=True)
class CardToPost:
    card_id: int
    round_id: int
    element_id: str
    stage: Stage | None  # the stage question to ask with it, when the element is at the stages


def cards_to_post(session: Session) -> list[CardToPost]:
    """The current element of every open live round whose card was never posted (rounds opened
    straight in the database, as the benchmarks do)."""
    found = session.exec(
        select(Round.id, RoundElement.id, RoundElement.element_id, RoundElement.phase, RoundElement.stage)
        .join(RoundElement, RoundElement.round_id == Round.id)
        .where(
            Round.status == "open",
            Round.mode == "live",
            RoundElement.position == Round.current_index,
            RoundElement.card_message_id.is_(None),
        )
    )
    return [
        CardToPost(card_id, round_id, element_id,
                   Stage.REVIEW if phase == "review" else (Stage(stage) if phase == "stages" and stage else None))
        for round_id, card_id, element_id, phase, stage in found
    ]


# ---------------------------------------------------------------- a member places a bead


class PressRefused(Exception):
    """A press piebot could not have offered here (no such card in this chat, an unknown choice).
    Raised before anything is written; the message says why, for the log."""


@dataclass(frozen=True)
class BeadPlaced:
    card_id: int
    anonymous: bool
    taken_back: bool  # the member took their bead back
    place: int | None  # where the bead now is, 1..20
    changed: bool  # an earlier bead of theirs was moved
    framework: Framework


def place_bead(session: Session, card_id: int, chat_id: int, telegram_user_id: int, choice: str) -> BeadPlaced:
    """`choice` is the press's suffix: a place on the grid."""
    return _bead(session, card_id, chat_id, telegram_user_id, choice)


def take_bead_back(session: Session, card_id: int, chat_id: int, telegram_user_id: int) -> BeadPlaced:
    return _bead(session, card_id, chat_id, telegram_user_id, None)


def _bead(session: Session, card_id: int, chat_id: int, telegram_user_id: int, arg: str | None) -> BeadPlaced:
    # One transaction for the checks and the rating: a press is the busiest thing a round does. The
    # card, its round, its team and the member pressing come in one statement.
    found = session.exec(
        select(RoundElement, Round, Team, Member)
        .join(Round, Round.id == RoundElement.round_id)
        .join(Team, Team.id == Round.team_id)
        .outerjoin(Member, (Member.team_id == Team.id) & (Member.telegram_user_id == telegram_user_id))
        .where(RoundElement.id == card_id)
    ).first()
    if found is None or found[2].chat_id != chat_id:
        raise PressRefused("no such card in this chat")
    row, round_now, team, who = found
    framework = teams.framework_of(team)
    choice = read_press(arg, framework.scale) if arg is not None else None
    if arg is not None and not (isinstance(choice, PlaceChosen) and not choice.team):
        raise PressRefused("unknown choice")
    if who is None or not who.active:
        raise NotAllowed(refusals.NOT_JOINED)
    state = load_state(session, round_now, team)
    state.check_can_rate(row.element_id)
    if choice is None:
        rounds.withdraw_rating(session, round_now, who, row.element_id)
        return BeadPlaced(row.id, round_now.anonymous, True, None, False, framework)
    place = choice.index(framework.scale)
    outcome = rounds.record_rating(session, round_now, who, row.element_id, place, element=row)
    return BeadPlaced(row.id, round_now.anonymous, False, place, outcome.changed, framework)


# ---------------------------------------------------------------- the facilitator moves on

TEAM_VIEW = "team"  # the facilitator picked a team view on the grid


@dataclass(frozen=True)
class Moved:
    old_row: int
    new_row: int | None  # a new element's card to post
    stage: Stage | None  # a stage whose question to ask
    element_id: str
    finished: bool


def move(session: Session, round_id: int, action: str, value: int | None, only_row: int | None) -> Moved:
    """One facilitator move (a `Command`, or TEAM_VIEW with the place chosen). `only_row` is the card
    pressed: a press on an older card is refused."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.status == "closed":
        raise NotAllowed(refusals.ROUND_CLOSED)
    if round_.mode != "live":
        raise NotAllowed(texts.LIVE_ONLY)
    team = session.get(Team, round_.team_id)
    state = load_state(session, round_, team)
    elements = rounds.elements_of(session, round_.id)
    current = elements[state.element_index]
    if only_row is not None and only_row != current.id:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    before = (state.element_index, state.phase, state.stage_index)
    if action == Command.REVEAL:
        state.reveal(rounds.count_rated(session, round_.id, current.element_id), rounds.members_counted(session, team.id))
    elif action == Command.ACCEPT:
        middle = shared_middle([v for _, v in rounds.ratings_of(session, round_.id, current.element_id)])
        if middle is None:
            raise NotAllowed(texts.NO_PRIVATE_MIDDLE)
        state.set_team_view(middle)
    elif action == TEAM_VIEW:
        state.set_team_view(value)
    elif action in (Command.CHOOSE, Command.TEAM_BACK):
        if state.paused:
            raise NotAllowed(refusals.SESSION_PAUSED)
        if action == Command.CHOOSE and state.phase not in (Phase.REVEALED, Phase.TEAM_VIEW_SET):
            raise NotAllowed(texts.SHARE_FIRST)
    elif action == Command.NEXT:
        state.next()
    elif action == Command.PREVIOUS:
        state.back()
    elif action == Command.SKIP:
        state.skip()
    elif action == Command.PAUSE:
        state.pause()
    elif action == Command.RESUME:
        state.resume()
    elif action == Command.CLOSE:
        state.close()
    else:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    save_state(session, round_, state)
    session.flush()
    moved_on = state.phase is not Phase.RATING or state.element_index != before[0]
    if round_.anonymous and before[1] is Phase.RATING and moved_on:
        # The views are about to be shown (or the element is past): every sealed bead goes in first,
        # in a transaction of its own, once three people or more have rated.
        ballots.open_after_commit(session, rounds.subject(round_.id), groups=[(current.element_id, "rating")])
    new_row = None
    if state.element_index != before[0] and not state.finished:
        new_row = elements[state.element_index].id
    stage = None
    if state.phase is Phase.STAGE and (state.phase, state.stage_index) != before[1:]:
        stage = state.stage

    return Moved(current.id, new_row, stage, state.element_id, state.finished)


# ---------------------------------------------------------------- /status


@dataclass(frozen=True)
class Standing:
    """Where the chat's open round stands: a live round's state, or how many have finished one in
    their own time."""

    team: Team
    round_: Round
    framework: Framework
    members: int
    state: LiveRound | None = None  # live rounds
    rated: int = 0  # live rounds: on the current element
    finished: int = 0  # rounds in people's own time


def standing(session: Session, chat_id: int) -> Standing | None:
    team = teams.team_for_chat(session, chat_id)
    round_ = rounds.open_round_of(session, team.id) if team else None
    if round_ is None:
        return None
    framework = teams.framework_of(team)
    members = rounds.members_counted(session, team.id)
    if round_.mode == "live":
        state = load_state(session, round_, team)
        rated = rounds.count_rated(session, round_.id, state.element_id)
        return Standing(team, round_, framework, members, state=state, rated=rated)
    finished = session.exec(
        select(func.count())
        .select_from(Participation)
        .where(Participation.subject == rounds.subject(round_.id), Participation.part == "finished")
    ).one()
    return Standing(team, round_, framework, members, finished=finished)
