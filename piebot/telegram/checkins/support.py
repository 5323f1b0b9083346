"""/support: an admin sets who is sent, privately, to anyone who taps "I'd like some support" in a check-in.

The card is a ForceReply prompt (a Prompt row); an admin's reply to it replaces the contacts,
one per line. Pressing the support button itself is handled with the check-in's other buttons
(piebot.telegram.checkins.answers).
"""

from __future__ import annotations

from telegram import ForceReply, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from conversations import welcome
from conversations.texts import checkins as texts
from piebot.storage import checkins as store
from piebot.storage import teams
from piebot.storage.db import AlreadyDone
from piebot.telegram import replies
from piebot.telegram.checkins.posts import read_contacts
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of


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
    prompt = await message.reply_html(
        texts.support_contacts_card(read_contacts(team.support_contacts)),
        reply_markup=ForceReply(selective=True, input_field_placeholder=texts.SUPPORT_PLACEHOLDER),
    )
    try:
        await rt.apply(update, lambda s: store.ask_for_support_contacts(s, chat_id, prompt.message_id, team.id))
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
    try:
        await rt.apply(update, lambda s: store.set_support_contacts(s, team_id, stored))
    except AlreadyDone:
        return True
    await message.reply_html(texts.support_saved(len(contacts)))
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("support", support_command))
    replies.add_consumer(app, on_support_reply)
