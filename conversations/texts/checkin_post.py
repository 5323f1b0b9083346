"""What a check-in asks (conversations.checkin): its post in the group, the optional questions and their
buttons, the prompt for a written answer and the gentle reminder. Names come escaped."""

from __future__ import annotations

from conversations.texts.live import SAFE_EVIDENCE

# The optional questions, by the key of conversations.checkin.Question, in the order they are asked.
QUESTIONS = {
    "bent": "An example this week where we bent a rule to meet someone's need",
    "missed": "One where we should have, and didn't",
    "blocks": "What got in the way (rules, roles, workload…)?",
    "helped": "What helped?",
    "change": "One small change we could make",
}

BUTTON_LABELS = {
    "bent": "✍️ We bent a rule",
    "missed": "✍️ We should have",
    "blocks": "✍️ What got in the way",
    "helped": "✍️ What helped",
    "change": "✍️ One small change",
}

SUPPORT_LABEL = "I'd like some support"

ANONYMOUS = "Answers are anonymous."
NAMED = "Your name shows with your answers."
REPLY_TO_THIS = "↩️ <b>Reply to this message</b> with a few words."
CHANGE_BECOMES_ACTION = "Add who and by when on the next lines, and it becomes an action."
# Under a question about what happened this week, as under a round's evidence questions.
SAY_WHAT_NOT_WHO = f"🔒 {SAFE_EVIDENCE}"


def checkin_post(element: str, questions: list[str], anonymous: bool, open_until: str) -> str:
    privacy = ANONYMOUS if anonymous else NAMED
    listed = "\n".join(f"• {text}" for text in questions)
    return (
        f"<b>Check-in: {element}</b>\n"
        f"Where would you put us this week? Place your bead.\n\n"
        f"If you have a minute more (all optional):\n{listed}\n\n"
        f"{privacy} Open until {open_until}."
    )


def checkin_nudge(element: str, open_until: str) -> str:
    return f"A gentle reminder: the <b>{element}</b> check-in is open until {open_until}. One tap is enough."
