"""Free text that answers the bot: replies to its prompts in a group, or messages in private.

With group privacy mode on, the bot only sees replies to its own messages, so every question
asked in a group is a ForceReply prompt. Each feature registers a consumer; the first that
recognises the message takes it.

A question is saved before it is sent, and its message id written in once Telegram took it (see
piebot.telegram.delivery.outbox). A reply typed the instant the question appeared can come in before
that: a reply to the bot that nobody recognises waits while something is still on its way to the
chat, then is offered again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from piebot.telegram.delivery import outbox
from piebot.telegram.runtime import runtime_of

Consumer = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]

CONSUMERS = "reply_consumers"


def add_consumer(app: Application, consumer: Consumer) -> None:
    app.bot_data.setdefault(CONSUMERS, []).append(consumer)


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _offer(update, context):
        return
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return
    if await outbox.settle(runtime_of(context), message.chat_id):
        await _offer(update, context)


async def _offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    for consumer in context.application.bot_data.get(CONSUMERS, []):
        if await consumer(update, context):
            return True
    return False


ANSWERS = (filters.REPLY | filters.ChatType.PRIVATE) & ~filters.COMMAND & (
    filters.TEXT | filters.PHOTO | filters.VOICE | filters.Document.ALL | filters.AUDIO | filters.VIDEO
    | filters.Sticker.ALL
)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(ANSWERS, route))
