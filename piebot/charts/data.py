"""Plain inputs and outputs of the charts layer.

Storage and the Telegram adapter convert their rows into these; nothing here knows about either.
Ratings are PIE scale indexes 1..20 (4 levels x 5 positions); a check-in's beads are
conversations.checkin_figures.Answer values, since a bead tapped in the group names only a level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

from conversations.checkin_figures import Answer, AnswerFigures, figures_of
from conversations.relationships import ThreadCount, ThreadItem
from conversations.texts.charts import DEFAULT_LEVEL_LABELS, place_words

SCALE_PLACES = 20
POSITIONS_PER_LEVEL = 5


def level_of(index: int) -> int:
    return (index - 1) // POSITIONS_PER_LEVEL + 1


def position_of(index: int) -> int:
    return (index - 1) % POSITIONS_PER_LEVEL + 1


@dataclass(frozen=True)
class ActionRow:
    text: str
    theme_name: str
    owner: str | None
    due: date | None
    status: str  # "overdue" | "open" | "still_on" | "done" | "dropped" (overdue: still open, past its date)
    success_measure: str | None = None
    element_name: str | None = None
    done_on: date | None = None
    reason: str | None = None  # why it was dropped
    owner_hidden: bool = False  # agreed in an anonymous round or check-in: its owner is left out


@dataclass(frozen=True)
class ElementResult:
    element_id: str
    element_name: str
    theme_name: str
    written_in: bool
    # (member display name, or None when the round is anonymous; index 1..20)
    ratings: list[tuple[str | None, int]]
    team_view: int | None
    previous_team_view: int | None = None
    evidence: list[str] = field(default_factory=list)
    hinders: list[str] = field(default_factory=list)
    helps: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # looking back on an element the team looked at before


@dataclass(frozen=True)
class RoundResult:
    round_id: int
    team_name: str
    closed_on: date | None
    anonymous: bool
    level_labels: list[str]
    elements: list[ElementResult]
    actions: list[ActionRow] = field(default_factory=list)
    peer_comments: list[str] = field(default_factory=list)
    # Actions agreed before this round and followed since: still open, or settled since the last round.
    earlier_actions: list[ActionRow] = field(default_factory=list)
    # The relationships thread: this round's items about relationships, and their count round by round.
    relationships: list[ThreadItem] = field(default_factory=list)
    relationship_counts: list[ThreadCount] = field(default_factory=list)

    def place(self, index: int) -> str:
        """'Getting there — near the top', in the team's own words for the levels (plain text)."""
        return place_words(list(self.level_labels), index)

    @property
    def answered(self) -> int:
        """How many people took part: distinct names, or the most answers any element got if anonymous."""
        names = {n for e in self.elements for n, _ in e.ratings if n is not None}
        most = max((len(e.ratings) for e in self.elements), default=0)
        return max(len(names), most)


def same_elements(before: RoundResult, after: RoundResult) -> RoundResult:
    """The earlier round cut to the later round's elements: a round on one element is compared on that one,
    not listed against the eighteen it did not cover."""
    kept = {e.element_id for e in after.elements}
    return replace(before, elements=[e for e in before.elements if e.element_id in kept])


@dataclass(frozen=True)
class CheckInPoint:
    """One check-in: each bead as it was given (a level named, or a place chosen), or a missed slot."""

    on: date
    answers: tuple[Answer, ...] = ()
    missed: bool = False

    @cached_property
    def figures(self) -> AnswerFigures:
        return figures_of(self.answers)

    @property
    def answered(self) -> int:
        return 0 if self.missed else len(self.answers)


@dataclass(frozen=True)
class CheckInSeries:
    """Check-ins on one element, for the CSV export, with the team's names for the levels."""

    element_name: str
    points: list[CheckInPoint]
    level_labels: list[str] = field(default_factory=lambda: list(DEFAULT_LEVEL_LABELS))


@dataclass(frozen=True)
class Chart:
    """A picture, its caption (a line or two a person reads under it) and its details (every figure in
    words, for /chart's "details" button and the PDF)."""

    kind: str
    png: bytes
    caption: str
    width_px: int
    height_px: int
    details: str = ""


class NothingToChart(ValueError):
    """There is nothing to draw yet. str(exc) is a kind, plain message to send as text instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
