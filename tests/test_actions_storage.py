"""Actions in storage, on SQLite and PostgreSQL: changes and their history, refusals that change nothing,
and what a review round stands on (the elements to look at again, what was agreed last time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from conversations.actions import Change, Status
from conversations.errors import NotAllowed
from piebot.storage import actions, rounds
from piebot.storage.db import session_scope
from piebot.storage.models import Action
from tests.test_results import make_team, run_round

T1 = datetime(2026, 2, 3, 15, tzinfo=timezone.utc)


def _round_with_actions(s):
    team, people = make_team(s)
    ada, bea, cal = people[:3]
    made = {}

    def during(round_):
        made["bea"] = rounds.add_action(s, team_id=team.id, text="Weekly debrief", round_id=round_.id,
                                        element_id="support", owner_member_id=bea.id, due=date(2026, 2, 20)).id
        made["cal"] = rounds.add_action(s, team_id=team.id, text="Ask the council", round_id=round_.id,
                                        element_id="pathways", owner_member_id=cal.id, due=date(2026, 2, 27)).id
    round_ = run_round(s, team, people, ["support", "training", "pathways"], {"support": 8, "pathways": 11},
                       closed_at=T1, during=during, answers={"training": [4, 5, 6]})
    return team, people, round_, made


def test_changes_are_kept_with_their_date_and_who_made_them(db):
    with session_scope(db) as s:
        team, (ada, bea, cal, dee), _, made = _round_with_actions(s)
        group = team.chat_id
        # Dee is neither owner nor facilitator; an admin (as Telegram says) may.
        with pytest.raises(NotAllowed, match="Only Bea"):
            actions.change_action(s, made["bea"], Change.DONE, chat_id=group, telegram_user_id=dee.telegram_user_id,
                                  admin=False, now=T1)
        # Privately, only one's own: being an admin of the group does not count there.
        with pytest.raises(NotAllowed, match="isn't yours"):
            actions.change_action(s, made["bea"], Change.DONE, chat_id=ada.telegram_user_id,
                                  telegram_user_id=ada.telegram_user_id, admin=True, now=T1)
        with pytest.raises(NotAllowed, match="another chat"):
            actions.change_action(s, made["bea"], Change.DONE, chat_id=-999, telegram_user_id=bea.telegram_user_id,
                                  admin=False, now=T1)
        done = actions.change_action(s, made["bea"], Change.DONE, chat_id=bea.telegram_user_id,
                                     telegram_user_id=bea.telegram_user_id, admin=False, now=T1 + timedelta(days=2))
        assert done.action.status is Status.DONE and done.action.done_on == date(2026, 2, 5)
        with pytest.raises(NotAllowed, match="already done"):
            actions.change_action(s, made["bea"], Change.DONE, chat_id=group, telegram_user_id=dee.telegram_user_id,
                                  admin=True, now=T1 + timedelta(days=3))
        actions.change_action(s, made["bea"], Change.REOPEN, chat_id=group, telegram_user_id=dee.telegram_user_id,
                              admin=True, now=T1 + timedelta(days=3))
        with pytest.raises(NotAllowed, match="already passed"):
            actions.change_action(s, made["cal"], Change.STILL_ON, chat_id=group, telegram_user_id=cal.telegram_user_id,
                                  admin=False, now=T1, new_due=date(2026, 1, 1))
        with pytest.raises(NotAllowed, match="few words"):
            actions.change_action(s, made["cal"], Change.DROP, chat_id=group, telegram_user_id=cal.telegram_user_id,
                                  admin=False, now=T1, reason=" ")
        actions.change_action(s, made["cal"], Change.DROP, chat_id=group, telegram_user_id=cal.telegram_user_id,
                              admin=False, now=T1 + timedelta(days=4), reason="The council came to us")
        history = actions.history(s, made["bea"])
        row = s.get(Action, made["cal"])
        assert (row.status, row.drop_reason) == ("dropped", "The council came to us")
    assert [(e.on, e.status, e.by, e.role) for e in history] == [
        (history[0].on, None, "", ""),
        (date(2026, 2, 5), Status.DONE, "Bea", "owner"),
        (date(2026, 2, 6), Status.OPEN, "Dee", "admin"),
    ]


def test_what_a_review_round_stands_on(db):
    with session_scope(db) as s:
        team, people, first, made = _round_with_actions(s)
        # A check-in's action on another element, still open: the review looks at it too.
        rounds.add_action(s, team_id=team.id, text="Bend the curfew rule less", element_id="responsiveness")
        # Done actions keep no element on the list by themselves.
        actions.change_action(s, made["bea"], Change.DONE, chat_id=team.chat_id,
                              telegram_user_id=people[1].telegram_user_id, admin=False, now=T1 + timedelta(days=1))
        to_review = actions.elements_to_review(s, team.id)
        look = actions.last_look(s, team.id, "support", now=T1 + timedelta(days=30))
        never = actions.last_look(s, team.id, "reflective-practice")
    # Support and pathways had team views, training was rated; responsiveness has an open action. In the
    # framework's order.
    assert to_review == ["training", "support", "pathways", "responsiveness"]
    assert look.round_id == first.id and look.team_view == 8 and look.closed_on == date(2026, 2, 3)
    assert [(a.what, a.status) for a in look.actions] == [("Weekly debrief", Status.DONE)]
    assert never is None
