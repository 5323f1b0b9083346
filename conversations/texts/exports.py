"""The words in the team's spreadsheets (/export): column headings and the few words in cells.

Imported by the chart and file makers in their worker processes: keep it free of anything heavier than
the standard library.
"""

# A place in words ("Getting there — near the top"), as everywhere; its 1-20 number in a column of its own,
# for teams who want to sort or count.
RATINGS_HEADER = ["round", "team", "closed_on", "theme", "element", "our own", "member", "place", "place (1-20)",
                  "level name", "team view", "team view (1-20)"]


def checkins_header(level_labels: list[str]) -> list[str]:
    """A bead tapped in the group names a level only, so levels are counted in their own columns and the
    1-20 numbers are filled in only for check-ins where everyone chose a place."""
    return ["date", "element", "answered", "chose a place", "named a level only", "middle view",
            "middle place (1-20)", "lowest place (1-20)", "highest place (1-20)",
            *(f"in {label}" for label in level_labels), "missed"]


ACTIONS_HEADER = ["text", "theme", "element", "owner", "due", "status", "how we'll know", "done on", "why dropped"]
# In place of the member, when an anonymous round's element had fewer than three answers.
TOO_FEW = "fewer than 3 answers: not shown"
YES = "yes"
NO = "no"
# The member of an anonymous round's answer.
ANONYMOUS = "anonymous"
