"""Update throughput: a burst of rating presses and evidence replies through the real bot and database.

200 members in 20 groups (each group a team in a live round) press 2,000 rating buttons and reply
500 times to the evidence prompt, all queued at once on the local Bot API server. piebot runs as
its own process (`bench.bot_process piebot`: the real Bot, its confirm-after-commit poller, the
real database), on SQLite and on PostgreSQL. The burst is done when piebot has confirmed the last
update (which it does only after committing it) and answered every press.

Floor: a bare PTB bot (`bench.bot_process echo`: Application.run_polling, one Bot API call per
update, no database) against the same server, with the same burst, in the same run.
Goal: piebot's updates per second >= 0.8 x the floor's, on each database.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    TOKEN,
    Child,
    Progress,
    bot_env,
    calls_of,
    cards_posted,
    confirmed_at,
    engines,
    rating_buttons,
    row,
    seed_live_rounds,
    stage_prompt,
    wait_until,
)
from bench.profile import Sampled
from piebot.localapi import LocalBotApi

GOAL = 0.8


async def burst(api: LocalBotApi, teams: list[tuple], presses: int, replies: int, seed: int = 7) -> dict:
    """Queue every update at once: presses from the rating teams, replies from the teams at a stage."""
    rnd = random.Random(seed)
    raters = [(chat, user) for chat, users, at_stage in teams if not at_stage for user in users]
    writers = [(chat, user) for chat, users, at_stage in teams if at_stage for user in users]
    cards = {chat.id: rating_buttons(api, chat) for chat, _, at_stage in teams if not at_stage}
    prompts = {chat.id: stage_prompt(api, chat) for chat, _, at_stage in teams if at_stage}
    kinds = ["press"] * presses + ["reply"] * replies
    rnd.shuffle(kinds)
    query_ids = []
    counts = {"press": 0, "reply": 0}
    for i, kind in enumerate(kinds):
        if kind == "press":
            chat, user = raters[counts["press"] % len(raters)]
            card, data = cards[chat.id]
            query_ids.append(await api.press(user, card, rnd.choice(data)))
        else:
            chat, user = writers[counts["reply"] % len(writers)]
            await api.send(user, chat, f"Evidence {i}: we saw it on the late shift.", reply_to=prompts[chat.id])
        counts[kind] += 1
    # The server has no public "last update id"; the next id it would give is one past it.
    return {"query_ids": query_ids, "last_update_id": api._next_update_id - 1, "queued_at": time.time()}


def figures(api: LocalBotApi, since: int, updates: int, seconds: float, cpu: float, done: float) -> dict:
    """Updates a second; the bot's CPU per update (all its threads); getUpdates asks per 100 updates."""
    asks = sum(1 for c in calls_of(api, "getUpdates", since) if c.at <= done)
    return {"rate": updates / seconds, "cpu_ms": cpu * 1000 / updates, "asks": asks * 100 / updates}


PROFILES = Path(os.environ.get("PIEBOT_BENCH_OUT", "bench-out"))


async def run_piebot(api: LocalBotApi, url: str, teams: list[tuple], presses: int, replies: int,
                     timeout: float, profile: str | None = None) -> dict:
    """The burst through piebot; with `profile` (a name), py-spy samples every thread of the bot during
    it into bench-out/<name>.txt, and the result carries the summary. A profiled burst is a second one,
    after the figures are taken (the sampling costs the bot some CPU), so the database is not checked."""
    child = await Child(api, ["-m", "bench.bot_process", "piebot"], bot_env(api, url)).start()
    try:
        await wait_until(lambda: cards_posted(api, teams), 30, "the live-round cards", api)
        since = len(api.calls)
        cpu = child.cpu_seconds()
        sampled = Sampled(child.proc.pid, PROFILES / f"{profile}.txt") if profile else None
        if sampled is not None:
            sampled.__enter__()
            cpu = child.cpu_seconds()
        sent = await burst(api, teams, presses, replies)
        last = sent["last_update_id"]
        qids = sent["query_ids"]
        progress = Progress(api, since)
        await wait_until(lambda: progress.scan().answers >= len(qids), timeout, "piebot to answer every press", api)
        await wait_until(lambda: all(api.answer_to(q) for q in qids), 10, "the last answers", api)
        await wait_until(lambda: confirmed_at(api, last, since) is not None, timeout,
                         "piebot to confirm the burst", api)
        done = max(confirmed_at(api, last, since), *(api.answer_to(q)["at"] for q in qids))
        cpu = child.cpu_seconds() - cpu
        summary = None
        if sampled is not None:
            sampled.__exit__(None, None, None)
            summary = sampled.summary()
        refusals = [api.answer_to(q)["text"] for q in qids if api.answer_to(q)["show_alert"]]
        if refusals:
            raise RuntimeError(f"piebot refused {len(refusals)} presses, e.g. {refusals[0]!r}")
        if sampled is None:
            check_database(url, teams, replies)
        return {**figures(api, since, presses + replies, done - sent["queued_at"], cpu, done), "profile": summary}
    finally:
        err = await child.stop()
        if "Traceback" in err or "ERROR" in err:
            print(err[-3000:], file=sys.stderr)


