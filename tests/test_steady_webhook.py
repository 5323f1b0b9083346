"""The webhook never makes Telegram send an update for ever: a press delivered twice (to two workers at
once) gets 200 both times and one effect, and an update PTB cannot read gets 200 and is skipped."""

from __future__ import annotations

import logging

from sqlmodel import func, select

from piebot.demo.people import add_bot_and_set_up, bot_reply
from piebot.storage.db import Database
from piebot.storage.models import Participation, Rating
from tests.rounds_helpers import grid_data, start_round, wait_card
from tests.test_scaleout import Workers
from tests.test_webhook import webhook_bot  # noqa: F401 - a fixture


async def test_a_press_delivered_twice_to_two_workers_gets_200_twice_and_one_effect(api, postgres_url, tmp_path):
    workers = Workers(api, postgres_url, tmp_path)
    db = Database(postgres_url)
    try:
        await workers.start()
        team = await add_bot_and_set_up(api, members=2)
        card = await start_round(api, team)
        await api.wait_idle(timeout=20)
        failures, delivered = api.stats.webhook_failures, dict(workers.balancer.delivered)

        workers.balancer.duplicate = True
        query = await api.press(team.members[0], card, grid_data(card, 2, 3))
        await api.wait_for(lambda: api.answer_to(query) is not None, timeout=15)
        await api.wait_idle(timeout=20, quiet=0.5)
        workers.balancer.duplicate = False

        # Both workers answered 200 (no failed delivery, so Telegram did not send it again) ...
        assert api.stats.webhook_failures == failures
        assert all(workers.balancer.delivered[i] == delivered.get(i, 0) + 1 for i in (0, 1))
        # ... and the press counted once.
        card = await wait_card(api, card, "1 of 3 have rated", timeout=15)
        with db.session() as s:
            assert s.exec(select(func.count()).select_from(Rating)).one() == 1
            assert s.exec(select(func.count()).select_from(Participation)).one() == 1
        assert " ERROR " not in workers.logs(), workers.logs()
    finally:
        await workers.stop()
        db.dispose()


async def test_an_unreadable_update_is_answered_200_and_skipped(api, webhook_bot, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    before = len(api.chat_log(team.group))
    await api.send(team.members[0], team.group, "/help")
    api.queue_raw_update({"callback_query": {"id": "1", "from": {"id": team.admin.id}, "data": "x"}})
    api.queue_raw_update({"brand_new_kind": {"id": 3}})
    await api.send(team.members[0], team.group, "/help")
    assert "/assess" in (await bot_reply(api, team.group, before)).text
    assert "/assess" in (await bot_reply(api, team.group, before + 1, timeout=10)).text
    await api.wait_idle(timeout=10)
    assert api.stats.webhook_failures == 0 and api.pending_updates() == []
    assert len([r for r in caplog.records if "could not be read" in r.getMessage()]) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
