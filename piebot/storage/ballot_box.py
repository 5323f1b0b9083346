"""The ballot box: opening the sealed ballots of one scope into the answers everything reads, in a
transaction that holds nothing of the people who answered.

A batch takes the ballots that are ready (piebot.storage.ballots.choose: at least three people per
question), keeps one person's latest change, applies them in shuffled order under random negative keys
(named rows count up from 1, so the two never meet) with the scope's opening time as their only time,
and deletes the ballots it applied, all in one transaction. At the close (`final`) it also settles the
scope: its anonymous rows are written afresh in shuffled order under new keys, with no owner key left,
so that after the close neither the key order, nor where the rows lie, nor anything else tells one
batch from another (an item's mark "about relationships", kept apart, follows it to its new key). The
bot, too, can no longer find anyone's answer then.

Also here: a person's own answers while they can still be found (to change, list, export or erase
them), and the scopes to settle or purge.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, func, text, update
from sqlmodel import Session, SQLModel, select

from piebot.storage import ballots
from piebot.storage.ballots import Ballot
from piebot.storage.models import Action, CheckIn, Evidence, Rating, RelationshipMark, Round, SealedBallot, Team

_RANDOM = random.SystemRandom()
_LOCK_SPACE = 0x62616C6C  # "ball": two-key advisory locks, apart from chats' (one key) and migrations'
_LOWEST = -(2**31)  # ids stay within PostgreSQL's 32-bit SERIAL columns


class BoxRaced(Exception):
    """Another batch took some of these ballots first (SQLite); the batch is tried again."""


def _lock(session: Session, scope: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(scope.encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _LOCK_SPACE, "b": key})


def scope_row(session: Session, scope: str) -> Round | CheckIn | None:
    kind, _, ref = scope.partition(":")
    if kind == "round":
        return session.get(Round, int(ref))
    if kind == "checkin":
        return session.get(CheckIn, int(ref))
    return None


def _columns(model: type[SQLModel], scope: str):
    kind, _, ref = scope.partition(":")
    return (model.round_id if kind == "round" else model.checkin_id) == int(ref)


def free_ids(session: Session, model: type[SQLModel], count: int) -> list[int]:
    """`count` random negative ids no row of the table has."""
    chosen: set[int] = set()
    while len(chosen) < count:
        wanted = {_RANDOM.randint(_LOWEST, -1) for _ in range(count - len(chosen))} - chosen
        taken = set(session.exec(select(model.id).where(model.id.in_(wanted))))
        chosen |= wanted - taken
    ids = list(chosen)
    _RANDOM.shuffle(ids)
    return ids


LANDED = "ballots_landed"


def open_box(session: Session, scope: str, *, final: bool = False,
             groups: list[tuple[str, str]] | None = None) -> int:
    """Apply the scope's ready ballots; settle it too when `final`. Returns how many were applied."""
    # Marked, so a group commit (piebot.storage.together) never lets a box share other people's transaction.
    session.info[LANDED] = True
    _lock(session, scope)
    waiting = ballots.waiting(session, scope)
    chosen = ballots.choose(waiting, final=final, groups=groups, closes=not scope.startswith("support:"))
    if chosen:
        keys = [b.key for b in chosen]
        gone = session.execute(delete(SealedBallot).where(SealedBallot.key.in_(keys))).rowcount
        if gone != len(keys):
            raise BoxRaced(scope)
        _apply(session, scope, chosen)
    if final:
        settle(session, scope, changed=bool(chosen))
    session.flush()
    return len(chosen)


def going_in_at_close(session: Session, scope: str, kind: str) -> list[dict]:
    """Rows of `kind` that the close will let in (their column values), read without opening the box:
    for what is written in the closing transaction itself (a round's summary), which the box must not
    share. Only what `choose` lets in at the close: nothing from fewer than three people, unless unnamed."""
    if ballots.KEYS not in session.info:
        return []
    chosen = ballots.choose(ballots.waiting(session, scope), final=True)
    return [b.row for b in _latest_per_owner(session, chosen) if b.kind == kind and b.op in ("add", "put")]


def _latest_per_owner(session: Session, chosen: list[Ballot]) -> list[Ballot]:
    """A person's last word on a rating is the one that counts; written answers all count, less any
    taken back before they went in; one support press per person."""
    latest: dict[str, Ballot] = {}
    kept: list[Ballot] = []
    for ballot in sorted(chosen, key=lambda b: b.at):
        if ballot.kind == "rating":
            latest[ballot.owner] = ballot
        elif ballot.kind == ballots.SUPPORT:
            latest.setdefault(ballot.person, ballot)
        elif ballot.op == "remove" and (taken := next(
                (b for b in kept if b.op == "add" and pending_token(session, b) == ballot.target), None)):
            kept.remove(taken)
        else:
            kept.append(ballot)
    return kept + list(latest.values())


def pending_token(session: Session, ballot: Ballot) -> str:
    row = ballot.row
    return ballots.answer_token(ballots.keys_of(session), ballot.owner, row.get("kind") or "text",
                                row.get("text") or "", row.get("file_id"))


