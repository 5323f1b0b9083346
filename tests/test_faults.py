"""Telegram misbehaving: 429 storms, 5xx errors, a group becoming a supergroup, people leaving."""

from __future__ import annotations

import pytest
from sqlmodel import select
from telegram.error import BadRequest, NetworkError, TimedOut

from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.storage import rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import Dialog, Member, Prompt, Round, Team
from piebot.telegram.delivery.ratelimit import PatientRateLimiter
from tests.rounds_helpers import rate, start_round, tap, wait_card


def _sends(api, method: str, status: int) -> int:
    return sum(1 for c in api.calls if c.method == method and c.status == status)


def _texts(api, chat) -> list[str]:
    return [m.text for m in api.chat_log(chat)]


async def test_a_429_storm_on_replies_loses_no_message(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    api.fail_next("sendMessage", code=429, description="Too Many Requests: retry after 1", retry_after=1, times=5)
    before = len(api.chat_log(team.group))
    await api.send(team.members[0], team.group, "/help")
    answer = await bot_reply(api, team.group, before, timeout=20)
    assert "/assess" in answer.text
    await api.wait_idle(timeout=10)
    assert _sends(api, "sendMessage", 429) == 5
    assert len(api.chat_log(team.group)) == before + 1  # once, not once per attempt


async def test_a_429_storm_on_a_scheduled_job_loses_no_message(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    app = harness.bot.app

    async def reminder(context):
        await context.bot.send_message(team.group.id, "Check-in closes soon")

    api.fail_next("sendMessage", code=429, retry_after=1, times=3)
    app.job_queue.run_once(reminder, when=0)
    await api.wait_for(lambda: "Check-in closes soon" in _texts(api, team.group), timeout=15)
    assert _sends(api, "sendMessage", 429) == 3
    assert _texts(api, team.group).count("Check-in closes soon") == 1


async def test_5xx_errors_are_retried_and_lose_nothing(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    bea = team.members[0]
    api.fail_next("sendMessage", code=502, description="Bad Gateway", times=3)
    answer = await say(api, bea, team.group, "/help")
    assert "/assess" in answer.text
    # A button press: the answer and the edit both meet a server error first.
    card = await say(api, team.admin, team.group, "/retention")
    api.fail_next("answerCallbackQuery", code=500, times=2)
    api.fail_next("editMessageText", code=503, description="Service Unavailable", times=2)
    query = await api.press(team.admin, card, card.button("365"))
    await api.wait_for(lambda: api.answer_to(query) is not None, timeout=15)
    await api.wait_for(lambda: "365 days" in next(m for m in api.chat_log(team.group)
                                                   if m.message_id == card.message_id).text, timeout=15)
    # A document too.
    api.fail_next("sendDocument", code=500, times=2)
    document = await say(api, bea, bea, "/mydata")
    assert document.kind == "document"
    await api.wait_idle(timeout=10)
    assert _texts(api, team.group).count(answer.text) == 1
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().retention_days == 365


def _open_round_with_waiting_reply(db, chat_id: int, member_user_id: int) -> int:
    with session_scope(db) as s:
        team = teams.team_for_chat(s, chat_id)
        member = teams.member_of(s, team.id, member_user_id)
        round_ = rounds.open_round(s, team_id=team.id, element_ids=["empathy", "support"], scope="all",
                                   scope_ref=None, mode="async", anonymous=False, framework_variant="pies2",
                                   opened_by=member.id)
        rounds.record_rating(s, round_, member, "empathy", 11)
        s.add(Prompt(chat_id=chat_id, message_id=999, team_id=team.id, purpose="stage", round_id=round_.id,
                     element_id="empathy", stage="evidence"))
        s.add(Dialog(chat_id=chat_id, telegram_user_id=member_user_id, state={"waiting": "evidence"}))
        return round_.id


async def test_an_upgraded_group_keeps_its_team_round_prompts_and_dialogs(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    old_id = team.group.id
    round_id = _open_round_with_waiting_reply(harness.db, old_id, team.members[0].id)
    new_id = await api.migrate(team.group)
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.exec(select(Team.chat_id)).one() == new_id
        assert s.exec(select(Prompt.chat_id)).all() == [new_id]
        assert new_id in s.exec(select(Dialog.chat_id)).all() and old_id not in s.exec(select(Dialog.chat_id)).all()
        assert len(s.exec(select(Member)).all()) == 3
        assert s.get(Round, round_id).status == "open"
    # Under the new id the team is the same team: nobody has to join or set up again.
    assert "already in" in (await say(api, team.members[1], team.group, "/join")).text
    assert "No round" not in (await say(api, team.admin, team.group, "/status")).text
    assert "365 days" in (await say(api, team.admin, team.group, "/retention 365")).text


async def test_a_send_to_the_old_id_follows_the_group_even_if_the_notice_was_missed(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    old_id = team.group.id
    await harness.stop()
    new_id = await api.migrate(team.group)
    # As if the two upgrade notices never reached this bot (another worker had them and died).
    api._confirm(api._next_update_id)
    await harness.start()
    app = harness.bot.app

    async def checkin(context):
        def chat_of(session):
            return session.exec(select(Team.chat_id)).one()

        chat_id = await app.bot_data["runtime"].read(chat_of)
        await context.bot.send_message(chat_id, "Weekly check-in: how did this week go?")

    app.job_queue.run_once(checkin, when=0)
    await api.wait_for(lambda: any("Weekly check-in" in t for t in _texts(api, team.group)))
    assert any(c.status == 400 and "upgraded" in (c.description or "") for c in api.calls)
    assert api.last(team.group).chat_id == new_id
    with harness.db.session() as s:
        assert s.exec(select(Team.chat_id)).one() == new_id != old_id
    assert "already in" in (await say(api, team.members[0], team.group, "/join")).text


async def test_a_live_round_carries_on_after_the_group_is_upgraded(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    card = await start_round(api, team)
    await rate(api, team.members[0], card, 2, 1)
    await rate(api, team.members[1], card, 2, 3)
    before = len(api.chat_log(team.group))
    new_id = await api.migrate(team.group)
    await api.wait_idle()
    fresh = [m for m in api.chat_log(team.group)[before:] if m.chat_id == new_id and m.buttons]
    assert fresh, "no card in the supergroup to go on with"
    card = fresh[-1]
    assert "2 of 4 have rated" in card.text
    await rate(api, team.members[2], card, 3, 1)
    await rate(api, team.admin, card, 2, 5)
    card = await wait_card(api, card, "4 of 4 have rated")
    await tap(api, team.admin, card, "Share the views")
    await wait_card(api, card, "Everyone's views")
    before = len(api.chat_log(team.group))
    await say(api, team.admin, team.group, "/close")
    await api.wait_for(lambda: any("summary" in m.text for m in api.chat_log(team.group)[before:]), timeout=10)
    with harness.db.session() as s:
        assert s.exec(select(Round)).one().status == "closed"
        assert s.exec(select(Team.chat_id)).one() == new_id


async def _counted(harness) -> int:
    with harness.db.session() as s:
        team = s.exec(select(Team)).one()
        return rounds.members_counted(s, team.id)


async def test_a_member_who_leaves_the_group_is_no_longer_counted(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    cal = team.members[1]
    assert await _counted(harness) == 4
    await api.leave(team.group, cal)
    await api.wait_idle()
    assert await _counted(harness) == 3
    with harness.db.session() as s:
        member = s.exec(select(Member).where(Member.telegram_user_id == cal.id)).one()
        assert not member.active and member.display_name == "Cal"  # answers and name stay with the team
    _open_round_with_waiting_reply(harness.db, team.group.id, team.members[0].id)
    assert "0 of 3 have finished" in (await say(api, team.admin, team.group, "/status")).text


async def test_a_member_removed_by_an_admin_is_inactive_and_can_come_back(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    cal = team.members[1]
    # As an admin the bot is told about every membership change (chat_member updates).
    await api.promote_bot(team.group, by=team.admin)
    await api.set_status(team.group, cal, "kicked", by=team.admin)
    await api.wait_idle()
    assert await _counted(harness) == 2
    await api.set_status(team.group, cal, "member", by=team.admin)
    assert "Cal" in (await say(api, cal, team.group, "/join")).text
    assert await _counted(harness) == 3


async def test_an_old_join_link_does_not_bring_back_someone_who_left(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    bea = team.members[0]
    reply = await say(api, bea, team.group, "/join")
    payload = next(b["url"] for row in reply.reply_markup["inline_keyboard"] for b in row if "url" in b)
    payload = payload.split("start=")[1]
    await api.leave(team.group, bea)
    await api.wait_idle()
    before = len(api.chat_log(bea))
    await api.start_private(bea, payload=payload)
    answer = await bot_reply(api, bea, before)
    assert "not in" in answer.text
    assert await _counted(harness) == 1


async def test_time_outs_and_network_errors_are_tried_again_with_backoff():
    # Telegram carries out a call whose answer timed out, so a retry can repeat a message; what a
    # retry must never do is give up on the first hiccup. Driven directly: a real time-out takes 15 s.
    limiter = PatientRateLimiter(network_retries=3, first_backoff=0.01)
    await limiter.initialize()
    failures = [TimedOut(), NetworkError("Bad Gateway")]
    calls = []

    async def send(*args, **kwargs):
        calls.append(args)
        if failures:
            raise failures.pop(0)
        return {"message_id": 1}

    result = await limiter.process_request(send, ("sendMessage", {"chat_id": -1}), {}, "sendMessage",
                                           {"chat_id": -1}, None)
    assert result == {"message_id": 1} and len(calls) == 3
    # A request Telegram refuses as wrong is not retried.
    calls.clear()

    async def refused(*args, **kwargs):
        calls.append(args)
        raise BadRequest("Bad Request: message text is empty")

    with pytest.raises(BadRequest):
        await limiter.process_request(refused, ("sendMessage", {"chat_id": -1}), {}, "sendMessage",
                                      {"chat_id": -1}, None)
    assert len(calls) == 1
    await limiter.shutdown()
