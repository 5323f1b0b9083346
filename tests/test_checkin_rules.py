"""What a team would notice about a check-in: its post, summary and figures, support, one small change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from conversations import beads
from conversations.actions import Action
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
from conversations.pizazz import (
    Distance,
    LiveRound,
    Scope,
    element_ids,
)
from conversations.texts.live import element_card
from framework import Framework
from tests.conversation_helpers import LONDON, NOW, all_buttons, small_framework


@pytest.fixture
def framework() -> Framework:
    return small_framework()


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
