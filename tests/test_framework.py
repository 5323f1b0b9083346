"""The framework as data: PIEs 2.0 and its variants load, check and customise as a team would expect."""

import json
from pathlib import Path

import pytest
import yaml

from conversations.texts.scale import place
from framework import (
    STAGE_ORDER,
    VARIANTS,
    Customisation,
    FrameworkError,
    Problem,
    Scale,
    Stage,
    check_file,
    example_relationships,
    load_framework,
    read_customisation,
)

PACKAGE = Path(__file__).resolve().parent.parent / "framework"

EXPECTED = {
    "psychological-awareness": ["empathy", "approaches", "psychological-models"],
    "training-and-support": ["training", "support"],
    "learning-and-enquiry": [
        "culture-of-enquiry",
        "reflective-practice",
        "sector-engagement",
        "evidence-generating-practice",
    ],
    "spaces-of-opportunity": ["built-environment", "networks-and-surroundings", "pathways"],
    "three-rs": ["rules-and-procedures", "roles-and-relationships", "responsiveness"],
}
NAMES = [
    "Empathy and emotional intelligence",
    "Approaches and techniques",
    "Psychological models",
    "Training",
    "Support",
    "A culture of enquiry",
    "Reflective practice",
    "Sector engagement",
    "Evidence-generating practice",
    "The built environment",
    "Networks and surroundings",
    "Pathways, systems and system coherence",
    "Rules and procedures",
    "Roles and relationships",
    "Responsiveness",
]
CANONICAL_IDS = [i for ids in EXPECTED.values() for i in ids]


def write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def questions(n: int = 2) -> dict[str, list[str]]:
    return {stage.value: [f"Question {i} about {stage.value}?" for i in range(n)] for stage in STAGE_ORDER}


def element(element_id: str, **extra) -> dict:
    return {"id": element_id, "name": element_id.title(), "description": "About this.",
            "questions": questions(), **extra}


# --- the canonical framework -------------------------------------------------------------------


def test_pies2_has_five_themes_and_fifteen_elements_in_order():
    framework = load_framework()
    assert [t.id for t in framework.themes] == list(EXPECTED)
    assert {t.id: [e.id for e in t.elements] for t in framework.themes} == EXPECTED
    assert [e.name for e in framework.elements] == NAMES
    assert [t.name for t in framework.themes] == [
        "Psychological awareness", "Training and support", "Learning and enquiry",
        "Spaces of opportunity", "The Three Rs",
    ]
    assert all(e.canonical and not e.written_in and not e.drills_into for e in framework.elements)
    assert all(e.theme_id == t.id for t in framework.themes for e in t.elements)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_element_has_a_short_description_and_two_to_four_questions_per_stage(variant):
    for element in load_framework(variant).elements:
        # One glance on a phone: a sentence or two, not a paragraph.
        assert 10 < len(element.description) <= 140, element.id
        assert list(element.questions) == list(STAGE_ORDER), element.id
        for stage, asked in element.questions.items():
            assert 2 <= len(asked) <= 4, (element.id, stage)
            assert len(set(asked)) == len(asked), (element.id, stage)
            assert all(q.strip() and len(q) <= 120 for q in asked), (element.id, stage)


def test_questions_are_specific_to_each_element():
    framework = load_framework()
    openers = [framework.questions(e.id, Stage.ASSESSMENT)[0] for e in framework.elements]
    assert len(set(openers)) == 15
    assert "bent a rule" in " ".join(framework.questions("responsiveness", "evidence"))


def test_lookup_by_id_name_and_alias_is_case_insensitive():
    framework = load_framework()
    assert framework.element("EMPATHY").id == "empathy"
    assert framework.element("awareness").id == "empathy"
    assert framework.element("Systems engagement").id == "sector-engagement"
    assert framework.element("surroundings and networks").id == "networks-and-surroundings"
    assert framework.element("roles").id == "roles-and-relationships"
    assert framework.element("culture of enquiry").id == "culture-of-enquiry"
    assert framework.element("Pathways, systems and system coherence").id == "pathways"
    assert framework.theme("the three rs").id == "three-rs"
    assert framework.theme_of("Reflective practice").id == "learning-and-enquiry"


def test_unknown_element_is_a_keyerror_with_a_kind_message():
    framework = load_framework()
    with pytest.raises(KeyError) as caught:
        framework.element("vibes")
    assert "There is no element called 'vibes'" in str(caught.value)
    assert "empathy" in str(caught.value)
    with pytest.raises(KeyError):
        framework.theme("nope")


