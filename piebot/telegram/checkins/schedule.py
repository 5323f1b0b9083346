"""/schedule (shows the rhythm; admins change it with buttons, a default at every step) and /support.

Button kind "sc" (ref = team id). The wizard's draft lives in the Dialog row of the admin who
started it, keyed to its card, so it survives a restart and another admin's presses can't
change it. Nothing is written to the schedule until Save, and Save checks the whole rule
(conversations.schedule.validate): a refused rule leaves the old schedule exactly as it was.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from conversations import welcome
from conversations.actions import read_due_date
from conversations.schedule import (
    Cadence,
    QuietHours,
    ScheduleRule,
    default_rule,
    parse_clock,
    schedule_summary,
    validate,
    wizard_steps,
)
from conversations.texts import checkins as texts
from conversations.when import DAY_NAMES, DAYS, day
from piebot import clock, scheduling
from piebot.storage import checkins as store
from piebot.storage import teams
from piebot.storage.db import AlreadyDone
from piebot.storage.models import Dialog, Prompt, Team
from piebot.telegram import callbacks, replies
from piebot.telegram.checkins.posts import framework_of, read_contacts
from piebot.telegram.guards import in_group, is_admin
from piebot.telegram.runtime import runtime_of

log = logging.getLogger(__name__)

KIND = "sc"
STEPS = ("cadence", "day", "time", "window", "quiet", "element", "privacy", "review", "reminders")
# The letter each step's buttons carry, so a press on an older step's card is recognised as stale.
LETTERS = {"cadence": "c", "day": "d", "time": "t", "window": "w", "quiet": "q", "element": "e", "privacy": "a",
           "review": "r", "reminders": "m"}
TIMES = ("08:00", "10:00", "12:00", "14:00", "16:00", "18:00")
WINDOWS = (4, 12, 24, 48, 72)
QUIET = {"2108": ("21:00", "08:00"), "2207": ("22:00", "07:00"), "2009": ("20:00", "09:00"), "none": None}
ELEMENTS = ("responsiveness", "rules-and-procedures", "roles-and-relationships")
REMIND_DAYS = (0, 1, 2, 3, 7)
REVIEW_WEEKS = (4, 8, 12)


def _button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(KIND, team_id, arg))


def _now_and_today(team: Team):
    now = clock.now()
    return now, now.astimezone(ZoneInfo(team.timezone)).date()


# --- the draft -----------------------------------------------------------------------------


def _draft_from(shown: store.TeamSchedule, today: date, proposal: date | None) -> dict:
    team = shown.team
    rule = shown.rule
    if rule is None:
        rule = default_rule(today)
        element, anonymous = "responsiveness", team.anonymous_by_default
    else:
        element, anonymous = shown.schedule.element_id, shown.schedule.anonymous
    review = shown.review_on or proposal or rule.review_on
    quiet = f"{rule.quiet.start}-{rule.quiet.end}" if rule.quiet else "none"
    return {
        "cadence": str(rule.cadence), "day": rule.day, "time": rule.time, "window": rule.window_hours,
        "quiet": quiet, "element": element, "anonymous": anonymous,
        "review": review.isoformat() if review else None, "reminders": rule.remind_days_before,
    }


def rule_of_draft(draft: dict) -> ScheduleRule:
    quiet = None if draft["quiet"] == "none" else QuietHours(*draft["quiet"].split("-", 1))
    return ScheduleRule(
        cadence=Cadence(draft["cadence"]), day=int(draft["day"]), time=draft["time"],
        window_hours=int(draft["window"]), quiet=quiet,
        review_on=date.fromisoformat(draft["review"]) if draft["review"] else None,
        remind_days_before=int(draft["reminders"]),
    )


def _element_name(framework, element_id: str) -> str:
    try:
        return framework.element(element_id).name
    except (KeyError, ValueError):
        return element_id


def _draft_lines(draft: dict, framework) -> list[str]:
    cadence = Cadence(draft["cadence"])
    when = (f"day {draft['day']} of the month" if cadence is Cadence.MONTHLY else DAY_NAMES[int(draft["day"])])
    quiet = "none" if draft["quiet"] == "none" else draft["quiet"].replace("-", "–")
    review = day(date.fromisoformat(draft["review"])) if draft["review"] else "none"
    return [
        f"• {cadence.value.capitalize()}, {when}, at {draft['time']}",
        f"• Open for {draft['window']} hours; quiet hours {quiet}",
        f"• On {_element_name(framework, draft['element'])}, {'anonymous' if draft['anonymous'] else 'named'}",
        f"• Next review: {review}; action reminders {draft['reminders']} day(s) before",
    ]


# --- the cards -----------------------------------------------------------------------------


def _mark(label: str, chosen: bool) -> str:
    return f"{label} ✓" if chosen else label


def _step_keyboard(step: str, draft: dict, team_id: int, framework, today: date) -> list[list[InlineKeyboardButton]]:
    b = lambda label, arg, chosen=False: _button(_mark(label, chosen), team_id, arg)  # noqa: E731
    if step == "cadence":
        return [[b(c.value.capitalize(), f"c.{c.value}", draft["cadence"] == c.value)] for c in Cadence]
    if step == "day":
        if draft["cadence"] == Cadence.MONTHLY:
            days = [b(str(n), f"d.{n}", int(draft["day"]) == n) for n in range(1, 29)]
            return [days[i:i + 7] for i in range(0, 28, 7)]
        days = [b(DAYS[n], f"d.{n}", int(draft["day"]) == n) for n in range(7)]
        return [days[:4], days[4:]]
    if step == "time":
        times = [b(t, f"t.{t.replace(':', '')}", draft["time"] == t) for t in TIMES]
        other = draft["time"] not in TIMES
        return [times[:3], times[3:], [b(f"Type a time{' (' + draft['time'] + ')' if other else ''}", "t.type",
                                         other)]]
    if step == "window":
        hours = [b(f"{h} h", f"w.{h}", int(draft["window"]) == h) for h in WINDOWS]
        return [hours, [b("Type hours", "w.type", int(draft["window"]) not in WINDOWS)]]
    if step == "quiet":
        rows = []
        for arg, hours in QUIET.items():
            label = "No quiet hours" if hours is None else f"{hours[0]}–{hours[1]}"
            value = "none" if hours is None else f"{hours[0]}-{hours[1]}"
            rows.append([b(label, f"q.{arg}", draft["quiet"] == value)])
        return rows
    if step == "element":
        present = [e for e in ELEMENTS if _element_name(framework, e) != e]
        return [[b(_element_name(framework, e), f"e.{i}", draft["element"] == e)] for i, e in enumerate(ELEMENTS)
                if e in present]
    if step == "privacy":
        return [[b("Named", "a.0", not draft["anonymous"]), b("Anonymous", "a.1", bool(draft["anonymous"]))]]
    if step == "review":
        rows = []
        if draft["review"]:
            rows.append([b(f"Keep {day(date.fromisoformat(draft['review']))}", "r.keep", True)])
        rows.append([b(f"In {w} weeks", f"r.{w}") for w in REVIEW_WEEKS])
        rows.append([b("Type a date", "r.type"), b("No review date", "r.none", draft["review"] is None)])
        return rows
    if step == "reminders":
        return [[b(str(n), f"m.{n}", int(draft["reminders"]) == n) for n in REMIND_DAYS]]
    raise ValueError(step)


def _questions(today: date, cadence: Cadence) -> dict[str, str]:
    asked = {s.key: s.question for s in wizard_steps(today, cadence)}
    asked["element"] = "Which element should the check-in look at?"
    asked["privacy"] = "Named or anonymous answers?"
    return asked


def _card(step_index: int, draft: dict, team: Team, today: date):
    framework = framework_of(team.framework_variant, team.customisation)
    if step_index >= len(STEPS):
        text = texts.wizard_card(len(STEPS), len(STEPS), "All set — save this?", _draft_lines(draft, framework))
        keyboard = [[_button("Save ✓", team.id, "s.save"), _button("Cancel", team.id, "s.cancel")]]
        return text, InlineKeyboardMarkup(keyboard)
    step = STEPS[step_index]
    question = _questions(today, Cadence(draft["cadence"]))[step]
    text = texts.wizard_card(step_index + 1, len(STEPS), question + " (tap ✓ to keep)",
                             _draft_lines(draft, framework) if step_index else [])
    keyboard = _step_keyboard(step, draft, team.id, framework, today)
    keyboard.append([_button("Cancel", team.id, "s.cancel")])
    return text, InlineKeyboardMarkup(keyboard)


async def show_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if not in_group(update):
        await message.reply_html(welcome.GROUP_ONLY)
        return
    rt = runtime_of(context)
    chat_id = update.effective_chat.id

    def look(session):
        team = teams.team_for_chat(session, chat_id)
        return store.team_schedule(session, team) if team is not None and team.set_up else None

    shown = await rt.read(look)
    if shown is None:
        await message.reply_html(welcome.NOT_SET_UP)
        return
    now = clock.now()
    tz = ZoneInfo(shown.team.timezone)
    if shown.rule is None:
        text, label = texts.NO_SCHEDULE, texts.SCHEDULE_SET_UP
        if shown.review_on:
            text += f"\nNext full review: {day(shown.review_on)}."
    else:
        framework = framework_of(shown.team.framework_variant, shown.team.customisation)
        about = (f"On <b>{_element_name(framework, shown.schedule.element_id)}</b>, "
                 f"{'anonymous' if shown.schedule.anonymous else 'named'} answers.")
        text, label = schedule_summary(shown.rule, tz, now) + "\n" + about, texts.SCHEDULE_CHANGE
    keyboard = InlineKeyboardMarkup([[_button(label, shown.team.id, "change")]])
    await message.reply_html(text, reply_markup=keyboard)


# --- the wizard's presses ---------------------------------------------------------------------


def _dialog(session, chat_id: int, user_id: int) -> Dialog:
    dialog = session.exec(
        select(Dialog).where(Dialog.chat_id == chat_id, Dialog.telegram_user_id == user_id)
    ).first()
    if dialog is None:
        dialog = Dialog(chat_id=chat_id, telegram_user_id=user_id, state={})
        session.add(dialog)
    return dialog


def _apply_choice(draft: dict, step: str, value: str, today: date) -> bool:
    """Put a pressed choice into the draft; False for anything we didn't offer."""
    if step == "c" and value in {c.value for c in Cadence}:
        if (draft["cadence"] == Cadence.MONTHLY) != (value == Cadence.MONTHLY):
            draft["day"] = 1  # a weekday and a day of the month don't translate
        draft["cadence"] = value
    elif step == "d" and value.isdigit() and int(value) <= (28 if draft["cadence"] == Cadence.MONTHLY else 6):
        draft["day"] = int(value)
    elif step == "t" and len(value) == 4 and parse_clock(f"{value[:2]}:{value[2:]}") is not None:
        draft["time"] = f"{value[:2]}:{value[2:]}"
    elif step == "w" and value.isdigit() and int(value) in WINDOWS:
        draft["window"] = int(value)
    elif step == "q" and value in QUIET:
        hours = QUIET[value]
        draft["quiet"] = "none" if hours is None else f"{hours[0]}-{hours[1]}"
    elif step == "e" and value.isdigit() and int(value) < len(ELEMENTS):
        draft["element"] = ELEMENTS[int(value)]
    elif step == "a" and value in ("0", "1"):
        draft["anonymous"] = value == "1"
    elif step == "r" and value == "keep":
        pass
    elif step == "r" and value == "none":
        draft["review"] = None
    elif step == "r" and value.isdigit() and int(value) in REVIEW_WEEKS:
        draft["review"] = (today + timedelta(weeks=int(value))).isoformat()
    elif step == "m" and value.isdigit() and int(value) in REMIND_DAYS:
        draft["reminders"] = int(value)
    else:
        return False
    return True


