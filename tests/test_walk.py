"""The async round, end to end: a status message in the group, each person's walk in private, stopping
and carrying on across a restart, nudges, the deadline on a controllable clock, and the team views."""

from __future__ import annotations

import pytest
from sqlmodel import select

from piebot.demo.people import Team as People
from piebot.demo.people import add_bot_and_set_up, bot_reply, say, start_payload
from piebot.storage import teams
from piebot.storage.models import Dialog, Evidence, Member, Nudge, Rating, Round, RoundElement, SealedBallot, Team
from piebot.telegram.rounds import walk
from tests.walk_helpers import (
    answer,
    asking,
    finish_with_skips,
    finished_count,
    frozen_clock,
    next_prompt,
    opened,
    prompt_now,
    prompt_of,
    rate,
    said,
    skip,
    status_message,
    tap,
)


@pytest.fixture
def fixed_clock(monkeypatch):
    return frozen_clock(monkeypatch)


async def test_three_walk_one_stops_the_bot_restarts_and_everyone_finishes(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=2)
    ada, bea, cal = team.everyone
    round_id = await opened(api, harness, team)

    status = status_message(api, team.group)
    assert "0 of 3 have finished" in status.text
    assert "/join" not in status.text  # everyone can be written to
    for person in team.everyone:
        assert any("2 elements" in m.text for m in api.chat_log(person))
        assert "Training · 1 of 2" in prompt_of(api, person).text

    # Ada rates, gives evidence, skips what hinders, says what helps and an idea, skips the second element.
    step = await rate(api, ada, 2, 3)
    assert "Evidence" in step.text
    step = await answer(api, ada, "Two of us did the trauma course in May")
    assert "What gets in the way" in step.text
    step = await skip(api, ada)
    assert "What helps" in step.text
    step = await answer(api, ada, "Our psychologist runs a monthly session")
    assert "Action plan" in step.text
    step = await answer(api, ada, "Ask for the refresher course")
    assert "Support · 2 of 2" in step.text
    await finish_with_skips(api, ada)
    await api.wait_for(lambda: "1 of 3 have finished" in status_message(api, team.group).text, timeout=30)

    # Bea rates, sends a photo as evidence, then stops for now.
    await rate(api, bea, 1, 5)
    before = len(api.chat_log(bea))
    await api.send_photo(bea, bea, caption="The training board")
    await api.wait_for(lambda: len(api.chat_log(bea)) > before)
    assert "What gets in the way" in api.last(bea).text
    await tap(api, bea, prompt_of(api, bea), "later")
    await api.wait_for(lambda: "Saved" in api.last(bea).text)

    await harness.restart()

    # She comes back with /start and picks up exactly where she stopped.
    before = len(api.chat_log(bea))
    await api.send(bea, bea, "/start")
    back = await next_prompt(api, bea, before)
    assert "What gets in the way" in back.text and "Training" in back.text
    step = await answer(api, bea, "Rota gaps mean nobody can be released")
    assert "What helps" in step.text
    await finish_with_skips(api, bea)
    await finish_with_skips(api, cal)
    await api.wait_for(lambda: "3 of 3 have finished" in status_message(api, team.group).text, timeout=30)

    with harness.db.session() as s:
        named = {m.id: m.display_name for m in s.exec(select(Member))}
        ratings = s.exec(select(Rating).where(Rating.round_id == round_id)).all()
        assert sorted((named[r.member_id], r.element_id, r.value) for r in ratings) == [
            ("Ada", "training", 8), ("Bea", "training", 5)]
        evidence = s.exec(select(Evidence).where(Evidence.round_id == round_id).order_by(Evidence.id)).all()
        assert [(e.stage, e.kind) for e in evidence] == [
            ("evidence", "text"), ("helping", "text"), ("action_plan", "text"), ("evidence", "photo"),
            ("hindering", "text")]
        photo = evidence[3]
        assert photo.file_id and photo.text == "The training board" and photo.private
        assert s.get(Round, round_id).status == "open"
    assert finished_count(harness, round_id) == 3
    # The group saw one status message, edited in place — nobody's answers.
    group_texts = " ".join(m.text for m in api.chat_log(team.group))
    assert "trauma course" not in group_texts and "Rota gaps" not in group_texts


