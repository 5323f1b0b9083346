"""Who may do what: checked against Telegram's own admin list and our member rows."""

from __future__ import annotations

import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from piebot.telegram.runtime import runtime_of

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
    admins = await context.bot.get_chat_administrators(chat_id)
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
