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

A question sent through the outbox is saved before it is sent: the row that waits for replies to it
(a Prompt, a walk's current question, a check-in post) is written in the same transaction, with
`pending_id(queued)` where the message id goes, and the queue call names a `fill`; when the message
is sent, the fill writes the real id in, in the transaction that deletes the outbox row. A reply that
comes in the moment between finds the chat still `waiting` and waits for it (piebot.telegram.replies).

At least once: a row is deleted after Telegram took the message. Should the process die in the moment
between Telegram's answer and that delete (one database round trip), the message goes out again at
the next start: rare, and a duplicate reply is better than a lost one.

Jobs: a row whose method begins "piebot:" is work of piebot's own queued the same way (`queue_job`): a
round's charts after its summary, say, which must follow the closing even across a crash or a stop.

Privacy: a row names its chat. A private receipt for an anonymous answer must carry no part of the
answer, and must be queued in the transaction that records *that* someone answered, never in the one
that stores *what* they answered (those are kept apart on purpose). Rows are deleted once sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from piebot.storage.models import OutboxMessage, Prompt

# How long the queuing process holds a row for its send after the commit. Longer than any wait in the
# rate limiter (a group's minute, a 429's retry_after), so a slow send is not taken over by another
# worker; a crashed process's rows go out after it (or at once, at its next start, on SQLite).
CLAIM_SECONDS = 180.0
# A send that failed for a passing reason is tried again later, up to this many times.
MAX_ATTEMPTS = 8
_QUEUED = "piebot.outbox.queued"
# The payload's own key for the fill (never sent to Telegram: see `params`).
_FILL = "_piebot_fill"


@dataclass
class Queued:
    """A queued call, as the code that queued it sees it; `message_id` is set once it was sent."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any] = field(repr=False)
    message_id: int | None = None
    sent: bool = False
    refused: bool = False  # Telegram refused it for good (the person blocked the bot...): dropped

    @property
    def fill(self) -> str | None:
        """What the sent message's id is written into (see `fills`), if anything."""
        return self.payload.get(_FILL)

    def params(self) -> dict[str, Any]:
        """The parameters to send: the payload without piebot's own keys."""
        return {key: value for key, value in self.payload.items() if key != _FILL}


def pending_id(queued: Queued) -> int:
    """What stands for the message id until the message is sent: negative, so it is never a real one
    (Telegram's ids are positive) and never the same for two queued messages."""
    return -queued.id


def is_pending(message_id: int | None) -> bool:
    return message_id is not None and message_id < 0


# name -> fn(session, chat_id, pending id, message id, ref): writes a sent message's id where it waits.
Fill = Callable[[Session, int, int, int, int | None], None]
_FILLS: dict[str, Fill] = {}
# name -> fn(session, chat_id, pending id): the row that waited for a message that will never be sent
# (Telegram refused it, or every try failed) goes, as nobody can reply to that message.
Unsent = Callable[[Session, int, int], None]
_UNSENT: dict[str, Unsent] = {}


def fills(name: str, *, unsent: Unsent | None = None) -> Callable[[Fill], Fill]:
    """Register a fill (the storage module that keeps the pending id registers it at import), and what
    to forget should the message never be sent."""

    def register(fill: Fill) -> Fill:
        _FILLS[name] = fill
        if unsent is not None:
            _UNSENT[name] = unsent
        return fill

    return register


def fill_of(name: str, ref: int | None = None) -> str:
    """A fill named with the row it writes into, when that row is known (so it is found by its key)."""
    return name if ref is None else f"{name}:{ref}"


def _run_fill(session: Session, fill: str, chat_id: int, pending: int, message_id: int) -> None:
    name, _, ref = fill.partition(":")
    found = _FILLS.get(name)
    if found is not None:  # a module that registers it is always imported where it was queued
        found(session, chat_id, pending, message_id, int(ref) if ref else None)


def sent_into(state: dict, pending: int, message_id: int, keys: tuple[str, ...] = ("card", "prompt")) -> dict | None:
    """A wizard's stored state with the sent message's id where it held `pending` (under `keys`), or None
    when it holds it nowhere: for the fills of wizards that keep their card and question in a dialog."""
    sent = {key: message_id for key in keys if state.get(key) == pending}
    return {**state, **sent} if sent else None


PROMPT_FILL = "prompt"  # a Prompt row (a question members answer by replying to it)


def _forget_prompt(session: Session, chat_id: int, pending: int) -> None:
    session.execute(delete(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == pending)
                    .execution_options(synchronize_session=False))


@fills(PROMPT_FILL, unsent=_forget_prompt)
def _fill_prompt(session: Session, chat_id: int, pending: int, message_id: int, ref: int | None) -> None:
    session.execute(update(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == pending)
                    .values(message_id=message_id).execution_options(synchronize_session=False))


def queue(session: Session, chat_id: int, method: str, payload: dict[str, Any], *,
          now: float | None = None, fill: str | None = None) -> Queued:
    """Queue a Bot API call (``method`` with ``payload`` as its parameters, `chat_id` included or not)
    in this transaction; it is sent after the commit, in the order queued. `fill` names where the sent
    message's id goes (the row written with `pending_id` of the returned handle)."""
    now = time.time() if now is None else now
    if fill is not None and fill.partition(":")[0] not in _FILLS:
        raise ValueError(f"no fill named {fill!r}")
    payload = {**payload, "chat_id": chat_id}
    if fill is not None:
        payload[_FILL] = fill
    row = OutboxMessage(chat_id=chat_id, method=method, payload=payload, claimed_until=now + CLAIM_SECONDS)
    session.add(row)
    session.flush()
    handle = Queued(row.id, chat_id, method, payload)
    session.info.setdefault(_QUEUED, []).append(handle)
    return handle


# A method that begins so is not a Bot API call but a job of piebot's own (see `queue_job`).
JOB = "piebot:"


def queue_job(session: Session, chat_id: int, name: str, **args: Any) -> Queued:
    """Queue work that must follow this transaction's commit even across a crash or a stop (a round's
    charts after its summary), as a message would be: run after the commit, in its chat's order, or by the
    next sweep (at the next start) if this process did not finish it. At least once, like a message."""
    return queue(session, chat_id, JOB + name, args)


def is_job(method: str) -> bool:
    return method.startswith(JOB)


def jobs_waiting(session: Session, name: str) -> bool:
    """Whether a job of this name is queued and not yet done (by any process)."""
    return session.exec(select(OutboxMessage.id).where(OutboxMessage.method == JOB + name).limit(1)).first() is not None


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


def sent(session: Session, row_id: int, message_id: int | None = None, *, chat_id: int | None = None,
         fill: str | None = None) -> None:
    """Telegram took it: the row goes, and the message's id is written where it was waited for."""
    session.execute(delete(OutboxMessage).where(OutboxMessage.id == row_id)
                    .execution_options(synchronize_session=False))
    if fill is not None and message_id is not None and chat_id is not None:
        _run_fill(session, fill, chat_id, -row_id, message_id)


def dropped(session: Session, row_id: int, *, chat_id: int | None = None, fill: str | None = None) -> None:
    """Telegram refused it for good (a blocked bot, a message it cannot take): the row goes too, and so
    does a question that was waiting for it to be sent (nobody can reply to it)."""
    sent(session, row_id)
    if chat_id is not None:
        _forget_question(session, chat_id, row_id, fill)


def _forget_question(session: Session, chat_id: int, row_id: int, fill: str | None) -> None:
    forget = _UNSENT.get((fill or "").partition(":")[0])
    if forget is not None:
        forget(session, chat_id, -row_id)


def waiting(session: Session, chat_id: int) -> bool:
    """Whether a message to this chat is queued and not yet sent (a reply may be to it; not to a job)."""
    return session.exec(select(OutboxMessage.id).where(
        OutboxMessage.chat_id == chat_id, ~col(OutboxMessage.method).startswith(JOB)).limit(1)).first() is not None


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
            _forget_question(session, row.chat_id, row_id, (row.payload or {}).get(_FILL))
        else:
            row.claimed_until = now + min(first * 2 ** (row.attempts - 1), longest)
    return given_up


def left(session: Session) -> int:
    """How many rows wait to be sent (for tests and the health of the outbox)."""
    return len(session.exec(select(OutboxMessage.id)).all())
