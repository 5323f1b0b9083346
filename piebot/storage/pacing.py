"""Turns to edit a message, shared by every worker: how a live card is edited at most once every few
seconds however many workers handle its presses. Also turns to draw a chart: one drawing of a chart
per team at a time, however many presses ask for it (`claim_turn`, `release_turn`).

Each worker asks `reserve_edit` for the next turn before it edits (one atomic UPDATE ... RETURNING),
waits the seconds it is told, then edits with whatever the database holds by then. Two workers asking
at once get turns `interval` apart, so the card is never edited faster than that, and the last
press is always shown by the edit whose turn comes after it.
"""

from __future__ import annotations

import time

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from piebot.storage.models import EditPace


def card_key(element_row_id: int) -> str:
    return f"card:{element_row_id}"


def reserve_edit(session: Session, key: str, interval: float, *, now: float | None = None) -> float:
    """Take the next turn to edit `key`, `interval` seconds after the last turn taken; the seconds to
    wait for it (0.0: edit now)."""
    now = time.time() if now is None else now
    take_turn = (
        update(EditPace).where(EditPace.key == key)
        .values(next_edit_at=case((EditPace.next_edit_at > now, EditPace.next_edit_at), else_=now) + interval)
        .returning(EditPace.next_edit_at)
        .execution_options(synchronize_session=False)
    )
    turn_ends = session.execute(take_turn).scalar_one_or_none()
    if turn_ends is None:
        insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        first = insert(EditPace.__table__).values(key=key, next_edit_at=now + interval).on_conflict_do_nothing(
            index_elements=["key"]).returning(EditPace.__table__.c.key)
        if session.execute(first).first() is not None:
            return 0.0
        turn_ends = session.execute(take_turn).scalar_one()  # another worker made the row a moment ago
    return max(0.0, turn_ends - interval - now)


def edited_now(session: Session, key: str, interval: float, *, now: float | None = None) -> None:
    """An edit made out of turn (a facilitator's move shows at once): the next turn comes no sooner
    than `interval` after it. A turn already taken for later stays as it is."""
    now = time.time() if now is None else now
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = EditPace.__table__
    upsert = insert(table).values(key=key, next_edit_at=now + interval)
    session.execute(upsert.on_conflict_do_update(
        index_elements=["key"], set_={"next_edit_at": now + interval},
        where=table.c.next_edit_at < now + interval))


def claim_turn(session: Session, key: str, hold: float, *, now: float | None = None) -> float:
    """Hold `key` for `hold` seconds if nobody holds it: 0.0 when this caller holds it now, otherwise the
    seconds its holder has left."""
    now = time.time() if now is None else now
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = EditPace.__table__
    take = insert(table).values(key=key, next_edit_at=now + hold).on_conflict_do_update(
        index_elements=["key"], set_={"next_edit_at": now + hold}, where=table.c.next_edit_at <= now,
    ).returning(table.c.key)
    if session.execute(take).first() is not None:
        return 0.0
    held_until = session.execute(select(table.c.next_edit_at).where(table.c.key == key)).scalar_one_or_none()
    return max(0.0, (held_until or now) - now)


def release_turn(session: Session, key: str, *, keep: float = 0.0, now: float | None = None) -> None:
    """Done with `key`; nobody may take it for `keep` more seconds."""
    now = time.time() if now is None else now
    session.execute(update(EditPace).where(EditPace.key == key).values(next_edit_at=now + keep)
                    .execution_options(synchronize_session=False))


def forget_edits(session: Session, key: str) -> None:
    """The message is gone or replaced: its turns are no longer needed."""
    session.execute(delete(EditPace).where(EditPace.key == key).execution_options(synchronize_session=False))


def forget_old_turns(session: Session, *, older_than: float = 86_400.0, now: float | None = None) -> int:
    """Drop turns long past (housekeeping); how many went."""
    now = time.time() if now is None else now
    result = session.execute(delete(EditPace).where(EditPace.next_edit_at < now - older_than)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0
