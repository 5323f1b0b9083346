"""What the support reply says (conversations.support): thanks, the team's contacts, a listening line, the
emergency numbers, and the choice of letting the facilitator know. Names and contacts are the team's own
words, so they are escaped here."""

from __future__ import annotations

from html import escape

# The listening lines in the table, by their own names.
SAMARITANS = "Samaritans"
LIFELINE_US = "988 Suicide & Crisis Lifeline"
HELPLINE_CA = "9-8-8 Suicide Crisis Helpline"
LIFELINE_AU = "Lifeline"
NEED_TO_TALK = "Need to talk?"
TELEFONSEELSORGE = "TelefonSeelsorge"

# How to reach each listening line in the table, in plain words.
SAMARITANS_HOW = "116 123, free, day or night"
CALL_OR_TEXT_988 = "call or text 988, free, day or night"
LIFELINE_AU_HOW = "13 11 14, day or night"
NEED_TO_TALK_HOW = "call or text 1737, free, day or night"
TELEFONSEELSORGE_HOW = "0800 111 0 111 or 0800 111 0 222, free, day or night"

THANK_YOU = "Thank you for saying. You don't have to carry this on your own."
NO_TEAM_CONTACTS = "Your line manager or supervisor is a good place to start."


def team_contacts(contacts: list[tuple[str, str]]) -> str:
    listed = "\n".join(f"• <b>{escape(name)}</b> — {escape(how)}" for name, how in contacts)
    return f"<b>People here for you</b>\n{listed}"


def listening(lines: list[tuple[str, str]]) -> str:
    if not lines:
        return ("<b>To talk to someone outside work</b>\n"
                "A listening line where you live, or your doctor, can help — any time you need it.")
    listed = "\n".join(f"• <b>{escape(name)}</b> — {escape(how)}" for name, how in lines)
    return f"<b>To talk to someone outside work</b>\n{listed}"


def emergency(numbers: str | None) -> str:
    if numbers is None:
        return "If you're in danger or can't keep yourself safe, call your local emergency number now."
    return f"If you're in danger or can't keep yourself safe, call {escape(numbers)} now."


def _names(names: list[str]) -> str:
    shown = [f"<b>{escape(n)}</b>" for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def tell_facilitator_offer(names: list[str]) -> str:
    if not names:
        return "Nobody in your team is told that you asked: I keep only a count."
    return (f"<b>Would you like {_names(names)} to know?</b>\n"
            f"Only if you tap “{TELL_FACILITATOR}” will I send your name, privately, to "
            f"{'your facilitator' if len(names) == 1 else 'your facilitators'} so they can check in with you — "
            "nothing else. If you don't, nobody in your team is told that you asked.")


TELL_FACILITATOR = "Let the facilitator know"
NO_THANKS = "No thanks"
TOLD_NOBODY = "Nobody has been told. Take care of yourself."
NOT_YOURS = "That choice belongs to someone else."
FACILITATOR_UNREACHABLE = "I couldn't reach your facilitator just now. Please tell them yourself, or try again later."


def told(names: list[str]) -> str:
    return f"I've let {_names(names)} know, privately. Take care of yourself."


def facilitator_note(name: str, team: str) -> str:
    """To the facilitator: who asked, and nothing else."""
    return (f"💬 <b>{escape(name)}</b> from {escape(team)} tapped “I'd like some support” in a check-in and asked me "
            "to let you know. Perhaps check in with them privately, when you can.\n"
            "Nobody else has been told.")


def told_alert(count: int) -> str:
    return "Done — sent privately." if count else FACILITATOR_UNREACHABLE
