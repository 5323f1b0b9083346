"""Arriving in a group, /setup, /join, the private deep link, /help and unknown commands."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import select
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

from conversations import welcome
from framework import VARIANTS, Customisation, example_relationships, shared_framework
from piebot.storage import teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Prompt, Team
from piebot.telegram import callbacks, links
from piebot.telegram.guards import forget_admins, in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

COMMON_TIMEZONES = ("Europe/London", "Europe/Dublin", "Europe/Berlin", "America/New_York", "Australia/Sydney")
SETUP_VARIANTS = ("pies2", "pies2-short", "coffee-break")
VARIANT_LABELS = {"pies2": "All 15 elements", "pies2-short": "Short form", "coffee-break": "Coffee break"}


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
        was_paused = await rt.apply(update, lambda s: _arrive(s, chat.id, chat.title or "", rt.settings.timezone))
        if was_paused is not None:
            await context.bot.send_message(chat.id, welcome.GREETING if not was_paused else _welcome_back())
    else:
        await rt.apply(update, lambda s: _pause(s, chat.id))


def _welcome_back() -> str:
    return "👋 I'm back. Everything you had is still here, and your schedules are running again."


def _arrive(session, chat_id: int, title: str, timezone: str) -> bool | None:
    team = teams.team_for_chat(session, chat_id)
    if team is None:
        teams.ensure_team(session, chat_id, title, timezone)
        return False
    was_paused = team.paused
    team.paused = False
    team.chat_title = title
    return was_paused


def _pause(session, chat_id: int) -> None:
    team = teams.team_for_chat(session, chat_id)
    if team is not None:
        team.paused = True  # data kept; schedules skip paused teams


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
    title = (chat.title or "this group")[:40]
    keyboard = InlineKeyboardMarkup(
        [
            [_button(f"Use “{title}”", team.id, "n.chat")],
            [_button("Type another name", team.id, "n.type")],
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
        await query.answer("That button belongs to another chat.", show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(welcome.NOT_ADMIN, show_alert=True)
        return
    step, _, choice = press.arg.partition(".")
    message = query.message
    if step == "n" and choice == "chat":
        await rt.apply(update, lambda s: _set(s, team.id, name=(chat.title or "Our team")[:64]))
        await query.answer()
        await _ask_framework(message, team.id)
    elif step == "n" and choice == "type":
        await query.answer()
        prompt = await message.reply_html(
            welcome.SETUP_NAME_TYPE, reply_markup=ForceReply(selective=True, input_field_placeholder="Team name")
        )
        await _wait_for(rt, update, team.id, prompt, "setup-name")
    elif step == "f" and choice in SETUP_VARIANTS:
        await rt.apply(update, lambda s: _set(s, team.id, framework_variant=choice))
        await query.answer(VARIANT_LABELS[choice])
        await _ask_timezone(message, team.id, rt.settings.timezone)
    elif step == "z" and choice == "type":
        await query.answer()
        prompt = await message.reply_html(
            welcome.SETUP_TIMEZONE_TYPE, reply_markup=ForceReply(selective=True, input_field_placeholder="Europe/London")
        )
        await _wait_for(rt, update, team.id, prompt, "setup-timezone")
    elif step == "z" and choice.isdigit() and int(choice) < len(_timezone_choices(rt.settings.timezone)):
        zone = _timezone_choices(rt.settings.timezone)[int(choice)]
        await rt.apply(update, lambda s: _set(s, team.id, timezone=zone))
        await query.answer(zone)
        await _ask_write_in(message, team.id)
    elif step == "w" and choice in ("none", "rel"):
        customisation = example_relationships() if choice == "rel" else Customisation()
        done = await rt.apply(
            update,
            lambda s: _finish(s, team.id, customisation.model_dump(mode="json")),
        )
        await query.answer("Done")
        await message.reply_html(done)
    else:
        log.warning("setup button refused: unknown choice")
        await query.answer("That button doesn't work any more.", show_alert=True)


def _timezone_choices(default: str) -> list[str]:
    return [default] + [z for z in COMMON_TIMEZONES if z != default][:3]


async def _ask_framework(message, team_id: int) -> None:
    rows = [[_button(VARIANT_LABELS[v] + (" ✓" if v == "pies2" else ""), team_id, f"f.{v}")] for v in SETUP_VARIANTS]
    await message.reply_html(welcome.SETUP_FRAMEWORK, reply_markup=InlineKeyboardMarkup(rows))


async def _ask_timezone(message, team_id: int, default: str) -> None:
    choices = _timezone_choices(default)
    rows = [[_button(zone + (" ✓" if i == 0 else ""), team_id, f"z.{i}")] for i, zone in enumerate(choices)]
    rows.append([_button("Another time zone", team_id, "z.type")])
    await message.reply_html(welcome.SETUP_TIMEZONE, reply_markup=InlineKeyboardMarkup(rows))


async def _ask_write_in(message, team_id: int) -> None:
    rows = [
        [_button("No, just PIEs 2.0 ✓", team_id, "w.none")],
        [_button("Add Relationships", team_id, "w.rel")],
    ]
    await message.reply_html(welcome.SETUP_WRITE_IN, reply_markup=InlineKeyboardMarkup(rows))


def _set(session, team_id: int, **fields) -> None:
    team = session.get(Team, team_id)
    for key, value in fields.items():
        setattr(team, key, value)


def _finish(session, team_id: int, customisation: dict) -> str:
    team = session.get(Team, team_id)
    team.customisation = customisation
    team.set_up = True
    framework = shared_framework(team.framework_variant, customisation or None)
    own = [t.name for t in framework.themes if t.written_in]
    return welcome.setup_done(team.name, VARIANTS.get(team.framework_variant, team.framework_variant), team.timezone, own)


async def _wait_for(rt, update: Update, team_id: int, prompt, purpose: str) -> None:
    # Any admin may answer, an anonymous one too (whose reply comes from the group itself),
    # so what is awaited belongs to the prompt message, not to the person who pressed.
    def store(session):
        session.add(Prompt(chat_id=prompt.chat_id, message_id=prompt.message_id, team_id=team_id, purpose=purpose))

    await rt.apply(update, store)


async def on_setup_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A typed team name or time zone during /setup. Returns whether the reply was for set-up."""
    message = update.effective_message
    if not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id, replied_to = update.effective_chat.id, message.reply_to_message.message_id

    def read_prompt(session):
        prompt = session.exec(
            select(Prompt).where(Prompt.chat_id == chat_id, Prompt.message_id == replied_to)
        ).first()
        return (prompt.purpose, prompt.team_id) if prompt and prompt.purpose.startswith("setup-") else None

    awaited = await rt.read(read_prompt)
    if awaited is None:
        return False
    purpose, team_id = awaited
    if not await is_admin(update, context):
        await message.reply_html(welcome.NOT_ADMIN)
        return True
    text = (message.text or "").strip()
    if purpose == "setup-name":
        if not 1 <= len(text) <= 64:
            await message.reply_html(welcome.BAD_NAME)
            return True
        await rt.apply(update, lambda s: _set(s, team_id, name=text))
        await _ask_framework(message, team_id)
    elif purpose == "setup-timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            await message.reply_html(welcome.BAD_TIMEZONE)
            return True
        await rt.apply(update, lambda s: _set(s, team_id, timezone=text))
        await _ask_write_in(message, team_id)
    return True


