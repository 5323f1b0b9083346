"""Plain inputs of the network overview: many teams' latest views side by side, in one shared language.

Storage fills these (see `piebot.storage.network_overview`); the charts and the PDF read them.
Teams appear only under their label: their name, or an alias like "Team K" when they chose to stay
anonymous. Nothing here ever holds a member's name.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from conversations.checkin_figures import Answer, figures_of

# An element's individual views are only shown once this many people answered, so no one's bead can be
# picked out (the same rule as the team's own spread chart).
MIN_ANSWERS = 3
# The two elements about the gaps and barriers that no single service controls.
SYSTEM_ELEMENTS = ("pathways", "sector-engagement")


@dataclass(frozen=True)
class TeamView:
    """One team's latest agreed view (Level One) of one element, and the individual views behind it."""

    team: str
    value: int  # 1..20
    previous: int | None = None  # the team view the time before, if the element was rated before
    # Level Two: every member's own view in that round, without names, and only if MIN_ANSWERS answered.
    individual: tuple[int, ...] = ()
    individual_hidden: bool = False  # some answered, but fewer than MIN_ANSWERS


@dataclass(frozen=True)
class ServiceUserView:
    """The people a team serves, as entered by a scribe: shared only with the team's permission."""

    team: str
    middle: float
    people: int


@dataclass(frozen=True)
class ElementRow:
    element_id: str
    element_name: str
    theme_name: str
    views: list[TeamView] = field(default_factory=list)  # in the overview's team order
    service_users: list[ServiceUserView] = field(default_factory=list)

    @property
    def values(self) -> list[int]:
        return [v.value for v in self.views]

    @property
    def individual(self) -> list[int]:
        return [x for v in self.views for x in v.individual]

    @property
    def spread(self) -> int:
        """Places between the lowest and the highest team view (0 with fewer than two teams)."""
        values = self.values
        return max(values) - min(values) if len(values) >= 2 else 0

    @property
    def middle(self) -> float | None:
        return statistics.median(self.values) if self.values else None


@dataclass(frozen=True)
class TeamDistance:
    """How far one team has moved since the time before, element by element (never a score to rank)."""

    team: str
    compared: int = 0  # elements with a team view now and the time before
    up: int = 0
    held: int = 0
    down: int = 0
    places: int = 0  # the sum of the moves, in places on the scale (down counts negative)
    rated: int = 0  # elements with a team view now

    @property
    def starting(self) -> bool:
        """Only one round so far: a starting point, not a distance."""
        return self.compared == 0


@dataclass(frozen=True)
class CheckInMiddle:
    """One check-in of a team: its beads as given (a level named in the group, or a place chosen)."""

    on: date
    answers: tuple[Answer, ...] = ()

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def middle(self) -> float | None:
        """The middle place, only when everyone chose a place and at least three answered (the rule of
        three); None otherwise (see `middle_level`)."""
        if len(self.answers) < MIN_ANSWERS or not all(a.exact for a in self.answers):
            return None
        return statistics.median(a.place for a in self.answers)

    @property
    def middle_level(self) -> int | None:
        return figures_of(self.answers).middle_level if len(self.answers) >= MIN_ANSWERS else None


@dataclass(frozen=True)
class TeamCheckIns:
    team: str
    points: list[CheckInMiddle]  # oldest first

    @property
    def answered_points(self) -> list[CheckInMiddle]:
        """The check-ins that can be shown: at least three answered (the rule of three)."""
        return [p for p in self.points if p.answered >= MIN_ANSWERS]


@dataclass(frozen=True)
class Hindrance:
    """Something a team said gets in the way (the diagnosis stage)."""

    team: str
    element_id: str
    element_name: str
    text: str


@dataclass(frozen=True)
class SharedAction:
    """An open action that a team cannot finish alone."""

    team: str
    element_id: str | None
    element_name: str
    text: str
    due: date | None
    depends_on_others: bool


@dataclass(frozen=True)
class NetworkOverview:
    network_name: str
    made_on: date
    level_labels: list[str]
    teams: list[str]  # labels of the compared teams, by name or alias, never by score
    anonymous_teams: int
    elements: list[ElementRow]  # every canonical element, in the framework's order
    distances: list[TeamDistance]
    checkins: list[TeamCheckIns]
    hinders: list[Hindrance]
    actions: list[SharedAction]
    # Teams on another template (e.g. the coffee break): named here, left out of every comparison.
    other_templates: list[str] = field(default_factory=list)
    # Teams that wrote in elements of their own: those elements are left out of comparisons.
    with_own_elements: int = 0
    service_user_teams: int = 0  # teams whose service users' views are shared with the network
    # Teams that joined under an alias and wait to appear with others (piebot.storage.network_overview).
    waiting_anonymous: int = 0
    # The rounds the overview drew on: their results have left their teams once it is sent.
    round_ids: tuple[int, ...] = ()

    @property
    def rated_elements(self) -> list[ElementRow]:
        return [e for e in self.elements if e.views]

    def element(self, element_id: str) -> ElementRow:
        for row in self.elements:
            if row.element_id == element_id:
                return row
        raise KeyError(element_id)
