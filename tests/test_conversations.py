"""What a team would notice about a Pizazz round: what is shown when, to whom, and in what words."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from conversations import beads
from conversations.actions import Action, read_action, read_due_date
from conversations.checkin import (
    CheckInResult,
    Contact,
    Example,
    Question,
    change_to_action,
    checkin_keyboard,
    checkin_post,
    checkin_summary,
    figures,
    support_reply,
)
from conversations.errors import NotAllowed
from conversations.keyboards import (
    MAX_SUFFIX,
    Button,
    Command,
    LevelChosen,
    PlaceChosen,
    QuestionChosen,
    ReviewChosen,
    rating_levels,
    rating_positions,
    read_press,
    team_view_levels,
    team_view_positions,
)
from conversations.pizazz import (
    AsyncWalk,
    Distance,
    LiveRound,
    Phase,
    Scope,
    ScopeKind,
    can_reveal,
    distance_travelled,
    element_ids,
    nudge_due,
    proposed_team_view,
    stages,
)
from conversations.spread import MIN_ANSWERS_FOR_SPREAD, Spread, ordered_by_disagreement
from conversations.texts import peer_review, refusals
from conversations.texts.live import View, element_card, facilitator_keyboard, stage_prompt
from conversations.texts.summary import ElementResult, RoundSummary, review_keyboard, round_summary
from conversations.texts.walk import walk_keyboard, walk_nudge, walk_prompt, walk_status
from framework import Element, Framework, Level, Scale, Stage, Theme

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday


def questions(topic: str) -> dict[Stage, list[str]]:
    return {
        Stage.ASSESSMENT: [
            f"How is {topic} going?",
            f"What would better {topic} look like?",
            "Third?",
            "Fourth?",
        ],
        Stage.EVIDENCE: [f"When did {topic} last make a difference?", "Who would notice?"],
        Stage.HINDERING: ["What slows us down?", "What is outside our control?"],
        Stage.HELPING: ["What already works?", "Who could help?"],
        Stage.ACTION_PLAN: ["What is one small step?", "Who will own it?"],
        Stage.REVIEW: ["What changed?", "What surprised us?"],
    }


@pytest.fixture
def framework() -> Framework:
    scale = Scale(
        levels=[
            Level(number=1, label="Not yet", guidance="Just starting."),
            Level(number=2, label="Getting there", guidance="Some of the time."),
            Level(number=3, label="Well on the way", guidance="Most of the time."),
            Level(number=4, label="Part of us", guidance="It is how we work."),
        ]
    )
    return Framework(
        id="test",
        name="Test framework",
        scale=scale,
        themes=[
            Theme(
                id="training-and-support",
                name="Training and support",
                description="Learning and looking after staff.",
                elements=[
                    Element(
                        id="training",
                        name="Training",
                        description="Learning beyond induction.",
                        questions=questions("training"),
                    ),
                    Element(
                        id="support",
                        name="Support",
                        description="Looking after staff.",
                        questions=questions("support"),
                    ),
                ],
            ),
            Theme(
                id="our-own",
                name="Our <b>own</b> & more",
                description="Written in by the team.",
                written_in=True,
                elements=[
                    Element(
                        id="relationships",
                        name="Relationships <b>&",
                        description="Pets & <i>peers</i>.",
                        questions=questions("relationships"),
                        written_in=True,
                    ),
                ],
            ),
        ],
    )


def named(*pairs: tuple[str, int]) -> list[View]:
    return [View(index, name) for name, index in pairs]


def revealed_round(ids: list[str] | None = None) -> LiveRound:
    state = LiveRound(ids or ["training", "support", "relationships"])
    state.reveal(rated=3, members=5)
    return state


def visible(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


# ---------------------------------------------------------------- spread


def test_wide_disagreement_flagged_for_far_apart_views_not_for_neighbours():
    assert Spread.of([2, 18, 10]).wide
    assert not Spread.of([9, 10, 11]).wide


def test_views_across_three_levels_count_as_wide_even_when_close():
    assert Spread.of([5, 6, 11]).wide  # Not yet, Getting there, Well on the way


def test_median_of_an_even_count_is_the_lower_of_two_places_between_the_middles():
    assert Spread.of([3, 8]).median == 5
    assert Spread.of([4, 6, 9, 12]).median == 7
    assert Spread.of([2, 3, 9]).median == 3


def test_spread_figures():
    spread = Spread.of([10, 2, 18, 6, 14])
    assert (spread.n, spread.low, spread.high, spread.median) == (5, 2, 18, 10)
    assert spread.iqr == 8
    with pytest.raises(ValueError):
        Spread.of([])


def test_most_disagreement_first_and_too_few_left_out():
    order = ordered_by_disagreement(
        {"calm": Spread.of([9, 10, 11]), "split": Spread.of([2, 18, 10]), "pair": Spread.of([1, 20])}
    )
    assert [key for key, _ in order] == ["split", "calm"]
    assert MIN_ANSWERS_FOR_SPREAD == 3


# ---------------------------------------------------------------- round rules


def test_reveal_needs_three_ratings_or_everyone_in_a_small_team():
    assert not can_reveal(2, 5)
    assert can_reveal(3, 5)
    assert can_reveal(2, 2)
    assert not can_reveal(1, 2)
    assert not can_reveal(0, 0)


def test_live_reveal_refused_at_two_of_five_with_a_plain_reason(framework):
    state = LiveRound(["training"])
    with pytest.raises(NotAllowed) as refused:
        state.reveal(rated=2, members=5)
    assert "2 of 5" in refused.value.reason
    assert state.phase is Phase.RATING
    assert state.reveal(rated=3, members=5) is Phase.REVEALED


def test_team_view_cannot_be_set_before_the_reveal():
    state = LiveRound(["training"])
    with pytest.raises(NotAllowed):
        state.set_team_view(8)
    with pytest.raises(NotAllowed):
        state.next()
    assert state.team_view is None


def test_live_round_walks_the_stages_then_the_next_element():
    state = revealed_round(["training", "support"])
    state.set_team_view(8)
    seen = []
    while state.phase is not Phase.CLOSED:
        state.next()
        seen.append(state.stage)
    assert seen == [Stage.EVIDENCE, Stage.HINDERING, Stage.HELPING, Stage.ACTION_PLAN, None]
    state.back()
    assert state.stage is Stage.ACTION_PLAN
    state.next()
    state.next()
    assert (state.element_id, state.phase, state.team_view) == ("support", Phase.RATING, None)
    assert state.team_views == {"training": 8}


def test_ratings_close_at_the_reveal_and_answers_close_with_the_element():
    state = revealed_round()
    with pytest.raises(NotAllowed, match="That question has closed"):
        state.check_can_rate("training")
    state.set_team_view(8)
    state.next()
    state.check_can_answer("training", Stage.EVIDENCE)
    with pytest.raises(NotAllowed):
        state.check_can_answer("training", Stage.ACTION_PLAN)
    state.skip()
    with pytest.raises(NotAllowed, match="That question has closed"):
        state.check_can_answer("training", Stage.EVIDENCE)


def test_views_cannot_be_hidden_again_and_pause_blocks_moves():
    state = revealed_round()
    with pytest.raises(NotAllowed):
        state.back()
    state.pause()
    with pytest.raises(NotAllowed, match="paused"):
        state.set_team_view(8)
    with pytest.raises(NotAllowed):
        state.pause()
    state.resume()
    state.set_team_view(8)
    with pytest.raises(NotAllowed):
        state.resume()


def test_skipping_the_last_element_finishes_the_round_and_then_nothing_moves():
    state = LiveRound(["training"])
    state.skip()
    assert state.finished
    with pytest.raises(NotAllowed):
        state.next()


def test_live_round_survives_a_trip_through_json():
    state = revealed_round()
    state.set_team_view(12)
    state.next()
    again = LiveRound.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    assert again.stage is Stage.EVIDENCE


def test_strengths_first_asks_what_helps_before_what_hinders():
    assert stages(strengths_first=False) == [
        Stage.EVIDENCE,
        Stage.HINDERING,
        Stage.HELPING,
        Stage.ACTION_PLAN,
    ]
    assert stages(strengths_first=True) == [Stage.EVIDENCE, Stage.HELPING, Stage.HINDERING, Stage.ACTION_PLAN]
    state = revealed_round()
    state.strengths_first = True
    state.set_team_view(5)
    state.next()
    state.next()
    assert state.stage is Stage.HELPING


def test_scope_picks_elements_in_framework_order(framework):
    assert element_ids(framework, Scope()) == ["training", "support", "relationships"]
    assert element_ids(framework, Scope(ScopeKind.THEME, "training-and-support")) == ["training", "support"]
    assert element_ids(framework, Scope(ScopeKind.ELEMENT, "support")) == ["support"]


def test_team_view_proposal_and_distance_travelled():
    assert proposed_team_view([6, 9, 12]) == 9
    assert proposed_team_view([]) is None
    moved = distance_travelled(
        {"training": 11, "support": 7, "relationships": 4}, {"training": 8, "support": 7}
    )
    assert moved["training"].text() == "moved up 3 places"
    assert moved["support"].text() == "held"
    assert moved["relationships"].text() == "first time"
    assert Distance(9, 7).text() == "moved down 2 places"
    assert Distance(9, 10).text() == "moved up 1 place"


# ---------------------------------------------------------------- async walk


def test_walk_goes_rating_then_each_stage_then_next_element():
    walk = AsyncWalk(["training", "support"])
    steps = []
    while not walk.done:
        step = walk.current()
        steps.append((step.element_id, step.step))
        walk.advance(answered=step.is_rating)
    assert steps[:5] == [
        ("training", Stage.ASSESSMENT),
        ("training", Stage.EVIDENCE),
        ("training", Stage.HINDERING),
        ("training", Stage.HELPING),
        ("training", Stage.ACTION_PLAN),
    ]
    assert steps[5] == ("support", Stage.ASSESSMENT)
    assert len(steps) == 10
    assert walk.progress() == {"element_index": 2, "step": "done"}


def test_walk_resumes_from_stored_progress_mid_element():
    walk = AsyncWalk(["training", "support", "relationships"])
    walk.skip_element()
    walk.advance()  # rated support
    stored = json.dumps(walk.progress())

    resumed = AsyncWalk(["training", "support", "relationships"], progress=json.loads(stored))
    step = resumed.current()
    assert (step.element_id, step.step) == ("support", Stage.EVIDENCE)
    assert resumed.elements_left == 2


def test_walk_resume_follows_the_element_even_if_the_list_changed_and_survives_junk():
    walk = AsyncWalk(
        ["support", "relationships"],
        progress={"element_index": 1, "element_id": "support", "step": "helping"},
    )
    assert (walk.current().element_id, walk.current().step) == ("support", Stage.HELPING)
    junk = AsyncWalk(["support"], progress={"element_index": "x", "step": "nonsense"})
    assert junk.current().step is Stage.ASSESSMENT


def test_walk_back_and_strengths_first():
    walk = AsyncWalk(["training", "support"], strengths_first=True)
    with pytest.raises(NotAllowed):
        walk.back()
    walk.advance()
    walk.advance()
    assert walk.current().step is Stage.HELPING
    walk.skip_element()
    walk.back()
    assert (walk.current().element_id, walk.current().step) == ("training", Stage.ACTION_PLAN)
    walk.skip_element()
    walk.skip_element()
    assert walk.done
    with pytest.raises(NotAllowed):
        walk.advance()
    walk.back()
    assert walk.current().element_id == "support"


def test_nudge_at_most_once_a_day_and_never_after_finishing():
    closes = datetime(2025, 6, 6, 13, 0, tzinfo=UTC)
    assert nudge_due(None, NOW, finished=False, closes_at=closes)
    assert not nudge_due(NOW, NOW.replace(hour=20), finished=False, closes_at=closes)
    assert nudge_due(NOW, NOW.replace(day=3), finished=False, closes_at=closes)
    assert not nudge_due(None, NOW, finished=True, closes_at=closes)
    assert not nudge_due(None, closes, finished=False, closes_at=closes)


# ---------------------------------------------------------------- the element card


def test_card_before_reveal_shows_only_how_many_have_rated(framework):
    state = LiveRound(["training", "support"])
    views = named(("Sam", 17), ("Alex", 3), ("Jo", 9), ("Kim", 13), ("Lee", 19))
    card = element_card(framework, state, views, members=8, anonymous=False)
    assert "5 of 8 have rated" in card
    assert "Training and support" in card and "How is training going?" in card
    assert "Fourth?" not in card  # two or three questions, not a wall
    for hidden in ("Sam", "Alex", "●", "Middle", "Not yet ·", "Part of us ·", "17", " 3 of 5"):
        assert hidden not in card


def test_card_says_how_many_are_needed_before_sharing(framework):
    card = element_card(framework, LiveRound(["training"]), named(("Sam", 4), ("Jo", 5)), 5, anonymous=True)
    assert "2 of 5 have rated" in card and "once 3 are in" in card


def test_revealed_card_shows_beads_median_range_and_flags_wide_disagreement(framework):
    state = revealed_round()
    card = element_card(framework, state, named(("Sam", 2), ("Alex", 18), ("Jo", 10)), 5, anonymous=False)
    assert "○●○○○│○○○○●│○○○○○│○○●○○" in card
    assert "Middle view: <b>Getting there · 5 of 5</b>" in card
    assert "From Not yet · 2 of 5 to Part of us · 3 of 5" in card
    assert "Views differ a lot here — worth talking about why" in card
    assert "Sam" in card


def test_anonymous_reveal_has_no_names(framework):
    state = revealed_round()
    views = [View(9, None), View(10, None), View(10, None)]
    card = element_card(framework, state, views, 5, anonymous=True)
    assert "○○○○○│○○○●②│○○○○○│○○○○○" in card
    assert "differ a lot" not in card
    # even if names slipped through, an anonymous round does not print them
    card = element_card(framework, state, named(("Sam", 9), ("Alex", 10), ("Jo", 10)), 5, anonymous=True)
    assert "Sam" not in card and "Alex" not in card and "Jo" not in card


def test_no_spread_under_three_views(framework):
    state = LiveRound(["training"])
    state.reveal(rated=2, members=2)
    card = element_card(framework, state, named(("Sam", 4), ("Jo", 16)), 2, anonymous=False)
    assert "●" not in card and "Middle" not in card and "Sam" not in card
    assert "too few" in card


def test_card_shows_the_team_view_once_agreed_and_the_current_stage(framework):
    state = revealed_round()
    state.set_team_view(8)
    card = element_card(framework, state, named(("a", 7), ("b", 8), ("c", 9)), 5, anonymous=True)
    assert "Team view: Getting there · 3 of 5" in card
    state.next()
    assert "Now: <b>Evidence</b>" in element_card(framework, state, [View(8)] * 3, 5, anonymous=True)


def test_written_in_elements_are_marked_our_own_and_user_text_is_escaped(framework):
    state = LiveRound(["relationships"])
    card = element_card(framework, state, [], 4, anonymous=True)
    assert "(our own)" in card
    assert "Relationships &lt;b&gt;&amp;" in card
    assert "Our &lt;b&gt;own&lt;/b&gt; &amp; more" in card
    assert "Pets &amp; &lt;i&gt;peers&lt;/i&gt;" in card
    assert "<b>&" not in card
    assert "(our own)" not in element_card(framework, LiveRound(["training"]), [], 4, anonymous=True)


def test_renamed_level_labels_are_escaped_in_the_spread(framework):
    renamed = framework.model_copy(deep=True)
    renamed.scale.levels[1].label = "<b>Half</b> & half"
    state = revealed_round()
    card = element_card(renamed, state, [View(7), View(8), View(8)], 5, anonymous=True)
    assert "&lt;b&gt;Half&lt;/b&gt; &amp; half · 3 of 5" in card


# ---------------------------------------------------------------- keyboards


def all_buttons(keyboard: list[list[Button]]) -> list[Button]:
    return [button for row in keyboard for button in row]


def test_every_button_suffix_fits_in_eight_bytes(framework):
    scale = framework.scale
    keyboards = [
        rating_levels(scale),
        team_view_levels(scale),
        checkin_keyboard(framework),
        review_keyboard(date(2025, 6, 2)),
    ]
    keyboards += [rating_positions(scale, level) for level in range(1, 5)]
    keyboards += [team_view_positions(scale, level) for level in range(1, 5)]
    state = LiveRound(["training", "support"])
    views = [View(5), View(6), View(7)]
    keyboards.append(facilitator_keyboard(framework, state, views))
    state.reveal(3, 3)
    keyboards.append(facilitator_keyboard(framework, state, views))
    state.set_team_view(6)
    keyboards.append(facilitator_keyboard(framework, state, views))
    for _ in range(5):
        state.next()
        keyboards.append(facilitator_keyboard(framework, state, views))
    state.pause()
    keyboards.append(facilitator_keyboard(framework, state, views))
    walk = AsyncWalk(["training"])
    keyboards.append(walk_keyboard(framework, walk.current()))
    walk.advance()
    keyboards.append(walk_keyboard(framework, walk.current()))
    for button in (b for kb in keyboards for b in all_buttons(kb)):
        assert len(button.data.encode()) <= MAX_SUFFIX, button
        assert read_press(button.data, scale) is not None, button
    with pytest.raises(ValueError):
        Button("too long", "123456789")


def test_rating_is_level_first_then_position(framework):
    levels = rating_levels(framework.scale)
    assert [b.data for b in all_buttons(levels)] == ["L1", "L2", "L3", "L4"]
    assert "Getting there" in levels[1][0].label
    positions = rating_positions(framework.scale, 2)
    assert [b.data for b in positions[0]] == ["P2.1", "P2.2", "P2.3", "P2.4", "P2.5"]
    assert positions[1] == [Button("← levels", "back")]
    assert [b.data for b in team_view_positions(framework.scale, 3)[0]][2] == "T3.3"


def test_presses_are_read_and_anything_else_ignored(framework):
    scale = framework.scale
    assert read_press("L2", scale) == LevelChosen(2)
    assert read_press("P2.3", scale) == PlaceChosen(2, 3)
    assert read_press("P2.3", scale).index(scale) == 8
    assert read_press("T4.5", scale) == PlaceChosen(4, 5, team=True)
    assert read_press("TL1", scale) == LevelChosen(1, team=True)
    assert read_press("rv8", scale) == ReviewChosen(8)
    assert read_press("q.bent", scale) == QuestionChosen("bent")
    assert read_press("reveal", scale) is Command.REVEAL
    for junk in ("L5", "P2.6", "P0.1", "T9.9", "drop table", "", "L22"):
        assert read_press(junk, scale) is None


def test_facilitator_offers_to_accept_the_middle_view_after_the_reveal(framework):
    state = revealed_round()
    labels = [
        b.label for b in all_buttons(facilitator_keyboard(framework, state, [View(7), View(8), View(9)]))
    ]
    assert "Team view: Getting there · 3 of 5" in labels


# ---------------------------------------------------------------- prompts and refusals


def test_stage_prompts_ask_for_a_reply_with_the_elements_own_questions(framework):
    evidence = stage_prompt(framework, "training", Stage.EVIDENCE)
    assert "What is actually happening? What makes you say so?" in evidence
    assert "When did training last make a difference?" in evidence
    assert "Reply to this message" in evidence
    plan = stage_prompt(framework, "training", Stage.ACTION_PLAN, private_link=True)
    assert "who" in plan and "by when" in plan and "how we'll know it worked" in plan
    assert "in private" in plan


def test_walk_texts(framework):
    walk = AsyncWalk(["training", "relationships"])
    prompt = walk_prompt(framework, walk.current())
    assert "Training · 1 of 2" in prompt and "Skip" in prompt
    walk.skip_element()
    assert "Relationships &lt;b&gt;&amp;" in walk_prompt(framework, walk.current())
    closes = datetime(2025, 6, 6, 13, 0, tzinfo=UTC)  # Friday 14:00 in London
    status = walk_status("PIE check", 3, 6, closes, LONDON, NOW)
    assert "3 of 6 have finished · closes Fri 14:00" in status
    assert "stop any time and carry on later" in status
    assert "5 elements left" in walk_nudge("PIE check", 5, closes, LONDON, NOW)


def test_refusals_are_short_and_kind():
    assert refusals.answer_problem("  ", "text") == refusals.EMPTY
    assert refusals.answer_problem("a photo", "photo") == refusals.UNSUPPORTED
    assert "3,000" in refusals.answer_problem("x" * 3001, "text")
    assert refusals.answer_problem("x" * 3000, "text") is None
    assert "/join" in refusals.NOT_JOINED
    assert refusals.CLOSED == "That question has closed."
    assert "Only the facilitator" in refusals.FACILITATOR_ONLY
    assert "anonymous" in refusals.ANONYMOUS_CANNOT_CHANGE
    for text in (
        refusals.NOT_JOINED,
        refusals.CLOSED,
        refusals.FACILITATOR_ONLY,
        refusals.EMPTY,
        refusals.UNSUPPORTED,
        refusals.ANONYMOUS_CANNOT_CHANGE,
    ):
        assert len(text) <= 160


# ---------------------------------------------------------------- actions and summary


def test_due_dates_as_people_type_them():
    today = date(2025, 6, 2)
    assert read_due_date("14/7", today) == date(2025, 7, 14)
    assert read_due_date("14 March", today) == date(2026, 3, 14)  # already past this year
    assert read_due_date("2025-09-01", today) == date(2025, 9, 1)
    assert read_due_date("in 2 weeks", today) == date(2025, 6, 16)
    assert read_due_date("31/2", today) is None
    assert read_due_date("soonish", today) is None


def test_action_reply_keeps_the_action_even_when_the_date_is_unreadable():
    action, note = read_action("Book trauma training\nSam\nsoonish\nEveryone has been", date(2025, 6, 2))
    assert (action.what, action.owner, action.due, action.check) == (
        "Book trauma training",
        "Sam",
        None,
        "Everyone has been",
    )
    assert "soonish" in note
    action, note = read_action("Book <b>it</b>\nSam & Jo\n30/6", date(2025, 6, 2))
    assert note is None and action.due == date(2025, 6, 30)


def test_round_summary_shows_distance_where_views_differed_and_owners_dates(framework):
    summary = RoundSummary(
        title="PIE check",
        closed_on=date(2025, 6, 2),
        earlier_on=date(2025, 3, 12),
        results=[
            ElementResult("training", 11, views=[2, 18, 10], earlier_view=8),
            ElementResult("support", 7, views=[6, 7, 8], earlier_view=7),
            ElementResult("relationships", None, views=[]),
        ],
        actions=[Action("Book <b>trauma</b> training", "Sam & Jo", date(2025, 7, 14), "everyone has been")],
    )
    text = round_summary(framework, summary)
    assert "Training: Well on the way · 1 of 5 — moved up 3 places since 12 Mar" in text
    assert "Support: Getting there · 2 of 5 — held" in text
    assert "not agreed this time" in text
    differed = text.split("Where views differed most")[1].split("Action plan")[0]
    assert "Training" in differed and "Support" not in differed
    assert "Book &lt;b&gt;trauma&lt;/b&gt; training — Sam &amp; Jo, by 14 Jul" in text
    assert "in 8 weeks" in text
    for word in ("fail", "worse", "poor", "behind"):
        assert word not in visible(text).lower()
    assert [b.data for b in all_buttons(review_keyboard(date(2025, 6, 2)))] == ["rv4", "rv8", "rv12"]


# ---------------------------------------------------------------- peer review


def test_reviewer_sees_no_names_and_no_private_evidence_unless_allowed(framework):
    pack = peer_review.ReviewPack(
        team_name="Elm <House>",
        round_title="PIE check",
        elements=[
            peer_review.ReviewElement(
                "training",
                9,
                views=[8, 9, 12],
                evidence=[
                    peer_review.Answer("Rota <b>clash</b>"),
                    peer_review.Answer("My own struggle", private=True),
                ],
            )
        ],
        actions=[Action("Book training", "Sam", date(2025, 7, 14))],
    )
    seen = peer_review.reviewer_view(framework, pack)
    assert "Elm &lt;House&gt;" in seen and "Rota &lt;b&gt;clash&lt;/b&gt;" in seen
    assert "My own struggle" not in seen and "1 more kept within the team" in seen
    assert "Sam" not in seen and "Book training" in seen
    shared = peer_review.reviewer_view(framework, replace(pack, share_private_evidence=True))
    assert "My own struggle" in shared
    assert "<code>AB&lt;C</code>" in peer_review.code_for_facilitator("AB<C", date(2025, 7, 1))
    assert "&lt;script&gt;" in peer_review.comments_for_team("Pat", ["<script>"])


# ---------------------------------------------------------------- check-in


def checkin_result(**overrides) -> CheckInResult:
    values = {
        "element_id": "training",
        "members": 8,
        "ratings": [6, 8, 9, 11, 12],
        "previous_ratings": [5, 6, 7],
        "today": date(2025, 6, 9),
        "anonymous": False,
        "examples": [
            Example(Question.BENT, "Let a <b>resident</b> keep a dog overnight", "Sam"),
            Example(Question.CHANGE, "Review the visitor rule", "Jo"),
        ],
        "new_actions": [Action("Review the visitor rule", "Jo", date(2025, 6, 30))],
        "open_actions": [
            Action("Fix the rota", "Kim", date(2025, 6, 1)),
            Action("Done one", "Lee", date(2025, 5, 1), done=True),
        ],
    }
    values.update(overrides)
    return CheckInResult(**values)


def test_checkin_summary_figures_and_change_since_last(framework):
    numbers = figures(checkin_result())
    assert numbers.answered == 5
    assert (numbers.spread.median, numbers.spread.low, numbers.spread.high) == (9, 6, 12)
    assert numbers.change == Distance(6, 9)
    text = checkin_summary(framework, checkin_result())
    assert "5 of 8 answered." in text
    assert "Middle view: <b>Getting there · 4 of 5</b>" in text
    assert "Since the last check-in: moved up 3 places" in text
    assert "Let a &lt;b&gt;resident&lt;/b&gt; keep a dog overnight — Sam" in text
    assert "Review the visitor rule — Jo, by 30 Jun" in text
    overdue = text.split("Past their date")[1]
    assert "Fix the rota" in overdue and "Done one" not in overdue


def test_anonymous_checkin_summary_has_no_names(framework):
    text = checkin_summary(framework, checkin_result(anonymous=True, new_actions=[], open_actions=[]))
    assert "Sam" not in text and "Jo" not in text
    assert "keep a dog overnight" in text


def test_checkin_with_too_few_answers_shows_no_spread_and_no_comparison(framework):
    result = checkin_result(ratings=[4, 15])
    assert figures(result).spread is None and figures(result).change is None
    text = checkin_summary(framework, result)
    assert "2 of 8 answered" in text and "●" not in text and "Since the last" not in text
    assert figures(checkin_result(previous_ratings=[3, 4])).change is None


def test_checkin_post_support_and_small_change(framework):
    post = checkin_post(
        framework, "support", datetime(2025, 6, 3, 13, 0, tzinfo=UTC), LONDON, NOW, anonymous=True
    )
    assert "bent a rule" in post and "One small change" in post and "anonymous" in post
    assert "Tue 14:00" in post
    assert "support" in [b.data for b in all_buttons(checkin_keyboard(framework))]
    reply = support_reply([Contact("Dr <Lee>", "07700 900123 & ext 4")])
    assert "Dr &lt;Lee&gt;" in reply and "&amp; ext 4" in reply
    assert "line manager" in support_reply([])
    action = change_to_action("Review the visitor rule\nJo\n30/6", date(2025, 6, 9))
    assert action == Action("Review the visitor rule", "Jo", date(2025, 6, 30), element_id="responsiveness")
    assert change_to_action("Just an idea", date(2025, 6, 9)) is None


def test_thread_counts_shared_places(framework):
    assert beads.thread(framework.scale, [1, 1, 1, 20]) == "③○○○○│○○○○○│○○○○○│○○○○●"


def test_the_shipped_framework_has_the_checkin_element_and_renders():
    from conversations.checkin import DEFAULT_ELEMENT
    from framework import load_framework

    pies2 = load_framework("pies2")
    assert pies2.element(DEFAULT_ELEMENT).id == DEFAULT_ELEMENT
    post = checkin_post(pies2, DEFAULT_ELEMENT, datetime(2025, 6, 3, 13, tzinfo=UTC), LONDON, NOW, False)
    assert "Check-in: Responsiveness" in post
    state = LiveRound(element_ids(pies2, Scope()))
    assert "0 of 4 have rated" in element_card(pies2, state, [], 4, anonymous=True)
