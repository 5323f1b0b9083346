"""What the check-in feature says besides its post and questions (texts/checkin_post.py) and the schedule's
reply, problems and questions (texts/schedule.py): answers, the /schedule wizard, reminders, /away and /support."""

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
CLOSE_NOW = "⏹ Close now"
CLOSED_NOW = "Closed — the summary is on its way."
ONLY_LEADS_CLOSE = "Only the team's facilitator or a group admin can close a check-in early."
NOT_A_PLACE = "That isn't a place on the scale."
# Only for anonymous answers kept before answers were sealed: nobody, the bot included, can find those.
ANONYMOUS_ANSWER_KEPT = (
    "You've already answered. This anonymous answer can't be traced back to you, so it can't be changed."
)
WRITTEN_ONLY = "I only take written answers here — a few words is plenty."
# What the reply box shows before anything is typed.
ANSWER_PLACEHOLDER = "A few words"
CHANGE_PLACEHOLDER = "What / who / by when"


def bead_saved(level_label: str, moved: bool) -> str:
    return f"{'Moved' if moved else 'Saved'}: {level_label}. Thank you!"


def bead_saved_private(place: str, moved: bool) -> str:
    """`place` in words, like 'Getting there — near the top' (a press answer is plain text)."""
    return f"{'Moved' if moved else 'Saved'}: {place}. Thank you!"


def noted_privately(question: str) -> str:
    """The receipt of a written answer in the group, sent privately where the group allows no reactions."""
    return f"✍ Thank you — your answer in the group is noted for the check-in:\n<i>{escape(question)}</i>"


def action_noted(owner_found: bool) -> str:
    if owner_found:
        return "Thank you — that's now an action for the check-in summary."
    return (
        "Thank you — that's now an action. I couldn't match the name to anyone who has joined, "
        "so no one is named yet: add them when you talk it through."
    )


# ---------------------------------------------------------------- the summary when a check-in closes


def summary_head(element: str, answered: int, members: int) -> str:
    """`element` is escaped by the caller."""
    return f"<b>Check-in closed: {element}</b>\n{answered} of {members} answered."


TOO_FEW_TO_SHOW = "Too few answers to show the views without giving people away."
VIEWS_DIFFER = "💬 Views differ a lot — worth talking about why."
NEW_ACTIONS = "<b>New actions</b>"
PAST_THEIR_DATE = "<b>Past their date — still on?</b>"


def said(count: int, what: str) -> str:
    """'3 said <b>Getting there</b>': `what` is a level or a place, already in words and escaped."""
    return f"• {count} said <b>{what}</b>"


def middle_view(what: str) -> str:
    return f"Middle view: <b>{what}</b>"


def since_last(move: str) -> str:
    return f"Since the last check-in: {move}"



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
WIZARD_TYPE_LENGTH = "Type a length"
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


def quiet_label(start: str, end: str) -> str:
    return f"{start}–{end}"


def keep_review(review_on: date) -> str:
    return f"Keep {day(review_on)}"


def review_in_weeks(weeks: int) -> str:
    return f"In {weeks} weeks"


def wizard_draft_lines(
    *, cadence: str, monthly: bool, day_of: int, time: str, window_minutes: int, quiet: str | None, element: str,
    anonymous: bool, review_on: date | None, remind_days: int,
) -> list[str]:
    """The draft so far, under each step's question. `quiet` is "21:00-08:00" or None."""
    when = f"day {day_of} of the month" if monthly else DAY_NAMES[int(day_of)]
    quiet_hours = quiet.replace("-", "–") if quiet else "none"
    review = day(review_on) if review_on else "none"
    return [
        f"• {cadence_label(cadence)}, {when}, at {time}",
        f"• Open for {duration_words(window_minutes)}; quiet hours {quiet_hours}",
        f"• On {element}, {'anonymous' if anonymous else 'named'}",
        f"• Next review: {review}; action reminders {remind_days} day(s) before",
    ]


def wizard_card(step_number: int, steps: int, question: str, draft_lines: list[str], notes: list[str] = ()) -> str:
    so_far = "\n".join(draft_lines)
    head = f"<b>Check-in schedule · {step_number} of {steps}</b>\n{question}"
    text = f"{head}\n\n<i>So far:</i>\n{so_far}" if so_far else head
    return text + ("\n\n" + "\n".join(notes) if notes else "")


# The quick way: a weekly check-in in three cards (day, time, save), the rest under "More options".
WIZARD_MORE_OPTIONS = "More options…"


