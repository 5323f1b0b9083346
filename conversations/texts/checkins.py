"""What the check-in feature says beyond conversations.checkin and conversations.schedule: answers,
the /schedule wizard, reminders, /away and /support."""

from __future__ import annotations

from datetime import date
from html import escape

from conversations.actions import Action, action_line
from conversations.checkin import Contact
from conversations.when import DAY_NAMES, day, day_with_year

NOT_MEMBER = "You're not counted in this team yet. Tap /join in the group first."
ELSEWHERE = "That button belongs to another chat."
EXPIRED = "That button doesn't work any more."
NO_SCHEDULE = "No check-ins are scheduled yet."
SCHEDULE_CHANGE = "Change"
SCHEDULE_SET_UP = "Set up check-ins"
NOT_ADMIN_SCHEDULE = "Only a group admin can change the schedule. Ask one of your admins."
NOT_ADMIN_SUPPORT = "Only a group admin can set the support contacts. Ask one of your admins."

OPEN_PRIVATE_FIRST = (
    "I can only write to you privately once you've opened our private chat. "
    "Tap /join in the group, then “Open my private chat” — nobody else will see that."
)
SUPPORT_SENT = "I've sent you something privately."
ANSWER_PRIVATELY = "🔒 Answer privately"
CARD_SENT = "I've sent you this check-in in our private chat."
ASKED_PRIVATELY = "I've asked you in our private chat, so your answer stays anonymous."
REPLY_THANKS = "Thank you — noted."
REPLY_THANKS_ANONYMOUS = "Thank you — noted, without your name."
CHECKIN_CLOSED = "This check-in has closed. Thank you — there'll be another soon."
NOT_A_PLACE = "That isn't a place on the scale."
ANONYMOUS_ANSWER_KEPT = (
    "You've already answered. Anonymous answers can't be changed, because I don't keep who gave them."
)
WRITTEN_ONLY = "I only take written answers here — a few words is plenty."
# What the reply box shows before anything is typed.
ANSWER_PLACEHOLDER = "A few words"
CHANGE_PLACEHOLDER = "What / who / by when"


def bead_saved(level_label: str, moved: bool) -> str:
    return f"{'Moved' if moved else 'Saved'}: {level_label}. Thank you!"


def bead_saved_private(level_label: str, position: int, moved: bool) -> str:
    return f"{'Moved' if moved else 'Saved'}: {level_label}, place {position}. Thank you!"


def action_noted(owner_found: bool) -> str:
    if owner_found:
        return "Thank you — that's now an action for the check-in summary."
    return (
        "Thank you — that's now an action. I couldn't match the name to anyone who has joined, "
        "so no one is named yet: add them when you talk it through."
    )


# ---------------------------------------------------------------- /schedule and its wizard


def no_schedule(review_on: date | None) -> str:
    return NO_SCHEDULE + (f"\nNext full review: {day(review_on)}." if review_on else "")


def schedule_about(element: str, anonymous: bool) -> str:
    return f"On <b>{element}</b>, {'anonymous' if anonymous else 'named'} answers."


WIZARD_ASK_ELEMENT = "Which element should the check-in look at?"
WIZARD_ASK_PRIVACY = "Named or anonymous answers?"
WIZARD_ALL_SET = "All set — save this?"
WIZARD_SAVE = "Save ✓"
WIZARD_CANCEL = "Cancel"
WIZARD_TYPE_HOURS = "Type hours"
WIZARD_NO_QUIET_HOURS = "No quiet hours"
WIZARD_NAMED = "Named"
WIZARD_ANONYMOUS = "Anonymous"
WIZARD_TYPE_A_DATE = "Type a date"
WIZARD_NO_REVIEW_DATE = "No review date"
WIZARD_NOT_YOURS = "This set-up isn't yours, or has ended. Tap /schedule to start one."
WIZARD_STEP_DONE = "That step is done — use the newest buttons."
WIZARD_DRAFT_UNREADABLE = "Something in the draft isn't a choice I offered. Tap /schedule to start again."
WIZARD_NOT_SAVED_ALERT = "Not saved"
WIZARD_SAVED_ALERT = "Saved"


def wizard_question(question: str) -> str:
    return question + " (tap ✓ to keep)"


def chosen(label: str, is_chosen: bool) -> str:
    """A wizard button with the draft's current choice ticked."""
    return f"{label} ✓" if is_chosen else label


def cadence_label(cadence: str) -> str:
    return cadence.capitalize()


def wizard_type_a_time(typed: str | None) -> str:
    """The button for a time not on the buttons; shows the one typed earlier, if any."""
    return f"Type a time{' (' + typed + ')' if typed is not None else ''}"


def hours_label(hours: int) -> str:
    return f"{hours} h"


def quiet_label(start: str, end: str) -> str:
    return f"{start}–{end}"


def keep_review(review_on: date) -> str:
    return f"Keep {day(review_on)}"


def review_in_weeks(weeks: int) -> str:
    return f"In {weeks} weeks"


