"""Buttons as plain data, and the short suffixes they carry.

The adapter puts a versioned, validated prefix in front of each suffix (e.g. `v1:r:<round>:`), and
the whole must fit Telegram's 64 bytes, so a suffix is at most 8 characters. Suffixes:

    L2      member chose level 2            P2.3   member chose level 2, position 3
    back    back to the levels              TL2    team view: level 2
    T2.3    team view: level 2, position 3  Tback  team view: back to the levels
    rv8     review in 8 weeks               q.bent check-in question to answer
    and single words for everything else (see `Command`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from conversations.texts import scale as words
from framework import Scale

MAX_SUFFIX = 8


@dataclass(frozen=True)
class Button:
    label: str
    data: str

    def __post_init__(self) -> None:
        # Plain str, not a Command member, so it serialises the same everywhere.
        object.__setattr__(self, "data", str(self.data))
        if len(self.data.encode()) > MAX_SUFFIX:
            raise ValueError(f"button data {self.data!r} is longer than {MAX_SUFFIX} bytes")


Keyboard = list[list[Button]]


class Command(StrEnum):
    """Presses that are not a place on the scale."""

    BACK = "back"  # back to the levels, in a level → position picker
    TEAM_BACK = "Tback"
    REVEAL = "reveal"
    ACCEPT = "accept"  # accept the middle view as the team view
    CHOOSE = "choose"  # open the team-view picker
    NEXT = "next"
    PREVIOUS = "prev"
    SKIP = "skip"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"
    LATER = "later"  # stop for now, carry on later
    SUPPORT = "support"


@dataclass(frozen=True)
class LevelChosen:
    level: int
    team: bool = False


@dataclass(frozen=True)
class PlaceChosen:
    level: int
    position: int
    team: bool = False

    def index(self, scale: Scale) -> int:
        return scale.index(self.level, self.position)


@dataclass(frozen=True)
class ReviewChosen:
    """A proposed review date, as weeks from the day the round closed."""

    weeks: int


@dataclass(frozen=True)
class QuestionChosen:
    """Someone wants to answer one of a check-in's questions (the key is checked by the check-in)."""

    key: str


Press = LevelChosen | PlaceChosen | ReviewChosen | QuestionChosen | Command

_LEVEL = re.compile(r"^(L|TL)([1-9])$")
_PLACE = re.compile(r"^(P|T)([1-9])\.([1-9])$")
_REVIEW = re.compile(r"^rv([1-9][0-9]?)$")
_QUESTION = re.compile(r"^q\.([a-z]{1,6})$")


def read_press(data: str, scale: Scale) -> Press | None:
    """What a button suffix means, or None when it is not one we made (it comes from the client)."""
    if match := _LEVEL.match(data):
        level = int(match[2])
        return LevelChosen(level, team=match[1] == "TL") if level <= len(scale.levels) else None
    if match := _PLACE.match(data):
        level, position = int(match[2]), int(match[3])
        if level <= len(scale.levels) and position <= scale.positions:
            return PlaceChosen(level, position, team=match[1] == "T")
        return None
    if match := _REVIEW.match(data):
        return ReviewChosen(int(match[1]))
    if match := _QUESTION.match(data):
        return QuestionChosen(match[1])
    try:
        return Command(data)
    except ValueError:
        return None


def rating_levels(scale: Scale, *, team: bool = False) -> Keyboard:
    """First step of placing a bead: one level per row, by the team's own name for it (no number: a
    level is not a score)."""
    prefix = "TL" if team else "L"
    return [[Button(words.level_button(scale, lv.number), f"{prefix}{lv.number}")] for lv in scale.levels]


def rating_positions(scale: Scale, level: int, *, team: bool = False) -> Keyboard:
    """Second step: where in the chosen level, in the same five words as the group's grid, and a way back."""
    if not 1 <= level <= len(scale.levels):
        raise ValueError(f"level must be 1 to {len(scale.levels)}, got {level}")
    prefix = "T" if team else "P"
    places = [Button(words.where_button(p), f"{prefix}{level}.{p}") for p in range(1, scale.positions + 1)]
    back = Command.TEAM_BACK if team else Command.BACK
    return [places, [Button(words.BACK_TO_LEVELS, back)]]


def team_view_levels(scale: Scale) -> Keyboard:
    return rating_levels(scale, team=True)


def team_view_positions(scale: Scale, level: int) -> Keyboard:
    return rating_positions(scale, level, team=True)


def positions_caption(scale: Scale, level: int) -> str:
    """Shown above the 'where in it' buttons: which level was chosen, and which end is which."""
    return words.where_in_it(scale, level)
