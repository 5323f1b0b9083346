"""What the retention purge and /forgetme take, row by row: support presses and ballots still sealed,
prompts, participation, dialogs, peer-review comments, reminders, service users' and check-in answers."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage import checkins, rounds, service_users, teams
from piebot.storage.db import session_scope
from piebot.storage.models import (
    CheckIn,
    Dialog,
    Evidence,
    Member,
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
from piebot.storage.privacy import purge_expired

WATCHED = (Rating, Evidence, Prompt, Participation, Dialog, PeerReview, Nudge, SealedBallot)


def _rows(db) -> dict[str, int]:
    with db.session() as s:
        return {model.__name__: s.exec(select(func.count()).select_from(model)).one() for model in WATCHED}


def _team(s, chat_id: int, retention_days: int | None, people: int = 3) -> tuple[Team, list[Member]]:
    team = Team(chat_id=chat_id, name=f"team {chat_id}", set_up=True, retention_days=retention_days)
    s.add(team)
    s.flush()
    members = [Member(team_id=team.id, telegram_user_id=-chat_id * 10 + i, display_name=f"P{i}", private_chat=True)
               for i in range(people)]
    s.add_all(members)
    s.flush()
    return team, members


async def test_the_purge_takes_support_presses_sealed_longer_ago_than_retention(db):
    with session_scope(db) as s:
        limited, (ada, bea, _) = _team(s, -300, retention_days=30)
        forever, (cal, *_) = _team(s, -400, retention_days=None)
        ids = (limited.id, forever.id)
    # Two people of the limited team ask for support: fewer than three, so their presses wait, sealed.
    with session_scope(db) as s:
        checkins.count_support_request(s, ids[0], ada.id, ada.telegram_user_id)
    with session_scope(db) as s:
        checkins.count_support_request(s, ids[0], bea.id, bea.telegram_user_id)
    with session_scope(db) as s:
        checkins.count_support_request(s, ids[1], cal.id, cal.telegram_user_id)
    with session_scope(db) as s:
        assert purge_expired(s, utcnow() + timedelta(days=29))["sealed"] == 0
    assert _rows(db)["SealedBallot"] == 3
    with session_scope(db) as s:
        assert purge_expired(s, utcnow() + timedelta(days=31))["sealed"] == 2
    with db.session() as s:
        # The team that keeps answers until it deletes them keeps its press.
        assert [b.team_id for b in s.exec(select(SealedBallot))] == [ids[1]]
        assert s.get(Team, ids[0]).support_requests == 0
    with session_scope(db) as s:
        assert not any(purge_expired(s, utcnow() + timedelta(days=31)).values())


def _everything_a_team_keeps(s, team: Team, people: list[Member]) -> None:
    """An anonymous round (three ratings that went in, one answer left sealed), a service users' round,
    a check-in, prompts, a peer review with comments, reminders and conversations."""
    round_ = rounds.open_round(s, team_id=team.id, element_ids=["empathy", "training"], scope="all",
                               scope_ref=None, mode="async", anonymous=True, framework_variant="pies2",
                               opened_by=people[0].id)
    for i, person in enumerate(people):
        rounds.record_rating(s, round_, person, "empathy", 5 + i)
        rounds.add_evidence(s, round_, person, "empathy", "evidence", text=f"words {i}")
    rounds.record_rating(s, round_, people[0], "training", 9)  # alone: stays sealed past the close
    s.add(PeerReview(round_id=round_.id, code_hash=f"hash-{team.id}", reviewer_user_id=4242,
                     comments="a visitor's comments"))
    rounds.close_round(s, round_)
    heard = service_users.start(s, team.id, "empathy", opened_by=people[0].id)
    for person in (1, 2, 3):
        service_users.add_view(s, heard.id, 10 + person, person=person)
        service_users.add_words(s, heard.id, f"what person {person} said", person=person)
    rounds.close_round(s, heard)
    schedule = Schedule(team_id=team.id)
    s.add(schedule)
    s.flush()
    checkin = CheckIn(team_id=team.id, schedule_id=schedule.id, element_id="responsiveness", closes_at=utcnow())
    s.add(checkin)
    s.flush()
    for i, person in enumerate(people):
        s.add(Rating(team_id=team.id, checkin_id=checkin.id, element_id="responsiveness", value=8 + i,
                     member_id=person.id))
        s.add(Participation(member_id=person.id, subject=checkins.subject(checkin.id),
                            element_id="responsiveness"))
        s.add(Nudge(member_id=person.id, key=f"checkin:{checkin.id}:remind"))
        s.add(Dialog(chat_id=person.telegram_user_id, telegram_user_id=person.telegram_user_id,
                     state={"walk": {"active": round_.id}}))
    s.add(Dialog(chat_id=team.chat_id, telegram_user_id=people[0].telegram_user_id, state={"setup": 1}))
    # Questions waiting for a reply (an anonymous round's go at its close; a named check-in's stay).
    s.add(Prompt(chat_id=people[1].telegram_user_id, message_id=7, team_id=team.id, purpose="checkin",
                 checkin_id=checkin.id, element_id="responsiveness"))
    s.add(Prompt(chat_id=team.chat_id, message_id=8, team_id=team.id, purpose="setup"))


async def test_the_purge_takes_everything_kept_about_people_once_it_is_older_than_retention(db):
    with session_scope(db) as s:
        team, people = _team(s, -500, retention_days=30)
        team_id = team.id
    with session_scope(db) as s:
        team = s.get(Team, team_id)
        _everything_a_team_keeps(s, team, list(s.exec(select(Member).where(Member.team_id == team_id))))
    kept = _rows(db)
    assert all(kept.values()), kept
    with db.session() as s:
        # Ratings and words of the service users went in; the lonely "training" answer is still sealed.
        assert s.exec(select(func.count()).select_from(Rating).where(Rating.value > 10)).one() == 3
        assert s.exec(select(SealedBallot)).one().scope.startswith("round:")
    with session_scope(db) as s:
        assert not any(purge_expired(s, utcnow() + timedelta(days=29)).values())
    assert _rows(db) == kept
    with session_scope(db) as s:
        counts = purge_expired(s, utcnow() + timedelta(days=31))
    assert counts["ratings"] == 3 + 3 + 3 and counts["evidence"] == 3 + 3 and counts["sealed"] == 1
    assert _rows(db) == dict.fromkeys(kept, 0)
    with db.session() as s:
        assert {m.display_name for m in s.exec(select(Member))} == {"P0", "P1", "P2"}

async def test_forgetme_erases_sealed_ballots_of_closed_rounds_private_prompts_and_review_comments(api, harness):
    team = await add_bot_and_set_up(api, members=2)
    bea, cal = team.members
    with session_scope(harness.db) as s:
        group = teams.team_for_chat(s, team.group.id)
        member = teams.member_of(s, group.id, bea.id)
        other = teams.member_of(s, group.id, cal.id)
        anonymous = rounds.open_round(s, team_id=group.id, element_ids=["support"], scope="element",
                                      scope_ref="support", mode="async", anonymous=True,
                                      framework_variant="pies2", opened_by=None)
        rounds.record_rating(s, anonymous, member, "support", 7)
        rounds.add_evidence(s, anonymous, member, "support", "hindering", text="the rota")
        rounds.record_rating(s, anonymous, other, "support", 12)
        s.add(PeerReview(round_id=anonymous.id, code_hash="bea-review", reviewer_user_id=bea.id,
                         comments="Bea's view of another team"))
        round_id = anonymous.id
    with session_scope(harness.db) as s:
        # Two people answered: at the close their ballots stay sealed, never applied.
        rounds.close_round(s, s.get(Round, round_id))
        # Questions waiting in private chats (an anonymous round's went at its close).
        s.add(Prompt(chat_id=bea.id, message_id=901, team_id=group.id, purpose="checkin", element_id="support"))
        s.add(Prompt(chat_id=cal.id, message_id=902, team_id=group.id, purpose="checkin", element_id="support"))
    with harness.db.session() as s:
        assert len(s.exec(select(SealedBallot)).all()) == 3
    # The bot can still find them, so Bea sees them in /mydata, and nothing of Cal's.
    data = json.loads((await say(api, bea, bea, "/mydata")).file)
    findable = data["teams"][0]["anonymous_answers_still_findable"]
    assert {(a["in"], a["kind"], a["value"], a["text"]) for a in findable} == {
        (f"round:{round_id}", "rating", 7, None), (f"round:{round_id}", "evidence", None, "the rota")}
    ask = await say(api, bea, bea, "/forgetme")
    assert "went into closed rounds" in ask.text
    await press(api, bea, ask, "Erase")
    await api.wait_for(lambda: "Done" in api.chat_log(bea)[-1].text)
    done = api.chat_log(bea)[-1].text
    assert "2 anonymous answers" in done and "went into closed rounds" in done
    with harness.db.session() as s:
        # Cal's ballot is still there, sealed; nothing of Bea's is.
        [left] = s.exec(select(SealedBallot)).all()
        payload = harness.db.ballot_keys.open(left.scope, bytes(left.sealed))
        assert payload["row"]["value"] == 12
        assert [p.chat_id for p in s.exec(select(Prompt))] == [cal.id]
        review = s.exec(select(PeerReview)).one()
        assert (review.reviewer_user_id, review.comments) == (None, "")
