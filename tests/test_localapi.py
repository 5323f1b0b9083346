"""The local Bot API server, exercised through the real PTB Bot and Application: round trips and getUpdates."""

# ruff: noqa: F811 - the fixtures `api` and `bot` are imported, and tests name them

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from piebot.localapi import LocalBotApi
from tests.localapi_helpers import api, bot, build_app, echo, polling, rated, team  # noqa: F401 - fixtures

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


# ------------------------------------------------------------------------------------ round trips


async def test_echo_application_answers_a_group_command(api: LocalBotApi) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    app = build_app(api)
    app.add_handler(CommandHandler("echo", echo))
    async with polling(app):
        sent = await api.send(alice, group, "/echo@piebot_test_bot hello team")
        message = await api.wait_for(lambda: api.chat_log(group) and api.last(group))
        await api.wait_idle()
    assert sent["entities"] == [{"offset": 0, "length": 21, "type": "bot_command"}]
    assert message.text == "hello team"
    assert message.reply_to_message_id == sent["message_id"]
    assert message.buttons == [[("Level 1", "v1:r:5:13"), ("Level 2", "v1:r:5:14")]]
    assert not api.pending_updates()
    assert [c.method for c in api.calls][:2] == ["getMe", "deleteWebhook"]


async def test_button_press_round_trips(api: LocalBotApi) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    app = build_app(api)
    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(rated))
    async with polling(app):
        await api.send(alice, group, "/echo rate")
        card = await api.wait_for(lambda: api.chat_log(group) and api.last(group))
        query_id = await api.press(alice, card, card.button("Level 2"))
        await api.wait_for(lambda: api.answer_to(query_id) and card.edit_count == 1)
    assert api.answer_to(query_id)["text"] == "Saved v1:r:5:14"
    assert api.answer_to(query_id)["show_alert"] is True
    assert card.text == "Rated by Alice"
    assert card.entities == [{"offset": 9, "length": 5, "type": "bold"}]
    # Telegram drops the keyboard when an edit does not repeat it.
    assert card.reply_markup is None and card.buttons == []
    transcript = api.transcript(group)
    assert "Alice: /echo rate" in transcript
    assert "Alice pressed [ Level 2 ]" in transcript
    with pytest.raises(ValueError, match="no button"):
        await api.press(alice, card, "v1:r:5:99")


async def test_callback_query_is_answerable_once(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    card = await bot.send_message(group.id, "pick", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("A", callback_data="a")]]))
    query_id = await api.press(alice, card.to_dict(), "a")
    assert await bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id, text="again")


# --------------------------------------------------------------------------------- getUpdates


async def test_offset_confirmation_survives_a_restarted_poller(api: LocalBotApi) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    seen: list[str] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.effective_message.text)

    first = build_app(api)
    first.add_handler(CommandHandler("note", record))
    async with polling(first):
        await api.send(alice, group, "/note one")
        await api.wait_for(lambda: seen == ["/note one"])
    await api.send(alice, group, "/note two")

    second = build_app(api)
    second.add_handler(CommandHandler("note", record))
    async with polling(second):
        await api.wait_for(lambda: seen == ["/note one", "/note two"])
        await api.wait_idle()
    assert not api.pending_updates()


async def test_get_updates_offset_limit_and_long_poll(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    for text in ("/a", "/b", "/c"):
        await api.send(alice, group, text)
    everything = await bot.get_updates()
    assert [u.update_id for u in everything] == [1, 2, 3, 4, 5]
    # Fetching without an offset confirms nothing.
    assert len(await bot.get_updates()) == 5
    two = await bot.get_updates(offset=3, limit=2)
    assert [u.message.text for u in two] == ["/a", "/b"]
    assert [u.update_id for u in await bot.get_updates(offset=3)] == [3, 4, 5]
    assert [u["update_id"] for u in api.pending_updates()] == [3, 4, 5]
    await bot.get_updates(offset=6)
    assert api.pending_updates() == []

    waiting = asyncio.create_task(bot.get_updates(offset=6, timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    started = asyncio.get_running_loop().time()
    await api.send(alice, group, "/late")
    updates = await waiting
    assert asyncio.get_running_loop().time() - started < 1.0
    assert [u.message.text for u in updates] == ["/late"]


async def test_privacy_mode_hides_plain_group_chatter(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    await bot.get_updates(offset=-1)
    await bot.get_updates(offset=3)
    card = await bot.send_message(group.id, "What do you think?", reply_markup=ForceReply(selective=True))
    await api.send(alice, group, "just chatting")
    await api.send(alice, group, "my answer", reply_to=card.to_dict())
    updates = await bot.get_updates(offset=3)
    assert [u.message.text for u in updates] == ["my answer"]
    assert updates[0].message.reply_to_message.message_id == card.message_id
    assert [m["text"] for m in api.hidden_messages] == ["just chatting"]
    assert api.last(group).force_reply is True


async def test_service_updates_parse_as_ptb_objects(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    bob = api.create_user("Bob", username="bob")
    api.add_member(group, bob)
    await api.add_bot(group, by=alice, status="administrator")
    await bot.get_updates(allowed_updates=Update.ALL_TYPES)
    await api.leave(group, bob)
    new_id = await api.migrate(group)
    query = await api.send_photo(alice, group, caption="our board")
    updates = await bot.get_updates()
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in updates]
    assert kinds == ["my_chat_member", "message", "message", "chat_member", "message", "message", "message"]
    added = updates[0].my_chat_member
    assert added.old_chat_member.status == "left" and added.new_chat_member.status == "administrator"
    assert updates[1].message.new_chat_members[0].username == "piebot_test_bot"
    assert updates[2].message.left_chat_member.first_name == "Bob"
    assert updates[3].chat_member.new_chat_member.status == "left"
    assert updates[4].message.migrate_to_chat_id == new_id
    assert updates[5].message.migrate_from_chat_id == updates[4].message.chat.id
    assert updates[5].message.chat.type == "supergroup" and group.id == new_id
    photo = updates[6].message.photo[-1]
    assert query["caption"] == "our board"
    data = await (await bot.get_file(photo.file_id)).download_as_bytearray()
    assert bytes(data).startswith(b"\x89PNG")


async def test_chat_member_updates_need_opt_in(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    bob = api.create_user("Bob")
    api.add_member(group, bob)
    await api.add_bot(group, by=alice, status="administrator")
    await api.set_status(group, bob, "administrator", by=alice)
    kinds = [next(k for k in u if k != "update_id") for u in api.pending_updates()]
    assert "chat_member" not in kinds
