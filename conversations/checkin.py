"""The responsiveness check-in: a short, regular pulse on how flexibly we actually respond.

Usually on Responsiveness, the least tangible of the Three Rs; a team may pick another element
(Rules and procedures, Roles and relationships). Everyone places a bead; the questions are optional.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from conversations.actions import Action, read_due_date
from conversations.checkin_figures import Answer
from conversations.keyboards import Button, Keyboard, rating_levels
from conversations.texts import checkin_post as texts
from conversations.when import moment
from framework import Framework

DEFAULT_ELEMENT = "responsiveness"


class Question(StrEnum):
    BENT = "bent"
    MISSED = "missed"
    BLOCKS = "blocks"
    HELPED = "helped"
    CHANGE = "change"


QUESTIONS = {question: texts.QUESTIONS[question.value] for question in Question}

BUTTON_LABELS = {question: texts.BUTTON_LABELS[question.value] for question in Question}

SUPPORT_LABEL = texts.SUPPORT_LABEL


def question_of(key: str) -> Question | None:
    try:
        return Question(key)
    except ValueError:
        return None


# ---------------------------------------------------------------- the post and its replies


def checkin_post(
    framework: Framework, element_id: str, closes_at: datetime, tz: ZoneInfo, now: datetime, anonymous: bool
) -> str:
    element = framework.element(element_id)
    return texts.checkin_post(
        html.escape(element.name), list(QUESTIONS.values()), anonymous, moment(closes_at, tz, now)
    )


def checkin_keyboard(framework: Framework) -> Keyboard:
    questions = [[Button(label, f"q.{key}")] for key, label in BUTTON_LABELS.items()]
    return [*rating_levels(framework.scale), *questions, [Button(SUPPORT_LABEL, "support")]]


def question_prompt(question: Question) -> str:
    lines = [f"<b>{QUESTIONS[question]}</b>", texts.REPLY_TO_THIS]
    if question is Question.CHANGE:
        lines.append(texts.CHANGE_BECOMES_ACTION)
    else:  # an account of what happened: the people the team supports are never named in it
        lines.append(texts.SAY_WHAT_NOT_WHO)
    return "\n".join(lines)


def change_to_action(reply: str, today: date, element_id: str = DEFAULT_ELEMENT) -> Action | None:
    """A 'one small change' answer becomes an action when it names who (line 2) or when (line 3)."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    due = read_due_date(lines[2], today) if len(lines) > 2 else None
    return Action(what=lines[0], owner=lines[1], due=due, element_id=element_id)


@dataclass(frozen=True)
class Contact:
    name: str
    how: str  # phone, email, "ask at the office"…


def checkin_nudge(
    framework: Framework, element_id: str, closes_at: datetime, tz: ZoneInfo, now: datetime
) -> str:
    name = html.escape(framework.element(element_id).name)
    return texts.checkin_nudge(name, moment(closes_at, tz, now))


# ---------------------------------------------------------------- when the window closes


@dataclass(frozen=True)
class Example:
    question: Question
    text: str
    name: str | None = None  # never shown in anonymous check-ins


@dataclass(frozen=True)
class CheckInResult:
    element_id: str
    members: int
    # Each bead as it was given: a level tapped in the group, or a place chosen in private.
    ratings: Sequence[Answer]
    today: date
    anonymous: bool = False
    previous_ratings: Sequence[Answer] = ()  # from the last check-in, if any
    examples: Sequence[Example] = ()
    new_actions: Sequence[Action] = ()
    open_actions: Sequence[Action] = field(default_factory=tuple)  # checked for anything overdue
