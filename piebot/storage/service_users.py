"""Service users' rounds: a scribe enters the views of the people a team serves, one person after another.

No names and no members are stored: each view is a Rating with no member, stamped with the round's
opening time, and their words are Evidence with no member, kept private to the team. Both go through
the ballot box like any anonymous answer (the scribe's transaction names the scribe), each person of
the round counting as one. Their views are shown beside the staff view only while the team has marked
that it has their permission, and never when fewer than three people gave one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from conversations.texts import service_users as texts
from piebot.storage import ballots, rounds, teams
from piebot.storage.models import Dialog, Evidence, Member, Rating, Round, RoundElement, Team

AUDIENCE = "service_users"
VARIANT = "pies2-street"
# The scribe's place in a round ({"round", "person", "step"}), kept in their Dialog row under this key.
DIALOG_KEY = "sv"


class ServiceUsersRefused(Exception):
    """A kind, plain reason why this can't be done now; shown to the person as it is."""


def open_rounds(session: Session, team_id: int) -> list[Round]:
    return list(
        session.exec(
            select(Round).where(Round.team_id == team_id, Round.audience == AUDIENCE, Round.status.in_(rounds.OPEN))
        )
    )


def start(session: Session, team_id: int, element_id: str, opened_by: int | None) -> Round:
    """A new round on one element. An earlier one left open is closed first, keeping what it holds."""
    for earlier in open_rounds(session, team_id):
        rounds.close_round(session, earlier)
    return rounds.open_round(
        session,
        team_id=team_id,
        element_ids=[element_id],
        scope="element",
        scope_ref=element_id,
        mode="async",
        anonymous=True,
        framework_variant=VARIANT,
        opened_by=opened_by,
        audience=AUDIENCE,
    )


def _open_round(session: Session, round_id: int) -> Round:
    round_ = session.get(Round, round_id)
    if round_ is None or round_.audience != AUDIENCE:
        raise ServiceUsersRefused(texts.ROUND_GONE)
    if round_.status == "closed":
        raise ServiceUsersRefused(texts.ROUND_FINISHED)
    return round_


def _who(round_id: int, person: int) -> str:
    return f"service-user:{round_id}:{person}"


def add_view(session: Session, round_id: int, value: int, person: int = 1) -> None:
    """One person's view (the round's `person`th): sealed, to go in with two other people's or more."""
    if not 1 <= value <= 20:
        raise ServiceUsersRefused(texts.NOT_A_PLACE)
    round_ = _open_round(session, round_id)
    element_id = round_.element_ids[0]
    row = Rating(team_id=round_.team_id, round_id=round_.id, element_id=element_id, member_id=None, value=value)
    ballots.seal(session, scope=rounds.subject(round_.id), team_id=round_.team_id, kind="rating", op="put",
                 element=element_id, part="rating", who=_who(round_.id, person), row=row)


def add_words(session: Session, round_id: int, text: str, person: int = 1) -> None:
    round_ = _open_round(session, round_id)
    row = Evidence(team_id=round_.team_id, round_id=round_.id, element_id=round_.element_ids[0], stage="evidence",
                   member_id=None, text=text, private=True)
    ballots.seal(session, scope=rounds.subject(round_.id), team_id=round_.team_id, kind="evidence", op="add",
                 element=round_.element_ids[0], part="rating", who=_who(round_.id, person), row=row)


def people(session: Session, round_id: int) -> int:
    """How many people gave a view: those in the answers and those still sealed."""
    stored = session.exec(select(func.count()).select_from(Rating).where(Rating.round_id == round_id)).one()
    waiting = {b.person for b in ballots.waiting(session, rounds.subject(round_id)) if b.kind == "rating"}
    return stored + len(waiting)


@dataclass(frozen=True)
class Finished:
    team_id: int
    chat_id: int
    element_id: str
    people: int
    middle: float | None
    permission: bool
    staff_view: int | None  # the team's latest agreed staff view of the element, if any


def finish(session: Session, round_id: int) -> None:
    """Close the round; its sealed views go in once this commits (three people or more)."""
    rounds.close_round(session, _open_round(session, round_id))


def finished(session: Session, round_id: int) -> Finished:
    """What the round came to, read after its close. No middle from fewer than three views."""
    round_ = session.get(Round, round_id)
    element_id = round_.element_ids[0]
    values = list(session.exec(select(Rating.value).where(Rating.round_id == round_id)))
    team = session.get(Team, round_.team_id)
    staff = latest_staff_views(session, team.id).get(element_id)
    middle = statistics.median(values) if len(values) >= ballots.ENOUGH else None
    return Finished(team.id, team.chat_id, element_id, people(session, round_id), middle,
                    team.service_user_permission, staff)


