"""Flood limits per person per chat, before any feature sees the update.

Someone (or a script on their account) firing commands or pressing a button again and again must
not make the bot spam the group or eat the group's 20 messages a minute. Beyond the limit the
person gets one kind "slow down" and then silence until their window clears (a press is still
answered, with nothing to read, or its button keeps spinning). Presses are limited twice: any
presses (a flood), and repeats: the same button of a message that still reads the same, pressed
again and again by the same person, is refused after a few. (A facilitator pressing "Next" through
the stages presses the same button quickly too, but each press changes the card it is on.) Counts
live in memory: losing them on a restart only forgives a flood, it never loses anything a member wrote.

Presses are checked here once for shape: data piebot could not have sent, or of a kind no
feature handles, gets a short refusal (a press must always be answered) and goes no further.
Each feature still checks chat, ref and presser for its own kinds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import CallbackQuery, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from conversations.texts.refusals import BUTTON_GONE, SLOW_DOWN, SLOW_DOWN_PRESS
from piebot.telegram import callbacks

log = logging.getLogger(__name__)

GROUP = -1


@dataclass
class Window:
    times: deque = field(default_factory=deque)
    warned: bool = False


@dataclass
class FloodLimit:
    """At most `count` events in `seconds` per (chat, person), or per (chat, person, button); refused
    events count as well, so the window clears only once the person slows down."""

    count: int = 10
    seconds: float = 10.0
    clock: Callable[[], float] = time.monotonic
    windows: dict[tuple, Window] = field(default_factory=dict)

    def allow(self, chat_id: int, user_id: int, button: str | None = None) -> tuple[bool, bool]:
        """(allowed, warn): warn is True once, on the first refusal of a burst."""
        now = self.clock()
        if len(self.windows) > 10_000:
            self._forget_idle(now)
        key = (chat_id, user_id) if button is None else (chat_id, user_id, button)
        window = self.windows.setdefault(key, Window())
        while window.times and window.times[0] <= now - self.seconds:
            window.times.popleft()
        if len(window.times) < self.count:
            window.times.append(now)
            window.warned = False
            return True, False
        # A refused event counts too (the oldest making way for it): someone who keeps going stays
        # refused until they slow down, with one "slow down" for the whole burst.
        window.times.append(now)
        window.times.popleft()
        warn = not window.warned
        window.warned = True
        return False, warn

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, w in self.windows.items() if not w.times or w.times[-1] <= now - self.seconds]:
            del self.windows[key]


COMMANDS = "flood_commands"
PRESSES = "flood_presses"
REPEATS = "flood_repeats"


def _who(update: Update) -> tuple[int, int] | None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    # Anonymous admins all write as the group; they share one window, which is fair enough.
    message = update.effective_message
    sender = message.sender_chat.id if message is not None and message.sender_chat is not None else user.id
    return chat.id, sender


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = _who(update)
    if who is None:
        return
    allowed, warn = context.application.bot_data[COMMANDS].allow(*who)
    if allowed:
        return
    log.info("command flood: ignoring commands from one person for a few seconds")
    if warn:
        await update.effective_message.reply_html(SLOW_DOWN)
    raise ApplicationHandlerStop


def _button(query: CallbackQuery) -> str:
    """The button pressed and the message as it read when pressed: the same again is a repeat."""
    message = query.message
    text = getattr(message, "text", None) or getattr(message, "caption", None) or ""
    seen = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return f"{query.data}|{message.message_id if message else ''}|{seen}"


def _claimed(app: Application, update: Update) -> bool:
    """Whether some feature's button handler takes this data."""
    for group, handlers in app.handlers.items():
        if group == GROUP:
            continue
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.check_update(update):
                return True
    return False


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    who = _who(update)
    if who is not None:
        allowed, warn = context.application.bot_data[PRESSES].allow(*who)
        if allowed:
            allowed, warn = context.application.bot_data[REPEATS].allow(*who, _button(query))
        if not allowed:
            if warn:
                log.info("button flood: ignoring presses from one person for a few seconds")
            # A press must be answered or the button keeps spinning: one kind toast, then empty answers.
            await query.answer(SLOW_DOWN_PRESS if warn else None)
            raise ApplicationHandlerStop
    # Data piebot could not have sent (a tampering client, a button of a retired kind) is refused
    # here, once, so that no press is left unanswered and no feature sees it.
    try:
        callbacks.decode(query.data)
        known = _claimed(context.application, update)
    except callbacks.BadButton:
        known = False
    if not known:
        log.warning("button refused: data piebot does not send")
        await query.answer(BUTTON_GONE, show_alert=True)
        raise ApplicationHandlerStop


def register(app: Application, *, commands: FloodLimit | None = None, presses: FloodLimit | None = None) -> None:
    app.bot_data[COMMANDS] = commands or FloodLimit(count=10, seconds=10.0)
    # Rating a round takes a few presses in quick succession; only a flood is stopped.
    app.bot_data[PRESSES] = presses or FloodLimit(count=30, seconds=10.0)
    # Thirty presses on one chart button in nine seconds: a few go through, then "slow down".
    app.bot_data[REPEATS] = FloodLimit(count=4, seconds=4.0)
    app.add_handler(MessageHandler(filters.COMMAND, on_command), group=GROUP)
    app.add_handler(CallbackQueryHandler(on_press), group=GROUP)
