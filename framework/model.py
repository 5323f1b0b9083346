"""The shapes of a framework: stages, the bead scale, themes and elements."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator


class Stage(StrEnum):
    """The Pizazz stages a team walks through for each element, in their usual order."""

    ASSESSMENT = "assessment"
    EVIDENCE = "evidence"
    HINDERING = "hindering"
    HELPING = "helping"
    ACTION_PLAN = "action_plan"
    REVIEW = "review"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

LEVELS = 4
POSITIONS = 5

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Questions = Annotated[list[Text], Field(min_length=2, max_length=4)]


class _Strict(BaseModel):
    # A typo in a hand-edited YAML file should be reported, never silently ignored.
    model_config = ConfigDict(extra="forbid", defer_build=True)


def lookup_key(text: str) -> str:
    """Folds case, hyphens and spacing so 'Culture of enquiry' finds 'culture-of-enquiry'."""
    return re.sub(r"[\s_-]+", " ", text).strip().casefold()


class Level(_Strict):
    number: Annotated[int, Field(ge=1, le=LEVELS)]
    label: Text
    guidance: Text


class Scale(_Strict):
    """The PIE Abacus: 4 levels of 5 positions, a bead on one of 20 places (index 1-20)."""

    levels: list[Level]
    positions: int = POSITIONS

    @model_validator(mode="after")
    def _four_by_five(self) -> Scale:
        problem = scale_shape_problem(len(self.levels), self.positions, [lv.number for lv in self.levels])
        if problem:
            raise ValueError(problem)
        return self

    @property
    def size(self) -> int:
        return len(self.levels) * self.positions

    def index(self, level: int, position: int) -> int:
        _require_int("level", level, 1, len(self.levels))
        _require_int("position", position, 1, self.positions)
        return (level - 1) * self.positions + position

    def split(self, index: int) -> tuple[int, int]:
        _require_int("index", index, 1, self.size)
        return (index - 1) // self.positions + 1, (index - 1) % self.positions + 1

    def level_of(self, index: int) -> Level:
        return self.levels[self.split(index)[0] - 1]


def scale_shape_problem(n_levels: int, positions: object, numbers: list[object]) -> str | None:
    if n_levels != LEVELS or positions != POSITIONS:
        return (
            f"the scale must be {LEVELS} levels × {POSITIONS} positions, "
            f"found {n_levels} levels × {positions} positions"
        )
    if numbers != list(range(1, LEVELS + 1)):
        return f"levels must be numbered 1 to {LEVELS} in order, found {numbers}"
    return None


def _require_int(what: str, value: object, low: int, high: int) -> None:
    # bool is an int in Python, but True is never a sensible bead position.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}")


class Element(_Strict):
    id: Slug
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    description: Text
    questions: dict[Stage, Questions]
    # Filled in from the enclosing theme, so files need not repeat it.
    theme_id: str = ""
    written_in: bool = False
    # Only a short-form theme thread has these: the canonical elements it splits into.
    drills_into: list[Slug] = Field(default_factory=list)

    @property
    def canonical(self) -> bool:
        """Canonical elements are comparable across teams; written-in ones are the team's own."""
        return not self.written_in

    def lookup_keys(self) -> set[str]:
        return {lookup_key(k) for k in (self.id, self.name, *self.aliases)}


class Theme(_Strict):
    id: Slug
    name: Text
    description: Text
    elements: Annotated[list[Element], Field(min_length=1)]
    written_in: bool = False
    # Optional: used when a written-in theme is shown as one thread in the short form.
    questions: dict[Stage, Questions] | None = None

    @model_validator(mode="after")
    def _own_elements(self) -> Theme:
        for element in self.elements:
            element.theme_id = self.id
        return self


class UnknownName(KeyError):
    """A KeyError whose message reads well when shown to a person."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Framework(_Strict):
    kind: Literal["framework"] = "framework"
    id: Slug
    name: Text
    note: str = ""
    # Declares that this file must list exactly the same theme and element ids as another variant,
    # so the two can be shown side by side.
    mirrors: Slug | None = None
    scale: Scale
    themes: Annotated[list[Theme], Field(min_length=1)]

    # Set by the loader: the full PIEs 2.0 with this team's customisation, for drilling into a short form.
    _full_form: Callable[[], Framework] | None = PrivateAttr(default=None)

    @property
    def elements(self) -> list[Element]:
        return [element for theme in self.themes for element in theme.elements]

    def element(self, id_or_alias: str) -> Element:
        key = lookup_key(id_or_alias)
        for element in self.elements:
            if key in element.lookup_keys():
                return element
        known = ", ".join(e.id for e in self.elements)
        raise UnknownName(f"There is no element called {id_or_alias!r} in {self.name}. Known: {known}.")

    def theme(self, theme_id: str) -> Theme:
        key = lookup_key(theme_id)
        for theme in self.themes:
            if key in (lookup_key(theme.id), lookup_key(theme.name)):
                return theme
        known = ", ".join(t.id for t in self.themes)
        raise UnknownName(f"There is no theme called {theme_id!r} in {self.name}. Known: {known}.")

    def theme_of(self, element_id: str) -> Theme:
        return self.theme(self.element(element_id).theme_id)

    def questions(self, element_id: str, stage: Stage | str) -> list[str]:
        try:
            stage = Stage(stage)
        except ValueError:
            stages = ", ".join(STAGE_ORDER)
            raise ValueError(f"unknown stage {stage!r}; stages are {stages}") from None
        return list(self.element(element_id).questions[stage])

    def drill_down(self, theme_id: str) -> Framework:
        """The elements behind one theme, to rate separately.

        A short-form thread drills into the full PIEs 2.0 elements it names (with this team's
        customisation still applied); a theme that is already split into elements returns itself.
        """
        theme = self.theme(theme_id)
        targets = [i for element in theme.elements for i in element.drills_into]
        if not targets:
            return self._only([theme], f"{self.name} — {theme.name}", self.id)

        if self._full_form is None:
            raise ValueError(f"{self.name} was not made by the loader, so it cannot drill into {theme_id!r}")
        full = self._full_form()
        wanted = set(targets)
        themes = []
        for source in full.themes:
            kept = [e for e in source.elements if e.id in wanted]
            if kept:
                themes.append(source.model_copy(update={"elements": kept}))
        return full._only(themes, f"{full.name} — {theme.name}", full.id)

    def _only(self, themes: list[Theme], name: str, framework_id: str) -> Framework:
        # model_copy does not deep-copy the update, and the cached base framework must stay untouched.
        copies = [theme.model_copy(deep=True) for theme in themes]
        part = self.model_copy(update={"id": framework_id, "name": name, "themes": copies}, deep=True)
        part._full_form = self._full_form
        return part
