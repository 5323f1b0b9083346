"""The outbox: Bot API calls queued inside the transaction of the effect they report, committed with it
and sent after the commit, so a member always gets the reply to an answer that was stored.

    def work(session):
        ...the effect...
        outbox.queue(session, chat_id, "sendMessage", {"text": "Saved.", "parse_mode": "HTML"})
    await rt.apply(update, work)   # commits both, then sends (piebot.telegram.delivery.outbox)

A transaction that rolls back takes its queued messages with it: they are never sent.

Claims: a row is queued already claimed (until `claimed_until`) by the process that queued it, which
sends it right after the commit. A row whose claim lapsed (its process died before sending, or the
send failed and waits for its retry time) is claimed again by whichever process sweeps first:
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take the same row; SQLite
has one process, and at its start every row left is its to send.

At least once: a row is deleted after Telegram took the message. Should the process die in the moment
between Telegram's answer and that delete (one database round trip), the message goes out again at
the next start: rare, and a duplicate reply is better than a lost one.

Privacy: a row names its chat. A private receipt for an anonymous answer must carry no part of the
answer, and must be queued in the transaction that records *that* someone answered, never in the one
that stores *what* they answered (those are kept apart on purpose). Rows are deleted once sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from piebot.storage.models import OutboxMessage

# How long the queuing process holds a row for its send after the commit. Longer than any wait in the
# rate limiter (a group's minute, a 429's retry_after), so a slow send is not taken over by another
# worker; a crashed process's rows go out after it (or at once, at its next start, on SQLite).
CLAIM_SECONDS = 180.0
# A send that failed for a passing reason is tried again later, up to this many times.
MAX_ATTEMPTS = 8
_QUEUED = "piebot.outbox.queued"


@dataclass
class Queued:
    """A queued call, as the code that queued it sees it; `message_id` is set once it was sent."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any] = field(repr=False)
    message_id: int | None = None
    sent: bool = False


def queue(session: Session, chat_id: int, method: str, payload: dict[str, Any], *,
          now: float | None = None) -> Queued:
    """Queue a Bot API call (``method`` with ``payload`` as its parameters, `chat_id` included or not)
    in this transaction; it is sent after the commit, in the order queued."""
    now = time.time() if now is None else now
    payload = {**payload, "chat_id": chat_id}
    row = OutboxMessage(chat_id=chat_id, method=method, payload=payload, claimed_until=now + CLAIM_SECONDS)
    session.add(row)
    session.flush()
    handle = Queued(row.id, chat_id, method, payload)
    session.info.setdefault(_QUEUED, []).append(handle)
    return handle


def queued_in(session: Session) -> list[Queued]:
    """What this session's transaction queued (read once it has committed)."""
    return list(session.info.pop(_QUEUED, []))


def claim(session: Session, *, now: float | None = None, limit: int = 100, everything: bool = False,
          hold: float = CLAIM_SECONDS) -> list[Queued]:
    """Take rows to send: those unclaimed or whose claim lapsed (or every row, `everything`, for the
    one process of a SQLite database at its start), oldest first."""
    now = time.time() if now is None else now
    query = select(OutboxMessage).order_by(col(OutboxMessage.id)).limit(limit)
    if not everything:
        query = query.where(_claimable(now))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    taken = []
    for row in session.exec(query).all():
        guard = (OutboxMessage.id == row.id) if everything else ((OutboxMessage.id == row.id) & _claimable(now))
        result = session.execute(update(OutboxMessage).where(guard).values(claimed_until=now + hold)
                                 .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            taken.append(Queued(row.id, row.chat_id, row.method, dict(row.payload)))
    return taken


def _claimable(now: float):
    return or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) <= now)


def sent(session: Session, row_id: int) -> None:
    """Telegram took it: the row goes."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id)
                    .execution_options(synchronize_session=False))


def dropped(session: Session, row_id: int) -> None:
    """Telegram refused it for good (a blocked bot, a message it cannot take): the row goes too."""
    sent(session, row_id)


def retry_later(session: Session, row_ids: list[int], *, now: float | None = None, first: float = 5.0,
                longest: float = 300.0) -> list[int]:
    """A passing failure: try again later, waiting longer each time. Returns the rows given up after
    MAX_ATTEMPTS (deleted)."""
    now = time.time() if now is None else now
    given_up = []
    for row_id in row_ids:
        row = session.get(OutboxMessage, row_id)
        if row is None:
            continue
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            given_up.append(row_id)
            session.delete(row)
        else:
            row.claimed_until = now + min(first * 2 ** (row.attempts - 1), longest)
    return given_up


def waiting(session: Session) -> int:
    """How many rows wait to be sent (for tests and the health of the outbox)."""
    return len(session.exec(select(OutboxMessage.id)).all())
