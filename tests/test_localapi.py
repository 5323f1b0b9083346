"""The local Bot API server, exercised through the real PTB Bot and Application."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from piebot.localapi import LocalBotApi
from piebot.localapi.entities import parse_html
from piebot.localapi.model import ApiError
from piebot.localapi.people import tiny_png

TOKEN = "123456:TEST-local-api"

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(token=TOKEN) as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def build_app(api: LocalBotApi, token: str = TOKEN) -> Application:
    return ApplicationBuilder().token(token).base_url(api.base_url).base_file_url(api.base_file_url).build()


@contextlib.asynccontextmanager
async def polling(app: Application, **kwargs) -> AsyncIterator[Application]:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, **kwargs)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def team(api: LocalBotApi, kind: str = "group"):
    alice = api.create_user("Alice", username="alice")
    group = api.create_group("Hope House team", kind=kind)
    api.add_member(group, alice, status="creator")
    return alice, group


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Level 1", callback_data="v1:r:5:13"),
                                      InlineKeyboardButton("Level 2", callback_data="v1:r:5:14")]])
    await update.effective_message.reply_text(" ".join(context.args) or "nothing", reply_markup=keyboard)


async def rated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Saved {query.data}", show_alert=True)
    await query.edit_message_text(f"Rated by <b>{query.from_user.first_name}</b>", parse_mode=ParseMode.HTML)


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


# --------------------------------------------------------------------------------- errors


async def test_bad_requests_carry_telegrams_wording(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    with pytest.raises(BadRequest, match='Can\'t parse entities: unsupported start tag "" at byte offset 6'):
        await bot.send_message(group.id, "score < 3", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities: unescaped"):
        await bot.send_message(group.id, "Tom & Jerry", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="find end tag corresponding"):
        await bot.send_message(group.id, "<b>bold", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(group.id, "x" * 4097)
    assert (await bot.send_message(group.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")).text
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(group.id, "<i></i>", parse_mode=ParseMode.HTML)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="v" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(group.id, "pick", reply_markup=too_long)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", chat_id=group.id, message_id=999)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(group.id, "hi", reply_to_message_id=999)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-42, "hi")
    assert [c.status for c in api.calls if c.method == "sendMessage"].count(400) == 8


async def test_edit_to_identical_content_is_not_modified(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    card = await bot.send_message(group.id, "<b>Round</b> 1", parse_mode="HTML", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text("<b>Round</b> 1", chat_id=group.id, message_id=card.message_id,
                                    parse_mode="HTML", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(group.id, card.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_text("<b>Round</b> 2", chat_id=group.id, message_id=card.message_id,
                                         parse_mode="HTML", reply_markup=keyboard)
    assert edited.text == "Round 2" and edited.edit_date is not None
    assert api.last(group).html == "<b>Round</b> 2"
    await bot.edit_message_reply_markup(group.id, card.message_id)
    assert api.last(group).edit_count == 2 and api.last(group).buttons == []
    assert await bot.delete_message(group.id, card.message_id)
    assert api.chat_log(group) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(group.id, card.message_id)


async def test_forbidden_errors(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    await api.remove_bot(group, by=alice)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "hello?")
    bob = api.create_user("Bob")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob.id, "hi Bob")
    await api.start_private(bob, payload="abc")
    assert (await bot.send_message(bob.id, "hi Bob")).chat.type == "private"
    await api.block(bob)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "still there?")
    start = [u for u in api.pending_updates() if "message" in u][-1]["message"]
    assert start["text"] == "/start abc" and start["chat"]["id"] == bob.id


async def test_migrated_group_raises_chat_migrated(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    old_id = group.id
    await bot.send_message(old_id, "before")
    new_id = await api.migrate(group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(old_id, "after")
    assert caught.value.new_chat_id == new_id
    await bot.send_message(new_id, "after")
    assert [m.text for m in api.chat_log(group)] == ["before", "after"]


async def test_unknown_token_and_method(api: LocalBotApi) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with session.post(f"{api.base_url}{TOKEN}/frobnicate", json={}) as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass
    async with Bot(TOKEN, base_url=api.base_url) as client:
        with pytest.raises(EndPointNotFound):
            await client.do_api_request("frobnicate")


async def test_json_and_form_bodies_are_read_alike(api: LocalBotApi) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{TOKEN}/sendMessage"
        async with session.post(url, json={"chat_id": group.id, "text": "json", "reply_markup": markup}) as r:
            assert (await r.json())["result"]["reply_markup"] == markup
        form = {"chat_id": str(group.id), "text": "form", "reply_markup": json.dumps(markup)}
        async with session.post(url, data=form) as r:
            assert (await r.json())["result"]["text"] == "form"
        async with session.get(url, params={"chat_id": str(group.id), "text": "query"}) as r:
            assert (await r.json())["ok"] is True
    assert [m.text for m in api.chat_log(group)] == ["json", "form", "query"]


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


# --------------------------------------------------------------------------------- files, commands, chats


async def test_send_photo_and_document_keep_the_bytes(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    png = tiny_png(3, 2)
    photo = await bot.send_photo(group.id, png, caption="<b>chart</b>", parse_mode="HTML", filename="c.png")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    log = api.last(group)
    assert (log.kind, log.file, log.filename, log.text) == ("photo", png, "c.png", "chart")
    again = await bot.send_photo(group.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    document = await bot.send_document(group.id, b"%PDF-1.4 report", filename="report.pdf")
    assert document.document.file_name == "report.pdf"
    assert document.document.mime_type == "application/pdf"
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 report"
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(group.id, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(group.id, "no-such-file-id")

    voice = await api.send_voice(alice, group, duration=4, reply_to=document.to_dict())
    file = await bot.get_file(voice["voice"]["file_id"])
    assert bytes(await file.download_as_bytearray()).startswith(b"OggS")
    paper = await api.send_document(alice, group, data=b"a,b\n", file_name="scores.csv")
    assert paper["document"]["file_name"] == "scores.csv"
    assert "[document scores.csv]" in api.transcript(group)


async def test_commands_are_stored_per_scope_and_language(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    await bot.set_my_commands([BotCommand("help", "How this works")])
    await bot.set_my_commands([BotCommand("setup", "Start a review")], scope=BotCommandScopeChat(group.id))
    await bot.set_my_commands([BotCommand("hilfe", "Hilfe")], language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["help"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(group.id))] == ["setup"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["hilfe"]
    assert api.commands(BotCommandScopeChat(group.id)) == [{"command": "setup", "description": "Start a review"}]
    await bot.delete_my_commands(scope=BotCommandScopeDefault())
    assert api.commands() == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await bot.set_my_description("Helps teams reflect")
    assert await bot.set_my_short_description("PIEs reviews")
    assert api.bot_text("description") == "Helps teams reflect"
    assert (await bot.get_my_short_description()).short_description == "PIEs reviews"


async def test_chat_queries(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api, kind="supergroup")
    bob = api.create_user("Bob")
    api.add_member(group, bob, status="administrator", is_anonymous=True)
    carol = api.create_user("Carol")
    api.add_member(group, carol)
    await api.add_bot(group, by=alice)
    chat = await bot.get_chat(group.id)
    assert (chat.title, chat.type) == ("Hope House team", "supergroup")
    assert (await bot.get_chat_member(group.id, bob.id)).status == "administrator"
    assert (await bot.get_chat_member(group.id, api.create_user("Dan").id)).status == "left"
    admins = await bot.get_chat_administrators(group.id)
    assert sorted(a.user.first_name for a in admins) == ["Alice", "Bob"]
    assert await bot.get_chat_member_count(group.id) == 4
    assert await bot.send_chat_action(group.id, "typing")
    anonymous = await api.send(bob, group, "/setup")
    assert anonymous["from"]["username"] == "GroupAnonymousBot"
    assert anonymous["sender_chat"]["id"] == group.id
    assert await bot.leave_chat(group.id)
    with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
        await bot.send_message(group.id, "bye")


async def test_channel_posts(api: LocalBotApi, bot: Bot) -> None:
    alice = api.create_user("Alice")
    channel = api.create_group("News", kind="channel")
    api.add_member(channel, alice, status="creator")
    await api.add_bot(channel, by=alice)
    await api.send(alice, channel, "Big news")
    updates = await bot.get_updates()
    assert updates[0].my_chat_member.new_chat_member.status == "administrator"
    assert updates[1].channel_post.text == "Big news"
    posted = await bot.send_message(channel.id, "From the bot")
    assert posted.sender_chat.id == channel.id


# --------------------------------------------------------------------------------- webhooks


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# --------------------------------------------------------------------------------- pieces


def test_html_parser_matches_telegrams_entities() -> None:
    text, entities = parse_html('Hi <b>Ann 😀</b> <a href="https://x.org/?a=1&amp;b=2">link</a> '
                                '<pre><code class="language-python">x = 1</code></pre> &lt;3')
    assert text == "Hi Ann 😀 link x = 1 <3"
    assert entities == [
        {"offset": 3, "length": 6, "type": "bold"},
        {"offset": 10, "length": 4, "type": "text_link", "url": "https://x.org/?a=1&b=2"},
        {"offset": 15, "length": 5, "type": "pre", "language": "python"},
    ]
    assert parse_html('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>')[1][1]["type"] == "spoiler"
    assert parse_html("Tom & Jerry", strict=False)[0] == "Tom & Jerry"
    for bad in ("<b>x</i>", "<script>x</script>", "</b>", "<span>x</span>", "a <b"):
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(bad)


async def test_wait_for_explains_a_timeout(api: LocalBotApi) -> None:
    with pytest.raises(AssertionError, match="condition not met within 0.05s"):
        await api.wait_for(lambda: False, timeout=0.05)
    _, group = team(api)
    with pytest.raises(AssertionError, match="has sent nothing"):
        api.last(group)
