"""The /schedule wizard's draft and its cards: one step per card, a default at every step.

Two ways through. The quick way is three cards for a weekly check-in with every other choice at its
default: which day ("D"), what time ("T"), then what it will be and what quiet hours will do to it,
with Save ("s.save"): /schedule and three taps. "More options" ("o") opens the full wizard on the same
draft, nine steps, one per card.

The draft is a plain dict (kept in the admin's Dialog row by piebot.storage.schedules), so it
survives a restart. Button kind "sc" (ref = team id); each step's buttons carry the step's
letter, so a press on an older step's card is recognised as stale.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from conversations.schedule import (
    Cadence,
    QuietHours,
    ScheduleRule,
    default_rule,
    parse_clock,
    quiet_hours_notes,
    wizard_steps,
)
from conversations.texts import checkins as texts
from conversations.when import DAY_NAMES, DAYS
from piebot.storage.models import Team
from piebot.storage.schedules import TeamSchedule
from piebot.telegram import callbacks
from piebot.telegram.checkins.posts import framework_of

KIND = "sc"
STEPS = ("cadence", "day", "time", "window", "quiet", "element", "privacy", "review", "reminders")
# The letter each step's buttons carry, so a press on an older step's card is recognised as stale.
LETTERS = {"cadence": "c", "day": "d", "time": "t", "window": "w", "quiet": "q", "element": "e", "privacy": "a",
           "review": "r", "reminders": "m"}
TIMES = ("08:00", "10:00", "12:00", "14:00", "16:00", "18:00")
# Answer windows on the buttons, in minutes: from a check-in done in a meeting to one left open for days.
WINDOWS = (15, 30, 60, 240, 720, 1440, 2880, 4320)
QUIET = {"2108": ("21:00", "08:00"), "2207": ("22:00", "07:00"), "2009": ("20:00", "09:00"), "none": None}
ELEMENTS = ("responsiveness", "rules-and-procedures", "roles-and-relationships")
REMIND_DAYS = (0, 1, 2, 3, 7)
REVIEW_WEEKS = (4, 8, 12)


def button(label: str, team_id: int, arg: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(KIND, team_id, arg))


# --- the draft -----------------------------------------------------------------------------


def draft_from(shown: TeamSchedule, today: date, proposal: date | None) -> dict:
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
        "cadence": str(rule.cadence), "day": rule.day, "time": rule.time, "window": rule.minutes,
        "quiet": quiet, "element": element, "anonymous": anonymous,
        "review": review.isoformat() if review else None, "reminders": rule.remind_days_before,
    }


def rule_of_draft(draft: dict) -> ScheduleRule:
    quiet = None if draft["quiet"] == "none" else QuietHours(*draft["quiet"].split("-", 1))
    return ScheduleRule(
        cadence=Cadence(draft["cadence"]), day=int(draft["day"]), time=draft["time"],
        window_hours=int(draft["window"]) // 60, window_minutes=int(draft["window"]), quiet=quiet,
        review_on=date.fromisoformat(draft["review"]) if draft["review"] else None,
        remind_days_before=int(draft["reminders"]),
    )


def element_name(framework, element_id: str) -> str:
    try:
        return framework.element(element_id).name
    except (KeyError, ValueError):
        return element_id


def _draft_lines(draft: dict, framework) -> list[str]:
    cadence = Cadence(draft["cadence"])
    return texts.wizard_draft_lines(
        cadence=cadence.value, monthly=cadence is Cadence.MONTHLY, day_of=draft["day"], time=draft["time"],
        window_minutes=int(draft["window"]), quiet=None if draft["quiet"] == "none" else draft["quiet"],
        element=escape(element_name(framework, draft["element"])), anonymous=draft["anonymous"],
        review_on=date.fromisoformat(draft["review"]) if draft["review"] else None, remind_days=draft["reminders"],
    )


def _notes(draft: dict) -> list[str]:
    try:
        return quiet_hours_notes(rule_of_draft(draft))
    except (ValueError, KeyError):
        return []


def apply_choice(draft: dict, step: str, value: str, today: date) -> bool:
    """Put a pressed choice into the draft; False for anything we didn't offer."""
    if step == "D" and value.isdigit() and int(value) <= 6:
        draft["cadence"], draft["day"] = str(Cadence.WEEKLY), int(value)
    elif step == "T" and len(value) == 4 and parse_clock(f"{value[:2]}:{value[2:]}") is not None:
        draft["time"] = f"{value[:2]}:{value[2:]}"
    elif step == "c" and value in {c.value for c in Cadence}:
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


# --- the cards -----------------------------------------------------------------------------


