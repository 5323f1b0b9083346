"""The scheduler's leadership lock on PostgreSQL: a session-level advisory lock held on a connection of
its own (piebot.scheduling.leader campaigns with it).

The lock lives exactly as long as the connection, so a worker that dies releases it. The keepalives
make PostgreSQL notice a vanished client within about 25 seconds, and the client notice a vanished
server within about 9, so a leader that can no longer reach the database deposes itself first.
"""

from __future__ import annotations

import asyncio
import contextlib

from piebot.storage.db import Database

# The two-key advisory lock space, apart from the one-key space the per-chat locks use (chat ids).
LOCK_KEYS = (0x70696562, 1)  # "pieb", the scheduler
QUERY_TIMEOUT_SECONDS = 3.0
# How long PostgreSQL waits before it treats a silent leader as gone (idle + interval * count).
SERVER_KEEPALIVES = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"


class LeadershipLock:
    """One connection that may hold the scheduler's lock. Every call raises psycopg.Error, OSError or
    TimeoutError when the database cannot be reached."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn = None

    async def take(self) -> bool:
        """Try to take the lock (without waiting for it); True if this connection holds it now."""
        conn = await self._connection()
        cursor = await asyncio.wait_for(
            conn.execute("SELECT pg_try_advisory_lock(%s, %s)", LOCK_KEYS), QUERY_TIMEOUT_SECONDS
        )
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def still_held(self) -> None:
        """Check the connection that holds the lock is alive: still connected means still holding it."""
        conn = await self._connection()
        await asyncio.wait_for(conn.execute("SELECT 1"), QUERY_TIMEOUT_SECONDS)

    async def release(self) -> None:
        """Close the connection, which releases the lock for the next worker."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), QUERY_TIMEOUT_SECONDS)

    async def _connection(self):
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(
                    _libpq_url(self.db), autocommit=True, connect_timeout=int(QUERY_TIMEOUT_SECONDS) + 1,
                    keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2,
                    options=SERVER_KEEPALIVES, application_name="piebot-leadership",
                ),
                QUERY_TIMEOUT_SECONDS * 2,
            )
        return self._conn


def _libpq_url(db: Database) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
