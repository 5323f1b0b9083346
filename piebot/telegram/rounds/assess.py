"""Pizazz rounds in the group: /assess (the start-a-round wizard), /facilitator, /status, and the
live session's commands (/next, /back, /skip, /pause, /resume, /close, /withdraw).

The live card is in card, ratings and the facilitator's moves in live, answers at the stages in
answers, the summary in summary. Rounds in people's own time are the walk's
(piebot.telegram.rounds.walk): this module opens and closes them and leaves the rest to it.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.keyboards import Command
from conversations.pizazz import Scope, ScopeKind, element_ids
from conversations.texts import assess as texts
from conversations.texts import refusals
from conversations.texts import summary as summary_texts
from conversations.texts.walk import round_title
from framework import Framework
from piebot import clock
from piebot.storage import live as live_rows
from piebot.storage import rounds, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Member, Team
from piebot.telegram import callbacks, replies
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.rounds import answers, review, summary, teamview
from piebot.telegram.rounds import card as session_card
from piebot.telegram.rounds import live as session_live
from piebot.telegram.rounds.card import facilitators_press, may_facilitate
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

# For the async walk: the team-view card of one element once a round in people's own time has closed.
ask_team_view = teamview.ask_team_view

WIZARD = "as"  # the /assess wizard's steps
# Who sees what in a round: "0" named (beads shown without names), "1" anonymous, "2" named and shown.
WHO_SEES = ("0", "1", "2")
FACILITATOR = "fa"  # an admin names (or un-names) a facilitator

DEADLINE_DAYS = (2, 7, 14)  # texts.DEADLINE_LABELS names each


# ---------------------------------------------------------------- /assess


def _b(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(WIZARD, team_id, arg))


def _cancel(team_id: int) -> list[InlineKeyboardButton]:
    return [_b(texts.CANCEL, team_id, "c")]


async def assess(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or not team.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    if not await may_facilitate(update, context, team.id):
        await message.reply_html(texts.NOT_ALLOWED)
        return
    if await rt.read(lambda s: rounds.open_round_of(s, team.id)) is not None:
        await message.reply_html(texts.ROUND_ALREADY_OPEN)
        return
    rows = [
        [_b(texts.SCOPE_ELEMENT, team.id, "k.e")],
        [_b(texts.SCOPE_THEME, team.id, "k.t")],
        [_b(texts.SCOPE_ALL, team.id, "k.a")],
        _cancel(team.id),
    ]
    await message.reply_html(texts.ASK_SCOPE, reply_markup=InlineKeyboardMarkup(rows))


def _scope(framework: Framework, token: str) -> Scope | None:
    """'e3' (the 4th element), 't1' (the 2nd theme) or 'a' (all), checked against the framework."""
    if token == "a":
        return Scope(ScopeKind.ALL)
    if len(token) < 2 or not token[1:].isdigit():
        return None
    index = int(token[1:])
    if token[0] == "e" and index < len(framework.elements):
        return Scope(ScopeKind.ELEMENT, framework.elements[index].id)
    if token[0] == "t" and index < len(framework.themes):
        return Scope(ScopeKind.THEME, framework.themes[index].id)
    return None


def _mode(token: str) -> tuple[str, int | None] | None:
    if token == "l":
        return "live", None
    if token.startswith("a") and token[1:].isdigit() and int(token[1:]) in DEADLINE_DAYS:
        return "async", int(token[1:])
    return None


async def on_wizard_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    pressed = await facilitators_press(update, context, "assessment", texts.NOT_ALLOWED)
    if pressed is None:
        return
    press, team = pressed
    framework = teams.framework_of(team)
    step, *chosen = press.arg.split(".")
    t = team.id
    if step == "c":
        await query.answer()
        await query.edit_message_text(texts.CANCELLED, reply_markup=None)
        return
    if step == "k" and chosen == ["e"]:
        names = [_b(e.name[:30], t, f"x.e{i}") for i, e in enumerate(framework.elements)]
        rows = [names[i : i + 2] for i in range(0, len(names), 2)] + [_cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_ELEMENT, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step == "k" and chosen == ["t"]:
        rows = [[_b(th.name[:40], t, f"x.t{i}")] for i, th in enumerate(framework.themes)] + [_cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_THEME, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step in ("k", "x") and len(chosen) == 1 and _scope(framework, chosen[0]) is not None:
        s = chosen[0]
        rows = [[_b(texts.MODE_LIVE, t, f"m.{s}.l")], [_b(texts.MODE_OWN_TIME, t, f"m.{s}.a")], _cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_MODE, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step == "m" and len(chosen) == 2 and chosen[1] == "a" and _scope(framework, chosen[0]):
        rows = [[_b(texts.DEADLINE_LABELS[d], t, f"m.{chosen[0]}.a{d}")] for d in DEADLINE_DAYS] + [_cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_DEADLINE, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step == "m" and len(chosen) == 2 and _scope(framework, chosen[0]) and _mode(chosen[1]):
        s, m = chosen
        named = texts.ticked(texts.NAMED, not team.anonymous_by_default)
        anonymous = texts.ticked(texts.ANONYMOUS, team.anonymous_by_default)
        rows = [[_b(named, t, f"n.{s}.{m}.0")], [_b(texts.NAMED_AND_SHOWN, t, f"n.{s}.{m}.2")],
                [_b(anonymous, t, f"n.{s}.{m}.1")], _cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_ANONYMOUS, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step == "n" and len(chosen) == 3 and _scope(framework, chosen[0]) and _mode(chosen[1]) and chosen[2] in WHO_SEES:
        base = ".".join(chosen)
        hinders = texts.ticked(texts.HINDERS_FIRST, not team.strengths_first)
        strengths = texts.ticked(texts.STRENGTHS_FIRST, team.strengths_first)
        rows = [[_b(hinders, t, f"go.{base}.h")], [_b(strengths, t, f"go.{base}.s")], _cancel(t)]
        await query.answer()
        await query.edit_message_text(texts.ASK_ORDER, reply_markup=InlineKeyboardMarkup(rows))
        return
    if step == "go" and len(chosen) == 4 and chosen[2] in WHO_SEES and chosen[3] in ("h", "s"):
        scope, mode = _scope(framework, chosen[0]), _mode(chosen[1])
        if scope is not None and mode is not None:
            await _open(update, context, team, framework, scope, mode, chosen[2] == "1", chosen[3] == "s",
                        names_shown=chosen[2] == "2")
            return
    log.warning("assess button refused: unknown step")
    await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)


async def _open(
    update,
    context,
    team: Team,
    framework: Framework,
    scope: Scope,
    mode: tuple[str, int | None],
    anonymous: bool,
    strengths_first: bool,
    *,
    names_shown: bool = False,
) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    kind, days = mode
    user_id = update.effective_user.id if update.effective_user else None
    if kind == "async":
        try:
            from piebot.telegram.rounds import walk
        except ModuleNotFoundError as exc:
            if exc.name != "piebot.telegram.rounds.walk":
                raise
            await query.answer(texts.ASYNC_UNAVAILABLE, show_alert=True)
            return

    def work(session):
        return rounds.start_round(
            session,
            team_id=team.id,
            telegram_user_id=user_id,
            element_ids=element_ids(framework, scope),
            scope=str(scope.kind),
            scope_ref=scope.ref,
            mode=kind,
            anonymous=anonymous,
            names_shown=names_shown,
            strengths_first=strengths_first,
            deadline=clock.now() + timedelta(days=days) if days else None,
        )

    try:
        started = await rt.apply(update, work)
    except AlreadyDone:
        await query.answer()
        return
    except rounds.RoundRefused as refusal:
        await query.answer(str(refusal), show_alert=True)
        return
    await query.answer()
    title = round_title(framework, scope)
    opened = texts.round_opened(title, kind, anonymous, started.elements, names_shown)
    await query.edit_message_text(opened, reply_markup=None)
    if kind == "async":
        await walk.open_async_round(context, started.round_id)
    else:
        await session_card.post_card(context.application, started.first_card_id)


# ---------------------------------------------------------------- /facilitator


async def facilitator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    if not await is_admin(update, context):
        await message.reply_html(texts.FACILITATOR_ADMIN_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or not team.set_up:
        await message.reply_html(texts.NOT_SET_UP)
        return
    target = message.reply_to_message.from_user if message.reply_to_message else None
    # "/facilitator @Bea" picked from Telegram's mention list arrives as a text mention carrying the user.
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            target = entity.user
    wanted = " ".join(context.args or []).strip().lstrip("@").casefold()
    members = await rt.read(lambda s: teams.active_members(s, team.id))
    chosen = None
    if target is not None and not target.is_bot:
        chosen = next((m for m in members if m.telegram_user_id == target.id), None)
        if chosen is None:
            await message.reply_html(texts.NOT_A_MEMBER)
            return
    elif wanted:
        matches = [m for m in members if m.display_name.casefold() == wanted]
        chosen = matches[0] if len(matches) == 1 else None
    if chosen is not None:
        name = await rt.apply(update, lambda s: teams.make_facilitator(s, chosen.id, True))
        await message.reply_html(texts.facilitator_set(name, True))
        return
    if not members:
        await message.reply_html(texts.NO_MEMBERS)
        return
    await message.reply_html(texts.ASK_FACILITATOR, reply_markup=_facilitator_keyboard(team.id, members))


def _facilitator_keyboard(team_id: int, members: list[Member]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                texts.ticked(m.display_name[:40], m.facilitator),
                callback_data=callbacks.encode(FACILITATOR, team_id, str(m.id)),
            )
        ]
        for m in members[:30]
    ]
    return InlineKeyboardMarkup(rows)


async def on_facilitator_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    try:
        press = callbacks.decode(query.data)
    except callbacks.BadButton:
        press = None
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    member = None
    if press is not None and team is not None and team.id == press.ref and press.arg.isdigit():
        member = await rt.read(lambda s: teams.member_by_id(s, int(press.arg)))
    if member is None or member.team_id != team.id or not member.active:
        log.warning("facilitator button refused: unknown member or chat")
        await query.answer(refusals.BUTTON_EXPIRED, show_alert=True)
        return
    if not await is_admin(update, context):
        await query.answer(texts.FACILITATOR_ADMIN_ONLY, show_alert=True)
        return
    try:
        await rt.apply(update, lambda s: teams.make_facilitator(s, member.id, None))
    except AlreadyDone:
        await query.answer()
        return
    members = await rt.read(lambda s: teams.active_members(s, team.id))
    now = next(m for m in members if m.id == member.id)
    await query.answer(html.unescape(texts.facilitator_set(now.display_name, now.facilitator)))
    await query.edit_message_reply_markup(reply_markup=_facilitator_keyboard(team.id, members))


# ---------------------------------------------------------------- /status


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    standing = await rt.read(lambda s: live_rows.standing(s, chat_id))
    await message.reply_html(_status(standing))


def _status(standing: live_rows.Standing | None) -> str:
    if standing is None:
        return summary_texts.no_round_status()
    if standing.state is not None:
        return summary_texts.live_status(standing.framework, standing.state, standing.rated, standing.members)
    round_ = standing.round_
    closes = round_.deadline or clock.now()
    title = round_title(standing.framework, rounds.scope_of(round_))
    tz = ZoneInfo(standing.team.timezone)
    return summary_texts.async_status(title, standing.finished, standing.members, closes, tz, clock.now())


# ---------------------------------------------------------------- /next /back /skip /pause /resume /close

COMMANDS = {
    "next": Command.NEXT,
    "back": Command.PREVIOUS,
    "skip": Command.SKIP,
    "pause": Command.PAUSE,
    "resume": Command.RESUME,
    "close": Command.CLOSE,
}


async def navigate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(texts.IN_THE_GROUP)
        return
    word = (message.text or "").split()[0].lstrip("/").split("@")[0].lower()
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    team, round_ = await rt.read(lambda s: rounds.in_chat(s, chat_id))
    if round_ is None:
        await message.reply_html(summary_texts.no_round_status())
        return
    if not await may_facilitate(update, context, team.id):
        await message.reply_html(refusals.FACILITATOR_ONLY)
        return
    if round_.mode != "live":
        if word != "close":
            await message.reply_html(texts.OWN_TIME_NOTHING_TO_MOVE)
            return
        try:
            from piebot.telegram.rounds import walk
        except ModuleNotFoundError:
            await message.reply_html(texts.ASYNC_UNAVAILABLE)
            return
        await walk.close_async_round(context.application, round_.id)
        return
    refusal = await session_live.move(update, context, round_.id, COMMANDS[word])
    if refusal:
        await message.reply_html(html.escape(refusal))


async def carry_on_in_supergroup(app: Application, new_chat_id: int) -> None:
    """After a group became a supergroup the old card can't be pressed or edited: post it afresh."""
    row_id = await app.bot_data["runtime"].read(lambda s: live_rows.current_card(s, new_chat_id))
    if row_id is not None:
        session_card.editor_of(app).forget(row_id)
        await session_card.post_card(app, row_id)


