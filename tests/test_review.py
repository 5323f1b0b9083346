"""The review of the Pizazz, end to end: an element the team looked at before opens with what was agreed
then (the team view and its date, the actions and where they stand), its review question is answered like
the other stages, and once the new team view is agreed the card says how far it has moved."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot import clock, scheduling
from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage import rounds, teams
from piebot.storage.models import Evidence, SealedBallot
from piebot.telegram.delivery import ratelimit
from tests.checkin_helpers import use_hand_clock, utc
from tests.rounds_helpers import (
    agree_middle,
    current,
    next_prompt,
    next_stage,
    rate_all,
    reveal,
    start_round,
    summary_after,
    tap,
    wait_card,
)
from tests.test_charts_bot import documents, pdf_text
from tests.test_quiet_group import note_about
from tests.walk_helpers import answer as walk_answer
from tests.walk_helpers import finish_with_skips, frozen_clock, opened, prompt_of
from tests.walk_helpers import rate as walk_rate
from tests.walk_helpers import skip as walk_skip


@pytest.fixture
def roomy_group_limit(monkeypatch):
    monkeypatch.setattr(ratelimit, "GROUP_PER_MINUTE", 1000)


@pytest.fixture
def harness(roomy_group_limit, harness):
    return harness


@pytest.fixture
def hand(monkeypatch):
    return use_hand_clock(monkeypatch, utc(2026, 5, 1, 9))


async def pressed(api, user, message, label: str) -> dict:
    query_id = await api.press(user, message, message.button(label))
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


def now_of(api, message):
    return next(m for m in api.chat_log(message.chat_id) if m.message_id == message.message_id)


async def edited(api, message, words: str):
    await api.wait_for(lambda: words in now_of(api, message).text, timeout=10)
    return now_of(api, message)


async def first_round_with_two_actions(api, team, *, anonymous: bool = False):
    """Round 1 on Responsiveness: team view agreed, Bea and Cal each own an action; the round ends."""
    group, ada, (_bea, cal, _dee) = team.group, team.admin, team.members
    card = await start_round(api, team, anonymous=anonymous)
    await rate_all(api, team.everyone, card, [(2, 1), (2, 3), (3, 1), (2, 5)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    for stage in ("Evidence", "What gets in the way", "What helps"):
        await next_stage(api, ada, group, card, stage)
    prompt = await next_stage(api, ada, group, card, "Action plan")
    await api.send(cal, group, "Weekly debrief after nights\nBea\n2026-05-14\nnobody goes home upset", reply_to=prompt)
    await api.send(ada, group, "Rota swap trial\nCal\n2026-05-20", reply_to=prompt)
    # Quiet receipts: each author hears "Action noted" in private.
    await api.wait_for(lambda: all(any("Action noted" in m.text for m in api.chat_log(who)) for who in (cal, ada)),
                       timeout=10)
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    await summary_after(api, group, before)


async def settle_from_reminders(api, app, hand, bea, cal) -> None:
    """Bea marks hers done from the private reminder; Cal's is past its date and he keeps it on."""
    hand.set(utc(2026, 5, 12, 9))
    await scheduling.tick(app, hand())
    [reminder] = [m for m in api.chat_log(bea) if "action you own" in m.text]
    assert (await pressed(api, bea, reminder, "Done"))["text"] == "Marked done ✅"
    hand.set(utc(2026, 5, 21, 9))
    await scheduling.tick(app, hand())
    [late] = [m for m in api.chat_log(cal) if "action you own" in m.text]
    await pressed(api, cal, late, "Still on")
    picker = await edited(api, late, "By when now?")
    assert (await pressed(api, cal, picker, "In two weeks"))["text"] == "Still on, now by Thu 4 Jun"


