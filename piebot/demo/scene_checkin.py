"""Demo scene: the admin sets a weekly check-in; it is posted, answered by three, closed with a summary.

Time is moved by hand (piebot.clock) and the scheduler's `tick` is called at each moment, so the
scene takes seconds, not a day.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from conversations.schedule import default_rule
from piebot import clock, scheduling
from piebot.demo.people import bot_reply, press, say
from piebot.storage import checkins as store
from piebot.storage import teams


async def scene(api, bot, story) -> None:
    team = story.team
    ada, bea, cal, dee = team.everyone
    group = team.group
    real_now = clock.now
    moment = real_now()
    clock.now = lambda: moment
    try:
        # The admin has set the rhythm (/schedule's suggested answers: Tuesdays 14:00, open 24 hours);
        # written straight in here, because every wizard step is an edit and the group's 20-a-minute
        # allowance is better spent on the check-in itself.
        def set_rhythm(session):
            team_row = teams.team_for_chat(session, group.id)
            today = moment.astimezone(ZoneInfo(team_row.timezone)).date()
            store.save_schedule(session, team_row.id, default_rule(today), element_id="responsiveness",
                                anonymous=False, now=moment)

        await bot.app.bot_data["runtime"].apply(None, set_rhythm)
        shown = await say(api, bea, group, "/schedule")
        assert "Every Tuesday at 14:00" in shown.text, shown.text

        # The slot comes round: the check-in is posted to the group.
        slot = await bot.app.bot_data["runtime"].read(lambda s: store.next_slot_after(s, moment))
        moment = slot
        before = len(api.chat_log(group))
        await scheduling.tick(bot.app, slot)
        post = await bot_reply(api, group, before)

        await press(api, bea, post, "Getting there")
        await press(api, cal, post, "Well on the way")
        await press(api, dee, post, "Getting there")
        await press(api, bea, post, "We bent a rule")
        await api.wait_for(lambda: api.last(group).force_reply, timeout=60)
        # A written answer in the group is kept quietly: the bot's reaction on it, no new message.
        reply = await api.send(bea, group, "Let a resident stay in past curfew after bad news from home",
                               reply_to=api.last(group))
        await api.wait_for(lambda: api.reactions_on(group.id, reply["message_id"]), timeout=60)
        count = len(api.chat_log(group))
        await press(api, cal, post, "One small change")
        await api.wait_for(lambda: len(api.chat_log(group)) > count and api.last(group).force_reply, timeout=60)
        reply = await api.send(cal, group, "Ten-minute debrief after every incident\nCal\nin 2 weeks",
                               reply_to=api.last(group))
        await api.wait_for(lambda: api.reactions_on(group.id, reply["message_id"]), timeout=60)
        # Dee asks for support: it reaches her privately, and the group sees nothing of it.
        await press(api, dee, post, "support")

        # The window closes: the summary goes to the group.
        moment = slot + timedelta(hours=24)
        before = len(api.chat_log(group))
        await scheduling.tick(bot.app, moment)
        await bot_reply(api, group, before, timeout=60)
    finally:
        clock.now = real_now
