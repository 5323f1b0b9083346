"""The rules of a Pizazz round: which elements, which stages in which order, when views may be shared,
the team view, distance travelled, and the two ways through a round (live in the group, or each
person in their own time in a private chat)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from conversations.errors import NotAllowed
from conversations.spread import MIN_ANSWERS_FOR_SPREAD, Spread
from conversations.texts import refusals
from framework import Framework, Stage

# ---------------------------------------------------------------- which elements


class ScopeKind(StrEnum):
    ALL = "all"
    THEME = "theme"
    ELEMENT = "element"
    REVIEW = "review"  # the elements looked at last time or with actions open (the review reminder's round)


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind = ScopeKind.ALL
    ref: str | None = None  # a theme id for THEME, an element id for ELEMENT


def element_ids(framework: Framework, scope: Scope) -> list[str]:
    """The elements a round covers, in the framework's own order."""
    if scope.kind is ScopeKind.ALL:
        return [e.id for e in framework.elements]
    if scope.kind is ScopeKind.REVIEW:
        raise ValueError("a review round's elements come from what the team looked at before")
    if scope.ref is None:
        raise ValueError(f"a {scope.kind} scope needs to say which one")
    if scope.kind is ScopeKind.THEME:
        theme_id = framework.theme(scope.ref).id
        return [e.id for e in framework.elements if e.theme_id == theme_id]
    return [framework.element(scope.ref).id]


# ---------------------------------------------------------------- stages and sharing


def stages(strengths_first: bool = False) -> list[Stage]:
    """The stages after each person's rating. Strengths first asks what helps before what hinders:
    some teams find it easier to name problems once they have named what is going well."""
    middle = [Stage.HELPING, Stage.HINDERING] if strengths_first else [Stage.HINDERING, Stage.HELPING]
    return [Stage.EVIDENCE, *middle, Stage.ACTION_PLAN]


def ratings_needed(members: int) -> int:
    """Views must stay private until enough are in that none can be traced to one person.
    A team smaller than that shares once everyone has rated."""
    return max(1, min(MIN_ANSWERS_FOR_SPREAD, members))


def can_reveal(rated: int, members: int) -> bool:
    return members > 0 and rated >= ratings_needed(members)


def proposed_team_view(values: Sequence[int]) -> int | None:
    """The middle view, offered as a starting point: the team agrees its own view after talking."""
    return Spread.of(values).median if values else None


def shared_middle(values: Sequence[int]) -> int | None:
    """The middle view to offer as the team view, only once it can't be traced to anyone."""
    return proposed_team_view(values) if len(values) >= MIN_ANSWERS_FOR_SPREAD else None


# ---------------------------------------------------------------- distance travelled


@dataclass(frozen=True)
class Distance:
    """How far a team view has moved since an earlier round. Not a grade: where we are now.

    Said in words by conversations.texts.scale.move ("up a level"), never as a number of places."""

    before: int | None
    now: int | None

    @property
    def places(self) -> int | None:
        if self.before is None or self.now is None:
            return None
        return self.now - self.before


def distance_travelled(now: Mapping[str, int], earlier: Mapping[str, int]) -> dict[str, Distance]:
    """Per element of this round, its team view against the earlier round's (if it had one)."""
    return {element_id: Distance(earlier.get(element_id), view) for element_id, view in now.items()}


# ---------------------------------------------------------------- async: one person, private chat

RATING = Stage.ASSESSMENT


@dataclass(frozen=True)
class WalkStep:
    element_id: str
    element_index: int  # 0-based
    elements: int
    step: Stage

    @property
    def is_rating(self) -> bool:
        return self.step is RATING

    @property
    def is_review(self) -> bool:
        return self.step is Stage.REVIEW


