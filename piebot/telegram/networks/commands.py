"""Organisations and local networks: /network for leads (private chat), /acceptnetwork, /networks and
/leavenetwork for a team's admins (in its group).

Invitations are single-use: each is signed with the settings secret and carries a random nonce, spent
when the team joins. A code forwarded beyond the admin it was meant for can't bring in a second team,
and a code changed to point at another network fails its signature.

An invitation is also a link, t.me/<bot>?startgroup=<code>: the admin taps it, Telegram opens its group
picker and delivers "/start <code>" in the group they choose (people.onboarding hands it here by its
action letter). From there it is the same as /acceptnetwork <code>: an admin of that group confirms,
by name or anonymously. The code is well under Telegram's 64 characters (piebot.telegram.links).

Button kinds: "nw" (the lead's network card), "nwa" (accepting an invitation: by name or anonymously),
"nws" (a team's sharing choices), "nwl" (leaving a network).
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType, MessageLimit
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import networks as texts
from piebot.charts import NothingToChart, render
from piebot.storage import network_overview, networks, receipts
from piebot.storage.db import AlreadyDone
from piebot.telegram import callbacks, links
from piebot.telegram.charts.pictures import send_album
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.people import onboarding
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

INVITE = "n"  # the links action letter of a network invitation
NONCE_BITS = 40
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH


def _button(label: str, kind: str, ref: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(kind, ref, arg))


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


# --- the lead, in a private chat --------------------------------------------------------------


def _lead_keyboard(led: list) -> InlineKeyboardMarkup:
    rows = []
    for network, _count in led:
        rows.append([_button(texts.overview_button(network.name), "nw", network.id, "ov")])
        rows.append([_button(texts.invite_button(network.name), "nw", network.id, "inv")])
    return InlineKeyboardMarkup(rows)


async def network_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not _private(update):
        await message.reply_html(texts.PRIVATE_ONLY)
        return
    rt = runtime_of(context)
    user = update.effective_user
    args = context.args or []
    if args and args[0].lower() == "new":
        name = " ".join(args[1:]).strip()
        if not name:
            await message.reply_html(texts.NAME_NEEDED)
            return
        try:
            network = await rt.apply(update, lambda s: networks.create_network(s, name, user.id))
        except AlreadyDone:
            return
        except networks.NetworkRefused as refused:
            await message.reply_html(html.escape(str(refused)))
            return
        await message.reply_html(texts.created(network.name))
        code = _new_code(rt, network.id)
        await message.reply_html(texts.invitation(network.name, code, _link(context, code)),
                                 reply_markup=_lead_keyboard([(network, 0)]))
        return
    led = await rt.read(lambda s: networks.led_by(s, user.id))
    if not led:
        await message.reply_html(texts.NO_NETWORKS)
        return
    await message.reply_html(texts.led([(n.name, count) for n, count in led]), reply_markup=_lead_keyboard(led))


def _new_code(rt, network_id: int) -> str:
    return links.sign(rt.settings.secret_bytes(), INVITE, network_id, secrets.randbits(NONCE_BITS))


def _link(context: ContextTypes.DEFAULT_TYPE, code: str) -> str:
    """Opens the group picker; the chosen group receives /start <code>."""
    return f"https://t.me/{context.bot.username}?startgroup={code}"


async def on_lead_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    rt = runtime_of(context)
    user = query.from_user
    network = await rt.read(lambda s: networks.network_of_lead(s, press.ref, user.id))
    if network is None or not _private(update):
        log.warning("network button refused: not the lead or not a private chat")
        await query.answer(texts.NOT_LEAD, show_alert=True)
        return
    if press.arg == "inv":
        await query.answer()
        code = _new_code(rt, network.id)
        await query.message.reply_html(texts.invitation(network.name, code, _link(context, code)))
    elif press.arg == "ov":
        await query.answer(texts.PUTTING_TOGETHER)
        await send_overview(context, update.effective_chat.id, network.id)
    else:
        log.warning("network button refused: unknown choice")
        await query.answer(texts.BUTTON_GONE, show_alert=True)


async def send_overview(context: ContextTypes.DEFAULT_TYPE, chat_id: int, network_id: int) -> None:
    """The charts as one album, the intro in the first caption; the gaps and barriers; the PDF.

    A private chat takes about one message a second, so the overview goes in as few sends as it can: the
    intro rides on the first picture when it fits there (or comes first on its own), and the gaps ride on
    the PDF when they fit its caption."""
    # matplotlib and fpdf: loaded when an overview is asked for, not when the bot starts.
    from piebot.charts.network import OVERVIEW_CHARTS
    from piebot.charts.network_report import network_report_pdf

    rt = runtime_of(context)
    secret = rt.settings.secret_bytes()
    overview = await rt.read(lambda s: network_overview.network_overview(s, network_id, secret))
    # The rounds it drew on have now left their teams: their evidence stays as it was.
    await rt.apply(None, lambda s: receipts.left_the_team(s, overview.round_ids))
    bot = context.bot
    results = await asyncio.gather(*(render(make, overview) for make in OVERVIEW_CHARTS), return_exceptions=True)
    intro = [texts.overview_intro(overview.network_name, overview.teams, overview.anonymous_teams,
                                  overview.other_templates, overview.with_own_elements, overview.waiting_anonymous)]
    charts = []
    for result in results:
        if isinstance(result, NothingToChart):
            intro.append(html.escape(str(result)))
        elif isinstance(result, BaseException):
            raise result
        else:
            charts.append(result)
    opening = "\n\n".join(intro)
    captions = [html.escape(chart.caption) for chart in charts]
    if charts and _fits(opening, captions[0], CAPTION_LIMIT):
        captions[0] = f"{opening}\n\n{captions[0]}"
    else:
        await bot.send_message(chat_id, opening)
    await send_album(context.application, chat_id, [(chart, f"{chart.kind}.png") for chart in charts], captions)
    gaps = texts.gaps([(h.team, h.element_name, h.text) for h in overview.hinders],
                      [(a.team, a.element_name, a.text) for a in overview.actions])
    pdf_caption = texts.overview_pdf_caption(overview.network_name)
    if _fits(gaps, pdf_caption, CAPTION_LIMIT):
        pdf_caption = f"{gaps}\n\n{pdf_caption}"
    else:
        await bot.send_message(chat_id, gaps)
    name, pdf = await asyncio.to_thread(network_report_pdf, overview, charts)
    await bot.send_document(chat_id, InputFile(pdf, filename=name), caption=pdf_caption)


def _fits(first: str, second: str, limit: int) -> bool:
    """Whether two HTML texts joined fit Telegram's limit (counted on the markup, so a little short of it)."""
    return len(first) + 2 + len(second) <= limit