async def test_stale_buttons_and_strangers_change_nothing(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=1)
    ada, bea = team.everyone
    round_id = await opened(api, harness, team, elements=("training",))
    first = prompt_of(api, bea)
    await rate(api, bea, 3, 1)
    # A client still showing the old question's keyboard presses Skip on it.
    query_id = await api.press(bea, first, f"v1:wk:{round_id}:skip", forged=True)
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    assert api.answer_to(query_id)["show_alert"] and "older message" in api.answer_to(query_id)["text"]
    assert "Evidence" in prompt_of(api, bea).text
    # Someone outside the team presses the group's button.
    zed = api.create_user("Zed")
    api.add_member(team.group, zed)
    refused = await tap(api, zed, status_message(api, team.group), "go")
    assert "/join" in refused["text"]
    with harness.db.session() as s:
        assert len(s.exec(select(Rating).where(Rating.round_id == round_id)).all()) == 1


async def test_anonymous_walk_keeps_no_author(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=2)
    round_id = await opened(api, harness, team, elements=("training",), anonymous=True)
    bea = team.members[0]
    assert any("anonymous" in m.text for m in api.chat_log(bea))
    await rate(api, bea, 2, 2)
    await answer(api, bea, "Nobody has had refresher training in two years")
    # Back to the rating: her own anonymous answer can be changed while the round is open.
    await tap(api, bea, prompt_of(api, bea), "prev")
    await api.wait_for(lambda: "Evidence" in asking(api, bea))
    await tap(api, bea, prompt_of(api, bea), "prev")
    await api.wait_for(lambda: "Where would you put us now" in asking(api, bea))
    prompt = prompt_of(api, bea)
    await tap(api, bea, prompt, "L3")
    await api.wait_for(lambda: "where in it?" in prompt_now(api, prompt).text)
    changed = await tap(api, bea, prompt_now(api, prompt), "P3.1")
    assert not changed.get("show_alert")
    with harness.db.session() as s:
        # Sealed: nothing of hers in the answers, and her walk's row holds no answer.
        assert s.exec(select(Rating).where(Rating.round_id == round_id)).all() == []
        assert s.exec(select(Evidence).where(Evidence.round_id == round_id)).all() == []
        assert len(s.exec(select(SealedBallot)).all()) == 3
        assert "refresher" not in str(s.exec(select(Dialog)).all())


async def test_nudges_at_most_once_a_day_and_never_in_the_group(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=2)
    ada, bea, cal = team.everyone
    await opened(api, harness, team, elements=("training",), days=4)
    await finish_with_skips(api, ada)
    await api.wait_idle()
    group_before = len(api.chat_log(team.group))

    def nudges(user) -> int:
        return sum("gentle reminder" in m.text for m in api.chat_log(user))

    # The opening message was today's; later the same day nothing more.
    fixed_clock.move(hours=3)
    await walk.run_due_work(harness.bot.app)
    assert (nudges(bea), nudges(cal)) == (0, 0)
    # Next day, one each to those who haven't finished; a second pass that day adds none.
    fixed_clock.move(hours=21, minutes=30)
    await walk.run_due_work(harness.bot.app)
    await walk.run_due_work(harness.bot.app)
    await api.wait_idle()
    assert (nudges(ada), nudges(bea), nudges(cal)) == (0, 1, 1)
    assert "1 element left" in next(m for m in api.chat_log(bea) if "gentle reminder" in m.text).text
    # After a restart the database still knows.
    await harness.restart()
    await walk.run_due_work(harness.bot.app)
    fixed_clock.move(hours=2)
    await walk.run_due_work(harness.bot.app)
    await api.wait_idle()
    assert (nudges(bea), nudges(cal)) == (1, 1)
    # The nudge's button takes Bea straight back into her walk.
    nudge = next(m for m in api.chat_log(bea) if "gentle reminder" in m.text)
    before = len(api.chat_log(bea))
    await tap(api, bea, nudge, "go")
    assert "Training" in (await next_prompt(api, bea, before)).text
    # Not at night, and the next day once more.
    fixed_clock.move(hours=12)  # 23:30 local
    await walk.run_due_work(harness.bot.app)
    assert nudges(cal) == 1
    fixed_clock.move(hours=11)  # 10:30 the day after
    await walk.run_due_work(harness.bot.app)
    await api.wait_idle()
    assert nudges(cal) == 2
    # Never a message in the group: the status message is edited, nobody is tagged.
    assert len(api.chat_log(team.group)) == group_before
    assert all("@" not in m.text for m in api.chat_log(team.group))
    with harness.db.session() as s:
        keys = [(n.member_id, n.key) for n in s.exec(select(Nudge))]
        assert len(keys) == len(set(keys))


