"""The words in the team's spreadsheets (/export): column headings and the few words in cells.

Imported by the chart and file makers in their worker processes: keep it free of anything heavier than
the standard library.
"""

RATINGS_HEADER = ["round", "team", "closed_on", "theme", "element", "our own", "member", "rating index",
                  "level", "level name", "position", "team view"]
CHECKINS_HEADER = ["date", "element", "answered", "median", "low", "high", "missed"]
ACTIONS_HEADER = ["text", "theme", "element", "owner", "due", "status", "how we'll know"]
YES = "yes"
NO = "no"
# The member of an anonymous round's answer.
ANONYMOUS = "anonymous"
