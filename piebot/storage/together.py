"""Group commit: the effects of several updates committed in one transaction, each with its update's id.

Committing is most of what a press or a reply costs beyond its few statements: a session, a connection
from the pool, BEGIN and COMMIT, and a hop to a worker thread and back. While one group commits, the
updates that arrive meanwhile wait and go in together in the next (piebot.telegram.runtime), so a busy
bot pays these once per group and an idle one no more than before.

Each update's rules hold as if it were alone, or it is not grouped:
- Its ProcessedUpdate row goes in the same transaction as its effect (so a crash loses or keeps both,
  and the poller confirms it only after the commit). A repeat fails on that row's key.
- If anything goes wrong in a group (an update refused, a repeat, a race for a row, a lost connection),
  the whole group is rolled back and every update in it is applied alone (`apply_once`), so each meets
  its own error, exactly as without grouping.
- Anonymity: a ballot box opened inside an update's work (its ballots landing) must never share a
  transaction with other people's rows; such a group is rolled back and applied one by one. Boxes an
  update asks to open after its commit are opened after the group's, each in a transaction of its own.
- On PostgreSQL the group takes its chats' advisory locks in order of chat id first (see `_lock_chat`),
  so two workers' groups cannot deadlock on them, and a chat's updates still apply in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from piebot.storage import outbox
from piebot.storage.ballot_box import LANDED
from piebot.storage.db import Database, _lock_chat, apply_once, open_boxes

log = logging.getLogger(__name__)


@dataclass
class Unit:
    """One update's work, and once applied, its result (or error) and the messages it queued."""

    update_id: int | None
    chat_id: int | None
    work: Callable[[Session], Any]
    result: Any = None
    error: BaseException | None = None
    queued: list[outbox.Queued] = field(default_factory=list)


class NotTogether(Exception):
    """This group cannot be committed as one; its updates are applied one by one."""


def apply_together(db: Database, units: list[Unit]) -> bool:
    """Apply every unit, each with its update's id; True if they went in as one transaction, False if
    they had to be applied one by one (each unit then carries its own result or error)."""
    if len(units) > 1 and _commit_as_one(db, units):
        return True
    for unit in units:
        _apply_alone(db, unit)
    return False


def _commit_as_one(db: Database, units: list[Unit]) -> bool:
    from piebot.storage.models import ProcessedUpdate

    due = None
    try:
        with db.session() as session:
            try:
                _lock_chats(session, sorted({u.chat_id for u in units if u.chat_id is not None}))
                session.add_all([ProcessedUpdate(update_id=u.update_id) for u in units if u.update_id is not None])
                session.flush()
                for unit in units:
                    unit.result = unit.work(session)
                    if session.info.get(LANDED):
                        raise NotTogether("ballots landed")
                    unit.queued = outbox.queued_in(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            due = session.info.pop("ballot_boxes_due", None)
    except Exception as exc:  # noqa: BLE001 - any failure: each update is applied alone and meets its own
        log.debug("a group of %d updates is applied one by one (%s)", len(units), type(exc).__name__)
        for unit in units:
            unit.result, unit.queued = None, []
        return False
    if due:
        open_boxes(db, due)
    return True


def _lock_chats(session: Session, chat_ids: list[int]) -> None:
    """Each chat's turn (see db._lock_chat), taken in order of chat id, in one round trip on PostgreSQL
    (a volatile function in the select list runs after the ORDER BY)."""
    if len(chat_ids) == 1:
        _lock_chat(session, chat_ids[0])
    elif chat_ids and session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k"),
                        {"keys": chat_ids})


def _apply_alone(db: Database, unit: Unit) -> None:
    queued: list[outbox.Queued] = []
    try:
        unit.result = apply_once(db, unit.update_id, unit.chat_id, unit.work,
                                 lambda session: queued.extend(outbox.queued_in(session)))
        unit.queued = queued
    except Exception as exc:  # noqa: BLE001 - handed to the update's handler, as apply_once would raise it
        unit.error = exc