async def test_the_deadline_closes_the_round_and_the_facilitator_sets_team_views(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=3)
    ada, bea, cal, dee = team.everyone
    round_id = await opened(api, harness, team, days=2)
    for person, (training, support) in zip(team.everyone, [((1, 1), (2, 1)), ((4, 5), (2, 2)),
                                                          ((2, 3), (2, 3)), ((3, 1), (2, 2))], strict=True):
        await rate(api, person, *training)
        for _ in range(4):
            await skip(api, person)
        if person is not dee:
            await rate(api, person, *support)
    await api.wait_idle()

    # Nothing happens before the deadline...
    fixed_clock.move(days=1, hours=23)
    await walk.run_due_work(harness.bot.app)
    with harness.db.session() as s:
        assert s.get(Round, round_id).status == "open"
    # ...and at it the round closes, without anyone waiting for real time.
    fixed_clock.move(hours=1, minutes=1)
    await walk.run_due_work(harness.bot.app)
    await api.wait_idle()
    with harness.db.session() as s:
        assert s.get(Round, round_id).status == "closed"
    assert "Closed · 0 of 4 finished" in status_message(api, team.group).text
    assert not status_message(api, team.group).buttons
    await said(api, team.group, "— summary")
    views = await said(api, team.group, "agree the team views")
    labels = [label for row in views.buttons for label, _ in row]
    assert labels[0].startswith("Training")  # views differed most there: 1 to 20
    # Dee's open question lost its buttons; a client still showing them is refused kindly.
    question = [m for m in api.chat_log(dee) if "Support" in m.text and "Where would you put us" in m.text][-1]
    assert not question.buttons
    query_id = await api.press(dee, question, f"v1:wk:{round_id}:skip", forged=True)
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    assert "closed" in api.answer_to(query_id)["text"]

    # Only the facilitator or an admin sets team views, all in this one message.
    refused = await tap(api, bea, views, "e0")
    assert "facilitator" in refused["text"]
    await tap(api, ada, views, "e0")
    await api.wait_for(lambda: "What does the team agree on" in prompt_now(api, views).text, timeout=30)
    # A named round, not "named and shown": the beads without names, where views differ, what to talk about.
    shown = prompt_now(api, views).text
    assert "Bea" not in shown and "Views differ most between" in shown and "move it up a place" in shown
    await tap(api, ada, prompt_now(api, views), "e0.TL2")
    await api.wait_for(lambda: "where in it?" in prompt_now(api, views).text, timeout=30)
    await tap(api, ada, prompt_now(api, views), "e0.T2.4")
    await api.wait_for(lambda: "1 of 2 set" in prompt_now(api, views).text, timeout=30)
    with harness.db.session() as s:
        element = s.exec(select(RoundElement).where(RoundElement.round_id == round_id,
                                                    RoundElement.element_id == "training")).one()
        assert element.team_view == 9
    # Closing again (a /close racing the deadline) does nothing twice.
    assert await walk.close_async_round(harness.bot.app, round_id) is False


async def test_a_deadline_passed_while_the_bot_was_down_closes_at_start(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=1)
    round_id = await opened(api, harness, team, days=1)
    await harness.stop()
    fixed_clock.move(days=1, minutes=5)
    await harness.start()
    await said(api, team.group, "agree the team views")
    with harness.db.session() as s:
        assert s.get(Round, round_id).status == "closed"


async def test_jobs_are_rebuilt_from_the_database_at_start(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=1)
    round_id = await opened(api, harness, team)
    await harness.restart()
    names = {job.name for job in harness.bot.app.job_queue.jobs()}
    assert {f"walk-deadline-{round_id}", "walk-nudges"} <= names
    await walk.close_async_round(harness.bot.app, round_id)
    await api.wait_idle()
    assert f"walk-deadline-{round_id}" not in {j.name for j in harness.bot.app.job_queue.jobs() if not j.removed}


