"""Memory and start-up: `python -m piebot run` on a database with 10,000 teams.

A SQLite file is seeded (bulk inserts) with 10,000 teams, 100,000 members and 10,000 check-in
schedules, then piebot is started as production starts it, `python -m piebot run`, against the local
Bot API server. Start-up is from spawning the process to its first getUpdates call (migrations
check, Application, the start hooks that rebuild every schedule's jobs). Memory is VmRSS from
/proc/<pid>/status once it has stopped growing, with VmHWM (the peak) alongside.

Floor: a bare PTB bot process (`bench.bot_process echo`) polling the same server: its start-up and
its resident memory, in the same run. Goals: RSS <= 150 MB, start-up <= 0.5 s.

piebot's own modules are byte-compiled first, as `pip install` does in the image: the benchmark's
environment may say PYTHONDONTWRITEBYTECODE, and compiling 150 modules at every start is not piebot's.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlmodel import Session

from bench.common import TOKEN, Child, bot_env, row
from piebot.localapi import LocalBotApi
from piebot.storage.db import Database
from piebot.storage.models import Member, Schedule, Team, utcnow

RSS_GOAL_MB = 150
STARTUP_GOAL_S = 0.5


def seed(url: str, teams: int, members_per_team: int) -> float:
    started = time.perf_counter()
    db = Database(url)
    db.upgrade()
    now = utcnow()
    with Session(db.engine) as session:
        session.execute(insert(Team), [
            {"chat_id": -1_000_000_000 - t, "chat_title": f"Team {t}", "name": f"Team {t}", "set_up": True,
             "customisation": {}, "created_at": now} for t in range(teams)])
        session.execute(insert(Member), [
            {"team_id": t + 1, "telegram_user_id": 100_000_000 + t * members_per_team + i,
             "display_name": f"Member {i}", "joined_at": now}
            for t in range(teams) for i in range(members_per_team)])
        session.execute(insert(Schedule), [
            {"team_id": t + 1, "kind": "checkin", "cadence": "weekly", "weekday": t % 5, "local_time": "14:00",
             "element_id": "responsiveness", "created_at": now} for t in range(teams)])
        session.commit()
    db.dispose()
    return time.perf_counter() - started


async def measure_process(api: LocalBotApi, argv: list[str], env: dict[str, str]) -> tuple[float, dict[str, int]]:
    child = await Child(api, argv, env).start(ready_timeout=60)
    try:
        memory = await child.settled_rss_kb()
        return child.startup_seconds, memory
    finally:
        err = await child.stop()
        if "Traceback" in err:
            print(err[-3000:], file=sys.stderr)


async def best_of(runs: int, api: LocalBotApi, argv: list[str], env: dict[str, str]) -> tuple[float, dict]:
    results = [await measure_process(api, argv, env) for _ in range(runs)]
    return min(r[0] for r in results), results[-1][1]


def byte_compile() -> None:
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("piebot", "conversations", "framework"):
        compileall.compile_dir(str(root / package), quiet=1)


async def measure(smoke: bool) -> list[dict]:
    byte_compile()
    teams = 100 if smoke else 10_000
    async with LocalBotApi(token=TOKEN) as api:
        with tempfile.TemporaryDirectory(prefix="piebot-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'footprint.db'}"
            seeded = seed(url, teams, 10)
            print(f"footprint: seeded {teams} teams in {seeded:.1f}s", file=sys.stderr)
            # Twice each, the best start-up kept: the first start of a run also warms the disk cache.
            runs = 1 if smoke else 2
            floor_start, floor_mem = await best_of(runs, api, ["-m", "bench.bot_process", "echo"],
                                                   bot_env(api, "sqlite://"))
            start, mem = await best_of(runs, api, ["-m", "piebot", "run"], bot_env(api, url))
    rss, peak = mem["VmRSS"] / 1024, mem["VmHWM"] / 1024
    floor_rss, floor_peak = floor_mem["VmRSS"] / 1024, floor_mem["VmHWM"] / 1024
    size = f"{teams} teams, {teams * 10} members, {teams} schedules"
    return [
        row(f"resident memory (VmRSS), {size}", rss, floor_rss, f"<= {RSS_GOAL_MB} MB", "MB", rss <= RSS_GOAL_MB),
        row("peak resident memory (VmHWM), same", peak, floor_peak, f"<= {RSS_GOAL_MB} MB", "MB",
            peak <= RSS_GOAL_MB),
        row("start-up: process start to first getUpdates", start, floor_start, f"<= {STARTUP_GOAL_S:g} s", "s",
            start <= STARTUP_GOAL_S),
        row("footprint floor: bare PTB bot, VmRSS", floor_rss, None, "floor", "MB", None),
        row("footprint floor: bare PTB bot, start-up", floor_start, None, "floor", "s", None),
    ]


def run(smoke: bool = False) -> list[dict]:
    return asyncio.run(measure(smoke))


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