class AsyncWalk:
    """One member's way through a round, at their own pace, in their private chat.

    For each element: rate, then evidence, hindering, helping and an action idea; an element the team
    has looked at before opens with the review (`reviewed`). Every step can be skipped. Progress is a
    small dict the adapter stores as JSON, so a walk resumes exactly where the
    person left it, days later, on any worker.
    """

    def __init__(
        self,
        element_ids: Sequence[str],
        strengths_first: bool = False,
        progress: Mapping[str, Any] | None = None,
        reviewed: Sequence[str] = (),
    ) -> None:
        if not element_ids:
            raise ValueError("a walk needs at least one element")
        self.element_ids = list(element_ids)
        self.reviewed = frozenset(reviewed)
        self._stages = [RATING, *stages(strengths_first)]
        self.element_index = 0
        self.step_index = 0
        if progress:
            self._resume(progress)

    @property
    def steps(self) -> list[Stage]:
        """The current element's steps: the review first when the team has looked at it before."""
        return self.steps_of(self.element_index)

    def steps_of(self, element_index: int) -> list[Stage]:
        if 0 <= element_index < len(self.element_ids) and self.element_ids[element_index] in self.reviewed:
            return [Stage.REVIEW, *self._stages]
        return list(self._stages)

    def _resume(self, progress: Mapping[str, Any]) -> None:
        # A stored dict may come from an older round layout or a hand-fixed row. Read what can be
        # trusted and fall back to the start of the element rather than lose the person's place.
        if progress.get("step") == "done":
            self.element_index = len(self.element_ids)
            return
        index = progress.get("element_index", 0)
        element_id = progress.get("element_id")
        if element_id in self.element_ids:
            index = self.element_ids.index(element_id)
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            index = 0
        self.element_index = min(index, len(self.element_ids))
        try:
            self.step_index = self.steps.index(Stage(progress.get("step", self.steps[0])))
        except ValueError:
            self.step_index = 0

    @property
    def done(self) -> bool:
        return self.element_index >= len(self.element_ids)

    def current(self) -> WalkStep | None:
        if self.done:
            return None
        return WalkStep(
            element_id=self.element_ids[self.element_index],
            element_index=self.element_index,
            elements=len(self.element_ids),
            step=self.steps[self.step_index],
        )

    def advance(self, answered: bool = True) -> WalkStep | None:
        """Move on after an answer or a skip; both go the same way, so skipping never blocks anyone.
        (`answered` is for the caller's records; the path does not depend on it.)"""
        if self.done:
            raise NotAllowed(refusals.WALK_FINISHED)
        self.step_index += 1
        if self.step_index >= len(self.steps):
            self.step_index = 0
            self.element_index += 1
        return self.current()

    def skip_element(self) -> WalkStep | None:
        if self.done:
            raise NotAllowed(refusals.WALK_FINISHED)
        self.step_index = 0
        self.element_index += 1
        return self.current()

    def back(self) -> WalkStep | None:
        if self.element_index == 0 and self.step_index == 0:
            raise NotAllowed(refusals.NOTHING_BEFORE_FIRST)
        if self.done:
            self.element_index = len(self.element_ids) - 1
            self.step_index = len(self.steps) - 1
        elif self.step_index > 0:
            self.step_index -= 1
        else:
            self.element_index -= 1
            self.step_index = len(self.steps) - 1
        return self.current()

    @property
    def elements_left(self) -> int:
        return max(0, len(self.element_ids) - self.element_index)

    def progress(self) -> dict[str, Any]:
        if self.done:
            return {"element_index": len(self.element_ids), "step": "done"}
        return {
            "element_index": self.element_index,
            "element_id": self.element_ids[self.element_index],
            "step": str(self.steps[self.step_index]),
        }


# ---------------------------------------------------------------- live: the whole team, in the group


class Phase(StrEnum):
    REVIEW = "review"  # an element looked at before: what was agreed then, what happened since
    RATING = "rating"  # people are placing beads; nobody sees anyone else's
    REVEALED = "revealed"  # the views are shared; the team talks about them
    TEAM_VIEW_SET = "team_view_set"
    STAGE = "stage"  # one Pizazz stage at a time: see LiveRound.stage
    CLOSED = "closed"  # this element is done


