"""An anonymous live round: afterwards nothing — database, bot messages, logs — links an answer to its author."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, bot_reply, say
from piebot.storage.models import Action, Evidence, Member, Participation, Rating, Round, SealedBallot
from piebot.telegram.delivery import ratelimit
from tests.rounds_helpers import (
    agree_middle,
    current,
    has_grid,
    next_stage,
    rate,
    rate_all,
    reveal,
    start_round,
    summary_after,
    tap,
    tap_place,
    wait_card,
)

SECRETS = {
    "Ada": "supervision keeps being cancelled",
    "Bea": "the night manager shouts at new starters",
    "Cal": "handover notes go missing on Sundays",
    "Dee": "we never hear back after incidents",
}


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


async def test_anonymous_round_keeps_no_link_from_answer_to_author(api, harness, caplog):
    caplog.set_level(logging.DEBUG)
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    card = await start_round(api, team, anonymous=True)
    assert "Anonymous" in card.text and "Take my bead back" in str(card.buttons)
    await rate_all(api, team.everyone, card, [(2, 2), (4, 5), (1, 1), (3, 3)])
    # While the round is open a person can still move their own bead: only the bot can find it.
    again = await rate(api, bea, card, 1, 2)
    assert not again.get("show_alert") and "moved" in again["text"]
    card = await reveal(api, ada, card)
    assert "4 of 4" in card.text or "(4)" in card.text
    card = await agree_middle(api, ada, card)
    assert not any(name in card.text for name in ("Ada", "Bea", "Cal", "Dee"))

    prompt = await next_stage(api, ada, group, card, "Evidence")
    assert "anonymous" in prompt.text
    for user in (ada, bea, dee):
        before = len(api.chat_log(user))
        await api.send(user, user, SECRETS[user.first_name])
        assert "without your name" in (await bot_reply(api, user, before)).text
    await api.send(cal, group, SECRETS["Cal"], reply_to=prompt)
    await api.send_photo(dee, dee, caption="the broken rota board")
    await wait_card(api, card, "Evidence: 5")
    # Bea can see and take back her own anonymous answer, privately.
    listed = await say(api, bea, group, "/withdraw")
    assert "in private" in listed.text
    await api.wait_for(lambda: any(m.buttons for m in api.chat_log(bea)))
    withdraw_list = next(m for m in reversed(api.chat_log(bea)) if m.buttons)
    [label] = [label for row in withdraw_list.buttons for label, _ in row]
    assert SECRETS["Bea"][:30] in label
    await tap(api, bea, withdraw_list, withdraw_list.buttons[0][0][0])
    await wait_card(api, card, "Evidence: 4")
    await next_stage(api, ada, group, card, "What gets in the way")
    await next_stage(api, ada, group, card, "What helps")
    prompt = await next_stage(api, ada, group, card, "Action plan")
    await say(api, cal, group, "Debrief after every incident\nDee\nin 2 weeks", reply_to=prompt)
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    await api.wait_idle()
    assert "Debrief after every incident" in summary.text

    names = {u.first_name for u in team.everyone}
    ids = {str(u.id) for u in team.everyone}
    # Bot messages: no secret appears anywhere, and no card or summary names anyone but the action's owner.
    for chat in (group, *team.everyone):
        for message in api.chat_log(chat, include_deleted=True):
            assert not any(secret in message.text for secret in SECRETS.values())
    for message in (current(api, card), summary):
        assert not (names - {"Dee"}) & set(message.text.replace(",", " ").split())
    # Database: answers carry no member, no author-specific time, no key in order; participation holds no answer.
    with harness.db.session() as s:
        round_ = s.exec(select(Round)).one()
        ratings = s.exec(select(Rating)).all()
        evidence = s.exec(select(Evidence)).all()
        assert sorted(r.value for r in ratings) == [1, 2, 7, 13]  # Bea moved hers from 20 to 2
        assert len(evidence) == 4 and SECRETS["Bea"] not in {e.text for e in evidence}
        assert all(r.member_id is None and r.created_at == r.updated_at == round_.opened_at for r in ratings)
        assert all(e.member_id is None and e.created_at == round_.opened_at for e in evidence)
        assert all(row.id < 0 and row.owner_key is None for row in [*ratings, *evidence])
        assert s.exec(select(SealedBallot)).all() == []
        assert {p.part for p in s.exec(select(Participation))} == {"rating", "evidence"}
        assert set(Participation.model_fields) == {"member_id", "subject", "element_id", "part"}
        action = s.exec(select(Action)).one()
        assert action.author_member_id is None and action.owner_key is None
        owner = s.get(Member, action.owner_member_id)
        assert owner.display_name == "Dee"  # who does an action is the team's decision, not an answer
        # No other table holds a member next to a secret.
        engine = s.get_bind()
        for table in inspect(engine).get_table_names():
            for row in s.execute(text(f'SELECT * FROM "{table}"')):
                line = " ".join(str(v) for v in row)
                assert not (any(secret in line for secret in SECRETS.values()) and any(i in line for i in ids))
    # Logs: no names, ids or words of anyone's.
    assert len(caplog.records) > 10  # the bot's logs were captured, so the checks below mean something
    for record in caplog.records:
        message = record.getMessage()
        assert not any(secret in message for secret in SECRETS.values()), message
        assert not any(i in message for i in ids), message
        assert not any(f" {n} " in f" {message} " for n in names), message


async def test_two_views_are_never_shown_not_even_as_a_middle(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    card = await start_round(api, team, anonymous=True)
    await rate_all(api, team.everyone, card, [(1, 2), (3, 4)])
    await tap(api, team.admin, card, "Share the views")
    card = await wait_card(api, card, "too few to show")
    assert "Middle" not in card.text
    labels = [label for row in card.buttons for label, _ in row]
    assert not any(label.startswith("Team view") for label in labels)
    assert not any(team.admin.first_name in label or " — " in label for label in labels)
    assert has_grid(card, team=True)
    await tap_place(api, team.admin, card, 2, 3)
    await wait_card(api, card, "Team view: Getting there — halfway")
