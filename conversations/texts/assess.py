"""Starting a round (/assess), naming a facilitator, and the small lines around the live card:
how to place a bead, how many have answered each stage, and what happens to an answer."""

from __future__ import annotations

import html
from collections.abc import Mapping

from conversations.texts.live import STAGE_TITLES
from framework import Framework, Stage

# ---------------------------------------------------------------- /assess

NOT_ALLOWED = "Only a group admin or a facilitator can start a round."
NOT_SET_UP = "Set me up first: an admin taps /setup."
WIZARD_GONE = "That set-up has finished. Start again with /assess."
CANCELLED = "No round started. Start one any time with /assess."
ASYNC_UNAVAILABLE = (
    "Rounds in people's own time aren't ready yet. Start a live round instead, or try again after the next update."
)

ASK_SCOPE = "<b>Start a round</b> · 1 of 4\nWhat shall we look at? One element per session works best: there's time to talk."
ASK_ELEMENT = "<b>Start a round</b> · 1 of 4\nWhich element?"
ASK_THEME = "<b>Start a round</b> · 1 of 4\nWhich theme?"
ASK_MODE = (
    "<b>Start a round</b> · 2 of 4\n"
    "<b>Live</b>: together now, here in the group, one element at a time.\n"
    "<b>In your own time</b>: each person answers in private before a deadline."
)
ASK_DEADLINE = "<b>Start a round</b> · 2 of 4\nHow long should people have?"
ASK_ANONYMOUS = (
    "<b>Start a round</b> · 3 of 4\n"
    "<b>Named</b>: answers carry your names and people can change their own; after the reveal the team "
    "sees the beads without names.\n"
    "<b>Named and shown</b>: the same, and the names stand beside the beads for everyone to see.\n"
    "<b>Anonymous</b>: nobody can tell who said what. While the round is open, people can still change "
    "or take back their own answers; once it closes, not even I can find whose an answer is."
)
ASK_ORDER = (
    "<b>Start a round</b> · 4 of 4\n"
    "After rating we talk about evidence, then what gets in the way and what helps, then actions.\n"
    "Some teams find it easier to start with strengths: what helps, then what gets in the way. "
    "This stays the team's setting for next time."
)


# The wizard's buttons. The tick marks what is recommended, or the team's setting from last time.
SCOPE_ELEMENT = "One element ✓ (recommended)"
SCOPE_THEME = "One theme"
SCOPE_ALL = "All elements"
CANCEL = "Cancel"
MODE_LIVE = "Live, here together ✓"
MODE_OWN_TIME = "In our own time"
DEADLINE_LABELS = {2: "2 days", 7: "1 week", 14: "2 weeks"}
NAMED = "Named"
NAMED_AND_SHOWN = "Named and shown"
ANONYMOUS = "Anonymous"
HINDERS_FIRST = "Start: what gets in the way first"
STRENGTHS_FIRST = "Start: strengths first"


def ticked(label: str, chosen: bool) -> str:
    """A choice's label, with a tick on the one in force."""
    return label + (" ✓" if chosen else "")


def round_opened(title: str, mode: str, anonymous: bool, elements: int, names_shown: bool = False) -> str:
    how = "live, here in the group" if mode == "live" else "in your own time, in private"
    who = "anonymous" if anonymous else ("named, names shown beside the beads" if names_shown else "named")
    count = "1 element" if elements == 1 else f"{elements} elements"
    return f"▶️ <b>{title}</b> — {count}, {how}, answers {who}."


# ---------------------------------------------------------------- /facilitator

FACILITATOR_ADMIN_ONLY = "Only a group admin can name a facilitator."
ASK_FACILITATOR = "Who should facilitate rounds? Tap a name (tap again to take it back)."
NO_MEMBERS = "Nobody has joined yet. People tap /join first."
NOT_A_MEMBER = "They haven't joined yet. Ask them to tap /join first."


def facilitator_set(name: str, on: bool) -> str:
    name = html.escape(name)
    return f"{name} can now start and run rounds." if on else f"{name} no longer facilitates."


# ---------------------------------------------------------------- the live card


def grid_help(framework: Framework, anonymous: bool) -> str:
    """The line under the card: the grid names its own levels, so this only says what to do."""
    lines = ["Tap your place below: find the level, then tap where in it — from <i>start</i> (only just) "
             "to <i>top</i> (nearly the next level)."]
    if anonymous:
        lines.append("🔒 Anonymous: nobody sees whose bead is whose. Tap again to move yours.")
    else:
        lines.append("Tap again to move your bead.")
    return "\n".join(lines)


def stage_counts(counts: Mapping[Stage, int], stages: list[Stage], up_to: int) -> str:
    """'Evidence: 3 · What gets in the way: 1' for the stages opened so far."""
    parts = [f"{STAGE_TITLES[s]}: {counts.get(s, 0)}" for s in stages[: up_to + 1]]
    return "Answers so far — " + " · ".join(parts)


