"""Kind refusals: a short reason, and what to do instead. A refused message changes nothing."""

from __future__ import annotations

NOT_JOINED = "You're not in this team's round yet. Tap /join first."
CLOSED = "That question has closed."
ROUND_CLOSED = "This round has closed. Thank you for taking part."
FACILITATOR_ONLY = "Only the facilitator can do that."
EMPTY = "That looks empty. Type a few words, or tap Skip."
UNSUPPORTED = "I can only take typed text here. Could you put it into words?"
ANONYMOUS_CANNOT_CHANGE = (
    "Answers in this round are anonymous, so they aren't linked to you — which means nobody can "
    "change them later. You can add another one."
)
BUTTON_EXPIRED = "That button is from an older message. Use the newest one."

# Rounds (piebot.storage.rounds): why an answer or a new round can't be taken just now.
ROUND_ALREADY_OPEN = "There's already a round open. Close it with /close before starting another."
NO_ELEMENTS = "That choice has no elements to rate."
NOT_IN_ROUND = "That element isn't part of this round."
THAT_ROUND_CLOSED = "That round has closed."
ROUND_PAUSED = "The round is paused for now."
NOT_ON_SCALE = "That isn't a place on the scale."
RATING_CLOSED = "Rating for this element has closed."
# Only for anonymous answers kept before answers were sealed: nobody, the bot included, can find those.
ALREADY_RATED_ANONYMOUSLY = (
    "You've already rated this one. This anonymous answer was given in a way nobody can trace back to you, "
    "so it can't be changed."
)
ANONYMOUS_CANNOT_WITHDRAW = "This anonymous answer can't be traced back to you, so it can't be withdrawn."
NOT_RATED = "You haven't rated this one."

MAX_ANSWER_CHARS = 3000


def too_long(length: int) -> str:
    return (
        f"That's {length:,} characters — the limit is {MAX_ANSWER_CHARS:,}. "
        "Could you send it as two shorter replies?"
    )


def answer_problem(text: str | None, kind: str = "text") -> str | None:
    """Why an answer can't be taken, or None if it can. `kind` is the message type ("text",
    "photo", "voice"...); only typed text can be read back to a team and kept for a review."""
    if kind != "text":
        return UNSUPPORTED
    if text is None or not text.strip():
        return EMPTY
    if len(text) > MAX_ANSWER_CHARS:
        return too_long(len(text))
    return None

# Telegram could not be asked (a membership or admin check timed out): not a refusal.
TELEGRAM_UNREACHABLE = "I couldn't reach Telegram just now — try again in a minute."

# Flood limits (piebot.telegram.gatekeeper).
SLOW_DOWN = "That's a lot of commands at once. Give me a few seconds, then try again."
SLOW_DOWN_PRESS = "Slow down a little, then press again."
BUTTON_GONE = "That button doesn't work any more."

# A Pizazz round (conversations.pizazz): a press or command that makes no sense at this point of it.
SESSION_PAUSED = "The session is paused. Tap Resume to carry on."
ROUND_FINISHED = "This round has finished."
ALREADY_PAUSED = "The session is already paused."
NOT_PAUSED = "The session isn't paused."
LOOKING_BACK_FIRST = "We're looking back first. The rating opens next."
NOT_YET_ASKED = "We haven't got to that question yet."
ALREADY_SHARED = "The views are already shared."
SHARE_THEN_AGREE = "Share everyone's views first, then agree the team view."
TEAM_VIEW_ALREADY_SET = "The team view is set. Tap Back to change it."
SHARE_VIEWS_FIRST = "Share everyone's views first."
AGREE_TEAM_VIEW_FIRST = "Agree the team view first — or tap Skip to come back to this one."
CANNOT_UNSHARE = "Everyone has seen the views now, so they can't be hidden again."
NOTHING_BEFORE_ELEMENT = "This element has only just started — there's nothing before it."
# Someone walking a round in their own time.
WALK_FINISHED = "You've already finished this one — thank you."
NOTHING_BEFORE_FIRST = "This is the first question — there's nothing before it."


def too_few_rated(rated: int, members: int, needed: int) -> str:
    return (
        f"{rated} of {members} have rated. Views are shared once {needed} are in, "
        "so nobody's can be picked out."
    )
