"""Reading, checking and caching the framework files that ship with the package."""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from framework.customisation import Customisation
from framework.model import Framework
from framework.problems import (
    Found,
    FrameworkError,
    Problem,
    from_validation_error,
    join_path,
    scale_problems,
    theme_problems,
)

HERE = Path(__file__).parent
CANONICAL = "pies2"

VARIANTS: dict[str, str] = {
    "pies2": "PIEs 2.0 — all 15 elements",
    "pies2-short": "PIEs 2.0 short form — the 5 themes",
    "coffee-break": "Coffee break — the whole service in 15 minutes",
    "pies2-street": "PIEs 2.0 in street language — a round with the people we serve",
}

_FILES: dict[str, Path] = {
    "pies2": HERE / "pies2.yaml",
    "pies2-short": HERE / "variants" / "pies2-short.yaml",
    "coffee-break": HERE / "variants" / "coffee-break.yaml",
    "pies2-street": HERE / "variants" / "pies2-street.yaml",
}

# A single overall thread is the point of the coffee break, so a team's own themes stay out of it.
_NO_WRITTEN_IN = {"coffee-break"}
_THREADED = {"pies2-short"}

try:  # the C loader is several times faster when it is available
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

EXAMPLES = Path(__file__).parent / "examples"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(HERE.parent))
    except ValueError:
        return str(path)


