"""The live session in the group: the element card (edited in place), the facilitator's buttons and
the stage prompts people reply to."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from conversations import beads
from conversations.keyboards import Button, Command, Keyboard
from conversations.pizazz import LiveRound, Phase, can_reveal, proposed_team_view, ratings_needed
from conversations.spread import Spread
from conversations.texts.scale import place, place_plain
from framework import Element, Framework, Stage

STAGE_TITLES = {
    Stage.ASSESSMENT: "How are things going?",
    Stage.EVIDENCE: "Evidence",
    Stage.HINDERING: "What gets in the way",
    Stage.HELPING: "What helps",
    Stage.ACTION_PLAN: "Action plan",
    Stage.REVIEW: "Review",
}

STAGE_QUESTIONS = {
    Stage.ASSESSMENT: "Where would you put us now? Place your own bead — nobody sees it until enough are in.",
    Stage.EVIDENCE: "What is actually happening? What makes you say so?",
    Stage.HINDERING: "What is getting in the way? Which of it is in our control?",
    Stage.HELPING: "What do we have going for us that could help?",
    Stage.ACTION_PLAN: "So what will we do, who, by when — and how will we know it worked?",
    Stage.REVIEW: "Let's look again: how did it go?",
}

ACTION_FORMAT = (
    "Reply with up to four lines:\n"
    "1. what we'll do\n"
    "2. who\n"
    "3. by when (14/3, 14 March, in 2 weeks)\n"
    "4. how we'll know it worked"
)

MAX_QUESTIONS = 3


@dataclass(frozen=True)
class View:
    """One person's rating. `name` is None in anonymous rounds."""

    index: int
    name: str | None = None


def element_heading(framework: Framework, element: Element, number: int, of: int) -> str:
    theme = html.escape(framework.theme(element.theme_id).name)
    own = " <i>(our own)</i>" if element.written_in else ""
    return (
        f"{theme} · element {number} of {of}\n"
        f"<b>{html.escape(element.name)}</b>{own}\n"
        f"<i>{html.escape(element.description)}</i>"
    )


def questions_list(element: Element, stage: Stage) -> str:
    asked = element.questions.get(stage, [])[:MAX_QUESTIONS]
    return "\n".join(f"• {html.escape(q)}" for q in asked)


def spread_block(framework: Framework, views: Sequence[View], anonymous: bool) -> str:
    """Everyone's views after the reveal: beads, middle, range, a gentle flag, and names only when the
    round is not anonymous. Under three views there is no spread: it would give people away."""
    scale = framework.scale
    spread = Spread.of([v.index for v in views], scale.positions) if views else None
    if spread is None or not spread.showable:
        return (
            f"Only {len(views)} {'view is' if len(views) == 1 else 'views are'} in — too few to show "
            "without giving people away. Talk it through and agree the team view."
        )
    lines = [
        f"<b>Everyone's views</b> ({spread.n})",
        beads.thread(scale, [v.index for v in views]),
        f"<i>{beads.level_key(scale)}</i>",
        f"Middle view: <b>{place(scale, spread.median)}</b>",
    ]
    if spread.low != spread.high:
        lines.append(f"From {place(scale, spread.low)} to {place(scale, spread.high)}")
    if spread.wide:
        lines.append("💬 Views differ a lot here — worth talking about why.")
    if not anonymous:
        for index in sorted({v.index for v in views}):
            names = sorted(html.escape(v.name) for v in views if v.index == index and v.name)
            if names:
                lines.append(f"{place(scale, index)}: {', '.join(names)}")
    return "\n".join(lines)


def team_view_line(framework: Framework, index: int) -> str:
    return f"<b>Team view: {place(framework.scale, index)}</b>\n{beads.thread(framework.scale, [index])}"


