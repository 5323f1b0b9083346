"""The composition root: one place that builds the PTB Application and wires every feature."""

from __future__ import annotations

import asyncio
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
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from conversations.texts import commands as menus
from conversations.texts.refusals import TELEGRAM_UNREACHABLE
from piebot.logs import keep_content_out_of_logs
from piebot.settings import Settings
from piebot.storage.db import AlreadyDone, Database
from piebot.telegram import gatekeeper, replies
from piebot.telegram.delivery import outbox
from piebot.telegram.delivery.polling import kind_of
from piebot.telegram.delivery.ratelimit import PatientRateLimiter
from piebot.telegram.guards import TelegramUnreachable
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
    # Anonymous answers wait sealed under keys derived from the signing secret (piebot.storage.ballots).
    db.use_secret(settings.secret_bytes())
    if settings.signing_secret is None:
        log.warning("PIEBOT_SIGNING_SECRET is not set: the secret is derived from the token, so if the token "
                    "is rotated, join links and codes change and anonymous answers still sealed become unreadable")
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
    "receipts.buttons",
    "peer_review.commands",
    "rounds.walk",
    "checkins.answers",
    "charts.commands",
    "people.privacy",
    "networks.commands",
    "customising.commands",
    "people.membership",
    "service_users.scribe",
)


def _features() -> list:
    import importlib

    return [importlib.import_module(f"piebot.telegram.{name}") for name in FEATURES]


async def _on_start(app: Application) -> None:
    runtime: Runtime = app.bot_data["runtime"]
    runtime.bot_username = app.bot.username
    # Command menus are a nicety: a Telegram hiccup while they are set must not keep the bot from
    # answering, so they are set aside, tried again until they are in place.
    app.bot_data["command_menus"] = asyncio.create_task(_set_command_menus(app), name="piebot-command-menus")
    await outbox.start_sending(app)


async def _set_command_menus(app: Application) -> None:
    delay = 1.0
    while True:
        try:
            for menu, scope in ((menus.PRIVATE_COMMANDS, BotCommandScopeAllPrivateChats()),
                                (menus.GROUP_COMMANDS, BotCommandScopeAllGroupChats()),
                                (menus.ADMIN_COMMANDS, BotCommandScopeAllChatAdministrators())):
                await app.bot.set_my_commands([BotCommand(name, about) for name, about in menu], scope=scope)
            return
        except TelegramError as exc:
            log.warning("setting the command menus failed (%s); trying again in %.0fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The kind of error (and the code path) only: an exception's message may quote what a member
    # wrote, a traceback's lines do not.
    error = context.error
    if isinstance(error, AlreadyDone):
        return  # a repeated update, rightly ignored
    if isinstance(error, TelegramUnreachable):
        await _try_again_soon(update)  # not a refusal, and nothing changed
        return
    if isinstance(update, Update):
        # The poller or the webhook tries the update again; giving up on it is the one ERROR, with the
        # code path (piebot.telegram.delivery).
        log.warning("error while handling update %d (%s): %s", update.update_id, kind_of(update),
                    type(error).__name__)
        return
    trace = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("error outside any update: %s\n%s", type(error).__name__, trace)


async def _try_again_soon(update: object) -> None:
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(TELEGRAM_UNREACHABLE, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_html(TELEGRAM_UNREACHABLE)
    except TelegramError as exc:  # Telegram is out of reach, after all
        log.info("could not say so either (%s)", type(exc).__name__)
