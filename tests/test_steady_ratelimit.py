"""The rate limiter on its own: sliding windows never exceeded, priorities per chat, a 429 held against
its chat only, button answers that can fail without stopping anything."""

from __future__ import annotations

import asyncio
import logging
import random
import time

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from piebot.localapi import Limits
from piebot.telegram.delivery import ratelimit
from piebot.telegram.delivery.ratelimit import PatientRateLimiter, Priority, priority_of

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


class Recorder:
    """A stand-in for PTB's request: records when each call reached "Telegram" and when it came back."""

    def __init__(self, duration: float = 0.0, fail: dict | None = None) -> None:
        self.duration = duration
        self.calls: list[tuple[str, object, float, float, object]] = []
        self.fail = fail or {}

    async def __call__(self, endpoint: str, data: dict):
        started = time.monotonic()
        errors = self.fail.get((endpoint, data.get("chat_id")))
        if errors:
            error = errors.pop(0)
            self.calls.append((endpoint, data.get("chat_id"), started, time.monotonic(), data.get("n")))
            raise error
        await asyncio.sleep(self.duration * random.random())
        self.calls.append((endpoint, data.get("chat_id"), started, time.monotonic(), data.get("n")))
        return {"ok": data.get("n")}


async def call(limiter, recorder, endpoint, data, rate_limit_args=None):
    return await limiter.process_request(recorder, (endpoint, data), {}, endpoint, data, rate_limit_args)


def most_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + seconds) for start in times), default=0)


async def test_no_window_ever_holds_more_than_its_limit():
    limiter = PatientRateLimiter(group=(5, 0.5), private_chat=(2, 0.3), overall=(8, 0.4))
    recorder = Recorder(duration=0.03)
    chats = [-1, -2, 7, 8]
    await asyncio.gather(*(call(limiter, recorder, "sendMessage", {"chat_id": chats[n % 4], "n": n})
                           for n in range(48)))
    assert len(recorder.calls) == 48
    # Telegram sees a message somewhere between the call and its answer: check both ends.
    for moment in (2, 3):
        for chat, (count, seconds) in ((-1, (5, 0.5)), (-2, (5, 0.5)), (7, (2, 0.3)), (8, (2, 0.3))):
            times = [c[moment] for c in recorder.calls if c[1] == chat]
            assert most_in_any_window(times, seconds) <= count, (chat, moment)
        assert most_in_any_window([c[moment] for c in recorder.calls], 0.4) <= 8


async def test_calls_that_are_not_messages_are_never_queued():
    limiter = PatientRateLimiter(group=(1, 5.0))
    recorder = Recorder()
    await call(limiter, recorder, "sendMessage", {"chat_id": -1})
    started = time.monotonic()
    for endpoint in ("answerCallbackQuery", "getChatMember", "sendChatAction", "setMyCommands", "deleteMessage"):
        await call(limiter, recorder, endpoint, {"chat_id": -1, "callback_query_id": "1"})
    assert time.monotonic() - started < 0.5
    assert len(recorder.calls) == 6


async def test_one_chats_waiting_calls_go_in_priority_order():
    limiter = PatientRateLimiter(private_chat=(1, 0.3))
    recorder = Recorder()
    await call(limiter, recorder, "sendMessage", {"chat_id": 5, "n": "first"})
    waiting = [
        asyncio.create_task(call(limiter, recorder, "sendPhoto", {"chat_id": 5, "n": "chart"})),
        asyncio.create_task(call(limiter, recorder, "sendMessage", {"chat_id": 5, "n": "prompt"})),
        asyncio.create_task(call(limiter, recorder, "sendDocument", {"chat_id": 5, "n": "report"})),
        asyncio.create_task(call(limiter, recorder, "editMessageText", {"chat_id": 5, "n": "card"})),
        asyncio.create_task(call(limiter, recorder, "sendMessage", {"chat_id": 5, "n": "late"},
                                 rate_limit_args=Priority.ANSWER)),
    ]
    await asyncio.gather(*waiting)
    assert [c[4] for c in recorder.calls[1:]] == ["card", "late", "prompt", "chart", "report"]


