"""A network error is not "you left": a membership or admin check that could not reach Telegram is
answered kindly ("try again in a minute"), never as a refusal, changes nothing, and logs no ERROR."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from conversations.texts.refusals import TELEGRAM_UNREACHABLE
from piebot.demo.people import add_bot_and_set_up, bot_reply, say, start_payload
from piebot.storage.models import Member, Team
from piebot.telegram import guards

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

UNREACHABLE = "couldn't reach Telegram"


@pytest.fixture
def quick_checks(monkeypatch):
    # How long a check may take before it counts as "could not ask" (10 s in production).
    monkeypatch.setattr(guards, "ASK_SECONDS", 1.0)


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_get_chat_member_time_out_during_join_is_not_a_refusal(api, harness, quick_checks, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    zoe = api.create_user("Zoe")
    api.add_member(team.group, zoe)
    link = start_payload(await say(api, zoe, team.group, "/join"))
    api.hang_for("getChatMember", 30, hold=3)
    before = len(api.chat_log(zoe))
    await api.start_private(zoe, payload=link)
    answer = await bot_reply(api, zoe, before, timeout=10)
    assert UNREACHABLE in answer.text and "not in the group" not in answer.text
    assert answer.html == TELEGRAM_UNREACHABLE
    with harness.db.session() as s:
        assert not s.exec(select(Member).where(Member.telegram_user_id == zoe.id)).one().private_chat
    # A minute later Telegram answers again, and the same link connects her.
    api.end_outages()
    before = len(api.chat_log(zoe))
    await api.start_private(zoe, payload=link)
    assert "connected" in (await bot_reply(api, zoe, before)).text
    await api.wait_idle(timeout=10)
    assert errors(caplog) == []


async def test_an_admin_check_that_times_out_is_answered_kindly_and_changes_nothing(api, harness, quick_checks,
                                                                                   caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    with harness.db.session() as s:
        name_before = s.exec(select(Team)).one().name
    harness.bot.app.bot_data["runtime"].admin_cache.clear()
    api.hang_for("getChatAdministrators", 30, hold=3)
    answer = await say(api, team.admin, team.group, "/setup")
    assert UNREACHABLE in answer.text
    await api.wait_idle(timeout=10)
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().name == name_before
    assert errors(caplog) == []
    # Not retried as a failure: one kind answer, and the update is done with.
    assert [m.text for m in api.chat_log(team.group)].count(answer.text) == 1