def _step_keyboard(step: str, draft: dict, team_id: int, framework, today: date) -> list[list[InlineKeyboardButton]]:
    b = lambda label, arg, chosen=False: button(texts.chosen(label, chosen), team_id, arg)  # noqa: E731
    if step == "cadence":
        return [[b(texts.cadence_label(c.value), f"c.{c.value}", draft["cadence"] == c.value)] for c in Cadence]
    if step == "day":
        if draft["cadence"] == Cadence.MONTHLY:
            days = [b(str(n), f"d.{n}", int(draft["day"]) == n) for n in range(1, 29)]
            return [days[i:i + 7] for i in range(0, 28, 7)]
        days = [b(DAYS[n], f"d.{n}", int(draft["day"]) == n) for n in range(7)]
        return [days[:4], days[4:]]
    if step == "time":
        times = [b(t, f"t.{t.replace(':', '')}", draft["time"] == t) for t in TIMES]
        other = draft["time"] not in TIMES
        return [times[:3], times[3:], [b(texts.wizard_type_a_time(draft["time"] if other else None), "t.type",
                                         other)]]
    if step == "window":
        lengths = [b(texts.duration_label(m), f"w.{m}", int(draft["window"]) == m) for m in WINDOWS]
        return [lengths[:4], lengths[4:], [b(texts.WIZARD_TYPE_LENGTH, "w.type", int(draft["window"]) not in WINDOWS)]]
    if step == "quiet":
        rows = []
        for arg, hours in QUIET.items():
            label = texts.WIZARD_NO_QUIET_HOURS if hours is None else texts.quiet_label(*hours)
            value = "none" if hours is None else f"{hours[0]}-{hours[1]}"
            rows.append([b(label, f"q.{arg}", draft["quiet"] == value)])
        return rows
    if step == "element":
        present = [e for e in ELEMENTS if element_name(framework, e) != e]
        return [[b(element_name(framework, e), f"e.{i}", draft["element"] == e)] for i, e in enumerate(ELEMENTS)
                if e in present]
    if step == "privacy":
        return [[b(texts.WIZARD_NAMED, "a.0", not draft["anonymous"]),
                 b(texts.WIZARD_ANONYMOUS, "a.1", bool(draft["anonymous"]))]]
    if step == "review":
        rows = []
        if draft["review"]:
            rows.append([b(texts.keep_review(date.fromisoformat(draft["review"])), "r.keep", True)])
        rows.append([b(texts.review_in_weeks(w), f"r.{w}") for w in REVIEW_WEEKS])
        rows.append([b(texts.WIZARD_TYPE_A_DATE, "r.type"),
                     b(texts.WIZARD_NO_REVIEW_DATE, "r.none", draft["review"] is None)])
        return rows
    if step == "reminders":
        return [[b(str(n), f"m.{n}", int(draft["reminders"]) == n) for n in REMIND_DAYS]]
    raise ValueError(step)


def _questions(today: date, cadence: Cadence) -> dict[str, str]:
    asked = {s.key: s.question for s in wizard_steps(today, cadence)}
    asked["element"] = texts.WIZARD_ASK_ELEMENT
    asked["privacy"] = texts.WIZARD_ASK_PRIVACY
    return asked


# The quick way's cards, in order.
QUICK = ("day", "time", "ready")


def quick_card(stage: str, draft: dict, team: Team, intro: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """One card of the quick way to a weekly check-in: its day, its time, then Save. `intro` heads the first."""
    framework = framework_of(team.framework_variant, team.customisation)
    b = lambda label, arg, chosen=False: button(texts.chosen(label, chosen), team.id, arg)  # noqa: E731
    weekly = draft["cadence"] == Cadence.WEEKLY
    more = [b(texts.WIZARD_MORE_OPTIONS, "o"), b(texts.WIZARD_CANCEL, "s.cancel")]
    if stage == "day":
        text = intro + texts.quick_day(escape(element_name(framework, draft["element"])), bool(draft["anonymous"]),
                                       int(draft["window"]))
        days = [b(DAYS[n], f"D.{n}", weekly and int(draft["day"]) == n) for n in range(7)]
        return text, InlineKeyboardMarkup([days[:4], days[4:], more])
    if stage == "time":
        times = [b(t, f"T.{t.replace(':', '')}", draft["time"] == t) for t in TIMES]
        typed = draft["time"] if draft["time"] not in TIMES else None
        rows = [times[:3], times[3:], [b(texts.wizard_type_a_time(typed), "T.type", typed is not None)], more]
        return texts.quick_time(DAY_NAMES[int(draft["day"])]), InlineKeyboardMarkup(rows)
    text = texts.quick_ready(_draft_lines(draft, framework), _notes(draft))
    return text, InlineKeyboardMarkup([[b(texts.WIZARD_SAVE, "s.save")], more])


def card(step_index: int, draft: dict, team: Team, today: date) -> tuple[str, InlineKeyboardMarkup]:
    """The card for one step of the draft (or, past the last step, the card that saves it)."""
    framework = framework_of(team.framework_variant, team.customisation)
    if step_index >= len(STEPS):
        text = texts.wizard_card(len(STEPS), len(STEPS), texts.WIZARD_ALL_SET, _draft_lines(draft, framework),
                                 _notes(draft))
        keyboard = [[button(texts.WIZARD_SAVE, team.id, "s.save"), button(texts.WIZARD_CANCEL, team.id, "s.cancel")]]
        return text, InlineKeyboardMarkup(keyboard)
    step = STEPS[step_index]
    question = _questions(today, Cadence(draft["cadence"]))[step]
    text = texts.wizard_card(step_index + 1, len(STEPS), texts.wizard_question(question),
                             _draft_lines(draft, framework) if step_index else [])
    keyboard = _step_keyboard(step, draft, team.id, framework, today)
    keyboard.append([button(texts.WIZARD_CANCEL, team.id, "s.cancel")])
    return text, InlineKeyboardMarkup(keyboard)