def register(app: Application) -> None:
    session_card.remember(app)
    app.bot_data.setdefault("on_chat_migrated", []).append(carry_on_in_supergroup)
    app.bot_data.setdefault("on_action_changed", []).append(session_card.on_action_changed)
    app.add_handler(CommandHandler("assess", assess))
    app.add_handler(CommandHandler("facilitator", facilitator))
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("withdraw", answers.withdraw_command))
    app.add_handler(CommandHandler(list(COMMANDS), navigate))
    app.add_handler(CallbackQueryHandler(on_wizard_press, pattern=callbacks.pattern(WIZARD)))
    app.add_handler(CallbackQueryHandler(on_facilitator_press, pattern=callbacks.pattern(FACILITATOR)))
    app.add_handler(CallbackQueryHandler(session_live.on_rating_press, pattern=callbacks.pattern(session_card.RATE)))
    app.add_handler(CallbackQueryHandler(session_card.on_level_name_press,
                                         pattern=callbacks.pattern(session_card.LEVEL_NAME)))
    app.add_handler(CallbackQueryHandler(session_live.on_move_press, pattern=callbacks.pattern(session_card.MOVE)))
    app.add_handler(CallbackQueryHandler(teamview.on_team_view_press, pattern=callbacks.pattern(teamview.TEAM_VIEW)))
    app.add_handler(CallbackQueryHandler(answers.on_withdraw_press, pattern=callbacks.pattern(answers.WITHDRAW)))
    app.add_handler(CallbackQueryHandler(summary.on_review_press, pattern=callbacks.pattern(summary.REVIEW)))
    app.add_handler(CallbackQueryHandler(review.on_open_review_press, pattern=callbacks.pattern(review.OPEN_REVIEW)))
    replies.add_consumer(app, answers.on_group_reply)
    replies.add_consumer(app, answers.on_private_message)
    app.bot_data.setdefault("on_stop", []).append(session_live.recall(app))
