"""Sealed ballots: how an anonymous answer waits, unreadable, between the person's press and its batch.

A person's transaction (the one that records their update id and that they answered) writes only a
`SealedBallot`: the team, the scope (the round or check-in) and an AES-GCM ciphertext under a key derived
with HKDF from the signing secret. Inside: what kind of answer it is, the operation, the answer row's
column values (any column, so a new one needs no change here), an *owner key* (a keyed hash of scope,
element, part and person) by which the bot finds that person's own answer again, and a *person key* by
which the batcher counts distinct people. Nothing in clear names the person or the answer; plaintexts are
padded to a few sizes, so even the length of a written answer is hidden.

piebot.storage.ballot_box opens the box in a transaction of its own. See docs/anonymity.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Date, DateTime
from sqlmodel import Session, SQLModel, select

from piebot.storage.models import Action, Evidence, Rating, SealedBallot

# Where the keys travel: Database.session() puts them in each session's info.
KEYS = "ballot_keys"
# Scopes whose box may have a batch to make once this transaction commits: {scope: final}.
DUE = "ballot_boxes_due"

KINDS: dict[str, type[SQLModel]] = {"rating": Rating, "evidence": Evidence, "action": Action}
SUPPORT = "support"  # an "I'd like some support" press: no row, a count
# Columns the box sets itself: a random key, the owner key, and times no finer than the scope's opening.
_SET_BY_THE_BOX = {"id", "owner_key", "created_at", "updated_at"}
_SIZES = (256, 1024, 4096, 16384)
# The fewest people whose answers to one question may enter together: fewer, and whoever holds a copy of
# the database could tell whose is whose better than by chance among three.
ENOUGH = 3
# People kept waiting after a batch made while the scope is open, so that its last batch, at the close,
# has three people in it too.
HOLD_BACK = 3
_RANDOM = random.SystemRandom()


class NoSecret(RuntimeError):
    """Sealing needs the signing secret; the composition root gives it to the database."""


class BallotKeys:
    """The two keys derived from the signing secret: one seals, one makes owner and person keys."""

    def __init__(self, secret: bytes) -> None:
        material = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=b"piebot sealed ballots v1").derive(secret)
        self._aead = AESGCM(material[:32])
        self._mac = material[32:]

    def _hash(self, *parts: str) -> str:
        return hmac.new(self._mac, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:40]

    def owner(self, scope: str, element: str, part: str, who: str) -> str:
        """Finds one person's answer to one question of one scope, and nothing of theirs elsewhere."""
        return self._hash("owner", scope, element, part, who)

    def person(self, scope: str, who: str) -> str:
        return self._hash("person", scope, who)

    def seal(self, scope: str, payload: dict[str, Any]) -> bytes:
        plain = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        size = next((s for s in _SIZES if s >= len(plain)), -(-len(plain) // _SIZES[-1]) * _SIZES[-1])
        plain += b" " * (size - len(plain))
        nonce = os.urandom(12)
        # The scope is bound in, so a ballot copied into another round or check-in does not open.
        return nonce + self._aead.encrypt(nonce, plain, scope.encode())

    def open(self, scope: str, sealed: bytes) -> dict[str, Any] | None:
        """The payload, or None for a ballot sealed under another secret (or tampered with)."""
        try:
            return json.loads(self._aead.decrypt(sealed[:12], sealed[12:], scope.encode()))
        except (InvalidTag, ValueError):
            return None


def keys_of(session: Session) -> BallotKeys:
    keys = session.info.get(KEYS)
    if keys is None:
        raise NoSecret("anonymous answers need the signing secret (Database.use_secret)")
    return keys


def member(member_id: int) -> str:
    """Who a member is to the keys (never stored)."""
    return f"member:{member_id}"


def round_scope(round_id: int) -> str:
    return f"round:{round_id}"


def checkin_scope(checkin_id: int) -> str:
    return f"checkin:{checkin_id}"


def support_scope(team_id: int) -> str:
    return f"support:{team_id}"


@dataclass
class Ballot:
    """A ballot opened by the batcher (or by the bot, finding a person's own answers)."""

    key: str
    scope: str
    kind: str
    op: str  # put | withdraw (ratings); add | remove (written answers, actions); add (support)
    element: str
    part: str
    owner: str
    person: str
    at: int  # orders one person's ballots; inside the seal only
    row: dict[str, Any] = field(default_factory=dict)
    target: str | None = None  # for "remove": the token (answer_token) of the stored answer
    unnamed: bool = False  # sealed in a transaction that named nobody (see seal)

    @property
    def group(self) -> tuple[str, str]:
        return self.element, self.part


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def row_values(row: SQLModel) -> dict[str, Any]:
    """Every column of an unsaved answer row, as JSON, but those the box sets itself."""
    return {c.name: _plain(getattr(row, c.name)) for c in row.__table__.columns if c.name not in _SET_BY_THE_BOX}


def row_from(kind: str, values: dict[str, Any]) -> SQLModel:
    """The row a ballot holds; columns it has no more are dropped, new ones take their defaults."""
    model = KINDS[kind]
    columns = {c.name: c for c in model.__table__.columns}
    kept = {}
    for name, value in values.items():
        column = columns.get(name)
        if column is None or name in _SET_BY_THE_BOX:
            continue
        if isinstance(value, str) and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        kept[name] = value
    return model(**kept)


def seal(
    session: Session, *, scope: str, team_id: int, kind: str, op: str, element: str, part: str, who: str,
    row: SQLModel | None = None, target: str | None = None, unnamed: bool = False,
) -> None:
    """Put one anonymous answer (or its change) in the box, in the caller's transaction. `unnamed`: the
    caller's transaction writes nothing else that names anyone (an action proposed in a live round), so
    there is nothing to link the ballot to and it may go in at the close however few gave one."""
    keys = keys_of(session)
    payload = {
        "kind": kind, "op": op, "element": element, "part": part,
        "owner": keys.owner(scope, element, part, who), "person": keys.person(scope, who),
        "at": time.time_ns(), "row": row_values(row) if row is not None else {}, "target": target,
        "unnamed": unnamed,
    }
    session.add(SealedBallot(key=secrets.token_hex(12), team_id=team_id, scope=scope,
                             sealed=keys.seal(scope, payload)))
    session.flush()
    if choose(waiting(session, scope), closes=not scope.startswith("support:")):
        session.info.setdefault(DUE, {}).setdefault(scope, False)


def open_after_commit(session: Session, scope: str, *, final: bool = False,
                      groups: list[tuple[str, str]] | None = None) -> None:
    """Ask for the scope's box to be opened once this transaction has committed, in one of its own:
    `final` when the scope closed, `groups` (element, part) when their views are about to be shown."""
    due = session.info.setdefault(DUE, {})
    if final:
        due[scope] = True
    elif groups:
        current = due.get(scope)
        if current is not True:
            due[scope] = sorted(set(current or []) | set(groups)) if isinstance(current, list) else list(groups)
    else:
        due.setdefault(scope, False)


def waiting(session: Session, scope: str) -> list[Ballot]:
    """The ballots waiting in one scope, opened; any the secret cannot open are left out."""
    keys = keys_of(session)
    found = []
    for key, sealed in session.exec(select(SealedBallot.key, SealedBallot.sealed).where(SealedBallot.scope == scope)):
        payload = keys.open(scope, bytes(sealed))
        if payload is None:
            continue
        found.append(Ballot(key=key, scope=scope, kind=payload["kind"], op=payload["op"],
                            element=payload["element"], part=payload["part"], owner=payload["owner"],
                            person=payload["person"], at=int(payload["at"]), row=payload.get("row") or {},
                            target=payload.get("target"), unnamed=bool(payload.get("unnamed"))))
    return found


def answer_token(keys: BallotKeys, owner: str, kind: str, text: str, file_id: str | None) -> str:
    """Names one written answer of a person's in a button without its id or words."""
    return keys._hash("answer", owner, kind, text, file_id or "")[:16]


def choose(ballots: list[Ballot], *, final: bool = False, groups: list[tuple[str, str]] | None = None,
           closes: bool = True) -> list[Ballot]:
    """The ballots ready to enter the answers, question by question (element and part).

    A question's ballots go in when at least ENOUGH people are waiting on it: at the close (`final`) or
    when its views are about to be shown (`groups`), all of them; while the scope is open, all but
    HOLD_BACK people chosen at random, once there are ENOUGH + HOLD_BACK. A scope that never closes (the
    support button's) lets them all go at ENOUGH. Fewer than ENOUGH people stay sealed, even at the close.
    """
    by_group: dict[tuple[str, str], dict[str, list[Ballot]]] = defaultdict(lambda: defaultdict(list))
    for ballot in ballots:
        by_group[ballot.group][ballot.person].append(ballot)
    chosen: list[Ballot] = []
    for group, people in by_group.items():
        if final and all(b.unnamed for person in people.values() for b in person):
            chosen.extend(b for person in people.values() for b in person)
            continue
        if len(people) < ENOUGH:
            continue
        if final or not closes or (groups is not None and group in {tuple(g) for g in groups}):
            taken = list(people)
        elif len(people) >= ENOUGH + HOLD_BACK:
            taken = _RANDOM.sample(sorted(people), len(people) - HOLD_BACK)
        else:
            continue
        for person in taken:
            chosen.extend(people[person])
    return chosen