async def test_the_next_round_opens_with_the_review_and_ends_with_the_distance_travelled(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (bea, cal, dee) = team.group, team.admin, team.members
    await first_round_with_two_actions(api, team)
    await settle_from_reminders(api, harness.bot.app, hand, bea, cal)

    # Some weeks on, the team looks at Responsiveness again: the card opens by looking back.
    hand.set(utc(2026, 6, 26, 9))
    before = len(api.chat_log(group))
    card = await start_round(api, team, opens="Looking back")
    text = card.text
    assert "Last time (Fri 1 May 2026) we agreed: Getting there — well along" in text
    # Still open first: the one to talk about.
    assert "1. Rota swap trial — Cal: 🗓 still on, now by Thu 4 Jun 2026" in text
    assert "2. Weekly debrief after nights — Bea: ✅ done Tue 12 May 2026" in text
    assert "have rated" not in text  # no rating yet: the review comes first
    # Cal's, still open, can be settled right on the card; Bea's is done and has no buttons.
    labels = [label for row in card.buttons for label, _ in row]
    assert "1 · Done ✅" in labels and "2 · Done ✅" not in labels
    assert "Next: rate it now →" in labels
    question = await next_prompt(api, group, before)
    assert "Review" in question.text and "Responsiveness" in question.text

    # A member cannot move the session on, nor rate before the review is over.
    refused = await pressed(api, dee, current(api, card), "Next: rate it now")
    assert refused.get("show_alert")
    await api.send(bea, group, "The debriefs happen every Monday now and nights feel calmer", reply_to=question)
    await api.send(dee, group, "The rota swap got stuck with HR", reply_to=question)
    card = await wait_card(api, card, "Review: 2")

    # The facilitator settles Cal's from the card: done; the card shows it.
    assert (await pressed(api, ada, current(api, card), "1 · Done"))["text"] == "Marked done ✅"
    card = await wait_card(api, card, "Rota swap trial — Cal: ✅ done")
    assert not any("Done ✅" in label for row in card.buttons for label, _ in row)

    # Then on to the rating as usual; after the team view the card says how far it has moved.
    await tap(api, ada, card, "Next: rate it now")
    card = await wait_card(api, card, "have rated")
    await rate_all(api, team.everyone, card, [(3, 2), (3, 3), (3, 4), (3, 2)])
    card = await reveal(api, ada, card)
    card = await agree_middle(api, ada, card)
    card = await wait_card(api, card, "Since last time")
    assert "📏 Since last time (Fri 1 May 2026): up a level — from Getting there — well along to" in card.text

    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    assert "Looking back: what changed since last time" in summary.text
    assert "The debriefs happen every Monday now and nights feel calmer" in summary.text
    assert "The rota swap got stuck with HR" in summary.text
    assert "(up a level since" in summary.text

    # The PDF report lists them under the element, before its evidence.
    await api.wait_idle()
    await say(api, ada, group, "/report")
    await api.wait_for(lambda: documents(api, ada), timeout=30)
    words = " ".join(pdf_text(documents(api, ada)[-1].file).split())
    assert "Looking back: what changed since last time" in words
    assert "The rota swap got stuck with HR" in words and "nights feel calmer" in words

    with harness.db.session() as s:
        said = s.exec(select(Evidence).where(Evidence.stage == "review")).all()
        assert sorted(e.text for e in said) == ["The debriefs happen every Monday now and nights feel calmer",
                                               "The rota swap got stuck with HR"]


# ---------------------------------------------------------------- in people's own time


def an_earlier_look(harness, group, element_id: str, team_view: int, action: str) -> None:
    """A closed round that agreed a team view on `element_id`, with an action Bea owns."""
    with harness.db.session() as s:
        team = teams.team_for_chat(s, group.id)
        bea = next(m for m in teams.active_members(s, team.id) if m.display_name == "Bea")
        round_ = rounds.open_round(s, team_id=team.id, element_ids=[element_id], scope="element",
                                   scope_ref=element_id, mode="live", anonymous=False,
                                   framework_variant=team.framework_variant, opened_by=None)
        rounds.set_team_view(s, round_, element_id, team_view)
        rounds.add_action(s, team_id=team.id, text=action, round_id=round_.id, element_id=element_id,
                          owner_member_id=bea.id, due=clock.now().date())
        rounds.close_round(s, round_)
        s.commit()


async def test_a_walk_opens_a_looked_at_before_element_with_the_review(api, harness, monkeypatch):
    frozen_clock(monkeypatch)
    team = await add_bot_and_set_up(api, members=2)
    ada, bea, _cal = team.everyone
    an_earlier_look(harness, team.group, "training", 8, "Book the refresher course")
    await opened(api, harness, team)

    # Training was looked at before: the walk starts with last time's view, its action, and the review.
    first = prompt_of(api, bea)
    assert "Looking back" in first.text and "the team agreed: Getting there — halfway" in first.text
    assert "1. Book the refresher course — Bea: " in first.text
    assert "Review · Training · 1 of 2" in first.text and "Type your answer, or tap Skip." in first.text
    step = await walk_answer(api, bea, "Half of us went on the refresher; the rest are booked")
    assert "Where would you put us now" in step.text and "Training" in step.text

    # Support never was: it starts with the rating, as ever. Ada skips the review.
    step = await walk_skip(api, ada)
    assert "Where would you put us now" in step.text
    await walk_rate(api, ada, 2, 3)
    await finish_with_skips(api, ada)
    await walk_rate(api, bea, 3, 1)
    await finish_with_skips(api, bea)
    assert "Looking back" not in "".join(m.text for m in api.chat_log(bea) if "Support ·" in m.text)

    with harness.db.session() as s:
        [said] = s.exec(select(Evidence).where(Evidence.stage == "review")).all()
    assert (said.text, said.element_id) == ("Half of us went on the refresher; the rest are booked", "training")


# ---------------------------------------------------------------- the review reminder's button


async def test_the_review_reminder_opens_a_review_round_for_the_facilitator_only(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, ada, (_bea, _cal, dee) = team.group, team.admin, team.members
    await first_round_with_two_actions(api, team)
    # The date picked under the summary is the one the reminders come for.
    summary = next(m for m in api.chat_log(group) if "— summary" in m.text)
    await pressed(api, ada, summary, "In 4 weeks")
    await edited(api, summary, "Review set for")

    hand.set(utc(2026, 5, 22, 12))
    await scheduling.tick(harness.bot.app, hand())
    await api.wait_for(lambda: any("A week to go" in m.text for m in api.chat_log(group)), timeout=10)
    reminder = next(m for m in api.chat_log(group) if "A week to go" in m.text)
    assert [label for row in reminder.buttons for label, _ in row] == ["🔁 Start the review round"]

    # Dee is neither facilitator nor admin: told so kindly, and no round opens.
    refused = await pressed(api, dee, reminder, "Start the review round")
    assert refused["show_alert"] and "Only the facilitator or a group admin" in refused["text"]
    with harness.db.session() as s:
        team_row = teams.team_for_chat(s, group.id)
        assert rounds.open_round_of(s, team_row.id) is None

    # Ada starts it: a live round, named like the last, on the element looked at with its actions.
    before = len(api.chat_log(group))
    await pressed(api, ada, reminder, "Start the review round")
    await api.wait_for(lambda: any("Looking back" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    card = next(m for m in api.chat_log(group)[before:] if "Looking back" in m.text)
    assert "Responsiveness" in card.text and "Weekly debrief after nights" in card.text
    assert any("PIE check: Responsiveness — 1 element, live" in m.text for m in api.chat_log(group)[before:])
    with harness.db.session() as s:
        opened_round = rounds.open_round_of(s, teams.team_for_chat(s, group.id).id)
        assert (opened_round.element_ids, opened_round.mode, opened_round.anonymous) == (
            ["responsiveness"], "live", False)


# ---------------------------------------------------------------- anonymous


async def test_in_an_anonymous_round_the_review_answers_keep_no_author_and_the_owner_settles_theirs(api, harness, hand):
    team = await add_bot_and_set_up(api, members=3)
    group, ada = team.group, team.admin
    an_earlier_look(harness, group, "responsiveness", 8, "Write the rules down")
    before = len(api.chat_log(group))
    card = await start_round(api, team, anonymous=True, opens="Looking back")
    question = await next_prompt(api, group, before)
    assert "anonymous" in question.text  # a reply in the group would show a name: answer in private
    for i, person in enumerate(team.everyone[:3]):
        told = await say(api, person, person, f"looking back {i}: the rules are on the office wall")
        assert "Added to Review · Responsiveness, without your name" in told.text
    card = await wait_card(api, card, "Review: 3")
    # Bea's action is still open: Cal, who neither owns it nor runs the session, cannot settle it; Bea can.
    bea, cal = team.members[0], team.members[1]
    refused = await pressed(api, cal, current(api, card), "1 · Done")
    assert refused.get("show_alert") and "Bea" in refused["text"]
    assert "Write the rules down — Bea: ✅ done" not in current(api, card).text
    assert (await pressed(api, bea, current(api, card), "1 · Done"))["text"] == "Marked done ✅"
    card = await wait_card(api, card, "Write the rules down — Bea: ✅ done")
    before = len(api.chat_log(group))
    await tap(api, ada, card, "End round")
    summary = await summary_after(api, group, before)
    assert all(f"looking back {i}: the rules" in summary.text for i in range(3))

    with harness.db.session() as s:
        said = s.exec(select(Evidence).where(Evidence.stage == "review")).all()
        assert sorted(e.text for e in said) == [f"looking back {i}: the rules are on the office wall"
                                               for i in range(3)]
        assert all(e.member_id is None and e.owner_key is None and e.id < 0 for e in said)
        assert s.exec(select(SealedBallot)).all() == []



# ---------------------------------------------------------------- a review answer's receipt


async def test_a_named_review_answer_is_edited_and_removed_from_its_receipt(api, harness):
    team = await add_bot_and_set_up(api, members=3)
    group, (bea, cal, _dee) = team.group, team.members
    an_earlier_look(harness, group, "responsiveness", 8, "Write the rules down")
    before = len(api.chat_log(group))
    card = await start_round(api, team, opens="Looking back")
    question = await next_prompt(api, group, before)
    await api.send(bea, group, "Jo Smith's rules are on the office wall now", reply_to=question)
    await api.send(bea, group, "A thought for another element", reply_to=question)
    card = await wait_card(api, card, "Review: 2")
    await api.wait_for(lambda: sum("Looking back" in m.text and bool(m.buttons) for m in api.chat_log(bea)) == 2)

    # A look back is not evidence: its receipt offers what works on it, new words and removal.
    note = note_about(api, bea, "rules are on the office wall")
    assert "Kept under Looking back" in note.text
    assert [label for row in note.buttons for label, _ in row] == ["✏️ Edit", "🗑 Remove"]

    # Bea gives it new words: no one's name.
    asked_from = len(api.chat_log(bea))
    await press(api, bea, note, "Edit")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(bea)[asked_from:]))
    ask = next(m for m in api.chat_log(bea)[asked_from:] if m.force_reply)
    assert "Jo Smith's rules" in ask.text
    changed = await say(api, bea, bea, "The house rules are on the office wall now", reply_to=ask)
    assert "Changed" in changed.text

    # Cal cannot touch it; Bea removes her second one and the card counts one.
    other = note_about(api, bea, "A thought for another element")
    assert "Only the person who wrote it" in (await press(api, cal, other, "Remove"))["text"]
    assert "Removed" in (await press(api, bea, other, "Remove"))["text"]
    await wait_card(api, card, "Review: 1")
    with harness.db.session() as s:
        said = s.exec(select(Evidence).where(Evidence.stage == "review")).all()
        assert [e.text for e in said] == ["The house rules are on the office wall now"]
