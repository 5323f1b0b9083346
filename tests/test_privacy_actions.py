"""Data rights over actions: /forgetme and the retention purge take an action's history, its waiting
questions and the words of whoever dropped it, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from conversations.actions import Change
from piebot.storage import actions
from piebot.storage.db import session_scope
from piebot.storage.models import Action, ActionChange, ActionQuestion, Member, Team, utcnow
from piebot.storage.privacy import forget_member, purge_expired

GROUP = -500


def _team_with_actions(db, retention_days: int | None = None) -> dict[str, int]:
    with session_scope(db) as s:
        team = Team(chat_id=GROUP, name="Elm", set_up=True, retention_days=retention_days)
        s.add(team)
        s.flush()
        ada = Member(team_id=team.id, telegram_user_id=601, display_name="Ada", private_chat=True)
        bea = Member(team_id=team.id, telegram_user_id=602, display_name="Bea", private_chat=True)
        s.add_all([ada, bea])
        s.flush()
        hers = Action(team_id=team.id, text="Ada's idea", owner_member_id=bea.id, author_member_id=ada.id,
                      due=date.today() + timedelta(days=7))
        theirs = Action(team_id=team.id, text="Bea's plan", owner_member_id=bea.id, author_member_id=bea.id,
                        due=date.today() + timedelta(days=7))
        s.add_all([hers, theirs])
        s.flush()
        return {"team": team.id, "ada": ada.id, "bea": bea.id, "hers": hers.id, "theirs": theirs.id}


async def test_forgetme_takes_the_actions_someone_wrote_with_their_history_and_their_words(db):
    ids = _team_with_actions(db)
    now = utcnow()
    with session_scope(db) as s:
        # Ada drops Bea's plan (her reason is her words) and is asked a date on her own idea.
        actions.change_action(s, ids["theirs"], Change.DROP, chat_id=GROUP, telegram_user_id=601, admin=True,
                              now=now, reason="Ada thinks it clashes with the rota")
        actions.change_action(s, ids["hers"], Change.DONE, chat_id=GROUP, telegram_user_id=602, admin=False,
                              now=now)
        s.add(ActionQuestion(chat_id=601, message_id=9, action_id=ids["hers"], asking="date"))
    with session_scope(db) as s:
        forget_member(s, 601)
    with db.session() as s:
        assert [a.text for a in s.exec(select(Action))] == ["Bea's plan"]
        plan = s.get(Action, ids["theirs"])
        assert plan.drop_reason == "" and plan.status == "dropped"
        history = s.exec(select(ActionChange)).all()
        assert [(c.action_id, c.changed_by_member_id, c.reason) for c in history] == [(ids["theirs"], None, "")]
        assert s.exec(select(ActionQuestion)).all() == []


async def test_the_purge_takes_old_actions_with_their_history(db):
    ids = _team_with_actions(db, retention_days=30)
    long_ago = utcnow() - timedelta(days=40)
    with session_scope(db) as s:
        actions.change_action(s, ids["theirs"], Change.DONE, chat_id=GROUP, telegram_user_id=602, admin=False,
                              now=long_ago)
        s.add(ActionQuestion(chat_id=602, message_id=9, action_id=ids["hers"], asking="reason",
                             created_at=long_ago))
        for action in s.exec(select(Action)):
            action.created_at = long_ago
    with session_scope(db) as s:
        counts = purge_expired(s, utcnow())
    assert counts["actions"] == 2
    with db.session() as s:
        assert s.exec(select(Action)).all() == []
        assert s.exec(select(ActionChange)).all() == []
        assert s.exec(select(ActionQuestion)).all() == []
