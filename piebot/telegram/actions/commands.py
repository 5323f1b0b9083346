"""/actions, the presses on actions' buttons, and the replies that give a new date or a reason to drop.

Every press and every reply is checked against the database and the chat it came from
(piebot.storage.actions.rights): in the team's group the owner, the facilitator or an admin may change
an action; in a private chat only its owner. Anything else is refused kindly and changes nothing.

A change's reply and the message put right go through the outbox, committed with the change; a prompt
is saved with the message that asks it, so a reply typed the instant it appears is taken.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.actions import Change, quick_date, read_due_date, refusal
from conversations.errors import NotAllowed
from conversations.texts import actions as texts
from conversations.texts import refusals
from piebot import clock
from piebot.storage import actions as store
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import fill_of, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.actions import views
from piebot.telegram.actions.views import CHANGES, QUICK, ActionPress, Origin, Verb
from piebot.telegram.delivery.outbox import in_reply_to, queue_edit, queue_message
from piebot.telegram.guards import chat_admin_ids, in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

# Other features may want to know (a review card showing the action): async hook(app, action_id).
ON_ACTION_CHANGED = "on_action_changed"
DATE, REASON = "date", "reason"


# ---------------------------------------------------------------- /actions


async def actions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    rt = runtime_of(context)
    now = clock.now()
    if chat.type == ChatType.PRIVATE:
        found = await rt.read(lambda s: store.own_list(s, user.id, now))
        if not found.member_anywhere:
            await message.reply_html(texts.NOT_A_MEMBER_ANYWHERE)
            return
        text, markup = views.private_list(found)
        await message.reply_html(text, reply_markup=markup)
        return
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY_OR_PRIVATE)
        return
    user_id = user.id if user is not None and message.sender_chat is None else None
    found = await rt.read(lambda s: store.group_list(s, chat.id, user_id, now))
    if found is None or not found.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    if not found.joined and not await is_admin(update, context):
        await message.reply_html(texts.NOT_JOINED)
        return
    text, markup = views.group_list(found)
    await message.reply_html(text, reply_markup=markup)


# ---------------------------------------------------------------- presses


async def _may(update: Update, context, found: store.Rights) -> bool:
    """Whether the presser may change the action, given what the database said (an admin is asked of Telegram)."""
    if found.role is not None:
        return True
    if found.private:
        return False
    return update.effective_user.id in await chat_admin_ids(context, found.team_chat_id)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "actions")
    if press is None:
        return
    meant = views.read_press(press)
    if meant is None:
        log.warning("action button refused: unknown choice")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    rt = runtime_of(context)
    chat_id, user = update.effective_chat.id, query.from_user
    now = clock.now()
    try:
        found = await rt.read(lambda s: store.rights(s, meant.action_id, chat_id, user.id, now))
    except NotAllowed as refused:
        log.warning("action button refused: wrong chat, gone, or not theirs")
        await query.answer(refused.reason, show_alert=True)
        return
    admin = found.role is None and await _may(update, context, found)
    if found.role is None and not admin:
        log.info("action button refused: not the owner, a facilitator or an admin")
        await query.answer(found.refusal_for_others, show_alert=True)
        return

    if meant.verb in CHANGES or meant.verb in QUICK:
        change = CHANGES.get(meant.verb, Change.STILL_ON)
        new_due = quick_date(QUICK[meant.verb], found.today) if meant.verb in QUICK else None
        await _change(update, context, meant, change, admin=admin, new_due=new_due)
    elif meant.verb is Verb.STILL_ON:
        await _show_dates(update, context, meant, found)
    elif meant.verb in (Verb.TYPE_DATE, Verb.DROP):
        await _ask(update, context, meant, found)
    else:
        await query.answer()
        await _put_right(context.application, meant.origin, chat_id, query.message.message_id, meant.action_id,
                         user.id)


async def _change(update: Update, context, meant: ActionPress, change: Change, *, admin: bool, new_due=None) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    chat_id, user = update.effective_chat.id, query.from_user
    origin = Origin.REMINDER if meant.origin is Origin.OWN_MESSAGE else meant.origin
    now = clock.now()

    def work(session) -> store.Changed:
        done = store.change_action(session, meant.action_id, change, chat_id=chat_id, telegram_user_id=user.id,
                                   admin=admin, now=now, new_due=new_due)
        queue_put_right(session, origin, chat_id, query.message.message_id, meant.action_id, user.id, now)
        return done

    try:
        await rt.apply(update, work, first=lambda done: query.answer(texts.toast(done.action, done.today)))
    except AlreadyDone:
        await query.answer()
        return
    except NotAllowed as refused:
        await query.answer(refused.reason, show_alert=True)
        return
    await changed_hooks(context.application, meant.action_id)


async def _show_dates(update: Update, context, meant: ActionPress, found: store.Rights) -> None:
    query = update.callback_query
    problem = refusal(found.action.status, Change.STILL_ON, found.today, new_due=found.today)
    if problem is not None:
        await query.answer(texts.refused(problem, found.action, found.today), show_alert=True)
        return
    await query.answer()
    if meant.origin is Origin.ELSEWHERE:
        # Another feature's card stays as it is: the dates come in a message of their own.
        text, markup = views.date_picker(found.action, found.today, Origin.OWN_MESSAGE)
        await query.message.reply_html(text, reply_markup=markup)
        return
    text, markup = views.date_picker(found.action, found.today, meant.origin)
    await _edit(context.bot, query.message.chat_id, query.message.message_id, text, markup)


async def _ask(update: Update, context, meant: ActionPress, found: store.Rights) -> None:
    """A reply prompt for another date or a reason to drop; the reply is taken by `on_reply`."""
    query = update.callback_query
    change = Change.STILL_ON if meant.verb is Verb.TYPE_DATE else Change.DROP
    problem = refusal(found.action.status, change, found.today, new_due=found.today, reason="-")
    if problem is not None:
        await query.answer(texts.refused(problem, found.action, found.today), show_alert=True)
        return
    await query.answer()
    user = query.from_user
    mention = "" if found.private else texts.mention(user.id, user.first_name)
    if meant.verb is Verb.TYPE_DATE:
        text, placeholder, asking = texts.ask_date(found.action, mention), texts.DATE_PLACEHOLDER, DATE
    else:
        text, placeholder, asking = texts.ask_reason(found.action, mention), texts.REASON_PLACEHOLDER, REASON
    chat_id, origin_id = query.message.chat_id, query.message.message_id
    origin = Origin.REMINDER if meant.origin is Origin.OWN_MESSAGE else meant.origin
    replying = in_reply_to(query.message)

    def ask(session) -> None:
        # Saved with the message that asks it; its message id is written in once Telegram took it.
        asked = queue_message(session, chat_id, text, fill=fill_of(store.QUESTION_FILL), **replying,
                              reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder))
        store.ask(session, chat_id=chat_id, message_id=pending_id(asked), action_id=meant.action_id, asking=asking,
                  origin=origin.value, origin_message_id=origin_id)

    try:
        await runtime_of(context).apply(update, ask)
    except AlreadyDone:
        pass


# ---------------------------------------------------------------- replies with a date or a reason


async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A reply to one of the feature's prompts. Returns whether it was one."""
    message, chat, user = update.message, update.effective_chat, update.effective_user
    if message is None or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    replied = message.reply_to_message.message_id
    question = await rt.read(lambda s: store.question_replied_to(s, chat.id, replied))
    if question is None:
        return False
    if message.text is None or not message.text.strip():
        await message.reply_html(texts.WRITTEN_ONLY)
        return True
    now = clock.now()
    try:
        found = await rt.read(lambda s: store.rights(s, question.action_id, chat.id, user.id, now))
    except NotAllowed as refused:
        await message.reply_html(refused.reason)
        return True
    admin = found.role is None and await _may(update, context, found)
    if found.role is None and not admin:
        await message.reply_html(found.refusal_for_others)
        return True
    typed = message.text.strip()
    new_due, reason = None, ""
    if question.asking == DATE:
        new_due = read_due_date(typed, found.today)
        if new_due is None:
            await message.reply_html(texts.bad_date(typed))
            return True
        change = Change.STILL_ON
    else:
        change, reason = Change.DROP, typed
    replying = in_reply_to(message)

    def answer(session) -> None:
        done = store.answer_question(session, question.id, change, telegram_user_id=user.id, admin=admin, now=now,
                                     new_due=new_due, reason=reason)
        # The reply is committed with the change, so a crash in between cannot lose it.
        queue_message(session, chat.id, texts.changed(done.action, done.today), **replying)
        if question.origin_message_id is not None:
            queue_put_right(session, Origin(question.origin), chat.id, question.origin_message_id,
                            question.action_id, user.id, now)

    try:
        await rt.apply(update, answer)
    except AlreadyDone:
        return True
    except NotAllowed as refused:
        await message.reply_html(refused.reason)
        return True
    await changed_hooks(context.application, question.action_id)
    return True


