"""The local Bot API server's flood limits and the faults a test can make it show."""

# ruff: noqa: F811 - the fixtures `api` and `bot` are imported, and tests name them

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaDocument, InputMediaPhoto
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from piebot.localapi import LocalBotApi
from piebot.localapi.people import tiny_png
from tests.localapi_helpers import TOKEN, FakeClock, api, bot, team  # noqa: F401 - fixtures

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# --------------------------------------------------------------------------------- limits, faults


async def test_twenty_first_group_message_in_a_minute_is_refused() -> None:
    clock = FakeClock()
    async with LocalBotApi(token=TOKEN, enforce_limits=True, clock=clock) as api:
        alice, group = team(api)
        await api.add_bot(group, by=alice)
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            sent = []
            for n in range(20):
                sent.append(await bot.send_message(group.id, f"message {n}"))
                clock.now += 0.5
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(group.id, "one too many")
            # The first message was sent 10 s before the last: 50 s are left of its minute.
            assert caught.value.retry_after == 50
            clock.now += 49
            with pytest.raises(RetryAfter):
                await bot.edit_message_text("edits count too", chat_id=group.id, message_id=sent[0].message_id)
            clock.now += 1
            await bot.send_message(group.id, "allowed again")
            assert api.stats.too_many_requests == 2


async def test_overall_and_private_limits() -> None:
    clock = FakeClock()
    async with LocalBotApi(token=TOKEN, enforce_limits=True, clock=clock) as api:
        people = [api.create_user(f"P{n}") for n in range(31)]
        for person in people:
            await api.start_private(person)
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            for _ in range(3):
                await bot.send_message(people[0].id, "hi")
            with pytest.raises(RetryAfter):
                await bot.send_message(people[0].id, "a fourth within three seconds")
            for person in people[1:28]:
                await bot.send_message(person.id, "hi")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(people[30].id, "the 31st in a second")
            assert caught.value.retry_after == 1
        assert api.stats.too_many_requests == 2


async def test_fault_injection(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    api.fail_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(group.id, "lost")
    api.fail_next("sendMessage", code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(group.id, "throttled")
    assert caught.value.retry_after == 7
    api.delay_next("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(group.id, "slow", read_timeout=0.05)
    # Like Telegram, a request the client gave up on still goes through.
    await api.wait_for(lambda: api.chat_log(group))
    assert [m.text for m in api.chat_log(group)] == ["slow"]
    assert api.stats.too_many_requests == 1


async def test_an_album_needs_room_for_every_item() -> None:
    clock = FakeClock()
    async with LocalBotApi(token=TOKEN, enforce_limits=True, clock=clock) as api:
        alice, group = team(api)
        await api.add_bot(group, by=alice)
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            for n in range(17):
                await bot.send_message(group.id, f"message {n}")
            album = [InputMediaPhoto(tiny_png(2, 2)) for _ in range(4)]
            with pytest.raises(RetryAfter):
                await bot.send_media_group(group.id, album)
            assert len(await bot.send_media_group(group.id, album[:3])) == 3
        assert len(api.chat_log(group)) == 20


async def test_an_album_bigger_than_a_private_chats_window_goes_when_the_window_is_empty() -> None:
    clock = FakeClock()
    async with LocalBotApi(token=TOKEN, enforce_limits=True, clock=clock) as api:
        lin = api.create_user("Lin")
        await api.start_private(lin)
        async with Bot(TOKEN, base_url=api.base_url) as bot:
            await bot.send_message(lin.id, "the intro")
            papers = [InputMediaDocument(f"{n}\n".encode(), filename=f"{n}.csv") for n in range(5)]
            with pytest.raises(RetryAfter) as caught:
                await bot.send_media_group(lin.id, papers)
            assert caught.value.retry_after == 3
            clock.now += 3
            assert len(await bot.send_media_group(lin.id, papers)) == 5
            # Every item counts: what follows waits until they have all left the window.
            clock.now += 2.5
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(lin.id, "straight after")
            assert caught.value.retry_after == 1
            clock.now += 0.5
            await bot.send_message(lin.id, "a while after")
        assert [m.kind for m in api.chat_log(lin)] == ["text"] + ["document"] * 5 + ["text"]
        assert api.stats.too_many_requests == 2


async def test_a_method_fails_for_a_while_then_works_again(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    api.fail_for("setMyCommands", 0.3, code=502, description="Bad Gateway")
    for _ in range(3):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.set_my_commands([BotCommand("help", "How this works")])
    await asyncio.sleep(0.35)
    assert await bot.set_my_commands([BotCommand("help", "How this works")])
    # Other methods were never touched.
    assert (await bot.send_message(group.id, "still here")).text == "still here"


async def test_a_hanging_method_times_out_the_client(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api, kind="supergroup")
    await api.add_bot(group, by=alice)
    api.hang_for("getChatMember", 0.5, hold=0.4)
    with pytest.raises(TimedOut):
        await bot.get_chat_member(group.id, alice.id, read_timeout=0.1)
    await asyncio.sleep(0.5)
    assert (await bot.get_chat_member(group.id, alice.id, read_timeout=0.5)).status == "creator"


async def test_paused_updates_pile_up_and_come_after_the_pause(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    card = await bot.send_message(group.id, "pick", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")]]))
    api.pause_updates()
    presses = [await api.press(alice, card.to_dict(), "a") for _ in range(3)]
    assert await bot.get_updates(timeout=0) == ()
    api.resume_updates()
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.id for u in updates if u.callback_query] == presses


async def test_a_moved_clock_makes_waiting_presses_too_old_to_answer(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    card = await bot.send_message(group.id, "pick", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")]]))
    fresh, stale = await api.press(alice, card.to_dict(), "a"), await api.press(alice, card.to_dict(), "a")
    assert await bot.answer_callback_query(fresh)
    api.move_clock(16)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired or query id is invalid"):
        await bot.answer_callback_query(stale)
    assert api.answer_to(stale) is None
    # Dates move with the clock.
    assert (await bot.send_message(group.id, "later")).date.timestamp() >= card.date.timestamp() + 16


async def test_raw_updates_go_out_as_they_were_given(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    card = await bot.send_message(group.id, "pick", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")]]))
    await bot.get_updates(offset=-1)
    odd = api.queue_raw_update({"future_kind": {"id": 7, "shiny": True}})
    await api.press(alice, card.to_dict(), "a", omit=("chat_instance",))
    raw = api.pending_updates()
    assert raw[-2] == {"update_id": odd, "future_kind": {"id": 7, "shiny": True}}
    assert "chat_instance" not in raw[-1]["callback_query"] and raw[-1]["callback_query"]["data"] == "a"
