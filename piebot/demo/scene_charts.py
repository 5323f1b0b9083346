"""Scene: the team's charts, its round report and its spreadsheets.

A team sees charts after months of use, so unless earlier scenes already closed rounds, this one
first writes a history into the database: a round six months ago, one now, and weekly check-ins on
Responsiveness before the team's first real one (one of them missed). Then the round closes in the
group as a live round would end (the summary, then one album of charts), a member asks for the trend
and the actions charts and reads the last one's figures in words, and the admin asks for the report and
the export.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from framework import load_framework
from piebot import clock
from piebot.demo.people import press
from piebot.storage import rounds, teams
from piebot.storage.db import session_scope
from piebot.storage.models import CheckIn, Firing, Member, Rating, Round, Schedule


def _months_ago(months: int) -> datetime:
    now = clock.now().replace(hour=15, minute=0, second=0, microsecond=0)
    return now - timedelta(days=30 * months)


EVIDENCE = {
    "responsiveness": ("We let Jo come back in after curfew when her mum was in hospital.",
                       "Night staff are not sure when they may bend the visiting rule."),
    "reflective-practice": ("Monthly reflective practice has happened four times in a row.",),
    "built-environment": ("The lounge was repainted with residents choosing the colours.",),
}
HINDERS = {"responsiveness": ("Agency staff on nights do not know the unwritten ways.",)}
HELPS = {"responsiveness": ("The handover book is read by everyone.",)}
ACTIONS = (
    ("responsiveness", "Write down the three rules we bend most, and why", "Bea", 21, "Night staff say they know"),
    ("reflective-practice", "Book an outside facilitator for reflective practice", "Ada", -5, "Date in the diary"),
    ("training", "Trauma-informed refresher for agency staff", "Cal", 40, "Everyone on the rota has been"),
    ("relationships-with-family", "Family afternoon in the garden", "Dee", 60, "Families came"),
)


async def scene(api, bot, story) -> None:
    team = story.team
    chat_id = team.group.id

    def photos() -> int:
        return sum(m.kind == "photo" for m in api.chat_log(team.group))

    round_id = _write_history(bot.db, chat_id)
    if round_id is not None:
        before = photos()
        await _announce(bot.app, round_id)
        await api.wait_for(lambda: photos() >= before + 3, timeout=60)
    _write_checkins(bot.db, chat_id)

    bea = team.members[0]
    for label in ("Responsiveness over time", "Our actions"):
        menu = await _chart_menu(api, bea, team.group)
        before = photos()
        await press(api, bea, menu, label)
        await api.wait_for(lambda before=before: photos() > before, timeout=60)
        if label == "Responsiveness over time":
            # Its figures in words: they come to Bea privately, the group gets nothing more.
            chart = [m for m in api.chat_log(team.group) if m.kind == "photo"][-1]
            private = len(api.chat_log(bea))
            await press(api, bea, chart, "In words")
            await api.wait_for(lambda private=private: len(api.chat_log(bea)) > private, timeout=30)

    # A report and an export are drawn before the bot answers: on a busy machine that takes seconds.
    await api.send(team.admin, team.group, "/report")
    await api.send(team.admin, team.group, "/export")
    await api.wait_for(lambda: sum(m.kind == "document" for m in api.chat_log(team.admin)) >= 4, timeout=60)


async def _chart_menu(api, user, group):
    # Pictures posted in the background may arrive first, so look for the menu itself.
    before = len(api.chat_log(group))
    await api.send(user, group, "/chart")
    await api.wait_for(lambda: any("Which chart?" in m.text for m in api.chat_log(group)[before:]), timeout=30)
    return next(m for m in api.chat_log(group)[before:] if "Which chart?" in m.text)


async def _announce(app, round_id: int) -> None:
    try:
        from piebot.telegram.rounds.summary import post_round_summary

        await post_round_summary(app, round_id)
    except (ImportError, NotImplementedError):
        for hook in app.bot_data.get("on_round_closed", []):
            await hook(app, round_id)


def _write_history(db, chat_id: int) -> int | None:
    """Two named rounds, spring and now; returns the new one's id (still to be announced), or None."""
    with session_scope(db) as s:
        team = teams.team_for_chat(s, chat_id)
        if s.exec(select(Round).where(Round.team_id == team.id, Round.status == "closed")).first() is not None:
            return None
        framework = load_framework(team.framework_variant, team.customisation or None)
        element_ids = [e.id for e in framework.elements]
        people = list(s.exec(select(Member).where(Member.team_id == team.id).order_by(Member.id)))
        rnd = random.Random(7)
        spring_views = {e: rnd.randint(3, 12) for e in element_ids}
        spring = _round(s, team.id, people, element_ids, spring_views, rnd, framework.id)
        rounds.close_round(s, spring)
        spring.closed_at = _months_ago(6)
        spring.opened_at = spring.closed_at - timedelta(days=1)
        now_views = {e: max(1, min(20, v + rnd.choice((-2, 0, 1, 2, 3, 4)))) for e, v in spring_views.items()}
        now_views[element_ids[-1]] = None  # one element the team ran out of time for
        current = _round(s, team.id, people, element_ids, now_views, rnd, framework.id, talk=True)
        rounds.close_round(s, current)
        return current.id


