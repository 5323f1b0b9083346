"""A stop is bounded whatever is in flight: updates get a short grace and are then cancelled (and not
confirmed), background work likewise; a real `piebot run` exits well before `docker stop` would kill it.
The exact figures are timed by bench/bench_stop.py; here they are only held loosely. A real process
serving its webhook (`piebot run --webhook`) is stopped the same way."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from telegram.ext import CommandHandler

from bench.bench_stop import SCENARIOS, WEBHOOK_SCENARIO, stop_after
from piebot.demo.people import add_bot_and_set_up
from piebot.runner import STOP_SECONDS, Bot
from piebot.telegram.delivery.webhook import SECRET_HEADER
from tests.test_webhook import SECRET, free_port, webhook_settings

LOOSELY = 8.0


def add_slow_command(bot: Bot, started: asyncio.Event) -> None:
    """/slow: an update that would take a minute, and a background task that would take longer."""

    async def slow(update, context):
        asyncio.create_task(asyncio.sleep(120), name="slow-background")
        started.set()
        await asyncio.sleep(60)

    bot.app.add_handler(CommandHandler("slow", slow), group=5)


async def test_a_stop_while_an_update_runs_on_is_bounded_and_leaves_it_unconfirmed(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    started = asyncio.Event()
    add_slow_command(harness.bot, started)
    await api.send(team.admin, team.group, "/slow")
    await asyncio.wait_for(started.wait(), 10)
    slow_update = api.pending_updates()[-1]
    began = time.monotonic()
    await harness.stop()
    assert time.monotonic() - began <= STOP_SECONDS + 0.5
    # Cut short, so not confirmed: Telegram hands it to the next run.
    assert [u["update_id"] for u in api.pending_updates()] == [slow_update["update_id"]]
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "slow-background" and not t.done()]
    await harness.start()
    await api.wait_idle(timeout=10)


async def test_a_webhook_stop_while_a_delivery_runs_on_is_bounded(api, sqlite_url):
    bot = Bot(webhook_settings(api, sqlite_url, free_port()), webhook=True)
    await bot.start()
    started = asyncio.Event()
    add_slow_command(bot, started)
    update = {"update_id": 77, "message": {
        "message_id": 1, "date": int(time.time()), "chat": {"id": 4242, "type": "private", "first_name": "Ada"},
        "from": {"id": 4242, "is_bot": False, "first_name": "Ada"}, "text": "/slow",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    url = f"http://127.0.0.1:{bot.webhook_server.port}/telegram"
    async with aiohttp.ClientSession() as http:
        delivery = asyncio.ensure_future(http.post(url, data=json.dumps(update),
                                                   headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"}))
        await asyncio.wait_for(started.wait(), 10)
        began = time.monotonic()
        try:
            await bot.stop()
        finally:
            bot.db.dispose()
        assert time.monotonic() - began <= STOP_SECONDS + 0.5
        # No 200: Telegram delivers it again.
        try:
            response = await asyncio.wait_for(delivery, 5)
            assert response.status != 200
        except (aiohttp.ClientError, TimeoutError):
            pass


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=["setup-chart-rating", "close-self-paced"])
async def test_sigterm_of_a_real_process_exits_in_time(scenario, tmp_path):
    seconds, code, log, left_behind = await stop_after(SCENARIOS[scenario], tmp_path)
    assert code is not None, log
    assert seconds < LOOSELY, f"{scenario}: {seconds:.1f}s\n{log}"
    assert "ERROR" not in log, log
    # The chart workers went with it.
    assert left_behind == [], log


@pytest.mark.slow
async def test_sigterm_of_a_real_process_serving_its_webhook_exits_in_time(tmp_path):
    seconds, code, log, left_behind = await stop_after(SCENARIOS[WEBHOOK_SCENARIO], tmp_path, webhook=True)
    assert "webhook server listening" in log, log  # it served the webhook, not polling
    assert code is not None, log
    assert seconds < LOOSELY, f"{seconds:.1f}s\n{log}"
    assert "ERROR" not in log, log
    assert left_behind == [], log
