"""One member can't stall the group: thirty presses on a chart button in nine seconds draw one chart, get
one kind "slow down", and leave the group's next command, and a live card's count, answered at once.

The local server keeps Telegram's limits here (20 messages a minute in a group), and so does the bot."""

from __future__ import annotations

import asyncio
import time

import pytest

from conversations.texts import charts as chart_texts
from piebot.demo.people import say
from piebot.storage import live as live_rows
from piebot.storage import rounds
from piebot.storage.db import session_scope
from piebot.storage.models import Member, Team
from piebot.telegram.charts import pictures
from piebot.telegram.rounds.card import post_card
from tests.conftest import Harness
from tests.rounds_helpers import current, grid_data
from tests.test_charts_bot import FIRST, play_round

NAMES = ("Ada", "Bea", "Cal", "Dee")


@pytest.fixture
async def harness(api, sqlite_url):
    """The bot against a server that enforces Telegram's limits, with the rate limiter that keeps them."""
    api.enforce_limits = True
    harness = Harness(api=api, database_url=sqlite_url)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def seed_team(api, db):
    """A set-up team with a closed round (something to chart) and a live round open: written straight into
    the database, so that set-up does not spend the group's minute."""
    group = api.create_group("Ash House")
    group.bot_status = "member"
    people = {name: api.create_user(name) for name in NAMES}
    for name, user in people.items():
        api.add_member(group, user, status="creator" if name == "Ada" else "member")
    with session_scope(db) as s:
        team = Team(chat_id=group.id, chat_title=group.title, name=group.title, set_up=True)
        s.add(team)
        s.flush()
        s.add_all([Member(team_id=team.id, telegram_user_id=u.id, display_name=name, facilitator=name == "Ada")
                   for name, u in people.items()])
        team_id = team.id
    play_round(db, group.id, FIRST, {"empathy": 7, "training": 6, "responsiveness": 11})
    with session_scope(db) as s:
        # An element the closed round did not look at: its card opens on the rating, not on a review.
        rounds.open_round(s, team_id=team_id, element_ids=["support"], scope="element", scope_ref=None,
                          mode="live", anonymous=False, framework_variant="pies2", opened_by=None)
    return group, people


async def test_thirty_chart_presses_in_nine_seconds_leave_the_group_answered(api, harness, monkeypatch):
    group, people = seed_team(api, harness.db)
    bea, cal, dee = people["Bea"], people["Cal"], people["Dee"]
    app = harness.bot.app
    [card_to_post] = await app.bot_data["runtime"].read(live_rows.cards_to_post)
    await post_card(app, card_to_post.card_id)
    card = next(m for m in api.chat_log(group) if "have rated" in m.text)
    drawn = []
    real_render = pictures.render

    async def counting_render(fn, *args):
        drawn.append(fn.__name__)
        return await real_render(fn, *args)

    monkeypatch.setattr(pictures, "render", counting_render)
    menu = await say(api, bea, group, "/chart")
    profile = menu.button(chart_texts.PROFILE_BUTTON)

    card_shown = asyncio.Event()
    rated_at: list[float] = []

    async def cal_rates() -> None:
        rated_at.append(time.monotonic())
        await api.press(cal, current(api, card), grid_data(current(api, card), 2, 3))
        await api.wait_for(lambda: "1 of 4 have rated" in current(api, card).text, timeout=10)
        card_shown.set()

    queries, rating = [], None
    for n in range(30):  # one press every 0.3 s: nine seconds of Bea pressing
        queries.append(await api.press(bea, menu, profile))
        if n == 3:
            rating = asyncio.create_task(cal_rates())
        await asyncio.sleep(0.3)
    await rating
    # The live card was not held up behind the charts.
    assert card_shown.is_set()
    asked = time.monotonic()
    status = await say(api, dee, group, "/status")
    assert time.monotonic() - asked < 5.0, "the next command waited behind the chart presses"
    assert "have rated" in status.text or "round" in status.text.lower()
    await api.wait_idle(timeout=30)

    answers = [api.answer_to(q) for q in queries]
    assert all(a is not None for a in answers)  # every press stopped spinning
    said = [a.get("text") or "" for a in answers]
    assert sum("Slow down" in t for t in said) == 1
    assert drawn == ["team_profile"]
    assert [c.method for c in api.calls].count("sendPhoto") == 1
    assert api.stats.too_many_requests == 0
