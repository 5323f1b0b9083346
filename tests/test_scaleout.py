"""Several webhook workers serve one bot on PostgreSQL: shared load, one effect per update, one scheduler.

The workers are real processes behind a small round-robin proxy (the load balancer), which the
local Bot API server delivers the webhook to. Run as a script, this file is a worker whose
scheduler is a stand-in ticker (see `worker`), for the leader test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __name__ == "__main__":  # run as a worker: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text
from sqlmodel import select

from piebot.storage.db import AlreadyDone, Database, apply_once
from piebot.storage.models import Firing, ProcessedUpdate, Schedule, Team
from piebot.telegram.delivery.webhook import SECRET_HEADER

SECRET = "scale-out-secret"
SLOT_SECONDS = 0.5


# --- per-chat turns and one effect per update, straight on PostgreSQL --------------------------------


@pytest.fixture
def pg_workers(postgres_url):
    """Two engines on one database, as two worker processes would have."""
    first, second = Database(postgres_url), Database(postgres_url)
    first.upgrade()
    with first.session() as s:
        s.add(Team(chat_id=-4000000001, chat_title="Hope House", name="Hope House"))
        s.commit()
    yield first, second
    first.dispose()
    second.dispose()


def _race(jobs) -> list:
    """Run the jobs at the same moment on threads; their results or exceptions, in order."""
    results: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i, job):
        start.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each racer met
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _count_support_request(session) -> int:
    # Read, pause, write: without the chat's turn, racing workers would overwrite each other.
    team = session.exec(select(Team).where(Team.chat_id == -4000000001)).one()
    seen = team.support_requests
    time.sleep(0.02)
    team.support_requests = seen + 1
    return seen


def test_one_chats_updates_take_turns_across_workers(pg_workers):
    first, second = pg_workers
    jobs = [lambda i=i: apply_once((first, second)[i % 2], 1000 + i, -4000000001, _count_support_request)
            for i in range(16)]
    results = _race(jobs)
    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(results) == list(range(16))  # each saw the one before it
    with first.session() as s:
        assert s.exec(select(Team)).one().support_requests == 16


@pytest.mark.parametrize("chat_id", [-4000000001, None], ids=["in a chat", "no chat"])
def test_the_same_update_raced_on_two_workers_takes_effect_once(pg_workers, chat_id):
    first, second = pg_workers
    results = _race([lambda db=db: apply_once(db, 777, chat_id, _count_support_request)
                     for db in (first, second, first, second)])
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AlreadyDone) for r in results if isinstance(r, Exception))
    with first.session() as s:
        assert s.exec(select(Team)).one().support_requests == 1
        assert s.get(ProcessedUpdate, 777) is not None


def test_workers_starting_together_migrate_once(postgres_url):
    databases = [Database(postgres_url) for _ in range(3)]
    try:
        results = _race([db.upgrade for db in databases])
        assert results == [None, None, None]
        with databases[0].engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for db in databases:
            db.dispose()


# --- real worker processes behind a load balancer ---------------------------------------------------


class LoadBalancer:
    """Round-robin to the workers, like a reverse proxy; or to every worker at once (`duplicate`).

    A worker that is down answers with a connection error: the proxy says 502 and Telegram
    (here the local server) delivers again, to the next worker in turn.
    """

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self._next = itertools.cycle(range(len(targets)))
        self.delivered: Counter = Counter()
        self.duplicate = False
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> LoadBalancer:
        app = web.Application()
        app.router.add_post("/telegram", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self._http.close()
        await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {"Content-Type": "application/json", SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        chosen = range(len(self.targets)) if self.duplicate else [next(self._next)]
        statuses = await asyncio.gather(*(self._post(i, body, headers) for i in chosen))
        return web.Response(status=max(statuses))

    async def _post(self, i: int, body: bytes, headers: dict) -> int:
        try:
            async with self._http.post(self.targets[i], data=body, headers=headers,
                                       timeout=aiohttp.ClientTimeout(total=30)) as response:
                await response.read()
                if response.status == 200:
                    self.delivered[i] += 1
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 502


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Workers:
    """N worker processes on one PostgreSQL database, behind one LoadBalancer."""

    def __init__(self, api, postgres_url: str, tmp_path: Path, count: int = 2, argv: tuple[str, ...] | None = None):
        from tests.test_crash import BotProcess, bot_env

        self.ports = [_free_port() for _ in range(count)]
        self.balancer = LoadBalancer([f"http://127.0.0.1:{p}/telegram" for p in self.ports])
        self.api, self.postgres_url = api, postgres_url
        self.processes = [
            BotProcess(bot_env(api, postgres_url, PIEBOT_WEBHOOK_SECRET=SECRET, PIEBOT_WEBHOOK_LISTEN="127.0.0.1",
                               PIEBOT_WEBHOOK_PORT=str(port), PIEBOT_WORKER_NAME=f"w{i}", LOG_LEVEL="INFO"),
                       tmp_path / f"worker{i}.log", argv or ("-m", "piebot", "run", "--webhook"))
            for i, port in enumerate(self.ports)
        ]

    async def start(self) -> Workers:
        await self.balancer.start()
        for process in self.processes:
            process.env["PIEBOT_WEBHOOK_URL"] = self.balancer.url
            await process.start()
        for i in range(len(self.processes)):
            await self.wait_healthy(i)
        await self.api.wait_for(lambda: (self.api._webhook or {}).get("url") == self.balancer.url, timeout=30)
        return self

    async def wait_healthy(self, i: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.processes[i].alive, self.processes[i].log()
                try:
                    async with http.get(f"http://127.0.0.1:{self.ports[i]}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"worker {i} never became healthy:\n{self.processes[i].log()}")

    async def metric(self, i: int, name: str) -> float | None:
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{self.ports[i]}/metrics") as response:
                    body = await response.text()
        except aiohttp.ClientError:
            return None
        for line in body.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    async def leaders(self) -> list[int]:
        values = [await self.metric(i, "piebot_scheduler_leader") for i in range(len(self.processes))]
        return [i for i, v in enumerate(values) if v == 1]

    async def stop(self) -> None:
        for process in self.processes:
            await process.stop()
        await self.balancer.stop()

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.processes)


async def test_two_workers_share_the_load_and_a_duplicate_delivery_takes_effect_once(api, postgres_url, tmp_path):
    from tests.test_crash import PrivateConnects

    workers = Workers(api, postgres_url, tmp_path)
    db = Database(postgres_url)
    try:
        await workers.start()
        burst = PrivateConnects(api, teams_count=4, per_team=10)
        burst.seed(db)
        shared, doubled = burst.people[:30], burst.people[30:]

        burst.people = shared
        await burst.send()
        await api.wait_idle(timeout=60, quiet=0.3)
        assert workers.balancer.delivered[0] >= 10 and workers.balancer.delivered[1] >= 10
        assert sorted(burst.stored(db)) == sorted((t, u.id) for t, u in shared), workers.logs()
        assert set(burst.replies().values()) == {1} and len(burst.replies()) == 30

        # Now every update goes to both workers at the same moment.
        workers.balancer.duplicate = True
        both_before = dict(workers.balancer.delivered)
        burst.people = doubled
        await burst.send()
        await api.wait_idle(timeout=60, quiet=0.3)
        # (A delivery that met a conflict between the two answers 500 and comes again, to both.)
        assert all(workers.balancer.delivered[i] - both_before[i] >= 10 for i in (0, 1))
        burst.people = shared + doubled
        stored = burst.stored(db)
        assert len(stored) == 40 and sorted(stored) == sorted((t, u.id) for t, u in burst.people)
        # Each member was answered once, though both workers ran their update.
        assert set(burst.replies().values()) == {1} and len(burst.replies()) == 40
    finally:
        await workers.stop()
        db.dispose()


async def test_killing_the_scheduler_leader_moves_scheduling_with_no_slot_twice_or_lost(api, postgres_url, tmp_path):
    workers = Workers(api, postgres_url, tmp_path, argv=(str(Path(__file__).resolve()),))
    db = Database(postgres_url)
    try:
        await workers.start()
        with db.session() as s:
            team = Team(chat_id=-4000000001, chat_title="Hope House", name="Hope House")
            s.add(team)
            s.flush()
            s.add(Schedule(team_id=team.id, kind="checkin"))
            s.commit()

        leaders = await api.wait_for(workers.leaders, timeout=10)
        assert len(leaders) == 1
        leader = leaders[0]
        follower = 1 - leader
        await api.wait_for(lambda: len(_firings(db)) >= 4, timeout=10)

        await workers.processes[leader].kill()
        killed_at = time.monotonic()
        await api.wait_for(lambda: _async_equals(workers.leaders, [follower]), timeout=15)
        takeover = time.monotonic() - killed_at
        fired_by_leader = len(_firings(db))
        await api.wait_for(lambda: len(_firings(db)) >= fired_by_leader + 4, timeout=10)

        # The killed worker comes back as a follower; a clean stop of the leader hands over again.
        await workers.processes[leader].start()
        await workers.wait_healthy(leader)
        await asyncio.sleep(1)
        assert await workers.leaders() == [follower]
        await workers.processes[follower].stop()
        await api.wait_for(lambda: _async_equals(workers.leaders, [leader]), timeout=15)
        handed_over = len(_firings(db))
        await api.wait_for(lambda: len(_firings(db)) >= handed_over + 4, timeout=10)
        await workers.processes[leader].stop()

        firings = _firings(db)
        slots = [f.slot for f in firings]
        assert len(slots) == len(set(slots)), "a slot fired twice"
        gaps = [b - a for a, b in itertools.pairwise(slots) if b - a != timedelta(seconds=SLOT_SECONDS)]
        assert gaps == [], f"slots lost: {gaps}"
        by = Counter(f.outcome for f in firings)
        assert set(by) == {f"sent-by-w{leader}", f"sent-by-w{follower}"}, by
        assert takeover < 2 * 2.0 + 3, f"takeover took {takeover:.1f}s"
    finally:
        await workers.stop()
        db.dispose()


async def _async_equals(fn, expected) -> bool:
    return await fn() == expected


def _firings(db: Database) -> list[Firing]:
    with db.session() as s:
        return list(s.exec(select(Firing).order_by(Firing.slot)))


# --- the worker, when this file runs as a script ------------------------------------------------------


def _slot(moment: datetime) -> datetime:
    seconds = moment.timestamp() // SLOT_SECONDS * SLOT_SECONDS
    return datetime.fromtimestamp(seconds, UTC)


def _take_due_slots(db: Database, name: str) -> None:
    """A minimal scheduler: takes every slot since the last one taken (none lost), each once (unique rows)."""
    from sqlalchemy.exc import IntegrityError

    now = _slot(datetime.now(UTC))
    with db.session() as s:
        for schedule in s.exec(select(Schedule).where(Schedule.active)).all():
            last = s.exec(select(Firing.slot).where(Firing.schedule_id == schedule.id)
                          .order_by(Firing.slot.desc())).first()
            slot = now if last is None else last + timedelta(seconds=SLOT_SECONDS)
            while slot <= now:
                try:
                    with s.begin_nested():
                        s.add(Firing(schedule_id=schedule.id, slot=slot, outcome=f"sent-by-{name}"))
                except IntegrityError:
                    pass  # another scheduler took it: exactly what the unique row is for
                slot += timedelta(seconds=SLOT_SECONDS)
        s.commit()


async def worker() -> int:
    """`piebot run --webhook`, with a stand-in scheduler hooked to the leadership."""
    from piebot.logs import setup_logging
    from piebot.runner import Bot
    from piebot.settings import Settings

    settings = Settings()
    setup_logging(settings)
    name = os.environ["PIEBOT_WORKER_NAME"]
    bot = Bot(settings, webhook=True)
    ticker: list[asyncio.Task] = []

    async def tick_forever() -> None:
        while True:
            await asyncio.to_thread(_take_due_slots, bot.db, name)
            await asyncio.sleep(0.1)

    async def elected(app) -> None:
        ticker.append(asyncio.create_task(tick_forever()))

    async def deposed(app) -> None:
        while ticker:
            ticker.pop().cancel()

    bot.app.bot_data.setdefault("on_elected", []).append(elected)
    bot.app.bot_data.setdefault("on_deposed", []).append(deposed)
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, bot.stop_event.set)
    await bot.run_until_stopped()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(worker()))
