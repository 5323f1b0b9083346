"""Playing an async round as people in their private chats, for the end-to-end tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlmodel import select

from piebot import clock
from piebot.storage import rounds, teams
from piebot.storage.models import Participation
from piebot.telegram.rounds import walk

LONDON = ZoneInfo("Europe/London")


def _future_morning(days: int = 7, hour: int = 10) -> datetime:
    """A weekday morning in the real future, so the real job queue never fires during a test."""
    local = (datetime.now(LONDON) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local.astimezone(timezone.utc)


class Clock:
    def __init__(self, monkeypatch, start: datetime) -> None:
        self.at = start
        monkeypatch.setattr(clock, "now", lambda: self.at)

    def move(self, **delta) -> None:
        self.at += timedelta(**delta)


def frozen_clock(monkeypatch) -> Clock:
    """piebot's clock stopped on a weekday morning; tests move it on instead of waiting."""
    return Clock(monkeypatch, _future_morning())


def open_async(harness, group, *, elements=("training", "support"), anonymous=False, days=2, now=None) -> int:
    with harness.db.session() as s:
        team = teams.team_for_chat(s, group.id)
        round_ = rounds.open_round(
            s, team_id=team.id, element_ids=list(elements), scope="theme", scope_ref="training-and-support",
            mode="async", anonymous=anonymous, framework_variant=team.framework_variant, opened_by=None,
            deadline=(now or clock.now()) + timedelta(days=days),
        )
        s.commit()
        return round_.id


async def opened(api, harness, team, **kwargs) -> int:
    round_id = open_async(harness, team.group, **kwargs)
    await walk.open_async_round(harness.bot.app, round_id)
    await api.wait_idle()
    return round_id


def status_message(api, group):
    return next(m for m in api.chat_log(group) if "have finished" in m.text or "Closed ·" in m.text)


async def tap(api, user, message, suffix: str):
    """Press the button whose data ends in `suffix` (e.g. 'L2', 'P2.3', 'skip'); wait for the answer."""
    data = next(d for row in message.buttons for _, d in row if d and d.endswith(":" + suffix))
    query_id = await api.press(user, message, data)
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


async def next_prompt(api, user, before: int):
    """The bot's next walk question in `user`'s private chat after `before` messages."""
    await api.wait_for(lambda: asking(api, user) and prompt_of(api, user) in api.chat_log(user)[before:])
    return prompt_of(api, user)


def _questions(api, user) -> list:
    # A walk question always offers "Stop for now"; nudges and offers don't.
    return [m for m in api.chat_log(user) if any(d.endswith(":later") for row in m.buttons for _, d in row)]


def prompt_of(api, user):
    return _questions(api, user)[-1]


def asking(api, user) -> str:
    """The text of the question waiting for `user` ('' while the bot is between questions)."""
    waiting = _questions(api, user)
    return waiting[-1].text if waiting else ""


async def rate(api, user, level: int, position: int):
    prompt = prompt_of(api, user)
    assert "Where would you put us now" in prompt.text
    before = len(api.chat_log(user))
    await tap(api, user, prompt, f"L{level}")
    await api.wait_for(lambda: "where in it?" in prompt_now(api, prompt).text)
    await tap(api, user, prompt_now(api, prompt), f"P{level}.{position}")
    return await next_prompt(api, user, before)


def prompt_now(api, prompt):
    return next(m for m in api.chat_log(prompt.chat_id) if m.message_id == prompt.message_id)


async def skip(api, user):
    before = len(api.chat_log(user))
    await tap(api, user, prompt_of(api, user), "skip")
    await api.wait_for(lambda: len(api.chat_log(user)) > before)
    return api.last(user)


async def answer(api, user, text: str):
    before = len(api.chat_log(user))
    await api.send(user, user, text)
    await api.wait_for(lambda: len(api.chat_log(user)) > before)
    return api.last(user)


async def finish_with_skips(api, user):
    while "That's everything" not in api.last(user).text:
        await skip(api, user)
    assert "That's everything" in api.last(user).text


def finished_count(harness, round_id: int) -> int:
    with harness.db.session() as s:
        return len(s.exec(select(Participation).where(
            Participation.subject == f"round:{round_id}", Participation.part == "finished")).all())


async def said(api, chat, words: str, *, after: int = 0, timeout: float = 30.0):
    """The bot's latest message in `chat` (from index `after`) containing `words`. Generous timeout: after
    a round closes, charts share the group's rate limit (20 a minute) and messages may queue."""
    def found():
        hits = [m for m in api.chat_log(chat)[after:] if words in m.text]
        return hits[-1] if hits else None

    return await api.wait_for(found, timeout=timeout)
