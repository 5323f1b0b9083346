"""The async round: a status message in the group, and each person's own walk in a private chat."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from conversations.keyboards import Button, Command, Keyboard, rating_levels
from conversations.pizazz import Scope, ScopeKind, WalkStep
from conversations.texts.live import (
    ACTION_FORMAT,
    SAFE_EVIDENCE,
    STAGE_QUESTIONS,
    STAGE_TITLES,
    WRITTEN_STAGES,
    questions_list,
)
from conversations.when import moment
from framework import Framework, Stage

CARRY_ON_LATER = "You can stop any time and carry on later — I'll keep your place."


def round_title(framework: Framework, scope: Scope) -> str:
    if scope.kind is ScopeKind.REVIEW:
        return "PIE review: what we looked at last time"
    if scope.kind is ScopeKind.ALL or scope.ref is None:
        return f"PIE check: {html.escape(framework.name)}"
    if scope.kind is ScopeKind.THEME:
        return f"PIE check: {html.escape(framework.theme(scope.ref).name)}"
    return f"PIE check: {html.escape(framework.element(scope.ref).name)}"


def walk_status(
    title: str, finished: int, members: int, closes_at: datetime, tz: ZoneInfo, now: datetime
) -> str:
    """The one group message, edited in place as people finish (posting more would flood the group)."""
    return (
        f"<b>{title}</b>\n"
        f"{finished} of {members} have finished · closes {moment(closes_at, tz, now)}\n\n"
        f"Tap below to take part in private. {CARRY_ON_LATER}"
    )


def walk_welcome(
    title: str, elements: int, anonymous: bool, closes_at: datetime, tz: ZoneInfo, now: datetime
) -> str:
    privacy = (
        "Your answers are anonymous: the team sees them without your name."
        if anonymous
        else "The team will see your name next to your answers."
    )
    count = "1 element" if elements == 1 else f"{elements} elements"
    return (
        f"<b>{title}</b>\n"
        f"{count}, a few minutes each. Skip anything you're not sure about.\n"
        f"{privacy}\n"
        f"{CARRY_ON_LATER}\n"
        f"Closes {moment(closes_at, tz, now)}."
    )


def walk_prompt(framework: Framework, step: WalkStep) -> str:
    element = framework.element(step.element_id)
    where = f"{html.escape(element.name)} · {step.element_index + 1} of {step.elements}"
    if step.is_rating:
        own = " <i>(our own)</i>" if element.written_in else ""
        lines = [
            f"<b>{where}</b>{own}",
            f"<i>{html.escape(element.description)}</i>",
            "",
            STAGE_QUESTIONS[Stage.ASSESSMENT],
        ]
    else:
        lines = [f"<b>{STAGE_TITLES[step.step]}</b> · {where}", STAGE_QUESTIONS[step.step]]
    if questions := questions_list(element, step.step):
        lines.append(questions)
    if step.step is Stage.ACTION_PLAN:
        lines += ["", ACTION_FORMAT, "An idea is enough — the team decides together."]
    if step.step in WRITTEN_STAGES:
        lines += ["", f"🔒 {SAFE_EVIDENCE}"]
    lines += ["", "Not sure? Tap Skip." if step.is_rating else "Type your answer, or tap Skip."]
    return "\n".join(lines)


def walk_keyboard(framework: Framework, step: WalkStep) -> Keyboard:
    moves = [Button("← Back", Command.PREVIOUS), Button("Stop for now", Command.LATER)]
    if step.is_rating:
        return [*rating_levels(framework.scale), [Button("Not sure — skip", Command.SKIP)], moves]
    return [[Button("Skip", Command.SKIP)], moves]


def walk_paused() -> str:
    return "Saved. Come back any time — tap the button in the group, or send /start here — and you'll pick up right here."


def walk_finished() -> str:
    return "That's everything — thank you. The team will look at the views together once the round closes."


def walk_nudge(title: str, elements_left: int, closes_at: datetime, tz: ZoneInfo, now: datetime) -> str:
    left = "1 element" if elements_left == 1 else f"{elements_left} elements"
    return (
        f"A gentle reminder: <b>{title}</b> closes {moment(closes_at, tz, now)}.\n"
        f"You have {left} left. Carry on where you left off, and skip anything you're not sure about."
    )


# ---------------------------------------------------------------- the group status message and its ending

NOT_CONNECTED = "Haven't opened a private chat with me yet? Send /join here and tap the link I give you."


def walk_status_for_group(
    title: str, finished: int, members: int, closes_at: datetime, tz: ZoneInfo, now: datetime, unconnected: bool
) -> str:
    """The status message, with a word for whoever can't be written to yet — said to everyone, nobody tagged."""
    text = walk_status(title, finished, members, closes_at, tz, now)
    return f"{text}\n{NOT_CONNECTED}" if unconnected else text


def walk_closed_status(title: str, finished: int, members: int) -> str:
    return f"<b>{title}</b>\nClosed · {finished} of {members} finished. The summary follows below."


def team_views_prompt(names: list[str], set_count: int) -> str:
    """After an async round: the facilitator agrees a team view per element, most disagreement first,
    because that is where the conversation is most needed."""
    lines = [
        "<b>Now agree the team views</b>",
        "Talk it through together, then the facilitator sets each one. "
        "Start at the top: that's where views differed most.",
    ]
    if set_count:
        lines.append(f"{set_count} of {len(names)} set so far.")
    return "\n".join(lines)


TEAM_VIEWS_DONE = "All team views are set — thank you."
TAKE_PART = "Take part in private"
TEAM_VIEW_QUESTION = "What does the team agree on?"
ALL_ELEMENTS = "← all elements"


def team_views_list(names: list[str], set_count: int) -> str:
    text = team_views_prompt(names, set_count)
    return f"{text}\n\n{TEAM_VIEWS_DONE}" if set_count == len(names) else text


def team_view_choice(element_name: str, team_view: str | None) -> str:
    """A button of the list: the element, and the team view once it is set."""
    return f"{element_name} ✓ {team_view}" if team_view is not None else element_name


def team_view_card(element_name: str, spread: str, question: str) -> str:
    """One element's views and what to choose next (`spread` and `question` are safe HTML already)."""
    return f"<b>{html.escape(element_name)}</b>\n\n{spread}\n\n{question}"


# ---------------------------------------------------------------- the private walk

CHOOSE_ROUND = "You have more than one round open. Which one would you like to do now?"
WRITTEN_IN_PRIVATE = "I've written to you in private."
ALREADY_FINISHED = "You've finished this one — thank you."
NOT_CONNECTED_ALERT = "I can't write to you yet. Send /join in the group and tap the link I give you."
TAP_THE_SCALE = "Tap a place on the scale above — or “Not sure — skip”."
SKIPPED = "<i>Skipped.</i>"
ANSWER_KEPT = "<i>Thank you — kept.</i>"
STOPPED = "<i>Stopped here for now.</i>"
START_THIS_ONE = "Start this one"
CARRY_ON = "Carry on"


def round_choice(team_name: str, title: str) -> str:
    """A button to choose between open rounds: the team, and what the round is about."""
    return f"{team_name} · {title.removeprefix('PIE check: ')}"


def with_note(prompt: str, note: str) -> str:
    """A walk question with a line under it: what was chosen, or the positions to choose from."""
    return f"{prompt}\n\n{note}"


def bead_placed(description: str) -> str:
    """`description` is safe HTML already (conversations.texts.scale.place)."""
    return f"Your bead: <b>{description}</b>"
