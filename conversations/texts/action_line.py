"""How one action reads on a line of its own (conversations.actions.action_line), and the note for a
due date that could not be read. Plain words only: what is put into them comes escaped."""

from __future__ import annotations

NO_OWNER_YET = "no one named yet"
NO_DATE_YET = "no date yet"


def by_date(when: str) -> str:
    return f"by {when}"


def worked_when(check: str) -> str:
    return f"\n   <i>We'll know it worked when: {check}</i>"


def unreadable_date(typed: str) -> str:
    return (
        f"I couldn't read “{typed}” as a date, so this action has no date yet. "
        "Try 14/3, 14 March or in 2 weeks."
    )
