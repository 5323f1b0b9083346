"""The local Bot API server delivering updates to a webhook, as Telegram does."""

# ruff: noqa: F811 - the fixtures `api` and `bot` are imported, and tests name them

from __future__ import annotations

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict
from telegram.ext import CommandHandler

from piebot.localapi import LocalBotApi
from tests.localapi_helpers import api, bot, build_app, echo, free_port, team  # noqa: F401 - fixtures

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# --------------------------------------------------------------------------------- webhooks

async def test_webhook_delivery_to_a_ptb_webhook_with_secret(api: LocalBotApi) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    app = build_app(api)
    app.add_handler(CommandHandler("echo", echo))
    port = free_port()
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                        webhook_url=f"http://127.0.0.1:{port}/hook", secret_token="s3cret_1")
        try:
            await api.send(alice, group, "/echo via webhook")
            await api.wait_for(lambda: api.chat_log(group))
            await api.wait_idle()
            with pytest.raises(Conflict, match="webhook is active"):
                await app.bot.get_updates()
            info = await app.bot.get_webhook_info()
            assert info.url.endswith("/hook") and info.pending_update_count == 0
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.last(group).text == "via webhook"
    assert api.stats.webhook_deliveries == 3


async def test_webhook_retries_until_it_gets_200(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=500 if len(received) < 3 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="abc-123")
        await api.add_bot(group, by=alice)
        await api.wait_for(lambda: len(received) >= 4)
        await api.wait_idle()
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
    assert {secret for secret, _ in received} == {"abc-123"}
    assert [body["update_id"] for _, body in received] == [1, 1, 1, 2]
    assert api.stats.webhook_failures == 2
    with pytest.raises(BadRequest, match="Bad webhook"):
        await bot.set_webhook("https://example.com/hook")
