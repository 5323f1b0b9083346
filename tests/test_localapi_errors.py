"""The local Bot API server refuses what Telegram refuses, in Telegram's words."""

# ruff: noqa: F811 - the fixtures `api` and `bot` are imported, and tests name them

from __future__ import annotations

import asyncio
import json
import re
import time

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, EndPointNotFound, Forbidden, InvalidToken

from piebot.localapi import LocalBotApi
from piebot.localapi.entities import parse_html
from piebot.localapi.model import ApiError
from tests.localapi_helpers import TOKEN, api, bot, team  # noqa: F401 - fixtures

# PTB 22.2+ warns that RetryAfter.retry_after will become a timedelta; the value is what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


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


async def test_a_timeout_says_where_the_bot_waits_and_whether_the_loop_was_held(api: LocalBotApi) -> None:
    # A stuck update and a loop held by blocking work are told apart in the failure itself.
    never = asyncio.Event()

    async def an_update_that_waits() -> None:
        await never.wait()

    stuck = asyncio.create_task(an_update_that_waits(), name="piebot-update-7")
    await asyncio.sleep(0)
    try:
        with pytest.raises(AssertionError) as failure:
            await api.wait_for(lambda: time.sleep(0.3), timeout=0.2)
    finally:
        stuck.cancel()
    said = str(failure.value)
    assert "piebot-update-7 at test_localapi_errors.py:" in said
    pause = float(re.search(r"longest pause of the event loop ([0-9.]+)s", said).group(1))
    assert pause >= 0.3


async def test_reactions_as_telegram_answers_them(api: LocalBotApi, bot: Bot) -> None:
    alice, group = team(api)
    await api.add_bot(group, by=alice)
    said = await api.send(alice, group, "hello")
    assert await bot.set_message_reaction(group.id, said["message_id"], "✍")
    assert api.reactions_on(group.id, said["message_id"]) == ["✍"]
    assert await bot.set_message_reaction(group.id, said["message_id"], "👍")  # replaces the bot's earlier one
    assert api.reactions_on(group.id, said["message_id"]) == ["👍"]
    with pytest.raises(BadRequest, match="(?i)reaction_invalid"):
        await bot.set_message_reaction(group.id, said["message_id"], "🦖")  # not a standard reaction
    with pytest.raises(BadRequest, match="(?i)message_id_invalid"):
        await bot.set_message_reaction(group.id, 999999, "👍")
    group.reactions_allowed = False  # the group's admins switched reactions off
    with pytest.raises(BadRequest, match="(?i)reaction_invalid"):
        await bot.set_message_reaction(group.id, said["message_id"], "✍")
    assert await bot.set_message_reaction(group.id, said["message_id"], [])  # taking it off is fine
    assert api.reactions_on(group.id, said["message_id"]) == []