# ---------------------------------------------------------------- putting the message right


def _as_it_stands(session, origin: Origin, action_id: int, user_id: int, now):
    """The message the press came from as it now stands: the list again, or the action's card (or None)."""
    if origin is Origin.GROUP_LIST:
        return views.group_list(store.group_list_of_action(session, action_id, now))
    if origin is Origin.PRIVATE_LIST:
        return views.private_list(store.own_list(session, user_id, now))
    found = store.card_of(session, action_id, now)
    return None if found is None else views.card(*found)


def queue_put_right(session, origin: Origin, chat_id: int, message_id: int, action_id: int, user_id: int,
                    now) -> None:
    """Queue the edit that shows the message the press came from as it now stands, in this transaction."""
    if origin is Origin.ELSEWHERE:
        return
    shown = _as_it_stands(session, origin, action_id, user_id, now)
    if shown is not None:
        queue_edit(session, chat_id, message_id, shown[0], reply_markup=shown[1])


async def _put_right(app: Application, origin: Origin, chat_id: int, message_id: int, action_id: int,
                     user_id: int) -> None:
    """Show the message the press came from as it now stands (a press that changed nothing)."""
    if origin is Origin.ELSEWHERE:
        return
    now = clock.now()
    shown = await app.bot_data["runtime"].read(lambda s: _as_it_stands(s, origin, action_id, user_id, now))
    if shown is not None:
        await _edit(app.bot, chat_id, message_id, *shown)


async def _edit(bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            log.info("an actions message could not be put right: %s", type(exc).__name__)
    except Forbidden:
        log.info("an actions message could not be put right: the chat is closed to the bot")


async def changed_hooks(app: Application, action_id: int) -> None:
    for hook in app.bot_data.get(ON_ACTION_CHANGED, []):
        try:
            await hook(app, action_id)
        except TelegramError as exc:
            log.warning("an on_action_changed hook failed: %s", type(exc).__name__)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("actions", actions_command))
    app.add_handler(CallbackQueryHandler(on_press, pattern=callbacks.pattern(views.KIND)))
    replies.add_consumer(app, on_reply)