@dataclass
class LiveRound:
    """Where a live session is: which element, which phase, which stage.

    Only the facilitator moves it on. Each move checks it makes sense now and raises NotAllowed with a
    kind, plain reason otherwise, so a stray or repeated button press changes nothing.
    """

    element_ids: list[str]
    strengths_first: bool = False
    element_index: int = 0
    phase: Phase = Phase.RATING
    stage_index: int = 0
    team_view: int | None = None
    paused: bool = False
    finished: bool = False
    # element id -> agreed team view, kept when moving on so the summary has every element.
    team_views: dict[str, int] = field(default_factory=dict)
    # Elements the team agreed a view on in an earlier round: each opens with the review.
    reviewed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.element_ids:
            raise ValueError("a round needs at least one element")

    # -- where we are

    @property
    def element_id(self) -> str:
        return self.element_ids[self.element_index]

    @property
    def stages(self) -> list[Stage]:
        return stages(self.strengths_first)

    @property
    def stage(self) -> Stage | None:
        if self.phase is Phase.REVIEW:
            return Stage.REVIEW
        return self.stages[self.stage_index] if self.phase is Phase.STAGE else None

    @property
    def reviewing(self) -> bool:
        """Whether the current element is one looked at before (it opened with the review)."""
        return self.element_id in self.reviewed

    def opening_phase(self) -> Phase:
        return Phase.REVIEW if self.reviewing else Phase.RATING

    @property
    def last_element(self) -> bool:
        return self.element_index == len(self.element_ids) - 1

    def _check_moving(self) -> None:
        if self.finished:
            raise NotAllowed(refusals.ROUND_FINISHED)
        if self.paused:
            raise NotAllowed(refusals.SESSION_PAUSED)

    # -- what members may do

    def check_can_rate(self, element_id: str) -> None:
        """Ratings count only while the element is open for them and before anyone has seen the
        others: a view given after the reveal is no longer the person's own first view."""
        self._check_moving()
        if element_id == self.element_id and self.phase is Phase.REVIEW:
            raise NotAllowed(refusals.LOOKING_BACK_FIRST)
        if element_id != self.element_id or self.phase is not Phase.RATING:
            raise NotAllowed(refusals.CLOSED)

    def check_can_answer(self, element_id: str, stage: Stage) -> None:
        """Replies to any stage already opened for the current element are welcome until the
        element closes: people type slowly, and a late reply is still worth keeping."""
        self._check_moving()
        if stage is Stage.REVIEW:
            # The review's question stays open while the element does: what changed often comes up later.
            if element_id != self.element_id or not self.reviewing or self.phase is Phase.CLOSED:
                raise NotAllowed(refusals.CLOSED)
            return
        if element_id != self.element_id or self.phase is not Phase.STAGE:
            raise NotAllowed(refusals.CLOSED)
        if stage not in self.stages[: self.stage_index + 1]:
            raise NotAllowed(refusals.NOT_YET_ASKED)

    # -- what the facilitator may do

    def reveal(self, rated: int, members: int) -> Phase:
        self._check_moving()
        if self.phase is not Phase.RATING:
            raise NotAllowed(refusals.ALREADY_SHARED)
        if not can_reveal(rated, members):
            needed = ratings_needed(members)
            raise NotAllowed(refusals.too_few_rated(rated, members, needed))
        self.phase = Phase.REVEALED
        return self.phase

    def set_team_view(self, index: int) -> Phase:
        self._check_moving()
        if self.phase in (Phase.REVIEW, Phase.RATING):
            raise NotAllowed(refusals.SHARE_THEN_AGREE)
        if self.phase not in (Phase.REVEALED, Phase.TEAM_VIEW_SET):
            raise NotAllowed(refusals.TEAM_VIEW_ALREADY_SET)
        self.team_view = index
        self.team_views[self.element_id] = index
        self.phase = Phase.TEAM_VIEW_SET
        return self.phase

    def next(self) -> Phase:
        """One step on: team view → each stage in turn → element closed → next element."""
        self._check_moving()
        if self.phase is Phase.REVIEW:
            self.phase = Phase.RATING
            return self.phase
        if self.phase is Phase.RATING:
            raise NotAllowed(refusals.SHARE_VIEWS_FIRST)
        if self.phase is Phase.REVEALED:
            raise NotAllowed(refusals.AGREE_TEAM_VIEW_FIRST)
        if self.phase is Phase.TEAM_VIEW_SET:
            self.phase, self.stage_index = Phase.STAGE, 0
        elif self.phase is Phase.STAGE:
            if self.stage_index + 1 < len(self.stages):
                self.stage_index += 1
            else:
                self.phase = Phase.CLOSED
        else:
            self._next_element()
        return self.phase

    def skip(self) -> Phase:
        """Leave this element for now and go to the next one, whatever phase it is in."""
        self._check_moving()
        self._next_element()
        return self.phase

    def _next_element(self) -> None:
        if self.last_element:
            self.phase = Phase.CLOSED
            self.finished = True
            return
        self.element_index += 1
        self.phase, self.stage_index, self.team_view = self.opening_phase(), 0, None

    def back(self) -> Phase:
        self._check_moving()
        if self.phase is Phase.STAGE:
            if self.stage_index > 0:
                self.stage_index -= 1
            else:
                self.phase = Phase.TEAM_VIEW_SET
        elif self.phase is Phase.TEAM_VIEW_SET:
            self.phase = Phase.REVEALED  # to change the team view; the old one stays until replaced
        elif self.phase is Phase.CLOSED:
            self.phase, self.stage_index = Phase.STAGE, len(self.stages) - 1
        elif self.phase is Phase.REVEALED:
            raise NotAllowed(refusals.CANNOT_UNSHARE)
        else:
            raise NotAllowed(refusals.NOTHING_BEFORE_ELEMENT)
        return self.phase

    def pause(self) -> None:
        if self.finished:
            raise NotAllowed(refusals.ROUND_FINISHED)
        if self.paused:
            raise NotAllowed(refusals.ALREADY_PAUSED)
        self.paused = True

    def resume(self) -> None:
        if self.finished:
            raise NotAllowed(refusals.ROUND_FINISHED)
        if not self.paused:
            raise NotAllowed(refusals.NOT_PAUSED)
        self.paused = False

    def close(self) -> None:
        """End the round now; elements not reached simply have no team view."""
        if self.finished:
            raise NotAllowed(refusals.ROUND_FINISHED)
        self.finished, self.paused, self.phase = True, False, Phase.CLOSED

    # -- storage as plain JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "element_ids": list(self.element_ids),
            "strengths_first": self.strengths_first,
            "element_index": self.element_index,
            "phase": str(self.phase),
            "stage_index": self.stage_index,
            "team_view": self.team_view,
            "paused": self.paused,
            "finished": self.finished,
            "team_views": dict(self.team_views),
            "reviewed": sorted(self.reviewed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LiveRound:
        return cls(
            element_ids=list(data["element_ids"]),
            strengths_first=bool(data.get("strengths_first", False)),
            element_index=int(data.get("element_index", 0)),
            phase=Phase(data.get("phase", Phase.RATING)),
            stage_index=int(data.get("stage_index", 0)),
            team_view=data.get("team_view"),
            paused=bool(data.get("paused", False)),
            finished=bool(data.get("finished", False)),
            team_views={str(k): int(v) for k, v in dict(data.get("team_views", {})).items()},
            reviewed=frozenset(str(e) for e in data.get("reviewed", ())),
        )


# ---------------------------------------------------------------- nudges

NUDGE_EVERY = timedelta(days=1)


def nudge_due(last_nudged: datetime | None, now: datetime, finished: bool, closes_at: datetime) -> bool:
    """At most one gentle nudge a day, and none to people who have finished or once a round closes:
    more would feel like chasing, and people who work shifts answer when they can."""
    if finished or now >= closes_at:
        return False
    return last_nudged is None or now - last_nudged >= NUDGE_EVERY
