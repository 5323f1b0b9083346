"""The outbox: a message queued in a transaction is sent after it commits, once; never if it rolls back;
by the next start if the process died first; and two workers never take the same row. A round's charts,
queued as a job behind its summary, go out after a restart if a stop cut them short. Also the shared
turns to edit a card."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up
from piebot.storage import outbox, pacing
from piebot.storage.db import Database, session_scope
from piebot.storage.models import OutboxMessage
from piebot.telegram.delivery import outbox as sending
from piebot.telegram.delivery.outbox import queue_message


@pytest.fixture
def quick_sweeps(monkeypatch):
    monkeypatch.setattr(sending, "SWEEP_SECONDS", 0.2)
    monkeypatch.setattr(sending, "FIRST_RETRY_SECONDS", 0.3)


def rows(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.exec(select(OutboxMessage)))


def texts(api, chat) -> list[str]:
    return [m.text for m in api.chat_log(chat)]


class Refused(Exception):
    pass


async def test_a_message_queued_in_a_transaction_that_rolls_back_is_never_sent(api, harness, quick_sweeps):
    team = await add_bot_and_set_up(api, members=1)
    rt = harness.bot.app.bot_data["runtime"]

    def work(session):
        queue_message(session, team.group.id, "This never happened")
        raise Refused

    with pytest.raises(Refused):
        await rt.apply(None, work)
    await asyncio.sleep(0.6)
    assert "This never happened" not in texts(api, team.group)
    assert rows(harness.db) == []


async def test_a_message_queued_in_a_committed_transaction_is_sent_once(api, harness, quick_sweeps):
    team = await add_bot_and_set_up(api, members=1)
    rt = harness.bot.app.bot_data["runtime"]
    reply = await rt.apply(None, lambda session: queue_message(session, team.group.id, "Saved, <b>thank you</b>."))
    # Sent before apply returned, and the row is gone.
    assert reply.sent and reply.message_id == api.last(team.group).message_id
    assert api.last(team.group).html == "Saved, <b>thank you</b>."
    assert rows(harness.db) == []
    await asyncio.sleep(0.6)  # sweeps come and go
    assert texts(api, team.group).count("Saved, thank you.") == 1


async def test_a_message_left_by_a_killed_process_is_sent_by_the_next_start(api, harness, quick_sweeps):
    team = await add_bot_and_set_up(api, members=1)
    await harness.stop()
    # What a process leaves when it dies between the commit and the send: the row, still claimed by it.
    db = Database(harness.database_url)
    with session_scope(db) as s:
        outbox.queue(s, team.group.id, "sendMessage", {"text": "Your answer is saved."})
    db.dispose()
    await harness.start()
    await api.wait_for(lambda: "Your answer is saved." in texts(api, team.group), timeout=5)
    await api.wait_for(lambda: rows(harness.db) == [], timeout=5)
    await harness.restart()
    await asyncio.sleep(0.6)
    assert texts(api, team.group).count("Your answer is saved.") == 1


async def test_a_send_that_fails_for_a_while_goes_out_later_in_order(api, harness, quick_sweeps, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    rt = harness.bot.app.bot_data["runtime"]
    # Longer than the rate limiter's own patience (made short here): the outbox's retries take over.
    harness.bot.app.bot.rate_limiter.network_retries = 0
    api.fail_for("sendMessage", 1.0, code=502, description="Bad Gateway", chat_id=team.group.id)

    def work(session):
        return [queue_message(session, team.group.id, f"Reply {n}") for n in (1, 2, 3)]

    replies = await rt.apply(None, work)
    assert not any(r.sent for r in replies) and len(rows(harness.db)) == 3
    await api.wait_for(lambda: rows(harness.db) == [], timeout=15)
    assert [t for t in texts(api, team.group) if t.startswith("Reply")] == ["Reply 1", "Reply 2", "Reply 3"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_message_telegram_refuses_for_good_is_dropped(api, harness, quick_sweeps):
    await add_bot_and_set_up(api, members=1)
    stranger = api.create_user("Zed")  # never opened the private chat: the bot may not write first
    rt = harness.bot.app.bot_data["runtime"]
    reply = await rt.apply(None, lambda session: queue_message(session, stranger.id, "Hello"))
    assert not reply.sent and rows(harness.db) == [] and api.chat_log(stranger) == []


def test_two_workers_never_claim_the_same_row(postgres_url):
    first, second = Database(postgres_url), Database(postgres_url)
    first.upgrade()
    try:
        long_ago = time.time() - 3600  # queued by a process that died: every claim has lapsed
        with session_scope(first) as s:
            for n in range(60):
                outbox.queue(s, -4000000001, "sendMessage", {"text": f"m{n}"}, now=long_ago - outbox.CLAIM_SECONDS)
        taken: list[list[int]] = [[], []]
        start = threading.Barrier(2)

        def sweep(i, db):
            start.wait()
            for _ in range(6):
                with session_scope(db) as s:
                    taken[i].extend(q.id for q in outbox.claim(s, limit=7))

        threads = [threading.Thread(target=sweep, args=(i, db)) for i, db in enumerate((first, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not set(taken[0]) & set(taken[1])
        assert len(taken[0]) + len(taken[1]) == 60
        with session_scope(first) as s:
            assert outbox.claim(s) == []  # all held now
    finally:
        first.dispose()
        second.dispose()


def test_edit_turns_come_an_interval_apart(db):
    with session_scope(db) as s:
        assert pacing.reserve_edit(s, "card:1", 3.0, now=100.0) == 0.0
        assert pacing.reserve_edit(s, "card:1", 3.0, now=100.5) == pytest.approx(2.5)
        assert pacing.reserve_edit(s, "card:1", 3.0, now=101.0) == pytest.approx(5.0)
        assert pacing.reserve_edit(s, "card:2", 3.0, now=101.0) == 0.0
        # Long after the last turn, the next is at once.
        assert pacing.reserve_edit(s, "card:1", 3.0, now=200.0) == 0.0
        pacing.forget_edits(s, "card:1")
        assert pacing.reserve_edit(s, "card:1", 3.0, now=200.5) == 0.0


def test_workers_asking_for_turns_at_once_get_distinct_ones(postgres_url):
    databases = [Database(postgres_url) for _ in range(4)]
    databases[0].upgrade()
    try:
        waits: list[float] = []
        start = threading.Barrier(len(databases))

        def ask(db):
            start.wait()
            with session_scope(db) as s:
                waits.append(pacing.reserve_edit(s, pacing.card_key(7), 2.0, now=1000.0))

        threads = [threading.Thread(target=ask, args=(db,)) for db in databases]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(waits) == [0.0, 2.0, 4.0, 6.0]
    finally:
        for db in databases:
            db.dispose()


async def test_a_rounds_charts_cut_short_by_a_stop_go_out_after_the_restart_once(api, harness):
    from piebot.telegram.rounds.summary import post_round_summary
    from tests.test_charts_bot import photos, play_round

    team = await add_bot_and_set_up(api, members=3)
    round_id = play_round(harness.db, team.group.id, {"empathy": [5, 9, 12, 14], "training": [3, 4, 8, 9]},
                          {"empathy": 11, "training": 6})
    # Telegram fails every album for a minute: the charts are still being tried when the bot stops.
    api.fail_for("sendMediaGroup", 60)
    await post_round_summary(harness.bot.app, round_id)
    await api.wait_for(lambda: any(c.method == "sendMediaGroup" and c.status == 500 for c in api.calls), timeout=30)
    assert any("— summary" in m.text for m in api.chat_log(team.group))
    url = harness.database_url
    await harness.stop()
    assert photos(api, team.group) == []
    left = Database(url)
    try:
        assert [r.method for r in rows(left)] == ["piebot:round_closed"]  # the charts' turn is kept, not lost
    finally:
        left.dispose()
    api.end_outages()
    await harness.start()
    await api.wait_for(lambda: len(photos(api, team.group)) >= 2, timeout=30)
    await api.wait_idle(quiet=1.0)
    album = photos(api, team.group)
    assert len(album) == 2 and len({m.message.get("media_group_id") for m in album}) == 1  # one album, once
    assert album[0].text.startswith("Where Hope House team is now")
    assert sum("— summary" in m.text for m in api.chat_log(team.group)) == 1  # the summary was not sent again
    assert rows(harness.db) == []
