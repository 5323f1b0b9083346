"""Arriving in a group, /setup, /join, the private deep link, /help and unknown commands."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from conversations.texts import onboarding as texts
from conversations.texts import welcome
from framework import VARIANTS, Customisation, example_relationships, shared_framework
from piebot.storage import membership, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import PROMPT_FILL, pending_id
from piebot.telegram import callbacks, links
from piebot.telegram.delivery.outbox import in_reply_to, queue_message
from piebot.telegram.guards import forget_admins, in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

COMMON_TIMEZONES = ("Europe/London", "Europe/Dublin", "Europe/Berlin", "America/New_York", "Australia/Sydney")
SETUP_VARIANTS = ("pies2", "pies2-short", "coffee-break")


# --- the bot joins or leaves a chat -------------------------------------------------------


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    chat = change.chat
    new_status = change.new_chat_member.status
    present = new_status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
    rt = runtime_of(context)
    if chat.type == ChatType.CHANNEL:
        if present:
            try:
                await context.bot.send_message(chat.id, welcome.CHANNEL)
            except TelegramError:
                pass  # a channel where the bot may not post; leaving is what matters
            await context.bot.leave_chat(chat.id)
        return
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    forget_admins(context, chat.id)
    if present:
        was_paused = await rt.apply(
            update, lambda s: membership.bot_arrived(s, chat.id, chat.title or "", rt.settings.timezone)
        )
        await context.bot.send_message(chat.id, texts.WELCOME_BACK if was_paused else welcome.GREETING)
    else:
        await rt.apply(update, lambda s: membership.bot_left(s, chat.id))


# --- /setup -----------------------------------------------------------------------------


def _button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode("su", team_id, arg))


async def setup(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html(welcome.NOT_ADMIN)
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    team = await rt.read(lambda s: teams.ensure_team(s, chat.id, chat.title or "", rt.settings.timezone))
    title = (chat.title or texts.CHAT_TITLE_MISSING)[:40]
    keyboard = InlineKeyboardMarkup(
        [
            [_button(texts.use_chat_title(title), team.id, "n.chat")],
            [_button(texts.TYPE_ANOTHER_NAME, team.id, "n.type")],
        ]
    )
    await message.reply_html(welcome.SETUP_NAME, reply_markup=keyboard)


async def on_setup_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "onboarding")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    team = await rt.read(lambda s: teams.team_for_chat(s, chat.id))
    if team is None or team.id != press.ref:
        log.warning("setup button refused: wrong chat")
        await query.answer(texts.WRONG_CHAT, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(welcome.NOT_ADMIN, show_alert=True)
        return
    step, _, choice = press.arg.partition(".")
    message = query.message
    replying = in_reply_to(message)
    # Each step's choice is stored with the next question queued in the same transaction; a question
    # that waits for a typed reply is saved with it, so a quick reply is never missed.
    if step == "n" and choice == "chat":
        name = (chat.title or texts.TEAM_NAME_MISSING)[:64]
        work, answer = _step_then(team.id, chat.id, replying, _framework_question(team.id), name=name), None
    elif step == "n" and choice == "type":
        work, answer = _ask_typed(team.id, chat.id, replying, welcome.SETUP_NAME_TYPE,
                                  texts.TEAM_NAME_PLACEHOLDER, "setup-name"), None
    elif step == "f" and choice in SETUP_VARIANTS:
        work = _step_then(team.id, chat.id, replying, _timezone_question(team.id, rt.settings.timezone),
                          framework_variant=choice)
        answer = texts.VARIANT_LABELS[choice]
    elif step == "z" and choice == "type":
        work, answer = _ask_typed(team.id, chat.id, replying, welcome.SETUP_TIMEZONE_TYPE, "Europe/London",
                                  "setup-timezone"), None
    elif step == "z" and choice.isdigit() and int(choice) < len(_timezone_choices(rt.settings.timezone)):
        zone = _timezone_choices(rt.settings.timezone)[int(choice)]
        work, answer = _step_then(team.id, chat.id, replying, _write_in_question(team.id), timezone=zone), zone
    elif step == "w" and choice in ("none", "rel"):
        customisation = example_relationships() if choice == "rel" else Customisation()

        def work(session) -> None:
            done = teams.finish_setup(session, team.id, customisation.model_dump(mode="json"))
            queue_message(session, chat.id, _setup_done_message(done), **replying)

        answer = texts.SETUP_DONE_ALERT
    else:
        log.warning("setup button refused: unknown choice")
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    try:
        await rt.apply(update, work, first=lambda _: query.answer(answer))
    except AlreadyDone:
        await query.answer()


def _timezone_choices(default: str) -> list[str]:
    return [default] + [z for z in COMMON_TIMEZONES if z != default][:3]


Question = tuple[str, InlineKeyboardMarkup]


def _framework_question(team_id: int) -> Question:
    rows = [[_button(texts.recommended(texts.VARIANT_LABELS[v], v == "pies2"), team_id, f"f.{v}")] for v in SETUP_VARIANTS]
    return welcome.SETUP_FRAMEWORK, InlineKeyboardMarkup(rows)


def _timezone_question(team_id: int, default: str) -> Question:
    choices = _timezone_choices(default)
    rows = [[_button(texts.recommended(zone, i == 0), team_id, f"z.{i}")] for i, zone in enumerate(choices)]
    rows.append([_button(texts.ANOTHER_TIME_ZONE, team_id, "z.type")])
    return welcome.SETUP_TIMEZONE, InlineKeyboardMarkup(rows)


def _write_in_question(team_id: int) -> Question:
    rows = [
        [_button(texts.NO_WRITE_IN, team_id, "w.none")],
        [_button(texts.ADD_RELATIONSHIPS, team_id, "w.rel")],
    ]
    return welcome.SETUP_WRITE_IN, InlineKeyboardMarkup(rows)


def _step_then(team_id: int, chat_id: int, replying: dict, question: Question, **step):
    """A set-up step stored, and the next question queued with it."""

    def work(session) -> None:
        teams.set_up_step(session, team_id, **step)
        text, markup = question
        queue_message(session, chat_id, text, reply_markup=markup, **replying)

    return work


def _ask_typed(team_id: int, chat_id: int, replying: dict, text: str, placeholder: str, purpose: str):
    """A question answered by typing: saved with its message, which any admin may reply to (an anonymous
    one too, whose reply comes from the group itself), so what is awaited belongs to the message."""

    def work(session) -> None:
        asked = queue_message(session, chat_id, text, fill=PROMPT_FILL, **replying,
                              reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder))
        teams.await_setup_reply(session, chat_id, pending_id(asked), team_id, purpose)

    return work


def _setup_done_message(team) -> str:
    framework = shared_framework(team.framework_variant, team.customisation or None)
    own = [t.name for t in framework.themes if t.written_in]
    return welcome.setup_done(team.name, VARIANTS.get(team.framework_variant, team.framework_variant), team.timezone, own)


async def on_setup_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A typed team name or time zone during /setup. Returns whether the reply was for set-up."""
    message = update.effective_message
    if not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id, replied_to = update.effective_chat.id, message.reply_to_message.message_id
    awaited = await rt.read(lambda s: teams.awaited_setup_reply(s, chat_id, replied_to))
    if awaited is None:
        return False
    purpose, team_id = awaited
    if not await is_admin(update, context):
        await message.reply_html(welcome.NOT_ADMIN)
        return True
    text = (message.text or "").strip()
    replying = in_reply_to(message)
    if purpose == "setup-name":
        if not 1 <= len(text) <= 64:
            await message.reply_html(welcome.BAD_NAME)
            return True
        work = _step_then(team_id, chat_id, replying, _framework_question(team_id), name=text)
    elif purpose == "setup-timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            await message.reply_html(welcome.BAD_TIMEZONE)
            return True
        work = _step_then(team_id, chat_id, replying, _write_in_question(team_id), timezone=text)
    else:
        return True
    try:
        await rt.apply(update, work)
    except AlreadyDone:
        pass
    return True