def _round(s, team_id, people, element_ids, views, rnd, variant, talk: bool = False) -> Round:
    round_ = rounds.open_round(s, team_id=team_id, element_ids=element_ids, scope="all", scope_ref=None,
                               mode="async", anonymous=False, framework_variant=variant, opened_by=people[0].id)
    by_name = {p.display_name: p for p in people}
    for element_id in element_ids:
        centre = views[element_id] or rnd.randint(5, 12)
        # Responsiveness is where the team disagrees most, which is what the spread is for.
        reach = 6 if element_id == "responsiveness" else 2
        for person in people:
            rounds.record_rating(s, round_, person, element_id,
                                 max(1, min(20, centre + rnd.randint(-reach, reach))))
        if views[element_id] is not None:
            rounds.set_team_view(s, round_, element_id, views[element_id])
    if talk:
        for stage, said in (("evidence", EVIDENCE), ("hindering", HINDERS), ("helping", HELPS)):
            for element_id, texts in said.items():
                for i, text in enumerate(texts):
                    rounds.add_evidence(s, round_, people[(i + 1) % len(people)], element_id, stage, text=text)
        today = clock.now().date()
        for element_id, text, owner, days, measure in ACTIONS:
            if element_id in element_ids:
                rounds.add_action(s, team_id=team_id, round_id=round_.id, element_id=element_id, text=text,
                                  owner_member_id=by_name.get(owner, people[0]).id,
                                  due=today + timedelta(days=days), success_measure=measure)
    return round_


def _write_checkins(db, chat_id: int) -> None:
    """Weekly check-ins on Responsiveness before any the team has had, one slot missed, for a trend."""
    with session_scope(db) as s:
        team = teams.team_for_chat(s, chat_id)
        earlier = list(s.exec(select(CheckIn).where(CheckIn.team_id == team.id,
                                                    CheckIn.element_id == "responsiveness")))
        if len(earlier) >= 3:
            return
        first = min((_utc(c.slot or c.opened_at) for c in earlier), default=clock.now())
        schedule = Schedule(team_id=team.id, kind="checkin", element_id="responsiveness", weekday=2)
        s.add(schedule)
        s.flush()
        rnd = random.Random(3)
        start = first - timedelta(weeks=9)
        for week in range(9):
            slot = start + timedelta(weeks=week)
            if week == 4:
                s.add(Firing(schedule_id=schedule.id, slot=slot, outcome="missed"))
                continue
            s.add(Firing(schedule_id=schedule.id, slot=slot, outcome="sent"))
            checkin = CheckIn(team_id=team.id, schedule_id=schedule.id, element_id="responsiveness", slot=slot,
                              opened_at=slot, closes_at=slot + timedelta(hours=24),
                              closed_at=slot + timedelta(hours=24))
            s.add(checkin)
            s.flush()
            centre = 7 + week * 0.6
            for _ in range(rnd.randint(2, 4)):
                s.add(Rating(team_id=team.id, checkin_id=checkin.id, element_id="responsiveness",
                             value=max(1, min(20, round(centre + rnd.randint(-3, 3))))))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
