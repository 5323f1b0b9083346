"""Free text that answers the bot: replies to its prompts in a group, or messages in private.

With group privacy mode on, the bot only sees replies to its own messages, so every question
asked in a group is a ForceReply prompt. Each feature registers a consumer; the first that
recognises the message takes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

Consumer = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[bool]]

CONSUMERS = "reply_consumers"


def add_consumer(app: Application, consumer: Consumer) -> None:
    app.bot_data.setdefault(CONSUMERS, []).append(consumer)


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    for consumer in context.application.bot_data.get(CONSUMERS, []):
        if await consumer(update, context):
            return


ANSWERS = (filters.REPLY | filters.ChatType.PRIVATE) & ~filters.COMMAND & (
    filters.TEXT | filters.PHOTO | filters.VOICE | filters.Document.ALL | filters.AUDIO | filters.VIDEO
    | filters.Sticker.ALL
)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(ANSWERS, route))
