"""The demo's story, scene by scene. Each feature adds its scene here."""

from __future__ import annotations

from dataclasses import dataclass

from piebot.demo import (
    scene_charts,
    scene_checkin,
    scene_customise,
    scene_live_round,
    scene_network,
    scene_peer_review,
    scene_review,
)
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


# Charts come last: they show whatever the scenes before them left behind (a live round, check-ins).
SCENES: list = [scene_charts.scene]
# The whole system comes last of all: it looks across this team and two more.
SCENES.append(scene_network.scene)
# A check-in comes before the charts, so the responsiveness trend has a point to show.
SCENES.insert(SCENES.index(scene_charts.scene), scene_checkin.scene)
# The live round comes after the charts' history, so its summary shows the distance travelled since then.
SCENES.insert(SCENES.index(scene_charts.scene) + 1, scene_live_round.scene)
# Peer review, the last Pizazz stage, looks at the live round once it has closed.
SCENES.insert(SCENES.index(scene_live_round.scene) + 1, scene_peer_review.scene)
# Weeks later the cycle comes round: actions followed to done, then the review and the next rating.
SCENES.insert(SCENES.index(scene_peer_review.scene) + 1, scene_review.scene)
# The team makes the framework its own first, so everything after speaks its words.
SCENES.insert(0, scene_customise.scene)
