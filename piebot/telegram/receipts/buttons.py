"""The buttons of an answer's receipt (button kind "rc", ref = the item's id; arg "rel"/"unrel",
"edit", "del"; a review answer has no "rel": a look back is not evidence), the private replies that
give an item new words, and /items, which sends a facilitator the round's items with the same buttons
(an anonymous round's items with "rel"/"unrel" alone; their keys are negative, so the ref is the key's
size and the arg starts with "n"). Who may press is checked in piebot.storage.receipts."""

from __future__ import annotations

import logging

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.errors import NotAllowed
from conversations.relationships import THREAD_STAGES
from conversations.texts import receipts as texts
from conversations.texts import refusals
from piebot.storage import receipts, relationships, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import PROMPT_FILL, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.delivery.outbox import queue_message, queue_reaction
from piebot.telegram.guards import in_group
from piebot.telegram.rounds.card import editor_of, may_facilitate
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

RECEIPT = "rc"
MARK, UNMARK, EDIT, REMOVE = "rel", "unrel", "edit", "del"
NEGATIVE = "n"  # before the arg: the item's key is below zero (an anonymous answer's random key)
MAX_LISTED = 30  # items in one /items message: a round's worth, kept readable on a phone


def _data(evidence_id: int, arg: str) -> str:
    return callbacks.encode(RECEIPT, abs(evidence_id), NEGATIVE + arg if evidence_id < 0 else arg)


def _target(press: callbacks.Press) -> tuple[int, str]:
    """The item's key and what to do with it, from a press."""
    if press.arg.startswith(NEGATIVE):
        return -press.ref, press.arg[len(NEGATIVE):]
    return press.ref, press.arg


def receipt_buttons(evidence_id: int, about: bool, *, number: str = "", stage: str = "evidence",
                    anonymous: bool = False) -> list[list[InlineKeyboardButton]]:
    """One item's buttons; `number` labels them when a list holds several items. Only evidence, hinders
    and helps can be marked about relationships: a review answer gets Edit and Remove alone. An
    anonymous round's item (in a facilitator's /items) is only marked: nobody edits or removes it there."""
    suffix = f" {number}" if number else ""
    mark = [[InlineKeyboardButton(texts.mark_button(about) + suffix,
                                  callback_data=_data(evidence_id, UNMARK if about else MARK))]]
    if anonymous:
        return mark
    return (mark if stage in THREAD_STAGES else []) + [
        [InlineKeyboardButton(texts.EDIT_BUTTON + suffix, callback_data=_data(evidence_id, EDIT)),
         InlineKeyboardButton(texts.REMOVE_BUTTON + suffix, callback_data=_data(evidence_id, REMOVE))],
    ]


def queue_quiet_receipt(session, *, chat_id: int, reply_message_id: int, author_chat: int | None,
                        evidence_id: int | None, stage: str, element_name: str, text: str, kind: str) -> None:
    """In the answer's transaction: the bot's reaction on the reply in the group, and (when the bot can
    write to the author) the private note with the item's buttons. A chat that allows no reactions
    refuses the reaction alone; the note is the receipt then."""
    queue_reaction(session, chat_id, reply_message_id, texts.REACTION)
    if author_chat is not None:
        markup = InlineKeyboardMarkup(receipt_buttons(evidence_id, False, stage=stage)) if evidence_id is not None else None
        queue_message(session, author_chat, texts.kept(stage, element_name, text, kind), reply_markup=markup)


async def on_receipt_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "receipt")
    if press is None:
        return
    rt = runtime_of(context)
    user_id = query.from_user.id
    evidence_id, arg = _target(press)
    admin = await _admin_of_its_group(context, evidence_id, user_id)
    try:
        if arg in (MARK, UNMARK):
            item = await rt.apply(update, lambda s: receipts.mark(s, evidence_id, user_id, arg == MARK, admin))
            await query.answer(texts.MARKED if item.about else texts.UNMARKED)
            await _swap_buttons(query, evidence_id, receipt_buttons(item.evidence_id, item.about,
                                                                    anonymous=item.anonymous))
        elif arg == REMOVE:
            item = await rt.apply(update, lambda s: receipts.remove(s, evidence_id, user_id, admin))
            await query.answer(texts.REMOVED)
            await _swap_buttons(query, evidence_id, [])
            await editor_of(context.application).refresh(context.application, item.card_id)
        elif arg == EDIT:
            await _ask_new_words(update, context, evidence_id, admin)
        else:
            await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
    except AlreadyDone:
        await query.answer()
    except NotAllowed as refusal:
        await query.answer(refusal.reason, show_alert=True)


async def _swap_buttons(query, evidence_id: int, new_rows: list[list[InlineKeyboardButton]]) -> None:
    """Replace this item's rows in the pressed message (a note holds one item, /items several)."""
    mine = {_data(evidence_id, arg) for arg in (MARK, UNMARK, EDIT, REMOVE)}
    rows = (query.message.reply_markup.inline_keyboard if query.message and query.message.reply_markup else ())
    kept, placed = [], False
    for row in rows:
        if any(b.callback_data in mine for b in row):
            if not placed:
                kept += [_labelled(r, row) for r in new_rows]  # a note's buttons carry no number
                placed = True
            continue
        kept.append(list(row))
    try:
        await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(kept) if kept else None)
    except TelegramError:
        pass  # the buttons are a convenience; what was done is done either way


