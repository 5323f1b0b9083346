"""What the review of the Pizazz says: an element looked at before opens with what the team agreed on it
last time (the team view and its date, the actions and where they stand), and once the new team view
is agreed, how far it has moved since. Used on the live card, in the walk and in the round's summary.

Places and moves are said the one way (conversations.texts.scale); every user-supplied string escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from conversations.actions import Status, TrackedAction
from conversations.texts.scale import move, place
from conversations.when import day_with_year

TITLE = "Looking back"
NEXT_RATE = "Next: rate it now →"
QUESTION_NOTE = "↩️ Reply to the review question below: what has changed, did our actions happen?"
NO_ACTIONS = "No actions were agreed on it then."
SETTLE_HINT = "Open ones can be settled here: the facilitator or the action's owner taps below."


def _when(closed_on: date | None) -> str:
    return f" ({day_with_year(closed_on)})" if closed_on else ""


def _status(action: TrackedAction, today: date) -> str:
    if action.status is Status.DONE:
        return "✅ done" + (f" {day_with_year(action.done_on)}" if action.done_on else "")
    if action.status is Status.DROPPED:
        return f"✖️ dropped: {escape(action.reason)}"
    if action.status is Status.STILL_ON:
        due = f", now by {day_with_year(action.due)}" if action.due else ""
        return f"🗓 still on{due}"
    if action.overdue(today):
        return "⏰ past its date"
    return "open"


def action_line(number: int, action: TrackedAction, today: date) -> str:
    who = escape(action.owner) if action.owner.strip() else "no one named"
    return f"{number}. <b>{escape(action.what)}</b> — {who}: {_status(action, today)}"


def looking_back(scale, team_view: int | None, closed_on: date | None, actions: Sequence[TrackedAction],
                 today: date) -> str:
    """The review's opening: last time's team view and its date, then the actions agreed then."""
    lines = [f"🔁 <b>{TITLE}</b>"]
    if team_view is not None:
        lines.append(f"Last time{_when(closed_on)} we agreed: <b>{place(scale, team_view)}</b>")
    if actions:
        lines.append("Actions agreed then:")
        lines += [action_line(n, a, today) for n, a in enumerate(actions, start=1)]
        if any(a.still_open for a in actions):
            lines.append(f"<i>{SETTLE_HINT}</i>")
    else:
        lines.append(NO_ACTIONS)
    return "\n".join(lines)


def looked_back(scale, team_view: int | None, closed_on: date | None, actions: Sequence[TrackedAction]) -> str:
    """One line, kept on the card once the review is over: last time's view and how its actions went."""
    said = f"🔁 Last time{_when(closed_on)}"
    said += f": {place(scale, team_view)}." if team_view is not None else "."
    counts = [(sum(a.status is status for a in actions), words) for status, words in (
        (Status.DONE, "done"), (Status.STILL_ON, "still on"), (Status.OPEN, "open"), (Status.DROPPED, "dropped"))]
    shown = [f"{n} {words}" for n, words in counts if n]
    if shown:
        said += " Actions then: " + ", ".join(shown) + "."
    return said


def distance(scale, before: int | None, after: int | None, closed_on: date | None) -> str:
    """'📏 Since last time (…): up a level — from … to …' once the new team view is agreed."""
    if before is None or after is None:
        return ""
    moved = move(scale, before, after)
    if before == after:
        return f"📏 Since last time{_when(closed_on)}: <b>{moved}</b> at {place(scale, after)}."
    return f"📏 Since last time{_when(closed_on)}: <b>{moved}</b> — from {place(scale, before)} to {place(scale, after)}."


def walk_looking_back(scale, team_view: int | None, closed_on: date | None, actions: Sequence[TrackedAction],
                      today: date) -> str:
    """The same opening, in a person's walk (no buttons there: actions are settled from /actions)."""
    lines = [f"🔁 <b>{TITLE}</b>"]
    if team_view is not None:
        lines.append(f"Last time{_when(closed_on)} the team agreed: <b>{place(scale, team_view)}</b>")
    if actions:
        lines.append("Actions agreed then:")
        lines += [action_line(n, a, today) for n, a in enumerate(actions, start=1)]
    else:
        lines.append(NO_ACTIONS)
    return "\n".join(lines)


# In the round's summary and the PDF: the review answers under their own heading.
SUMMARY_HEADING = "Looking back"

# The review reminder's one-tap button, and what it says to those who may not press it.
OPEN_REVIEW_BUTTON = "🔁 Start the review round"
OPEN_REVIEW_FACILITATOR_ONLY = "Only the facilitator or a group admin can start the review round."
NOTHING_TO_REVIEW = "There's nothing to look back on yet: no element had a team view or an action last time."