TYPED = {"t": ("time", texts.WIZARD_TYPE_TIME, "09:30"), "w": ("window", texts.WIZARD_TYPE_WINDOW, "36"),
         "r": ("review", texts.WIZARD_TYPE_DATE, "14/3")}


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
        def begin(session):
            proposal = store.latest_review_proposal(session, team.id)
            return _draft_from(store.team_schedule(session, session.get(Team, team.id)), today, proposal)

        draft = await rt.read(begin)
        text, keyboard = _card(0, draft, team, today)
        await query.answer()
        card = await message.reply_html(text, reply_markup=keyboard)
        await _save_state(rt, update, chat.id, user_id, {"schedule": draft, "step": 0, "card": card.message_id})
        return
    state = await rt.read(lambda s: dict(_dialog(s, chat.id, user_id).state or {}))
    if state.get("card") != message.message_id or "schedule" not in state:
        await query.answer("This set-up isn't yours, or has ended. Tap /schedule to start one.", show_alert=True)
        return
    draft, index = state["schedule"], int(state["step"])
    step, _, value = press.arg.partition(".")
    if step == "s" and value == "cancel":
        await _save_state(rt, update, chat.id, user_id, {})
        await query.answer(texts.WIZARD_CANCELLED)
        await _edit(query, texts.WIZARD_CANCELLED, None)
        return
    if step == "s" and value == "save":
        await _save(update, context, team, draft, now, today)
        return
    if index >= len(STEPS) or step != LETTERS[STEPS[index]]:
        await query.answer("That step is done — use the newest buttons.", show_alert=True)
        return
    if value == "type" and step in TYPED:
        key, ask, placeholder = TYPED[step]
        await query.answer()
        prompt = await message.reply_html(ask, reply_markup=ForceReply(selective=True,
                                                                         input_field_placeholder=placeholder))
        await _save_state(rt, update, chat.id, user_id, {**state, "prompt": prompt.message_id, "typing": key})
        return
    if not _apply_choice(draft, step, value, today):
        log.warning("schedule button refused: unknown choice")
        await query.answer(texts.EXPIRED, show_alert=True)
        return
    await query.answer()
    await _advance(update, context, team, draft, index + 1, chat.id, user_id, message.message_id, today)


