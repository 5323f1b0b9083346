"""Actions: what we will do, who, by when, and how we will know it worked; and how an action is
followed to done.

An action is open until someone settles it: done, still on (with a new date), or dropped (with a
reason). The rules here say which change is allowed from which status, what "overdue" means and in
what order a list of actions is read. They carry no words: a refusal is a `Refusal`, which
conversations/texts/actions.py turns into a sentence; an action's line and the note on a date that can't
be read are worded in conversations/texts/action_line.py.

        ┌──────────── still on (a new date) ───────────┐
        ▼                                               │
      open ──► done ──┐          open / still on ───────┘
        │             ├─ reopen ─► open
        └─► dropped ──┘   (a tap made by mistake is taken back)
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from conversations.texts import action_line as texts
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
    who = html.escape(action.owner) if action.owner.strip() else texts.NO_OWNER_YET
    when = texts.by_date(short_date(action.due)) if action.due else texts.NO_DATE_YET
    line = f"{html.escape(action.what)} — {who + ', ' if with_owner else ''}{when}"
    if action.check.strip():
        line += texts.worked_when(html.escape(action.check))
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
        note = texts.unreadable_date(html.escape(due_text))
    return Action(what=what, owner=owner, due=due, check=check, element_id=element_id), note


# ---------------------------------------------------------------- following an action to done


class Status(StrEnum):
    OPEN = "open"
    STILL_ON = "still_on"  # looked at again and kept, with a new date
    DONE = "done"
    DROPPED = "dropped"


# Statuses that still ask something of someone: listed, reminded, and overdue once past their date.
STILL_OPEN: tuple[Status, ...] = (Status.OPEN, Status.STILL_ON)
SETTLED: tuple[Status, ...] = (Status.DONE, Status.DROPPED)


class Change(StrEnum):
    DONE = "done"
    STILL_ON = "still_on"
    DROP = "drop"
    REOPEN = "reopen"


AFTER: dict[Change, Status] = {
    Change.DONE: Status.DONE,
    Change.STILL_ON: Status.STILL_ON,
    Change.DROP: Status.DROPPED,
    Change.REOPEN: Status.OPEN,
}


class Refusal(StrEnum):
    """Why a change cannot be made (the words are in conversations/texts/actions.py)."""

    ALREADY_DONE = "already_done"
    ALREADY_DROPPED = "already_dropped"
    NOT_SETTLED = "not_settled"  # reopening something that is still open
    NO_DATE = "no_date"
    DATE_PASSED = "date_passed"
    NO_REASON = "no_reason"
    REASON_TOO_LONG = "reason_too_long"


MAX_REASON = 300  # a drop reason is a line, not an essay: it is read back in lists and reports


def status_of(value: str | None) -> Status:
    """A stored status; anything unknown reads as open, so an action is never lost from the lists."""
    try:
        return Status(value or Status.OPEN)
    except ValueError:
        return Status.OPEN


def refusal(status: Status, change: Change, today: date, *, new_due: date | None = None,
            reason: str = "") -> Refusal | None:
    """Why `change` is not allowed on an action with `status`, or None if it is."""
    if change is Change.REOPEN:
        return None if status in SETTLED else Refusal.NOT_SETTLED
    if status is Status.DONE:
        return Refusal.ALREADY_DONE
    if status is Status.DROPPED:
        return Refusal.ALREADY_DROPPED
    if change is Change.STILL_ON:
        if new_due is None:
            return Refusal.NO_DATE
        if new_due < today:
            return Refusal.DATE_PASSED
    if change is Change.DROP:
        if not reason.strip():
            return Refusal.NO_REASON
        if len(reason.strip()) > MAX_REASON:
            return Refusal.REASON_TOO_LONG
    return None


def is_overdue(status: Status, due: date | None, today: date) -> bool:
    """Still open and past its date (the day itself is not overdue yet)."""
    return status in STILL_OPEN and due is not None and due < today


class _Listed(Protocol):
    status: Status
    due: date | None
    done_on: date | None


L = TypeVar("L", bound=_Listed)


def list_key(status: str, due: date | None, done_on: date | None, overdue: bool) -> tuple:
    """Where an action sits in a list: overdue first (longest overdue first), then open ones by date (no date
    last), then done ones (most recently done first), then dropped ones."""
    if overdue:
        return (0, due.toordinal() if due else 0)
    if status in STILL_OPEN:
        return (1, due.toordinal()) if due is not None else (2, 0)
    if status == Status.DONE:
        return (3, -(done_on or date.min).toordinal())
    return (4, 0)


def in_list_order(actions: Iterable[L], today: date) -> list[L]:
    """The actions in the order a list reads them (`list_key`); stable, so equal ones keep their order."""
    return sorted(actions, key=lambda a: list_key(a.status, a.due, a.done_on, is_overdue(a.status, a.due, today)))


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st of a shorter month is its last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class QuickDate(StrEnum):
    """The one-tap new dates offered when an action is still on."""

    WEEK = "w1"
    TWO_WEEKS = "w2"
    MONTH = "m1"


def quick_date(choice: QuickDate, today: date) -> date:
    if choice is QuickDate.WEEK:
        return today + timedelta(weeks=1)
    if choice is QuickDate.TWO_WEEKS:
        return today + timedelta(weeks=2)
    return add_months(today, 1)


@dataclass(frozen=True)
class TrackedAction:
    """An action as the lists, reminders and reports follow it."""

    id: int
    what: str
    owner: str = ""  # the owner's name; empty when no one is named
    due: date | None = None
    status: Status = Status.OPEN
    check: str = ""
    element_id: str | None = None
    done_on: date | None = None
    reason: str = ""  # why it was dropped

    def overdue(self, today: date) -> bool:
        return is_overdue(self.status, self.due, today)

    @property
    def still_open(self) -> bool:
        return self.status in STILL_OPEN

    def as_line(self) -> Action:
        """The plain action, for `action_line`."""
        return Action(what=self.what, owner=self.owner, due=self.due, check=self.check, element_id=self.element_id,
                      done=self.status is Status.DONE)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an action's history: what it became, when, and who said so."""

    on: date
    status: Status | None  # None: the action was agreed
    due: date | None
    reason: str = ""
    by: str = ""  # who said so, by name; empty when they cannot be named
    role: str = ""  # "owner" | "facilitator" | "admin"; empty for the agreeing
