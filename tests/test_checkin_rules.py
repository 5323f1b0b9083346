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
)
from conversations.checkin_figures import Answer, Change
from conversations.checkin_summary import checkin_summary, figures
from conversations.pizazz import (
    LiveRound,
    Scope,
    element_ids,
)
from conversations.support import country_of, lines_for, support_reply
from conversations.texts.live import element_card
from framework import Framework
from tests.conversation_helpers import LONDON, NOW, all_buttons, small_framework


@pytest.fixture
def framework() -> Framework:
    return small_framework()


# ---------------------------------------------------------------- check-in


def places(*values: int) -> list[Answer]:
    return [Answer.at(v) for v in values]


def levels(*values: int) -> list[Answer]:
    return [Answer.in_level(v) for v in values]


def checkin_result(**overrides) -> CheckInResult:
    values = {
        "element_id": "training",
        "members": 8,
        "ratings": places(6, 8, 9, 11, 12),
        "previous_ratings": places(5, 6, 7),
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
    spread = numbers.now.spread
    assert (spread.median, spread.low, spread.high) == (9, 6, 12)
    assert numbers.change == Change(True, 6, 9)
    text = checkin_summary(framework, checkin_result())
    assert "5 of 8 answered." in text
    assert "• 1 said <b>Getting there — halfway</b>" in text
    assert "Middle view: <b>Getting there — well along</b>" in text
    assert "Since the last check-in: a little further along" in text
    assert "Let a &lt;b&gt;resident&lt;/b&gt; keep a dog overnight — Sam" in text
    assert "Review the visitor rule — Jo, by 30 Jun" in text
    overdue = text.split("Past their date")[1]
    assert "Fix the rota" in overdue and "Done one" not in overdue


def test_levels_tapped_in_the_group_are_counted_as_levels():
    # Three taps on "Getting there" after a check-in where everyone chose 14: no false drop to place 8.
    result = checkin_result(ratings=levels(2, 2, 2), previous_ratings=places(14, 14, 14), examples=[],
                            new_actions=[], open_actions=[])
    numbers = figures(result)
    assert numbers.now.by_level == {2: 3} and numbers.now.middle_place is None
    assert numbers.change == Change(False, 3, 2)
    text = checkin_summary(small_framework(), result)
    assert "• 3 said <b>Getting there</b>" in text
    assert "Middle view: <b>Getting there</b>" in text
    assert "Since the last check-in: down a level, to Getting there" in text
    assert "●" not in text and "8" not in text.split("answered.")[1]


def test_a_mix_of_levels_and_places_is_compared_in_levels():
    result = checkin_result(ratings=[*levels(3, 3), Answer.at(13), Answer.at(20)], previous_ratings=levels(2, 2, 3))
    numbers = figures(result)
    assert (numbers.now.middle_place, numbers.now.middle_level) == (None, 3)
    assert numbers.change == Change(False, 2, 3)
    text = checkin_summary(small_framework(), result)
    lines = text.splitlines()
    said = [line for line in lines if " said " in line]
    assert said == ["• 2 said <b>Well on the way</b>", "• 1 said <b>Well on the way — halfway</b>",
                    "• 1 said <b>Part of us — near the top</b>"]
    assert "Since the last check-in: up a level, to Well on the way" in text


def test_anonymous_checkin_summary_has_no_names(framework):
    text = checkin_summary(framework, checkin_result(anonymous=True, new_actions=[], open_actions=[]))
    assert "Sam" not in text and "Jo" not in text
    assert "keep a dog overnight" in text


def test_checkin_with_too_few_answers_shows_no_spread_and_no_comparison(framework):
    result = checkin_result(ratings=places(4, 15))
    assert figures(result).now is None and figures(result).change is None
    text = checkin_summary(framework, result)
    assert "2 of 8 answered" in text and "●" not in text and "Since the last" not in text and " said " not in text
    assert figures(checkin_result(previous_ratings=places(3, 4))).change is None


def test_support_reply_puts_the_teams_contacts_first_then_the_countrys_lines():
    contacts = [Contact("Dr <Lee>", "07700 900123 & ext 4"), Contact("EAP", "0800 000 111")]
    uk = support_reply(contacts, lines_for("Europe/London"), ["Ada"])
    assert "Dr &lt;Lee&gt;" in uk and "&amp; ext 4" in uk
    assert uk.index("Dr &lt;Lee&gt;") < uk.index("EAP") < uk.index("Samaritans") < uk.index("116 123") < uk.index("999")
    assert "Would you like <b>Ada</b> to know?" in uk and "Only if you tap" in uk
    ireland = support_reply([], lines_for("Europe/Dublin"), [])
    assert "line manager" in ireland and "116 123" in ireland and "112 or 999" in ireland
    assert "Would you like" not in ireland and "keep only a count" in ireland
    sydney = support_reply([], lines_for("Australia/Sydney"), [])
    assert "Lifeline" in sydney and "13 11 14" in sydney and "000" in sydney
    for elsewhere in ("America/New_York", "America/Toronto", "Pacific/Auckland", "Europe/Berlin"):
        text = support_reply([], lines_for(elsewhere), [])
        assert "116 123" not in text and "999" not in text, elsewhere
    unknown = support_reply(contacts, lines_for("Asia/Kolkata"), [])
    assert "116 123" not in unknown and "999" not in unknown and "Samaritans" not in unknown
    assert "local emergency number" in unknown and "EAP" in unknown
    assert country_of("America/Indiana/Indianapolis") == "US" and country_of("Europe/Paris") is None


def test_checkin_post_support_and_small_change(framework):
    post = checkin_post(
        framework, "support", datetime(2025, 6, 3, 13, 0, tzinfo=UTC), LONDON, NOW, anonymous=True
    )
    assert "bent a rule" in post and "One small change" in post and "anonymous" in post
    assert "Tue 14:00" in post
    assert "support" in [b.data for b in all_buttons(checkin_keyboard(framework))]
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
