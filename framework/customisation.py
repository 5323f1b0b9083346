"""A team's own adjustments to a framework: its own themes, its own words, elements it leaves out."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from framework.model import LEVELS, Element, Framework, Level, Text, Theme, _Strict

LevelNumber = Annotated[int, Field(ge=1, le=LEVELS)]



class Customisation(_Strict):
    kind: Literal["customisation"] = "customisation"
    note: str = ""
    written_in_themes: list[Theme] = Field(default_factory=list)
    level_labels: dict[LevelNumber, Text] = Field(default_factory=dict)
    level_guidance: dict[LevelNumber, Text] = Field(default_factory=dict)
    # element or theme id -> the team's own name for it
    renamed: dict[str, Text] = Field(default_factory=dict)
    # element or theme ids the team leaves out
    hidden: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mark_written_in(self) -> Customisation:
        # Written-in items must never slip into comparisons with other teams, whatever the file says.
        for theme in self.written_in_themes:
            theme.written_in = True
            for element in theme.elements:
                element.written_in = True
        return self

    def apply(self, base: Framework, *, append_themes: bool = True, as_threads: bool = False) -> Framework:
        """A customised copy of `base`; `base` itself is left alone because it is shared and cached.

        `as_threads` appends each written-in theme as a single thread that drills into its elements,
        the way the short form shows the canonical themes.
        """
        framework = base.model_copy(deep=True)
        framework.scale = framework.scale.model_copy(
            update={"levels": [self._level(level) for level in framework.scale.levels]}
        )
        if append_themes:
            for theme in self.written_in_themes:
                own = theme.model_copy(deep=True)
                framework.themes.append(_as_thread(own) if as_threads else own)

        hidden = set(self.hidden)
        themes = []
        for theme in framework.themes:
            if theme.id in hidden:
                continue
            kept = [e for e in theme.elements if e.id not in hidden and not _all_hidden(e, hidden)]
            for element in kept:
                element.drills_into = [i for i in element.drills_into if i not in hidden]
                self._rename(element)
            if kept:
                if theme.id in self.renamed:
                    theme.name = self.renamed[theme.id]
                theme.elements = kept
                themes.append(theme)
        framework.themes = themes
        return framework

    def _level(self, level: Level) -> Level:
        return level.model_copy(
            update={
                "label": self.level_labels.get(level.number, level.label),
                "guidance": self.level_guidance.get(level.number, level.guidance),
            }
        )

    def _rename(self, element: Element) -> None:
        new = self.renamed.get(element.id)
        if new and new != element.name:
            # People who learnt the old name can still find the element by it.
            element.aliases = [element.name, *element.aliases]
            element.name = new


def _all_hidden(element: Element, hidden: set[str]) -> bool:
    return bool(element.drills_into) and all(i in hidden for i in element.drills_into)


def _as_thread(theme: Theme) -> Theme:
    # Without the team's own thread questions, the opening question of each element covers the
    # theme without inventing words the team did not write.
    questions = dict(theme.questions or {})
    for stage in theme.elements[0].questions:
        if stage in questions:
            continue
        firsts = [e.questions[stage][0] for e in theme.elements[:4]]
        questions[stage] = firsts if len(firsts) >= 2 else theme.elements[0].questions[stage]
    thread = Element(
        id=theme.id,
        name=theme.name,
        description=theme.description,
        questions=questions,
        written_in=True,
        drills_into=[e.id for e in theme.elements],
    )
    return Theme(id=theme.id, name=theme.name, description=theme.description, elements=[thread], written_in=True)
