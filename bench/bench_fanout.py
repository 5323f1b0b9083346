"""Check-ins for 2,000 teams in the same minute, against a local Bot API server enforcing Telegram's limits.

    python -m bench --only fanout            # 2,000 teams (about 70 s)
    python -m bench --smoke --only fanout    # 40 teams

Rows: {"figure", "value", "floor", "ratio", "goal", "unit", "ok"}.
(a) time until every check-in is delivered / the limit itself (teams / 30 per second); goal <= 1.10;
(b) 429s the server had to serve during the fan-out; goal 0;
(c) the 99th percentile delay of a member's button answer (a bead placed in another team's open
    check-in) while the fan-out runs; goal < 250 ms.
The teams are seeded straight into the database; everything after that is the real bot: the
scheduler's `tick`, PTB, the PatientRateLimiter and HTTP to the local server.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script from the repository root or from bench/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from piebot import clock, scheduling
from piebot.localapi import LocalBotApi
from piebot.runner import Bot
from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.storage.models import Member, Schedule, Team

TOKEN = "123456:BENCH-token-for-the-local-server"
OVERALL_PER_SECOND = 30
PROBE_SLOT = datetime(2026, 5, 5, 11, 0, tzinfo=UTC)  # Tue 12:00 in London: the probe team's check-in
SLOT = datetime(2026, 5, 5, 13, 0, tzinfo=UTC)  # Tue 14:00 in London: everyone else's
SEEDED_AT = datetime(2026, 5, 1, tzinfo=UTC)


def _settings(api: LocalBotApi, url: str) -> Settings:
    return Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url, TELEGRAM_API_BASE_URL=api.base_url,
                    PIEBOT_TIMEZONE="Europe/London", LOG_LEVEL="WARNING",
                    PIEBOT_SIGNING_SECRET="bench-signing-secret-of-at-least-32-bytes")


def _seed(db: Database, groups: list, probe_group, probe_user) -> None:
    """Teams, one schedule each (all at the same slot), and one member who answers during the fan-out."""
    team_rows = [
        {"chat_id": g.id, "chat_title": g.title, "name": g.title, "framework_variant": "pies2", "customisation": {},
         "timezone": "Europe/London", "set_up": True, "strengths_first": False, "anonymous_by_default": False,
         "share_private_evidence_with_peer": False, "paused": False, "support_contacts": "", "support_requests": 0,
         "service_user_permission": False, "created_at": SEEDED_AT}
        for g in [probe_group, *groups]
    ]
    schedule = {"kind": "checkin", "cadence": "weekly", "weekday": 1, "window_hours": 24, "quiet_start": "21:00",
                "quiet_end": "08:00", "element_id": "responsiveness", "anonymous": False, "remind_days_before": 2,
                "active": True, "created_at": SEEDED_AT}
    with db.engine.begin() as conn:
        conn.execute(insert(Team), team_rows)
        ids = {chat_id: team_id for team_id, chat_id in conn.execute(Team.__table__.select().with_only_columns(
            Team.id, Team.chat_id))}
        conn.execute(insert(Schedule), [
            {**schedule, "team_id": ids[g.id], "local_time": "12:00" if g is probe_group else "14:00"}
            for g in [probe_group, *groups]
        ])
        conn.execute(insert(Member), [{"team_id": ids[probe_group.id], "telegram_user_id": probe_user.id,
                                       "display_name": "Bea", "facilitator": False, "active": True,
                                       "private_chat": False, "joined_at": SEEDED_AT}])


async def _answer_delays(api: LocalBotApi, user, post, stop: asyncio.Event) -> list[float]:
    """A member moving their bead back and forth, as fast as a person might, timing each answer."""
    delays = []
    labels = ("Getting there", "Well on the way")
    n = 0
    while not stop.is_set():
        started = time.perf_counter()
        query = await api.press(user, post, post.button(labels[n % 2]))
        # Polled every millisecond: api.wait_for's 10 ms steps would blur a figure measured in ms.
        while api.answer_to(query) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        delays.append(time.perf_counter() - started)
        n += 1
        await asyncio.sleep(0.1)
    return delays


async def measure(teams: int) -> dict:
    real_now = clock.now
    clock.now = lambda: SLOT  # the handlers' "now": the probe check-in is open
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        db.upgrade()
        async with LocalBotApi(token=TOKEN, enforce_limits=True) as api:
            groups = []
            for i in range(teams):
                group = api.create_group(f"Team {i}")
                group.bot_status = "member"  # added long ago: no my_chat_member updates to replay
                groups.append(group)
            probe_group = api.create_group("Probe team")
            probe_group.bot_status = "member"
            bea = api.create_user("Bea")
            api.add_member(probe_group, bea)
            _seed(db, groups, probe_group, bea)
            bot = Bot(_settings(api, url), db)
            await bot.start()
            # The bench drives the clock itself; the scheduler's own wake-ups would only add noise.
            await scheduling.stop(bot.app)
            try:
                await scheduling.tick(bot.app, PROBE_SLOT)
                post = api.last(probe_group)
                await api.wait_idle()
                before_429 = api.stats.too_many_requests
                stop = asyncio.Event()
                presses = asyncio.create_task(_answer_delays(api, bea, post, stop))
                await asyncio.sleep(0.5)  # a few presses before, as a baseline in the same list
                started = time.time()
                report = await scheduling.tick(bot.app, SLOT)
                delivered = [m for g in groups for m in api.chat_log(g)]
                finished = max(m.sent_at for m in delivered) if delivered else time.time()
                first = min(m.sent_at for m in delivered) if delivered else finished
                stop.set()
                delays = await presses
                too_many = api.stats.too_many_requests - before_429
            finally:
                clock.now = real_now
                await bot.stop()
                db.dispose()
    return {"teams": teams, "posted": report.posted, "delivered": len(delivered), "seconds": finished - started,
            "first": first - started,
            "too_many": too_many, "delays": delays}


def run(smoke: bool = False) -> list[dict]:
    teams = 40 if smoke else 2000
    got = asyncio.run(measure(teams))
    if got["delivered"] != teams:
        raise AssertionError(f"{got['delivered']} of {teams} check-ins delivered")
    floor = teams / OVERALL_PER_SECOND
    ratio = got["seconds"] / floor
    delays = sorted(got["delays"])
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))] * 1000 if delays else float("nan")
    return [
        {"figure": f"fan-out: {teams} check-ins delivered (vs {OVERALL_PER_SECOND}/s limit)",
         "value": got["seconds"], "floor": floor, "ratio": ratio, "goal": "ratio <= 1.10", "unit": "s",
         "ok": ratio <= 1.10},
        {"figure": "fan-out: first check-in delivered after", "value": got["first"], "floor": None, "ratio": None,
         "goal": "-", "unit": "s", "ok": None},
        {"figure": "fan-out: 429s served by the server", "value": got["too_many"], "floor": None, "ratio": None,
         "goal": "0", "unit": "", "ok": got["too_many"] == 0},
        {"figure": f"fan-out: p99 button answer during it ({len(delays)} presses)", "value": p99, "floor": None,
         "ratio": None, "goal": "< 250 ms", "unit": "ms", "ok": p99 < 250},
        {"figure": "fan-out: median button answer during it", "value": statistics.median(delays) * 1000
         if delays else float("nan"), "floor": None, "ratio": None, "goal": "-", "unit": "ms", "ok": None},
    ]


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
