"""What piebot says while it arrives, a team is set up and people join, besides the greeting, set-up steps
and help in texts/welcome.py: the set-up buttons, refusals, and the join link of someone who has left the group."""

from __future__ import annotations

from html import escape

WELCOME_BACK = "👋 I'm back. Everything you had is still here, and your schedules are running again."
WRONG_CHAT = "That button belongs to another chat."
BUTTON_GONE = "That button doesn't work any more."
JOIN_AS_YOURSELF = "To join, write /join as yourself rather than as the group."

# /setup's buttons. The chat's title is offered as the team's name; these stand in when it has none.
CHAT_TITLE_MISSING = "this group"
TEAM_NAME_MISSING = "Our team"
TYPE_ANOTHER_NAME = "Type another name"
TEAM_NAME_PLACEHOLDER = "Team name"
VARIANT_LABELS = {"pies2": "All 15 elements", "pies2-short": "Short form", "coffee-break": "Coffee break"}
ANOTHER_TIME_ZONE = "Another time zone"
NO_WRITE_IN = "No, just PIEs 2.0 ✓"
ADD_RELATIONSHIPS = "Add Relationships"
SETUP_DONE_ALERT = "Done"


def use_chat_title(title: str) -> str:
    return f"Use “{title}”"


def recommended(label: str, is_recommended: bool) -> str:
    """A set-up button, ticked when it is the choice made if nobody changes it."""
    return label + " ✓" if is_recommended else label


def not_in_group(team_name: str) -> str:
    return (
        f"You're not in the group of {escape(team_name)} any more, so I can't connect you to it. "
        "Once you're back in the group, tap /join there."
    )
