"""Scene: a short live round on one element, end to end, in the group.

Ada starts a round on Responsiveness. The team looked at it before, so the card first looks back: the
team view then and the actions agreed; Ada marks the one Bea finished as done right on the card, and
Dee says what changed. Then everyone places a bead on the card (one tap each); Ada shares the views,
the team talks it through with the card's prompts, and Ada places the team's bead on the grid; people
reply with evidence (one a photo), what gets
in the way and what helps; Ada records one action with an owner, a date and how we'll know; the
summary shows how far the team view moved since the last round, and Ada picks the review date.
"""

from __future__ import annotations

from piebot.demo.people import press, press_place, say
from piebot.telegram.rounds.summary import settle as summary_hooks_done

PLACES = {"Ada": (3, 4), "Bea": (3, 5), "Cal": (3, 2), "Dee": (3, 4)}


async def scene(api, bot, story) -> None:
    team = story.team
    group, ada = team.group, team.admin
    await api.wait_idle(timeout=120)

    wizard = await say(api, ada, group, "/assess")
    for label, step in (("One element", "Which element"), ("Responsiveness", "2 of 4"), ("Live", "3 of 4"),
                        ("Named", "4 of 4")):
        await press(api, ada, _now(api, wizard), label)
        await api.wait_for(lambda step=step: step in _now(api, wizard).text, timeout=60)
    before = len(api.chat_log(group))
    await press(api, ada, _now(api, wizard), "what gets in the way first")
    card = await _next(api, group, before, lambda m: "have rated" in m.text or "Looking back" in m.text)
    if "Looking back" in card.text:
        await _look_back(api, team, card, before)

    for person in team.everyone:
        level, position = PLACES[person.first_name]
        await press_place(api, person, _now(api, card), level, position)
    await api.wait_for(lambda: "4 of 4 have rated" in _now(api, card).text, timeout=60)
    await press(api, ada, _now(api, card), "Share the views")
    await api.wait_for(lambda: "Everyone's views" in _now(api, card).text, timeout=60)
    await press_place(api, ada, _now(api, card), 3, 4)  # where the team agreed, after talking
    await api.wait_for(lambda: "Team view:" in _now(api, card).text, timeout=60)

    bea, cal, dee = team.members
    replies = {
        "Evidence": [(bea, "We let Jo back in after curfew when her mum was in hospital."), (cal, None)],
        "What gets in the way": [(dee, "Agency staff on nights don't know the unwritten ways.")],
        "What helps": [(bea, "Everyone reads the handover book.")],
        "Action plan": [
            (ada, "Pair each agency night worker with a regular on their first shift\nBea\nin 3 weeks\n"
                  "Agency staff say they knew what to do"),
            (cal, "Ask the agency for the same night staff each week\nCal\nin 2 weeks"),
        ],
    }
    for stage, answers in replies.items():
        before = len(api.chat_log(group))
        await press(api, ada, _now(api, card), f"Next: {stage}")
        prompt = await _next(api, group, before, lambda m: m.force_reply)
        for person, text in answers:
            if text is None:
                await api.send_photo(person, group, caption="The rules we bent this week, on the office board",
                                     reply_to=prompt)
            else:
                await api.send(person, group, text, reply_to=prompt)
        await api.wait_idle(timeout=60)

    # Bea's private receipt: she takes the resident's name out of her words, as the question asks.
    await api.wait_for(lambda: _note(api, bea, "We let Jo back in") is not None, timeout=60)
    asked_from = len(api.chat_log(bea))
    await press(api, bea, _note(api, bea, "We let Jo back in"), "Edit")
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(bea)[asked_from:]), timeout=60)
    ask = next(m for m in api.chat_log(bea)[asked_from:] if m.force_reply)
    await say(api, bea, bea, "We let a resident back in after curfew when her mum was in hospital.", reply_to=ask)
    # Dee's words are about how staff get on: one tap puts them in the relationships thread.
    await api.wait_for(lambda: _note(api, dee, "unwritten ways") is not None, timeout=60)
    await press(api, dee, _note(api, dee, "unwritten ways"), "About relationships")

    await press(api, ada, _now(api, card), "Close this element")
    await api.wait_for(lambda: "Done for this element" in _now(api, card).text, timeout=60)
    before = len(api.chat_log(group))
    await press(api, ada, _now(api, card), "Finish the round")
    summary = await _next(api, group, before, lambda m: "— summary" in m.text)
    await press(api, ada, summary, "In 8 weeks")
    await api.wait_for(lambda: "Review set" in _now(api, summary).text, timeout=60)
    # The round's charts are drawn and sent after the summary; let them land before the next scene.
    await summary_hooks_done(bot.app, queued_too=True)
    # Longer than the group's rate limit spaces messages, so nothing of this scene arrives in the next.
    await api.wait_idle(timeout=120, quiet=4)


async def _look_back(api, team, card, before: int) -> None:
    """The review that opens an element looked at before: settle what was done, say what changed."""
    group, ada = team.group, team.admin
    prompt = await _next(api, group, before, lambda m: m.force_reply)
    done = [label for row in _now(api, card).buttons for label, _ in row
            if "Done" in label and _action_number(_now(api, card).text, "Write down the three rules") in label]
    if done:
        await press(api, ada, _now(api, card), done[0])
        await api.wait_for(lambda: "rules we bend most, and why — Bea: ✅ done" in _now(api, card).text, timeout=60)
    await api.send(team.members[2], group, "We wrote the rules down, but agency staff on nights still don't "
                                           "know them.", reply_to=prompt)
    await api.wait_for(lambda: "Review: 1" in _now(api, card).text, timeout=60)
    await press(api, ada, _now(api, card), "Next: rate it now")
    await api.wait_for(lambda: "have rated" in _now(api, card).text, timeout=60)


def _action_number(text: str, what: str) -> str:
    """The number a review card gives an action ('2 · '), found by its words."""
    for line in text.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and rest.startswith(what):
            return f"{number} · "
    return "no such action"


def _now(api, message):
    return next(m for m in api.chat_log(message.chat_id) if m.message_id == message.message_id)


async def _next(api, chat, before: int, wanted):
    await api.wait_for(lambda: any(wanted(m) for m in api.chat_log(chat)[before:]), timeout=90)
    return next(m for m in api.chat_log(chat)[before:] if wanted(m))


def _note(api, person, words: str):
    """The bot's private receipt to `person` for the item that says `words`, with its buttons."""
    return next((m for m in reversed(api.chat_log(person)) if words in m.text and m.buttons), None)
