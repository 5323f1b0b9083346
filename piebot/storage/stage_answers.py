"""The stage questions of a live round and what members answer: the questions asked in the group,
which open question a reply or a private message answers, keeping an answer (evidence, or an action
with its owner), and taking one's own answers back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, select

from conversations.actions import Action as ActionLine
from conversations.errors import NotAllowed
from conversations.texts import assess as texts
from conversations.texts import refusals
from framework import Stage
from piebot.storage import ballot_box, ballots, rounds, teams
from piebot.storage.live import load_state
from piebot.storage.models import Action as ActionRow
from piebot.storage.models import Dialog, Evidence, Member, Prompt, Round, RoundElement, SealedBallot, Team

PURPOSE = "stage"  # the Prompt rows of stage questions

# ---------------------------------------------------------------- the questions asked in the group


@dataclass(frozen=True)
class StageQuestion:
    team: Team
    anonymous: bool
    asked: bool  # already asked in the group: going back to a stage asks nothing new


def stage_question(session: Session, round_id: int, element_id: str, stage: Stage) -> StageQuestion:
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    asked = session.exec(
        select(Prompt.id).where(
            Prompt.round_id == round_id,
            Prompt.element_id == element_id,
            Prompt.stage == str(stage),
            Prompt.chat_id == team.chat_id,
        )
    ).first()
    return StageQuestion(team, round_.anonymous, asked is not None)


def keep_stage_question(
    session: Session, *, team_id: int, chat_id: int, message_id: int, round_id: int, element_id: str, stage: Stage
) -> None:
    """The question's message, so replies to it are known as answers at this stage."""
    session.add(
        Prompt(
            chat_id=chat_id,
            message_id=message_id,
            team_id=team_id,
            purpose=PURPOSE,
            round_id=round_id,
            element_id=element_id,
            stage=str(stage),
        )
    )


def question_replied_to(session: Session, chat_id: int, message_id: int) -> Prompt | None:
    """The stage question a message in the group replies to, if it is one."""
    return session.exec(
        select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == message_id, Prompt.purpose == PURPOSE)
    ).first()


@dataclass(frozen=True)
class OpenStage:
    round_id: int
    element_id: str
    stage: Stage


def open_stage_for(session: Session, telegram_user_id: int, replied_to: int | None) -> OpenStage | None:
    """The live round's stage a private message answers, or None when it is not for the live round.

    Rounds in people's own time own the private chat while they run, so this takes a message only
    when none of the person's teams has one open (a team has at most one open round)."""
    # Another feature waiting for this person here (a prompt they reply to, a dialog in progress)
    # comes first: the live round only takes what nobody else asked for.
    # A reply while a question is still on its way here may be to that question (its id not in yet).
    if replied_to is not None and session.exec(
        select(Prompt.id).where(Prompt.chat_id == telegram_user_id,
                                or_(Prompt.message_id == replied_to, Prompt.message_id < 0))
    ).first():
        return None
    dialog = session.exec(
        select(Dialog).where(Dialog.chat_id == telegram_user_id, Dialog.telegram_user_id == telegram_user_id)
    ).first()
    if dialog is not None and _busy(dict(dialog.state or {})):
        return None
    found = None
    for member, team in teams.memberships(session, telegram_user_id):
        round_ = rounds.open_round_of(session, team.id)
        if round_ is None or not member.active:
            continue
        if round_.mode != "live":
            return None
        state = load_state(session, round_, team)
        if state.stage is not None and found is None:
            found = OpenStage(round_.id, state.element_id, state.stage)
    return found


def _busy(state: dict) -> bool:
    # The walk keeps its history in its dialog; only a walk in progress is waiting for an answer.
    walk = state.pop("walk", None) or {}
    return bool(walk.get("active")) or any(state.values())


# ---------------------------------------------------------------- keeping an answer


@dataclass(frozen=True)
class AnswerTaken:
    card_id: int
    element_name: str
    team_name: str
    anonymous: bool
    owner: Member | None = None  # an action's owner, when the name given was found
    evidence_id: int | None = None  # a named item's id, for its receipt's buttons (never an anonymous one's)
    author_chat: int | None = None  # the author's private chat, when the bot may write there (named rounds)


