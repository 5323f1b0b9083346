"""The one way piebot says a place on the PIE scale, and a move between two places.

A place is its level's name and where in that level it sits, in words: "Getting there — near the top".
Never "3 of 5", "3·4", "position 5" or "11 of 20": those read as scores. A move is said in words too
("up a level", "a little further along"); the 1–20 number appears only where a team asked for numbers
(its own column in a CSV). Level names are the team's (a team can rename them), so they are escaped here.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the hints: the chart workers import these words without the framework
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


def _levels(count: int) -> str:
    return _LEVEL_COUNTS.get(abs(count), f"{abs(count)} levels")


def move(scale: Scale, before: int | None, after: int | None) -> str:
    """How far a view moved, in words: 'up a level', 'a little further along', 'held steady'."""
    return move_in_places(before, after, scale.positions)


def move_in_places(before: int | None, after: int | None, positions: int = 5) -> str:
    """`move` for callers without the framework at hand (the chart workers): places 1–20, five to a level."""
    if after is None:
        return "no view this time"
    if before is None:
        return "first time"
    if after == before:
        return "held steady"
    levels = (after - 1) // positions - (before - 1) // positions
    if levels == 0:
        return "a little further along" if after > before else "a little further back"
    return f"up {_levels(levels)}" if levels > 0 else f"down {_levels(levels)}"


def level_move(before: int, after: int, after_name: str) -> str:
    """How a middle *level* moved (answers that named a level only): 'up a level, to Well on the way'.

    `after_name` is the level's name as the caller shows it (escaped for HTML, or plain for a picture).
    """
    if before == after:
        return f"held steady at {after_name}"
    return f"{'up' if after > before else 'down'} {_levels(after - before)}, to {after_name}"
