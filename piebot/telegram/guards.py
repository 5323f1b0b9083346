"""Who may do what: checked against Telegram's own admin list and our member rows.

Asking Telegram can fail for two very different reasons: the answer is no (the bot is not in the chat
any more, the person is not in it), or Telegram could not be asked (a time-out, a network error, a
5xx). The first is an answer; the second raises `TelegramUnreachable`, which is never taken as a
refusal: whoever meets it says kindly to try again in a minute and changes nothing (for a handler that
lets it pass, the error handler in piebot.telegram.app says it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import TypeVar

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes

from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

T = TypeVar("T")

ADMIN_CACHE_SECONDS = 60.0
# How long a membership or admin check may take, retries included, before it counts as "could not ask":
# the person is waiting, and so are their chat's later updates.
ASK_SECONDS = 10.0


class TelegramUnreachable(Exception):
    """Telegram could not be asked just now: neither a yes nor a no."""


async def ask_telegram(call: Awaitable[T]) -> T:
    """Await a question to Telegram; its "no" (BadRequest, Forbidden) comes through as it is, anything that
    only says Telegram could not be reached in time becomes TelegramUnreachable."""
    try:
        return await asyncio.wait_for(call, ASK_SECONDS)
    except (BadRequest, Forbidden):
        raise
    except (NetworkError, RetryAfter, TimeoutError) as exc:  # TimedOut and 5xx are NetworkErrors
        log.info("could not ask Telegram (%s)", type(exc).__name__)
        raise TelegramUnreachable from exc


async def member_status(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> str | None:
    """Their status in the chat ("member", "left"...), or None when the bot cannot see the chat (it was
    removed, or never was in it). Raises TelegramUnreachable when Telegram could not be asked."""
    try:
        return (await ask_telegram(context.bot.get_chat_member(chat_id, user_id))).status
    except (BadRequest, Forbidden):
        return None


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def chat_admin_ids(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> frozenset[int]:
    rt = runtime_of(context)
    cached = rt.admin_cache.get(chat_id)
    now = time.monotonic()
    if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
        return cached[1]
    try:
        admins = await ask_telegram(context.bot.get_chat_administrators(chat_id))
    except (BadRequest, Forbidden):
        # A chat the bot is no longer in (or never was, if the ids were forged) has no admins we
        # can vouch for: refuse rather than fail. Not cached, so re-adding the bot works at once.
        log.info("admin list unavailable for a chat; treating nobody as its admin")
        return frozenset()
    ids = frozenset(a.user.id for a in admins)
    rt.admin_cache[chat_id] = (now, ids)
    return ids


def forget_admins(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    runtime_of(context).admin_cache.pop(chat_id, None)


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    message = update.effective_message
    # An anonymous admin writes as the group itself; only admins can do that.
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    user = update.effective_user
    return user is not None and user.id in await chat_admin_ids(context, chat.id)