# --- /join and the private chat ----------------------------------------------------------


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    user = update.effective_user
    if user is None or user.is_bot or message.sender_chat is not None:
        await message.reply_html(texts.JOIN_AS_YOURSELF)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    try:
        joined = await rt.apply(update, lambda s: membership.join_in_chat(s, chat_id, user.id, user.first_name))
    except AlreadyDone:
        return
    if joined is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    payload = links.sign(rt.settings.secret_bytes(), "j", joined.team_id, user.id)
    url = f"https://t.me/{context.bot.username}?start={payload}"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(welcome.OPEN_PRIVATE, url=url)]])
    await message.reply_html(welcome.joined(user.first_name, joined.team_name, joined.new), reply_markup=keyboard)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.effective_chat.type != ChatType.PRIVATE:
        # A t.me/<bot>?startgroup=<payload> link brings /start <payload> to the group its tapper chose.
        handler = GROUP_DEEP_LINKS.get(context.args[0][:1]) if context.args else None
        if handler is None:
            await message.reply_html(welcome.HELP_GROUP)
            return
        await handler(update, context, context.args[0])
        return
    if not context.args:
        await message.reply_html(welcome.PRIVATE_START)
        return
    rt = runtime_of(context)
    user = update.effective_user
    try:
        grant = links.verify(rt.settings.secret_bytes(), context.args[0])
    except links.BadLink:
        log.warning("deep link refused: bad signature or shape")
        await message.reply_html(welcome.BAD_LINK)
        return
    if grant.user_id != user.id:
        log.warning("deep link refused: made for another user")
        await message.reply_html(welcome.NOT_YOUR_LINK)
        return
    handler = DEEP_LINKS.get(grant.action)
    if handler is None:
        await message.reply_html(welcome.BAD_LINK)
        return
    await handler(update, context, grant)


async def _open_private(update: Update, context: ContextTypes.DEFAULT_TYPE, grant: links.Grant) -> None:
    rt = runtime_of(context)
    user = update.effective_user
    try:
        name = await rt.apply(update, lambda s: membership.open_private_chat(s, grant.ref, user.id, user.first_name))
    except AlreadyDone:
        return
    await update.effective_message.reply_html(welcome.private_opened(name) if name else welcome.BAD_LINK)


# Deep-link actions by their one-letter code; later features add theirs here.
DEEP_LINKS = {"j": _open_private}
# The same for links that open in a group (startgroup=): each handler checks the payload itself.
GROUP_DEEP_LINKS: dict = {}


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    private = update.effective_chat.type == ChatType.PRIVATE
    await update.effective_message.reply_html(welcome.HELP_PRIVATE if private else welcome.HELP_GROUP)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text or ""
    command = text.split()[0].split("@")[0] if text else "that"
    await update.effective_message.reply_html(welcome.unknown_command(command))


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("setup", setup))
    app.add_handler(CommandHandler("join", join))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(on_setup_press, pattern=callbacks.pattern("su")))


def register_fallbacks(app: Application) -> None:
    # Added last to group 0, where only the first matching handler runs: any command no
    # feature claimed gets this kind answer.
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
