"""The end of a round: team views and how far they have moved, where views differed most, the action
plan, and when to look again. Also the /status reply."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conversations.actions import Action, action_line
from conversations.keyboards import Button, Keyboard
from conversations.pizazz import LiveRound, Phase
from conversations.spread import Spread, ordered_by_disagreement
from conversations.texts.live import STAGE_TITLES
from conversations.texts.scale import move, place
from conversations.when import day, moment, short_date
from framework import Framework

REVIEW_WEEKS = (4, 8, 12)
# The summary's last part; it gives way to the date once one is chosen.
REVIEW_QUESTION = "<b>When shall we look again?</b>"
# Long enough for actions to happen, short enough that the same people are still on the team.
PROPOSED_REVIEW_WEEKS = 8
MOST_DIFFERED = 3
LOOKING_BACK = "Looking back: what changed since last time"


@dataclass(frozen=True)
class ElementResult:
    element_id: str
    team_view: int | None
    views: Sequence[int] = ()  # individual views, without names
    earlier_view: int | None = None  # the team view at the earlier round, if there was one


@dataclass(frozen=True)
class RoundSummary:
    title: str  # already safe HTML, e.g. from round_title()
    closed_on: date
    results: Sequence[ElementResult]
    actions: Sequence[Action] = field(default_factory=tuple)
    earlier_on: date | None = None  # when the round we compare with took place
    relationships_line: str | None = None  # safe HTML, from conversations.texts.relationships.summary_line
    looked_back: Mapping[str, Sequence[str]] = field(default_factory=dict)  # element id -> review answers


def review_options(closed_on: date) -> list[tuple[int, date]]:
    return [(weeks, closed_on + timedelta(weeks=weeks)) for weeks in REVIEW_WEEKS]


def review_keyboard(closed_on: date) -> Keyboard:
    return [
        [Button(f"In {weeks} weeks · {short_date(when)}", f"rv{weeks}")]
        for weeks, when in review_options(closed_on)
    ]


def round_summary(framework: Framework, summary: RoundSummary) -> str:
    scale = framework.scale
    since = f" since {short_date(summary.earlier_on)}" if summary.earlier_on else ""
    lines = [f"<b>{summary.title} — summary</b>", "", "<b>Team views</b>"]
    for result in summary.results:
        name = html.escape(framework.element(result.element_id).name)
        if result.team_view is None:
            lines.append(f"• {name}: not agreed this time")
            continue
        line = f"• {name}: {place(scale, result.team_view)}"
        if result.earlier_view is not None:
            line += f" ({move(scale, result.earlier_view, result.team_view)}{since})"
        lines.append(line)

    if summary.looked_back:
        lines += ["", f"<b>{LOOKING_BACK}</b>"]
        for result in summary.results:
            said = summary.looked_back.get(result.element_id)
            if said:
                name = html.escape(framework.element(result.element_id).name)
                lines.append(f"• {name}: " + "; ".join(f"“{html.escape(s)}”" for s in said))

    spreads = {r.element_id: Spread.of(r.views, scale.positions) for r in summary.results if r.views}
    differed = [(eid, s) for eid, s in ordered_by_disagreement(spreads) if s.wide][:MOST_DIFFERED]
    if differed:
        lines += ["", "<b>Where views differed most</b>"]
        for element_id, spread in differed:
            name = html.escape(framework.element(element_id).name)
            lines.append(
                f"• {name}: from {place(scale, spread.low)} to {place(scale, spread.high)}"
            )

    lines += ["", "<b>Action plan</b>"]
    if summary.actions:
        lines += [f"• {action_line(action)}" for action in summary.actions]
    else:
        lines.append("No actions yet. You can add one any time.")
    if summary.relationships_line:
        lines += ["", summary.relationships_line]

    proposed = summary.closed_on + timedelta(weeks=PROPOSED_REVIEW_WEEKS)
    lines += [
        "",
        REVIEW_QUESTION,
        f"We suggest in {PROPOSED_REVIEW_WEEKS} weeks ({day(proposed)}). Pick below.",
    ]
    return "\n".join(lines)


def review_set(review_on: date) -> str:
    return f"Review set for <b>{day(review_on)}</b>. I'll remind you a week before and on the day."


# ---------------------------------------------------------------- /status


def no_round_status() -> str:
    return "No round is running. The facilitator can start one with /assess."


def live_status(framework: Framework, state: LiveRound, rated: int, members: int) -> str:
    name = html.escape(framework.element(state.element_id).name)
    where = f"Live round · element {state.element_index + 1} of {len(state.element_ids)}: <b>{name}</b>"
    if state.finished:
        return "The live round has finished. The summary is in the group."
    if state.phase is Phase.REVIEW:
        now = "Looking back at last time, before rating it again"
    elif state.phase is Phase.RATING:
        now = f"{rated} of {members} have rated"
    elif state.phase is Phase.REVEALED:
        now = "Views shared — agreeing the team view"
    elif state.phase is Phase.TEAM_VIEW_SET and state.team_view is not None:
        now = f"Team view: {place(framework.scale, state.team_view)}"
    elif state.phase is Phase.STAGE and state.stage is not None:
        now = f"Now: {STAGE_TITLES[state.stage]}"
    else:
        now = "This element is done"
    paused = "\n⏸ Paused" if state.paused else ""
    return f"{where}\n{now}{paused}"


def async_status(
    title: str,
    finished: int,
    members: int,
    closes_at: datetime,
    tz: ZoneInfo,
    now: datetime,
    elements_left: int | None = None,
) -> str:
    """`elements_left` is the asker's own progress, shown only in their private chat."""
    text = f"<b>{title}</b>\n{finished} of {members} have finished · closes {moment(closes_at, tz, now)}"
    if elements_left:
        text += f"\nYou have {elements_left} left — carry on any time."
    elif elements_left == 0:
        text += "\nYou've finished — thank you."
    return text
