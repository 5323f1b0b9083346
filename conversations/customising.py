"""Changing a team's framework in the chat: its level names and their guidance, which elements show, and
themes of its own. Every change is made to a draft (a plain dict in the shape of framework.Customisation)
and checked before it is kept; nothing reaches the team until it is saved.

A change that can't be used raises `NotUsable` with a kind sentence for the person, and leaves the draft
as it was. Written-in themes and elements are always marked as the team's own (framework.Customisation
does that whatever the draft says), so they stay out of comparisons with other teams.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from conversations.texts import customising as texts
from framework import Customisation, Framework, FrameworkError, Stage, example_relationships, load_framework
from framework.model import lookup_key

LABEL_LIMIT = 30
GUIDANCE_LIMIT = 200
NAME_LIMIT = 60
ABOUT_LIMIT = 160
QUESTION_LIMIT = 200
MIN_QUESTIONS, MAX_QUESTIONS = 2, 4
MAX_OWN_ELEMENTS = 6


class NotUsable(ValueError):
    """str(exc) is a kind sentence saying why, for the person who typed or pressed it."""


def empty_draft() -> dict:
    return Customisation().model_dump(mode="json", exclude={"kind"})


def draft_of(customisation: dict | None) -> dict:
    """A copy of the team's customisation to change freely; the team's own stays as it is."""
    draft = empty_draft()
    draft.update(copy.deepcopy(customisation or {}))
    draft.pop("kind", None)
    # JSON keeps level numbers as strings.
    for key in ("level_labels", "level_guidance"):
        draft[key] = {int(k): v for k, v in (draft.get(key) or {}).items()}
    return draft


def framework_with(variant: str, draft: dict) -> Framework:
    """The team's framework as the draft would make it; NotUsable when the framework refuses the draft."""
    try:
        return load_framework(variant, draft)
    except FrameworkError as error:
        raise NotUsable(texts.DOES_NOT_FIT) from error


def base_framework(variant: str) -> Framework:
    return load_framework(variant)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


# ---------------------------------------------------------------- level names and guidance


def rename_level(variant: str, draft: dict, level: int, reply: str) -> dict:
    """A new draft with level `level` renamed: the reply's first line is its name, the rest its guidance."""
    lines = [line.strip() for line in (reply or "").strip().splitlines() if line.strip()]
    if not lines:
        raise NotUsable(texts.LABEL_EMPTY)
    label, guidance = _one_line(lines[0]), _one_line(" ".join(lines[1:]))
    if len(label) > LABEL_LIMIT:
        raise NotUsable(texts.label_too_long(LABEL_LIMIT))
    if len(guidance) > GUIDANCE_LIMIT:
        raise NotUsable(texts.guidance_too_long(GUIDANCE_LIMIT))
    current = framework_with(variant, draft)
    for other in current.scale.levels:
        if other.number != level and lookup_key(other.label) == lookup_key(label):
            raise NotUsable(texts.label_taken(label, other.number))
    new = copy.deepcopy(draft)
    new["level_labels"][level] = label
    if guidance:
        new["level_guidance"][level] = guidance
    framework_with(variant, new)
    return new


def reset_levels(draft: dict) -> dict:
    new = copy.deepcopy(draft)
    new["level_labels"], new["level_guidance"] = {}, {}
    return new


# ---------------------------------------------------------------- hiding and showing elements


def elements_to_choose(variant: str, draft: dict) -> list[tuple[str, str, bool]]:
    """(id, name, hidden) of every element a team can hide or show: the variant's and its own."""
    shown = {e.id for e in framework_with(variant, draft).elements}
    everything = framework_with(variant, {**draft, "hidden": []})
    return [(e.id, e.name, e.id not in shown) for e in everything.elements]


def toggle_hidden(variant: str, draft: dict, element_id: str, in_use: set[str]) -> dict:
    """Hide a shown element or show a hidden one. The last element can't go, nor one a check-in or an open
    round is using (`in_use`)."""
    choices = {eid: (name, hidden) for eid, name, hidden in elements_to_choose(variant, draft)}
    if element_id not in choices:
        raise NotUsable(texts.NOT_AN_ELEMENT)
    name, hidden = choices[element_id]
    new = copy.deepcopy(draft)
    if hidden:
        new["hidden"] = [h for h in new["hidden"] if h != element_id]
    else:
        if element_id in in_use:
            raise NotUsable(texts.in_use(name))
        if sum(1 for _, hid in choices.values() if not hid) <= 1:
            raise NotUsable(texts.LAST_ELEMENT)
        new["hidden"] = [*new["hidden"], element_id]
    framework_with(variant, new)
    return new


# ---------------------------------------------------------------- a theme of the team's own

SUGGESTED_THEME = "Relationships"


def default_about(name: str) -> str:
    return texts.default_about(name)


def default_questions(element: str) -> dict[str, list[str]]:
    """Plain questions for every Pizazz stage, with the element's name in them: a start a team can change."""
    return {stage.value: [q.format(element=element) for q in texts.DEFAULT_QUESTIONS[stage.value]]
            for stage in Stage}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")


def _taken_names(variant: str, draft: dict, theme: dict | None) -> dict[str, str]:
    """lookup key -> what it already names, across the team's framework (hidden parts too) and the theme."""
    everything = framework_with(variant, {**draft, "hidden": []})
    taken = {}
    for t in everything.themes:
        taken[lookup_key(t.name)] = t.name
        taken[lookup_key(t.id)] = t.name
        for e in t.elements:
            for word in (e.id, e.name, *e.aliases):
                taken[lookup_key(word)] = e.name
    for word in base_framework("pies2").elements:
        taken.setdefault(lookup_key(word.name), word.name)
    if theme:
        taken[lookup_key(theme["name"])] = theme["name"]
        for e in theme["elements"]:
            taken[lookup_key(e["name"])] = e["name"]
    return taken


