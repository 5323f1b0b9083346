"""Stop time: from SIGTERM to the exit of a real `piebot run` process, with work in flight.

Two moments, each the worst a deploy is likely to meet:
  * right after /setup, a /chart press (a render in the chart workers) and a rating (a card refresh
    waiting its turn);
  * right after /close of a self-paced round, while its summary's charts are drawn and posted.

The first is timed again with the bot serving its webhook (`piebot run --webhook`, the local server
delivering to it) rather than polling.

The bot runs as its own process against the local Bot API server, on SQLite. The goal is <= 5 s
(`docker stop` kills at 10); piebot bounds a stop at 4.5 s and exits by force at 5.

Run alone: `python -m bench --only stop`. The scenarios are shared with tests/test_steady_stop.py.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, TOKEN, bot_env, row, wait_until
from piebot.localapi import LocalBotApi

GOAL_SECONDS = 5.0
ELEMENTS = ("empathy", "training", "responsiveness")


class BotUnderTest:
    """`python -m piebot run` as a child process, with its log kept in a file; `webhook`: `run --webhook`,
    served on a free port of 127.0.0.1, to which the local server delivers the updates."""

    def __init__(self, api: LocalBotApi, database_url: str, log_path: Path, *, webhook: bool = False) -> None:
        self.api, self.log_path, self.webhook = api, log_path, webhook
        extra = {"LOG_LEVEL": "INFO"}
        if webhook:
            port = _free_port()
            extra.update(PIEBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", PIEBOT_WEBHOOK_LISTEN="127.0.0.1",
                         PIEBOT_WEBHOOK_PORT=str(port), PIEBOT_WEBHOOK_SECRET="bench-webhook-secret")
        self.env = bot_env(api, database_url, **extra)
        self.proc: asyncio.subprocess.Process | None = None
        self.children: list[int] = []

    async def start(self) -> BotUnderTest:
        seen = len(self.api.calls)
        ready = "setWebhook" if self.webhook else "getUpdates"
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "piebot", "run", *(["--webhook"] if self.webhook else []), env=self.env,
                cwd=str(ROOT), stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        await wait_until(lambda: any(c.method == ready and c.status == 200 for c in self.api.calls[seen:])
                         or self.proc.returncode is not None, 60, f"the bot's first {ready}")
        if self.proc.returncode is not None:
            raise RuntimeError(f"the bot exited at start:\n{self.log()}")
        return self

    async def terminate(self, limit: float = 15.0) -> tuple[float, int | None]:
        """SIGTERM; seconds until the process was gone, and its exit code (None: killed after `limit`).
        The processes it had started (the chart workers and multiprocessing's forkserver and resource
        tracker) are kept in `children`, to check they went too."""
        self.children = _descendants_of(self.proc.pid)
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), limit)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            code = None
        return time.monotonic() - started, code

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    async def left_behind(self, grace: float = 2.0) -> list[int]:
        """The bot's processes still running `grace` seconds after it exited (the forkserver and the
        resource tracker leave a moment after their parent, when they read the end of its pipe)."""
        deadline = time.monotonic() + grace
        for _ in range(int(grace / 0.05) + 1):
            left = [pid for pid in self.children if _running(pid)]
            if not left or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.05)
        return left


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants_of(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def seed_rounds(database_url: str, chat_id: int, *, closed: int, open_async: bool) -> None:
    """Rounds as the team would have played them: `closed` closed rounds, and one open in people's own time."""
    from piebot.storage import rounds, teams
    from piebot.storage.db import Database, session_scope

    db = Database(database_url)
    try:
        with session_scope(db) as s:
            team = teams.team_for_chat(s, chat_id)
            members = teams.active_members(s, team.id)
            for n in range(closed + (1 if open_async else 0)):
                round_ = rounds.open_round(s, team_id=team.id, element_ids=list(ELEMENTS), scope="all",
                                           scope_ref=None, mode="async", anonymous=False,
                                           framework_variant="pies2", opened_by=members[0].id)
                for i, element_id in enumerate(ELEMENTS):
                    for j, member in enumerate(members):
                        rounds.record_rating(s, round_, member, element_id, 3 + (i * 5 + j * 3 + n) % 15)
                    if n < closed:
                        rounds.set_team_view(s, round_, element_id, 8 + i)
                if n < closed:
                    rounds.close_round(s, round_)
    finally:
        db.dispose()


