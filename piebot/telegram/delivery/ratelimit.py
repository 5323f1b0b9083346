"""The one rate limiter every Bot API call goes through: Telegram's limits, 429s waited out, 5xx and
time-outs retried with back-off, and a group's move to a supergroup followed."""

from __future__ import annotations

import asyncio
import logging
import random

from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Telegram's documented limits: 30 messages a second overall, 20 a minute in one group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20


class PatientRateLimiter(AIORateLimiter):
    """Telegram's rate limits, 429s waited out, and 5xx or time-outs retried with backoff.

    Every call goes through here, from handlers and scheduled jobs alike, so no feature
    needs its own retry loop.
    """

    def __init__(self, *, network_retries: int = 5, first_backoff: float = 0.5, **kwargs) -> None:
        super().__init__(
            # One message every 1/29 s, no burst: aiolimiter is a leaky bucket, so (30, 1) lets 30
            # through at once and 30 more within the same second, which Telegram answers with 429s
            # (and one 429 pauses every call, button answers too). 1 + 29 never exceeds 30 in any second.
            overall_max_rate=1,
            overall_time_period=1 / (OVERALL_PER_SECOND - 1),
            group_max_rate=kwargs.pop("group_max_rate", GROUP_PER_MINUTE),
            group_time_period=60,
            max_retries=kwargs.pop("max_retries", 8),
            **kwargs,
        )
        self.network_retries = network_retries
        self.first_backoff = first_backoff
        # async fn(old_chat_id, new_chat_id), told when a call met a group that became a supergroup.
        self.on_chat_migrated: list = []

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if not _is_message(endpoint):
            # Only messages count against Telegram's chat limits; a getChatMember or a button
            # answer must not queue behind a group's 20-a-minute budget.
            data = {}
        delay = self.first_backoff
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except ChatMigrated as exc:
                # A send to a group's old id after it became a supergroup: the data moves, the
                # call goes again to the new id (`data` is what the callback sends).
                old = data.get("chat_id")
                if attempt == self.network_retries or old is None or old == exc.new_chat_id:
                    raise
                for hook in self.on_chat_migrated:
                    await hook(int(old), exc.new_chat_id)
                data["chat_id"] = exc.new_chat_id
                # The message being answered stayed behind in the old group.
                data.pop("reply_parameters", None)
                data.pop("reply_to_message_id", None)
            except (BadRequest, Forbidden, RetryAfter):
                raise  # the request itself is at fault, or the limiter already waited
            except (TimedOut, NetworkError):
                # getUpdates has its own loop; everything else is worth another go.
                if attempt == self.network_retries or endpoint == "getUpdates":
                    raise
                log.info("Telegram %s failed (attempt %d); retrying in %.1fs", endpoint, attempt + 1, delay)
                await asyncio.sleep(delay * (0.8 + random.random() * 0.4))
                delay = min(delay * 2, 10)
        return None


def _is_message(endpoint: str) -> bool:
    return endpoint.startswith(("send", "edit", "copy", "forward"))
