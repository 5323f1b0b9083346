"""The quiet receipt of a written answer: the bot's reaction on the reply in the group, and a short
private note to its author with what can still be done with it (mark it about relationships, give it
new words, remove it). HTML; what members wrote is escaped here."""

from __future__ import annotations

from html import escape

from conversations.texts.relationships import MARK_BUTTON, UNMARK_BUTTON

# The bot's reaction on a reply it kept: nothing new in the group, just the mark on the message itself.
REACTION = "✍"

STAGE_WORDS = {
    "evidence": "Evidence", "hindering": "What gets in the way", "helping": "What helps", "review": "Looking back",
}
SHOWN = 120  # of the item's words in the note: enough to know which one it is

# An anonymous answer's note carries none of it: only that it was kept, and how to take it back.
KEPT_ANONYMOUSLY = (
    "✍ Your reply in the group is kept, without your name. You can take it back while the team is still on "
    "this element; once the round closes, not even I can find whose it is."
)
EDIT_BUTTON = "✏️ Edit"
REMOVE_BUTTON = "🗑 Remove"
GONE = "That answer isn't there any more."
NOT_YOURS = "Only the person who wrote it, or a facilitator, can change this one."
LEFT_THE_TEAM = (
    "This round's results have already left the team (a report, a peer review or the network), so its "
    "evidence stays as it was then. If something in it worries you, have a word with your facilitator."
)
REMOVED = "Removed. It's gone from the round."
MARKED = "Marked as about relationships: it joins the relationships thread."
UNMARKED = "No longer marked as about relationships."
ASK_NEW_WORDS = "✏️ <b>Reply to this message</b> with the new words for:\n<i>{shown}</i>"
NEW_WORDS_PLACEHOLDER = "The new words"
EDITED = "✏️ Changed. The round now has:\n<i>{shown}</i>"
NEEDS_WORDS = "Send the new words as text, please — nothing has changed."


NOT_SET_UP = "Set me up first: an admin taps /setup."
ITEMS_IN_THE_GROUP = "Use /items in the team's group: I'll send you the round's items in private."
ITEMS_FOR_FACILITATORS = "Only the facilitator can go through the round's items."
NO_ITEMS = (
    "No evidence, hinders or helps in this round yet. In an anonymous round, answers appear here only once "
    "three people have answered, so nobody can be picked out."
)
OPEN_PRIVATE_FIRST = "I'll send you the items in private — open the chat with me first (/join shows the button)."
SENT_PRIVATELY = "I've sent you the round's items in private."
ITEMS_HEADING = "<b>The round's items</b> — mark those about relationships, or edit or remove one:"
# An anonymous round's items carry no name: they can be marked, never edited or removed (only whoever
# wrote one can take it back). Those still waiting to go in are not listed.
ITEMS_HEADING_ANONYMOUS = (
    "<b>The round's items</b> (anonymous, no names) — mark those about relationships. Answers appear here in "
    "threes, so nobody can be picked out: send /items again later, or after the round closes, to see the rest."
)
ANONYMOUS_FOR_FACILITATORS = "Only a facilitator can mark items in an anonymous round."


def _shown(text: str) -> str:
    text = " ".join((text or "").split())
    return escape(text if len(text) <= SHOWN else text[: SHOWN - 1] + "…")


def kept(stage: str, element_name: str, text: str, kind: str = "text") -> str:
    """The private note after a reply in the group: what was kept, and the buttons under it."""
    said = _shown(text) if text.strip() else f"(a {escape(kind)})"
    return (
        f"✍ Kept under <b>{STAGE_WORDS.get(stage, escape(stage))}</b> · {escape(element_name)}:\n"
        f"<i>{said}</i>\n"
        "Say what happened, not who. You can change or remove it here until the results leave the team."
    )


def mark_button(about: bool) -> str:
    return UNMARK_BUTTON if about else MARK_BUTTON


def ask_new_words(text: str) -> str:
    return ASK_NEW_WORDS.format(shown=_shown(text))


def edited(text: str) -> str:
    return EDITED.format(shown=_shown(text))


def listed_item(number: int, element_name: str, stage: str, text: str, about: bool) -> str:
    mark = " 🤝" if about else ""
    return (f"{number}. <b>{escape(element_name)}</b> · {STAGE_WORDS.get(stage, escape(stage))}{mark}\n"
            f"<i>{_shown(text) or '(no words)'}</i>")
