"""The relationships thread: what a team wrote about relationships, gathered from every element.

Relationships are not one area among others: the evidence that a service makes them central lies in
what its team writes about every other element. So any evidence, hinders or helps item can be marked
"about relationships", and the thread gathers the marked items of a round, element by element, with
their count round after round.

The thread names nobody and counts items and elements, never people: a count per person could single
someone out, and items of anonymous rounds carry no one's name to begin with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The stages whose items can be about relationships: what is happening, what hinders, what helps.
THREAD_STAGES = ("evidence", "hindering", "helping")


@dataclass(frozen=True)
class ThreadItem:
    element_id: str
    element_name: str
    stage: str  # one of THREAD_STAGES
    text: str


@dataclass(frozen=True)
class ThreadCount:
    """How many items were about relationships in one round, and in how many elements."""

    round_id: int
    closed_on: date | None  # None while the round is open
    items: int
    elements: int


@dataclass(frozen=True)
class RelationshipsThread:
    round_id: int
    closed_on: date | None
    items: list[ThreadItem]  # in the round's element order, then as written
    counts: list[ThreadCount] = field(default_factory=list)  # oldest first; this round last
    held_back: int = 0  # items given privately and left out (a report leaves the team)

    @property
    def element_names(self) -> list[str]:
        names: list[str] = []
        for item in self.items:
            if item.element_name not in names:
                names.append(item.element_name)
        return names

    def by_element(self) -> list[tuple[str, list[ThreadItem]]]:
        grouped: dict[str, list[ThreadItem]] = {}
        for item in self.items:
            grouped.setdefault(item.element_name, []).append(item)
        return list(grouped.items())