# --- /join and the private chat ----------------------------------------------------------


async def join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    user = update.effective_user
    if user is None or user.is_bot or message.sender_chat is not None:
        await message.reply_html("To join, write /join as yourself rather than as the group.")
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id

    def work(session):
        team = teams.team_for_chat(session, chat_id)
        if team is None or not team.set_up:
            return None
        member, new = teams.join(session, team, user.id, user.first_name)
        return team.id, team.name, new

    try:
        joined = await rt.apply(update, work)
    except AlreadyDone:
        return
    if joined is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    team_id, team_name, new = joined
    payload = links.sign(rt.settings.secret_bytes(), "j", team_id, user.id)
    url = f"https://t.me/{context.bot.username}?start={payload}"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(welcome.OPEN_PRIVATE, url=url)]])
    await message.reply_html(welcome.joined(user.first_name, team_name, new), reply_markup=keyboard)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_html(welcome.HELP_GROUP)
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

    def work(session):
        team = session.get(Team, grant.ref)
        if team is None:
            return None
        member, _ = teams.join(session, team, user.id, user.first_name)
        member.private_chat = True
        return team.name

    try:
        name = await rt.apply(update, work)
    except AlreadyDone:
        return
    await update.effective_message.reply_html(welcome.private_opened(name) if name else welcome.BAD_LINK)


# Deep-link actions by their one-letter code; later features add theirs here.
DEEP_LINKS = {"j": _open_private}


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
