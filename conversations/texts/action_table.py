"""The words of the "our actions" picture (/chart): its title, columns, status pills and caption.

Plain text. Imported by the chart renderers in their worker processes: keep it free of anything heavier
than the standard library.
"""

from __future__ import annotations

from datetime import date

from conversations.texts.charts import day_and_month

NO_ACTIONS = "No actions agreed yet. The chart appears once the team agrees its first action."
ACTIONS_TITLE = "Our actions"
ACTION_COLUMNS = ("What", "Who", "By when", "Status")
# In the order a list of actions is read: overdue first, dropped last.
STATUS_ORDER = ("overdue", "open", "still_on", "done", "dropped")
STATUS_WORDS = {"overdue": "past its date", "open": "open", "still_on": "still on", "done": "done",
                "dropped": "dropped"}
STATUS_LABELS = {"overdue": "Past its date", "open": "Open", "still_on": "Still on", "done": "Done",
                 "dropped": "Dropped"}
NO_OWNER_YET = "no one yet"
OWNER_NOT_SHOWN = "not shown"
NO_DATE_YET = "no date"


def done_label(day: date | None) -> str:
    return f"Done {day_and_month(day)}" if day else "Done"


def actions_subtitle(counts: dict[str, int]) -> str:
    """'2 past their date · 3 open · 1 done'."""
    words = {"overdue": "past their date" if counts.get("overdue", 0) > 1 else "past its date"}
    return " · ".join(f"{counts[s]} {words.get(s, STATUS_WORDS[s])}" for s in STATUS_ORDER if counts.get(s))


def more_actions(count: int) -> str:
    return f"…and {count} more: the caption lists them all."


def actions_short(total: int, counts: dict[str, int]) -> str:
    """The picture's caption: how many, and where they stand."""
    return actions_caption_head(total, counts)


def actions_caption_head(total: int, counts: dict[str, int]) -> str:
    many = {"overdue": "past their date"}
    return f"Our actions: {total} — " + ", ".join(
        f"{counts[s]} {many.get(s, STATUS_WORDS[s]) if counts[s] > 1 else STATUS_WORDS[s]}"
        for s in STATUS_ORDER if counts.get(s)) + "."


def actions_caption_group(status: str, items: list[str]) -> str:
    """One status's actions in the caption: 'Past their date: Fix the rota (Bea, due 28 Apr).'"""
    heads = {"overdue": "Past their date", "open": "Open", "still_on": "Still on", "done": "Done",
             "dropped": "Dropped"}
    return f"{heads[status]}: " + "; ".join(items) + "."


def action_in_caption(what: str, who: str, due: date | None, done_on: date | None, reason: str | None) -> str:
    details = [who]
    if done_on is not None:
        details.append(f"done {day_and_month(done_on)}")
    elif reason:
        details.append(f"why: {reason}")
    elif due is not None:
        details.append(f"due {day_and_month(due)}")
    return f"{what} ({', '.join(details)})"