async def test_a_call_that_waited_long_goes_before_newer_better_ones():
    limiter = PatientRateLimiter(private_chat=(1, 0.8), aging=0.3)
    recorder = Recorder()
    await call(limiter, recorder, "sendMessage", {"chat_id": 5, "n": "first"})
    chart = asyncio.create_task(call(limiter, recorder, "sendPhoto", {"chat_id": 5, "n": "chart"}))
    await asyncio.sleep(0.65)
    edits = [asyncio.create_task(call(limiter, recorder, "editMessageText", {"chat_id": 5, "n": f"edit {n}"}))
             for n in range(2)]
    await asyncio.gather(chart, *edits)
    assert [c[4] for c in recorder.calls] == ["first", "chart", "edit 0", "edit 1"]


def test_priority_is_read_from_the_call():
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    assert priority_of("editMessageText", {}) == Priority.ANSWER
    assert priority_of("sendMessage", {"reply_markup": keyboard}) == Priority.ANSWER
    assert priority_of("sendMessage", {"reply_markup": {"force_reply": True}}) == Priority.MESSAGE
    assert priority_of("sendMessage", {}) == Priority.MESSAGE
    assert priority_of("sendMediaGroup", {}) == Priority.FILE
    assert priority_of("sendDocument", {}, Priority.ANSWER) == Priority.ANSWER


async def test_a_429_holds_back_only_its_chat():
    limiter = PatientRateLimiter()
    recorder = Recorder(fail={("sendMessage", -1): [RetryAfter(1)]})
    started = time.monotonic()
    held = asyncio.create_task(call(limiter, recorder, "sendMessage", {"chat_id": -1, "n": "held"}))
    await asyncio.sleep(0.05)
    # Another group, a private chat and a button answer are not held.
    await call(limiter, recorder, "sendMessage", {"chat_id": -2})
    await call(limiter, recorder, "sendMessage", {"chat_id": 9})
    await call(limiter, recorder, "answerCallbackQuery", {"callback_query_id": "1"})
    assert time.monotonic() - started < 0.5
    # The held chat's later calls wait with it.
    later = asyncio.create_task(call(limiter, recorder, "editMessageText", {"chat_id": -1}))
    assert (await held) == {"ok": "held"}
    await later
    retried = [c for c in recorder.calls if c[1] == -1]
    assert len(retried) == 3 and retried[1][2] - started >= 0.95


async def test_a_groups_429_during_a_fan_out_holds_back_only_that_group():
    # The overall window nearly full (a fan-out within Telegram's 30 a second) and one group's own 429:
    # the other chats go on; only that group waits.
    limiter = PatientRateLimiter(overall=(10, 1.0))
    recorder = Recorder(fail={("sendMessage", -1): [RetryAfter(2)]})
    await asyncio.gather(*(call(limiter, recorder, "sendMessage", {"chat_id": 100 + n}) for n in range(8)))
    started = time.monotonic()
    held = asyncio.create_task(call(limiter, recorder, "sendMessage", {"chat_id": -1}))
    await asyncio.sleep(0.05)
    await call(limiter, recorder, "sendMessage", {"chat_id": -2})
    assert time.monotonic() - started < 1.5
    await held
    assert time.monotonic() - started >= 1.9


async def test_several_chats_drawing_429s_at_once_hold_the_overall_budget():
    limiter = PatientRateLimiter()
    recorder = Recorder(fail={("sendMessage", -1): [RetryAfter(1)], ("sendMessage", -2): [RetryAfter(1)]})
    started = time.monotonic()
    first = asyncio.gather(call(limiter, recorder, "sendMessage", {"chat_id": -1}),
                           call(limiter, recorder, "sendMessage", {"chat_id": -2}))
    await asyncio.sleep(0.05)
    await call(limiter, recorder, "sendMessage", {"chat_id": -3})
    assert time.monotonic() - started >= 0.9
    await first


