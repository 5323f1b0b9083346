"""The one way piebot says a place on the PIE scale, and a move between two places.

A place is its level's name and where in that level it sits, in words: "Getting there — near the top".
Never "3 of 5", "3·4", "position 5" or "11 of 20": those read as scores. A move is said in words too
("up a level", "a little further along"); the 1–20 number appears only where a team asked for numbers
(its own column in a CSV). Level names are the team's (a team can rename them), so they are escaped here.

Buttons say the same thing in fewer letters: the level's name on its own row, then where in it in one
word each ("start", "early", "halfway", "along", "top"), each word taken from the place's own words.

Charts, PDFs and CSV files are made in worker processes from plain data (the team's level names, no
framework): `named_levels(labels)` stands in for the framework's scale there, so they say places the
same way.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only for the hints: the chart workers import these words without the framework
    from framework import Scale

# Where a bead sits inside its level, from the level's start to its top (five positions).
WHERE_IN_LEVEL = ("at the start", "early on", "halfway", "well along", "near the top")
# The same, one word each, for a row of five buttons under the level's name (a phone fits about seven
# letters a button). Each is a word of the place's own words, so the toast after a tap reads as its button.
WHERE_ON_BUTTON = ("start", "early", "halfway", "along", "top")
PLACE_SEPARATOR = " — "
POSITIONS = 5


class _Levels(Protocol):
    """What a scale needs to be said in words: its levels' labels and how many places each has."""

    levels: Sequence
    positions: int


def level_name(scale: Scale | _Levels, level: int) -> str:
    return html.escape(scale.levels[level - 1].label)


def level_name_plain(scale: Scale | _Levels, level: int) -> str:
    return scale.levels[level - 1].label


def _split(scale: Scale | _Levels, index: int) -> tuple[int, int]:
    return (index - 1) // scale.positions + 1, (index - 1) % scale.positions + 1


def where_in_level(scale: Scale | _Levels, index: int) -> str:
    return WHERE_IN_LEVEL[_split(scale, index)[1] - 1]


def place(scale: Scale | _Levels, index: int) -> str:
    """'Getting there — near the top': the level's name and where in it."""
    level, _ = _split(scale, index)
    return f"{level_name(scale, level)}{PLACE_SEPARATOR}{where_in_level(scale, index)}"


def place_plain(scale: Scale | _Levels, index: int) -> str:
    """The same words without HTML escaping: for charts, PDFs, CSV files and button labels."""
    level, _ = _split(scale, index)
    return f"{level_name_plain(scale, level)}{PLACE_SEPARATOR}{where_in_level(scale, index)}"


def span(scale: Scale | _Levels, low: int, high: int, *, plain: bool = False) -> str:
    """Where a set of views lies: 'all at Getting there — halfway', or 'from … to …'."""
    say = place_plain if plain else place
    if low == high:
        return f"all at {say(scale, low)}"
    return f"from {say(scale, low)} to {say(scale, high)}"


def with_middle(where: str, middle_words: str) -> str:
    """'from … to …, middle …' — or just 'all at …', where a middle would only say the same place again."""
    return where if where.startswith("all at") else f"{where}, middle {middle_words}"


def middle(values: Sequence[int]) -> int:
    """The middle of some places, as a place: between two, the lower one, so it never claims more than
    the views do (the same rule as conversations.spread)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) // 2


@dataclass(frozen=True)
class _Level:
    label: str


@dataclass(frozen=True)
class NamedLevels:
    """The scale as the chart, PDF and CSV workers know it: only the team's names for the levels."""

    levels: tuple[_Level, ...]
    positions: int = POSITIONS


def named_levels(labels: Sequence[str]) -> NamedLevels:
    return NamedLevels(tuple(_Level(label) for label in labels))


_LEVEL_COUNTS = {1: "a level", 2: "two levels", 3: "three levels"}


def _levels(count: int) -> str:
    return _LEVEL_COUNTS.get(abs(count), f"{abs(count)} levels")


def move(scale: Scale | _Levels, before: int | None, after: int | None) -> str:
    """How far a view moved, in words: 'up a level', 'a little further along', 'held steady'."""
    return move_in_places(before, after, scale.positions)


def move_in_places(before: int | None, after: int | None, positions: int = POSITIONS) -> str:
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


# ---- on buttons and around them


def level_button(scale: Scale | _Levels, level: int) -> str:
    """A level on a button (plain: button labels are not HTML): its name, nothing else."""
    return level_name_plain(scale, level)


def where_button(position: int) -> str:
    return WHERE_ON_BUTTON[position - 1]


BACK_TO_LEVELS = "← levels"


def where_in_it(scale: Scale | _Levels, level: int) -> str:
    """Above the five 'where in it' buttons of a level (HTML)."""
    return (f"<b>{level_name(scale, level)}</b> — where in it? "
            f"From <i>{WHERE_ON_BUTTON[0]}</i> (only just in it) to <i>{WHERE_ON_BUTTON[-1]}</i> "
            "(nearly the next level).")


# The answer to a tap on a level's name in the rating grid (a toast: plain text, 200 characters at most).
LEVEL_HEADER_HELP = (f"Tap one of the five buttons under the level's name: {', '.join(WHERE_ON_BUTTON)} — "
                     "from only just in that level to nearly the next one.")