def wizard_draft_lines(
    *, cadence: str, monthly: bool, day_of: int, time: str, window_hours: int, quiet: str | None, element: str,
    anonymous: bool, review_on: date | None, remind_days: int,
) -> list[str]:
    """The draft so far, under each step's question. `quiet` is "21:00-08:00" or None."""
    when = f"day {day_of} of the month" if monthly else DAY_NAMES[int(day_of)]
    quiet_hours = quiet.replace("-", "–") if quiet else "none"
    review = day(review_on) if review_on else "none"
    return [
        f"• {cadence_label(cadence)}, {when}, at {time}",
        f"• Open for {window_hours} hours; quiet hours {quiet_hours}",
        f"• On {element}, {'anonymous' if anonymous else 'named'}",
        f"• Next review: {review}; action reminders {remind_days} day(s) before",
    ]


def wizard_card(step_number: int, steps: int, question: str, draft_lines: list[str]) -> str:
    so_far = "\n".join(draft_lines)
    head = f"<b>Check-in schedule · {step_number} of {steps}</b>\n{question}"
    return f"{head}\n\n<i>So far:</i>\n{so_far}" if so_far else head


WIZARD_TYPE_TIME = "Reply to this message with a time on the 24-hour clock, like <code>09:30</code>."
WIZARD_TYPE_DATE = "Reply to this message with a date, like <code>14/3</code> or <code>in 6 weeks</code>."
WIZARD_TYPE_WINDOW = "Reply to this message with a number of hours, like <code>36</code>."
WIZARD_SAVED = "✅ Saved. Here's the new rhythm:"
WIZARD_CANCELLED = "Left as it was."


def wizard_saved(summary: str) -> str:
    return f"{WIZARD_SAVED}\n\n{summary}"


def wizard_refused(problems: list[str]) -> str:
    reasons = "\n".join(f"• {p}" for p in problems)
    return f"I can't use that, so the schedule is unchanged:\n{reasons}"


def bad_typed_time(text: str) -> str:
    return f"“{escape(text)}” isn't a time of day. Use the 24-hour clock, like 14:00 or 09:30."


def bad_typed_date(text: str) -> str:
    return f"I couldn't read “{escape(text)}” as a date. Try 14/3, 14 March or in 6 weeks."


def bad_typed_hours(text: str) -> str:
    return f"“{escape(text)}” isn't a number of hours. Try 24 or 48."


# ---------------------------------------------------------------- reminders


def review_reminder(review_on: date, on_the_day: bool) -> str:
    if on_the_day:
        return (
            "📅 <b>Today is the team's review date.</b>\n"
            "Time to look again at where we are: an admin can tap /assess to start a round."
        )
    return (
        f"📅 <b>A week to go:</b> the team's next full review is on {day(review_on)}.\n"
        "Worth finding an hour when most of you are on shift."
    )


def overdue_block(actions: list[Action]) -> str:
    """Under the check-in post: actions past their date, so they're talked about while people are here."""
    lines = "\n".join(f"• {action_line(a)}" for a in actions[:8])
    more = f"\n…and {len(actions) - 8} more" if len(actions) > 8 else ""
    return f"<b>Past their date — still on?</b>\n{lines}{more}\nTap /actions to settle them: done, a new date, or dropped."


# ---------------------------------------------------------------- /away


AWAY_USAGE = (
    "Tell me when you're back and I'll send no reminders until then:\n"
    "<code>/away 14/3</code> · <code>/away 2 weeks</code> · <code>/away off</code>"
)
AWAY_OFF = "Welcome back — reminders are on again."
AWAY_NOT_MEMBER = "You haven't joined a team yet. Tap /join in your team's group first."


def away_until(until: date) -> str:
    return f"Noted: no reminders until {day_with_year(until)} (you'll hear from me again the day after). Take care."


def away_status(until: date | None) -> str:
    if until is None:
        return "Reminders are on.\n\n" + AWAY_USAGE
    return f"You're away until {day_with_year(until)}.\n\n" + AWAY_USAGE


def away_bad_date(text: str) -> str:
    return f"I couldn't read “{escape(text)}” as a date.\n\n" + AWAY_USAGE


def away_past(until: date) -> str:
    return f"{day_with_year(until)} has already passed. Pick today or a later date.\n\n" + AWAY_USAGE


# ---------------------------------------------------------------- /support


def support_contacts_card(contacts: list[Contact]) -> str:
    if contacts:
        listed = "\n".join(f"• <b>{escape(c.name)}</b> — {escape(c.how)}" for c in contacts)
    else:
        listed = "None yet — people who ask are pointed to their line manager or supervisor."
    return (
        "<b>Support contacts</b>\nSent privately to anyone who taps “I'd like some support” in a check-in. "
        "I never tell the group, and I keep only a count of how often it's used.\n\n"
        f"{listed}\n\n"
        "↩️ <b>Reply to this message</b> to replace them: one per line, like\n"
        "<code>Sam (supervisor) — 07700 900123</code>"
    )


def support_saved(count: int) -> str:
    return f"✅ Saved {count} support contact{'s' if count != 1 else ''}."


SUPPORT_EMPTY = "That looks empty. Send one contact per line, like <code>Sam — 07700 900123</code>."
SUPPORT_PLACEHOLDER = "Name — how to reach them"
# A contact typed without a way to reach them.
CONTACT_HOW_UNKNOWN = "ask them directly"
