"""The summary a check-in posts when it closes: who answered, what they said, and what came of it.

Beads are counted as they were given (conversations.checkin_figures): "3 said Getting there" for levels
tapped in the group, "1 said Getting there — near the top" for a place chosen in private. The middle
view is a place only when every answer was one; otherwise it is a level, and the change since the last
check-in is said in levels.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from conversations import beads
from conversations.actions import action_line
from conversations.checkin import QUESTIONS, CheckInResult, Question
from conversations.checkin_figures import AnswerFigures, Change, change_between, figures_of
from conversations.texts import checkins as texts
from conversations.texts.scale import level_move, level_name, move, place
from framework import Framework, Scale


@dataclass(frozen=True)
class CheckInFigures:
    answered: int
    now: AnswerFigures | None  # None when too few answered to show the views
    change: Change | None  # None without a comparable last check-in


def figures(result: CheckInResult, positions_per_level: int = 5) -> CheckInFigures:
    now = figures_of(result.ratings, positions_per_level)
    before = figures_of(result.previous_ratings, positions_per_level)
    return CheckInFigures(now.answered, now if now.showable else None, change_between(before, now))


def _said_lines(scale: Scale, now: AnswerFigures) -> list[str]:
    lines = []
    for level in now.by_level:
        if now.level_only.get(level):
            lines.append(texts.said(now.level_only[level], level_name(scale, level)))
        for index, count in now.places.items():
            if scale.split(index)[0] == level:
                lines.append(texts.said(count, place(scale, index)))
    return lines


def change_words(scale: Scale, change: Change) -> str:
    if change.in_places:
        return move(scale, change.before, change.after)
    return level_move(change.before, change.after, level_name(scale, change.after))


def checkin_summary(framework: Framework, result: CheckInResult) -> str:
    scale = framework.scale
    numbers = figures(result, scale.positions)
    name = html.escape(framework.element(result.element_id).name)
    lines = [texts.summary_head(name, numbers.answered, result.members)]
    now = numbers.now
    if now is None:
        if numbers.answered:
            lines.append(texts.TOO_FEW_TO_SHOW)
    else:
        if now.all_exact:
            lines.append(beads.thread(scale, [a.place for a in now.answers]))
        lines += _said_lines(scale, now)
        middle = place(scale, now.middle_place) if now.middle_place is not None else level_name(scale, now.middle_level)
        lines.append(texts.middle_view(middle))
        if numbers.change is not None:
            lines.append(texts.since_last(change_words(scale, numbers.change)))
        if now.wide:
            lines.append(texts.VIEWS_DIFFER)

    for question in Question:
        given = [e for e in result.examples if e.question is question]
        if not given:
            continue
        lines += ["", f"<b>{QUESTIONS[question]}</b>"]
        for example in given:
            who = "" if result.anonymous or not example.name else f" — {html.escape(example.name)}"
            lines.append(f"• {html.escape(example.text)}{who}")

    if result.new_actions:
        lines += ["", texts.NEW_ACTIONS, *(f"• {action_line(a)}" for a in result.new_actions)]
    overdue = [a for a in result.open_actions if a.overdue(result.today)]
    if overdue:
        lines += ["", texts.PAST_THEIR_DATE, *(f"• {action_line(a)}" for a in overdue)]
    return "\n".join(lines)