TAKE_BEAD_BACK = "↩️ Take my bead back"
BACK = "← Back"
SKIPPED = "⏭ Not talked through this time: the views on this one were not shared."
ANSWER_PRIVATELY = "✍️ Answer in private"
ANONYMOUS_PROMPT_NOTE = (
    "🔒 This round is anonymous. A reply here shows your name to the group, so if you'd rather not, "
    "write to me in private (button on the card) — I'll add it without your name."
)

# ---------------------------------------------------------------- answers

MAX_EVIDENCE_CHARS = 3000
EVIDENCE_KINDS = ("text", "photo", "voice", "document")
EMPTY = "That looks empty. Type a few words — or send a photo, voice note or document."
UNSUPPORTED = "I can take typed text, photos, voice notes and documents. Could you send it as one of those?"
ACTION_NEEDS_WORDS = "An action needs words: reply with what we'll do, who, by when, and how we'll know."
NOT_NOW = "There's no question open for that just now."
NO_LIVE_ROUND = "No live round is running just now."


def too_long(length: int) -> str:
    return (
        f"That's {length:,} characters — the limit is {MAX_EVIDENCE_CHARS:,}. "
        "Could you send it as two shorter replies? Nothing was saved."
    )


def evidence_problem(kind: str | None, text: str, has_file: bool) -> str | None:
    """Why an answer can't be kept, or None. Checked before anything is stored."""
    if kind not in EVIDENCE_KINDS:
        return UNSUPPORTED
    if len(text) > MAX_EVIDENCE_CHARS:
        return too_long(len(text))
    if kind == "text" and not text.strip():
        return EMPTY
    if kind != "text" and not has_file:
        return UNSUPPORTED
    return None


def kept_privately(stage: Stage, element_name: str, anonymous: bool) -> str:
    how = "without your name" if anonymous else "with your name"
    return f"Added to <b>{STAGE_TITLES[stage]}</b> · {html.escape(element_name)}, {how}. Thank you."


def action_noted(line: str, note: str | None) -> str:
    text = f"✅ Action noted: {line}"
    return text + (f"\n{note}" if note else "")


def owner_unknown(name: str) -> str:
    return (
        f"I couldn't find “{html.escape(name)}” among the people who've joined, so this action has no "
        "owner yet. Reply again with a member's name on line 2."
    )


def told_owner(line: str, team_name: str) -> str:
    return f"📌 You're down for an action from <b>{html.escape(team_name)}</b>:\n{line}"


# ---------------------------------------------------------------- taking back your own answers

ANONYMOUS_CANNOT_WITHDRAW = (
    "This round is anonymous, so your answers aren't linked to you — which means they can't be taken "
    "back. That's what keeps them anonymous."
)
NOTHING_TO_WITHDRAW = "You haven't given any answers on this element yet."
NOTHING_TO_WITHDRAW_BUT_BEAD = NOTHING_TO_WITHDRAW + " To take back your bead, tap “Take my bead back” on the card."
WITHDRAW_LIST = "Your answers on this element. Tap one to take it back:"
OPEN_PRIVATE_FIRST = "I'll send you your answers in private — open the chat with me first (/join shows the button)."
WITHDRAWN = "Taken back."
RATING_WITHDRAWN = "Your bead is taken back."
WITHDRAW_LABEL_CHARS = 40


def withdraw_label(text: str, kind: str) -> str:
    """One answer in the list to take back: its first words, or its kind when it has none."""
    words = text.strip() or f"[{kind}]"
    return "✖ " + (words[:WITHDRAW_LABEL_CHARS] + "…" if len(words) > WITHDRAW_LABEL_CHARS else words)
SENT_PRIVATELY = "I've sent you your answers in private."


# ---------------------------------------------------------------- short replies

IN_THE_GROUP = "That works in your team's group."
ROUND_ALREADY_OPEN = "There's already a round open — /status shows where it stands, /close ends it."
OWN_TIME_NOTHING_TO_MOVE = "This round runs in people's own time, so there's nothing to move on. /close ends it."
LIVE_ONLY = "That works in live rounds; this one runs in people's own time."
NO_PRIVATE_MIDDLE = "Too few views for a middle one that keeps them private. Choose the team view instead."
TEAM_VIEW_ALREADY_SET = "The team view for this one is set."
TALK_IT_THROUGH = "Talk it through, then the facilitator places the team's bead on the grid below."
SHARE_FIRST = "Share everyone's views first, then agree the team view."
ALREADY_GONE = "That one has already gone."
BEAD_PLACED_ANONYMOUSLY = "Your bead is placed, without your name. Thank you."
BEAD_MOVED_ANONYMOUSLY = "Your bead is moved, without your name."


def bead_placed(place: str, moved: bool) -> str:
    """The toast only the presser sees (no HTML in callback answers)."""
    return f"{'Moved' if moved else 'Placed'}: {place}. Only you see this."
