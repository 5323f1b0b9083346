"""Playing a live round as people in the group, for the end-to-end tests."""

from __future__ import annotations

from conversations.texts.scale import WHERE_IN_LEVEL
from piebot.demo.people import Team, press, say

WHERE = ("start", "early", "halfway", "along", "top")


def grid_data(card, level: int, position: int) -> str:
    """The callback data of one place on a card's grid (a member's bead, or the team view): the buttons
    under a level's name say where in it, in words, so the place is found by what it carries."""
    for row in card.buttons:
        for _, data in row:
            if data and data.rsplit(":", 1)[-1] in (f"P{level}.{position}", f"T{level}.{position}"):
                return data
    raise AssertionError(f"no place {level}.{position} on message {card.message_id}: {card.buttons}")


def has_grid(card, team: bool = False) -> bool:
    return any(data and data.rsplit(":", 1)[-1] == ("T1.1" if team else "P1.1") for row in card.buttons
               for _, data in row)


async def start_round(api, team: Team, *, scope: str = "One element", pick: str | None = "Responsiveness",
                      anonymous: bool = False, strengths_first: bool = False, by=None, opens: str = "have rated",
                      names_shown: bool = False):
    """/assess through the wizard; returns the first element card (`opens`: words it opens with; an
    element looked at before opens with "Looking back"). Named unless `anonymous`; with `names_shown`,
    "named and shown": the names stand beside the beads after the reveal."""
    group, who = team.group, by or team.admin
    wizard = await say(api, who, group, "/assess")
    await press(api, who, wizard, scope)
    if pick is not None:
        await api.wait_for(lambda: pick in _labels(_message(api, wizard)))
        await press(api, who, _message(api, wizard), pick)
    await api.wait_for(lambda: "2 of 4" in _message(api, wizard).text)
    await press(api, who, _message(api, wizard), "Live")
    await api.wait_for(lambda: "3 of 4" in _message(api, wizard).text)
    await press(api, who, _message(api, wizard),
                "Anonymous" if anonymous else ("Named and shown" if names_shown else "Named"))
    await api.wait_for(lambda: "4 of 4" in _message(api, wizard).text)
    before = len(api.chat_log(group))
    await press(api, who, _message(api, wizard), "strengths" if strengths_first else "in the way")
    # Not simply the next message: an earlier round's charts may still be arriving.
    await api.wait_for(lambda: any(opens in m.text for m in api.chat_log(group)[before:]), timeout=10)
    return next(m for m in api.chat_log(group)[before:] if opens in m.text)


def _labels(message) -> str:
    return " ".join(label for row in message.buttons for label, _ in row)


def _message(api, message):
    # Message ids count per chat, and a migrated group's log holds both of its chats.
    return next(
        m for m in api.chat_log(message.chat_id)
        if m.message_id == message.message_id and m.chat_id == message.chat_id
    )


def current(api, message):
    """The message as it reads now, after the bot's edits."""
    return _message(api, message)


async def rate(api, user, card, level: int, position: int) -> dict:
    query_id = await api.press(user, current(api, card), grid_data(current(api, card), level, position))
    await api.wait_for(lambda: api.answer_to(query_id) is not None)
    return api.answer_to(query_id)


async def tap(api, user, card, label: str) -> dict:
    return await press(api, user, current(api, card), label)


async def tap_place(api, user, card, level: int, position: int) -> dict:
    """Press a place on a card's grid (level, then where in it)."""
    return await rate(api, user, card, level, position)


async def wait_card(api, card, text: str, timeout: float = 10.0):
    await api.wait_for(lambda: text in current(api, card).text, timeout=timeout)
    return current(api, card)


async def next_prompt(api, group, before: int):
    """The next ForceReply question in the group after `before` messages."""
    await api.wait_for(lambda: any(m.force_reply for m in api.chat_log(group)[before:]), timeout=10)
    return next(m for m in api.chat_log(group)[before:] if m.force_reply)


async def rate_all(api, people, card, places) -> None:
    for user, (level, position) in zip(people, places, strict=True):
        await rate(api, user, card, level, position)
    await wait_card(api, card, f"{len(places)} of ")


async def past_the_review(api, facilitator, card):
    """An element looked at before opens with the review: the facilitator moves on to the rating."""
    await tap(api, facilitator, card, "Next: rate it now")
    return await wait_card(api, card, "have rated")


async def reveal(api, facilitator, card):
    await tap(api, facilitator, card, "Share the views")
    return await wait_card(api, card, "Everyone's views")


def middle_on_card(card) -> tuple[int, int]:
    """(level, where in it) of the middle view the card gives for information after the reveal."""
    levels = [label for row in card.buttons for label, data in row if data and ":lvn:" in f":{data}"]
    said = card.text.split("the middle view is ", 1)[1].split(".", 1)[0]
    level_name, where = said.split(" — ")
    return levels.index(level_name) + 1, WHERE_IN_LEVEL.index(where) + 1


async def agree_middle(api, facilitator, card):
    """The team talked and settled on the middle view: the facilitator places the team's bead there."""
    level, position = middle_on_card(current(api, card))
    await tap_place(api, facilitator, card, level, position)
    return await wait_card(api, card, "Team view:")


async def next_stage(api, facilitator, group, card, stage_label: str):
    """Tap Next to open a stage; returns its question (ForceReply)."""
    before = len(api.chat_log(group))
    await tap(api, facilitator, card, f"Next: {stage_label}")
    return await next_prompt(api, group, before)


async def next_card(api, facilitator, group, card):
    """Close this element and go to the next; returns the new card."""
    await tap(api, facilitator, card, "Close this element")
    await wait_card(api, card, "Done for this element")
    before = len(api.chat_log(group))
    await tap(api, facilitator, card, "Next element")
    await api.wait_for(lambda: any("have rated" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    return next(m for m in api.chat_log(group)[before:] if "have rated" in m.text)


async def finish(api, facilitator, group, card):
    """Finish the round from a closed last element; returns the summary message."""
    before = len(api.chat_log(group))
    await tap(api, facilitator, card, "Finish the round")
    return await summary_after(api, group, before)


async def summary_after(api, group, before: int):
    await api.wait_for(lambda: any("— summary" in m.text for m in api.chat_log(group)[before:]), timeout=10)
    return next(m for m in api.chat_log(group)[before:] if "— summary" in m.text)
