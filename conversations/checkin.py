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

from conversations import beads
from conversations.actions import Action, action_line, read_due_date
from conversations.keyboards import Button, Keyboard, rating_levels
from conversations.pizazz import Distance
from conversations.spread import Spread
from conversations.when import moment
from framework import Framework

DEFAULT_ELEMENT = "responsiveness"


class Question(StrEnum):
    BENT = "bent"
    MISSED = "missed"
    BLOCKS = "blocks"
    HELPED = "helped"
    CHANGE = "change"


QUESTIONS = {
    Question.BENT: "An example this week where we bent a rule to meet someone's need",
    Question.MISSED: "One where we should have, and didn't",
    Question.BLOCKS: "What got in the way (rules, roles, workload…)?",
    Question.HELPED: "What helped?",
    Question.CHANGE: "One small change we could make",
}

BUTTON_LABELS = {
    Question.BENT: "✍️ We bent a rule",
    Question.MISSED: "✍️ We should have",
    Question.BLOCKS: "✍️ What got in the way",
    Question.HELPED: "✍️ What helped",
    Question.CHANGE: "✍️ One small change",
}

SUPPORT_LABEL = "I'd like some support"


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
    privacy = "Answers are anonymous." if anonymous else "Your name shows with your answers."
    questions = "\n".join(f"• {text}" for text in QUESTIONS.values())
    return (
        f"<b>Check-in: {html.escape(element.name)}</b>\n"
        f"Where would you put us this week? Place your bead.\n\n"
        f"If you have a minute more (all optional):\n{questions}\n\n"
        f"{privacy} Open until {moment(closes_at, tz, now)}."
    )


def checkin_keyboard(framework: Framework) -> Keyboard:
    questions = [[Button(label, f"q.{key}")] for key, label in BUTTON_LABELS.items()]
    return [*rating_levels(framework.scale), *questions, [Button(SUPPORT_LABEL, "support")]]


def question_prompt(question: Question) -> str:
    lines = [f"<b>{QUESTIONS[question]}</b>", "↩️ <b>Reply to this message</b> with a few words."]
    if question is Question.CHANGE:
        lines.append("Add who and by when on the next lines, and it becomes an action.")
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


def support_reply(contacts: Sequence[Contact]) -> str:
    """Sent privately to whoever tapped the support button. The work is heavy; asking is right."""
    lines = ["Thank you for saying. You don't have to carry this on your own."]
    if contacts:
        lines.append("You can talk to:")
        lines += [f"• <b>{html.escape(c.name)}</b> — {html.escape(c.how)}" for c in contacts]
    else:
        lines.append("Your line manager or supervisor is a good place to start.")
    lines.append("If you're in danger or can't keep yourself safe, call 999.")
    return "\n".join(lines)


def checkin_nudge(
    framework: Framework, element_id: str, closes_at: datetime, tz: ZoneInfo, now: datetime
) -> str:
    name = html.escape(framework.element(element_id).name)
    return f"A gentle reminder: the <b>{name}</b> check-in is open until {moment(closes_at, tz, now)}. One tap is enough."


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
    ratings: Sequence[int]
    today: date
    anonymous: bool = False
    previous_ratings: Sequence[int] = ()  # from the last check-in, if any
    examples: Sequence[Example] = ()
    new_actions: Sequence[Action] = ()
    open_actions: Sequence[Action] = field(default_factory=tuple)  # checked for anything overdue


@dataclass(frozen=True)
class CheckInFigures:
    answered: int
    spread: Spread | None  # None when too few answered to show it
    change: Distance | None  # None without a comparable last check-in


def figures(result: CheckInResult, positions_per_level: int = 5) -> CheckInFigures:
    spread = Spread.of(result.ratings, positions_per_level) if result.ratings else None
    if spread is not None and not spread.showable:
        spread = None
    previous = Spread.of(result.previous_ratings, positions_per_level) if result.previous_ratings else None
    change = None
    # Both sides need enough answers: a middle view of one or two people would give them away.
    if spread is not None and previous is not None and previous.showable:
        change = Distance(previous.median, spread.median)
    return CheckInFigures(len(result.ratings), spread, change)


def checkin_summary(framework: Framework, result: CheckInResult) -> str:
    scale = framework.scale
    numbers = figures(result, scale.positions)
    name = html.escape(framework.element(result.element_id).name)
    lines = [f"<b>Check-in closed: {name}</b>", f"{numbers.answered} of {result.members} answered."]
    if numbers.spread is None:
        if numbers.answered:
            lines.append("Too few answers to show the views without giving people away.")
    else:
        spread = numbers.spread
        lines += [
            beads.thread(scale, result.ratings),
            f"Middle view: <b>{beads.describe(scale, spread.median)}</b>",
        ]
        if spread.low != spread.high:
            lines.append(f"From {beads.describe(scale, spread.low)} to {beads.describe(scale, spread.high)}")
        if numbers.change is not None:
            lines.append(f"Since the last check-in: {numbers.change.text()}")
        if spread.wide:
            lines.append("💬 Views differ a lot — worth talking about why.")

    for question in Question:
        given = [e for e in result.examples if e.question is question]
        if not given:
            continue
        lines += ["", f"<b>{QUESTIONS[question]}</b>"]
        for example in given:
            who = "" if result.anonymous or not example.name else f" — {html.escape(example.name)}"
            lines.append(f"• {html.escape(example.text)}{who}")

    if result.new_actions:
        lines += ["", "<b>New actions</b>", *(f"• {action_line(a)}" for a in result.new_actions)]
    overdue = [a for a in result.open_actions if a.overdue(result.today)]
    if overdue:
        lines += ["", "<b>Past their date — still on?</b>", *(f"• {action_line(a)}" for a in overdue)]
    return "\n".join(lines)
