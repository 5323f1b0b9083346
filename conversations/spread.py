"""How far apart a team's individual views are, so disagreement becomes a prompt for discussion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Fewer than three views cannot be shown as a spread without giving away who said what: with two
# people, each can work out the other's view from their own.
MIN_ANSWERS_FOR_SPREAD = 3

# A bead snaps to one of 20 places: 4 levels of 5 positions.
POSITIONS_PER_LEVEL = 5

# Views differ "widely" when they are 8 or more places apart (more than a level and a half: people
# would describe the service in different words, not just nudge a bead within a level), or when they
# fall into three or more different levels. Neighbouring views either side of a level boundary
# (9, 10, 11) are ordinary variation and do not count. One person far from the rest does count:
# their view is exactly the one worth hearing.
WIDE_RANGE = 8
WIDE_LEVELS = 3


def _median_place(ordered: Sequence[int]) -> int:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    # Any place between the two middle views is a true median; take the midpoint, and when it falls
    # between two places take the lower one, so a suggested team view never claims more than the team
    # does. At least half the views sit at or above it, and the team can move it up in discussion.
    return (ordered[middle - 1] + ordered[middle]) // 2


def _quartiles(ordered: Sequence[int]) -> tuple[float, float]:
    # Tukey's hinges: medians of the lower and upper halves (the middle view, if any, in both).
    # Simple to explain, and stable for the small numbers a staff team gives.
    half = (len(ordered) + 1) // 2
    lower, upper = ordered[:half], ordered[len(ordered) - half :]

    def mid(values: Sequence[int]) -> float:
        m = len(values) // 2
        return float(values[m]) if len(values) % 2 else (values[m - 1] + values[m]) / 2

    return mid(lower), mid(upper)


@dataclass(frozen=True)
class Spread:
    n: int
    median: int
    low: int
    high: int
    iqr: float
    wide: bool

    @property
    def range(self) -> int:
        return self.high - self.low

    @classmethod
    def of(cls, values: Sequence[int], positions_per_level: int = POSITIONS_PER_LEVEL) -> Spread:
        if not values:
            raise ValueError("a spread needs at least one view")
        ordered = sorted(values)
        q1, q3 = _quartiles(ordered)
        levels = {(v - 1) // positions_per_level for v in ordered}
        low, high = ordered[0], ordered[-1]
        wide = high - low >= WIDE_RANGE or len(levels) >= WIDE_LEVELS
        return cls(n=len(ordered), median=_median_place(ordered), low=low, high=high, iqr=q3 - q1, wide=wide)

    @property
    def showable(self) -> bool:
        return self.n >= MIN_ANSWERS_FOR_SPREAD


def ordered_by_disagreement(spreads: Mapping[str, Spread]) -> list[tuple[str, Spread]]:
    """Elements with enough views, most disagreement first; ties keep the order they came in."""
    showable = [(key, spread) for key, spread in spreads.items() if spread.showable]
    return sorted(showable, key=lambda item: (not item[1].wide, -item[1].range, -item[1].iqr))
