"""Logged once: a failed attempt at an update that will be tried again is a WARNING without a traceback;
giving up on it is the one ERROR, with the code path; nothing logged quotes what a member wrote."""

from __future__ import annotations

import logging

from telegram.ext import MessageHandler, filters

from piebot.demo.people import add_bot_and_set_up
from piebot.telegram.delivery import polling

SECRET = "the words Bea wrote"


async def fails_every_time(update, context) -> None:
    # An exception whose message quotes the member, as a careless one might.
    raise RuntimeError(f"could not keep {update.effective_message.text!r}")


async def test_a_handler_that_keeps_failing_is_logged_once_as_an_error(api, harness, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(polling, "FIRST_RETRY_SECONDS", 0.05)
    team = await add_bot_and_set_up(api, members=1)
    harness.bot.app.add_handler(MessageHandler(filters.Regex("^boom"), fails_every_time), group=-5)
    await api.send(team.members[0], team.members[0], f"boom: {SECRET}")
    await api.wait_idle(timeout=15)
    assert api.pending_updates() == []  # given up, and confirmed

    attempts = [r for r in caplog.records if "error while handling update" in r.getMessage()]
    assert len(attempts) == polling.ATTEMPTS
    assert all(r.levelno == logging.WARNING and r.exc_info is None and "Traceback" not in r.getMessage()
               and "File " not in r.getMessage() for r in attempts)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "gave up on update" in errors[0].getMessage()
    assert "fails_every_time" in errors[0].getMessage()  # the code path, to find the fault
    assert not [r for r in caplog.records if SECRET in r.getMessage()]
