"""Scene: the admin makes the framework the team's own, in the chat: the first level gets the team's own
name and a line on what it means, seen before it is saved. Every later card, summary, chart and file of
the demo then uses the team's name for that level.
"""

from __future__ import annotations

from piebot.demo.people import bot_reply, press, say

OUR_NAME = "Finding our feet"
WHAT_IT_MEANS = "We have noticed it matters; little is in place yet."


async def scene(api, bot, story) -> None:
    team = story.team
    group, ada = team.group, team.admin

    def now(card):
        return next(m for m in api.chat_log(group) if m.message_id == card.message_id)

    async def tap(card, label: str, shows: str):
        await press(api, ada, now(card), label)
        await api.wait_for(lambda: shows in now(card).text, timeout=60)
        return now(card)

    card = await say(api, ada, group, "/customise")
    card = await tap(card, "Level names", "The four levels of the scale")
    before = len(api.chat_log(group))
    await press(api, ada, now(card), "Rename 1")
    prompt = await bot_reply(api, group, before, timeout=60)
    await api.send(ada, group, f"{OUR_NAME}\n{WHAT_IT_MEANS}", reply_to=prompt)
    await api.wait_for(lambda: f"1. {OUR_NAME}" in now(card).text, timeout=60)
    card = await tap(card, "← Back", "Customise our framework")
    card = await tap(card, "See it, then save", "How it will look")
    await tap(card, "Save", "Saved")
