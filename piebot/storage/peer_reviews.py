"""Peer review codes and comments: a code for the team's last closed round, redeemed once by a colleague
from another team, who reads the round without anyone's name and replies with comments.

Only a keyed hash of the code is stored (the caller hashes it), and a code works once: whoever holds the
database cannot turn a row back into a working code, and a forwarded code is useless after its first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlmodel import Session, select

from conversations.actions import Action as ActionLine
from conversations.pizazz import Scope, ScopeKind
from conversations.texts import peer_review as texts
from conversations.texts.walk import round_title
from framework import Framework, shared_framework
from piebot.storage import receipts, rounds, teams
from piebot.storage.models import Member, PeerReview, Prompt, Round, RoundElement, Team

CODE_DAYS = 14
PURPOSE = "peer_review"  # the Prompt the reviewer replies to with comments


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def last_closed_round(session: Session, team_id: int) -> Round | None:
    """The team's latest closed staff round: the one a code is made for."""
    return session.exec(
        select(Round)
        .where(Round.team_id == team_id, Round.status == "closed", Round.audience == "staff")
        .order_by(Round.closed_at.desc(), Round.id.desc())
    ).first()


def team_round_and_member(session: Session, chat_id: int,
                          user_id: int | None) -> tuple[Team | None, Round | None, Member | None]:
    """The chat's team if it is set up, its round to review, and the person asking as a member."""
    team = teams.team_for_chat(session, chat_id)
    if team is None or not team.set_up:
        return None, None, None
    member = teams.member_of(session, team.id, user_id) if user_id is not None else None
    return team, last_closed_round(session, team.id), member


def record_code(session: Session, team_id: int, hashed: str, now: datetime) -> date | None:
    """Keep a new code's hash for the team's last closed round; the day it expires in the team's time
    zone, or None if no round has closed."""
    team = session.get(Team, team_id)
    round_ = last_closed_round(session, team_id)
    if round_ is None:
        return None
    session.add(PeerReview(round_id=round_.id, code_hash=hashed, created_at=now))
    # A peer review was asked: the round's results are leaving the team, its evidence stays as it is.
    receipts.left_the_team(session, [round_.id], now)
    return (now + timedelta(days=CODE_DAYS)).astimezone(ZoneInfo(team.timezone)).date()


def open_private_chat(session: Session, team_id: int, user_id: int) -> tuple[Team | None, Member | None]:
    """The team and the person as its member, noting that they have opened a private chat with the bot."""
    team = session.get(Team, team_id)
    member = teams.member_of(session, team.id, user_id) if team else None
    if member is not None:
        member.private_chat = True
    return team, member


# --- redeeming a code ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    team_id: int
    round_id: int
    framework: Framework
    pack: texts.ReviewPack  # the round as the reviewer reads it: no names


INVALID = "invalid"
OWN_TEAM = "own_team"


def _views_shared(round_: Round, row: RoundElement) -> bool:
    # In a live round an element skipped before the reveal never had its views shown to the team
    # itself; a reviewer must not see more than the team did.
    return round_.mode != "live" or row.team_view is not None or row.stage is not None


def _pack(session: Session, round_: Round, team: Team) -> tuple[Framework, texts.ReviewPack]:
    framework = shared_framework(round_.framework_variant, team.customisation or None)
    elements = []
    for row in rounds.elements_of(session, round_.id):
        values = [v for _, v in rounds.ratings_of(session, round_.id, row.element_id)] if _views_shared(round_, row) else []
        answers = [
            texts.Answer(e.text or texts.file_answer(e.kind), e.private)
            for e in rounds.evidence_of(session, round_.id, row.element_id)
            if e.stage != "review"
        ]
        elements.append(texts.ReviewElement(row.element_id, row.team_view, tuple(values), tuple(answers)))
    actions = [
        ActionLine(what=a.text, due=a.due, check=a.success_measure, element_id=a.element_id)
        for a in rounds.actions_of_round(session, round_.id)
    ]
    try:
        kind = ScopeKind(round_.scope)
    except ValueError:
        kind = ScopeKind.ALL
    pack = texts.ReviewPack(
        team_name=team.name,
        round_title=round_title(framework, Scope(kind, round_.scope_ref)),
        elements=elements,
        actions=actions,
        share_private_evidence=team.share_private_evidence_with_peer,
    )
    return framework, pack


def redeem(session: Session, hashed: str, user_id: int, now: datetime) -> Redeemed | str:
    """Spend the code for this reviewer and read its round; INVALID or OWN_TEAM if it can't be used."""
    review = session.exec(select(PeerReview).where(PeerReview.code_hash == hashed)).first()
    if review is None or review.redeemed_at is not None:
        return INVALID
    if _aware(review.created_at) + timedelta(days=CODE_DAYS) < now:
        return INVALID
    round_ = session.get(Round, review.round_id)
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, user_id)
    if member is not None and member.active:
        return OWN_TEAM
    # Conditional, so two people racing with the same code can't both get in.
    taken = session.execute(
        update(PeerReview)
        .where(PeerReview.id == review.id, PeerReview.redeemed_at.is_(None))
        .values(redeemed_at=now, reviewer_user_id=user_id)
    )
    if taken.rowcount != 1:
        return INVALID
    framework, pack = _pack(session, round_, team)
    return Redeemed(team.id, round_.id, framework, pack)


# --- the reviewer's comments ------------------------------------------------------------------------


def keep_prompt(session: Session, chat_id: int, message_id: int, team_id: int, round_id: int) -> None:
    """Remember the message the reviewer replies to with comments."""
    session.add(Prompt(chat_id=chat_id, message_id=message_id, team_id=team_id, purpose=PURPOSE, round_id=round_id))


def prompt_replied_to(session: Session, chat_id: int, message_id: int) -> Prompt | None:
    return session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id, Prompt.purpose == PURPOSE)
    ).first()


COMMENT_CHARS = 3000


def add_comments(session: Session, round_id: int, team_id: int, reviewer_user_id: int, text: str,
                 prompt: tuple[int, int] | None = None, now: datetime | None = None) -> int | None:
    """Add the comments to the reviewer's review of the round; the team's group chat id, or None if this
    person holds no review of it, or it is past its days. One reply closes the review: its prompt goes,
    so a used code is no way into the team's group for good."""
    if prompt is not None:
        session.execute(delete(Prompt).where(Prompt.chat_id == prompt[0], Prompt.message_id == prompt[1],
                                             Prompt.purpose == PURPOSE))
    review = session.exec(
        select(PeerReview)
        .where(PeerReview.round_id == round_id, PeerReview.reviewer_user_id == reviewer_user_id)
        .order_by(PeerReview.id.desc())
    ).first()
    if review is None or review.comments:
        return None
    if now is not None and review.redeemed_at is not None and _aware(review.redeemed_at) + timedelta(days=CODE_DAYS) < now:
        return None
    review.comments = text[:COMMENT_CHARS]
    return session.get(Team, team_id).chat_id