def test_questions_refuses_an_unknown_stage():
    with pytest.raises(ValueError, match="unknown stage 'diagnosis'"):
        load_framework().questions("empathy", "diagnosis")


def test_loaded_frameworks_are_independent_copies():
    first = load_framework()
    first.element("empathy").name = "Changed"
    first.themes.pop()
    again = load_framework()
    assert again.element("empathy").name == "Empathy and emotional intelligence"
    assert len(again.themes) == 5


# --- the scale ---------------------------------------------------------------------------------


def test_scale_is_four_levels_of_five_with_neutral_labels_and_a_rename_note():
    scale = load_framework().scale
    assert [lv.number for lv in scale.levels] == [1, 2, 3, 4]
    assert scale.positions == 5
    assert [lv.label for lv in scale.levels] == ["Just starting", "Getting there", "Well on the way", "Embedded"]
    assert all(lv.guidance for lv in scale.levels)
    assert "rename" in load_framework().note


def test_scale_index_and_split_round_trip_for_all_twenty():
    scale = load_framework().scale
    seen = []
    for level in range(1, 5):
        for position in range(1, 6):
            index = scale.index(level, position)
            assert scale.split(index) == (level, position)
            assert scale.level_of(index).number == level
            seen.append(index)
    assert seen == list(range(1, 21))
    assert place(scale, 8) == "Getting there — halfway"
    assert place(scale, 1) == "Just starting — at the start"
    assert place(scale, 20) == "Embedded — near the top"


@pytest.mark.parametrize("level, position", [(0, 1), (5, 1), (1, 0), (1, 6), (True, 1), ("2", 3), (2.0, 3)])
def test_scale_refuses_bad_level_or_position(level, position):
    with pytest.raises(ValueError):
        load_framework().scale.index(level, position)


@pytest.mark.parametrize("index", [0, 21, -3, None, 3.5])
def test_scale_refuses_bad_index(index):
    scale = load_framework().scale
    for method in (scale.split, scale.level_of):
        with pytest.raises(ValueError):
            method(index)


def test_scale_model_refuses_three_levels():
    levels = [{"number": n, "label": f"L{n}", "guidance": "g"} for n in (1, 2, 3)]
    with pytest.raises(ValueError, match="4 levels × 5 positions"):
        Scale.model_validate({"levels": levels})


# --- variants ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_variant_loads_checks_clean_and_shares_the_scale(variant):
    framework = load_framework(variant)
    assert framework.id == variant
    assert framework.name == VARIANTS[variant]
    assert framework.scale == load_framework().scale


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_file_checks_clean(path):
    assert check_file(path) == []


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(FrameworkError) as caught:
        load_framework("pies3")
    message = str(caught.value)
    assert "unknown variant 'pies3'" in message
    assert all(variant in message for variant in VARIANTS)


def test_short_form_has_one_thread_per_theme_that_drills_into_its_elements():
    short = load_framework("pies2-short")
    assert [t.id for t in short.themes] == list(EXPECTED)
    assert [len(t.elements) for t in short.themes] == [1] * 5
    for theme_id, element_ids in EXPECTED.items():
        assert short.element(theme_id).drills_into == element_ids
        part = short.drill_down(theme_id)
        assert [e.id for e in part.elements] == element_ids
        assert all(e.canonical for e in part.elements)
        # Drilling down gives the full PIEs 2.0 wording, so ratings compare with the long form.
        assert part.element(element_ids[0]).questions == load_framework().element(element_ids[0]).questions


def test_drill_down_on_the_full_form_returns_that_theme():
    part = load_framework().drill_down("three-rs")
    assert [e.id for e in part.elements] == EXPECTED["three-rs"]
    assert part.scale == load_framework().scale


def test_coffee_break_is_one_thread_about_the_whole_service():
    coffee = load_framework("coffee-break")
    assert len(coffee.elements) == 1
    thread = coffee.elements[0]
    assert list(thread.questions) == list(STAGE_ORDER)


def test_street_version_mirrors_pies2_ids_with_friendlier_words():
    street, staff = load_framework("pies2-street"), load_framework()
    assert [t.id for t in street.themes] == [t.id for t in staff.themes]
    assert [e.id for e in street.elements] == CANONICAL_IDS
    assert street.element("empathy").name == "Do staff get you?"
    for ours, theirs in zip(street.elements, staff.elements, strict=True):
        assert ours.name != theirs.name
        assert ours.questions[Stage.ASSESSMENT] != theirs.questions[Stage.ASSESSMENT]


