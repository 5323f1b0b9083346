"""Scene: the Pizazz comes round again. Weeks after the live round, its actions are followed to done and
the team reviews Responsiveness before rating it again.

Time is moved by hand (piebot.clock) and the scheduler's `tick` is called at each moment, as in the
check-in scene; it then runs on from the review's day, so the scenes after it happen after it too (the
demo puts it back at its end). Two weeks on, Cal's action is past its date: his private reminder asks,
and he keeps it on for two more weeks. Three weeks on, Bea's reminder comes and she taps Done. A week
before the review date Ada picked under the live round's summary, the group is reminded, with a button:
Ada taps it and a live review round opens on the elements looked at last time or with actions still open. Ada skips to
Responsiveness; its card looks back (the team view then and its date, both actions and where they
stand), people say what changed, then they rate again; once the team view is agreed, the card says how
far it has moved. The summary lists what was said looking back, and Ada asks for the report (PDF).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from piebot import clock, scheduling
from piebot.demo.people import press, press_place, say
from piebot.storage import schedules, teams
from piebot.telegram.rounds.summary import settle as summary_hooks_done

PLACES = {"Ada": (4, 1), "Bea": (4, 2), "Cal": (3, 5), "Dee": (4, 1)}
AFTERNOON = time(13, 0)


async def scene(api, bot, story) -> None:
    team = story.team
    group, ada = team.group, team.admin
    bea, cal, dee = team.members
    rt = bot.app.bot_data["runtime"]
    real_now = clock.now
    start = real_now()
    moment = start
    clock.now = lambda: moment
    try:
        # Two weeks and a day on: Cal's action was due yesterday. He keeps it on, for two more weeks.
        moment = _afternoon(start + timedelta(days=15))
        await scheduling.tick(bot.app, moment)
        late = await _reminder(api, cal, "Ask the agency for the same night staff")
        await press(api, cal, late, "Still on")
        await api.wait_for(lambda: "By when now?" in _now(api, late).text, timeout=60)
        await press(api, cal, _now(api, late), "In two weeks")
        await api.wait_for(lambda: "Still on" in _now(api, late).text, timeout=60)

        # Nineteen days on: Bea's comes two days before its date. She did it: one tap.
        moment = _afternoon(start + timedelta(days=19))
        await scheduling.tick(bot.app, moment)
        reminder = await _reminder(api, bea, "Pair each agency night worker")
        await press(api, bea, reminder, "Done")
        await api.wait_for(lambda: "✅ Done" in _now(api, reminder).text, timeout=60)

        # A week before the review date: the group is reminded, and the facilitator opens the review.
        review_on = await rt.read(lambda s: schedules.reassessment_schedule(
            s, teams.team_for_chat(s, group.id).id).review_date)
        moment = datetime.combine(review_on - timedelta(days=7), AFTERNOON, timezone.utc)
        before = len(api.chat_log(group))
        await scheduling.tick(bot.app, moment)
        notice = await _next(api, group, before, lambda m: "A week to go" in m.text)
        asked_from = len(api.chat_log(group))
        await press(api, ada, notice, "Start the review round")
        card = await _next(api, group, asked_from, lambda m: "· element 1 of" in m.text)
        while "Responsiveness" not in card.text.splitlines()[1]:
            asked_from = len(api.chat_log(group))
            await press(api, ada, _now(api, card), "Skip this one for now")
            card = await _next(api, group, asked_from, lambda m: "· element " in m.text)
        prompt = await _next(api, group, asked_from, lambda m: m.force_reply and "Responsiveness" in m.text)
        await api.send(bea, group, "Every agency night worker had a regular beside them on their first shift. "
                                   "Two of them told us they felt they could ask.", reply_to=prompt)
        await api.send(dee, group, "The agency still sends new people most weeks, so the pairing matters.",
                       reply_to=prompt)
        await api.wait_for(lambda: "Review: 2" in _now(api, card).text, timeout=60)

        await press(api, ada, _now(api, card), "Next: rate it now")
        await api.wait_for(lambda: "have rated" in _now(api, card).text, timeout=60)
        for person in team.everyone:
            level, position = PLACES[person.first_name]
            await press_place(api, person, _now(api, card), level, position)
        await api.wait_for(lambda: "4 of 4 have rated" in _now(api, card).text, timeout=60)
        await press(api, ada, _now(api, card), "Share the views")
        await api.wait_for(lambda: "Everyone's views" in _now(api, card).text, timeout=60)
        await press_place(api, ada, _now(api, card), 4, 1)  # where the team agreed, after talking
        await api.wait_for(lambda: "Since last time" in _now(api, card).text, timeout=60)

        before = len(api.chat_log(group))
        await press(api, ada, _now(api, card), "End round")
        await _next(api, group, before, lambda m: "— summary" in m.text)
        await summary_hooks_done(bot.app, queued_too=True)
        await say(api, ada, group, "/report")
        await api.wait_idle(timeout=120, quiet=4)
    finally:
        ahead = moment - real_now()
        clock.now = lambda: real_now() + ahead


def _afternoon(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), AFTERNOON, timezone.utc)


async def _reminder(api, person, what: str):
    await api.wait_for(lambda: any(what in m.text and m.buttons for m in api.chat_log(person)), timeout=60)
    return [m for m in api.chat_log(person) if what in m.text and m.buttons][-1]


def _now(api, message):
    return next(m for m in api.chat_log(message.chat_id) if m.message_id == message.message_id)


async def _next(api, chat, before: int, wanted):
    await api.wait_for(lambda: any(wanted(m) for m in api.chat_log(chat)[before:]), timeout=90)
    return next(m for m in api.chat_log(chat)[before:] if wanted(m))
