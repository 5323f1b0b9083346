"""What the bot says about people's data: seeing it, erasing it, how long it is kept."""

from __future__ import annotations

from html import escape

PRIVATE_ONLY = "That works in our private chat, so only you see it. Open a chat with me and send it there."
MYDATA_CAPTION = (
    "Everything I keep that is linked to you, and your anonymous answers I can still find: in rounds and "
    "check-ins still open, and any still waiting for more people to answer (only I can find those; once "
    "they have gone into a closed round or check-in, nobody can, me included)."
)
MYDATA_NOTHING = "I don't keep anything linked to you."
MYDATA_FILENAME = "piebot-my-data.json"
# Inside the /mydata file, beside what is there.
MYDATA_NOT_INCLUDED = (
    "Anonymous answers that went into rounds and check-ins that have closed: nobody can find whose they are "
    "any more, the bot included, so they cannot be shown."
)
# Who someone becomes on the team's lists once they have asked to be forgotten.
FORMER_MEMBER = "Former member"

FORGET_ASK = (
    "<b>Erase your data?</b>\n"
    "I'll delete your ratings, evidence, the actions you wrote, peer-review comments, reminders and "
    "questions waiting for you, and take your name off actions and your teams' member lists. Your "
    "anonymous answers I can still find go too: in rounds and check-ins still open, and any still waiting "
    "for more people to answer (only I can find those). Anonymous answers that went into closed rounds and "
    "check-ins stay in your teams' totals: nobody can find whose they are, me included. This can't be undone."
)
FORGET_YES = "Erase my data"
FORGET_NO = "Keep it"
FORGET_KEPT = "Nothing erased. Your data is as it was."


def forgotten(teams: int, ratings: int, evidence: int, anonymous: int = 0) -> str:
    if not teams:
        return "Done. I had nothing named about you, and I've cleared any conversation we were in."
    unnamed = (f" I also erased {anonymous} anonymous answer{'s' if anonymous != 1 else ''} I could still "
               "find." if anonymous else "")
    return (
        f"Done. I erased {ratings} rating{'s' if ratings != 1 else ''} and {evidence} piece"
        f"{'s' if evidence != 1 else ''} of evidence, and took your name off {teams} team"
        f"{'s' if teams != 1 else ''}.{unnamed} Anonymous answers that went into closed rounds and check-ins stay "
        "in the team's totals: nobody can find whose they are, me included. To take part again, tap /join in "
        "the group."
    )


NOT_YOURS = "That button isn't for you."
RETENTION_USAGE = (
    "Send <code>/retention 365</code> (days), or <code>/retention off</code> to keep answers until you delete them."
)


def retention_now(days: int | None) -> str:
    kept = f"for <b>{days} days</b>, then deleted" if days else "<b>until the team deletes them</b>"
    return (f"<b>How long answers are kept</b>\nRatings, evidence, actions, comments, and who answered are kept "
            f"{kept}.\nChange it:")


def retention_set(days: int | None) -> str:
    if days:
        return f"Answers older than {days} days will now be deleted each day."
    return "Answers are now kept until the team deletes them."


RETENTION_KEEP = "Keep until deleted"


def retention_choice(days: int) -> str:
    return f"{days} days"

DELETE_ASK = (
    "<b>Delete everything about this team?</b>\n"
    "Every round, rating, piece of evidence, action, check-in, schedule and member record of "
    "<b>{name}</b> will be gone for good, and I'll leave the group. Only an admin can confirm."
)
DELETE_YES = "Delete everything"
DELETE_NO = "Cancel"
DELETE_KEPT = "Cancelled. Nothing was deleted."
GOODBYE = (
    "Everything about this team is deleted. Goodbye, and thank you for the work you do. "
    "Add me again any time to start afresh."
)
NO_TEAM = "There's nothing stored for this group."
BUTTON_GONE = "That button doesn't work any more."


def team_name(name: str) -> str:
    return escape(name)