def toggle_permission(session: Session, team_id: int) -> bool:
    team = session.get(Team, team_id)
    team.service_user_permission = not team.service_user_permission
    return team.service_user_permission


def latest_staff_views(session: Session, team_id: int) -> dict[str, int]:
    """element id -> the team's latest agreed view from a closed staff round."""
    rows = session.exec(
        select(RoundElement.element_id, RoundElement.team_view)
        .join(Round, Round.id == RoundElement.round_id)
        .where(Round.team_id == team_id, Round.audience == "staff", Round.status == "closed",
               RoundElement.team_view.is_not(None))
        .order_by(Round.closed_at, Round.id)
    )
    return {element_id: view for element_id, view in rows}


def latest_views(session: Session, team_id: int) -> dict[str, list[int]]:
    """element id -> the people's views in the team's latest finished service users' round of it."""
    rows = session.exec(
        select(Round.id, Round.element_ids)
        .where(Round.team_id == team_id, Round.audience == AUDIENCE, Round.status == "closed")
        .order_by(Round.closed_at, Round.id)
    )
    latest: dict[str, int] = {}
    for round_id, element_ids in rows:
        for element_id in element_ids:
            latest[element_id] = round_id
    if not latest:
        return {}
    found: dict[str, list[int]] = {element_id: [] for element_id in latest}
    for round_id, element_id, value in session.exec(
        select(Rating.round_id, Rating.element_id, Rating.value).where(Rating.round_id.in_(set(latest.values())))
    ):
        if latest.get(element_id) == round_id:
            found[element_id].append(value)
    return {k: v for k, v in found.items() if v}


# --- the scribe, one transaction per step ------------------------------------------------------------


def team_and_member(session: Session, team_id: int, user_id: int) -> tuple[Team | None, Member | None]:
    return session.get(Team, team_id), teams.member_of(session, team_id, user_id)


def scribe_arrives(session: Session, team_id: int, user_id: int, name: str) -> tuple[Team | None, Member | None]:
    """The scribe opened the private chat from the group's link: they join the team if they had not."""
    team = session.get(Team, team_id)
    if team is None:
        return None, None
    member, _ = teams.join(session, team, user_id, name)
    member.private_chat = True
    return team, member


def _dialog(session: Session, chat_id: int, user_id: int) -> Dialog | None:
    return session.exec(select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)).first()


def place_of(session: Session, chat_id: int, user_id: int) -> dict:
    """Where the scribe is in a round; empty if nowhere."""
    dialog = _dialog(session, chat_id, user_id)
    return dict((dialog.state or {}).get(DIALOG_KEY) or {}) if dialog else {}


def remember_place(session: Session, chat_id: int, user_id: int, place: dict | None) -> None:
    """Keep the scribe's place (None forgets it). Other features keep their own keys in the same row."""
    dialog = _dialog(session, chat_id, user_id)
    if dialog is None:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    state = {k: v for k, v in (dialog.state or {}).items() if k != DIALOG_KEY}
    if place:
        state[DIALOG_KEY] = place
    dialog.state = state


def begin(session: Session, team_id: int, element_id: str, member_id: int, chat_id: int, user_id: int) -> int:
    """A new round on the element, the scribe placed at its first person; the round's id."""
    round_ = start(session, team_id, element_id, member_id)
    remember_place(session, chat_id, user_id, {"round": round_.id, "person": 1, "step": "rate"})
    return round_.id


def record_view(session: Session, round_id: int, value: int, chat_id: int, user_id: int, place: dict) -> None:
    """One person's view; the scribe moves on to their words."""
    add_view(session, round_id, value, int(place.get("person", 1)))
    remember_place(session, chat_id, user_id, {**place, "step": "words"})


def finish_round(session: Session, round_id: int, chat_id: int, user_id: int) -> None:
    """Close the round and forget the scribe's place in it; `finished` reads what it came to."""
    finish(session, round_id)
    remember_place(session, chat_id, user_id, None)


def element_of(session: Session, round_id: int) -> str:
    """The one element a service users' round is about."""
    return session.get(Round, round_id).element_ids[0]


def views_beside_staff(session: Session, team_id: int) -> tuple[dict[str, list[int]], dict[str, int]]:
    """(the people's latest views, the team's latest agreed staff views), element by element."""
    return latest_views(session, team_id), latest_staff_views(session, team_id)