def _read_yaml(path: Path) -> tuple[Any, list[Found]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return None, [("", f"cannot read the file: {error.strerror or error}")]
    try:
        raw = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        return None, [("", f"not valid YAML: {where}{getattr(error, 'problem', None) or error}")]
    if raw is None:
        return None, [("", "the file is empty")]
    if not isinstance(raw, dict):
        return None, [("", "expected a mapping of keys at the top level")]
    return raw, []


def _canonical_scale() -> dict[str, Any]:
    return _base(CANONICAL).scale.model_dump()


def _check_framework(raw: dict[str, Any], is_canonical: bool) -> tuple[Framework | None, list[Found]]:
    if "scale" not in raw and not is_canonical:
        # Variants share the canonical scale so beads mean the same thing in every variant.
        raw = {**raw, "scale": _canonical_scale()}
    found = scale_problems(raw.get("scale"), "scale") + theme_problems(raw.get("themes"), "themes")
    if not is_canonical:
        found += _reference_problems(raw)
    framework = None
    try:
        framework = Framework.model_validate(raw)
    except ValidationError as error:
        found = from_validation_error(error) + found
    if framework is not None and framework.mirrors:
        found += _mirror_problems(framework)
    return (None if found else framework), found


def _reference_problems(raw: dict[str, Any]) -> list[Found]:
    canonical_ids = {e.id for e in _base(CANONICAL).elements}
    found: list[Found] = []
    for i, theme in enumerate(_list(raw.get("themes"))):
        for j, element in enumerate(_list(theme.get("elements") if isinstance(theme, dict) else None)):
            targets = element.get("drills_into") if isinstance(element, dict) else None
            for k, target in enumerate(_list(targets)):
                if isinstance(target, str) and target not in canonical_ids:
                    path = f"themes[{i}].elements[{j}].drills_into[{k}]"
                    found.append((path, _unknown("element id", target, canonical_ids)))
    mirrors = raw.get("mirrors")
    if isinstance(mirrors, str) and mirrors not in _FILES:
        found.append(("mirrors", _unknown("variant", mirrors, set(_FILES))))
    return found


def _mirror_problems(framework: Framework) -> list[Found]:
    if framework.mirrors not in _FILES or framework.mirrors == framework.id:
        return []
    other = _base(framework.mirrors)
    found: list[Found] = []
    ours, theirs = [t.id for t in framework.themes], [t.id for t in other.themes]
    if ours != theirs:
        found.append(("themes", f"must have the same theme ids as {other.id}, in order: {', '.join(theirs)}"))
    ours, theirs = [e.id for e in framework.elements], [e.id for e in other.elements]
    if ours != theirs:
        found.append(("themes", f"must have the same element ids as {other.id}, in order: {', '.join(theirs)}"))
    return found


def _check_customisation(raw: dict[str, Any]) -> tuple[Customisation | None, list[Found]]:
    base = _base(CANONICAL)
    taken = {e.id: f"the PIEs 2.0 element {e.name!r}" for e in base.elements}
    taken.update({t.id: f"the PIEs 2.0 theme {t.name!r}" for t in base.themes})
    found = theme_problems(raw.get("written_in_themes"), "written_in_themes", taken)

    own: set[str] = set()
    for theme in _list(raw.get("written_in_themes")):
        if isinstance(theme, dict):
            own.add(str(theme.get("id")))
            own.update(str(e.get("id")) for e in _list(theme.get("elements")) if isinstance(e, dict))
    known = set(taken) | own
    for k, target in enumerate(_list(raw.get("hidden"))):
        if isinstance(target, str) and target not in known:
            found.append((f"hidden[{k}]", _unknown("element or theme id", target, known)))
    renamed = raw.get("renamed")
    if isinstance(renamed, dict):
        for target in renamed:
            if str(target) not in known:
                found.append((join_path("renamed", str(target)), _unknown("element or theme id", str(target), known)))

    customisation = None
    try:
        customisation = Customisation.model_validate(raw)
    except ValidationError as error:
        found = from_validation_error(error) + found
    return (None if found else customisation), found


def _unknown(what: str, value: str, known: set[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {value!r}{hint}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_raw(raw: dict[str, Any], is_canonical: bool = False) -> tuple[Any, list[Found]]:
    kind = raw.get("kind")
    if kind == "framework":
        return _check_framework(raw, is_canonical)
    if kind == "customisation":
        return _check_customisation(raw)
    return None, [("kind", f"got {kind!r}; say 'kind: framework' or 'kind: customisation'")]


def _problems(file: str, found: list[Found]) -> list[Problem]:
    # The model and the raw checks can both notice the same thing; say it once.
    unique = dict.fromkeys(Problem(file, path, reason) for path, reason in found)
    return list(unique)


def check_file(path: str | Path) -> list[Problem]:
    """Every problem in a framework or customisation file; an empty list means it is valid."""
    path = Path(path)
    raw, found = _read_yaml(path)
    if raw is not None:
        is_canonical = path.resolve() == _FILES[CANONICAL].resolve()
        _, found = _check_raw(raw, is_canonical)
    return _problems(str(path), found)


def read_customisation(path: Path) -> Customisation:
    raw, found = _read_yaml(path)
    customisation = None
    if raw is not None:
        if raw.get("kind") != "customisation":
            found = [("kind", f"got {raw.get('kind')!r}; a customisation file says 'kind: customisation'")]
        else:
            customisation, found = _check_customisation(raw)
    if found or customisation is None:
        raise FrameworkError(_problems(str(path), found))
    return customisation


@functools.cache
def _base(variant: str) -> Framework:
    if variant not in _FILES:
        known = "; ".join(f"{key} ({name})" for key, name in VARIANTS.items())
        problem = Problem("framework", "variant", f"unknown variant {variant!r}; known variants: {known}")
        raise FrameworkError([problem])
    path = _FILES[variant]
    raw, found = _read_yaml(path)
    framework = None
    if raw is not None:
        framework, found = _check_framework(raw, is_canonical=variant == CANONICAL)
    if found or framework is None:
        raise FrameworkError(_problems(_display(path), found))
    return framework


def _as_customisation(customisation: Customisation | dict[str, Any]) -> Customisation:
    # Stored customisations come back from the database as plain JSON, so every one is re-checked
    # against the current framework before use.
    raw = customisation.model_dump(mode="json") if isinstance(customisation, Customisation) else customisation
    if not isinstance(raw, dict):
        raise FrameworkError([Problem("customisation", "", "expected a mapping")])
    raw = {"kind": "customisation", **raw}
    checked, found = _check_customisation(raw)
    if found or checked is None:
        raise FrameworkError(_problems("customisation", found))
    return checked


def load_framework(
    variant: str = CANONICAL, customisation: Customisation | dict[str, Any] | None = None
) -> Framework:
    """A fresh copy of a variant, with a team's customisation applied if given."""
    base = _base(variant)
    if customisation is None:
        framework = base.model_copy(deep=True)
    else:
        framework = _as_customisation(customisation).apply(
            base, append_themes=variant not in _NO_WRITTEN_IN, as_threads=variant in _THREADED
        )
    framework._full_form = functools.partial(load_framework, CANONICAL, customisation)
    return framework


def example_relationships() -> Customisation:
    """The shipped example: a written-in Relationships theme."""
    return read_customisation(EXAMPLES / "relationships.yaml")


def shared_framework(variant: str = CANONICAL, customisation: Customisation | dict[str, Any] | None = None) -> Framework:
    """The same Framework object for the same variant and customisation: for hot paths that only read it.

    load_framework copies the whole framework on every call, which costs more than handling a press.
    """
    if isinstance(customisation, Customisation):
        customisation = customisation.model_dump(mode="json")
    # The customisation arrives as a dict from the database; its JSON text is the cache key.
    return _shared(variant, json.dumps(customisation or None, sort_keys=True))


@functools.lru_cache(maxsize=512)
def _shared(variant: str, customisation_json: str) -> Framework:
    return load_framework(variant, json.loads(customisation_json))
