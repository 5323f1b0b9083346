"""What members say at the stages of a live round: replies to the stage questions in the group, or
messages in their private chat; actions with an owner; and taking back one's own answers."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from conversations.actions import Action as ActionLine
from conversations.actions import action_line, read_action
from conversations.errors import NotAllowed
from conversations.texts import assess as texts
from conversations.texts import receipts as receipt_texts
from conversations.texts.receipts import REACTION
from framework import Stage
from piebot import clock
from piebot.storage import rounds, stage_answers
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks
from piebot.telegram.delivery.outbox import in_reply_to, queue_message, queue_reaction
from piebot.telegram.guards import in_group
from piebot.telegram.receipts.buttons import queue_quiet_receipt, receipt_buttons
from piebot.telegram.rounds.card import editor_of
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

WITHDRAW = "ev"  # a member takes back one of their own answers (ref = evidence id, arg "x"; anonymous:
# ref = the card, arg "t" + the answer's token, so no button names an anonymous answer's row)


def _content(message: Message) -> tuple[str | None, str, str | None]:
    """(kind, text, file id) of a message: photos by their largest size, captions as text."""
    if message.text is not None:
        return "text", message.text, None
    caption = message.caption or ""
    if message.photo:
        return "photo", caption, message.photo[-1].file_id
    if message.voice is not None:
        return "voice", caption, message.voice.file_id
    if message.document is not None:
        return "document", caption, message.document.file_id
    return None, caption, None


async def on_group_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A reply to a stage question in the group. Returns whether it was one."""
    message = update.message  # an edit of an earlier reply is not a new answer
    if message is None or not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id, replied = update.effective_chat.id, message.reply_to_message.message_id
    prompt = await rt.read(lambda s: stage_answers.question_replied_to(s, chat_id, replied))
    if prompt is None:
        return False
    await _take(update, context, prompt.round_id, prompt.element_id, Stage(prompt.stage), private=False)
    return True


async def on_private_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A message in someone's private chat while their team's live round is at a stage (and nobody
    else waits for one there: see stage_answers.open_stage_for)."""
    message = update.message
    user = update.effective_user
    if message is None or user is None or update.effective_chat.type != ChatType.PRIVATE:
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id if message.reply_to_message else None
    found = await rt.read(lambda s: stage_answers.open_stage_for(s, user.id, replied))
    if found is None:
        return False
    await _take(update, context, found.round_id, found.element_id, found.stage, private=True)
    return True


async def _take(
    update: Update, context: ContextTypes.DEFAULT_TYPE, round_id: int, element_id: str, stage: Stage, *, private: bool
) -> None:
    message = update.message
    user = update.effective_user
    rt = runtime_of(context)
    kind, text, file_id = _content(message)
    problem = texts.evidence_problem(kind, text, file_id is not None)
    if problem is None and stage is Stage.ACTION_PLAN and (kind != "text" or not text.strip()):
        problem = texts.ACTION_NEEDS_WORDS
    if problem is not None:
        await message.reply_html(problem)
        return
    proposed, note = read_action(text, clock.now().date(), element_id) if stage is Stage.ACTION_PLAN else (None, None)
    replying = in_reply_to(message)

    def work(session):
        taken = stage_answers.take_answer(
            session, round_id, element_id, stage, user.id,
            kind=kind, text=text, file_id=file_id, private=private, action=proposed,
        )
        # The receipt is committed with the answer, so a crash in between cannot lose it.
        _queue_receipt(session, message, replying, taken, stage, proposed, note, private=private)
        return taken

    try:
        taken = await rt.apply(update, work)
    except AlreadyDone:
        return
    except NotAllowed as refusal:
        await message.reply_html(refusal.reason)
        return
    except rounds.RoundRefused as refusal:
        await message.reply_html(html.escape(str(refusal)))
        return
    if taken.anonymous and not private and proposed is None:
        await _anonymous_receipt(context, message, text, kind or "text")
    await editor_of(context.application).refresh(context.application, taken.card_id)


async def _anonymous_receipt(context: ContextTypes.DEFAULT_TYPE, message: Message, text: str, kind: str) -> None:
    """The quiet receipt of an anonymous reply, sent after its ballot was sealed and never stored: the
    reaction, and a private note that carries none of the answer, only a button to take it back through
    the ballot box while the element is open (as /withdraw does)."""
    try:
        await context.bot.set_message_reaction(message.chat_id, message.message_id, REACTION)
    except TelegramError:
        pass  # reactions are off here: the note is the receipt
    rt = runtime_of(context)
    user = message.from_user
    try:
        found = await rt.read(lambda s: stage_answers.own_answers(s, message.chat_id, user.id))
    except NotAllowed:
        return
    mine = [a for a in found.answers if a.token and a.kind == kind and a.text == text.strip()]
    if not found.private_chat or not mine:
        return
    remove = callbacks.encode(WITHDRAW, mine[-1].ref, f"t{mine[-1].token}")
    try:
        await context.bot.send_message(user.id, receipt_texts.KEPT_ANONYMOUSLY, reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(receipt_texts.REMOVE_BUTTON, callback_data=remove)]]))
    except TelegramError:
        pass  # they blocked the bot since: the reaction is the receipt


def _queue_receipt(session, message: Message, replying: dict, taken: stage_answers.AnswerTaken, stage: Stage,
                   proposed: ActionLine | None, note: str | None, *, private: bool) -> None:
    """A quiet receipt where it can be (named rounds, an author the bot may write to): the bot's reaction
    on the reply in the group and a private note with the item's buttons; otherwise as before."""
    chat_id = message.chat_id
    quiet = not private and taken.author_chat is not None
    if proposed is None and not private and not taken.anonymous:
        kind, text, _ = _content(message)
        queue_quiet_receipt(session, chat_id=chat_id, reply_message_id=message.message_id,
                            author_chat=taken.author_chat, evidence_id=taken.evidence_id, stage=str(stage),
                            element_name=taken.element_name, text=text, kind=kind or "text")
        return
    if proposed is not None:
        owner = taken.owner
        if proposed.owner and owner is None:
            note = (note + "\n" if note else "") + texts.owner_unknown(proposed.owner)
        shown = ActionLine(
            what=proposed.what, owner=owner.display_name if owner else "", due=proposed.due, check=proposed.check
        )
        line = action_line(shown)
        if quiet:
            # The action's receipt goes to its author; the group sees the reaction, and the card's count.
            queue_reaction(session, chat_id, message.message_id, REACTION)
            queue_message(session, taken.author_chat, texts.action_noted(line, note))
        else:
            queue_message(session, chat_id, texts.action_noted(line, note), **replying)
        if owner is not None and owner.private_chat:
            # Refused (they blocked the bot since) only drops this one message.
            queue_message(session, owner.telegram_user_id, texts.told_owner(line, taken.team_name))
    elif private:
        buttons = receipt_buttons(taken.evidence_id, False, stage=str(stage)) if taken.evidence_id is not None else None
        queue_message(session, chat_id, texts.kept_privately(stage, taken.element_name, taken.anonymous),
                      reply_markup=InlineKeyboardMarkup(buttons) if buttons else None, **replying)


