""""Close now": the facilitator ends a check-in early (one done in a meeting), and its summary goes out at once.

The press claims the closing the same way the scheduler does when a window runs out (one UPDATE that
only one caller can win, piebot.storage.closings.close_now), so the summary is posted exactly once:
a second press, another admin's, or the scheduler's next sweep find it already closed. If posting
fails the claim is given back, and the scheduler posts it at its next sweep instead.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from conversations.texts import checkins as texts
from piebot import clock
from piebot.storage import closings
from piebot.storage.db import AlreadyDone
from piebot.telegram.checkins import posts
from piebot.telegram.guards import is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)


async def may_close(update: Update, context: ContextTypes.DEFAULT_TYPE, member) -> bool:
    """The team's facilitators and the group's admins."""
    if member is not None and member.active and member.facilitator:
        return True
    return await is_admin(update, context)


async def close_now(update: Update, context: ContextTypes.DEFAULT_TYPE, checkin, member) -> None:
    query = update.callback_query
    if not await may_close(update, context, member):
        await query.answer(texts.ONLY_LEADS_CLOSE, show_alert=True)
        return
    rt = runtime_of(context)
    now = clock.now()
    try:
        closing = await rt.apply(update, lambda s: closings.close_now(s, checkin.id, now))
    except AlreadyDone:
        return
    if closing is None:
        await query.answer(texts.CHECKIN_CLOSED, show_alert=True)
        return
    await query.answer(texts.CLOSED_NOW)
    app = context.application
    try:
        await posts.post_summary(context.bot, closing)
    except TelegramError as exc:
        log.warning("summary of a check-in closed early not posted: %s", type(exc).__name__)
        await rt.apply(None, lambda s: closings.unclaim_closing(s, closing.checkin_id))
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # already without buttons, or too old to edit: the buttons refuse politely anyway
    await run_closed_hooks(app, closing.checkin_id)


async def run_closed_hooks(app: Application, checkin_id: int) -> None:
    for hook in app.bot_data.get("on_checkin_closed", []):
        try:
            await hook(app, checkin_id)
        except Exception:  # noqa: BLE001 - a chart failing must not undo the summary
            log.exception("on_checkin_closed hook failed")