def test_a_mirror_with_different_ids_is_reported(tmp_path):
    data = yaml.safe_load((PACKAGE / "variants" / "pies2-street.yaml").read_text(encoding="utf-8"))
    data["themes"][0]["elements"][0]["id"] = "being-got"
    problems = check_file(write(tmp_path, "street.yaml", data))
    assert [p.path for p in problems] == ["themes"]
    assert "same element ids as pies2" in problems[0].reason


# --- customisation -----------------------------------------------------------------------------


def test_example_adds_a_written_in_relationships_theme():
    framework = load_framework("pies2", example_relationships())
    assert [t.id for t in framework.themes][:5] == list(EXPECTED)
    theme = framework.themes[-1]
    assert theme.name == "Relationships" and theme.written_in
    assert [e.name for e in theme.elements] == [
        "Relationships with staff",
        "Relationships with family",
        "Relationships with peers, neighbours and pets",
    ]
    assert all(e.written_in and not e.canonical and e.theme_id == "relationships" for e in theme.elements)
    assert all(e.canonical for e in framework.elements[:15])
    assert framework.element("with family").id == "relationships-with-family"
    assert len(framework.questions("relationships-with-family", Stage.HINDERING)) >= 2
    # Work with other agencies has its home in two canonical elements: the example points there, not repeats them.
    assert "Sector engagement" in theme.description and "Pathways, systems and system coherence" in theme.description
    assert not any("agenc" in e.name.lower() for e in theme.elements)


def test_written_in_theme_is_one_thread_in_the_short_form_and_drills_into_its_elements():
    short = load_framework("pies2-short", example_relationships())
    thread = short.element("relationships")
    assert thread.written_in and len(short.themes[-1].elements) == 1
    part = short.drill_down("relationships")
    assert [e.id for e in part.elements] == thread.drills_into
    assert all(e.written_in for e in part.elements) and len(part.elements) == 3


def test_written_in_themes_stay_out_of_the_coffee_break():
    coffee = load_framework("coffee-break", example_relationships())
    assert len(coffee.elements) == 1


def test_customisation_renames_labels_and_elements_and_hides_elements():
    custom = Customisation(
        level_labels={1: "Seedling", 4: "Oak"},
        level_guidance={1: "We have planted something."},
        renamed={"built-environment": "The house", "three-rs": "How we run things"},
        hidden=["evidence-generating-practice", "sector-engagement"],
    )
    framework = load_framework("pies2", custom)
    assert [lv.label for lv in framework.scale.levels] == ["Seedling", "Getting there", "Well on the way", "Oak"]
    assert framework.scale.levels[0].guidance == "We have planted something."
    assert place(framework.scale, 2) == "Seedling — early on"
    assert framework.element("built-environment").name == "The house"
    # The old name still finds it, for people who learnt it.
    assert framework.element("The built environment").id == "built-environment"
    assert framework.theme("three-rs").name == "How we run things"
    assert len(framework.elements) == 13
    with pytest.raises(KeyError):
        framework.element("sector-engagement")
    # The shared, cached framework is untouched.
    assert load_framework().scale.levels[0].label == "Just starting"
    assert len(load_framework().elements) == 15


def test_hidden_elements_are_left_out_of_the_short_form_drill_down():
    short = load_framework("pies2-short", {"hidden": ["training"]})
    assert short.element("training-and-support").drills_into == ["support"]
    assert [e.id for e in short.drill_down("training-and-support").elements] == ["support"]
    gone = load_framework("pies2-short", {"hidden": ["training", "support"]})
    assert [t.id for t in gone.themes] == [t for t in EXPECTED if t != "training-and-support"]


def test_customisation_survives_a_json_round_trip():
    custom = example_relationships().model_copy(update={"level_labels": {2: "Growing"}})
    stored = json.loads(json.dumps(custom.model_dump(mode="json")))
    again = load_framework("pies2", stored)
    assert again.scale.levels[1].label == "Growing"
    assert again.themes[-1].written_in
    assert Customisation.model_validate(stored) == custom


def test_bad_customisation_is_refused_with_every_reason():
    bad = {"hidden": ["empathyy"], "renamed": {"nope": "x"}, "level_labels": {5: "Five"}, "colour": "red"}
    with pytest.raises(FrameworkError) as caught:
        load_framework("pies2", bad)
    found = {(p.path, p.reason.split(";")[0]) for p in caught.value.problems}
    assert ("hidden[0]", "unknown element or theme id 'empathyy'") in found
    assert ("renamed.nope", "unknown element or theme id 'nope'") in found
    assert ("colour", "unknown key") in found
    assert any(path.startswith("level_labels") for path, _ in found)
    assert "did you mean 'empathy'?" in str(caught.value)


