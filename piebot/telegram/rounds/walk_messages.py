"""What every part of a round in people's own time shares: its two kinds of button, the round's title,
and editing a message in place (the walk edits its questions; the group sees one status message)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import Application

from conversations.keyboards import Keyboard
from conversations.pizazz import Scope, ScopeKind
from conversations.texts import walk as texts
from framework import Framework
from piebot.storage.models import Round
from piebot.telegram import callbacks
from piebot.telegram.runtime import Runtime

log = logging.getLogger(__name__)

WALK = "wk"  # a member's walk: rating, skipping, back, stop; "go" and "pick" to (re)open one
TEAM_VIEWS = "wv"  # after an async round: the facilitator sets each element's team view


def application_of(context_or_app) -> Application:
    return getattr(context_or_app, "application", None) or context_or_app


def runtime(app: Application) -> Runtime:
    return app.bot_data["runtime"]


def title_of(framework: Framework, round_: Round) -> str:
    try:
        kind = ScopeKind(round_.scope)
    except ValueError:
        kind = ScopeKind.ALL
    return texts.round_title(framework, Scope(kind, round_.scope_ref))


def markup(kind: str, ref: int, keyboard: Keyboard, prefix: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=callbacks.encode(kind, ref, prefix + b.data)) for b in row]
         for row in keyboard]
    )


def one_button(label: str, kind: str, ref: int, arg: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=callbacks.encode(kind, ref, arg))]])


async def edit(bot, chat_id: int, message_id: int | None, text: str | None, reply_markup=None) -> None:
    """Edit in place; an unchanged message or one that is gone is not worth failing over."""
    if message_id is None:
        return
    try:
        if text is None:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=reply_markup)
        else:
            await bot.edit_message_text(text, chat_id, message_id, reply_markup=reply_markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.info("could not edit message %s: %s", message_id, type(exc).__name__)
