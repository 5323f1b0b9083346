"""What a check-in's answers add up to, saying only what people said.

A bead tapped in the group names a level only ("Getting there"); one placed in the private chat names
a place ("Getting there — near the top"). Both are answers, and both are counted: each level by how
many named it, each place by how many chose it. A level is never turned into a place, neither to take
a middle nor to compare: places are compared with places only when every answer on both sides named
one; otherwise the middle *level* is what moves (or holds).

Plain values only (no framework, no words), so the chart workers can use it too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from conversations.spread import MIN_ANSWERS_FOR_SPREAD, POSITIONS_PER_LEVEL, WIDE_LEVELS, Spread


@dataclass(frozen=True)
class Answer:
    """One person's bead: a level (1-4), and the place in it (1-20) when they gave one."""

    level: int
    place: int | None = None

    @classmethod
    def at(cls, place: int, positions: int = POSITIONS_PER_LEVEL) -> Answer:
        return cls((place - 1) // positions + 1, place)

    @classmethod
    def in_level(cls, level: int) -> Answer:
        return cls(level, None)

    @classmethod
    def kept(cls, value: int, level_only: bool, positions: int = POSITIONS_PER_LEVEL) -> Answer:
        """A bead as it is kept: a place 1-20, which stands for its whole level when `level_only`."""
        exact = cls.at(value, positions)
        return cls.in_level(exact.level) if level_only else exact

    @property
    def exact(self) -> bool:
        return self.place is not None

    @property
    def sort_key(self) -> tuple[int, int]:
        # A level-only answer sorts before the places in its level.
        return self.level, self.place or 0

    def places(self, positions: int = POSITIONS_PER_LEVEL) -> tuple[int, int]:
        """The first and last place the answer may mean: one place, or its whole level."""
        if self.place is not None:
            return self.place, self.place
        return (self.level - 1) * positions + 1, self.level * positions


def _lower_middle(ordered: Sequence[int]) -> int:
    # Between two middle values take the lower, as the spread does: never claim more than the team does.
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else ordered[middle - 1]


@dataclass(frozen=True)
class AnswerFigures:
    """The counts and middles of a set of answers, places kept apart from levels."""

    answers: tuple[Answer, ...]
    positions: int = POSITIONS_PER_LEVEL

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def showable(self) -> bool:
        """Three answers or more: fewer would let people work out each other's view."""
        return self.answered >= MIN_ANSWERS_FOR_SPREAD

    @property
    def all_exact(self) -> bool:
        return bool(self.answers) and all(a.exact for a in self.answers)

    @cached_property
    def by_level(self) -> dict[int, int]:
        """Level -> how many answers are in it, placed or not."""
        return dict(sorted(Counter(a.level for a in self.answers).items()))

    @cached_property
    def level_only(self) -> dict[int, int]:
        """Level -> how many named only the level."""
        return dict(sorted(Counter(a.level for a in self.answers if not a.exact).items()))

    @cached_property
    def places(self) -> dict[int, int]:
        """Place -> how many chose exactly that place."""
        return dict(sorted(Counter(a.place for a in self.answers if a.exact).items()))

    @cached_property
    def spread(self) -> Spread | None:
        """The places' spread, only when every answer is a place (a level has no place to spread)."""
        if not self.all_exact:
            return None
        return Spread.of([a.place for a in self.answers], self.positions)

    @property
    def middle_place(self) -> int | None:
        return self.spread.median if self.spread is not None else None

    @property
    def middle_level(self) -> int | None:
        if not self.answers:
            return None
        return _lower_middle(sorted(a.level for a in self.answers))

    @property
    def lowest_level(self) -> int | None:
        return min(self.by_level) if self.answers else None

    @property
    def highest_level(self) -> int | None:
        return max(self.by_level) if self.answers else None

    @property
    def wide(self) -> bool:
        """Views far apart: the spread's rule for places; for levels, three levels or two apart."""
        if not self.answers:
            return False
        if self.spread is not None:
            return self.spread.wide
        return len(self.by_level) >= WIDE_LEVELS or self.highest_level - self.lowest_level >= 2


def figures_of(answers: Iterable[Answer], positions: int = POSITIONS_PER_LEVEL) -> AnswerFigures:
    return AnswerFigures(tuple(sorted(answers, key=lambda a: a.sort_key)), positions)


@dataclass(frozen=True)
class Change:
    """How the middle moved between two check-ins: in places when both sides gave only places, else in levels."""

    in_places: bool
    before: int
    after: int

    @property
    def steps(self) -> int:
        return self.after - self.before


def change_between(before: AnswerFigures, after: AnswerFigures) -> Change | None:
    """None unless both sides have enough answers to show (a middle of one or two gives people away)."""
    if not (before.showable and after.showable):
        return None
    if before.middle_place is not None and after.middle_place is not None:
        return Change(True, before.middle_place, after.middle_place)
    return Change(False, before.middle_level, after.middle_level)