def _labelled(new_row: list[InlineKeyboardButton], old_row) -> list[InlineKeyboardButton]:
    # In a list the labels carry the item's number: keep it on the new buttons.
    number = old_row[0].text.rsplit(" ", 1)[-1] if old_row else ""
    if not number.isdigit():
        return new_row
    return [InlineKeyboardButton(f"{b.text} {number}", callback_data=b.callback_data) for b in new_row]


async def _admin_of_its_group(context: ContextTypes.DEFAULT_TYPE, evidence_id: int, user_id: int) -> bool:
    """Whether the presser is an admin of the item's group: admins facilitate too (asked of Telegram,
    since the press may come from a private chat)."""
    chat_id = await runtime_of(context).read(lambda s: receipts.team_chat_of(s, evidence_id))
    if chat_id is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in ("administrator", "creator")


async def _ask_new_words(update: Update, context: ContextTypes.DEFAULT_TYPE, evidence_id: int, admin: bool) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    user_id = query.from_user.id
    item = await rt.read(lambda s: receipts.may_change(s, evidence_id, user_id, admin))

    def work(session):
        asked = queue_message(session, user_id, texts.ask_new_words(item.text), fill=PROMPT_FILL,
                              reply_markup=ForceReply(selective=True,
                                                      input_field_placeholder=texts.NEW_WORDS_PLACEHOLDER))
        receipts.keep_edit_question(session, chat_id=user_id, message_id=pending_id(asked), evidence_id=evidence_id)

    await rt.apply(update, work)
    await query.answer()


async def on_new_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A private reply to "the new words for…": the item's words are replaced. Returns whether it was one."""
    message = update.message
    user = update.effective_user
    if (message is None or user is None or update.effective_chat.type != ChatType.PRIVATE
            or message.reply_to_message is None):
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id
    prompt = await rt.read(lambda s: receipts.edit_question_replied_to(s, user.id, replied))
    if prompt is None:
        return False
    words = message.text if message.text is not None else message.caption
    if not (words or "").strip():
        await message.reply_html(texts.NEEDS_WORDS)
        return True
    admin = prompt.evidence_id is not None and await _admin_of_its_group(context, prompt.evidence_id, user.id)
    try:
        item = await rt.apply(update, lambda s: _edit_and_answer(s, prompt.evidence_id, user.id, words, message, admin))
    except AlreadyDone:
        return True
    except NotAllowed as refusal:
        await message.reply_html(refusal.reason)
        return True
    await editor_of(context.application).refresh(context.application, item.card_id)
    return True


def _edit_and_answer(session, evidence_id: int | None, user_id: int, words: str, message,
                     admin: bool) -> receipts.Item:
    if evidence_id is None:
        raise NotAllowed(texts.GONE)
    item = receipts.edit(session, evidence_id, user_id, words, admin)
    queue_message(session, message.chat_id, texts.edited(item.text), reply_to_message_id=message.message_id)
    return item


async def items_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/items in the group: the facilitator gets the open (or latest) round's items in private, each with
    its buttons, to mark them about relationships, or edit or remove one."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.ITEMS_IN_THE_GROUP)
        return
    rt = runtime_of(context)
    chat_id, user = update.effective_chat.id, update.effective_user
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None:
        await message.reply_html(texts.NOT_SET_UP)
        return
    if not await may_facilitate(update, context, team.id):
        await message.reply_html(texts.ITEMS_FOR_FACILITATORS)
        return
    listed = await rt.read(lambda s: _listed(s, team))
    if listed is None:
        await message.reply_html(texts.NO_ITEMS)
        return
    text, rows = listed
    try:
        await context.bot.send_message(user.id, text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    except TelegramError:
        await message.reply_html(texts.OPEN_PRIVATE_FIRST)
        return
    await message.reply_html(texts.SENT_PRIVATELY)


def _listed(session, team):
    round_ = receipts.round_for_items(session, team.id)
    if round_ is None:
        return None
    framework = teams.framework_of(team)
    found = relationships.thread_candidates(session, round_.id)[:MAX_LISTED]
    if not found:
        return None
    # An anonymous round's items are those the ballot box has let in: the rows of the answers.
    lines, rows = [texts.ITEMS_HEADING_ANONYMOUS if round_.anonymous else texts.ITEMS_HEADING], []
    for n, candidate in enumerate(found, start=1):
        lines.append(texts.listed_item(n, framework.element(candidate.element_id).name, candidate.stage,
                                       candidate.text, candidate.about))
        rows += receipt_buttons(candidate.evidence_id, candidate.about, number=str(n), anonymous=round_.anonymous)
    return "\n".join(lines), rows


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_receipt_press, pattern=callbacks.pattern(RECEIPT)))
    app.add_handler(CommandHandler("items", items_command))
    replies.add_consumer(app, on_new_words)
