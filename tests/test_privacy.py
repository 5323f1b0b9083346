"""People's rights over their data, and a team's: /mydata, /forgetme, retention, /deleteteam, quiet logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import SQLModel, select

from piebot.demo.people import add_bot_and_set_up, bot_reply, press, say
from piebot.storage import rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import (
    Action,
    CheckIn,
    Dialog,
    Evidence,
    Firing,
    Member,
    Network,
    NetworkMembership,
    Nudge,
    Participation,
    PeerReview,
    Prompt,
    Rating,
    Round,
    Schedule,
    SealedBallot,
    Team,
    utcnow,
)
from piebot.storage.privacy import FORMER_MEMBER, delete_team, forget_member, purge_expired
from tests.conftest import TOKEN

ANON_WORDS = "the rota makes it hard to talk"


def store_answers(db, chat_id: int, telegram_user_id: int) -> dict:
    """A closed named round and an open anonymous one, both with this person's answers."""
    with session_scope(db) as s:
        team = teams.team_for_chat(s, chat_id)
        member = teams.member_of(s, team.id, telegram_user_id)
        named = rounds.open_round(s, team_id=team.id, element_ids=["empathy", "training"], scope="all",
                                  scope_ref=None, mode="async", anonymous=False, framework_variant="pies2",
                                  opened_by=member.id)
        rounds.record_rating(s, named, member, "empathy", 12)
        rounds.add_evidence(s, named, member, "empathy", "evidence", text="We <b>listen</b> & care")
        rounds.add_evidence(s, named, member, "empathy", "evidence", kind="photo", file_id="PHOTO-FILE-1")
        rounds.add_action(s, team_id=team.id, round_id=named.id, element_id="empathy", text="Book training",
                          owner_member_id=member.id)
        rounds.close_round(s, named)
        anonymous = rounds.open_round(s, team_id=team.id, element_ids=["support"], scope="element",
                                      scope_ref="support", mode="async", anonymous=True,
                                      framework_variant="pies2", opened_by=None)
        rounds.record_rating(s, anonymous, member, "support", 7)
        rounds.add_evidence(s, anonymous, member, "support", "hindering", text=ANON_WORDS)
        s.add(Nudge(member_id=member.id, key="round:1:remind"))
        s.add(Dialog(chat_id=chat_id, telegram_user_id=telegram_user_id, state={"walk": 1}))
        return {"team_id": team.id, "member_id": member.id, "named": named.id, "anonymous": anonymous.id}