# --- checking files ----------------------------------------------------------------------------


def test_bad_framework_file_reports_every_problem_at_once(tmp_path):
    nameless = element("second")
    del nameless["name"]
    data = {
        "kind": "framework",
        "id": "ours",
        "name": "Our framework",
        "scale": {
            "positions": 5,
            "levels": [{"number": n, "label": f"Level {n}", "guidance": "Some words."} for n in (1, 2, 3)],
        },
        "themes": [
            {"id": "one", "name": "One", "description": "First.", "elements": [element("first"), nameless]},
            {"id": "two", "name": "Two", "description": "Second.", "colour": "blue",
             "elements": [element("first")]},
        ],
    }
    path = write(tmp_path, "bad.yaml", data)
    problems = check_file(path)
    by_path = {p.path: p.reason for p in problems}
    assert by_path["themes[0].elements[1].name"] == "field required"
    assert by_path["themes[1].colour"] == "unknown key"
    assert "duplicate element id 'first'" in by_path["themes[1].elements[0].id"]
    assert "4 levels × 5 positions, found 3 levels" in by_path["scale"]
    assert all(p.file == str(path) for p in problems)
    assert str(problems[0]).startswith(f"{path}: ")
    assert f"{path}: themes[0].elements[1].name: field required" in [str(p) for p in problems]
    assert len(problems) == len(set(problems))


def test_bad_questions_and_stages_are_all_reported(tmp_path):
    asked = questions()
    asked["assessment"] = ["Only one?"]
    asked["evidence"] = [f"Q{i}?" for i in range(5)]
    asked["diagnosis"] = asked.pop("review")
    data = {"kind": "framework", "id": "ours", "name": "Ours",
            "themes": [{"id": "t", "name": "T", "description": "D.",
                        "elements": [element("e", questions=asked, drills_into=["empathyy"])]}]}
    by_path = {p.path: p.reason for p in check_file(write(tmp_path, "q.yaml", data))}
    base = "themes[0].elements[0]"
    assert by_path[f"{base}.questions.assessment"] == "needs 2 to 4 questions, found 1"
    assert by_path[f"{base}.questions.evidence"] == "needs 2 to 4 questions, found 5"
    assert by_path[f"{base}.questions.diagnosis"].startswith("unknown stage 'diagnosis'")
    assert by_path[f"{base}.questions"] == "missing stage(s): review"
    assert by_path[f"{base}.drills_into[0]"].startswith("unknown element id 'empathyy'")


def test_bad_customisation_file_reports_every_problem(tmp_path):
    data = {
        "kind": "customisation",
        "written_in_themes": [
            {"id": "three-rs", "name": "Ours", "description": "Clashes with a canonical id.",
             "elements": [element("mine"), element("mine")]},
            {"id": "other", "description": "No name.", "elements": [element("empathy")]},
        ],
        "hidden": ["ghost"],
        "level_guidance": {0: "Zero"},
    }
    by_path = {p.path: p.reason for p in check_file(write(tmp_path, "custom.yaml", data))}
    assert "already the PIEs 2.0 theme" in by_path["written_in_themes[0].id"]
    assert "duplicate element id 'mine'" in by_path["written_in_themes[0].elements[1].id"]
    assert by_path["written_in_themes[1].name"] == "field required"
    assert "already the PIEs 2.0 element" in by_path["written_in_themes[1].elements[0].id"]
    assert by_path["hidden[0]"].startswith("unknown element or theme id 'ghost'")
    assert by_path["level_guidance.0"] == "there is no level 0; levels are numbered 1 to 4"
    with pytest.raises(FrameworkError):
        read_customisation(tmp_path / "custom.yaml")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping of keys at the top level"),
        ("kind: framework\nthemes: [\n", "not valid YAML"),
        ("kind: recipe\n", "say 'kind: framework' or 'kind: customisation'"),
    ],
)
def test_unreadable_files_get_one_clear_problem(tmp_path, text, reason):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_file(path)
    assert len(problems) == 1 and reason in problems[0].reason


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    problems = check_file(tmp_path / "absent.yaml")
    assert len(problems) == 1 and "cannot read" in problems[0].reason


def test_problem_reads_as_file_path_reason():
    problem = Problem("framework/pies2.yaml", "themes[2].elements[1].name", "field required")
    assert str(problem) == "framework/pies2.yaml: themes[2].elements[1].name: field required"
    assert str(Problem("x.yaml", "", "the file is empty")) == "x.yaml: the file is empty"
