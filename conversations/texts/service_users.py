"""What piebot says in a service users' round: a staff member (the scribe) reads the questions in plain
words with the people the service supports and enters each person's view, one after another."""

from __future__ import annotations

from html import escape

NOT_ALLOWED = "Only a group admin or a facilitator can run a round with the people you serve."
ADMIN_ONLY = "Only a group admin can change whether you have their permission."
NOT_SET_UP = "This team isn't set up yet. An admin can tap /setup."
NO_TEAM = ("I don't know which team you scribe for. In your team's group, an admin or facilitator can send "
           "/serviceusers and tap the button to start here.")
OPEN_PRIVATE = "✍️ Enter their views in private"
PICK_TEAM = "Which team is this for?"


def intro(team: str, permission: bool, comparison: list[str]) -> str:
    lines = [
        f"🗣 <b>Service users' views — {escape(team)}</b>",
        "The people you serve can give their own view, in everyday words. A staff member sits with them, "
        "reads the questions and enters each person's answer in a private chat with me. No names are kept.",
        "",
        ("✅ The team has marked that it has their permission: their views are shown beside yours."
         if permission else
         "🔒 Their views are not shown here until the team marks that it has their permission: "
         "an admin sends <code>/serviceusers permission</code>."),
    ]
    if comparison:
        lines += ["", "<b>Their views beside yours</b>", *comparison]
    return "\n".join(lines)


def comparison_line(element: str, people: int, middle: str, staff_view: str | None) -> str:
    """`middle` and `staff_view` are places in words, safe HTML already (conversations.texts.scale.place)."""
    ours = f"your team view: {staff_view}" if staff_view is not None else "no team view of yours yet"
    return (f"• {escape(element)}: {people} {'person' if people == 1 else 'people'}, middle view {middle}; "
            f"{ours}")


def permission_now(on: bool) -> str:
    if on:
        return ("✅ Marked: the team has the permission of the people it serves. Their views are shown beside "
                "the staff view. Networks see them only if the team also chose to share them there (/networks).")
    return "🔒 Not marked: their views are kept, but not shown beside the staff view."


PICK_ELEMENT = ("<b>Which part shall we talk about?</b>\nPick one. Then read the question with each person "
                "and enter their answer; you can add their words too.")


def ask_person(n: int, element: str, questions: list[str]) -> str:
    asked = "\n".join(f"• {escape(q)}" for q in questions)
    return (f"<b>Person {n}</b> · {escape(element)}\n{asked}\n\n"
            "Where would they put it? Pick the level, then the place in it.")


def rated(n: int, place: str) -> str:
    return (f"<b>Person {n}</b>: {place} ✓\n"
            "Any words from them? Send what they said (no names), or tap <b>Next person</b>.")


WORDS_NOTED = "Noted. Tap <b>Next person</b> or <b>Finish</b>."
WORDS_BUTTONS_NEXT = "Next person"
FINISH = "Finish"


def finished(element: str, people: int) -> str:
    return (f"✅ Done: {people} {'person' if people == 1 else 'people'} gave their view on {escape(element)}. "
            "I've told the team's group.")


def group_news(element: str, people: int, middle: str | None, staff_view: str | None, permission: bool) -> str:
    """`middle` and `staff_view` are places in words, safe HTML already (conversations.texts.scale.place)."""
    if permission and middle is None:
        return (f"🗣 A round with the people you serve on <b>{escape(element)}</b> is recorded "
                f"({people} {'person' if people == 1 else 'people'}). Fewer than three views can't be shown "
                "without giving people away, so they aren't.")
    if not permission or middle is None:
        return (f"🗣 A round with the people you serve on <b>{escape(element)}</b> is recorded "
                f"({people} {'person' if people == 1 else 'people'}). Their views are shown here once the team "
                "marks that it has their permission: <code>/serviceusers permission</code>")
    ours = f"your team view: {staff_view}" if staff_view is not None else "you have no team view of it yet"
    return (f"🗣 The people you serve on <b>{escape(element)}</b>: {people} "
            f"{'person' if people == 1 else 'people'}, middle view {middle}; {ours}.")


PRIVATE_ONLY = "That works in a private chat."
BUTTON_GONE = "That button doesn't work any more."
NOT_THIS_SCRIBES_ROUND = "That round isn't open here any more. Start again with /serviceusers."
SAVED = "Saved"
FINISHED = "Finished"

# Refusals from piebot.storage.service_users, shown as they are in an alert.
ROUND_GONE = "That round isn't there any more."
ROUND_FINISHED = "That round has finished. Start another with /serviceusers."
NOT_A_PLACE = "That isn't a place on the scale."