async def test_mydata_sends_named_data_and_never_anonymous_answers(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    bea = team.members[0]
    ids = store_answers(harness.db, team.group.id, bea.id)
    document = await say(api, bea, bea, "/mydata")
    assert document.kind == "document" and document.filename.endswith(".json")
    assert "anonymous" in document.text
    data = json.loads(document.file)
    [mine] = data["teams"]
    assert mine["team"]["name"] == "Hope House team"
    assert mine["member"]["display_name"] == "Bea"
    assert [(r["round_id"], r["element_id"], r["value"]) for r in mine["ratings"]] == [(ids["named"], "empathy", 12)]
    assert [e["text"] for e in mine["evidence"]] == ["We <b>listen</b> & care", ""]
    assert mine["evidence"][1]["file_id"] == "PHOTO-FILE-1"
    assert [a["text"] for a in mine["actions_you_own"]] == ["Book training"]
    assert [n["key"] for n in mine["reminders_sent"]] == ["round:1:remind"]
    assert mine["rounds_you_opened"] == [ids["named"]]
    # That Bea answered the anonymous round is hers to see; and while it is open, so is what she answered:
    # only the bot can find it, by keys made from her and the signing secret.
    assert f"round:{ids['anonymous']}" in {p["subject"] for p in mine["took_part_in"]}
    assert {"walk": 1} in [d["state"] for d in data["conversations_in_progress"]]
    findable = mine["anonymous_answers_still_findable"]
    assert {(a["kind"], a["value"], a["text"]) for a in findable} == {("rating", 7, None), ("evidence", None, ANON_WORDS)}
    assert mine["actions_you_wrote"] == []
    # Someone else's export holds nothing of Bea's.
    cal = team.members[1]
    theirs = json.loads((await say(api, cal, cal, "/mydata")).file)
    assert theirs["teams"][0]["ratings"] == [] and theirs["teams"][0]["evidence"] == []
    assert theirs["teams"][0]["anonymous_answers_still_findable"] == []
    assert ANON_WORDS not in theirs_raw(api, cal)


def theirs_raw(api, user) -> str:
    return next(m for m in reversed(api.chat_log(user)) if m.kind == "document").file.decode()


async def test_mydata_and_forgetme_only_in_private(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    for command in ("/mydata", "/forgetme"):
        answer = await say(api, team.members[0], team.group, command)
        assert "private chat" in answer.text
    assert not any(m.kind == "document" for m in api.chat_log(team.group))


async def test_forgetme_erases_named_data_after_confirming_and_keeps_anonymous_totals(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    bea = team.members[0]
    ids = store_answers(harness.db, team.group.id, bea.id)
    ask = await say(api, bea, bea, "/forgetme")
    assert "can't be undone" in ask.text
    # "Keep it" keeps everything.
    await press(api, bea, ask, "Keep")
    await api.wait_for(lambda: "Nothing erased" in api.chat_log(bea)[-1].text)
    with harness.db.session() as s:
        assert s.exec(select(Rating).where(Rating.member_id == ids["member_id"])).all()
    ask = await say(api, bea, bea, "/forgetme")
    # Someone else's press on Bea's button (a tampering client) does nothing.
    cal = team.members[1]
    query = await api.press(cal, ask, ask.button("Erase"))
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert "isn't for you" in api.answer_to(query)["text"]
    with harness.db.session() as s:
        assert s.exec(select(Rating).where(Rating.member_id == ids["member_id"])).all()
    answer = await press(api, bea, ask, "Erase")
    assert answer is not None
    await api.wait_for(lambda: "Done" in api.chat_log(bea)[-1].text)
    assert "1 rating" in api.chat_log(bea)[-1].text
    assert "2 anonymous answers" in api.chat_log(bea)[-1].text
    with harness.db.session() as s:
        member = s.get(Member, ids["member_id"])
        assert (member.display_name, member.active, member.private_chat) == (FORMER_MEMBER, False, False)
        assert member.telegram_user_id != bea.id
        assert s.exec(select(Member).where(Member.telegram_user_id == bea.id)).first() is None
        assert s.exec(select(Rating).where(Rating.member_id == ids["member_id"])).all() == []
        assert s.exec(select(Evidence).where(Evidence.member_id == ids["member_id"])).all() == []
        assert s.exec(select(Participation).where(Participation.member_id == ids["member_id"])).all() == []
        assert s.exec(select(Nudge)).all() == []
        assert s.exec(select(Dialog).where(Dialog.telegram_user_id == bea.id)).all() == []
        action = s.exec(select(Action)).one()
        assert action.text == "Book training" and action.owner_member_id is None
        assert s.get(Round, ids["named"]).opened_by_member_id is None
        # Her anonymous answers in the round still open were findable by the bot, so they went too.
        assert s.exec(select(Rating).where(Rating.round_id == ids["anonymous"])).all() == []
        assert s.exec(select(SealedBallot)).all() == []
        # Cal is untouched.
        assert s.exec(select(Member).where(Member.telegram_user_id == cal.id)).one().display_name == "Cal"
    # Bea's export is now empty, and she can join again as new.
    data = json.loads((await say(api, bea, bea, "/mydata")).file)
    assert data["teams"] == []
    again = await say(api, bea, team.group, "/join")
    assert "Bea" in again.text


def _age(db, model, days: int) -> None:
    with session_scope(db) as s:
        for row in s.exec(select(model)):
            row.created_at = utcnow() - timedelta(days=days)


async def test_purge_expired_deletes_answers_older_than_each_teams_retention(db):
    with session_scope(db) as s:
        kept_forever = Team(chat_id=-1, name="No limit")
        limited = Team(chat_id=-2, name="Thirty days", retention_days=30)
        s.add_all([kept_forever, limited])
        s.flush()
        for team in (kept_forever, limited):
            member = Member(team_id=team.id, telegram_user_id=100 + team.id, display_name="M")
            s.add(member)
            s.flush()
            round_ = rounds.open_round(s, team_id=team.id, element_ids=["empathy"], scope="element",
                                       scope_ref="empathy", mode="async", anonymous=False,
                                       framework_variant="pies2", opened_by=member.id)
            rounds.record_rating(s, round_, member, "empathy", 9)
            rounds.add_evidence(s, round_, member, "empathy", "evidence", text="old words")
            rounds.close_round(s, round_)
        ids = (kept_forever.id, limited.id)
    _age(db, Rating, 40)
    _age(db, Evidence, 40)
    with session_scope(db) as s:
        # A fresh answer in the limited team stays.
        member = s.exec(select(Member).where(Member.team_id == ids[1])).one()
        fresh = rounds.open_round(s, team_id=ids[1], element_ids=["support"], scope="element", scope_ref="support",
                                  mode="async", anonymous=True, framework_variant="pies2", opened_by=None)
        rounds.record_rating(s, fresh, member, "support", 15)
    with session_scope(db) as s:
        counts = purge_expired(s, utcnow())
        assert (counts["ratings"], counts["evidence"]) == (1, 1)
    with session_scope(db) as s:
        assert not any(purge_expired(s, utcnow()).values())
        left = s.exec(select(Rating.team_id, Rating.value).order_by(Rating.id)).all()
        assert left == [(ids[0], 9)]
        assert len(s.exec(select(SealedBallot)).all()) == 1  # the fresh anonymous one, still sealed
        assert [e.team_id for e in s.exec(select(Evidence))] == [ids[0]]


async def test_admin_sets_retention_and_the_daily_job_purges(api, harness):
    team = await add_bot_and_set_up(api, members=1)
    bea = team.members[0]
    refused = await say(api, bea, team.group, "/retention 30")
    assert "Only a group admin" in refused.text
    card = await say(api, team.admin, team.group, "/retention")
    assert "until the team deletes them" in card.text
    query = await api.press(bea, card, card.button("365"))
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert "admin" in api.answer_to(query)["text"]
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().retention_days is None
    await press(api, team.admin, card, "365")
    await api.wait_for(lambda: "365 days" in api.chat_log(team.group)[-1].text)
    assert "/retention 365" in (await say(api, team.admin, team.group, "/retention nonsense")).text
    done = await say(api, team.admin, team.group, "/retention 30")
    assert "30 days" in done.text
    with harness.db.session() as s:
        assert s.exec(select(Team)).one().retention_days == 30
    store_answers(harness.db, team.group.id, bea.id)
    _age(harness.db, Rating, 31)
    app = harness.bot.app
    [job] = app.job_queue.get_jobs_by_name("privacy-purge")
    await job.run(app)
    with harness.db.session() as s:
        assert s.exec(select(Rating)).all() == []
        assert len(s.exec(select(Evidence)).all()) == 2  # younger than 30 days (the anonymous one is sealed)
    off = await say(api, team.admin, team.group, "/retention off")
    assert "until the team deletes them" in off.text


def _rows_everywhere(db) -> dict[str, int]:
    counts = {}
    with db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("processedupdate", "alembic_version"):
                continue
            counts[table.name] = s.exec(select(func.count()).select_from(table)).one()
    return {k: v for k, v in counts.items() if v}


async def test_only_an_admin_can_delete_the_team_and_then_everything_is_gone(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    other = await add_bot_and_set_up(api, title="Other team", members=1)
    store_answers(harness.db, team.group.id, team.members[0].id)
    before = _rows_everywhere(harness.db)
    bea = team.members[0]
    assert "Only a group admin" in (await say(api, bea, team.group, "/deleteteam")).text
    ask = await say(api, team.admin, team.group, "/deleteteam")
    assert "Hope House team" in ask.text
    query = await api.press(bea, ask, ask.button("Delete"))
    await api.wait_for(lambda: api.answer_to(query) is not None)
    assert "admin" in api.answer_to(query)["text"]
    # The other team's admin, pressing a forged copy in their own group, deletes nothing either.
    own = await say(api, other.admin, other.group, "/retention")
    forged = ask.button("Delete")
    query = await api.press(other.admin, own, forged, forged=True)
    await api.wait_for(lambda: api.answer_to(query) is not None)
    await press(api, team.admin, ask, "Cancel")
    await api.wait_for(lambda: "Nothing was deleted" in api.chat_log(team.group)[-1].text)
    assert _rows_everywhere(harness.db) == before
    ask = await say(api, team.admin, team.group, "/deleteteam")
    await press(api, team.admin, ask, "Delete everything")
    await api.wait_for(lambda: "Goodbye" in api.chat_log(team.group)[-1].text)
    await api.wait_for(lambda: any(c.method == "leaveChat" for c in api.calls))
    await api.wait_idle()
    with harness.db.session() as s:
        assert [t.name for t in s.exec(select(Team))] == ["Other team"]
        other_id = s.exec(select(Team)).one().id
        assert {m.display_name for m in s.exec(select(Member))} == {"Ada", "Bea"}
        assert all(m.team_id == other_id for m in s.exec(select(Member)))
    left = _rows_everywhere(harness.db)
    assert set(left) <= {"team", "member", "dialog"}, left


async def test_logs_never_carry_the_token_the_secret_or_what_members_wrote(api, harness, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "test-signing-secret-of-at-least-32-bytes"
    group = api.create_group("HH")
    admin = api.create_user("Ada")
    api.add_member(group, admin, status="creator")
    await api.add_bot(group, by=admin)
    await bot_reply(api, group, 0)
    card = await say(api, admin, group, "/setup")
    await press(api, admin, card, "Type another")
    await api.wait_for(lambda: api.last(group).force_reply)
    words = ["Quiet Harbour 7731", "zebra words in a reply 9931", "my private note 4242", "/frobnicate kumquat5531"]
    await say(api, admin, group, words[0], reply_to=api.last(group))
    await api.send(admin, group, words[1], reply_to=api.last(group))
    await api.start_private(admin)
    await api.send(admin, admin, words[2])
    await say(api, admin, group, words[3])
    await say(api, admin, admin, "/mydata")
    await api.wait_idle()
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("sendMessage" in line for line in logged), "the test must see the library's DEBUG records"
    for line in logged:
        assert TOKEN not in line and TOKEN.split(":")[1] not in line
        assert secret not in line
        for text in words:
            assert text.split()[-1] not in line, line


def _fill_team(s, chat_id: int, user_base: int) -> int:
    team = Team(chat_id=chat_id, name=f"team {chat_id}", set_up=True, retention_days=30)
    s.add(team)
    s.flush()
    people = [Member(team_id=team.id, telegram_user_id=user_base + i, display_name=f"P{i}") for i in range(3)]
    s.add_all(people)
    s.flush()
    for anonymous in (False, True):
        round_ = rounds.open_round(s, team_id=team.id, element_ids=["empathy"], scope="element", scope_ref="empathy",
                                   mode="async", anonymous=anonymous, framework_variant="pies2",
                                   opened_by=people[0].id)
        for i, person in enumerate(people):
            rounds.record_rating(s, round_, person, "empathy", 5 + i)
            rounds.add_evidence(s, round_, person, "empathy", "evidence", text=f"words {i}")
        rounds.add_action(s, team_id=team.id, round_id=round_.id, text="Act", owner_member_id=people[1].id)
        s.add(PeerReview(round_id=round_.id, code_hash=f"hash-{chat_id}-{anonymous}"))
        s.add(Prompt(chat_id=chat_id, message_id=10 + anonymous, team_id=team.id, purpose="stage", round_id=round_.id))
        rounds.close_round(s, round_)
    schedule = Schedule(team_id=team.id)
    s.add(schedule)
    s.flush()
    s.add(Firing(schedule_id=schedule.id, slot=utcnow()))
    checkin = CheckIn(team_id=team.id, schedule_id=schedule.id, closes_at=utcnow())
    s.add(checkin)
    s.flush()
    s.add(Rating(team_id=team.id, checkin_id=checkin.id, element_id="responsiveness", value=8,
                 member_id=people[2].id))
    s.add(Nudge(member_id=people[2].id, key="k"))
    s.add(Dialog(chat_id=chat_id, telegram_user_id=user_base, state={}))
    network = Network(name=f"net {chat_id}", lead_user_id=user_base)
    s.add(network)
    s.flush()
    s.add(NetworkMembership(network_id=network.id, team_id=team.id))
    s.flush()
    return team.id


def _counts(db) -> dict[str, int]:
    return _rows_everywhere(db)


async def test_delete_team_removes_every_row_of_that_team_and_nothing_else(db):
    with session_scope(db) as s:
        gone = _fill_team(s, -100, 1000)
    alone = _counts(db)
    with session_scope(db) as s:
        _fill_team(s, -200, 2000)
    with session_scope(db) as s:
        assert delete_team(s, gone)
    with session_scope(db) as s:
        assert not delete_team(s, gone)
    after = _counts(db)
    # What is left is exactly one team's worth (the networks are their leads', not a team's).
    assert {k: v for k, v in after.items() if k != "network"} == {k: v for k, v in alone.items() if k != "network"}
    with db.session() as s:
        assert [t.chat_id for t in s.exec(select(Team))] == [-200]
        assert {m.telegram_user_id for m in s.exec(select(Member))} == {2000, 2001, 2002}
        assert all(p.chat_id == -200 for p in s.exec(select(Prompt)))
        assert all(d.chat_id == -200 for d in s.exec(select(Dialog)))


async def test_forget_member_keeps_anonymous_totals_on_every_database(db):
    with session_scope(db) as s:
        team_id = _fill_team(s, -100, 1000)
    with session_scope(db) as s:
        counts = forget_member(s, 1001)
    assert counts == {"teams": 1, "ratings": 1, "evidence": 1, "anonymous": 0}
    with db.session() as s:
        values = sorted(r.value for r in s.exec(select(Rating).where(Rating.checkin_id.is_(None))))
        assert values == [5, 5, 6, 7, 7]  # P1's named 6 is gone; the anonymous round keeps all three
        assert s.exec(select(Member).where(Member.telegram_user_id == 1001)).first() is None
        former = s.exec(select(Member).where(Member.display_name == FORMER_MEMBER)).one()
        assert former.team_id == team_id and not former.active
        assert all(a.owner_member_id is None for a in s.exec(select(Action)))


async def test_delete_team_takes_its_rounds_from_a_persons_own_time_walks_and_leaves_the_others(db):
    # Someone in two teams has walked a round of each in private: the deleted team's place goes, the
    # other team's stays; someone who walked only the deleted team's round keeps no dialog at all.
    with session_scope(db) as s:
        gone, kept = Team(chat_id=-300, name="Gone"), Team(chat_id=-400, name="Kept")
        s.add_all([gone, kept])
        s.flush()
        s.add_all([Member(team_id=gone.id, telegram_user_id=31, display_name="Both"),
                   Member(team_id=kept.id, telegram_user_id=31, display_name="Both"),
                   Member(team_id=gone.id, telegram_user_id=32, display_name="Only")])
        opened = {team.id: rounds.open_round(s, team_id=team.id, element_ids=["empathy"], scope="element",
                                             scope_ref="empathy", mode="async", anonymous=False,
                                             framework_variant="pies2", opened_by=None)
                  for team in (gone, kept)}
        gone_round, kept_round = opened[gone.id].id, opened[kept.id].id
        walked = {str(gone_round): {"progress": {"element": 0}, "prompt": 5},
                  str(kept_round): {"progress": {"element": 0}, "prompt": 6}}
        s.add_all([Dialog(chat_id=31, telegram_user_id=31, state={"walk": {"active": gone_round, "rounds": walked}}),
                   Dialog(chat_id=32, telegram_user_id=32,
                          state={"walk": {"active": gone_round, "rounds": {str(gone_round): walked[str(gone_round)]}}})])
        gone_id = gone.id
    with session_scope(db) as s:
        assert delete_team(s, gone_id)
    with db.session() as s:
        [both] = s.exec(select(Dialog)).all()
        assert both.telegram_user_id == 31
        assert both.state["walk"]["active"] is None
        assert list(both.state["walk"]["rounds"]) == [str(kept_round)]
