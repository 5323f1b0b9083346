"""What a team reads in a round: the card, buttons, prompts and refusals, the summary, the peer-review pack."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from conversations.actions import Action, read_action, read_due_date
from conversations.checkin import (
    checkin_keyboard,
)
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
    LiveRound,
)
from conversations.texts import peer_review, refusals
from conversations.texts.live import View, element_card, facilitator_keyboard, stage_prompt
from conversations.texts.summary import ElementResult, RoundSummary, review_keyboard, round_summary
from conversations.texts.walk import walk_keyboard, walk_nudge, walk_prompt, walk_status
from framework import Framework, Stage
from tests.conversation_helpers import LONDON, NOW, all_buttons, named, revealed_round, small_framework, visible


@pytest.fixture
def framework() -> Framework:
    return small_framework()


# ---------------------------------------------------------------- the element card


def test_card_before_reveal_shows_only_how_many_have_rated(framework):
    state = LiveRound(["training", "support"])
    views = named(("Sam", 17), ("Alex", 3), ("Jo", 9), ("Kim", 13), ("Lee", 19))
    card = element_card(framework, state, views, members=8, anonymous=False)
    assert "5 of 8 have rated" in card
    assert "Training and support" in card and "How is training going?" in card
    assert "Fourth?" not in card  # two or three questions, not a wall
    for hidden in ("Sam", "Alex", "●", "Middle", "Not yet —", "Part of us —", "17", "halfway"):
        assert hidden not in card


def test_card_says_how_many_are_needed_before_sharing(framework):
    card = element_card(framework, LiveRound(["training"]), named(("Sam", 4), ("Jo", 5)), 5, anonymous=True)
    assert "2 of 5 have rated" in card and "once 3 are in" in card


def test_revealed_card_shows_beads_median_range_and_flags_wide_disagreement(framework):
    state = revealed_round()
    card = element_card(framework, state, named(("Sam", 2), ("Alex", 18), ("Jo", 10)), 5, anonymous=False)
    assert "○●○○○│○○○○●│○○○○○│○○●○○" in card
    assert "the middle view is Getting there — near the top" in card
    assert "From Not yet — early on to Part of us — halfway" in card
    assert "Views differ a lot here — worth talking about why" in card
    assert "Views differ most between Not yet and Part of us." in card
    assert "What would we need to see to move it up a place?" in card
    assert "Sam" not in card  # names beside beads only when the team chose "named and shown"
    shown = element_card(framework, state, named(("Sam", 2), ("Alex", 18), ("Jo", 10)), 5, anonymous=False,
                         names_shown=True)
    assert "Sam" in shown and "Alex" in shown


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
    assert "Team view: Getting there — halfway" in card
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
    assert "&lt;b&gt;Half&lt;/b&gt; &amp; half — halfway" in card


# ---------------------------------------------------------------- keyboards


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


def test_facilitator_is_never_offered_the_middle_view_as_one_tap(framework):
    state = revealed_round()
    labels = [
        b.label for b in all_buttons(facilitator_keyboard(framework, state, [View(7), View(8), View(9)]))
    ]
    assert not any(label.startswith("Team view") or "halfway" in label for label in labels)


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
    assert "Training: Well on the way — at the start (up a level since 12 Mar)" in text
    assert "Support: Getting there — early on (held steady since 12 Mar)" in text
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