def check_database(url: str, teams: list[tuple], replies: int) -> None:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from piebot.storage.db import Database
    from piebot.storage.models import Evidence, Rating

    db = Database(url)
    with Session(db.engine) as session:
        ratings = session.exec(select(func.count()).select_from(Rating)).one()
        evidence = session.exec(select(func.count()).select_from(Evidence)).one()
    db.dispose()
    members = sum(len(users) for _, users, at_stage in teams if not at_stage)
    if ratings != members or evidence != replies:
        raise RuntimeError(f"expected {members} ratings and {replies} evidence, found {ratings} and {evidence}")


async def run_floor(api: LocalBotApi, teams: list[tuple], presses: int, replies: int, timeout: float) -> dict:
    child = await Child(api, ["-m", "bench.bot_process", "echo"], bot_env(api, "sqlite://")).start()
    try:
        since = len(api.calls)
        cpu = child.cpu_seconds()
        sent = await burst(api, teams, presses, replies, seed=8)
        qids = sent["query_ids"]
        progress = Progress(api, since)
        await wait_until(lambda: progress.scan().sends >= replies and progress.answers >= len(qids), timeout,
                         "the echo bot to finish", api)
        await wait_until(lambda: all(api.answer_to(q) for q in qids), 10, "the last answers", api)
        done = max([c.at for c in calls_of(api, "sendMessage", since)] + [api.answer_to(q)["at"] for q in qids])
        cpu = child.cpu_seconds() - cpu
        return figures(api, since, presses + replies, done - sent["queued_at"], cpu, done)
    finally:
        await child.stop()


async def measure(smoke: bool) -> list[dict]:
    groups, per_group, presses, replies = (2, 5, 40, 10) if smoke else (20, 10, 2000, 500)
    timeout = 30 if smoke else 300
    rows = []
    # Long enough that no press expires while the bot works through the burst; latency is measured apart.
    async with LocalBotApi(token=TOKEN, callback_query_ttl=3600) as api:
        with tempfile.TemporaryDirectory(prefix="piebot-bench-") as tmp:
            # Smoke runs keep to SQLite: every bot process costs seconds to start.
            for name, url in engines(Path(tmp), postgres=not smoke):
                teams = seed_live_rounds(api, url, groups, per_group, prefix=name, stage_groups=groups // 2)
                got = await run_piebot(api, url, teams, presses, replies, timeout)
                # Right after, on the same cards: other work on the machine moves both alike.
                floor = await run_floor(api, teams, presses, replies, timeout)
                if not smoke:
                    profiled = await run_piebot(api, url, teams, presses, replies, timeout,
                                                profile=f"throughput-{name.lower()}")
                    print(f"piebot during a second burst, {name} (py-spy, "
                          f"{PROFILES}/throughput-{name.lower()}.txt; {profiled['cpu_ms']:.1f} ms CPU per update "
                          f"while sampled):\n{profiled['profile']}", file=sys.stderr)
                rows.append(row(f"throughput, {presses} presses + {replies} replies, {name}", got["rate"],
                                floor["rate"], f"ratio >= {GOAL}", "upd/s", got["rate"] / floor["rate"] >= GOAL))
                rows.append(row(f"  bot CPU per update, {name}", got["cpu_ms"], floor["cpu_ms"], "info", "ms", None))
                rows.append(row(f"  getUpdates asks per 100 updates, {name}", got["asks"], floor["asks"], "info",
                                "", None))
                rows.append(row(f"  floor: bare PTB bot, 1 call per update ({name} run)", floor["rate"], None,
                                "floor", "upd/s", None))
    return rows


def run(smoke: bool = False) -> list[dict]:
    return asyncio.run(measure(smoke))


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
