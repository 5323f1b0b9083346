"""Support: "I'd like some support" in a check-in, and /support, where an admin sets the team's contacts.

    tap "I'd like some support" ─► private reply: team contacts · listening line · emergency numbers
                                   (the country's, from the team's time zone; conversations.support)
                                ─► [Let the facilitator know] ─► the facilitator gets the name, privately
                                   [No thanks]                ─► nobody is told
    /support (admin) ─► card with the contacts; a reply to it replaces them, one per line

The database keeps only a count of requests; letting the facilitator know writes nothing at all.
Button kind "sp" (ref = team id, arg "tell" or "no"). The /support card is a ForceReply prompt
(a Prompt row, saved with the message that asks it; the reply that saves the contacts is committed with
them, through the outbox). The support button on the check-in arrives with its other buttons
(piebot.telegram.checkins.answers), which hands it here.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.support import lines_for, support_reply
from conversations.texts import checkins as texts
from conversations.texts import support as support_texts
from conversations.texts import welcome
from piebot.storage import checkins as store
from piebot.storage import teams
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import PROMPT_FILL, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.checkins.posts import read_contacts
from piebot.telegram.delivery.outbox import in_reply_to, queue_message
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

KIND = "sp"


# --- "I'd like some support" --------------------------------------------------------------------


async def ask_for_support(update: Update, context: ContextTypes.DEFAULT_TYPE, team_id: int, member) -> None:
    """Support, privately. The group sees nothing; the database keeps only a count; no log names anyone."""
    query = update.callback_query
    if member is None or not member.private_chat:
        await query.answer(texts.OPEN_PRIVATE_FIRST, show_alert=True)
        return
    rt = runtime_of(context)
    asker = query.from_user.id
    try:
        # A sealed ballot with the update's id: counted once, and only ever as part of a count.
        facts = await rt.apply(update, lambda s: store.count_support_request(s, team_id, member.id, asker))
    except AlreadyDone:
        return
    text = support_reply(read_contacts(facts.contacts), lines_for(facts.timezone), facts.facilitators)
    keyboard = None
    if facts.facilitators:
        keyboard = InlineKeyboardMarkup([[
            InlineKeyboardButton(support_texts.TELL_FACILITATOR, callback_data=callbacks.encode(KIND, team_id, "tell")),
            InlineKeyboardButton(support_texts.NO_THANKS, callback_data=callbacks.encode(KIND, team_id, "no")),
        ]])
    try:
        await context.bot.send_message(asker, text, reply_markup=keyboard)
    except Forbidden:
        await query.answer(texts.OPEN_PRIVATE_FIRST, show_alert=True)
        return
    await query.answer(texts.SUPPORT_SENT)


async def on_support_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The person's own choice, in their private chat: tell the facilitator (their name only), or nobody."""
    query = update.callback_query
    press = await callbacks.press_of(query, "checkins support")
    if press is None:
        return
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or press.arg not in ("tell", "no"):
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    asker = query.from_user.id
    found = await rt.read(lambda s: store.facilitators_to_tell(s, press.ref, asker))
    if found is None:
        await query.answer(support_texts.NOT_YOURS, show_alert=True)
        return
    if press.arg == "no":
        await query.answer()
        await _close_choice(query, support_texts.TOLD_NOBODY)
        return
    told = []
    for user_id, name in found.facilitators:
        try:
            await context.bot.send_message(user_id, support_texts.facilitator_note(found.asker, found.team))
            told.append(name)
        except Forbidden:
            log.info("a facilitator could not be reached privately")
    await query.answer(support_texts.told_alert(len(told)), show_alert=not told)
    if told:
        await _close_choice(query, support_texts.told(told))


async def _close_choice(query, outcome: str) -> None:
    """The choice is made: its buttons go, and what happened is said under the reply."""
    try:
        await query.edit_message_text(f"{query.message.text_html}\n\n{outcome}", reply_markup=None)
    except BadRequest:
        await query.message.reply_html(outcome)


# --- /support: the team's contacts ------------------------------------------------------------


async def support_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN_SUPPORT)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or not team.set_up:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    card, replying = texts.support_contacts_card(read_contacts(team.support_contacts)), in_reply_to(message)

    def ask(session) -> None:
        # Saved with the message that asks it, so a reply typed the instant it appears is taken.
        asked = queue_message(session, chat_id, card, fill=PROMPT_FILL, **replying,
                              reply_markup=ForceReply(selective=True, input_field_placeholder=texts.SUPPORT_PLACEHOLDER))
        store.ask_for_support_contacts(session, chat_id, pending_id(asked), team.id)

    try:
        await rt.apply(update, ask)
    except AlreadyDone:
        pass


async def on_support_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    if not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    replied_to = message.reply_to_message.message_id
    team_id = await rt.read(lambda s: store.team_asking_for_support_contacts(s, chat_id, replied_to))
    if team_id is None:
        return False
    if not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN_SUPPORT)
        return True
    contacts = read_contacts(message.text or "")
    if not contacts:
        await message.reply_html(texts.SUPPORT_EMPTY)
        return True
    # Stored in the shape read_contacts reads back.
    stored = "\n".join(f"{c.name} — {c.how}" for c in contacts)
    replying = in_reply_to(message)

    def save(session) -> None:
        store.set_support_contacts(session, team_id, stored)
        queue_message(session, chat_id, texts.support_saved(len(contacts)), **replying)

    try:
        await rt.apply(update, save)
    except AlreadyDone:
        return True
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("support", support_command))
    app.add_handler(CallbackQueryHandler(on_support_choice, pattern=callbacks.pattern(KIND)))
    replies.add_consumer(app, on_support_reply)
