"""The composition root: one place that builds the PTB Application and wires every feature."""

from __future__ import annotations

import logging
import traceback

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from conversations.texts import commands as menus
from piebot.logs import keep_content_out_of_logs
from piebot.settings import Settings
from piebot.storage.db import AlreadyDone, Database
from piebot.telegram import gatekeeper, replies
from piebot.telegram.delivery.ratelimit import PatientRateLimiter
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)



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
        # Updates are fetched and confirmed by piebot.telegram.delivery.polling, after they are committed.
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


# Each feature's module with register(app), in order: where two features could claim the same reply,
# the earlier wins. Actions come first: they claim only replies to their own prompts, which a round in
# progress would otherwise take as answers in a private chat.
FEATURES = (
    "actions.commands",
    "rounds.assess",
    "peer_review.commands",
    "rounds.walk",
    "checkins.answers",
    "charts.commands",
    "people.privacy",
    "networks.commands",
    "people.membership",
    "service_users.scribe",
)


def _features() -> list:
    import importlib

    return [importlib.import_module(f"piebot.telegram.{name}") for name in FEATURES]


async def _on_start(app: Application) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    runtime.bot_username = app.bot.username
    for menu, scope in ((menus.PRIVATE_COMMANDS, BotCommandScopeAllPrivateChats()),
                        (menus.GROUP_COMMANDS, BotCommandScopeAllGroupChats()),
                        (menus.ADMIN_COMMANDS, BotCommandScopeAllChatAdministrators())):
        await app.bot.set_my_commands([BotCommand(name, about) for name, about in menu], scope=scope)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The kind of error and the code path only: an exception's message may quote what a member
    # wrote, a traceback's lines do not.
    error = context.error
    if isinstance(error, AlreadyDone):
        return  # a repeated update, rightly ignored
    where = f" (update {update.update_id})" if isinstance(update, Update) else ""
    trace = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("error while handling an update%s: %s\n%s", where, type(error).__name__, trace)