def take_answer(
    session: Session,
    round_id: int,
    element_id: str,
    stage: Stage,
    telegram_user_id: int,
    *,
    kind: str | None,
    text: str,
    file_id: str | None,
    private: bool,
    action: ActionLine | None = None,
) -> AnswerTaken:
    """Evidence at a stage, or at the action plan the `action` read from the reply."""
    round_ = session.get(Round, round_id)
    team = session.get(Team, round_.team_id)
    member = teams.member_of(session, team.id, telegram_user_id)
    if member is None or not member.active:
        raise NotAllowed(refusals.NOT_JOINED)
    if round_.status == "closed":
        raise NotAllowed(refusals.ROUND_CLOSED)
    load_state(session, round_, team).check_can_answer(element_id, stage)
    row = rounds.round_element(session, round_id, element_id)
    name = teams.framework_of(team).element(element_id).name
    if stage is Stage.ACTION_PLAN:
        owner = _owner(session, team.id, action.owner, member)
        fields = dict(team_id=team.id, text=action.what, round_id=round_.id, element_id=element_id,
                      owner_member_id=owner.id if owner else None, due=action.due, success_measure=action.check)
        if round_.anonymous:
            rounds.add_anonymous_action(session, round_, member, element_id, ActionRow(**fields))
        else:
            rounds.add_action(session, **fields, author_member_id=member.id)
        return AnswerTaken(row.id, name, team.name, round_.anonymous, owner, author_chat=_chat_of(round_, member))
    evidence = rounds.add_evidence(
        session, round_, member, element_id, str(stage), kind=kind, text=text.strip(), file_id=file_id, private=private
    )
    return AnswerTaken(row.id, name, team.name, round_.anonymous,
                       evidence_id=None if round_.anonymous else evidence.id, author_chat=_chat_of(round_, member))


def _chat_of(round_: Round, member: Member) -> int | None:
    # An anonymous answer's receipt never goes to its author's chat: nothing may link the two.
    return member.telegram_user_id if member.private_chat and not round_.anonymous else None


def _owner(session: Session, team_id: int, said: str, author: Member) -> Member | None:
    said = said.strip().lstrip("@").casefold()
    if not said:
        return None
    if said in ("me", "i", "myself"):
        return author
    members = teams.active_members(session, team_id)
    exact = [m for m in members if m.display_name.casefold() == said]
    if exact:
        return exact[0]
    first = [m for m in members if m.display_name.casefold().split(" ")[0] == said.split(" ")[0]]
    return first[0] if len(first) == 1 else None


# ---------------------------------------------------------------- taking back your own answers


@dataclass(frozen=True)
class OwnAnswer:
    """One of a person's answers as the withdraw list offers it: a named row's id, or (anonymous) a token."""

    text: str
    kind: str
    ref: int  # the evidence id; the card's row for an anonymous answer
    token: str = ""  # an anonymous answer's token (piebot.storage.ballots.answer_token)


@dataclass(frozen=True)
class OwnAnswers:
    private_chat: bool  # whether they opened the private chat, where the list is sent
    answers: list[OwnAnswer]


def own_answers(session: Session, chat_id: int, telegram_user_id: int) -> OwnAnswers:
    """A member's answers on the element the chat's live round is on. Refused (NotAllowed) when
    there is no live round or they haven't joined. In an anonymous round the bot finds them by their
    owner keys (in the answers, or still sealed), as only it can while the round is open."""
    team = teams.team_for_chat(session, chat_id)
    round_ = rounds.open_round_of(session, team.id) if team else None
    if round_ is None or round_.mode != "live":
        raise NotAllowed(texts.NO_LIVE_ROUND)
    member = teams.member_of(session, team.id, telegram_user_id)
    if member is None:
        raise NotAllowed(refusals.NOT_JOINED)
    state = load_state(session, round_, team)
    if round_.anonymous:
        card = rounds.round_element(session, round_.id, state.element_id).id
        return OwnAnswers(member.private_chat, _anonymous_answers(session, round_, member, state.element_id, card))
    rows = session.exec(
        select(Evidence)
        .where(Evidence.round_id == round_.id, Evidence.element_id == state.element_id, Evidence.member_id == member.id)
        .order_by(Evidence.id)
    ).all()
    return OwnAnswers(member.private_chat, [OwnAnswer(r.text, r.kind, r.id) for r in rows])


