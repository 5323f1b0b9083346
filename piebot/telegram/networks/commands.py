"""Organisations and local networks: /network for leads (private chat), /acceptnetwork, /networks and
/leavenetwork for a team's admins (in its group).

Invitations are single-use: each is signed with the settings secret and carries a random nonce, spent
when the team joins. A code forwarded beyond the admin it was meant for can't bring in a second team,
and a code changed to point at another network fails its signature.

Button kinds: "nw" (the lead's network card), "nwa" (accepting an invitation: by name or anonymously),
"nws" (a team's sharing choices), "nwl" (leaving a network).
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets

from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.texts import networks as texts
from piebot.charts import NothingToChart, render
from piebot.charts.network import OVERVIEW_CHARTS
from piebot.charts.network_report import network_report_pdf
from piebot.storage import networks, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Dialog
from piebot.telegram import callbacks, links
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

INVITE = "n"  # the links action letter of a network invitation
NONCE_BITS = 40


def _button(label: str, kind: str, ref: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(kind, ref, arg))


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


# --- the lead, in a private chat --------------------------------------------------------------


def _lead_keyboard(led: list) -> InlineKeyboardMarkup:
    rows = []
    for network, _count in led:
        name = network.name[:28]
        rows.append([_button(f"📊 Overview · {name}", "nw", network.id, "ov")])
        rows.append([_button(f"✉️ Invite a team · {name}", "nw", network.id, "inv")])
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
        await message.reply_html(texts.invitation(network.name, _new_code(rt, network.id)),
                                 reply_markup=_lead_keyboard([(network, 0)]))
        return
    led = await rt.read(lambda s: networks.led_by(s, user.id))
    if not led:
        await message.reply_html(texts.NO_NETWORKS)
        return
    await message.reply_html(texts.led([(n.name, count) for n, count in led]), reply_markup=_lead_keyboard(led))


def _new_code(rt, network_id: int) -> str:
    return links.sign(rt.settings.secret_bytes(), INVITE, network_id, secrets.randbits(NONCE_BITS))


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
        await query.message.reply_html(texts.invitation(network.name, _new_code(rt, network.id)))
    elif press.arg == "ov":
        await query.answer("Putting the overview together…")
        await send_overview(context, update.effective_chat.id, network.id)
    else:
        log.warning("network button refused: unknown choice")
        await query.answer("That button doesn't work any more.", show_alert=True)


async def send_overview(context: ContextTypes.DEFAULT_TYPE, chat_id: int, network_id: int) -> None:
    """The charts with their figures in words, the gaps and barriers as text, then the PDF."""
    rt = runtime_of(context)
    secret = rt.settings.secret_bytes()
    overview = await rt.read(lambda s: networks.network_overview(s, network_id, secret))
    bot = context.bot
    await bot.send_message(chat_id, texts.overview_intro(overview.network_name, overview.teams,
                                                         overview.anonymous_teams, overview.other_templates,
                                                         overview.with_own_elements))
    results = await asyncio.gather(*(render(make, overview) for make in OVERVIEW_CHARTS), return_exceptions=True)
    charts = []
    for result in results:
        if isinstance(result, NothingToChart):
            await bot.send_message(chat_id, html.escape(str(result)))
        elif isinstance(result, BaseException):
            raise result
        else:
            charts.append(result)
            await bot.send_photo(chat_id, InputFile(result.png, filename=f"{result.kind}.png"),
                                 caption=html.escape(result.caption))
    await bot.send_message(chat_id, texts.gaps(
        [(h.team, h.element_name, h.text) for h in overview.hinders],
        [(a.team, a.element_name, a.text) for a in overview.actions],
    ))
    name, pdf = await asyncio.to_thread(network_report_pdf, overview, charts)
    await bot.send_document(chat_id, InputFile(pdf, filename=name),
                            caption=f"The overview of <b>{html.escape(overview.network_name)}</b> as a PDF.")


# --- a team's admins, in its group ------------------------------------------------------------


def _dialog(session, chat_id: int, user_id: int) -> Dialog:
    dialog = session.exec(select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)).first()
    if dialog is None:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    return dialog


async def accept_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html("Only a group admin can accept an invitation. Ask one of your admins.")
        return
    if not context.args:
        await message.reply_html(texts.CODE_NEEDED)
        return
    rt = runtime_of(context)
    try:
        grant = links.verify(rt.settings.secret_bytes(), context.args[0].strip())
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

    def work(session):
        team = teams.team_for_chat(session, chat_id)
        if team is None or not team.set_up:
            return texts.NOT_SET_UP, None
        network = session.get(networks.Network, grant.ref)
        if network is None:
            return texts.BAD_CODE, None
        if networks.invite_spent(session, network.id, grant.user_id):
            return "That invitation has been used already. Ask the network lead for a new one.", None
        if networks.membership(session, network.id, team.id) is not None:
            return f"This team is already in <b>{html.escape(network.name)}</b>. See /networks.", None
        # Remember the code for this admin only: the buttons carry no secret, so a press is checked here.
        dialog = _dialog(session, chat_id, user_id)
        # Other features keep their own keys in the same row; only ours is touched.
        dialog.state = {**(dialog.state or {}), "nw": {"network": network.id, "nonce": grant.user_id}}
        return texts.accept_question(network.name, team.name), network.id

    try:
        text, network_id = await rt.apply(update, work)
    except AlreadyDone:
        return
    if network_id is None:
        await message.reply_html(text)
        return
    keyboard = InlineKeyboardMarkup([
        [_button("Show our name", "nwa", network_id, "name")],
        [_button("Stay anonymous", "nwa", network_id, "anon")],
    ])
    await message.reply_html(text, reply_markup=keyboard)


async def on_accept_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg not in ("name", "anon") or not in_group(update):
        await query.answer("That button doesn't work any more.", show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer("Only a group admin can choose.", show_alert=True)
        return
    rt = runtime_of(context)
    chat_id, user_id = update.effective_chat.id, query.from_user.id
    secret = rt.settings.secret_bytes()

    def work(session):
        dialog = session.exec(
            select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)
        ).first()
        state = dict((dialog.state or {}).get("nw") or {}) if dialog else {}
        if state.get("network") != press.ref or "nonce" not in state:
            return None
        team = teams.team_for_chat(session, chat_id)
        if team is None:
            return None
        joined = networks.accept_invite(session, network_id=press.ref, nonce=int(state["nonce"]), team_id=team.id,
                                        anonymous=press.arg == "anon")
        dialog.state = {k: v for k, v in dialog.state.items() if k != "nw"}
        session.flush()
        network = session.get(networks.Network, press.ref)
        label = networks.labels_of(session, network.id, secret)[team.id]
        return network.name, label, joined.anonymous, joined.share_service_user_views, joined.share_evidence

    try:
        done = await rt.apply(update, work)
    except AlreadyDone:
        return
    except networks.NetworkRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return
    if done is None:
        log.warning("network accept refused: no matching invitation for this admin")
        await query.answer(texts.ONLY_STARTER, show_alert=True)
        return
    name, label, anonymous, share_su, share_ev = done
    await query.answer("Done")
    await query.edit_message_text(texts.joined(name, label, anonymous))
    await query.message.reply_html(texts.sharing(name, label, anonymous, share_su, share_ev),
                                   reply_markup=_sharing_keyboard(press.ref, anonymous, share_su, share_ev))


def _sharing_keyboard(network_id: int, anonymous: bool, share_su: bool, share_ev: bool) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [_button("Show our name" if anonymous else "Hide our name", "nws", network_id, "a")],
        [_button(("Stop sharing" if share_su else "Share") + " service users' views", "nws", network_id, "s")],
        [_button(("Stop sharing" if share_ev else "Share") + " private answers", "nws", network_id, "e")],
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

    def read(session):
        team = teams.team_for_chat(session, chat_id)
        if team is None:
            return []
        found = []
        for row, network in networks.networks_of_team(session, team.id):
            label = networks.labels_of(session, network.id, secret)[team.id]
            found.append((network.id, network.name, label, row.anonymous, row.share_service_user_views,
                          row.share_evidence))
        return found

    found = await rt.read(read)
    if not found:
        await message.reply_html(texts.NO_MEMBERSHIPS)
        return
    for network_id, name, label, anonymous, share_su, share_ev in found:
        await message.reply_html(texts.sharing(name, label, anonymous, share_su, share_ev),
                                 reply_markup=_sharing_keyboard(network_id, anonymous, share_su, share_ev))


async def on_sharing_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg not in networks.SHARING or not in_group(update):
        await query.answer("That button doesn't work any more.", show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer("Only a group admin can change what the team shares.", show_alert=True)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    secret = rt.settings.secret_bytes()

    def work(session):
        team = teams.team_for_chat(session, chat_id)
        if team is None:
            raise networks.NetworkRefused("This team isn't in that network any more.")
        row = networks.toggle(session, press.ref, team.id, press.arg)
        session.flush()
        network = session.get(networks.Network, press.ref)
        label = networks.labels_of(session, network.id, secret)[team.id]
        return network.name, label, row.anonymous, row.share_service_user_views, row.share_evidence

    try:
        name, label, anonymous, share_su, share_ev = await rt.apply(update, work)
    except AlreadyDone:
        return
    except networks.NetworkRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return
    await query.answer("Changed")
    await query.edit_message_text(texts.sharing(name, label, anonymous, share_su, share_ev),
                                  reply_markup=_sharing_keyboard(press.ref, anonymous, share_su, share_ev))


async def leave_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.GROUP_ONLY)
        return
    if not await is_admin(update, context):
        await message.reply_html("Only a group admin can take the team out of a network.")
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id

    def read(session):
        team = teams.team_for_chat(session, chat_id)
        return [] if team is None else [(n.id, n.name) for _, n in networks.networks_of_team(session, team.id)]

    found = await rt.read(read)
    if not found:
        await message.reply_html(texts.NO_MEMBERSHIPS)
        return
    rows = [[_button(f"Leave {name[:40]}", "nwl", network_id, "go")] for network_id, name in found]
    await message.reply_html(texts.LEAVE_WHICH, reply_markup=InlineKeyboardMarkup(rows))


async def on_leave_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "networks")
    if press is None:
        return
    if press.arg != "go" or not in_group(update):
        await query.answer("That button doesn't work any more.", show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer("Only a group admin can take the team out of a network.", show_alert=True)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id

    def work(session):
        team = teams.team_for_chat(session, chat_id)
        network = session.get(networks.Network, press.ref)
        if team is None or network is None or not networks.leave(session, network.id, team.id):
            return None
        return network.name

    try:
        name = await rt.apply(update, work)
    except AlreadyDone:
        return
    if name is None:
        await query.answer("This team isn't in that network any more.", show_alert=True)
        return
    await query.answer("Left")
    await query.message.reply_html(texts.left(name))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("network", network_command))
    app.add_handler(CommandHandler("acceptnetwork", accept_command))
    app.add_handler(CommandHandler("networks", networks_command))
    app.add_handler(CommandHandler("leavenetwork", leave_command))
    app.add_handler(CallbackQueryHandler(on_lead_press, pattern=callbacks.pattern("nw")))
    app.add_handler(CallbackQueryHandler(on_accept_press, pattern=callbacks.pattern("nwa")))
    app.add_handler(CallbackQueryHandler(on_sharing_press, pattern=callbacks.pattern("nws")))
    app.add_handler(CallbackQueryHandler(on_leave_press, pattern=callbacks.pattern("nwl")))
