"""Latency: from a member's press reaching the server to piebot's answerCallbackQuery, under load.

The same teams as the throughput benchmark (20 groups of 10 in live rounds, half rating, half at the
evidence stage) send 200 updates a second for 10 seconds, four presses to one evidence reply, paced
evenly. A press's latency is the server's clock when piebot's answerCallbackQuery for it arrives
minus the clock just before the press was queued; the server keeps both. p50 and p99 over every
press, on SQLite and on PostgreSQL.

Floor: the bare PTB bot (`bench.bot_process echo`) under the same load answering each press at
once, right after each piebot run. Goal: piebot's p99 <= 100 ms.
"""

from __future__ import annotations

import asyncio
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
    cards_posted,
    engines,
    percentile,
    rating_buttons,
    row,
    seed_live_rounds,
    stage_prompt,
    wait_until,
)
from piebot.localapi import LocalBotApi

GOAL_P99_MS = 100.0
RATE = 200  # updates a second
PRESS_SHARE = 0.8


async def paced_load(api: LocalBotApi, teams: list[tuple], seconds: float, seed: int) -> dict[str, float]:
    """Queue RATE updates a second for `seconds`; returns each press's query id and when it was queued."""
    rnd = random.Random(seed)
    raters = [(chat, user) for chat, users, at_stage in teams if not at_stage for user in users]
    writers = [(chat, user) for chat, users, at_stage in teams if at_stage for user in users]
    cards = {chat.id: rating_buttons(api, chat) for chat, _, at_stage in teams if not at_stage}
    prompts = {chat.id: stage_prompt(api, chat) for chat, _, at_stage in teams if at_stage}
    total = int(RATE * seconds)
    pressed: dict[str, float] = {}
    started = time.monotonic()
    for i in range(total):
        due = started + i / RATE
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if rnd.random() < PRESS_SHARE:
            chat, user = raters[i % len(raters)]
            card, data = cards[chat.id]
            at = time.time()
            pressed[await api.press(user, card, rnd.choice(data))] = at
        else:
            chat, user = writers[i % len(writers)]
            await api.send(user, chat, f"Evidence {i}: what we saw this week.", reply_to=prompts[chat.id])
    return pressed


async def latencies(api: LocalBotApi, pressed: dict[str, float], since: int, timeout: float) -> list[float]:
    progress = Progress(api, since)
    await wait_until(lambda: progress.scan().answers >= len(pressed), timeout, "every press to be answered", api)
    await wait_until(lambda: all(api.answer_to(q) for q in pressed), 10, "the last answers", api)
    refused = [api.answer_to(q)["text"] for q in pressed if api.answer_to(q)["show_alert"]]
    if refused:  # a refusal is fast and meaningless: the benchmark itself would be wrong
        raise RuntimeError(f"{len(refused)} presses were refused, e.g. {refused[0]!r}")
    return [(api.answer_to(q)["at"] - at) * 1000 for q, at in pressed.items()]


async def one(api: LocalBotApi, argv: list[str], env: dict[str, str], teams: list[tuple], seconds: float,
              seed: int) -> list[float]:
    child = await Child(api, argv, env).start()
    try:
        await wait_until(lambda: cards_posted(api, teams), 30, "the live-round cards", api)
        since = len(api.calls)
        pressed = await paced_load(api, teams, seconds, seed)
        # A bot slower than the load works through a backlog afterwards; its figure is still wanted.
        return await latencies(api, pressed, since, 300)
    finally:
        err = await child.stop()
        if "Traceback" in err:
            print(err[-3000:], file=sys.stderr)


async def measure(smoke: bool) -> list[dict]:
    groups, per_group, seconds = (2, 5, 0.5) if smoke else (20, 10, 10.0)
    rows = []
    async with LocalBotApi(token=TOKEN, callback_query_ttl=3600) as api:
        with tempfile.TemporaryDirectory(prefix="piebot-bench-") as tmp:
            # Smoke runs keep to SQLite: every bot process costs seconds to start.
            for name, url in engines(Path(tmp), postgres=not smoke):
                teams = seed_live_rounds(api, url, groups, per_group, prefix=f"L{name}", stage_groups=groups // 2)
                got = await one(api, ["-m", "bench.bot_process", "piebot"], bot_env(api, url), teams, seconds, 1)
                # Right after, on the same cards: other work on the machine moves both alike.
                floor = await one(api, ["-m", "bench.bot_process", "echo"], bot_env(api, "sqlite://"), teams,
                                  seconds, 2)
                rows.append(row(f"press to answer p50, {RATE} upd/s, {name}", percentile(got, 50),
                                percentile(floor, 50), "info", "ms", None))
                p99 = percentile(got, 99)
                rows.append(row(f"press to answer p99, {RATE} upd/s, {name}", p99, percentile(floor, 99),
                                f"<= {GOAL_P99_MS:g} ms", "ms", p99 <= GOAL_P99_MS))
    return rows


def run(smoke: bool = False) -> list[dict]:
    return asyncio.run(measure(smoke))


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
