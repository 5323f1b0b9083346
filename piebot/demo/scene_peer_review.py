"""Scene: peer review, the last Pizazz stage, after the live round.

Ada asks for a peer review code; it comes to her in private, never in the group. Rae, who leads a
comparable team elsewhere, redeems it in her own private chat, reads the round without anyone's name,
and replies with a question. The team sees her comments in the group.
"""

from __future__ import annotations

import re

CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
COMMENTS = (
    "Writing down the rules you bend is a brave first step. "
    "Who will tell agency night staff about them, and how will you know it reached them?"
)


async def scene(api, bot, story) -> None:
    team = story.team
    group, ada = team.group, team.admin
    await api.wait_idle(timeout=120)

    before = len(api.chat_log(group))
    await api.send(ada, group, "/peerreview")
    await api.wait_for(lambda: any("in private" in m.text for m in api.chat_log(group)[before:]), timeout=60)
    await api.wait_for(lambda: any(CODE.search(m.text) for m in api.chat_log(ada)), timeout=60)
    code = CODE.search([m for m in api.chat_log(ada) if CODE.search(m.text)][-1].text).group(0)

    rae = api.create_user("Rae", last_name="(Riverside day centre)")
    await api.start_private(rae)
    await api.wait_for(lambda: api.chat_log(rae), timeout=60)
    await api.send(rae, rae, f"/review {code}")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(rae)), timeout=60)
    view = [m for m in api.chat_log(rae) if m.force_reply][-1]
    before = len(api.chat_log(group))
    await api.send(rae, rae, COMMENTS, reply_to=view)
    await api.wait_for(lambda: any("Peer review from" in m.text for m in api.chat_log(group)[before:]), timeout=60)