def _apply(session: Session, scope: str, chosen: list[Ballot]) -> None:
    found = scope_row(session, scope)
    stamp = found.opened_at if found is not None else None
    operations = _latest_per_owner(session, chosen)
    _RANDOM.shuffle(operations)
    new_rows: dict[type[SQLModel], list[tuple[Ballot, SQLModel]]] = defaultdict(list)
    support = 0
    for ballot in operations:
        if ballot.kind == ballots.SUPPORT:
            support += 1
            continue
        model = ballots.KINDS[ballot.kind]
        if ballot.op == "withdraw":
            session.execute(delete(model).where(model.owner_key == ballot.owner))
        elif ballot.op == "remove":
            _remove_one(session, model, ballot)
        elif ballot.op == "put" and (mine := session.exec(select(model).where(model.owner_key == ballot.owner)).first()):
            for name, value in ballots.row_values(ballots.row_from(ballot.kind, ballot.row)).items():
                setattr(mine, name, value)
        else:
            new_rows[model].append((ballot, ballots.row_from(ballot.kind, ballot.row)))
    for model, rows in new_rows.items():
        for (ballot, row), new_id in zip(rows, free_ids(session, model, len(rows)), strict=True):
            row.id, row.owner_key = new_id, ballot.owner
            _stamp(row, stamp)
            session.add(row)
        session.flush()  # in the shuffled order: PostgreSQL lays rows down as they are inserted
    if support:
        team_id = int(scope.partition(":")[2])
        session.execute(update(Team).where(Team.id == team_id).values(support_requests=Team.support_requests + support))


def _stamp(row: SQLModel, stamp: datetime | None) -> None:
    if stamp is None:
        return
    for name in ("created_at", "updated_at"):
        if name in row.__table__.columns:
            setattr(row, name, stamp)


def _remove_one(session: Session, model: type[SQLModel], ballot: Ballot) -> None:
    keys = ballots.keys_of(session)
    for row in session.exec(select(model).where(model.owner_key == ballot.owner)):
        if ballots.answer_token(keys, ballot.owner, row.kind, row.text, row.file_id) == ballot.target:
            session.delete(row)
            return


def settle(session: Session, scope: str, *, changed: bool = True) -> None:
    """At the close: every anonymous answer of the scope written afresh, shuffled, under new keys and
    without owner keys. Actions keep their ids (reminders' buttons name them); their owner keys go."""
    found = scope_row(session, scope)
    if found is None or not found.anonymous:
        return
    for model in (Rating, Evidence):
        where = (_columns(model, scope), model.member_id.is_(None))
        if not changed and session.exec(select(func.count()).select_from(model).where(
                *where, model.owner_key.is_not(None))).one() == 0:
            continue
        rows = list(session.exec(select(model).where(*where)))
        if not rows:
            continue
        # An item marked about relationships keeps its mark (kept apart, it goes with the old row).
        marked = set(session.exec(select(RelationshipMark.evidence_id).where(
            RelationshipMark.evidence_id.in_([row.id for row in rows])))) if model is Evidence else set()
        copies = [(row.id in marked, model(**{c.name: getattr(row, c.name) for c in model.__table__.columns}))
                  for row in rows]
        session.execute(delete(model).where(*where))
        session.flush()
        _RANDOM.shuffle(copies)
        for (_, copy), new_id in zip(copies, free_ids(session, model, len(copies)), strict=True):
            copy.id, copy.owner_key = new_id, None
            session.add(copy)
        session.flush()
        session.add_all(RelationshipMark(evidence_id=copy.id) for was_marked, copy in copies if was_marked)
        session.flush()
    session.execute(update(Action).where(_columns(Action, scope), Action.owner_key.is_not(None)).values(owner_key=None))


# ---------------------------------------------------------------- a person's own answers, while findable


def own_rows(session: Session, model: type[SQLModel], scope: str, element: str, part: str, who: str) -> list:
    owner = ballots.keys_of(session).owner(scope, element, part, who)
    return list(session.exec(select(model).where(model.owner_key == owner)))


def own_waiting(session: Session, scope: str, who: str) -> list[Ballot]:
    person = ballots.keys_of(session).person(scope, who)
    return [b for b in ballots.waiting(session, scope) if b.person == person]


def has_legacy_answer(session: Session, model: type[SQLModel], scope: str, element: str) -> bool:
    """An anonymous answer kept before ballots existed has no owner key: nobody can find it to change it."""
    return session.exec(
        select(model.id).where(_columns(model, scope), model.element_id == element, model.member_id.is_(None),
                               model.owner_key.is_(None))
    ).first() is not None


def forget_in_scope(session: Session, scope: str, who: str, parts: list[tuple[str, str]]) -> int:
    """Erase what the bot can still find of one person's in an open scope: their waiting ballots and
    the answers their owner keys find. Returns how many went."""
    keys = ballots.keys_of(session)
    person = keys.person(scope, who)
    gone = [b.key for b in ballots.waiting(session, scope) if b.person == person]
    if gone:
        session.execute(delete(SealedBallot).where(SealedBallot.key.in_(gone)))
    owners = [keys.owner(scope, element, part, who) for element, part in parts]
    count = len(gone)
    for model in (Rating, Evidence, Action):
        count += session.execute(delete(model).where(model.owner_key.in_(owners))).rowcount
    return count


def scopes_waiting(session: Session) -> list[str]:
    return list(session.exec(select(SealedBallot.scope).distinct()))


def closed_scopes_waiting(session: Session) -> list[str]:
    """Scopes closed with ballots still sealed in them (a close cut short, an answer racing the close)."""
    closed = []
    for scope in scopes_waiting(session):
        found = scope_row(session, scope)
        if found is not None and found.closed_at is not None:
            closed.append(scope)
    return closed
