"""What the local Bot API server's own tests share: a server, a bare PTB bot on it, a team, handlers."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from piebot.localapi import LocalBotApi

TOKEN = "123456:TEST-local-api"

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN) as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def build_app(api: LocalBotApi, token: str = TOKEN) -> Application:
    return ApplicationBuilder().token(token).base_url(api.base_url).base_file_url(api.base_file_url).build()


@contextlib.asynccontextmanager
async def polling(app: Application, **kwargs) -> AsyncIterator[Application]:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, **kwargs)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def team(api: LocalBotApi, kind: str = "group"):
    alice = api.create_user("Alice", username="alice")
    group = api.create_group("Hope House team", kind=kind)
    api.add_member(group, alice, status="creator")
    return alice, group


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Level 1", callback_data="v1:r:5:13"),
                                      InlineKeyboardButton("Level 2", callback_data="v1:r:5:14")]])
    await update.effective_message.reply_text(" ".join(context.args) or "nothing", reply_markup=keyboard)


async def rated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Saved {query.data}", show_alert=True)
    await query.edit_message_text(f"Rated by <b>{query.from_user.first_name}</b>", parse_mode=ParseMode.HTML)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
