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
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from piebot.logs import keep_content_out_of_logs
from piebot.settings import Settings
from piebot.storage.db import AlreadyDone, Database
from piebot.telegram import gatekeeper, onboarding, replies
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
    BotCommand("review", "Redeem a peer-review code"),
    BotCommand("network", "Look across teams (leads)"),
]
GROUP_COMMANDS = [
    BotCommand("join", "Count me in"),
    BotCommand("status", "Where the round stands"),
    BotCommand("chart", "See the team's charts"),
    BotCommand("withdraw", "Take back my answer"),
    BotCommand("away", "No reminders until a date"),
    BotCommand("help", "What I can do"),
]
ADMIN_COMMANDS = GROUP_COMMANDS + [
    BotCommand("setup", "Name, framework, time zone"),
    BotCommand("assess", "Start a round"),
    BotCommand("next", "Next step of the round"),
    BotCommand("back", "Step back"),
    BotCommand("skip", "Skip this element"),
    BotCommand("pause", "Pause the round"),
    BotCommand("resume", "Carry on"),
    BotCommand("close", "Close the round"),
    BotCommand("peerreview", "A code for a peer reviewer"),
    BotCommand("facilitator", "Name a facilitator"),
    BotCommand("schedule", "Check-ins and reminders"),
    BotCommand("support", "Support contacts"),
    BotCommand("report", "PDF report of a round"),
    BotCommand("export", "CSV files"),
    BotCommand("serviceusers", "A round with the people we serve"),
    BotCommand("acceptnetwork", "Join an organisation or network"),
    BotCommand("networks", "Our networks and what we share"),
    BotCommand("leavenetwork", "Leave a network"),
    BotCommand("retention", "How long answers are kept"),
    BotCommand("deleteteam", "Delete all of the team's data"),
]


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
    keep_content_out_of_logs(settings)
    gatekeeper.register(app)
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
FEATURES = ("assessment", "peer_review", "walk", "checkins", "charts", "privacy", "networks", "membership", "service_users")


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
    if isinstance(error, AlreadyDone):
        return  # a repeated update, rightly ignored
    where = f" (update {update.update_id})" if isinstance(update, Update) else ""
    trace = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("error while handling an update%s: %s\n%s", where, type(error).__name__, trace)
