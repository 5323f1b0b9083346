"""Problems found in framework and customisation files, phrased for the person fixing the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from framework.model import POSITIONS, STAGE_ORDER, lookup_key, scale_shape_problem


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}" if self.path else f"{self.file}: {self.reason}"


class FrameworkError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


Found = tuple[str, str]  # (path, reason) before the file name is known


def join_path(base: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part


_MAPPINGS = {"level_labels", "level_guidance", "renamed", "questions"}


def from_validation_error(error: ValidationError, base: str = "") -> list[Found]:
    found = []
    for item in error.errors():
        loc = list(item["loc"])
        is_key = bool(loc) and loc[-1] == "[key]"
        if is_key:
            loc.pop()
        path, previous = base, None
        for part in loc:
            # A number under a mapping is a key (a level number), not a list position.
            path = f"{path}.{part}" if previous in _MAPPINGS else join_path(path, part)
            previous = part
        found.append((path, _reason(item, loc, is_key)))
    return found


def _reason(item: Any, loc: list[Any], is_key: bool) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown key"
    if is_key and kind == "enum":
        return f"unknown stage {item['input']!r}; stages are {', '.join(STAGE_ORDER)}"
    if is_key and loc and loc[0] in ("level_labels", "level_guidance"):
        return f"there is no level {item['input']!r}; levels are numbered 1 to 4"
    if is_key:
        return f"bad key {item['input']!r}: {_lower(item['msg'])}"
    if kind in ("too_short", "too_long") and "questions" in loc:
        return f"needs 2 to 4 questions, found {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return "must be a slug id: lowercase letters, digits and single hyphens, e.g. 'culture-of-enquiry'"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    return _lower(item["msg"])


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def scale_problems(scale: Any, base: str) -> list[Found]:
    # Checked on the raw data too, so a wrong shape is reported even when a level is also broken.
    if not isinstance(scale, dict) or not isinstance(scale.get("levels"), list):
        return []
    levels = scale["levels"]
    numbers = [lv.get("number") if isinstance(lv, dict) else None for lv in levels]
    problem = scale_shape_problem(len(levels), scale.get("positions", POSITIONS), numbers)
    return [(base, problem)] if problem else []


def theme_problems(themes: Any, base: str, taken: dict[str, str] | None = None) -> list[Found]:
    """Cross-cutting checks pydantic cannot see: duplicates, clashing names, missing stages.

    `taken` maps ids that are already used elsewhere (the canonical ones, for written-in themes)
    to a description of their owner.
    """
    if not isinstance(themes, list):
        return []
    taken = dict(taken or {})
    found: list[Found] = []
    theme_ids: dict[str, str] = {}
    element_ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for i, theme in enumerate(themes):
        if not isinstance(theme, dict):
            continue
        theme_path = join_path(base, i)
        tid = theme.get("id")
        if isinstance(tid, str):
            if tid in theme_ids:
                found.append((f"{theme_path}.id", f"duplicate theme id {tid!r} (first used at {theme_ids[tid]})"))
            elif tid in taken:
                found.append((f"{theme_path}.id", f"id {tid!r} is already {taken[tid]}; pick another"))
            theme_ids.setdefault(tid, f"{theme_path}.id")
        found += _stage_problems(theme.get("questions"), f"{theme_path}.questions")
        elements = theme.get("elements")
        if not isinstance(elements, list):
            continue
        for j, element in enumerate(elements):
            if isinstance(element, dict):
                found += _element_problems(element, join_path(f"{theme_path}.elements", j),
                                           element_ids, names, taken)
    return found


def _element_problems(element: dict, path: str, element_ids: dict[str, str], names: dict[str, str],
                      taken: dict[str, str]) -> list[Found]:
    found: list[Found] = []
    eid = element.get("id")
    if isinstance(eid, str):
        if eid in element_ids:
            found.append((f"{path}.id", f"duplicate element id {eid!r} (first used at {element_ids[eid]})"))
        elif eid in taken:
            found.append((f"{path}.id", f"id {eid!r} is already {taken[eid]}; pick another"))
        element_ids.setdefault(eid, f"{path}.id")
        aliases = element.get("aliases") if isinstance(element.get("aliases"), list) else []
        for word in (eid, element.get("name"), *aliases):
            if not isinstance(word, str) or not word.strip():
                continue
            owner = names.setdefault(lookup_key(word), eid)
            if owner != eid:
                found.append((path, f"{word!r} already names element {owner!r}, so looking it up would be ambiguous"))
    return found + _stage_problems(element.get("questions"), f"{path}.questions")


def _stage_problems(questions: Any, path: str) -> list[Found]:
    if not isinstance(questions, dict):
        return []
    missing = [stage.value for stage in STAGE_ORDER if stage.value not in questions]
    return [(path, f"missing stage(s): {', '.join(missing)}")] if missing else []
