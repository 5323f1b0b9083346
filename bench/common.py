"""What the benchmarks share: rows, databases, bots as child processes, the local server's records.

The bot under test runs as its own process, as in production: it gets a CPU of its own instead of
sharing one event loop with the local server that feeds it, and its memory is its alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from piebot.localapi import LocalBotApi

TOKEN = "123456:BENCH-token-for-the-local-server"
POSTGRES_URL = os.environ.get("PIEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent


def row(figure: str, value: float, floor: float | None, goal: str, unit: str, ok: bool | None,
        ratio: float | None = None) -> dict:
    if ratio is None and floor:
        ratio = value / floor
    return {"figure": figure, "value": round(value, 3), "floor": None if floor is None else round(floor, 3),
            "ratio": None if ratio is None else round(ratio, 2), "goal": goal, "unit": unit, "ok": ok}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


# ---------------------------------------------------------------------------------- databases


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new PostgreSQL database for one benchmark, dropped afterwards."""
    import psycopg

    name = f"piebot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def engines(tmp: Path, postgres: bool = True) -> Iterator[tuple[str, str]]:
    """("SQLite", url), then ("PostgreSQL", url) when reachable and wanted; each database is fresh."""
    yield "SQLite", f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    if not postgres:
        return
    if postgres_reachable():
        with fresh_postgres() as url:
            yield "PostgreSQL", url
    else:
        print("PostgreSQL not reachable: its figures are skipped", file=sys.stderr)


# ---------------------------------------------------------------------------------- processes