def element_card(
    framework: Framework,
    state: LiveRound,
    views: Sequence[View],
    members: int,
    anonymous: bool,
) -> str:
    """The one message the session edits in place as it moves on.

    Before the reveal it shows only how many have rated — never a rating, not even a middle one.
    """
    element = framework.element(state.element_id)
    parts = [element_heading(framework, element, state.element_index + 1, len(state.element_ids))]
    if state.paused:
        parts.append("⏸ <b>Paused.</b> We'll pick up from here.")

    if state.phase is Phase.REVIEW:
        return "\n\n".join(parts)  # what was agreed last time follows (conversations.texts.review)

    if state.phase is Phase.RATING:
        ask = [f"<b>{STAGE_TITLES[Stage.ASSESSMENT]}</b>", STAGE_QUESTIONS[Stage.ASSESSMENT]]
        if questions := questions_list(element, Stage.ASSESSMENT):
            ask.append(questions)
        parts.append("\n".join(ask))
        progress = f"{len(views)} of {members} have rated"
        if not can_reveal(len(views), members):
            progress += f" · views are shared once {ratings_needed(members)} are in"
        parts.append(progress)
        return "\n\n".join(parts)

    parts.append(spread_block(framework, views, anonymous))
    if state.team_view is not None and state.phase is not Phase.REVEALED:
        parts.append(team_view_line(framework, state.team_view))
    if state.phase is Phase.REVEALED:
        parts.append("Talk it through, then agree the team view.")
    elif state.phase is Phase.STAGE and state.stage is not None:
        parts.append(f"Now: <b>{STAGE_TITLES[state.stage]}</b> — reply to the question below.")
    elif state.phase is Phase.CLOSED:
        parts.append("✅ Done for this element.")
    return "\n\n".join(parts)


def stage_prompt(framework: Framework, element_id: str, stage: Stage, private_link: bool = False) -> str:
    """Asked with ForceReply: in a group the bot only sees replies to its own messages."""
    element = framework.element(element_id)
    lines = [
        f"<b>{STAGE_TITLES[stage]}</b> · {html.escape(element.name)}",
        STAGE_QUESTIONS[stage],
    ]
    if questions := questions_list(element, stage):
        lines.append(questions)
    if stage is Stage.ACTION_PLAN:
        lines += ["", ACTION_FORMAT]
    lines += ["", "↩️ <b>Reply to this message</b> with yours. Several replies are fine."]
    if private_link:
        lines.append("Rather not say it here? Use the button to answer in private.")
    return "\n".join(lines)


def facilitator_keyboard(framework: Framework, state: LiveRound, views: Sequence[View]) -> Keyboard:
    """Only the moves that make sense now. A press is still checked again when it arrives."""
    scale = framework.scale
    if state.finished:
        return []
    if state.paused:
        return [[Button("▶️ Resume", Command.RESUME)], [Button("End round", Command.CLOSE)]]
    rows: Keyboard = []
    if state.phase is Phase.REVIEW:
        rows.append([Button("Next: rate it now →", Command.NEXT)])
        rows.append([Button("Skip this one for now", Command.SKIP)])
    elif state.phase is Phase.RATING:
        rows.append([Button(f"Share the views ({len(views)} in)", Command.REVEAL)])
        rows.append([Button("Skip this one for now", Command.SKIP)])
    elif state.phase is Phase.REVEALED:
        middle = proposed_team_view([v.index for v in views])
        if middle is not None:
            rows.append([Button(f"Team view: {place_plain(scale, middle)}", Command.ACCEPT)])
        rows.append([Button("Choose another team view", Command.CHOOSE)])
        rows.append([Button("Skip this one for now", Command.SKIP)])
    elif state.phase is Phase.TEAM_VIEW_SET:
        rows.append([Button(f"Next: {STAGE_TITLES[state.stages[0]]} →", Command.NEXT)])
        rows.append([Button("← Change team view", Command.PREVIOUS)])
    elif state.phase is Phase.STAGE:
        if state.stage_index + 1 < len(state.stages):
            label = f"Next: {STAGE_TITLES[state.stages[state.stage_index + 1]]} →"
        else:
            label = "Close this element ✓"
        rows.append([Button(label, Command.NEXT)])
        rows.append([Button("← Back", Command.PREVIOUS), Button("Skip element", Command.SKIP)])
    else:
        label = "Finish the round ✓" if state.last_element else "Next element →"
        rows.append([Button(label, Command.NEXT)])
        rows.append([Button("← Back", Command.PREVIOUS)])
    rows.append([Button("⏸ Pause", Command.PAUSE), Button("End round", Command.CLOSE)])
    return rows
