"""Actions: what we will do, who, by when, and how we will know it worked."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta

from conversations.when import MONTHS, short_date


@dataclass(frozen=True)
class Action:
    what: str
    owner: str = ""
    due: date | None = None
    check: str = ""  # how we will know it worked
    element_id: str | None = None
    done: bool = False

    def overdue(self, today: date) -> bool:
        return not self.done and self.due is not None and self.due < today


def action_line(action: Action, with_owner: bool = True) -> str:
    """'Book trauma training — Sam, by 14 Apr', escaped, with gaps said plainly rather than hidden."""
    who = html.escape(action.owner) if action.owner.strip() else "no one named yet"
    when = f"by {short_date(action.due)}" if action.due else "no date yet"
    line = f"{html.escape(action.what)} — {who + ', ' if with_owner else ''}{when}"
    if action.check.strip():
        line += f"\n   <i>We'll know it worked when: {html.escape(action.check)}</i>"
    return line


_MONTH_NAMES = {name.lower(): i for i, name in enumerate(MONTHS, start=1)}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$")
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3,9})\.?(?:\s+(\d{4}))?$")
_IN = re.compile(r"^in\s+(\d{1,3}|a|an|one|two|three|four|six)\s+(day|week|month)s?$")
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6}


def read_due_date(text: str, today: date) -> date | None:
    """A due date as people type it: 14/3, 14 March, 2026-03-14, in 2 weeks. Day before month (UK).

    A date without a year that has already passed this year means next year: nobody sets an action
    due in the past on purpose.
    """
    text = " ".join(text.strip().lower().rstrip(".").split())
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _NUMERIC.match(text):
            year = int(match[3]) if match[3] else None
            if year is not None and year < 100:
                year += 2000
            return _with_year(int(match[1]), int(match[2]), year, today)
        if match := _WORDS.match(text):
            month = _MONTH_NAMES.get(match[2][:3])
            if month is None:
                return None
            return _with_year(int(match[1]), month, int(match[3]) if match[3] else None, today)
    except ValueError:
        return None
    if match := _IN.match(text):
        count = int(match[1]) if match[1].isdigit() else _COUNTS[match[1]]
        days = {"day": 1, "week": 7, "month": 30}[match[2]] * count
        return today + timedelta(days=days)
    if text == "tomorrow":
        return today + timedelta(days=1)
    return None


def _with_year(day: int, month: int, year: int | None, today: date) -> date:
    if year is not None:
        return date(year, month, day)
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def read_action(reply: str, today: date, element_id: str | None = None) -> tuple[Action, str | None]:
    """An action from a reply of up to four lines (what / who / by when / how we'll know).

    Returns the action and, when the date could not be read, a gentle note saying so; the action is
    kept either way, because nothing anyone writes should be lost over a date.
    """
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    what = lines[0] if lines else ""
    owner = lines[1] if len(lines) > 1 else ""
    due_text = lines[2] if len(lines) > 2 else ""
    check = " ".join(lines[3:])
    due = read_due_date(due_text, today) if due_text else None
    note = None
    if due_text and due is None:
        note = (
            f"I couldn't read “{html.escape(due_text)}” as a date, so this action has no date yet. "
            "Try 14/3, 14 March or in 2 weeks."
        )
    return Action(what=what, owner=owner, due=due, check=check, element_id=element_id), note
