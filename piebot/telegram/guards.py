"""Who may do what: checked against Telegram's own admin list and our member rows."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 60.0


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
        admins = await context.bot.get_chat_administrators(chat_id)
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
