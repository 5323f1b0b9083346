"""The bot behind Telegram's webhook: 200 only after the effect is committed, the secret on every request."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.runner import Bot
from piebot.storage import teams
from piebot.storage.models import Member, ProcessedUpdate
from piebot.telegram.delivery.webhook import SECRET_HEADER
from tests.conftest import make_settings

SECRET = "webhook-secret_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_settings(api, database_url: str, port: int, url: str | None = None):
    return make_settings(
        api, database_url,
        PIEBOT_WEBHOOK_URL=url or f"http://127.0.0.1:{port}/telegram",
        PIEBOT_WEBHOOK_SECRET=SECRET,
        PIEBOT_WEBHOOK_LISTEN="127.0.0.1",
        PIEBOT_WEBHOOK_PORT=str(port),
    )


@pytest.fixture
async def webhook_bot(api, sqlite_url) -> AsyncIterator[Bot]:
    bot = Bot(webhook_settings(api, sqlite_url, free_port()), webhook=True)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
        bot.db.dispose()


def endpoint(bot: Bot, path: str = "/telegram") -> str:
    return f"http://127.0.0.1:{bot.webhook_server.port}{path}"


async def post_update(bot: Bot, update: dict, *, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with aiohttp.ClientSession() as http:
        async with http.post(endpoint(bot), data=json.dumps(update), headers=headers) as response:
            return response.status


def members(bot: Bot) -> list[tuple[int, int]]:
    with bot.db.session() as s:
        return [(m.team_id, m.telegram_user_id) for m in s.exec(select(Member).order_by(Member.id))]


async def test_a_team_sets_up_and_joins_through_the_webhook(api, webhook_bot):
    info = await webhook_bot.app.bot.get_webhook_info()
    assert info.url == endpoint(webhook_bot)
    team = await add_bot_and_set_up(api, members=3)
    assert len(members(webhook_bot)) == 4
    assert all("connected" in api.last(user).text for user in team.everyone)
    assert api.stats.webhook_deliveries > 0 and api.stats.webhook_failures == 0


async def test_a_request_without_the_secret_is_refused_and_changes_nothing(api, webhook_bot):
    group = api.create_group("Hope House")
    admin = api.create_user("Ada")
    api.add_member(group, admin, status="creator")
    forged = {"update_id": 9_000_001, "message": {
        "message_id": 1, "date": 1_790_000_000, "chat": {"id": group.id, "type": "group", "title": "Hope House"},
        "from": {"id": admin.id, "is_bot": False, "first_name": "Ada"}, "text": "/setup",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    assert await post_update(webhook_bot, forged, secret=None) == 403
    assert await post_update(webhook_bot, forged, secret="guessed") == 403
    assert await post_update(webhook_bot, forged, secret=SECRET + "x") == 403
    with webhook_bot.db.session() as s:
        assert s.get(ProcessedUpdate, 9_000_001) is None
    assert api.chat_log(group) == []


async def test_a_body_that_is_not_an_update_is_refused(webhook_bot):
    async with aiohttp.ClientSession() as http:
        async with http.post(endpoint(webhook_bot), data=b"{not json",
                             headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 400


async def test_a_database_hiccup_answers_500_and_telegram_delivers_again(api, webhook_bot, monkeypatch):
    team = await add_bot_and_set_up(api, members=1)
    newcomer = api.create_user("Eli")
    api.add_member(team.group, newcomer)
    real_join, calls = teams.join, []

    def hiccup_once(session, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO member", {}, Exception("database is locked"))
        return real_join(session, *args, **kwargs)

    monkeypatch.setattr(teams, "join", hiccup_once)
    failures_before = api.stats.webhook_failures
    reply = await say(api, newcomer, team.group, "/join")
    assert "Eli" in reply.text
    assert api.stats.webhook_failures == failures_before + 1  # the 500 made Telegram try again
    assert members(webhook_bot).count((members(webhook_bot)[0][0], newcomer.id)) == 1
    await api.wait_idle()
    assert sum("Eli" in m.text for m in api.chat_log(team.group)) == 1


async def test_the_same_update_delivered_twice_at_once_takes_effect_once(api, webhook_bot):
    team = await add_bot_and_set_up(api, members=1)
    newcomer = api.create_user("Eli")
    api.add_member(team.group, newcomer)
    # Take the update off the server's queue ourselves, then deliver it twice concurrently.
    await webhook_bot.app.bot.delete_webhook()
    before = len(api.chat_log(team.group))
    await api.send(newcomer, team.group, "/join")
    update = api.pending_updates()[-1]
    statuses = await asyncio.gather(post_update(webhook_bot, update), post_update(webhook_bot, update))
    assert statuses == [200, 200]
    assert [m for m in members(webhook_bot) if m[1] == newcomer.id] == [(members(webhook_bot)[0][0], newcomer.id)]
    await bot_reply(api, team.group, before)
    await asyncio.sleep(0.2)
    assert sum("Eli" in m.text for m in api.chat_log(team.group)[before:]) == 1


async def test_health_and_metrics(api, webhook_bot):
    await add_bot_and_set_up(api, members=1)
    async with aiohttp.ClientSession() as http:
        async with http.get(endpoint(webhook_bot, "/healthz")) as response:
            assert response.status == 200
        async with http.get(endpoint(webhook_bot, "/metrics")) as response:
            assert response.status == 200
            body = await response.text()
    processed = [line for line in body.splitlines() if line.startswith("piebot_updates_processed_total ")]
    assert processed and float(processed[0].split()[1]) >= 5
    assert "piebot_update_handling_seconds_bucket" in body
    # SQLite: the only process leads the scheduler.
    assert "piebot_scheduler_leader 1.0" in body


async def test_health_says_503_when_the_database_is_gone(api, webhook_bot, monkeypatch):
    def unreachable():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(webhook_bot.db.engine, "connect", unreachable)
    async with aiohttp.ClientSession() as http:
        async with http.get(endpoint(webhook_bot, "/healthz")) as response:
            assert response.status == 503


async def test_run_webhook_needs_its_url_and_secret(api, sqlite_url, capsys):
    from piebot.runner import serve_webhook

    settings = make_settings(api, sqlite_url)
    assert await serve_webhook(settings) == 2
    err = capsys.readouterr().err
    assert "PIEBOT_WEBHOOK_URL" in err and "PIEBOT_WEBHOOK_SECRET" in err



async def test_an_update_that_always_fails_is_accepted_after_some_tries_so_the_chat_goes_on(api, webhook_bot, monkeypatch):
    from piebot.telegram.delivery import webhook

    team = await add_bot_and_set_up(api, members=1)
    eli, fay = api.create_user("Eli"), api.create_user("Fay")
    api.add_member(team.group, eli)
    api.add_member(team.group, fay)
    real_join, attempts = teams.join, []

    def poisoned(session, team_row, user_id, *args, **kwargs):
        if user_id == eli.id:
            attempts.append(1)
            raise KeyError("a bug, not an outage")
        return real_join(session, team_row, user_id, *args, **kwargs)

    monkeypatch.setattr(teams, "join", poisoned)
    await api.send(eli, team.group, "/join")
    await api.send(fay, team.group, "/join")
    await api.wait_for(lambda: any("Fay" in m.text for m in api.chat_log(team.group)), timeout=10)
    assert len(attempts) == webhook.ATTEMPTS
    assert all(user_id != eli.id for _, user_id in members(webhook_bot))
