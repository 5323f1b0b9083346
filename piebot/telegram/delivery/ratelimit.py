"""The one rate limiter every Bot API call goes through: Telegram's budgets kept per chat, a 429 held
against the chat it was for, 5xx and time-outs retried with back-off, a group's move to a supergroup
followed, and a button answer that Telegram refuses taken as answered.

Why not PTB's AIORateLimiter: on any 429 it pauses *every* call of the process, button answers
included, until the retry_after has passed, so one group over its budget stalls every team (a 429
"retry after 36" meant 36 s of silence for all); and its per-group limiter is a leaky bucket, which
lets more than 20 messages into a minute after a burst and so draws the very 429s it then waits out.

Here:
- Only calls that send or edit a message count (send*, edit*, copy*, forward*), each against its
  chat's window and the overall one (budget.Window: never more than the limit in any window).
  A button answer, a getChatMember, a chat action or a command menu is never queued or held.
- A chat's calls wait in one queue in priority order: answers to presses and edits of cards and
  wizards (edits and messages with buttons) first, prompts and plain messages next, photos, albums
  and documents last; a call that has waited long rises (budget.AGING_SECONDS). A call can name its
  own with PTB's ``rate_limit_args=Priority.FILE``.
- A 429 holds back the chat it was for. The overall budget is held only when the overall limit was
  what was hit: the call had no chat, our own count says the bot had just spent its overall budget,
  or several chats drew 429s at once.
- A failed ``answerCallbackQuery`` (too old, already answered, Telegram unreachable) is logged once at
  INFO and reported as answered: whether a press is answered must never decide whether its work
  happens. It is never queued behind messages and never retried for a 429.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

from piebot import metrics
from piebot.telegram.delivery.budget import AGING_SECONDS, Gate, Lane, Slot, Window, run_lane

log = logging.getLogger(__name__)

# Telegram's limits (the local Bot API server's Limits keep the same three rules):
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
# "About one message a second" in a private chat, with bursts of a few: three in any three seconds.
PRIVATE_CHAT = (3, 3.0)

FILE_METHODS = frozenset({
    "sendPhoto", "sendDocument", "sendMediaGroup", "sendVideo", "sendAudio", "sendAnimation", "sendVoice",
    "sendVideoNote", "sendSticker", "sendPaidMedia",
})
# A button answer that meets a server error is tried this many times in all, the first retry after this
# many seconds and each next one after twice as long (0.2 + 0.4 s).
ANSWER_ATTEMPTS = 3
ANSWER_RETRY_SECONDS = 0.2
# Several chats drawing 429s within this many seconds means the overall limit, not theirs.
OVERALL_SUSPICION_SECONDS = 1.0
_MAX_LANES = 2000


class Priority(IntEnum):
    """Who goes first when several calls wait for one chat's budget (lower first)."""

    ANSWER = 0  # edits of cards and wizards, messages with buttons
    MESSAGE = 1  # prompts and plain messages
    FILE = 2  # photos, albums, documents: charts and reports


def priority_of(endpoint: str, data: dict[str, Any], explicit: Any = None) -> Priority:
    if explicit is not None:
        return Priority(int(explicit))
    if endpoint.startswith("edit"):
        return Priority.ANSWER
    if endpoint in FILE_METHODS:
        return Priority.FILE
    markup = data.get("reply_markup")
    if getattr(markup, "inline_keyboard", None) or (isinstance(markup, dict) and markup.get("inline_keyboard")):
        return Priority.ANSWER
    return Priority.MESSAGE


def counts_as_message(endpoint: str) -> bool:
    return endpoint.startswith(("send", "edit", "copy", "forward")) and endpoint != "sendChatAction"


def _messages_in(endpoint: str, data: dict[str, Any]) -> int:
    if endpoint == "sendMediaGroup":
        return max(1, len(data.get("media") or ()))
    if endpoint in ("copyMessages", "forwardMessages"):
        return max(1, len(data.get("message_ids") or ()))
    return 1


def _chat_key(chat_id: Any) -> int | str | None:
    """One lane per chat, whether its id came as a number or as a string of digits."""
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id.lower()  # @channelusername
    return chat_id


