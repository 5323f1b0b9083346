"""No update can stop the poller: one PTB cannot read is logged, confirmed and skipped; one whose effect is
committed already is confirmed without running again; the loop outlives any surprise."""

from __future__ import annotations

import logging

from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.telegram.delivery import polling


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def unreadable(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "could not be read" in r.getMessage()]


async def help_answered(api, team, after: int) -> None:
    answer = await bot_reply(api, team.group, after)
    assert "/assess" in answer.text


async def queue_odd_updates(api, team, card) -> None:
    """A press as another Bot API server sends it (no chat_instance), and a kind PTB has never heard of."""
    await api.press(team.admin, card, card.buttons[0][0][1], omit=("chat_instance",))
    api.queue_raw_update({"paid_star_sparkle": {"id": 7, "from": {"id": team.admin.id}}, "shiny_new_field": 1})


async def test_an_unreadable_update_between_two_helps_leaves_both_answered(api, harness, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    card = await say(api, team.admin, team.group, "/retention")
    before = len(api.chat_log(team.group))
    await api.send(team.members[0], team.group, "/help")
    await queue_odd_updates(api, team, card)
    await api.send(team.members[0], team.group, "/help")
    await help_answered(api, team, before)
    await help_answered(api, team, before + 1)
    await api.wait_idle(timeout=10)
    assert api.pending_updates() == []
    # The press PTB could not read: logged once, by id and kind only.
    assert len(unreadable(caplog)) == 1 and "callback_query" in unreadable(caplog)[0]
    assert errors(caplog) == []

    # The same while the bot is down: after the restart, everything queued is handled or skipped.
    await harness.stop()
    before = len(api.chat_log(team.group))
    await api.send(team.members[0], team.group, "/help")
    await queue_odd_updates(api, team, card)
    await api.send(team.members[0], team.group, "/help")
    await harness.start()
    await help_answered(api, team, before)
    await help_answered(api, team, before + 1)
    await api.wait_idle(timeout=10)
    assert api.pending_updates() == [] and len(unreadable(caplog)) == 2
    assert errors(caplog) == []


async def test_a_redelivered_update_whose_effect_is_committed_does_not_run_again(api, harness, caplog):
    caplog.set_level(logging.INFO)
    team = await add_bot_and_set_up(api, members=1)
    card = await say(api, team.admin, team.group, "/retention")
    api.pause_updates()
    query = await api.press(team.admin, card, card.button("365"))
    press = api.pending_updates()[-1]
    api.resume_updates()
    await api.wait_for(lambda: api.answer_to(query) is not None and "365 days" in api.last(team.group).text)
    await api.wait_idle()
    answers = sum(1 for c in api.calls if c.method == "answerCallbackQuery")
    edits = sum(1 for c in api.calls if c.method.startswith("edit"))
    # Telegram lost the confirmation and sends the press again, to a restarted bot.
    await harness.restart()
    api.redeliver(press)
    await api.wait_idle(timeout=10)
    assert api.pending_updates() == []
    assert sum(1 for c in api.calls if c.method == "answerCallbackQuery") == answers
    assert sum(1 for c in api.calls if c.method.startswith("edit")) == edits
    assert errors(caplog) == []


async def test_the_poll_loop_outlives_a_surprise(api, harness, caplog, monkeypatch):
    team = await add_bot_and_set_up(api, members=1)
    real_fetch, surprises = polling.fetch_raw, []

    async def fetch_once_wrong(*args, **kwargs):
        if not surprises:
            surprises.append(1)
            raise RuntimeError("something nobody expected")
        return await real_fetch(*args, **kwargs)

    monkeypatch.setattr(polling, "UNEXPECTED_PAUSE_SECONDS", 0.1)
    monkeypatch.setattr(polling, "fetch_raw", fetch_once_wrong)
    # The poller is waiting in a long poll; a message ends it, and the next ask meets the surprise.
    answer = await say(api, team.members[0], team.group, "/help")
    assert "/assess" in answer.text
    answer = await say(api, team.members[0], team.group, "/help")
    assert "/assess" in answer.text and surprises == [1]
    logged = [r for r in caplog.records if "polling met RuntimeError" in r.getMessage()]
    # Its kind and where, not its message (which may quote what someone wrote).
    assert len(logged) == 1 and "nobody expected" not in logged[0].getMessage().splitlines()[0]
