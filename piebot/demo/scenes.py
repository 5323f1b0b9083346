"""The demo's story, scene by scene. Each feature adds its scene here."""

from __future__ import annotations

from dataclasses import dataclass

from piebot.demo.people import Team, add_bot_and_set_up
from piebot.localapi import LocalBotApi
from piebot.runner import Bot


@dataclass
class Story:
    team: Team


async def play(api: LocalBotApi, bot: Bot) -> Story:
    team = await add_bot_and_set_up(api, title="Hope House team", members=3, relationships=True)
    story = Story(team=team)
    for scene in SCENES:
        await scene(api, bot, story)
    return story


SCENES: list = []