def bot_env(api: LocalBotApi, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "PIEBOT_SIGNING_SECRET": "bench-signing-secret-of-at-least-32-bytes",
        "PIEBOT_TIMEZONE": "Europe/London",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    env.update(extra)
    return env


class Child:
    """A bot process polling the local server; started, waited for, and stopped by its pid."""

    def __init__(self, api: LocalBotApi, argv: list[str], env: dict[str, str]) -> None:
        self.api, self.argv, self.env = api, argv, env
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self.first_poll_at: float | None = None

    async def start(self, ready_timeout: float = 60.0) -> Child:
        """Spawn, and return once the process has made its first getUpdates call."""
        seen = len(self.api.calls)
        self.started_at = time.time()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, *self.argv, env=self.env, cwd=str(ROOT),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            polls = [c for c in self.api.calls[seen:] if c.method.lower() == "getupdates"]
            if polls:
                self.first_poll_at = polls[0].at
                return self
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.005)
        err = await self._stderr()
        await self.stop()
        raise RuntimeError(f"{' '.join(self.argv)} did not start polling: {err[-2000:]}")

    @property
    def startup_seconds(self) -> float:
        return (self.first_poll_at or time.time()) - self.started_at

    def memory_kb(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak) of the process, from /proc."""
        found: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(rest.split()[0])
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far, every thread included."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def settled_rss_kb(self, quiet: float = 1.0, limit: float = 15.0) -> dict[str, int]:
        """Resident memory once it has stopped growing for `quiet` seconds (at most `limit`)."""
        deadline = time.monotonic() + limit
        last = self.memory_kb()
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            now = self.memory_kb()
            if abs(now["VmRSS"] - last["VmRSS"]) > 256:
                stable_since = time.monotonic()
            last = now
            if time.monotonic() - stable_since >= quiet:
                break
        return last

    async def _stderr(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        with contextlib.suppress(TimeoutError):
            data = await asyncio.wait_for(self.proc.stderr.read(), 2)
            return data.decode(errors="replace")
        return ""

    async def stop(self) -> str:
        """SIGTERM (a clean stop), then SIGKILL if it lingers; returns what it wrote to stderr."""
        if self.proc is None:
            return ""
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return await self._stderr()


async def wait_until(predicate, timeout: float, what: str, api: LocalBotApi | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            extra = f"; {api._situation()[:600]}" if api is not None else ""
            raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        await asyncio.sleep(0.01)


def calls_of(api: LocalBotApi, method: str, since: int = 0) -> list:
    method = method.lower()
    return [c for c in api.calls[since:] if c.method.lower() == method]


# ------------------------------------------------------------------------- teams in live rounds


def seed_live_rounds(api: LocalBotApi, database_url: str, groups: int, per_group: int,
                     prefix: str = "Team", stage_groups: int = 0, anonymous: bool = False) -> list[tuple]:
    """Groups with the bot in them, and in the database the same teams, members and an open live round.

    Written straight into the database (set-up, /join and /assess are not what is measured). The
    last `stage_groups` rounds are at the evidence stage, the others open for ratings: a live round
    takes one element through one phase at a time, so a team rates or answers, not both at once.
    Returns (chat, users, at_stage) per group.
    """
    from sqlmodel import Session

    from framework import load_framework
    from piebot.storage.db import Database
    from piebot.storage.models import Member, Team
    from piebot.storage.rounds import open_round, round_element

    elements = [e.id for e in load_framework("pies2").elements][:3]
    db = Database(database_url)
    db.upgrade()
    made = []
    with Session(db.engine) as session:
        for g in range(groups):
            chat = api.create_group(f"{prefix} {g}")
            chat.bot_status = "member"
            users = [api.create_user(f"M{g}-{i}") for i in range(per_group)]
            for user in users:
                api.add_member(chat, user)
            team = Team(chat_id=chat.id, chat_title=chat.title, name=chat.title, set_up=True)
            session.add(team)
            session.flush()
            session.add_all([Member(team_id=team.id, telegram_user_id=u.id, display_name=u.first_name)
                             for u in users])
            round_ = open_round(session, team_id=team.id, element_ids=elements, scope="theme", scope_ref=None,
                                mode="live", anonymous=anonymous, framework_variant="pies2", opened_by=None)
            at_stage = g >= groups - stage_groups
            if at_stage:
                current = round_element(session, round_.id, elements[0])
                current.phase, current.stage, current.team_view = "stages", "evidence", 10
            made.append((chat, users, at_stage))
        session.commit()
    db.dispose()
    return made


RATING_BUTTON = re.compile(r"^v1:rt:\d+:P\d\.\d$")


def rating_buttons(api: LocalBotApi, chat) -> tuple:
    """The live card of a group, and the data of its rating grid's buttons."""
    card = next(m for m in reversed(api.chat_log(chat)) if m.buttons)
    return card, [d for row_ in card.buttons for _, d in row_ if d and RATING_BUTTON.match(d)]


def stage_prompt(api: LocalBotApi, chat):
    return next(m for m in reversed(api.chat_log(chat)) if m.force_reply)


def cards_posted(api: LocalBotApi, teams: list[tuple]) -> bool:
    for chat, _, at_stage in teams:
        log = api.chat_log(chat)
        if not any(m.force_reply for m in log) if at_stage else not any(m.buttons for m in log):
            return False
    return True


def confirmed_at(api: LocalBotApi, last_update_id: int, since: int = 0) -> float | None:
    """When the bot confirmed `last_update_id` (its next getUpdates with a higher offset)."""
    for call in calls_of(api, "getUpdates", since):
        offset = call.params.get("offset")
        if offset is not None and int(offset) > last_update_id:
            return call.at
    return None


class Progress:
    """A cheap running count, while the bot works, of its answers and messages since the burst began.

    The count runs on the local server's event loop, so each look reads only the calls that came in
    since the last look. (A call is counted when it arrives; the exact times are read afterwards.)
    """

    def __init__(self, api: LocalBotApi, since: int) -> None:
        self.api = api
        self.next_call = since
        self.answers = 0
        self.sends = 0

    def scan(self) -> Progress:
        calls = self.api.calls
        while self.next_call < len(calls):
            method = calls[self.next_call].method.lower()
            self.next_call += 1
            if method == "answercallbackquery":
                self.answers += 1
            elif method == "sendmessage":
                self.sends += 1
        return self