_WRITTEN = [str(s) for s in Stage if s is not Stage.ACTION_PLAN]


def _anonymous_answers(session: Session, round_: Round, member: Member, element_id: str, card: int) -> list[OwnAnswer]:
    scope, who = rounds.subject(round_.id), ballots.member(member.id)
    keys = ballots.keys_of(session)
    found = []
    for stage in _WRITTEN:
        for row in ballot_box.own_rows(session, Evidence, scope, element_id, stage, who):
            found.append(OwnAnswer(row.text, row.kind, card,
                                   ballots.answer_token(keys, row.owner_key, row.kind, row.text, row.file_id)))
    taken_back = {b.target for b in ballot_box.own_waiting(session, scope, who) if b.op == "remove"}
    for ballot in ballot_box.own_waiting(session, scope, who):
        if ballot.kind == "evidence" and ballot.op == "add" and ballot.element == element_id:
            token = ballot_box.pending_token(session, ballot)
            found.append(OwnAnswer(ballot.row.get("text") or "", ballot.row.get("kind") or "text", card, token))
    return [a for a in found if a.token not in taken_back]


def withdraw_answer(session: Session, evidence_id: int, telegram_user_id: int, token: str = "") -> int:
    """Delete one's own answer while its question is open; returns the card to refresh. An anonymous
    answer (`token` given, `evidence_id` its card) is taken back by a sealed ballot of its own."""
    if token:
        return _withdraw_anonymous(session, evidence_id, telegram_user_id, token)
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotAllowed(texts.ALREADY_GONE)
    member = session.get(Member, evidence.member_id) if evidence.member_id else None
    if member is None or member.telegram_user_id != telegram_user_id:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    round_ = session.get(Round, evidence.round_id)
    row = rounds.round_element(session, round_.id, evidence.element_id)
    if round_.status == "closed" or row.phase == "closed":
        raise NotAllowed(refusals.CLOSED)
    session.delete(evidence)
    return row.id


def _withdraw_anonymous(session: Session, card_id: int, telegram_user_id: int, token: str) -> int:
    row = session.get(RoundElement, card_id)
    round_ = session.get(Round, row.round_id) if row is not None else None
    if round_ is None or not round_.anonymous:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    member = teams.member_of(session, round_.team_id, telegram_user_id)
    if member is None:
        raise NotAllowed(refusals.BUTTON_EXPIRED)
    if round_.status == "closed" or row.phase == "closed":
        raise NotAllowed(refusals.CLOSED)
    mine = next((a for a in _anonymous_answers(session, round_, member, row.element_id, card_id) if a.token == token),
                None)
    if mine is None:
        raise NotAllowed(texts.ALREADY_GONE)
    for ballot in ballot_box.own_waiting(session, rounds.subject(round_.id), ballots.member(member.id)):
        if ballot.op == "add" and ballot_box.pending_token(session, ballot) == token:
            # Still sealed: it never went in, so their own ballot simply goes.
            session.delete(session.get(SealedBallot, ballot.key))
            return row.id
    stage = next(s for s in _WRITTEN if any(
        a.token == token for a in _stage_rows(session, round_, member, row.element_id, s)))
    ballots.seal(session, scope=rounds.subject(round_.id), team_id=round_.team_id, kind="evidence", op="remove",
                 element=row.element_id, part=stage, who=ballots.member(member.id), target=token)
    return row.id


def _stage_rows(session: Session, round_: Round, member: Member, element_id: str, stage: str) -> list[OwnAnswer]:
    keys = ballots.keys_of(session)
    return [OwnAnswer(r.text, r.kind, 0, ballots.answer_token(keys, r.owner_key, r.kind, r.text, r.file_id))
            for r in ballot_box.own_rows(session, Evidence, rounds.subject(round_.id), element_id, stage,
                                         ballots.member(member.id))]