def retry_after_seconds(exc: RetryAfter) -> float:
    # PTB 22.2+ keeps a timedelta and warns when the public attribute is read as a number.
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class PatientRateLimiter(BaseRateLimiter[int]):
    """Telegram's budgets per chat and overall, 429s held per chat, 5xx and time-outs retried.

    Every call goes through here, from handlers and scheduled jobs alike, so no feature needs its own
    retry loop. `group_max_rate` (per minute) and the `group`, `private_chat` and `overall` windows,
    (count, seconds), can be widened for the demo and for tests that do not model Telegram's limits.
    """

    def __init__(self, *, network_retries: int = 5, first_backoff: float = 0.5, max_retries: int = 8,
                 group_max_rate: int | None = None, group: tuple[int, float] | None = None,
                 private_chat: tuple[int, float] | None = None, overall: tuple[int, float] | None = None,
                 aging: float = AGING_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.network_retries = network_retries
        self.first_backoff = first_backoff
        self.max_retries = max_retries
        # Read at construction, so a test may set the module's GROUP_PER_MINUTE first.
        self.group = group or (group_max_rate or GROUP_PER_MINUTE, 60.0)
        self.private_chat = private_chat or PRIVATE_CHAT
        self.overall_limit = overall or (OVERALL_PER_SECOND, 1.0)
        self.clock = clock
        self.aging = aging
        self.gate = Gate(Window(*self.overall_limit), clock)
        self.lanes: dict[int | str | None, Lane] = {}
        self._recent_429s: dict[int | str | None, float] = {}
        # async fn(old_chat_id, new_chat_id), told when a call met a group that became a supergroup.
        self.on_chat_migrated: list = []

    @classmethod
    def without_chat_limits(cls, **kwargs) -> PatientRateLimiter:
        """For the demo and tests, against a local Bot API server that keeps no per-chat limits: only the
        overall budget, 429s and retries as usual."""
        return cls(group=(100_000, 60.0), private_chat=(100_000, 1.0), **kwargs)

    async def initialize(self) -> None:
        """Nothing to set up: lanes are made as chats are met."""

    async def shutdown(self) -> None:
        self.gate.cancel()
        for lane in self.lanes.values():
            if lane.pump is not None:
                lane.pump.cancel()
            for waiter in lane.queue:
                waiter.granted.cancel()
        self.lanes.clear()

    # ------------------------------------------------------------------------------------ a call

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if endpoint == "answerCallbackQuery":
            return await self._answer(callback, args, kwargs, endpoint, data)
        return await self._patiently(callback, args, kwargs, endpoint, data, rate_limit_args)

    async def _answer(self, callback, args, kwargs, endpoint, data):
        # A button answer is only a toast: a passing server error gets two quick tries more (under a
        # second in all, as the press's work and card refresh wait for it); anything else is not retried.
        delay = ANSWER_RETRY_SECONDS
        for attempt in range(ANSWER_ATTEMPTS):
            try:
                return await callback(*args, **kwargs)
            except (BadRequest, Forbidden, RetryAfter, TimedOut) as exc:
                # Too old (Telegram keeps a press answerable for about 15 s), answered already (a repeated
                # update), held back, or no word in time: the person misses a toast, the work goes on.
                return self._answer_lost(exc)
            except NetworkError as exc:  # a 5xx or a dropped connection: Telegram did not take it
                if attempt + 1 == ANSWER_ATTEMPTS:
                    return self._answer_lost(exc)
                await asyncio.sleep(delay)
                delay *= 2
        return True

    def _answer_lost(self, exc: Exception) -> bool:
        metrics.BUTTON_ANSWERS_LOST.inc()
        log.info("a button answer was not delivered (%s: %s); carrying on", type(exc).__name__, str(exc)[:80])
        return True

    async def _patiently(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        return await self._with_network_retries(callback, args, kwargs, endpoint, data, rate_limit_args,
                                                retry_429=True)

    async def _with_network_retries(self, callback, args, kwargs, endpoint, data, rate_limit_args, *, retry_429):
        delay = self.first_backoff
        failures = too_many = moves = 0
        while True:
            try:
                return await self._once(callback, args, kwargs, endpoint, data, rate_limit_args)
            except ChatMigrated as exc:
                # A send to a group's old id after it became a supergroup: the data moves, the call goes
                # again to the new id (`data` is what the callback sends).
                old = data.get("chat_id")
                moves += 1
                if moves > 2 or old is None or old == exc.new_chat_id:
                    raise
                for hook in self.on_chat_migrated:
                    await hook(int(old), exc.new_chat_id)
                data["chat_id"] = exc.new_chat_id
                # The message being answered stayed behind in the old group.
                data.pop("reply_parameters", None)
                data.pop("reply_to_message_id", None)
            except RetryAfter as exc:
                too_many += 1
                if not retry_429 or too_many > self.max_retries:
                    raise
                wait = retry_after_seconds(exc)
                self._held(endpoint, _chat_key(data.get("chat_id")), wait)
                if not counts_as_message(endpoint):
                    await asyncio.sleep(wait)  # only this call waits; nothing else is held
            except (BadRequest, Forbidden):
                raise  # the request itself is at fault
            except (TimedOut, NetworkError):
                # getUpdates has its own loop; everything else is worth another go.
                failures += 1
                if failures > self.network_retries or endpoint == "getUpdates":
                    raise
                log.info("Telegram %s failed (attempt %d); retrying in %.1fs", endpoint, failures, delay)
                await asyncio.sleep(delay * (0.8 + random.random() * 0.4))
                delay = min(delay * 2, 10)

    async def _once(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if not counts_as_message(endpoint):
            return await callback(*args, **kwargs)
        chat = _chat_key(data.get("chat_id"))
        slots = await self._take(chat, priority_of(endpoint, data, rate_limit_args), _messages_in(endpoint, data))
        try:
            return await callback(*args, **kwargs)
        finally:
            self._release(slots, chat)

    # ------------------------------------------------------------------------------------ budgets

    def _lane(self, chat_id) -> Lane:
        lane = self.lanes.get(chat_id)
        if lane is None:
            if len(self.lanes) > _MAX_LANES:
                self._forget_idle_lanes()
            lane = self.lanes[chat_id] = Lane(Window(*self._limit_of(chat_id)), self.aging)
        return lane

    def _limit_of(self, chat_id) -> tuple[int, float]:
        if chat_id is None:
            return self.overall_limit  # no chat: the overall budget only
        if isinstance(chat_id, str):
            return self.group  # @channelusername
        return self.private_chat if chat_id > 0 else self.group

    def _forget_idle_lanes(self) -> None:
        now = self.clock()
        for key in [k for k, lane in self.lanes.items() if lane.idle(now)]:
            del self.lanes[key]

    async def _take(self, chat_id, priority: Priority, need: int) -> list[Slot]:
        lane = self._lane(chat_id)
        granted = lane.enqueue(priority, need, self.clock())
        if lane.pump is None or lane.pump.done():
            lane.pump = asyncio.create_task(run_lane(lane, self.gate, self.clock), name=f"piebot-rate-lane-{chat_id}")
        try:
            return await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(granted.result(), chat_id)
            else:
                granted.cancel()
            raise

    def _release(self, slots: list[Slot], chat_id) -> None:
        now = self.clock()
        for slot in slots:
            slot.at = now
        lane = self.lanes.get(chat_id)
        if lane is not None:
            lane.poke()
        self.gate.poke()

    def _held(self, endpoint: str, chat_id, seconds: float) -> None:
        now = self.clock()
        until = now + seconds
        # The overall budget is held only when the 429 was plainly not this chat's own: no chat, or other
        # chats drawing 429s within a second. A full overall window alone says nothing (a fan-out fills it
        # while staying within Telegram's limit), and holding every chat for one group's 36 s would stall
        # every team.
        overall = chat_id is None or any(
            other != chat_id and at > now - OVERALL_SUSPICION_SECONDS for other, at in self._recent_429s.items())
        self._recent_429s = {k: at for k, at in self._recent_429s.items() if at > now - OVERALL_SUSPICION_SECONDS}
        self._recent_429s[chat_id] = now
        scope = "overall" if overall else "chat"
        metrics.TOO_MANY_REQUESTS.labels(scope).inc()
        log.info("Telegram asked to wait %.0fs (%s, %s budget)", seconds, endpoint, scope)
        if not counts_as_message(endpoint):
            return
        self._lane(chat_id).hold(until)
        if overall:
            self.gate.hold(until)
