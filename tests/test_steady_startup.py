"""Start-up survives a Telegram outage: menus are set in the background, getMe is tried again, and only
a token Telegram refuses stops the process, with one clear line."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest
from telegram import BotCommandScopeAllGroupChats

from piebot.demo.people import add_bot_and_set_up, say
from tests.conftest import Harness
from tests.test_crash import BotProcess, bot_env

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@asynccontextmanager
async def bot_started(api, sqlite_url):
    harness = Harness(api=api, database_url=sqlite_url)
    started = time.monotonic()
    await harness.start()
    try:
        yield harness, time.monotonic() - started
    finally:
        await harness.stop()


async def test_command_menus_failing_for_30_seconds_leave_the_bot_answering(api, sqlite_url):
    api.fail_for("setMyCommands", 30, code=502, description="Bad Gateway")
    async with bot_started(api, sqlite_url) as (_, took):
        assert took < 5
        team = await add_bot_and_set_up(api, members=1)
        assert "/assess" in (await say(api, team.members[0], team.group, "/help")).text
        assert api.commands(BotCommandScopeAllGroupChats()) == []


async def test_command_menus_are_set_once_telegram_is_back(api, sqlite_url):
    api.fail_for("setMyCommands", 1.5, code=502, description="Bad Gateway")
    async with bot_started(api, sqlite_url):
        await api.wait_for(lambda: api.commands(BotCommandScopeAllGroupChats()), timeout=10)
    assert any(c["command"] == "chart" for c in api.commands(BotCommandScopeAllGroupChats()))


async def test_get_me_failing_at_start_is_tried_again(api, sqlite_url):
    api.fail_for("getMe", 2.0, code=502, description="Bad Gateway")
    async with bot_started(api, sqlite_url) as (_, took):
        assert took >= 1.9
        team = await add_bot_and_set_up(api, members=1)
        assert "/assess" in (await say(api, team.members[0], team.group, "/help")).text


async def test_a_wrong_token_stops_the_process_with_one_clear_line(api, tmp_path):
    token = "999999:WRONG-token-Telegram-does-not-know"
    env = bot_env(api, f"sqlite:///{tmp_path / 'bot.db'}", TELEGRAM_BOT_TOKEN=token, LOG_LEVEL="WARNING")
    bot = await BotProcess(env, tmp_path / "bot.log").start()
    try:
        code = await asyncio.wait_for(bot.proc.wait(), 30)
    finally:
        await bot.kill()
    output = bot.log().split("--- life 1\n", 1)[1]
    assert code == 1
    assert output.strip().splitlines() == [
        "piebot: Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN (from @BotFather)."]
    assert token not in output
