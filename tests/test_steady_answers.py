"""An answer's reply is never lost, and a reply can't slip past its question.

A real `piebot run` killed between committing an answer and sending its receipt sends the receipt at its
next start, once. A reply sent the instant its question appears, before the bot has even learnt the
question's message id, is taken.
"""

from __future__ import annotations

from sqlmodel import func, select

from bench.common import seed_live_rounds
from piebot import scheduling
from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.db import Database
from piebot.storage.models import Evidence, OutboxMessage, Prompt, SealedBallot
from tests.checkin_helpers import posts, save_rule, use_hand_clock, utc, weekly
from tests.test_crash import BotProcess, bot_env

RECEIPT = "Added to"


def count(db: Database, model) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def receipts(api, user) -> list[str]:
    return [m.text for m in api.chat_log(user) if RECEIPT in m.text]


async def test_a_receipt_left_unsent_by_a_killed_process_is_sent_after_restart_once(api, tmp_path):
    database_url = f"sqlite:///{tmp_path / 'answers.db'}"
    [(group, [bea], _)] = seed_live_rounds(api, database_url, groups=1, per_group=1, stage_groups=1)
    db = Database(database_url)
    bot = BotProcess(bot_env(api, database_url), tmp_path / "bot.log")
    # Telegram takes nothing for Bea's private chat: her receipt can only wait in the outbox.
    api.fail_for("sendMessage", 120, code=502, description="Bad Gateway", chat_id=bea.id)
    try:
        await bot.start()
        await api.send(bea, bea, "Night staff rarely get a debrief")
        # Her answer is committed, and its receipt with it; then the process dies before sending it.
        await api.wait_for(lambda: count(db, Evidence) == 1 and count(db, OutboxMessage) == 1, timeout=30)
        await bot.kill()
        assert receipts(api, bea) == [], bot.log()
        api.end_outages()
        await bot.start()
        await api.wait_for(lambda: receipts(api, bea), timeout=30)
        await api.wait_for(lambda: count(db, OutboxMessage) == 0, timeout=10)
        await bot.stop()
        await bot.start()  # another life finds nothing left to send
        await api.wait_idle(timeout=15, quiet=1.0)
        assert len(receipts(api, bea)) == 1, bot.log()
        assert count(db, Evidence) == 1
    finally:
        await bot.stop()
        db.dispose()


async def test_a_reply_sent_the_instant_its_question_appears_is_taken(api, harness, monkeypatch):
    team = await add_bot_and_set_up(api, members=2)
    hand = use_hand_clock(monkeypatch, utc(2026, 5, 1))
    save_rule(harness.db, weekly(1, "14:00"), hand(), anonymous=True)
    slot = utc(2026, 5, 5, 13)
    hand.set(slot)
    await scheduling.tick(harness.bot.app, slot)
    post = posts(api, team.group)[-1]
    bea = team.members[0]
    # The question to Bea (asked privately: the check-in is anonymous) reaches her at once, but Telegram's
    # answer to the bot, which carries the question's message id, is held back.
    api.hold_answer_next("sendMessage", 3.0, chat_id=bea.id)
    await press(api, bea, post, "What helped")
    await api.wait_for(lambda: api.chat_log(bea) and api.last(bea).force_reply, timeout=5)
    with harness.db.session() as s:
        waiting = s.exec(select(Prompt).where(Prompt.chat_id == bea.id)).all()
    assert [p.message_id < 0 for p in waiting] == [True]  # saved, its id not known yet
    thanks = await say(api, bea, bea, "The night team covered", reply_to=api.last(bea))
    assert "without your name" in thanks.text
    with harness.db.session() as s:
        # Taken: sealed until the check-in closes (it is anonymous), and the question that named Bea's chat
        # is gone now that it is answered.
        assert len(s.exec(select(SealedBallot)).all()) == 1
        assert s.exec(select(Evidence)).all() == []
        assert s.exec(select(Prompt).where(Prompt.chat_id == bea.id)).all() == []