async def _advance(update, context, team, draft, index, chat_id, user_id, card_id, today) -> None:
    rt = runtime_of(context)
    await _save_state(rt, update, chat_id, user_id, {"schedule": draft, "step": index, "card": card_id})
    text, keyboard = _card(index, draft, team, today)
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=card_id, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _save(update, context, team: Team, draft: dict, now, today) -> None:
    query = update.callback_query
    rt = runtime_of(context)
    try:
        rule = rule_of_draft(draft)
        problems = validate(rule, today)
    except ValueError:
        problems = ["Something in the draft isn't a choice I offered. Tap /schedule to start again."]
    if problems:
        await query.answer("Not saved", show_alert=False)
        await query.message.reply_html(texts.wizard_refused(problems))
        return

    def write(session):
        store.save_schedule(session, team.id, rule, element_id=draft["element"], anonymous=bool(draft["anonymous"]),
                            now=now)
        _dialog(session, query.message.chat.id, query.from_user.id).state = {}

    try:
        await rt.apply(update, write)
    except AlreadyDone:
        return
    await query.answer("Saved")
    summary = schedule_summary(rule, ZoneInfo(team.timezone), now)
    await _edit(query, f"{texts.WIZARD_SAVED}\n\n{summary}", None)
    await scheduling.reschedule(context.application)