def quick_day(element: str, anonymous: bool, window_minutes: int) -> str:
    """`element` is escaped by the caller."""
    who = "anonymous" if anonymous else "named"
    return (f"<b>Weekly check-in</b> on {element}, {who} answers, open for {duration_words(window_minutes)}.\n"
            "Which day? (Everything else is under “More options”.)")


def quick_time(day_name: str) -> str:
    return f"<b>Weekly check-in</b> every {day_name}.\nWhat time?"


def quick_ready(draft_lines: list[str], notes: list[str]) -> str:
    lines = ["<b>Weekly check-in — ready to save?</b>", *draft_lines]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


WIZARD_TYPE_TIME = "Reply to this message with a time on the 24-hour clock, like <code>09:30</code>."
WIZARD_TYPE_DATE = "Reply to this message with a date, like <code>14/3</code> or <code>in 6 weeks</code>."
WIZARD_TYPE_WINDOW = (
    "Reply to this message with how long answers stay open, like <code>36</code> (hours) or <code>20 min</code>."
)
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


def bad_typed_length(text: str) -> str:
    return f"“{escape(text)}” isn't a length of time. Try 24 (hours), 48 or 20 min."


# ---------------------------------------------------------------- answer windows and quiet hours

WARNING = "⚠️"


def duration_words(minutes: int) -> str:
    """'15 minutes', '1 hour', '24 hours', '1 hour 30 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append("1 hour" if hours == 1 else f"{hours} hours")
    if rest or not hours:
        parts.append("1 minute" if rest == 1 else f"{rest} minutes")
    return " ".join(parts)


def duration_label(minutes: int) -> str:
    """A window on a button: '15 min', '4 h'."""
    return f"{minutes} min" if minutes < 60 or minutes % 60 else f"{minutes // 60} h"


def window_too_short(shortest: int) -> str:
    return f"The answer window needs to be at least {shortest} minutes, so people have time to answer."


def window_too_long(minutes: int, longest_hours: int) -> str:
    length = f"{minutes // 60}-hour" if minutes % 60 == 0 else duration_words(minutes)
    return (f"A {length} window is longer than the time between check-ins, so one would still be open when "
            f"the next begins. Pick {longest_hours} hours or fewer.")


def clock_on_day(clock: str, days_later: int) -> str:
    """'08:00', '08:00 the next day', '08:00 2 days later': a wall-clock time after the check-in's start."""
    if days_later <= 0:
        return clock
    return f"{clock} the next day" if days_later == 1 else f"{clock} {days_later} days later"


def quiet_swallows(time: str, start: str, end: str, closes: str) -> str:
    return (f"{time} is inside your quiet hours ({start}–{end}), when nobody is messaged, and answers would close "
            f"at {closes}, before they end: the check-in would never be posted. Pick a time outside them, or a "
            "longer window.")


def quiet_posts_late(time: str, start: str, end: str, posted_at: str, closes: str) -> str:
    return (f"{WARNING} {time} is inside your quiet hours ({start}–{end}), so the check-in will be posted at "
            f"{posted_at}, when they end, and close at {closes} as planned.")


def quiet_summary_late(closes: str, start: str, end: str, posted_at: str) -> str:
    return (f"{WARNING} Answers close at {closes}, inside your quiet hours ({start}–{end}), so the summary will be "
            f"posted at {posted_at}, when they end.")


def quiet_no_reminders(start: str, end: str) -> str:
    return f"🌙 Quiet hours ({start}–{end}) fall inside the window: no reminders are sent then."


# ---------------------------------------------------------------- reminders


def review_reminder(review_on: date, on_the_day: bool) -> str:
    if on_the_day:
        return (
            "📅 <b>Today is the team's review date.</b>\n"
            "Time to look again at where we are and what we did. The facilitator can start the review "
            "round with the button: it opens on what we looked at last time and the actions agreed then."
        )
    return (
        f"📅 <b>A week to go:</b> the team's next full review is on {day(review_on)}.\n"
        "Worth finding an hour when most of you are on shift. When you're together, the facilitator "
        "taps the button to start the review round."
    )


def overdue_block(actions: list[Action]) -> str:
    """Under the check-in post: actions past their date, so they're talked about while people are here."""
    lines = "\n".join(f"• {action_line(a)}" for a in actions[:8])
    more = f"\n…and {len(actions) - 8} more" if len(actions) > 8 else ""
    return f"{PAST_THEIR_DATE}\n{lines}{more}\nTap /actions to settle them: done, a new date, or dropped."


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
        "<b>Support contacts</b>\nSent privately, first, to anyone who taps “I'd like some support” in a "
        "check-in, before a listening line and the emergency numbers for your time zone's country. "
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