async def start_live_round(api: LocalBotApi, team):
    """/assess through its wizard (one element seen for the first time, live, named); returns its card."""
    from piebot.demo.people import press

    def now(message):
        return next(m for m in api.chat_log(team.group) if m.message_id == message.message_id)

    def wizard_posted():
        # Not simply the next message: a chart may arrive in between.
        return next((m for m in api.chat_log(team.group)[before:] if "One element" in str(m.buttons)), None)

    before = len(api.chat_log(team.group))
    await api.send(team.admin, team.group, "/assess")
    wizard = await api.wait_for(wizard_posted, timeout=10)
    await press(api, team.admin, wizard, "One element")
    # An element the seeded rounds never looked at, so its card opens on the rating, not the review.
    await api.wait_for(lambda: "Reflective practice" in str(now(wizard).buttons))
    await press(api, team.admin, now(wizard), "Reflective practice")
    for step, label in (("2 of 4", "Live"), ("3 of 4", "Named"), ("4 of 4", "in the way")):
        await api.wait_for(lambda step=step: step in now(wizard).text)
        await press(api, team.admin, now(wizard), label)
    await api.wait_for(lambda: any("have rated" in m.text for m in api.chat_log(team.group)), timeout=10)
    return next(m for m in api.chat_log(team.group) if "have rated" in m.text)


async def after_setup_chart_and_rating(api: LocalBotApi, database_url: str) -> None:
    """/setup, a chart drawn from the /chart menu, a live round's rating: then the stop, at once."""
    from piebot.demo.people import add_bot_and_set_up, press, say

    team = await add_bot_and_set_up(api, members=2)
    seed_rounds(database_url, team.group.id, closed=1, open_async=False)
    menu = await say(api, team.members[0], team.group, "/chart")
    await press(api, team.members[0], menu, "Where we are now")
    card = await start_live_round(api, team)
    # Getting there — halfway: the grid's buttons say where in a level in words, so find it by its data.
    place = next(data for row_ in card.buttons for _, data in row_ if data and data.endswith(":P2.3"))
    query = await api.press(team.members[0], card, place)
    await api.wait_for(lambda: api.answer_to(query) is not None)


async def after_closing_a_self_paced_round(api: LocalBotApi, database_url: str) -> None:
    """A round in people's own time, answered, closed with /close: the stop comes as its summary appears."""
    from piebot.demo.people import add_bot_and_set_up

    team = await add_bot_and_set_up(api, members=3)
    seed_rounds(database_url, team.group.id, closed=1, open_async=True)
    before = len(api.chat_log(team.group))
    await api.send(team.admin, team.group, "/close")
    await api.wait_for(lambda: any("— summary" in m.text for m in api.chat_log(team.group)[before:]), timeout=30)


SCENARIOS = {
    "after /setup, /chart and a rating": after_setup_chart_and_rating,
    "after /close of a self-paced round": after_closing_a_self_paced_round,
}
# Also timed with the bot serving its webhook (`piebot run --webhook`) rather than polling.
WEBHOOK_SCENARIO = "after /setup, /chart and a rating"


async def stop_after(scenario, tmp: Path, *, webhook: bool = False) -> tuple[float, int | None, str, list[int]]:
    """Run `scenario` against a fresh bot process (polling, or serving its webhook), SIGTERM it, and time
    the exit; with the ids of its child processes (chart workers) still running after it (none, when the
    stop is clean)."""
    async with LocalBotApi(token=TOKEN) as api:
        database_url = f"sqlite:///{tmp / f'stop-{time.monotonic_ns()}.db'}"
        bot = BotUnderTest(api, database_url, tmp / "bot.log", webhook=webhook)
        try:
            await bot.start()
            await scenario(api, database_url)
            seconds, code = await bot.terminate()
            left = await bot.left_behind()
        finally:
            await bot.kill()
        return seconds, code, bot.log(), left


async def _measure(smoke: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(name, scenario, False) for name, scenario in SCENARIOS.items()]
        runs.append(("(webhook) " + WEBHOOK_SCENARIO, SCENARIOS[WEBHOOK_SCENARIO], True))
        for name, scenario, webhook in runs:
            times = []
            for _ in range(1 if smoke else 3):
                seconds, code, log, left = await stop_after(scenario, Path(tmp), webhook=webhook)
                if code is None:
                    raise RuntimeError(f"the bot did not exit {name} within 15 s:\n{log}")
                if left:
                    raise RuntimeError(f"the bot left {len(left)} process(es) running after {name}:\n{log}")
                times.append(seconds)
            rows.append(row(f"SIGTERM to exit {name}, slowest of {len(times)}", max(times), None,
                            f"<= {GOAL_SECONDS:.0f} s", "s", max(times) <= GOAL_SECONDS))
            rows.append(row(f"SIGTERM to exit {name}, median", statistics.median(times), None,
                            f"<= {GOAL_SECONDS:.0f} s", "s", statistics.median(times) <= GOAL_SECONDS))
    return rows


def run(smoke: bool = False) -> list[dict]:
    return asyncio.run(_measure(smoke))


if __name__ == "__main__":
    from bench.__main__ import format_table

    print(format_table(run(smoke="--smoke" in sys.argv)))
