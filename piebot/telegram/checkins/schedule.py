"""/schedule: shows the rhythm; admins change it with the wizard's buttons (piebot.telegram.checkins.wizard).

An admin's /schedule in a team with no check-ins goes straight to the quick way (day, time, Save); with
a schedule it shows it, with "Change" to start the quick way from the team's own rule. "More options"
opens the full wizard on the same draft.

Button kind "sc" (ref = team id). The wizard's draft lives in the Dialog row of the admin who
started it, keyed to its card, so it survives a restart and another admin's presses can't
change it. Nothing is written to the schedule until Save, and Save checks the whole rule
(conversations.schedule.validate): a refused rule leaves the old schedule exactly as it was.
Before Save, the card says what the team's quiet hours will do to the check-in. The card, its
questions and its edits go through the outbox, committed with the draft (a card or question is saved
with a pending id, written in once it is sent), so a reply typed the instant a question appears is taken.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.actions import read_due_date
from conversations.schedule import parse_clock, parse_window, schedule_summary, validate
from conversations.texts import checkins as texts
from conversations.texts import welcome
from piebot import clock, scheduling
from piebot.storage import schedules, teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Team
from piebot.storage.outbox import fill_of, pending_id
from piebot.telegram import callbacks, replies
from piebot.telegram.checkins.posts import framework_of
from piebot.telegram.checkins.wizard import (
    KIND,
    LETTERS,
    QUICK,
    STEPS,
    apply_choice,
    button,
    card,
    draft_from,
    element_name,
    quick_card,
    rule_of_draft,
)
from piebot.telegram.delivery.outbox import in_reply_to, queue_edit, queue_message
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

# A value the wizard lets the admin type: the draft's key, what to ask, and the reply box's example.
TYPED = {"t": ("time", texts.WIZARD_TYPE_TIME, "09:30"), "w": ("window", texts.WIZARD_TYPE_WINDOW, "36"),
         "r": ("review", texts.WIZARD_TYPE_DATE, "14/3")}


def _now_and_today(team: Team):
    now = clock.now()
    return now, now.astimezone(ZoneInfo(team.timezone)).date()


async def show_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    shown = await rt.read(lambda s: schedules.schedule_of_chat(s, chat_id))
    if shown is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    now = clock.now()
    tz = ZoneInfo(shown.team.timezone)
    if shown.rule is None and await is_admin(update, context):
        await _start_quick(update, context, shown.team, message)
        return
    if shown.rule is None:
        text, label = texts.no_schedule(shown.review_on), texts.SCHEDULE_SET_UP
    else:
        framework = framework_of(shown.team.framework_variant, shown.team.customisation)
        about = texts.schedule_about(element_name(framework, shown.schedule.element_id), shown.schedule.anonymous)
        text, label = schedule_summary(shown.rule, tz, now) + "\n" + about, texts.SCHEDULE_CHANGE
    keyboard = InlineKeyboardMarkup([[button(label, shown.team.id, "change")]])
    await message.reply_html(text, reply_markup=keyboard)


# --- the wizard's presses ---------------------------------------------------------------------


async def on_schedule_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = await callbacks.press_of(query, "checkins schedule")
    if press is None:
        return
    rt = runtime_of(context)
    chat = update.effective_chat
    user_id = query.from_user.id
    team = await rt.read(lambda s: teams.team_for_chat(s, chat.id))
    if team is None or team.id != press.ref:
        log.warning("schedule button refused: wrong chat")
        await query.answer(texts.ELSEWHERE, show_alert=True)
        return
    if not await is_admin(update, context):
        log.warning("schedule button refused: not an admin")
        await query.answer(texts.NOT_ADMIN_SCHEDULE, show_alert=True)
        return
    now, today = _now_and_today(team)
    message = query.message
    if press.arg == "change":
        await query.answer()
        await _start_quick(update, context, team, message)
        return
    state = await rt.read(lambda s: schedules.wizard_state(s, chat.id, user_id))
    if state.get("card") != message.message_id or "schedule" not in state:
        await query.answer(texts.WIZARD_NOT_YOURS, show_alert=True)
        return
    draft, index = state["schedule"], int(state.get("step", 0))
    step, _, value = press.arg.partition(".")
    if step == "s" and value == "cancel":
        await _save_state(rt, update, chat.id, user_id, {}, edit=(message.message_id, texts.WIZARD_CANCELLED, None),
                          first=lambda: query.answer(texts.WIZARD_CANCELLED))
        return
    if step == "s" and value == "save":
        await _save(update, context, team, draft, now, today)
        return
    if step == "o":
        await query.answer()
        await _advance(update, context, team, draft, 0, chat.id, user_id, message.message_id, today)
        return
    if "quick" in state:
        await _quick_press(update, context, team, state, step, value, today)
        return
    if index >= len(STEPS) or step != LETTERS[STEPS[index]]:
        await query.answer(texts.WIZARD_STEP_DONE, show_alert=True)
        return
    if value == "type" and step in TYPED:
        key, ask, placeholder = TYPED[step]
        await query.answer()
        await _ask(rt, update, message, user_id, {**state, "typing": key}, ask, placeholder)
        return
    if not apply_choice(draft, step, value, today):
        log.warning("schedule button refused: unknown choice")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    await query.answer()
    await _advance(update, context, team, draft, index + 1, chat.id, user_id, message.message_id, today)


async def _start_quick(update, context, team: Team, message) -> None:
    """The quick way's first card, as a reply to `message`, with a draft from the team's rule or the defaults."""
    rt = runtime_of(context)
    _, today = _now_and_today(team)
    shown, proposal = await rt.read(lambda s: schedules.wizard_start(s, team.id))
    draft = draft_from(shown, today, proposal)
    intro = texts.no_schedule(shown.review_on) + "\n\n" if shown.rule is None else ""
    text, keyboard = quick_card(QUICK[0], draft, team, intro)
    user_id, chat_id, replying = update.effective_user.id, message.chat.id, in_reply_to(message)

    def start(session) -> None:
        # The card is saved with the message that shows it: a press the instant it appears finds it.
        sent = queue_message(session, chat_id, text, reply_markup=keyboard, **replying,
                             fill=fill_of(schedules.WIZARD_FILL, user_id))
        schedules.set_wizard_state(session, chat_id, user_id, {"schedule": draft, "quick": QUICK[0],
                                                               "card": pending_id(sent)})

    try:
        await rt.apply(update, start)
    except AlreadyDone:
        pass


async def _ask(rt, update, message, user_id: int, state: dict, ask: str, placeholder: str) -> None:
    """A question for a value the admin types, as a reply to the card; saved with the message that asks it,
    so a reply typed the instant it appears is taken."""
    chat_id, replying = message.chat.id, in_reply_to(message)

    def work(session) -> None:
        asked = queue_message(session, chat_id, ask, fill=fill_of(schedules.WIZARD_FILL, user_id), **replying,
                              reply_markup=ForceReply(selective=True, input_field_placeholder=placeholder))
        schedules.set_wizard_state(session, chat_id, user_id, {**state, "prompt": pending_id(asked)})

    try:
        await rt.apply(update, work)
    except AlreadyDone:
        pass


async def _quick_press(update, context, team: Team, state: dict, step: str, value: str, today) -> None:
    query = update.callback_query
    stage, draft = state["quick"], state["schedule"]
    expected = {"day": "D", "time": "T"}.get(stage)
    if step != expected:
        await query.answer(texts.WIZARD_STEP_DONE, show_alert=True)
        return
    if step == "T" and value == "type":
        _, ask, placeholder = TYPED["t"]
        await query.answer()
        await _ask(runtime_of(context), update, query.message, query.from_user.id, {**state, "typing": "time"},
                   ask, placeholder)
        return
    if not apply_choice(draft, step, value, today):
        log.warning("schedule button refused: unknown choice")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    await query.answer()
    await _quick_to(update, context, team, draft, QUICK[QUICK.index(stage) + 1], query.message.chat.id,
                    query.from_user.id, query.message.message_id)


async def _quick_to(update, context, team, draft, stage, chat_id, user_id, card_id) -> None:
    text, keyboard = quick_card(stage, draft, team)
    await _save_state(runtime_of(context), update, chat_id, user_id, {"schedule": draft, "quick": stage,
                                                                     "card": card_id}, edit=(card_id, text, keyboard))


async def _advance(update, context, team, draft, index, chat_id, user_id, card_id, today) -> None:
    text, keyboard = card(index, draft, team, today)
    await _save_state(runtime_of(context), update, chat_id, user_id, {"schedule": draft, "step": index,
                                                                     "card": card_id}, edit=(card_id, text, keyboard))


async def _save(update, context, team: Team, draft: dict, now, today) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    try:
        rule = rule_of_draft(draft)
        problems = validate(rule, today)
    except ValueError:
        problems = [texts.WIZARD_DRAFT_UNREADABLE]
    if problems:
        await query.answer(texts.WIZARD_NOT_SAVED_ALERT, show_alert=False)
        await query.message.reply_html(texts.wizard_refused(problems))
        return
    chat_id, user_id, card_id = query.message.chat.id, query.from_user.id, query.message.message_id
    saved = texts.wizard_saved(schedule_summary(rule, ZoneInfo(team.timezone), now))

    def save(session) -> None:
        schedules.save_from_wizard(session, team.id, rule, element_id=draft["element"],
                                   anonymous=bool(draft["anonymous"]), now=now, chat_id=chat_id,
                                   telegram_user_id=user_id)
        queue_edit(session, chat_id, card_id, saved, reply_markup=None)

    try:
        await rt.apply(update, save, first=lambda _: query.answer(texts.WIZARD_SAVED_ALERT))
    except AlreadyDone:
        return
    await scheduling.reschedule(context.application)


async def _save_state(rt, update, chat_id: int, user_id: int, state: dict, *,
                      edit: tuple[int, str, InlineKeyboardMarkup | None] | None = None, first=None) -> None:
    """Keep the draft; `edit` (message id, text, buttons) is the card as it now stands, queued with it."""

    def work(session) -> None:
        schedules.set_wizard_state(session, chat_id, user_id, state)
        if edit is not None:
            queue_edit(session, chat_id, edit[0], edit[1], reply_markup=edit[2])

    try:
        await rt.apply(update, work, first=None if first is None else (lambda _: first()))
    except AlreadyDone:
        pass


async def on_schedule_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A typed time, window or review date for the wizard."""
    message = update.effective_message
    user = update.effective_user
    if not in_group(update) or message.reply_to_message is None or user is None:
        return False
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    state = await rt.read(lambda s: schedules.wizard_state(s, chat_id, user.id))
    if "schedule" not in state or state.get("prompt") != message.reply_to_message.message_id:
        return False
    team = await rt.read(lambda s: teams.team_for_chat(s, chat_id))
    if team is None or not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN_SCHEDULE)
        return True
    text = (message.text or "").strip()
    _, today = _now_and_today(team)
    draft = dict(state["schedule"])
    typing = state.get("typing")
    if typing == "time":
        parsed = parse_clock(text)
        if parsed is None:
            await message.reply_html(texts.bad_typed_time(text))
            return True
        draft["time"] = f"{parsed:%H:%M}"
    elif typing == "window":
        minutes = parse_window(text)
        if minutes is None:
            await message.reply_html(texts.bad_typed_length(text))
            return True
        # Out-of-range windows are kept in the draft and refused, with the reason, at Save.
        draft["window"] = minutes
    elif typing == "review":
        parsed_date = read_due_date(text, today)
        if parsed_date is None:
            await message.reply_html(texts.bad_typed_date(text))
            return True
        draft["review"] = parsed_date.isoformat()
    else:
        return False
    if state.get("quick") == "time":
        await _quick_to(update, context, team, draft, QUICK[2], chat_id, user.id, state["card"])
        return True
    await _advance(update, context, team, draft, int(state["step"]) + 1, chat_id, user.id, state["card"], today)
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("schedule", show_schedule))
    app.add_handler(CallbackQueryHandler(on_schedule_press, pattern=callbacks.pattern(KIND)))
    replies.add_consumer(app, on_schedule_reply)
