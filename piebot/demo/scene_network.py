"""Scene: the whole system. Ada also leads Riverside Homeless Network, an overlay of local services.

A team joins by its admin tapping the invitation link, picking the team's group and confirming there,
by name or under an alias (typing /acceptnetwork with the code is the fallback). Hope House joins by
name and asks the people it serves about pathways, with their permission. Four more small teams join,
each with two rounds behind it: Ash Lodge by name; Birch Court outreach, Cedar Row hostel and Dale
Street day centre under an alias. Teams under an alias appear in threes, so nobody can tell which is
which: with three of them, all three show. Then Ada opens the network's overview: the teams side by
side, distance travelled, individual and team views, check-in trends, the gaps no single service
controls, and the PDF.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from framework import load_framework
from piebot import clock
from piebot.demo.people import add_bot_and_set_up, bot_reply, press, start_payload
from piebot.storage import rounds
from piebot.storage.db import session_scope
from piebot.storage.models import Member, Round, Team

NETWORK = "Riverside Homeless Network"

# Per team: two rounds of {element: (team view, individual views)}, what gets in the way, and actions
# that depend on others.
HISTORY = {
    "Ash Lodge": (
        [{"pathways": (5, [4, 5, 7]), "sector-engagement": (7, [6, 7, 9]), "responsiveness": (9, [8, 9, 11])},
         {"pathways": (7, [6, 7, 10]), "sector-engagement": (8, [7, 8, 8]), "responsiveness": (11, [9, 11, 13])}],
        {"pathways": "Nowhere to move on to: the council list is two years long."},
        [("pathways", "Ask the council for a move-on panel place", True)],
    ),
    "Birch Court outreach": (
        [{"pathways": (9, [8, 9, 12]), "empathy": (12, [11, 12, 14])},
         {"pathways": (8, [6, 8, 11]), "empathy": (13, [12, 13, 15])}],
        {"pathways": "Hospital discharges arrive with no notice on Friday evenings."},
        [("sector-engagement", "Join the hospital discharge forum", False),
         ("support", "Joint supervision with the community mental health team", True)],
    ),
    "Cedar Row hostel": (
        [{"pathways": (6, [5, 6, 8]), "responsiveness": (10, [9, 10, 12])},
         {"pathways": (7, [6, 7, 9]), "responsiveness": (12, [11, 12, 13])}],
        {"pathways": "Move-on flats are offered with a day's notice, and people miss them."},
        [("pathways", "Agree a week's notice of move-on offers with the council", True)],
    ),
    "Dale Street day centre": (
        [{"empathy": (10, [9, 10, 12]), "sector-engagement": (6, [5, 6, 8])},
         {"empathy": (11, [10, 11, 13]), "sector-engagement": (8, [7, 8, 9])}],
        {"sector-engagement": "Each service keeps its own waiting list, so people queue three times."},
        [("sector-engagement", "Share one waiting list with the two hostels", True)],
    ),
}
# Who joins after Hope House, the names of their two members, and how they appear.
NEWCOMERS = (
    ("Ash Lodge", ("Jo", "Kit"), "Show our name"),
    ("Birch Court outreach", ("Lou", "Max"), "Stay anonymous"),
    ("Cedar Row hostel", ("Ned", "Ola"), "Stay anonymous"),
    ("Dale Street day centre", ("Pat", "Ros"), "Stay anonymous"),
)


def _link(message) -> str:
    return re.search(r"https://t\.me/\S+\?startgroup=\S+", message.text).group(0)


async def _next(api, chat, before: int, timeout: float = 90.0):
    return await bot_reply(api, chat, before, timeout=timeout)


async def _say(api, user, chat, text: str):
    # The team's group has been busy in earlier scenes, so the bot may be waiting out Telegram's limit.
    before = len(api.chat_log(chat))
    await api.send(user, chat, text)
    return await _next(api, chat, before)


async def _accept(api, team, link: str, how: str) -> None:
    """The team's admin taps the invitation link, picks the team's group, and confirms there."""
    before = len(api.chat_log(team.group))
    await api.tap_startgroup(team.admin, link, team.group, named="the network's invitation link")
    question = await _next(api, team.group, before)
    before = len(api.chat_log(team.group))
    await press(api, team.admin, question, how)
    await api.wait_for(lambda: len(api.chat_log(team.group)) > before, timeout=90)


def _write_history(db, chat_id: int, history) -> None:
    rounds_, hinders, actions = history
    with session_scope(db) as session:
        team = session.exec(select(Team).where(Team.chat_id == chat_id)).one()
        members = list(session.exec(select(Member).where(Member.team_id == team.id).order_by(Member.id)))
        for age, views in zip((120, 5), rounds_, strict=True):
            round_ = rounds.open_round(session, team_id=team.id, element_ids=list(views), scope="all",
                                       scope_ref=None, mode="async", anonymous=False, framework_variant="pies2",
                                       opened_by=members[0].id)
            round_.opened_at = clock.now() - timedelta(days=age + 7)
            for element_id, (view, individual) in views.items():
                for member, value in zip(members, individual, strict=False):
                    rounds.record_rating(session, round_, member, element_id, value)
                rounds.set_team_view(session, round_, element_id, view)
            if age == 5:
                for element_id, text in hinders.items():
                    rounds.add_evidence(session, round_, members[0], element_id, "hindering", text=text)
                for element_id, text, depends in actions:
                    rounds.add_action(session, team_id=team.id, round_id=round_.id, element_id=element_id,
                                      text=text, depends_on_others=depends)
            rounds.close_round(session, round_)
            session.flush()
            round_.closed_at = clock.now() - timedelta(days=age)


def _has_closed_staff_round(db, chat_id: int) -> bool:
    with session_scope(db) as session:
        team = session.exec(select(Team).where(Team.chat_id == chat_id)).one()
        return session.exec(select(Round).where(Round.team_id == team.id, Round.status == "closed",
                                                Round.audience == "staff")).first() is not None


async def _service_users(api, team) -> None:
    """Ada sits with three residents and enters what each says about getting on to a next place."""
    street = load_framework("pies2-street")
    ada = team.admin
    intro = await _say(api, ada, team.group, "/serviceusers")
    before = len(api.chat_log(ada))
    await api.start_private(ada, payload=start_payload(intro))
    picker = await _next(api, ada, before)
    before = len(api.chat_log(ada))
    await press(api, ada, picker, street.element("pathways").name)
    card = await _next(api, ada, before)
    people = [(2, 2, "Nobody tells you what happens after here."), (1, 5, None),
              (2, 4, "My keyworker rang the council for me.")]
    for n, (level, position, words) in enumerate(people, start=1):
        await press(api, ada, card, street.scale.levels[level - 1].label)
        await api.wait_for(lambda card=card: "where in it" in card.text)
        await press(api, ada, card, ("start", "early", "halfway", "along", "top")[position - 1])
        await api.wait_for(lambda card=card: "✓" in card.text)
        after = await _say(api, ada, ada, words) if words else card
        before = len(api.chat_log(ada))
        if n < len(people):
            await press(api, ada, after, "Next person")
            card = await _next(api, ada, before)
        else:
            group_before = len(api.chat_log(team.group))
            await press(api, ada, after, "Finish")
            await _next(api, team.group, group_before)
    await _say(api, ada, team.group, "/serviceusers permission")


async def scene(api, bot, story) -> None:
    hope = story.team
    ada = hope.admin
    before = len(api.chat_log(ada))
    await api.send(ada, ada, f"/network new {NETWORK}")
    await api.wait_for(lambda: len(api.chat_log(ada)) >= before + 2)
    card = api.chat_log(ada)[before + 1]

    async def fresh_link() -> str:
        before = len(api.chat_log(ada))
        await press(api, ada, card, "Invite a team")
        return _link(await _next(api, ada, before))

    if not _has_closed_staff_round(bot.db, hope.group.id):
        _write_history(bot.db, hope.group.id, HISTORY["Ash Lodge"])
    await _accept(api, hope, _link(card), "Show our name")
    await _service_users(api, hope)
    sharing = next(m for m in reversed(api.chat_log(hope.group)) if "Service users' views: not shared" in m.text)
    await press(api, ada, sharing, "Share service users' views")

    for title, names, how in NEWCOMERS:
        team = await add_bot_and_set_up(api, title=title, members=2, names=names)
        _write_history(bot.db, team.group.id, HISTORY[title])
        await _accept(api, team, await fresh_link(), how)

    before = len(api.chat_log(ada))
    await press(api, ada, card, "Overview")
    await api.wait_for(lambda: any(m.kind == "document" for m in api.chat_log(ada)[before:]), timeout=60)
