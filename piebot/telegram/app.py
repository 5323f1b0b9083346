"""The composition root: one place that builds the PTB Application and wires every feature."""

from __future__ import annotations

import asyncio
import logging
import random
import traceback

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from piebot.settings import Settings
from piebot.storage.db import Database
from piebot.telegram import onboarding, replies
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)

# Telegram's documented limits: 30 messages a second overall, 20 a minute in one group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20

PRIVATE_COMMANDS = [
    BotCommand("start", "Connect to your team"),
    BotCommand("help", "What I can do"),
    BotCommand("mydata", "Everything I keep about you"),
    BotCommand("forgetme", "Erase your named answers"),
    BotCommand("away", "No reminders until a date"),
    BotCommand("network", "Look across teams (leads)"),
]
GROUP_COMMANDS = [
    BotCommand("join", "Count me in"),
    BotCommand("status", "Where the round stands"),
    BotCommand("chart", "See the team's charts"),
    BotCommand("help", "What I can do"),
]
ADMIN_COMMANDS = GROUP_COMMANDS + [
    BotCommand("setup", "Name, framework, time zone"),
    BotCommand("assess", "Start a round"),
    BotCommand("facilitator", "Name a facilitator"),
    BotCommand("schedule", "Check-ins and reminders"),
    BotCommand("support", "Support contacts"),
    BotCommand("report", "PDF report of a round"),
    BotCommand("export", "CSV files"),
]


class PatientRateLimiter(AIORateLimiter):
    """Telegram's rate limits, 429s waited out, and 5xx or time-outs retried with backoff.

    Every call goes through here, from handlers and scheduled jobs alike, so no feature
    needs its own retry loop.
    """

    def __init__(self, *, network_retries: int = 5, **kwargs) -> None:
        super().__init__(
            overall_max_rate=OVERALL_PER_SECOND,
            overall_time_period=1,
            group_max_rate=GROUP_PER_MINUTE,
            group_time_period=60,
            max_retries=kwargs.pop("max_retries", 8),
            **kwargs,
        )
        self.network_retries = network_retries

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        delay = 0.5
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
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


def build_application(settings: Settings, db: Database, *, rate_limiter=None) -> Application:
    token = settings.telegram_bot_token.get_secret_value()
    request = HTTPXRequest(connection_pool_size=64, read_timeout=15, write_timeout=30, connect_timeout=10)
    poll_request = HTTPXRequest(connection_pool_size=2, read_timeout=40)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=None))
        .rate_limiter(rate_limiter or PatientRateLimiter())
        .request(request)
        .get_updates_request(poll_request)
        # Updates are fetched and confirmed by piebot.telegram.polling, after they are committed.
        .updater(None)
        .concurrent_updates(True)
        .build()
    )
    app.bot_data["runtime"] = Runtime(settings=settings, db=db)
    # post_init only runs inside run_polling(); piebot.runner runs these hooks itself.
    app.bot_data["on_start"] = [_on_start]
    onboarding.register(app)
    for feature in _features():
        feature.register(app)
    replies.register(app)
    onboarding.register_fallbacks(app)
    replies.add_consumer(app, onboarding.on_setup_reply)
    app.add_error_handler(_on_error)
    return app


def _features() -> list:
    """Feature modules, each with register(app). Optional ones are wired in once they exist."""
    import importlib

    found = []
    for name in FEATURES:
        try:
            found.append(importlib.import_module(f"piebot.telegram.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"piebot.telegram.{name}":
                raise
    return found


# The order matters where two features could claim the same reply: earlier wins.
FEATURES = ("assessment", "checkins", "charts", "privacy", "networks")


async def _on_start(app: Application) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    runtime.bot_username = app.bot.username
    await app.bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await app.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())
    await app.bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeAllChatAdministrators())


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The kind of error and the code path only: an exception's message may quote what a member
    # wrote, a traceback's lines do not.
    error = context.error
    where = f" (update {update.update_id})" if isinstance(update, Update) else ""
    trace = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("error while handling an update%s: %s\n%s", where, type(error).__name__, trace)
