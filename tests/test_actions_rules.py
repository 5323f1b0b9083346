"""The rules of following an action to done (conversations.actions) and their words, without Telegram or SQL."""

from __future__ import annotations

from datetime import date

import pytest

from conversations.actions import (
    Change,
    QuickDate,
    Refusal,
    Status,
    TrackedAction,
    add_months,
    in_list_order,
    is_overdue,
    quick_date,
    refusal,
)
from conversations.texts import actions as texts

TODAY = date(2026, 5, 12)


@pytest.mark.parametrize("status, change, kwargs, expected", [
    (Status.OPEN, Change.DONE, {}, None),
    (Status.STILL_ON, Change.DONE, {}, None),
    (Status.DONE, Change.DONE, {}, Refusal.ALREADY_DONE),
    (Status.DROPPED, Change.STILL_ON, {"new_due": TODAY}, Refusal.ALREADY_DROPPED),
    (Status.OPEN, Change.STILL_ON, {}, Refusal.NO_DATE),
    (Status.OPEN, Change.STILL_ON, {"new_due": date(2026, 5, 11)}, Refusal.DATE_PASSED),
    (Status.OPEN, Change.STILL_ON, {"new_due": TODAY}, None),
    (Status.OPEN, Change.DROP, {"reason": "  "}, Refusal.NO_REASON),
    (Status.OPEN, Change.DROP, {"reason": "x" * 301}, Refusal.REASON_TOO_LONG),
    (Status.STILL_ON, Change.DROP, {"reason": "Overtaken"}, None),
    (Status.OPEN, Change.REOPEN, {}, Refusal.NOT_SETTLED),
    (Status.DONE, Change.REOPEN, {}, None),
    (Status.DROPPED, Change.REOPEN, {}, None),
])
def test_which_changes_are_allowed(status, change, kwargs, expected):
    assert refusal(status, change, TODAY, **kwargs) == expected


def test_overdue_means_still_open_and_past_its_date():
    assert is_overdue(Status.OPEN, date(2026, 5, 11), TODAY)
    assert is_overdue(Status.STILL_ON, date(2026, 5, 1), TODAY)
    assert not is_overdue(Status.OPEN, TODAY, TODAY)  # the day itself is not late yet
    assert not is_overdue(Status.DONE, date(2026, 5, 1), TODAY)
    assert not is_overdue(Status.OPEN, None, TODAY)


def test_a_list_reads_overdue_first_then_by_date_then_done_then_dropped():
    def a(i, status, due=None, done_on=None):
        return TrackedAction(i, f"a{i}", due=due, status=Status(status), done_on=done_on)
    listed = [a(1, "dropped"), a(2, "open"), a(3, "done", done_on=date(2026, 5, 1)), a(4, "open", date(2026, 6, 1)),
              a(5, "open", date(2026, 5, 1)), a(6, "still_on", date(2026, 5, 20)), a(7, "open", date(2026, 4, 1)),
              a(8, "done", done_on=date(2026, 5, 10))]
    assert [x.id for x in in_list_order(listed, TODAY)] == [7, 5, 6, 4, 2, 8, 3, 1]


def test_one_tap_dates():
    assert quick_date(QuickDate.WEEK, TODAY) == date(2026, 5, 19)
    assert quick_date(QuickDate.TWO_WEEKS, TODAY) == date(2026, 5, 26)
    assert quick_date(QuickDate.MONTH, TODAY) == date(2026, 6, 12)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28) and add_months(date(2026, 12, 5), 1) == date(2027, 1, 5)
    assert texts.quick_date_button(QuickDate.MONTH, date(2026, 6, 12)) == "In a month · Fri 12 Jun"


def test_words_escape_what_people_wrote():
    action = TrackedAction(1, "Fix <b>the</b> rota", owner="Bea & Co", due=date(2026, 5, 1), status=Status.OPEN)
    line = texts.list_line(1, action, TODAY)
    assert "Fix &lt;b&gt;the&lt;/b&gt; rota" in line and "Bea &amp; Co" in line and "was due Fri 1 May" in line
    dropped = TrackedAction(2, "x", status=Status.DROPPED, reason="<i>no</i>")
    assert "&lt;i&gt;no&lt;/i&gt;" in texts.action_card(dropped, TODAY)
    for reason in Refusal:
        assert texts.refused(reason, action, TODAY)
