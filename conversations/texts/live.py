"""The live session in the group: the element card (edited in place), the facilitator's buttons and
the stage prompts people reply to."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from conversations import beads
from conversations.keyboards import Button, Command, Keyboard
from conversations.pizazz import LiveRound, Phase, can_reveal, ratings_needed
from conversations.spread import Spread
from conversations.texts.scale import level_name, place, place_plain
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

# Under every question that asks people to write what happens: the people the team supports are never
# named in what the team writes (it may leave the team in a report, a peer review or a network).
SAFE_EVIDENCE = "Say what happened, not who — no residents' names."
WRITTEN_STAGES = (Stage.EVIDENCE, Stage.HINDERING, Stage.HELPING)


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


# What the facilitator can ask once the views are shared, before the team places its bead: the team
# view is reached by talking, never by taking the middle.
TALK_PROMPTS = (
    "What would we need to see to move it up a place?",
    "What does someone who put it lower see that others might not?",
)


def where_views_differ(framework: Framework, spread: Spread) -> str:
    """Where the views differ most, in words: between which levels, or that they sit close together."""
    scale = framework.scale
    low_level = (spread.low - 1) // scale.positions + 1
    high_level = (spread.high - 1) // scale.positions + 1
    if spread.low == spread.high:
        return "Everyone put it in the same place."
    if low_level == high_level:
        return f"Views sit close together, all within {level_name(scale, low_level)}."
    said = f"Views differ most between {level_name(scale, low_level)} and {level_name(scale, high_level)}."
    return said


def spread_block(framework: Framework, views: Sequence[View], anonymous: bool, names_shown: bool = False,
                 talking: bool = True) -> str:
    """Everyone's views after the reveal: beads, where they differ most, prompts for the conversation,
    and the middle as information only. Names stand beside the beads only when the team chose "named and
    shown" at the start (naming the one person who differs is what makes people stop being honest).
    Under three views there is no spread: it would give people away. The prompts and the middle are
    for the conversation (`talking`): once the team view is placed the card keeps the spread alone."""
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
        where_views_differ(framework, spread),
    ]
    if spread.low != spread.high:
        lines.append(f"From {place(scale, spread.low)} to {place(scale, spread.high)}")
    if spread.wide:
        lines.append("💬 Views differ a lot here — worth talking about why.")
    if names_shown and not anonymous:
        for index in sorted({v.index for v in views}):
            names = sorted(html.escape(v.name) for v in views if v.index == index and v.name)
            if names:
                lines.append(f"{place(scale, index)}: {', '.join(names)}")
    if talking:
        prompts = TALK_PROMPTS if spread.low != spread.high else TALK_PROMPTS[:1]
        lines += ["", "<b>To talk about</b>", *(f"• {p}" for p in prompts)]
        lines.append(f"<i>For information: the middle view is {place_plain(scale, spread.median)}. "
                     "The team view is what you agree, not the middle.</i>")
    return "\n".join(lines)


def team_view_line(framework: Framework, index: int) -> str:
    return f"<b>Team view: {place(framework.scale, index)}</b>\n{beads.thread(framework.scale, [index])}"


def element_card(
    framework: Framework,
    state: LiveRound,
    views: Sequence[View],
    members: int,
    anonymous: bool,
    names_shown: bool = False,
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

    parts.append(spread_block(framework, views, anonymous, names_shown, talking=state.phase is Phase.REVEALED))
    if state.team_view is not None and state.phase is not Phase.REVEALED:
        parts.append(team_view_line(framework, state.team_view))
    if state.phase is Phase.REVEALED:
        parts.append("Talk it through, then the facilitator places the team's bead on the grid below.")
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
    if stage in WRITTEN_STAGES:
        lines += ["", f"🔒 {SAFE_EVIDENCE}"]
    lines += ["", "↩️ <b>Reply to this message</b> with yours. Several replies are fine."]
    if private_link:
        lines.append("Rather not say it here? Use the button to answer in private.")
    return "\n".join(lines)


def facilitator_keyboard(framework: Framework, state: LiveRound, views: Sequence[View]) -> Keyboard:
    """Only the moves that make sense now. A press is still checked again when it arrives."""
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
        # No one-tap middle: the facilitator places the team's bead on the grid above these buttons.
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
