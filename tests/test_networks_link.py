"""Joining a network by tapping: the invitation is a t.me/<bot>?startgroup=<code> link; Telegram opens its
group picker and delivers /start <code> in the group the admin picks, where an admin confirms, by name or
anonymously. Single-use and signed like the codes; the old /acceptnetwork CODE still works.

End to end through the real bot and the local Bot API server. The tap itself is Telegram's part: here it
is the message the client sends on the admin's behalf in the chosen group.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from sqlmodel import select

from piebot.demo.people import add_bot_and_set_up, press, say
from piebot.storage.models import NetworkMembership
from tests.test_networks import NETWORK, accept, code_in, fresh_code, new_network

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def link_in(message) -> str:
    return re.search(r"https://t\.me/\S+\?startgroup=\S+", message.text).group(0)


async def tap_in_group(api, admin, link: str, group):
    """What a client does when the link is tapped and `group` picked: /start@bot <payload> in that group."""
    url = urlparse(link)
    bot_name = url.path.strip("/")
    assert bot_name == api.bot_user["username"]
    (payload,) = parse_qs(url.query)["startgroup"]
    assert PAYLOAD.match(payload), "Telegram only carries 64 characters of A-Z a-z 0-9 _ - in a deep link"
    return await say(api, admin, group, f"/start@{bot_name} {payload}")


async def test_a_team_joins_by_tapping_the_link_and_confirming(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    link = link_in(card)
    ash = await add_bot_and_set_up(api, title="Ash House", members=2)

    question = await tap_in_group(api, ash.admin, link, ash.group)
    assert "How should your team appear" in question.text and NETWORK in question.text
    with harness.db.session() as s:
        assert s.exec(select(NetworkMembership)).all() == []  # nothing until an admin confirms
    refused = await press(api, ash.members[0], question, "Stay anonymous")
    assert refused["show_alert"] and "Only a group admin" in refused["text"]
    await press(api, ash.admin, question, "Stay anonymous")
    await api.wait_for(lambda: any("You're in" in m.text for m in api.chat_log(ash.group)))
    with harness.db.session() as s:
        [row] = s.exec(select(NetworkMembership)).all()
        assert row.anonymous

    # The same link again, in another team's group: spent, said kindly.
    birch = await add_bot_and_set_up(api, title="Birch Court", members=1)
    again = await tap_in_group(api, birch.admin, link, birch.group)
    assert "used already" in again.text and "new one" in again.text
    # A link changed by hand (another network's number) fails its signature.
    other = link.replace("startgroup=n1-", "startgroup=n2-")
    assert other != link
    forged = await tap_in_group(api, birch.admin, other, birch.group)
    assert "doesn't look right" in forged.text
    # A member who isn't an admin can't bring the team in by tapping a fresh link.
    before = len(api.chat_log(lead))
    await press(api, lead, card, "Invite a team")
    await api.wait_for(lambda: len(api.chat_log(lead)) > before)
    fresh = link_in(api.chat_log(lead)[before])
    cal = api.create_user("Cal")
    api.add_member(birch.group, cal)
    assert "Only a group admin" in (await tap_in_group(api, cal, fresh, birch.group)).text
    # An admin tapping it is asked, and joins by name.
    question = await tap_in_group(api, birch.admin, fresh, birch.group)
    await press(api, birch.admin, question, "Show our name")
    await api.wait_for(lambda: any("You're in" in m.text for m in api.chat_log(birch.group)))
    with harness.db.session() as s:
        assert len(s.exec(select(NetworkMembership)).all()) == 2


async def test_the_old_command_still_works_beside_the_link(api, harness):
    lead = api.create_user("Lin")
    card = await new_network(api, lead)
    assert link_in(card) and code_in(card)
    ash = await add_bot_and_set_up(api, title="Ash House", members=1)
    await accept(api, ash, code_in(card))
    with harness.db.session() as s:
        assert len(s.exec(select(NetworkMembership)).all()) == 1
    # A code typed after using its link (or the other way round) is spent either way.
    code = await fresh_code(api, lead, card)
    birch = await add_bot_and_set_up(api, title="Birch Court", members=1)
    link = link_in(api.chat_log(lead)[-1])
    assert code in link
    question = await tap_in_group(api, birch.admin, link, birch.group)
    await press(api, birch.admin, question, "Show our name")
    await api.wait_for(lambda: any("You're in" in m.text for m in api.chat_log(birch.group)))
    cedar = await add_bot_and_set_up(api, title="Cedar Lodge", members=1)
    assert "used already" in (await say(api, cedar.admin, cedar.group, f"/acceptnetwork {code}")).text
    # And /start in a group without a link is still the group's help.
    assert "/join" in (await say(api, cedar.admin, cedar.group, "/start")).text
