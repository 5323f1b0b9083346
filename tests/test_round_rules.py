"""The rules of a Pizazz round as a team would notice them: the spread, sharing, stages, the own-time walk."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from conversations.errors import NotAllowed
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
from framework import Framework, Stage
from tests.conversation_helpers import NOW, revealed_round, small_framework


@pytest.fixture
def framework() -> Framework:
    return small_framework()


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
    assert moved["training"].places == 3
    assert moved["support"].places == 0
    assert moved["relationships"].places is None
    assert Distance(9, 7).places == -2
    assert Distance(9, None).places is None


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




def test_an_element_looked_at_before_opens_with_the_review_then_the_rating():
    state = LiveRound(["training", "support"], reviewed=frozenset({"training", "support"}), phase=Phase.REVIEW)
    assert state.stage is Stage.REVIEW
    with pytest.raises(NotAllowed, match="looking back first"):
        state.check_can_rate("training")
    with pytest.raises(NotAllowed):
        state.set_team_view(8)
    state.check_can_answer("training", Stage.REVIEW)
    with pytest.raises(NotAllowed):
        state.check_can_answer("training", Stage.EVIDENCE)
    assert state.next() is Phase.RATING
    state.check_can_rate("training")
    # What changed often comes up later: the review's question stays open until the element closes.
    state.reveal(3, 3)
    state.set_team_view(12)
    state.next()
    state.check_can_answer("training", Stage.REVIEW)
    state.skip()
    assert (state.element_id, state.phase, state.stage) == ("support", Phase.REVIEW, Stage.REVIEW)
    with pytest.raises(NotAllowed, match="That question has closed"):
        state.check_can_answer("training", Stage.REVIEW)
    again = LiveRound.from_dict(json.loads(json.dumps(state.to_dict())))
    assert (again.phase, again.reviewed) == (Phase.REVIEW, frozenset({"training", "support"}))


def test_an_element_never_looked_at_has_no_review():
    state = revealed_round(["training", "support"])
    state.set_team_view(8)
    with pytest.raises(NotAllowed, match="That question has closed"):
        state.check_can_answer("training", Stage.REVIEW)
    state.skip()
    assert state.phase is Phase.RATING


def test_the_walk_of_an_element_looked_at_before_starts_with_the_review():
    walk = AsyncWalk(["training", "support"], reviewed=["support"])
    steps = []
    while not walk.done:
        step = walk.current()
        steps.append((step.element_id, step.step))
        walk.advance()
    assert steps[0] == ("training", Stage.ASSESSMENT) and steps[5] == ("support", Stage.REVIEW)
    assert steps[6] == ("support", Stage.ASSESSMENT) and len(steps) == 11
    # Back from the rating goes to the review; a walk stored at the review resumes there.
    walk = AsyncWalk(["training", "support"], reviewed=["support"], progress={"element_index": 1, "step": "review"})
    assert walk.current().is_review
    walk.advance()
    assert walk.back().step is Stage.REVIEW
    assert walk.back() == walk.current() and walk.current().step is Stage.ACTION_PLAN