# ---------------------------------------------------------------- /withdraw: taking back your own answers


async def withdraw_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    rt = runtime_of(context)
    chat_id, user = update.effective_chat.id, update.effective_user
    try:
        found = await rt.read(lambda s: stage_answers.own_answers(s, chat_id, user.id))
    except NotAllowed as refusal:
        await message.reply_html(refusal.reason)
        return
    if not found.answers:
        await message.reply_html(texts.NOTHING_TO_WITHDRAW_BUT_BEAD)
        return
    if not found.private_chat:
        await message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    keyboard = [
        [
            InlineKeyboardButton(
                texts.withdraw_label(answer.text, answer.kind),
                callback_data=callbacks.encode(WITHDRAW, answer.ref, f"t{answer.token}" if answer.token else "x"),
            )
        ]
        for answer in found.answers[:20]
    ]
    try:
        await context.bot.send_message(user.id, texts.WITHDRAW_LIST, reply_markup=InlineKeyboardMarkup(keyboard))
    except TelegramError:
        await message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await message.reply_html(texts.SENT_PRIVATELY)


async def on_withdraw_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "assessment answers")
    if press is None:
        return
    rt = runtime_of(context)
    user = update.effective_user
    if press.arg != "x" and not press.arg.startswith("t"):
        await query.answer(texts.ALREADY_GONE, show_alert=True)
        return
    token = press.arg[1:] if press.arg.startswith("t") else ""
    try:
        row_id = await rt.apply(update, lambda s: stage_answers.withdraw_answer(s, press.ref, user.id, token))
    except AlreadyDone:
        await query.answer()
        return
    except NotAllowed as refusal:
        await query.answer(refusal.reason, show_alert=True)
        return
    await query.answer(texts.WITHDRAWN)
    try:
        await query.edit_message_reply_markup(reply_markup=_without(query.message.reply_markup, query.data))
    except TelegramError:
        pass  # the list is only a convenience; the answer is gone either way
    await editor_of(context.application).refresh(context.application, row_id)


def _without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if b.callback_data != data] for row in (markup.inline_keyboard if markup else [])]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None