# --- a team's admins, in its group ------------------------------------------------------------


async def accept_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/acceptnetwork CODE, typed in the group."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    if not context.args:
        await message.reply_html(texts.CODE_NEEDED)
        return
    await _accept(update, context, context.args[0])


async def on_invitation_link(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """The invitation link tapped and this group chosen: Telegram sent /start CODE here."""
    await _accept(update, context, code)


async def _accept(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    """Check the invitation for this group and ask one of its admins how the team should appear."""
    message = update.effective_message
    if not await is_admin(update, context):
        await message.reply_html(texts.ONLY_ADMIN_ACCEPTS)
        return
    rt = runtime_of(context)
    try:
        grant = links.verify(rt.settings.secret_bytes(), code.strip())
    except links.BadLink:
        log.warning("network invitation refused: bad signature or shape")
        await message.reply_html(texts.BAD_CODE)
        return
    if grant.action != INVITE:
        log.warning("network invitation refused: not an invitation")
        await message.reply_html(texts.BAD_CODE)
        return
    chat_id = update.effective_chat.id
    user_id = update.effective_user.id
    try:
        # The invitation's nonce travels in the signed code's user field.
        invited = await rt.apply(update, lambda s: networks.hold_invitation(s, chat_id, user_id, grant.ref,
                                                                              grant.user_id))
    except AlreadyDone:
        return
    if isinstance(invited, str):
        await message.reply_html(invited)
        return
    keyboard = InlineKeyboardMarkup([
        [_button(texts.SHOW_NAME, "nwa", invited.network_id, "name")],
        [_button(texts.STAY_ANONYMOUS, "nwa", invited.network_id, "anon")],
    ])
    await message.reply_html(texts.accept_question(invited.network_name, invited.team_name), reply_markup=keyboard)


async def on_accept_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg not in ("name", "anon") or not in_group(update):
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(texts.ONLY_ADMIN_CHOOSES, show_alert=True)
        return
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, query.from_user.id
    secret = rt.settings.secret_bytes()
    try:
        joined = await rt.apply(update, lambda s: networks.join_network(s, chat_id, user_id, press.ref,
                                                                          press.arg == "anon", secret))
    except AlreadyDone:
        return
    except networks.NetworkRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return
    if joined is None:
        log.warning("network accept refused: no matching invitation for this admin")
        await query.answer(texts.ONLY_STARTER, show_alert=True)
        return
    await query.answer(texts.DONE)
    await query.edit_message_text(texts.joined(joined.network_name, joined.label, joined.anonymous))
    await query.message.reply_html(_sharing_text(joined), reply_markup=_sharing_keyboard(joined))


def _sharing_text(sharing: networks.Sharing) -> str:
    return texts.sharing(sharing.network_name, sharing.label, sharing.anonymous, sharing.share_service_user_views,
                         sharing.share_evidence, sharing.share_written)


def _sharing_keyboard(sharing: networks.Sharing) -> InlineKeyboardMarkup:
    network_id = sharing.network_id
    return InlineKeyboardMarkup([
        [_button(texts.name_button(sharing.anonymous), "nws", network_id, "a")],
        [_button(texts.service_users_button(sharing.share_service_user_views), "nws", network_id, "s")],
        [_button(texts.written_answers_button(sharing.share_written), "nws", network_id, "w")],
        [_button(texts.private_answers_button(sharing.share_evidence), "nws", network_id, "e")],
    ])


async def networks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The team's networks and what it shares with each (in the group)."""
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    secret = rt.settings.secret_bytes()
    found = await rt.read(lambda s: networks.sharing_of_chat(s, chat_id, secret))
    if not found:
        await message.reply_html(texts.NO_MEMBERSHIPS)
        return
    for sharing in found:
        await message.reply_html(_sharing_text(sharing), reply_markup=_sharing_keyboard(sharing))


async def on_sharing_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg not in networks.SHARING or not in_group(update):
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(texts.ONLY_ADMIN_SHARES, show_alert=True)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    secret = rt.settings.secret_bytes()
    try:
        sharing = await rt.apply(update, lambda s: networks.change_sharing(s, chat_id, press.ref, press.arg, secret))
    except AlreadyDone:
        return
    except networks.NetworkRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return
    await query.answer(texts.CHANGED)
    await query.edit_message_text(_sharing_text(sharing), reply_markup=_sharing_keyboard(sharing))


async def leave_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html(texts.ONLY_ADMIN_LEAVES)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    found = await rt.read(lambda s: networks.networks_of_chat(s, chat_id))
    if not found:
        await message.reply_html(texts.NO_MEMBERSHIPS)
        return
    rows = [[_button(texts.leave_button(name), "nwl", network_id, "go")] for network_id, name in found]
    await message.reply_html(texts.LEAVE_WHICH, reply_markup=InlineKeyboardMarkup(rows))


async def on_leave_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg != "go" or not in_group(update):
        await query.answer(texts.BUTTON_GONE, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(texts.ONLY_ADMIN_LEAVES, show_alert=True)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    try:
        name = await rt.apply(update, lambda s: networks.leave_from_chat(s, chat_id, press.ref))
    except AlreadyDone:
        return
    if name is None:
        await query.answer(texts.NOT_IN_NETWORK, show_alert=True)
        return
    await query.answer(texts.LEFT)
    await query.message.reply_html(texts.left(name))


def register(app: Application) -> None:
    onboarding.GROUP_DEEP_LINKS[INVITE] = on_invitation_link
    app.add_handler(CommandHandler("network", network_command))
    app.add_handler(CommandHandler("acceptnetwork", accept_command))
    app.add_handler(CommandHandler("networks", networks_command))
    app.add_handler(CommandHandler("leavenetwork", leave_command))
    app.add_handler(CallbackQueryHandler(on_lead_press, pattern=callbacks.pattern("nw")))
    app.add_handler(CallbackQueryHandler(on_accept_press, pattern=callbacks.pattern("nwa")))
    app.add_handler(CallbackQueryHandler(on_sharing_press, pattern=callbacks.pattern("nws")))
    app.add_handler(CallbackQueryHandler(on_leave_press, pattern=callbacks.pattern("nwl")))