async def test_unconnected_members_are_told_to_join_in_the_group_never_tagged(api, harness, fixed_clock):
    team = await add_bot_and_set_up(api, members=1)
    eve = api.create_user("Eve", username="eve")
    api.add_member(team.group, eve)
    await say(api, eve, team.group, "/join")  # joined, but never opened the private link
    await opened(api, harness, team, elements=("training",))
    status = status_message(api, team.group)
    assert "0 of 3 have finished" in status.text
    assert "/join" in status.text and "Eve" not in status.text and "@eve" not in status.text
    assert not api.chat_log(eve)
    refused = await tap(api, eve, status, "go")
    assert "/join" in refused["text"]
    # Once she opens the private chat, her walk starts there.
    reply = await say(api, eve, team.group, "/join")
    await api.start_private(eve, payload=start_payload(reply))
    await api.wait_for(lambda: any(m.buttons and "Training" in m.text for m in api.chat_log(eve)))


async def test_someone_in_two_teams_chooses_which_round(api, harness, fixed_clock):
    first = await add_bot_and_set_up(api, title="Hope House team", members=1)
    bea = first.members[0]
    second_group = api.create_group("Outreach team")
    api.add_member(second_group, first.admin, status="creator")
    api.add_member(second_group, bea)
    await api.add_bot(second_group, by=first.admin)
    await bot_reply(api, second_group, 0)
    with harness.db.session() as s:
        team = teams.team_for_chat(s, second_group.id)
        team.set_up, team.name = True, "Outreach"
        teams.join(s, team, bea.id, "Bea")[0].private_chat = True
        teams.join(s, team, first.admin.id, "Ada")[0].private_chat = True
        s.commit()
    one = await opened(api, harness, first, elements=("training",))
    two = await opened(api, harness, People(api, second_group, first.admin, [bea]), elements=("support",))
    # Bea is already part-way into the first: the second is offered, not forced on her.
    offer = api.last(bea)
    assert "Start this one" in offer.buttons[0][0][0]
    await tap(api, bea, prompt_of(api, bea), "later")
    await api.wait_for(lambda: "Saved" in api.last(bea).text)
    await api.send(bea, bea, "/start")
    await api.wait_for(lambda: "more than one round" in api.last(bea).text)
    chooser = api.last(bea)
    assert len(chooser.buttons) == 2
    before = len(api.chat_log(bea))
    data = [d for row in chooser.buttons for _, d in row if d.startswith(f"v1:wk:{two}:")][0]
    await api.press(bea, chooser, data)
    step = await next_prompt(api, bea, before)
    assert "Support" in step.text
    with harness.db.session() as s:
        assert s.get(Team, 2).name == "Outreach" and one != two


async def test_assess_in_our_own_time_then_close(api, harness, fixed_clock):
    from piebot.demo.people import press

    team = await add_bot_and_set_up(api, members=2)
    ada, bea, cal = team.everyone
    wizard = await say(api, ada, team.group, "/assess")

    def labels() -> str:
        return " ".join(label for row in prompt_now(api, wizard).buttons for label, _ in row)

    await press(api, ada, wizard, "One element")
    await api.wait_for(lambda: "Responsiveness" in labels())
    await press(api, ada, prompt_now(api, wizard), "Responsiveness")
    await api.wait_for(lambda: "own time" in labels())
    await press(api, ada, prompt_now(api, wizard), "In our own time")
    await api.wait_for(lambda: "2 days" in labels())
    await press(api, ada, prompt_now(api, wizard), "2 days")
    await api.wait_for(lambda: "Named" in labels())
    await press(api, ada, prompt_now(api, wizard), "Named")
    await api.wait_for(lambda: "in the way" in labels())
    await press(api, ada, prompt_now(api, wizard), "in the way")
    await api.wait_for(lambda: any("have finished" in m.text for m in api.chat_log(team.group)))
    await api.wait_for(lambda: all("Responsiveness" in asking(api, p) for p in team.everyone))

    await rate(api, bea, 3, 2)
    await answer(api, bea, "We let someone stay past curfew when their bus was cancelled")
    await finish_with_skips(api, bea)
    await api.wait_for(lambda: "1 of 3 have finished" in status_message(api, team.group).text, timeout=30)
    await api.send(ada, team.group, "/close")
    await said(api, team.group, "— summary")
    assert "Closed · 1 of 3" in status_message(api, team.group).text
    with harness.db.session() as s:
        round_ = s.exec(select(Round)).one()
        assert round_.mode == "async" and round_.status == "closed"
        evidence = s.exec(select(Evidence)).one()
        assert evidence.stage == "evidence" and evidence.private