def _taken_ids(variant: str, draft: dict, theme: dict | None) -> set[str]:
    pies2 = base_framework("pies2")
    ids = {t.id for t in pies2.themes} | {e.id for e in pies2.elements}
    everything = framework_with(variant, {**draft, "hidden": []})
    ids |= {t.id for t in everything.themes} | {e.id for e in everything.elements}
    for own in draft.get("written_in_themes") or []:
        ids |= {own["id"], *(e["id"] for e in own["elements"])}
    if theme:
        ids |= {theme["id"], *(e["id"] for e in theme["elements"])}
    return ids


def _new_id(name: str, taken: set[str], fallback: str) -> str:
    base = _slug(name) or fallback
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _check_name(text: str, variant: str, draft: dict, theme: dict | None) -> str:
    name = _one_line(text)
    if not name:
        raise NotUsable(texts.NAME_EMPTY)
    if len(name) > NAME_LIMIT:
        raise NotUsable(texts.name_too_long(NAME_LIMIT))
    if not _slug(name) and not any(c.isalnum() for c in name):
        raise NotUsable(texts.NAME_NEEDS_WORDS)
    taken = _taken_names(variant, draft, theme)
    if lookup_key(name) in taken:
        raise NotUsable(texts.name_taken(taken[lookup_key(name)]))
    return name


def start_theme(variant: str, draft: dict, name: str) -> dict:
    """A theme in the making, not yet in the draft: {id, name, description, elements: []}."""
    name = _check_name(name, variant, draft, None)
    return {"id": _new_id(name, _taken_ids(variant, draft, None), "our-own-theme"), "name": name,
            "description": default_about(name), "elements": []}


def suggested_theme(variant: str, draft: dict) -> dict:
    """The shipped Relationships theme (four elements with their own questions), unless the team has it."""
    theme = example_relationships().written_in_themes[0].model_dump(mode="json", exclude_defaults=True)
    taken_ids = _taken_ids(variant, draft, None)
    if theme["id"] in taken_ids or lookup_key(theme["name"]) in _taken_names(variant, draft, None):
        raise NotUsable(texts.name_taken(theme["name"]))
    return theme


def describe_theme(theme: dict, text: str) -> dict:
    about = _one_line(text)
    if not about:
        raise NotUsable(texts.ABOUT_EMPTY)
    if len(about) > ABOUT_LIMIT:
        raise NotUsable(texts.about_too_long(ABOUT_LIMIT))
    return {**theme, "description": about}


def add_element(variant: str, draft: dict, theme: dict, name: str, questions: list[str] | None = None) -> dict:
    """The theme with one more element: its name, a one-line description and questions (defaults offered)."""
    if len(theme["elements"]) >= MAX_OWN_ELEMENTS:
        raise NotUsable(texts.too_many_elements(MAX_OWN_ELEMENTS))
    same_as_theme = lookup_key(_one_line(name)) == lookup_key(theme["name"]) and not theme["elements"]
    name = _one_line(name) if same_as_theme else _check_name(name, variant, draft, theme)
    if same_as_theme and not name:
        raise NotUsable(texts.NAME_EMPTY)
    taken = _taken_ids(variant, draft, theme)
    element_id = _new_id(name, taken, "our-own-element")
    if element_id == theme["id"]:
        element_id = _new_id(f"{name} element", taken | {theme["id"]}, "our-own-element")
    element = {"id": element_id, "name": name, "description": texts.default_element_about(name),
               "questions": default_questions(name)}
    if questions is not None:
        element["questions"]["assessment"] = questions
    return {**theme, "elements": [*theme["elements"], element]}


def read_questions(reply: str) -> list[str]:
    """Two to four questions, one a line; a bullet or number in front is left off."""
    lines = [re.sub(r"^\s*(?:[-•*]|\d+[.)])\s*", "", line).strip() for line in (reply or "").splitlines()]
    questions = [_one_line(q) for q in lines if q.strip()]
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        raise NotUsable(texts.questions_count(MIN_QUESTIONS, MAX_QUESTIONS, len(questions)))
    if any(len(q) > QUESTION_LIMIT for q in questions):
        raise NotUsable(texts.question_too_long(QUESTION_LIMIT))
    return questions


def add_theme(variant: str, draft: dict, theme: dict) -> dict:
    """The draft with the finished theme written in."""
    if not theme.get("elements"):
        raise NotUsable(texts.THEME_NEEDS_AN_ELEMENT)
    new = copy.deepcopy(draft)
    new["written_in_themes"] = [*(new.get("written_in_themes") or []), copy.deepcopy(theme)]
    framework_with(variant, new)
    return new


# ---------------------------------------------------------------- seeing the result


@dataclass(frozen=True)
class Preview:
    levels: list[tuple[str, str]]  # (label, guidance), levels 1-4
    themes: list[tuple[str, bool, list[str]]]  # (theme name, the team's own, element names shown)
    hidden: list[str]  # names of hidden elements
    own_elements_kept_apart: bool


def preview(variant: str, draft: dict) -> Preview:
    framework = framework_with(variant, draft)
    hidden = [name for _, name, is_hidden in elements_to_choose(variant, draft) if is_hidden]
    themes = [(t.name, t.written_in, [e.name for e in t.elements]) for t in framework.themes]
    return Preview([(lv.label, lv.guidance) for lv in framework.scale.levels], themes, hidden,
                   any(own for _, own, _ in themes))


def changed(saved: dict | None, draft: dict) -> bool:
    return draft_of(saved) != draft
