"""The database engine: SQLite (WAL) by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Session advisory locks in the two-key space; chats lock in the one-key space (their ids), so none collide.
MIGRATION_LOCK = (0x70696562, 2)  # "pieb", migrations (1 is the scheduler's leadership)


def normalise_url(url: str) -> str:
    # People paste the URL their PostgreSQL host gives them; use the psycopg 3 driver we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Database:
    def __init__(self, url: str, *, echo: bool = False, secret: bytes | None = None) -> None:
        self.url = normalise_url(url)
        self.ballot_keys = None
        if secret is not None:
            self.use_secret(secret)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgres = parsed.get_backend_name() == "postgresql"
        kwargs: dict = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Handlers run in worker threads; each gets its own connection from the pool.
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 10
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            watch_named_ids()

    def use_secret(self, secret: bytes) -> None:
        """The signing secret, from which the keys of anonymous answers' sealed ballots are derived."""
        from piebot.storage.ballots import BallotKeys

        self.ballot_keys = BallotKeys(secret)

    def session(self) -> Session:
        info = {"ballot_keys": self.ballot_keys} if self.ballot_keys is not None else {}
        return Session(self.engine, expire_on_commit=False, info=info)

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision` (what `piebot db upgrade` and start-up do)."""
        if revision == "head" and self.at_head():
            return  # nothing to do: Alembic (a tenth of a second and 10 MB to import) is not loaded
        from alembic import command

        if not self.is_postgres:
            command.upgrade(self.alembic_config(), revision)
            return
        from sqlalchemy import text

        # Workers started together would race to create the same tables: they take turns, and the
        # later ones find nothing left to do.
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:a, :b)"), {"a": MIGRATION_LOCK[0], "b": MIGRATION_LOCK[1]})
            conn.commit()  # the lock is the session's; no transaction left open beside the migration
            try:
                command.upgrade(self.alembic_config(), revision)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), {"a": MIGRATION_LOCK[0], "b": MIGRATION_LOCK[1]})
                conn.commit()

    def at_head(self) -> bool:
        """Whether the database is already at the newest migration: one read of `alembic_version`,
        compared with the revisions named in the migration files."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        except DBAPIError:
            return False  # a new database: no version table yet
        return bool(current) and current == migration_heads()

    def alembic_config(self):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        return cfg

    def ping(self) -> None:
        """Raises if the database cannot be reached (the webhook's health check)."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def migration_heads() -> set[str]:
    """The revisions no other migration follows, read from the files without importing Alembic."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value.strip()) for key, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(found["revision"].strip("'\""))
        down = found.get("down_revision", "None")
        followed.update(re.findall(r"['\"]([^'\"]+)['\"]", down))
    return revisions - followed


def _named_ids_stay_positive(_mapper, connection, target) -> None:
    # SQLite gives a new row the largest id plus one; with only anonymous rows (random negative ids,
    # piebot.storage.ballot_box) in a table, that would be zero or below, among theirs.
    if target.id is None and connection.dialect.name == "sqlite":
        from sqlalchemy import func, select

        table = target.__table__
        highest = connection.execute(select(func.max(table.c.id))).scalar()
        if highest is not None and highest <= 0:
            target.id = 1


def watch_named_ids() -> None:
    from piebot.storage.models import Action, Evidence, Rating

    for model in (Rating, Evidence, Action):
        if not event.contains(model, "before_insert", _named_ids_stay_positive):
            event.listen(model, "before_insert", _named_ids_stay_positive)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the scheduler read while a handler writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def session_scope(db: Database) -> Iterator[Session]:
    """One unit of work: committed together, or not at all. Ballot boxes it asked to open are opened
    after the commit, each in a transaction of its own (piebot.storage.ballot_box)."""
    with db.session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        due = session.info.pop("ballot_boxes_due", None)
    if due:
        open_boxes(db, due)


BOX_ATTEMPTS = 5


def open_boxes(db: Database, due: dict) -> None:
    """Open each scope's box in its own transaction, never the one that sealed the ballots. A failure
    leaves the ballots sealed, to go in with the next batch or at the close: the answers are safe."""
    from piebot.storage.ballot_box import BoxRaced, open_box

    for scope, how in due.items():
        final, groups = how is True, (how if isinstance(how, list) else None)
        for _ in range(BOX_ATTEMPTS):
            try:
                with session_scope(db) as session:
                    open_box(session, scope, final=final, groups=groups)
                break
            except BoxRaced:
                continue
            except Exception as exc:  # noqa: BLE001 - the person's answer is committed; their ballot waits
                log.warning("a ballot box could not be opened now: %s", type(exc).__name__)
                break


class AlreadyDone(Exception):
    """The update was handled before; its effect is in the database already."""


def _lock_chat(session: Session, chat_id: int) -> None:
    # On PostgreSQL, workers serving one bot take turns per chat so a chat's updates apply in order.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": chat_id})


def was_processed(db: Database, update_id: int) -> bool:
    """Whether an update's effect is committed (one look-up by primary key): a repeat need not run."""
    from piebot.storage.models import ProcessedUpdate

    with db.session() as session:
        return session.get(ProcessedUpdate, update_id) is not None


def newest_processed(db: Database) -> int | None:
    """The highest update id whose effect is committed (None if none): the poller's start line."""
    from sqlalchemy import func
    from sqlmodel import select

    from piebot.storage.models import ProcessedUpdate

    with db.session() as session:
        return session.exec(select(func.max(ProcessedUpdate.update_id))).one()


def apply_once(db: Database, update_id: int | None, chat_id: int | None, work,
               on_commit: Callable[[Session], None] | None = None):
    """Run `work(session)` and record `update_id` in the same transaction.

    A repeated update (a redelivery after a crash, a retried webhook) raises AlreadyDone
    instead of taking effect twice. `on_commit(session)` runs once the transaction is committed
    (the outbox uses it to send what `work` queued).
    """
    from sqlalchemy.exc import IntegrityError

    from piebot.storage.models import ProcessedUpdate

    try:
        with session_scope(db) as session:
            if chat_id is not None:
                _lock_chat(session, chat_id)
            if update_id is not None:
                # Inserted first, without looking: a repeat fails on the key (IntegrityError, below)
                # before its work runs, and a new update (nearly all) costs one statement, not two.
                session.add(ProcessedUpdate(update_id=update_id))
                session.flush()
            result = work(session)
        if on_commit is not None:
            on_commit(session)
        return result
    except IntegrityError:
        if update_id is not None:
            with db.session() as session:
                if session.get(ProcessedUpdate, update_id) is not None:
                    raise AlreadyDone(update_id) from None
        raise
