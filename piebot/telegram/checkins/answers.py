"""Answering a check-in: beads, written answers; /away; the scheduler's start and stop.

Button kind "ci" (ref = check-in id). In the group a level is one tap (the bead goes in the middle
of that level); the private card (a nudge) goes on to the five places within it. Written answers
are ForceReply prompts (the Prompt table); in an anonymous check-in they are asked privately,
since a reply in the group shows who wrote it. A named reply in the group gets a quiet receipt, as a
round's evidence does: the bot's reaction on it, and a private note only where the group allows none.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import ForceReply, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.actions import read_due_date
from conversations.checkin import (
    QUESTIONS,
    Question,
    checkin_keyboard,
    checkin_nudge,
    question_of,
    question_prompt,
)
from conversations.keyboards import (
    Command,
    LevelChosen,
    PlaceChosen,
    QuestionChosen,
    positions_caption,
    rating_positions,
    read_press,
)
from conversations.texts import checkins as texts
from conversations.texts import refusals
from conversations.texts.receipts import REACTION
from conversations.texts.scale import place_plain
from piebot import clock, scheduling
from piebot.storage import checkins as store
from piebot.storage import reminders, schedules, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.outbox import PROMPT_FILL, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.checkins import closing, schedule, support
from piebot.telegram.checkins.posts import (
    KIND,
    PRIVATE_CARD,
    framework_of,
    markup,
    send_private_card,
)
from piebot.telegram.delivery.outbox import in_reply_to, queue_message, queue_reaction
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)


def _today(team, now: datetime) -> date:
    return now.astimezone(ZoneInfo(team.timezone)).date()


# --- presses on a check-in ----------------------------------------------------------------


async def on_checkin_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "checkins")
    if press is None:
        return
    rt = runtime_of(context)
    user = query.from_user
    chat = update.effective_chat
    found = await rt.read(lambda s: store.checkin_for_member(s, press.ref, user.id))
    if found is None:
        log.warning("check-in button refused: unknown check-in")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    checkin, team, member = found
    private = chat is not None and chat.type == ChatType.PRIVATE and chat.id == user.id
    if chat is None or not (chat.id == team.chat_id or private):
        log.warning("check-in button refused: wrong chat")
        await query.answer(texts.ELSEWHERE, show_alert=True)
        return
    if press.arg == Command.SUPPORT:
        await support.ask_for_support(update, context, team.id, member)
        return
    if press.arg == Command.CLOSE and chat.id == team.chat_id:
        await closing.close_now(update, context, checkin, member)
        return
    if member is None or not member.active:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    framework = framework_of(team.framework_variant, team.customisation)
    choice = read_press(press.arg, framework.scale)
    now = clock.now()
    if not store.is_open(checkin, now):
        await query.answer(texts.CHECKIN_CLOSED, show_alert=True)
        return
    if press.arg == PRIVATE_CARD:
        await _private_card(update, context, team, checkin, member, framework, now)
        return
    scale = framework.scale
    if isinstance(choice, LevelChosen) and not choice.team:
        if private:
            await query.answer()
            await _edit_markup(query, markup(rating_positions(scale, choice.level), checkin.id),
                               positions_caption(scale, choice.level))
            return
        # A tap in the group names a level, nothing finer: it is kept as that level, not as a place in it.
        await _rate(update, context, checkin.id, member.id, scale.index(choice.level, 1),
                    texts.bead_saved, scale.levels[choice.level - 1].label, level_only=True)
    elif isinstance(choice, PlaceChosen) and not choice.team and private:
        saved = await _rate(update, context, checkin.id, member.id, choice.index(scale),
                            texts.bead_saved_private, place_plain(scale, choice.index(scale)))
        if saved:
            await _back_to_card(query, framework, checkin, team.timezone)
    elif choice is Command.BACK and private:
        await query.answer()
        await _back_to_card(query, framework, checkin, team.timezone)
    elif isinstance(choice, QuestionChosen) and (question := question_of(choice.key)) is not None:
        await _ask(update, context, team, checkin, member, question, private)
    else:
        log.warning("check-in button refused: unknown choice")
        await query.answer(texts.EXPIRED, show_alert=True)


async def _private_card(update, context, team, checkin, member, framework, now) -> None:
    query = update.callback_query
    if not member.private_chat:
        await query.answer(texts.OPEN_PRIVATE_FIRST, show_alert=True)
        return
    try:
        await send_private_card(context.bot, member.telegram_user_id, checkin.id, framework, checkin.element_id,
                                schedules.aware(checkin.closes_at), team.timezone, now)
    except Forbidden:
        await query.answer(texts.OPEN_PRIVATE_FIRST, show_alert=True)
        return
    await query.answer(texts.CARD_SENT)


async def _rate(update, context, checkin_id: int, member_id: int, value: int, saying, label: str,
                *, level_only: bool = False) -> bool:
    rt = runtime_of(context)
    query = update.callback_query
    now = clock.now()
    try:
        moved = await rt.apply(update, lambda s: store.place_bead(s, checkin_id, member_id, value, now,
                                                                  level_only=level_only))
    except AlreadyDone:
        return False
    except store.CheckInRefused as refused:
        await query.answer(str(refused), show_alert=True)
        return False
    await query.answer(saying(label, moved))
    return True


async def _edit_markup(query, reply_markup, text: str | None = None) -> None:
    try:
        if text is not None:
            await query.edit_message_text(text, reply_markup=reply_markup)
        else:
            await query.edit_message_reply_markup(reply_markup=reply_markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _back_to_card(query, framework, checkin, timezone: str) -> None:
    text = checkin_nudge(framework, checkin.element_id, schedules.aware(checkin.closes_at), ZoneInfo(timezone),
                         clock.now())
    await _edit_markup(query, markup(checkin_keyboard(framework), checkin.id), text)


async def _ask(update, context, team, checkin, member, question: Question, private: bool) -> None:
    """A ForceReply prompt for one question: in the group when named, privately when anonymous."""
    query = update.callback_query
    rt = runtime_of(context)
    where = member.telegram_user_id if (private or checkin.anonymous) else team.chat_id
    if where != team.chat_id and not member.private_chat:
        await query.answer(texts.OPEN_PRIVATE_FIRST, show_alert=True)
        return
    placeholder = texts.ANSWER_PLACEHOLDER if question is not Question.CHANGE else texts.CHANGE_PLACEHOLDER
    reply_markup = ForceReply(selective=True, input_field_placeholder=placeholder)
    replying = in_reply_to(query.message) if where == team.chat_id else {}

    def ask(session) -> None:
        # The question is saved with the message that asks it, so a reply typed the moment it appears
        # is taken; its message id is written in once Telegram took it.
        asked = queue_message(session, where, question_prompt(question), reply_markup=reply_markup,
                              fill=PROMPT_FILL, **replying)
        store.remember_question(session, chat_id=where, message_id=pending_id(asked), team_id=team.id,
                                checkin_id=checkin.id, element_id=checkin.element_id, question=question)

    try:
        await rt.apply(update, ask, first=lambda _: query.answer(
            texts.ASKED_PRIVATELY if where != team.chat_id and not private else None))
    except AlreadyDone:
        pass


# --- written answers ------------------------------------------------------------------------


async def on_checkin_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    user = update.effective_user
    if message is None or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    replied_to = message.reply_to_message.message_id
    asked = await rt.read(lambda s: store.question_asked(s, chat_id, replied_to, user.id))
    if asked is None:
        return False
    team, member = asked.team, asked.member
    if member is None or not member.active:
        await message.reply_html(texts.NOT_MEMBER)
        return True
    kind = "text" if message.text is not None else "other"
    problem = refusals.answer_problem(message.text, kind)
    if problem:
        await message.reply_html(problem)
        return True
    question = Question(asked.question)
    now = clock.now()
    private = update.effective_chat.type == ChatType.PRIVATE
    text = message.text
    today = _today(team, now)
    replying = in_reply_to(message)

    def answer(session):
        taken = store.answer_question(session, asked.checkin_id, member.id, question, text, private=private,
                                      now=now, today=today, prompt=(chat_id, replied_to))
        # The receipt is committed with the answer, so a crash in between cannot lose it.
        return taken, _queue_receipt(session, message, replying, taken, member, private=private)

    try:
        taken, reaction = await rt.apply(update, answer)
    except AlreadyDone:
        return True
    except store.CheckInRefused as refused:
        await message.reply_html(str(refused))
        return True
    if reaction is not None and reaction.refused:
        await _receipt_without_reaction(context, message, member, question)
    return True


def _queue_receipt(session, message, replying: dict, taken: store.AnswerTaken, member, *, private: bool):
    """A quiet receipt for a named answer in the group, as a round's evidence gets: the bot's reaction on
    the reply (no new message in the group); an action's note goes to its author in private. Returns
    the queued reaction, or None where the receipt is a message (in private, or nowhere else to go)."""
    action = texts.action_noted(taken.owner_found) if taken.action_id is not None else None
    if private:
        thanks = action or (texts.REPLY_THANKS_ANONYMOUS if taken.anonymous else texts.REPLY_THANKS)
        queue_message(session, message.chat_id, thanks, **replying)
        return None
    if action is not None and not member.private_chat:
        queue_message(session, message.chat_id, action, **replying)  # no private chat: as before
        return None
    reaction = queue_reaction(session, message.chat_id, message.message_id, REACTION)
    if action is not None:
        queue_message(session, member.telegram_user_id, action)
        return None
    return reaction


async def _receipt_without_reaction(context: ContextTypes.DEFAULT_TYPE, message, member, question: Question) -> None:
    """The group allows no reactions: a short private note is the receipt, or, for someone the bot cannot
    write to, the thanks in the group as before."""
    if member.private_chat:
        try:
            await context.bot.send_message(member.telegram_user_id, texts.noted_privately(QUESTIONS[question]))
            return
        except TelegramError:
            pass  # they blocked the bot since: thank them where they wrote
    try:
        await message.reply_html(texts.REPLY_THANKS)
    except TelegramError:
        log.info("a check-in answer's thanks could not be sent")


# --- /away ------------------------------------------------------------------------------------


def read_away(text: str, today: date) -> date | None:
    """'14/3', '14 March', '2 weeks' or 'in 2 weeks', 'tomorrow'."""
    text = text.strip().lower()
    parsed = read_due_date(text, today)
    if parsed is None and text and text[0].isdigit():
        parsed = read_due_date("in " + text, today)
    return parsed


async def away(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    user = update.effective_user
    if user is None or message.sender_chat is not None:
        return
    rt = runtime_of(context)
    now = clock.now()
    rows = await rt.read(lambda s: teams.memberships(s, user.id))
    if not rows:
        await message.reply_html(texts.AWAY_NOT_MEMBER)
        return
    today = now.astimezone(ZoneInfo(rows[0][1].timezone)).date()
    said = " ".join(context.args or []).strip()
    if not said:
        await message.reply_html(texts.away_status(rows[0][0].away_until))
        return
    if said.lower() in ("off", "back", "none", "no"):
        until = None
    else:
        until = read_away(said, today)
        if until is None:
            await message.reply_html(texts.away_bad_date(said))
            return
        if until < today:
            await message.reply_html(texts.away_past(until))
            return
    try:
        await rt.apply(update, lambda s: reminders.set_away(s, user.id, until))
    except AlreadyDone:
        return
    await message.reply_html(texts.away_until(until) if until else texts.AWAY_OFF)


# --- wiring ---------------------------------------------------------------------------------


async def _on_round_closed(app: Application, round_id: int) -> None:
    """A round's review stage proposes the next review date: reminders follow it."""
    proposed = await app.bot_data["runtime"].apply(None, lambda s: schedules.review_date_from_round(s, round_id))
    if proposed is not None:
        await scheduling.reschedule(app)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_checkin_press, pattern=callbacks.pattern(KIND)))
    app.add_handler(CommandHandler("away", away))
    schedule.register(app)
    support.register(app)
    replies.add_consumer(app, on_checkin_reply)
    app.bot_data.setdefault("on_round_closed", []).append(_on_round_closed)
    # Check-ins run in the one process that leads the scheduler (piebot.scheduling.leader).
    app.bot_data.setdefault("on_elected", []).append(scheduling.start)
    app.bot_data.setdefault("on_deposed", []).append(scheduling.stop)

