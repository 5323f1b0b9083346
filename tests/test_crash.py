"""Nothing a member sends is lost or applied twice: not when the bot is killed, not when the database fails.

The crash test runs the real `python -m piebot run` as a child process against the local Bot API
server and kills it with SIGKILL at random moments while a burst of answers waits on the server.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from piebot.demo.people import add_bot_and_set_up
from piebot.localapi import LocalBotApi
from piebot.settings import Settings
from piebot.storage import teams
from piebot.storage.db import Database
from piebot.storage.models import Member, ProcessedUpdate, Team
from piebot.telegram import links
from piebot.telegram.delivery import polling
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "test-signing-secret-of-at-least-32-bytes"


class BotProcess:
    """`python -m piebot run [...]` as a child process; its log goes to a file, shown when a test fails."""

    def __init__(self, env: dict[str, str], log_path: Path, argv: tuple[str, ...] = ("-m", "piebot", "run")) -> None:
        self.env, self.log_path, self.argv = env, log_path, argv
        self.proc: asyncio.subprocess.Process | None = None
        self.lives = 0

    async def start(self) -> BotProcess:
        self.lives += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- life {self.lives}\n".encode())
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, *self.argv, env=self.env, cwd=str(ROOT),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )
        return self

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no confirming, as when a host dies."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                await self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


def bot_env(api: LocalBotApi, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIEBOT_", "TELEGRAM_", "DATABASE_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "PIEBOT_SIGNING_SECRET": SIGNING_SECRET,
        "PIEBOT_TIMEZONE": "Europe/London",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    })
    env.update(extra)
    return env


def secret() -> bytes:
    return Settings(_env_file=None, PIEBOT_SIGNING_SECRET=SIGNING_SECRET).secret_bytes()


class PrivateConnects:
    """The burst: each member opens the private chat through their signed /join link, and the bot
    stores one Member (with private_chat set) per answer and replies "connected".

    One row per update, by 25 members in each of 20 teams. Private chats rather than /join in the
    group, because 25 group replies a minute would wait out Telegram's 20-a-minute group limit.
    When live rating presses exist, a burst of presses + evidence replies can take this class's place:
    `seed`, `send` and `stored` are all the test needs.
    """

    def __init__(self, api: LocalBotApi, teams_count: int = 20, per_team: int = 25) -> None:
        self.api, self.teams_count, self.per_team = api, teams_count, per_team
        self.team_ids: list[int] = []
        self.people: list = []

    def seed(self, db: Database) -> None:
        """Set-up teams whose groups already hold their members (the bot checks the link against the group)."""
        with db.session() as s:
            for i in range(self.teams_count):
                group = self.api.create_group(f"Team {i}")
                group.bot_status = "member"
                team = Team(chat_id=group.id, chat_title=group.title, name=group.title, set_up=True)
                s.add(team)
                s.flush()
                self.team_ids.append(team.id)
                for n in range(self.per_team):
                    user = self.api.create_user(f"M{i}-{n}")
                    self.api.add_member(group, user)
                    self.people.append((team.id, user))
            s.commit()

    async def send(self) -> int:
        # Interleaved across teams, as when several teams are busy at once.
        for n in range(self.per_team):
            for team_id, user in self.people[n::self.per_team]:
                await self.api.start_private(user, payload=links.sign(secret(), "j", team_id, user.id))
        return len(self.people)

    def stored(self, db: Database) -> list[tuple[int, int]]:
        with db.session() as s:
            rows = s.exec(select(Member).where(Member.team_id.in_(self.team_ids), Member.private_chat)).all()
            return [(m.team_id, m.telegram_user_id) for m in rows]

    def replies(self) -> Counter:
        return Counter(user.id for _, user in self.people for m in self.api.chat_log(user) if "connected" in m.text)


@pytest.mark.slow
async def test_killed_again_and_again_every_answer_is_stored_exactly_once(api, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = Database(database_url)
    db.upgrade()
    burst = PrivateConnects(api)
    burst.seed(db)
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log")
    rng = random.Random(os.environ.get("PIEBOT_CRASH_SEED", "6"))
    try:
        await bot.start()
        sent = await burst.send()
        assert sent == 500
        kills = 0
        while kills < 6:
            # A random moment in this life: before, during or after it has taken a batch.
            await asyncio.sleep(rng.uniform(0.3, 2.5))
            if not api.pending_updates():
                break
            await bot.kill()
            kills += 1
            await bot.start()
        assert kills >= 3, "the bot finished before it could be killed enough; make the burst bigger"
        await api.wait_idle(timeout=120, quiet=0.5)
        stored = burst.stored(db)
        assert len(stored) == 500, bot.log()
        assert len(set(stored)) == 500
        assert sorted(stored) == sorted((team_id, user.id) for team_id, user in burst.people)
        # An answer applied twice would have been answered twice.
        replies = burst.replies()
        assert max(replies.values()) == 1
        with db.session() as s:
            assert s.exec(select(func.count()).select_from(ProcessedUpdate)).one() >= 500
    finally:
        await bot.stop()
        db.dispose()


async def test_killed_while_answering_webhooks_every_answer_is_stored_exactly_once(api, tmp_path):
    """The same in webhook mode: a delivery cut off by the kill gets no 200, so it comes again."""
    from tests.test_scaleout import Workers

    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    db = Database(database_url)
    db.upgrade()
    burst = PrivateConnects(api, teams_count=4, per_team=25)
    burst.seed(db)
    workers = Workers(api, database_url, tmp_path, count=1)
    bot = workers.processes[0]
    rng = random.Random(os.environ.get("PIEBOT_CRASH_SEED", "6"))
    try:
        await workers.start()
        await burst.send()
        kills = 0
        while kills < 3 and api.pending_updates():
            await asyncio.sleep(rng.uniform(0.1, 0.8))
            await bot.kill()
            kills += 1
            await bot.start()
            await workers.wait_healthy(0)
        assert kills >= 2, "the bot finished before it could be killed enough; make the burst bigger"
        await api.wait_idle(timeout=60, quiet=0.5)
        stored = burst.stored(db)
        assert sorted(stored) == sorted((team_id, user.id) for team_id, user in burst.people), bot.log()
        assert max(burst.replies().values()) == 1
        assert api.stats.webhook_failures > 0  # deliveries did meet a dead worker
    finally:
        await workers.stop()
        db.dispose()


# --- the database fails while a handler runs (polling) ---------------------------------------------


async def test_a_database_outage_during_an_answer_is_retried_not_lost(api, harness, monkeypatch):
    team = await add_bot_and_set_up(api, members=1)
    newcomer = api.create_user("Eli")
    api.add_member(team.group, newcomer)
    real_join, calls = teams.join, []

    def down_twice(session, *args, **kwargs):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("INSERT INTO member", {}, Exception("could not connect to server"))
        return real_join(session, *args, **kwargs)

    monkeypatch.setattr(teams, "join", down_twice)
    before = len(api.chat_log(team.group))
    await api.send(newcomer, team.group, "/join")
    await api.wait_for(lambda: len(api.chat_log(team.group)) > before, timeout=10)
    reply = api.chat_log(team.group)[before]
    assert "Eli" in reply.text
    assert len(calls) == 3
    with harness.db.session() as s:
        assert len(s.exec(select(Member).where(Member.telegram_user_id == newcomer.id)).all()) == 1
    await api.wait_idle()
    assert sum("Eli" in m.text for m in api.chat_log(team.group)) == 1


async def test_a_chat_waits_for_its_failed_answer_but_other_chats_go_on(api, harness, monkeypatch):
    monkeypatch.setattr(polling, "FIRST_RETRY_SECONDS", 0.3)
    first = await add_bot_and_set_up(api, title="Hope House", members=1)
    other = await add_bot_and_set_up(api, title="Riverside", members=1)
    eli, fay = api.create_user("Eli"), api.create_user("Fay")
    api.add_member(first.group, eli)
    api.add_member(first.group, fay)
    gus = api.create_user("Gus")
    api.add_member(other.group, gus)
    real_join, failures = teams.join, []

    def eli_fails_once(session, team, user_id, *args, **kwargs):
        if user_id == eli.id and not failures:
            failures.append(1)
            raise OperationalError("INSERT INTO member", {}, Exception("server closed the connection"))
        return real_join(session, team, user_id, *args, **kwargs)

    monkeypatch.setattr(teams, "join", eli_fails_once)
    before = len(api.chat_log(first.group))
    await api.send(eli, first.group, "/join")
    await api.send(fay, first.group, "/join")
    await api.send(gus, other.group, "/join")
    await api.wait_idle(timeout=10)
    names = [m.text.split(",")[0] for m in api.chat_log(first.group)[before:]]
    # Eli's answer, retried, still comes before Fay's: one chat's answers apply in the order sent.
    assert [n for n in names if "Eli" in n or "Fay" in n] == [n for n in names if "Eli" in n] + [
        n for n in names if "Fay" in n]
    assert sum("Eli" in n for n in names) == 1 and sum("Fay" in n for n in names) == 1
    assert any("Gus" in m.text for m in api.chat_log(other.group))


async def test_an_update_that_always_fails_is_given_up_and_the_bot_carries_on(api, harness, monkeypatch):
    monkeypatch.setattr(polling, "FIRST_RETRY_SECONDS", 0.1)
    team = await add_bot_and_set_up(api, members=1)
    eli, fay = api.create_user("Eli"), api.create_user("Fay")
    api.add_member(team.group, eli)
    api.add_member(team.group, fay)
    real_join, attempts = teams.join, []

    def poisoned(session, team_row, user_id, *args, **kwargs):
        if user_id == eli.id:
            attempts.append(1)
            raise KeyError("a bug, not an outage")
        return real_join(session, team_row, user_id, *args, **kwargs)

    monkeypatch.setattr(teams, "join", poisoned)
    await api.send(eli, team.group, "/join")
    before = len(api.chat_log(team.group))
    await api.send(fay, team.group, "/join")
    await api.wait_for(lambda: any("Fay" in m.text for m in api.chat_log(team.group)[before:]), timeout=10)
    assert len(attempts) == polling.ATTEMPTS
    await api.wait_idle(timeout=10)
    assert api.pending_updates() == []


async def test_a_slow_chat_does_not_hold_up_the_others(api, harness):
    slow_team = await add_bot_and_set_up(api, title="Hope House", members=1)
    other = await add_bot_and_set_up(api, title="Riverside", members=1)
    eli, gus = api.create_user("Eli"), api.create_user("Gus")
    api.add_member(slow_team.group, eli)
    api.add_member(other.group, gus)
    await api.wait_idle(quiet=0.5)
    # The answer to Eli takes its time to reach Telegram (a busy group, a slow network).
    api.delay_next("sendMessage", 6.0)
    seen = len(api.calls)
    await api.send(eli, slow_team.group, "/join")
    await api.wait_for(lambda: [c for c in api.calls[seen:] if c.method == "sendMessage" and c.params])
    slow_call = next(c for c in api.calls[seen:] if c.method == "sendMessage")
    assert slow_call.params["chat_id"] == slow_team.group.id
    await api.send(gus, other.group, "/join")
    # Gus is answered while Eli's answer is on its way...
    await api.wait_for(lambda: any("Gus" in m.text for m in api.chat_log(other.group)), timeout=5)
    assert not any("Eli" in m.text for m in api.chat_log(slow_team.group))
    # ...and Eli's update is not confirmed meanwhile (nor Gus's, behind it: an offset confirms all before it).
    assert [u["message"]["from"]["first_name"] for u in api.pending_updates()] == ["Eli", "Gus"]
    await api.wait_for(lambda: any("Eli" in m.text for m in api.chat_log(slow_team.group)), timeout=10)
    await api.wait_idle()


class LiveAnswers:
    """The burst as members give it in a live round: rating presses on the card in one group, and
    evidence replies to the stage question in another (25 members each; 25 + 475 answers).

    Teams, members and the rounds are written straight into the database; the bot posts the card and
    the question itself at its first start (bench/bot_process.py), so every answer is on a real button
    or a real prompt and goes through the live round's own handlers.
    """

    REPLIES_EACH = 19

    def __init__(self, api: LocalBotApi, database_url: str, anonymous: bool = False) -> None:
        from bench.common import seed_live_rounds

        self.api = api
        (self.rating_chat, self.raters, _), (self.stage_chat, self.writers, _) = seed_live_rounds(
            api, database_url, groups=2, per_group=25, prefix="Crash", stage_groups=1, anonymous=anonymous
        )

    async def send(self) -> int:
        from bench.common import rating_buttons, stage_prompt

        _, places = rating_buttons(self.api, self.rating_chat)
        card = next(m for m in reversed(self.api.chat_log(self.rating_chat)) if m.buttons)
        prompt = stage_prompt(self.api, self.stage_chat)
        sent = 0
        for k in range(self.REPLIES_EACH):
            for i, user in enumerate(self.writers):
                if k == 0:
                    rater = self.raters[i]
                    await self.api.press(rater, card, places[i % len(places)])
                    sent += 1
                await self.api.send(user, self.stage_chat, f"what happened {user.id}-{k}", reply_to=prompt)
                sent += 1
        return sent

    def expected_evidence(self) -> list[str]:
        return sorted(f"what happened {u.id}-{k}" for u in self.writers for k in range(self.REPLIES_EACH))

    def stored(self, db: Database) -> tuple[list[int], list[str]]:
        from piebot.storage.models import Evidence, Rating

        with db.session() as s:
            raters = [m.telegram_user_id for r, m in s.exec(
                select(Rating, Member).join(Member, Member.id == Rating.member_id)
            )]
            texts = [e.text for e in s.exec(select(Evidence))]
        return raters, texts


@pytest.mark.slow
async def test_killed_during_ratings_and_evidence_every_answer_is_stored_exactly_once(api, tmp_path):
    from bench.common import cards_posted

    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    burst = LiveAnswers(api, database_url)
    db = Database(database_url)
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log", argv=("-m", "bench.bot_process", "piebot"))
    rng = random.Random(os.environ.get("PIEBOT_CRASH_SEED", "7"))
    try:
        await bot.start()
        teams_made = [(burst.rating_chat, burst.raters, False), (burst.stage_chat, burst.writers, True)]
        await api.wait_for(lambda: cards_posted(api, teams_made), timeout=60)
        assert await burst.send() == 500
        kills = 0
        while kills < 5 and api.pending_updates():
            # The bot gets through 500 answers in a few seconds: kill it early and often.
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            await bot.kill()
            kills += 1
            await bot.start()
        assert kills >= 2, "the bot finished before it could be killed enough; make the burst bigger"
        await api.wait_for(lambda: not api.pending_updates(), timeout=180)
        await api.wait_idle(timeout=60, quiet=0.5)
        raters, texts = burst.stored(db)
        assert sorted(raters) == sorted(u.id for u in burst.raters), bot.log()
        assert sorted(texts) == burst.expected_evidence(), bot.log()
    finally:
        await bot.stop()
        db.dispose()


@pytest.mark.slow
async def test_killed_during_anonymous_ratings_and_evidence_every_answer_is_stored_exactly_once(api, tmp_path):
    """The same burst in anonymous rounds: each answer is sealed with its update id and enters the answers
    once, in a batch of its own transaction, however often the bot dies between the two."""
    from bench.common import cards_posted
    from piebot.storage import rounds
    from piebot.storage.db import session_scope
    from piebot.storage.models import Evidence, Participation, Rating, Round, SealedBallot

    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    burst = LiveAnswers(api, database_url, anonymous=True)
    db = Database(database_url, secret=secret())
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log", argv=("-m", "bench.bot_process", "piebot"))
    rng = random.Random(os.environ.get("PIEBOT_CRASH_SEED", "8"))
    try:
        await bot.start()
        teams_made = [(burst.rating_chat, burst.raters, False), (burst.stage_chat, burst.writers, True)]
        await api.wait_for(lambda: cards_posted(api, teams_made), timeout=60)
        assert await burst.send() == 500
        kills = 0
        while kills < 5 and api.pending_updates():
            await asyncio.sleep(rng.uniform(0.05, 0.6))
            await bot.kill()
            kills += 1
            await bot.start()
        assert kills >= 2, "the bot finished before it could be killed enough; make the burst bigger"
        await api.wait_for(lambda: not api.pending_updates(), timeout=180)
        await api.wait_idle(timeout=60, quiet=0.5)
        await bot.stop()
        with db.session() as s:
            # Each rater answered once: one Participation row each, nothing naming them on an answer.
            raters = [m.telegram_user_id for p, m in s.exec(
                select(Participation, Member).join(Member, Member.id == Participation.member_id)
                .where(Participation.part == "rating"))]
            assert sorted(raters) == sorted(u.id for u in burst.raters), bot.log()
            round_ids = [r.id for r in s.exec(select(Round))]
        # The close opens every box (three people or more per question): every answer is there once.
        for round_id in round_ids:
            with session_scope(db) as s:
                rounds.close_round(s, s.get(Round, round_id))
        with db.session() as s:
            assert len(s.exec(select(Rating)).all()) == len(burst.raters)
            assert all(r.member_id is None and r.id < 0 for r in s.exec(select(Rating)))
            assert sorted(e.text for e in s.exec(select(Evidence))) == burst.expected_evidence(), bot.log()
            assert s.exec(select(SealedBallot)).all() == []
    finally:
        await bot.stop()
        db.dispose()