async def test_a_refused_button_answer_counts_as_answered_and_is_logged_once(caplog):
    caplog.set_level(logging.DEBUG)
    limiter = PatientRateLimiter(first_backoff=0.01)
    too_old = BadRequest("Query is too old and response timeout expired or query id is invalid")
    recorder = Recorder(fail={("answerCallbackQuery", None): [too_old]})
    assert await call(limiter, recorder, "answerCallbackQuery", {"callback_query_id": "1"}) is True
    records = [r for r in caplog.records if r.name == ratelimit.__name__]
    assert len(records) == 1 and records[0].levelno == logging.INFO and records[0].exc_info is None
    assert "too old" in records[0].getMessage()
    # A passing server error: two quick tries more, silently, and the toast gets through.
    recorder = Recorder(fail={("answerCallbackQuery", None): [NetworkError("Bad Gateway")] * 2})
    started = time.monotonic()
    assert await call(limiter, recorder, "answerCallbackQuery", {"callback_query_id": "2"}) == {"ok": None}
    assert len(recorder.calls) == 3 and time.monotonic() - started < 1.0
    # Out of reach for longer: given up within a second (the press's card refresh waits for it), once.
    recorder = Recorder(fail={("answerCallbackQuery", None): [NetworkError("Bad Gateway")] * 5})
    started = time.monotonic()
    assert await call(limiter, recorder, "answerCallbackQuery", {"callback_query_id": "3"}) is True
    assert len(recorder.calls) == 3 and time.monotonic() - started < 1.0
    # A time-out or a 429 is not tried again.
    for error in (TimedOut(), RetryAfter(5)):
        recorder = Recorder(fail={("answerCallbackQuery", None): [error]})
        assert await call(limiter, recorder, "answerCallbackQuery", {"callback_query_id": "4"}) is True
        assert len(recorder.calls) == 1
    records = [r for r in caplog.records if r.name == ratelimit.__name__]
    assert len(records) == 4 and all(r.levelno == logging.INFO and r.exc_info is None for r in records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_refusals_are_raised_at_once_and_a_moved_group_is_followed():
    limiter = PatientRateLimiter()
    recorder = Recorder(fail={("sendMessage", 4): [Forbidden("Forbidden: bot was blocked by the user")]})
    with pytest.raises(Forbidden):
        await call(limiter, recorder, "sendMessage", {"chat_id": 4})
    assert len(recorder.calls) == 1
    moved = []

    async def hook(old, new):
        moved.append((old, new))

    limiter.on_chat_migrated.append(hook)
    recorder = Recorder(fail={("sendMessage", -10): [ChatMigrated(-100777)]})
    data = {"chat_id": -10, "reply_parameters": {"message_id": 3}}
    await call(limiter, recorder, "sendMessage", data)
    assert moved == [(-10, -100777)] and data == {"chat_id": -100777}


async def test_an_album_counts_each_picture():
    limiter = PatientRateLimiter(private_chat=(3, 0.5))
    recorder = Recorder()
    started = time.monotonic()
    await call(limiter, recorder, "sendMediaGroup", {"chat_id": 3, "media": [1, 2, 3]})
    await call(limiter, recorder, "sendMessage", {"chat_id": 3})
    assert time.monotonic() - started >= 0.45


async def test_an_album_bigger_than_the_window_waits_for_it_to_empty_then_fills_it():
    limiter = PatientRateLimiter(private_chat=(3, 0.5))
    recorder = Recorder()
    await call(limiter, recorder, "sendMessage", {"chat_id": 3, "n": "intro"})
    await asyncio.wait_for(call(limiter, recorder, "sendMediaGroup", {"chat_id": 3, "n": "album",
                                                                      "media": [1, 2, 3, 4, 5]}), 2)
    await call(limiter, recorder, "sendMessage", {"chat_id": 3, "n": "after"})
    intro, album, after = (c[2] for c in recorder.calls)
    assert album - intro >= 0.45 and after - album >= 0.45


def test_the_local_server_keeps_the_same_limits():
    limits = Limits()
    assert limits.overall == (ratelimit.OVERALL_PER_SECOND, 1.0)
    assert limits.per_group == (ratelimit.GROUP_PER_MINUTE, 60.0)
    assert limits.per_private_chat == ratelimit.PRIVATE_CHAT
