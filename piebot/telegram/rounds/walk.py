"""A round in people's own time ("async"): one status message in the group, edited as people finish,
and each member's own walk through the elements in their private chat, at their own pace.

This module takes what people do in their walk (button kind "wk", ref = round id): the walk's buttons,
"take part" from the group, a nudge or a choice of rounds, typed answers (and photos, voice notes,
documents as evidence) in the private chat, and /start there to pick a walk up again.

The rest lives beside it: walk_steps (what a person sees of their walk), walk_status (the group's
status message), walk_rounds (opening, closing, deadlines and nudges), walk_teamviews (the team views
after the round, kind "wv"), walk_messages (what they share). Where a walk stands is
conversations.walk.Walks, stored by piebot.storage.walks.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.errors import NotAllowed
from conversations.keyboards import Command, LevelChosen, PlaceChosen, positions_caption, rating_positions, read_press
from conversations.texts import refusals
from conversations.texts import walk as texts
from conversations.texts.scale import place
from framework import Stage
from piebot.storage import rounds, walks
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import is_pending
from piebot.telegram import callbacks, replies
from piebot.telegram.delivery import outbox
from piebot.telegram.delivery.outbox import queue_edit, queue_message
from piebot.telegram.rounds.walk_messages import TEAM_VIEWS, WALK, edit, markup, title_of
from piebot.telegram.rounds.walk_rounds import (
    close_async_round,
    on_deposed,
    on_elected,
    open_async_round,
    run_due_work,
    send_due_nudges,
)
from piebot.telegram.rounds.walk_status import refresh_status
from piebot.telegram.rounds.walk_steps import Shown, after_move, queue_next, show_walk, step_markup
from piebot.telegram.rounds.walk_teamviews import on_team_view_press, post_team_views
from piebot.telegram.runtime import runtime_of

# What the rest of piebot and the tests reach through this module.
__all__ = [
    "Shown",
    "close_async_round",
    "on_private_answer",
    "on_private_start",
    "on_team_view_press",
    "on_walk_press",
    "open_async_round",
    "post_team_views",
    "refresh_status",
    "register",
    "run_due_work",
    "send_due_nudges",
    "show_walk",
]

log = logging.getLogger(__name__)

# Telegram shows about this much of a button's label on a phone.
ROUND_CHOICE_CHARS = 60


# ---------------------------------------------------------------- the walk's buttons


async def on_walk_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "walk")
    if press is None:
        return
    if press.arg in ("go", "pick"):
        await _on_take_part(update, context, press.ref)
        return
    chat = update.effective_chat
    user_id = query.from_user.id
    if chat.type != ChatType.PRIVATE or chat.id != user_id:
        log.warning("walk button refused: not in the person's private chat")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    walker = await rt.read(lambda s: walks.walker(s, press.ref, user_id))
    if walker is None:
        log.warning("walk button refused: not a member of the round's team")
        await query.answer(refusals.NOT_JOINED, show_alert=True)
        return
    message = query.message
    if walker.round.status == "closed":
        await query.answer(refusals.ROUND_CLOSED, show_alert=True)
        return
    if is_pending(walker.prompt) and await outbox.settle(rt, user_id):
        # Pressed the moment the question appeared, before its id was written in.
        walker = await rt.read(lambda s: walks.walker(s, press.ref, user_id))
    if walker.prompt != message.message_id:
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    framework = walker.framework
    choice = read_press(press.arg, framework.scale)
    step = walker.walk().current()
    if choice is None or step is None:
        log.warning("walk button refused: not a move of this step")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    prompt = texts.walk_prompt(framework, step)

    if isinstance(choice, LevelChosen) and not choice.team and step.is_rating:
        await query.answer()
        keyboard = rating_positions(framework.scale, choice.level)
        await edit(context.bot, user_id, message.message_id,
                   texts.with_note(prompt, positions_caption(framework.scale, choice.level)),
                   markup(WALK, press.ref, keyboard))
        return
    if choice is Command.BACK and step.is_rating:
        await query.answer()
        await edit(context.bot, user_id, message.message_id, prompt, step_markup(framework, press.ref, step))
        return
    if choice is Command.LATER:
        await _stop_for_now(update, context, press.ref, message.message_id, prompt)
        return

    round_id, prompt_id = press.ref, message.message_id
    if isinstance(choice, PlaceChosen) and not choice.team and step.is_rating:
        value = choice.index(framework.scale)

        def move(session):
            return walks.rate_step(session, round_id, user_id, prompt_id, value)

        after = texts.with_note(prompt, texts.bead_placed(place(framework.scale, value)))
    elif choice is Command.SKIP:
        def move(session):
            return walks.skip_step(session, round_id, user_id, prompt_id)

        after = texts.with_note(prompt, texts.SKIPPED)
    elif choice is Command.PREVIOUS:
        def move(session):
            return walks.step_back(session, round_id, user_id, prompt_id)

        after = None
    else:
        log.warning("walk button refused: not a move of this step")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    def move_and_ask(session):
        moved = move(session)
        # The pressed question keeps what was chosen, without its buttons; the next is asked at once.
        queue_edit(session, user_id, prompt_id, after)
        queue_next(session, user_id, round_id, moved)
        return moved

    try:
        moved = await rt.apply(update, move_and_ask, first=lambda _: query.answer())
    except AlreadyDone:
        return
    except (rounds.RoundRefused, NotAllowed) as refused:
        await query.answer(str(refused), show_alert=True)
        return
    await after_move(context.application, round_id, moved)


async def _stop_for_now(update: Update, context, round_id: int, message_id: int, prompt: str) -> None:
    user_id = update.effective_user.id

    def stop(session) -> None:
        walks.stop_for_now(session, round_id, user_id)
        queue_edit(session, user_id, message_id, texts.with_note(prompt, texts.STOPPED))
        queue_message(session, user_id, texts.walk_paused())

    try:
        await runtime_of(context).apply(update, stop, first=lambda _: update.callback_query.answer())
    except AlreadyDone:
        return


async def _on_take_part(update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int) -> None:
    """The group status message's button, a nudge's button, or a choice between rounds."""
    query = update.callback_query
    chat = update.effective_chat
    user_id = query.from_user.id
    rt = runtime_of(context)
    in_private = chat.type == ChatType.PRIVATE
    checked = await rt.read(lambda s: walks.may_take_part(s, round_id, user_id, chat.id, in_private))
    if checked == "expired":
        log.warning("walk button refused: wrong chat or round")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if checked == "not_member":
        await query.answer(refusals.NOT_JOINED, show_alert=True)
        return
    if checked == "not_connected":
        await query.answer(texts.NOT_CONNECTED_ALERT, show_alert=True)
        return
    try:
        shown = await show_walk(context.application, user_id, round_id)
    except Forbidden:
        await rt.apply(None, lambda s: walks.not_connected(s, round_id, user_id))
        await query.answer(texts.NOT_CONNECTED_ALERT, show_alert=True)
        return
    answers = {
        "shown": texts.WRITTEN_IN_PRIVATE if not in_private else None,
        "finished": texts.ALREADY_FINISHED,
        "closed": refusals.ROUND_CLOSED,
        "not_member": refusals.NOT_JOINED,
    }
    text = answers[shown.outcome]
    await query.answer(text, show_alert=bool(text) and shown.outcome != "shown")


# ---------------------------------------------------------------- typed answers, photos, voice notes and documents


def _answer_of(message) -> tuple[str, str, str | None]:
    """(kind, text, Telegram file id). Only the file id is kept; the file stays with Telegram."""
    if message.photo:
        return "photo", message.caption or "", message.photo[-1].file_id
    if message.voice:
        return "voice", message.caption or "", message.voice.file_id
    if message.document:
        return "document", message.caption or "", message.document.file_id
    if message.text is not None:
        return "text", message.text, None
    return "other", "", None


async def on_private_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Takes a private message only while the person has a walk step waiting for it."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type != ChatType.PRIVATE or user is None or message is None:
        return False
    rt = runtime_of(context)
    walker = await rt.read(lambda s: walks.active_walker(s, user.id))
    if walker is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.message_id != walker.prompt:
        return False  # an answer to another of the bot's questions
    round_id = walker.round.id
    if walker.round.status == "closed" or walker.finished:
        await rt.apply(None, lambda s: walks.put_down(s, user.id, round_id))
        await message.reply_html(refusals.ROUND_CLOSED if walker.round.status == "closed" else texts.ALREADY_FINISHED)
        return True
    step = walker.walk().current()
    if step is None or step.is_rating:
        await message.reply_html(texts.TAP_THE_SCALE)
        return True
    kind, text, file_id = _answer_of(message)
    # Evidence can be a photo of the noticeboard or a voice note from the corridor; the other
    # questions are read back to the team and need words.
    media = step.step is Stage.EVIDENCE and file_id is not None
    problem = None if media else refusals.answer_problem(text, kind)
    if problem is None and len(text) > refusals.MAX_ANSWER_CHARS:
        problem = refusals.too_long(len(text))
    if problem:
        await message.reply_html(problem)
        return True
    prompt_id = walker.prompt

    def move(session):
        moved = walks.answer_step(
            session, round_id, user.id,
            kind=kind if media else "text", text=text.strip(), file_id=file_id if media else None,
        )
        # Committed with the answer: the answered question loses its buttons, the next one is asked.
        queue_edit(session, user.id, prompt_id, None)
        queue_next(session, user.id, round_id, moved)
        return moved

    try:
        moved = await rt.apply(update, move)
    except AlreadyDone:
        return True
    except (rounds.RoundRefused, NotAllowed) as refused:
        await message.reply_html(str(refused))
        return True
    await after_move(context.application, round_id, moved)
    return True


# ---------------------------------------------------------------- /start in private: pick up a walk


async def on_private_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs after onboarding's /start (another handler group): someone opening or reopening the
    private chat carries on with their round, or chooses one when several teams have one open."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or user is None:
        return
    if context.args and not context.args[0].startswith("j"):
        return  # other deep links (peer review codes...) are not about a walk
    found = await runtime_of(context).read(lambda s: walks.rounds_to_walk(s, user.id))
    if len(found) == 1:
        await show_walk(context.application, user.id, found[0].round.id)
    elif len(found) > 1:
        rows = [
            [InlineKeyboardButton(
                texts.round_choice(r.team.name, title_of(r.framework, r.round))[:ROUND_CHOICE_CHARS],
                callback_data=callbacks.encode(WALK, r.round.id, "pick"),
            )]
            for r in found
        ]
        await context.bot.send_message(user.id, texts.CHOOSE_ROUND, reply_markup=InlineKeyboardMarkup(rows))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_walk_press, pattern=callbacks.pattern(WALK)))
    app.add_handler(CallbackQueryHandler(on_team_view_press, pattern=callbacks.pattern(TEAM_VIEWS)))
    # Group 1: onboarding's /start (group 0) answers first, then a walk carries on.
    app.add_handler(CommandHandler("start", on_private_start), group=1)
    replies.add_consumer(app, on_private_answer)
    # Deadlines and nudges are driven from the one process that leads the scheduler.
    app.bot_data.setdefault("on_elected", []).append(on_elected)
    app.bot_data.setdefault("on_deposed", []).append(on_deposed)
