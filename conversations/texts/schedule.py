"""What conversations.schedule says: the /schedule reply, every reason a rule can't be used, and the
questions of the set-up wizard (its buttons and cards are in texts/checkins.py). Typed values come escaped."""

from __future__ import annotations


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------- why a rule can't be used

# Part of the refusal of a cadence, by which the other checks know the cadence could not be read.
NOT_A_CHOICE = "isn't a choice"
PICK_A_WEEKDAY = "Pick a day of the week, Monday to Sunday."
BAD_QUIET_HOURS = "Quiet hours need two times on the 24-hour clock, like 21:00 to 08:00."
NEGATIVE_REMIND_DAYS = "Action reminders need to be 0 or more days before the due date."


def bad_cadence(typed: str) -> str:
    return f"“{typed}” {NOT_A_CHOICE}. Pick weekly, fortnightly or monthly."


def bad_time(typed: str) -> str:
    return f"“{typed}” isn't a time of day. Use the 24-hour clock, like 14:00 or 09:30."


def month_day_missing(day: int, last_day: int) -> str:
    return f"Not every month has a {ordinal(day)}. Pick a day from 1 to {last_day}, so it happens every month."


def review_passed(review_on: str) -> str:
    return f"The review date, {review_on}, has passed. Pick today or later."


# ---------------------------------------------------------------- the /schedule reply

CHECKINS_HEAD = "<b>Check-ins</b>"
NO_REVIEW_DATE = "No review date yet — set one at the end of a round."


def monthly(day: int, time: str) -> str:
    return f"On the {ordinal(day)} of every month at {time}"


def weekly(every_week: bool, day_name: str, time: str) -> str:
    every = "Every" if every_week else "Every other"
    return f"{every} {day_name} at {time}"


def when_line(when: str, zone: str, open_for: str) -> str:
    return f"{when} ({zone}), open for {open_for}."


def next_line(moment: str) -> str:
    return f"Next: {moment}."


def quiet_line(start: str, end: str) -> str:
    return f"Quiet hours {start}–{end}: nobody is messaged then."


def action_reminders_line(days_before: int) -> str:
    days = (
        "on the due date"
        if days_before == 0
        else (
            "1 day before the due date"
            if days_before == 1
            else f"{days_before} days before the due date"
        )
    )
    return f"Action reminders: {days}."


def review_line(review_on: str) -> str:
    return f"Next full review: {review_on} — reminders a week before and on the day."


# ---------------------------------------------------------------- the set-up wizard's questions

ASK_CADENCE = "How often shall we check in?"
ASK_MONTH_DAY = "Which day of the month? (1 to 28)"
ASK_WEEKDAY = "Which day of the week?"
ASK_TIME = "What time? (24-hour clock, like 14:00)"
ASK_WINDOW = "How long should answers stay open?"
ASK_QUIET = "Quiet hours, when nobody is messaged?"
ASK_REVIEW = "When is the next full review?"
ASK_REMIND_DAYS = "How many days before an action is due shall I remind its owner?"