async def _edit(query, text: str, keyboard) -> None:
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _save_state(rt, update, chat_id: int, user_id: int, state: dict) -> None:
    def store_state(session):
        _dialog(session, chat_id, user_id).state = state

    try:
        await rt.apply(update, store_state)
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
    state = await rt.read(lambda s: dict(_dialog(s, chat_id, user.id).state or {}))
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
        if not text.isdigit():
            await message.reply_html(texts.bad_typed_hours(text))
            return True
        # Out-of-range windows are kept in the draft and refused, with the reason, at Save.
        draft["window"] = int(text)
    elif typing == "review":
        parsed_date = read_due_date(text, today)
        if parsed_date is None:
            await message.reply_html(texts.bad_typed_date(text))
            return True
        draft["review"] = parsed_date.isoformat()
    else:
        return False
    await _advance(update, context, team, draft, int(state["step"]) + 1, chat_id, user.id, state["card"], today)
    return True


# --- /support --------------------------------------------------------------------------------

SUPPORT_PURPOSE = "support"


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
        reply_markup=ForceReply(selective=True, input_field_placeholder="Name — how to reach them"),
    )

    def remember(session):
        session.add(Prompt(chat_id=chat_id, message_id=prompt.message_id, team_id=team.id, purpose=SUPPORT_PURPOSE))

    try:
        await rt.apply(update, remember)
    except AlreadyDone:
        pass


async def on_support_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    message = update.effective_message
    if not in_group(update) or message.reply_to_message is None:
        return False
    rt = runtime_of(context)
    chat_id = update.effective_chat.id
    replied_to = message.reply_to_message.message_id
    team_id = await rt.read(lambda s: s.exec(
        select(Prompt.team_id).where(Prompt.chat_id == chat_id, Prompt.message_id == replied_to,
                                     Prompt.purpose == SUPPORT_PURPOSE)
    ).first())
    if team_id is None:
        return False
    if not await is_admin(update, context):
        await message.reply_html(texts.NOT_ADMIN_SUPPORT)
        return True
    contacts = read_contacts(message.text or "")
    if not contacts:
        await message.reply_html(texts.SUPPORT_EMPTY)
        return True
    stored = "\n".join(f"{c.name} — {c.how}" for c in contacts)

    def write(session):
        session.get(Team, team_id).support_contacts = stored

    try:
        await rt.apply(update, write)
    except AlreadyDone:
        return True
    await message.reply_html(texts.support_saved(len(contacts)))
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("schedule", show_schedule))
    app.add_handler(CommandHandler("support", support_command))
    app.add_handler(CallbackQueryHandler(on_schedule_press, pattern=callbacks.pattern(KIND)))
    replies.add_consumer(app, on_schedule_reply)
    replies.add_consumer(app, on_support_reply)



