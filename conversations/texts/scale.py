"""The one way piebot says a place on the PIE scale, and a move between two places.

A place is its level's name and where in that level it sits, in words: "Getting there — near the top".
Never "3 of 5", "3·4", "position 5" or "11 of 20": those read as scores. A move is said in words too
("up a level", "a little further along"); the 1–20 number appears only where a team asked for numbers
(its own column in a CSV). Level names are the team's (a team can rename them), so they are escaped here.
"""

from __future__ import annotations

import html

from framework import Scale

# Where a bead sits inside its level, from the level's start to its top (five positions).
WHERE_IN_LEVEL = ("at the start", "early on", "halfway", "well along", "near the top")
PLACE_SEPARATOR = " — "


def level_name(scale: Scale, level: int) -> str:
    return html.escape(scale.levels[level - 1].label)


def where_in_level(scale: Scale, index: int) -> str:
    _, position = scale.split(index)
    return WHERE_IN_LEVEL[position - 1]


def place(scale: Scale, index: int) -> str:
    """'Getting there — near the top': the level's name and where in it."""
    level, _ = scale.split(index)
    return f"{level_name(scale, level)}{PLACE_SEPARATOR}{where_in_level(scale, index)}"


def place_plain(scale: Scale, index: int) -> str:
    """The same words without HTML escaping: for charts, PDFs and CSV files."""
    level, _ = scale.split(index)
    return f"{scale.levels[level - 1].label}{PLACE_SEPARATOR}{where_in_level(scale, index)}"


_LEVEL_COUNTS = {1: "a level", 2: "two levels", 3: "three levels"}


def move(scale: Scale, before: int | None, after: int | None) -> str:
    """How far a view moved, in words: 'up a level', 'a little further along', 'held steady'."""
    if after is None:
        return "no view this time"
    if before is None:
        return "first time"
    if after == before:
        return "held steady"
    level_before, _ = scale.split(before)
    level_after, _ = scale.split(after)
    levels = level_after - level_before
    if levels == 0:
        return "a little further along" if after > before else "a little further back"
    word = _LEVEL_COUNTS.get(abs(levels), f"{abs(levels)} levels")
    return f"up {word}" if levels > 0 else f"down {word}"
