"""Shared fixtures: databases (SQLite and real PostgreSQL), the local Bot API server, the bot."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from piebot.localapi import LocalBotApi
from piebot.runner import Bot
from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.telegram.delivery.ratelimit import PatientRateLimiter

TOKEN = "123456:TEST-token-for-the-local-server"
SIGNING_SECRET = "test-signing-secret-of-at-least-32-bytes"
POSTGRES_URL = os.environ.get("PIEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def make_settings(api: LocalBotApi | None, database_url: str, **extra) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "PIEBOT_TIMEZONE": "Europe/London",
        "PIEBOT_SIGNING_SECRET": SIGNING_SECRET,
        "LOG_LEVEL": "INFO",
    }
    if api is not None:
        values["TELEGRAM_API_BASE_URL"] = api.base_url
    values.update(extra)
    return Settings(_env_file=None, **values)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'piebot.db'}"


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not _postgres_available():
        if os.environ.get("PIEBOT_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}")
        pytest.skip("PostgreSQL not reachable")
    import psycopg

    name = f"piebot_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url) -> Iterator[Database]:
    database = Database(database_url, secret=SIGNING_SECRET.encode())
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN) as server:
        yield server


@dataclass
class Harness:
    """The real bot against the local server, and a way to restart it on the same database."""

    api: LocalBotApi
    database_url: str
    bot: Bot | None = None
    extra: dict = field(default_factory=dict)

    async def start(self) -> Bot:
        self.bot = Bot(make_settings(self.api, self.database_url, **self.extra), rate_limiter=self.rate_limiter())
        await self.bot.start()
        return self.bot

    def rate_limiter(self):
        """Telegram's limits when the local server enforces them; when it does not, no chat budgets to
        keep, as in the demo: a feature's test need not wait out a group's minute."""
        if self.api.enforce_limits:
            return None
        return PatientRateLimiter.without_chat_limits()

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot.db.dispose()
            self.bot = None

    async def restart(self) -> Bot:
        await self.stop()
        return await self.start()

    @property
    def db(self) -> Database:
        return self.bot.db


@pytest.fixture
async def harness(api, sqlite_url) -> AsyncIterator[Harness]:
    h = Harness(api=api, database_url=sqlite_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
