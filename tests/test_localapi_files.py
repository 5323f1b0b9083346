"""The local Bot API server's files, command menus, chats and channels."""

# ruff: noqa: F811 - the fixtures `api` and `bot` are imported, and tests name them

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InputMediaDocument,
    InputMediaPhoto,
)
from telegram.error import BadRequest, Forbidden

from piebot.localapi import LocalBotApi
from piebot.localapi.people import tiny_png
from tests.localapi_helpers import api, bot, team  # noqa: F401 - fixtures

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


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


async def test_albums_of_photos_or_documents(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    photos = await bot.send_media_group(group.id, [
        InputMediaPhoto(tiny_png(3, 2), caption="<b>first</b>", parse_mode="HTML"), InputMediaPhoto(tiny_png(2, 2))])
    assert len({m.media_group_id for m in photos}) == 1 and photos[0].caption == "first"
    assert [m.kind for m in api.chat_log(group)] == ["photo", "photo"]
    papers = await bot.send_media_group(group.id, [
        InputMediaDocument(b"a,b\n", filename="a.csv"), InputMediaDocument(b"%PDF-1.4", filename="b.pdf")])
    assert [m.document.file_name for m in papers] == ["a.csv", "b.pdf"]
    with pytest.raises(BadRequest, match="Media_group_invalid"):
        await bot.send_media_group(group.id, [InputMediaPhoto(tiny_png()), InputMediaDocument(b"x", filename="x")])
    with pytest.raises(BadRequest, match="Wrong number of media"):
        await bot.send_media_group(group.id, [InputMediaPhoto(tiny_png())])
