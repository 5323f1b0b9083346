"""Peer review, the last Pizazz stage: a trusted colleague from a comparable team looks at our
assessment. They see the service, never who said what."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from conversations import beads
from conversations.actions import Action, action_line
from conversations.spread import Spread
from conversations.texts.scale import place
from conversations.when import day
from framework import Framework


@dataclass(frozen=True)
class Answer:
    text: str
    # Evidence someone marked private stays with the team unless the team has agreed to share it.
    private: bool = False


@dataclass(frozen=True)
class ReviewElement:
    element_id: str
    team_view: int | None
    views: Sequence[int] = ()
    evidence: Sequence[Answer] = ()


@dataclass(frozen=True)
class ReviewPack:
    team_name: str
    round_title: str  # safe HTML
    elements: Sequence[ReviewElement]
    actions: Sequence[Action] = field(default_factory=tuple)
    share_private_evidence: bool = False


def code_for_facilitator(code: str, expires_on: date) -> str:
    return (
        f"Here is a peer review code: <code>{html.escape(code)}</code>\n\n"
        "Send it to a trusted colleague from a comparable team — not a funder or a competitor. "
        f"They open this bot in a private chat and send <code>/review {html.escape(code)}</code>.\n"
        f"The code works until {day(expires_on)}. They'll see team views, spreads, evidence and the "
        "action plan — never who said what."
    )


def reviewer_view(framework: Framework, pack: ReviewPack) -> str:
    """What the reviewer reads. No names at all: authors of anonymous answers must never be
    traceable, and a reviewer is looking at how the service works, not at people."""
    scale = framework.scale
    lines = [
        f"<b>Peer review: {html.escape(pack.team_name)}</b>",
        pack.round_title,
        "Thank you for looking. What strikes you? What would you ask this team?",
    ]
    for item in pack.elements:
        element = framework.element(item.element_id)
        lines += ["", f"<b>{html.escape(element.name)}</b>"]
        if item.team_view is not None:
            lines.append(f"Team view: {place(scale, item.team_view)}")
        else:
            lines.append("No team view agreed.")
        if item.views:
            spread = Spread.of(item.views, scale.positions)
            if spread.showable:
                lines.append(beads.thread(scale, item.views))
                if spread.wide:
                    lines.append("Views differed a lot here.")
        shown = [a for a in item.evidence if pack.share_private_evidence or not a.private]
        lines += [f"• {html.escape(a.text)}" for a in shown]
        held_back = len(item.evidence) - len(shown)
        if held_back:
            lines.append(f"<i>{held_back} more kept within the team.</i>")
    if pack.actions:
        lines += ["", "<b>Action plan</b>", *(f"• {action_line(a, with_owner=False)}" for a in pack.actions)]
    lines += ["", "↩️ <b>Reply to this message</b> with your comments, all in one reply: that closes the review. "
              "The team will see them with your name."]
    return "\n".join(lines)


def comments_for_team(reviewer_name: str, comments: Sequence[str]) -> str:
    body = "\n\n".join(html.escape(c) for c in comments) or "No comments."
    return f"<b>Peer review from {html.escape(reviewer_name)}</b>\n\n{body}"


def comments_sent() -> str:
    return "Thank you — your comments have gone to the team. That closes this review."


def code_not_valid() -> str:
    return "That code doesn't work. It may have expired — ask the team for a new one."


# ---------------------------------------------------------------- asking for a code, and using one

CODE_SENT_PRIVATELY = "I've sent you a peer review code in private. Keep it between you and your reviewer."
GET_CODE_PRIVATELY = (
    "A peer review code is a key to your assessment, so I'll give it to you in private. Tap below."
)
GET_CODE_BUTTON = "Get the code in private"
WRITE_AS_YOURSELF = "Send /peerreview as yourself (not as the group), so I can give you the code in private."
NO_CLOSED_ROUND = "There's no finished round to review yet. Once a round has closed, ask again."
HOW_TO_REDEEM = "To read a team's assessment, send <code>/review</code> followed by the code the team gave you."
NOT_FOR_OWN_TEAM = (
    "This code is for a colleague from another team — you're in this one already, so you have its summary."
)
REPLY_TO_COMMENT = "↩️ Reply to my message with the assessment to leave your comments."
COMMENTS_PLACEHOLDER = "Your comments"

# What a file without words shows as in the reviewer's view.
FILE_KINDS = {"photo": "a photo", "voice": "a voice note", "document": "a document"}


def file_answer(kind: str) -> str:
    return f"({FILE_KINDS.get(kind, 'a file')})"
