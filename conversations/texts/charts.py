"""Charts in words: what the bot says around charts, reports and exports (HTML; user strings escaped
here), what the results call things, and every word drawn on or under a chart picture (plain text).

Imported by the chart renderers in their worker processes: keep it free of anything heavier than the
standard library.
"""

from __future__ import annotations

from datetime import date
from html import escape

GROUP_ONLY = "Charts belong to a team: use /chart, /report or /export in your team's group."
NOT_SET_UP = "This group isn't set up yet. An admin can start with /setup."
NOT_JOINED = "Charts are for the team's members. Tap /join first, then /chart again."
NOTHING_YET = (
    "📊 No charts yet: no round has closed, no check-in has been answered and no action has been agreed. "
    "Start a round with /assess; the charts appear here when it closes."
)
MENU = "📊 <b>Which chart?</b>"
MENU_LATEST = "Profile and spread show the round closed {date}."
MENU_NO_ROUND = "Profile and spread appear when the first round closes."
MENU_ONE_ROUND = "How far we've travelled appears once a second round has closed."
MENU_NO_CHECKINS = "Check-in trends appear after the first check-in closes."
PROFILE_BUTTON = "Where we are now"
SPREAD_BUTTON = "How far apart we are"
DISTANCE_BUTTON = "How far we've travelled"
ACTIONS_BUTTON = "Our actions"


def trend_button(element: str) -> str:
    return f"{element[:40]} over time"


def round_button(closed_on: str, round_id: int, ticked: bool = False) -> str:
    return f"{closed_on} · round {round_id}" + (" ✓" if ticked else "")


def last_two_button(before: str, after: str) -> str:
    return f"The last two ({before} → {after})"


PICK_FROM = "📏 <b>How far we've travelled</b>\nCompare from which round? (The last two are ticked.)"
PICK_TO = "📏 <b>How far we've travelled</b>\nFrom the round closed {date}, to which round?"
DRAWING = "Drawing it…"
MAKING = "Making it…"
NEED_TWO_ROUNDS = "How far we've travelled needs two closed rounds. It appears after the next round closes."

ONLY_LEADS = "Only a group admin or the team's facilitator can do that."
AS_YOURSELF = "Write it as yourself rather than as the group, so I can send the files to you privately."
NO_ROUND_FOR_REPORT = "No round has closed yet, so there's no report to make. It can be made once a round closes."
OPEN_PRIVATE_FIRST = (
    "I send reports and exports privately, and I can't write to you yet. Tap /join here, open the chat "
    "with me from the button, then try again."
)
BUTTON_EXPIRED = "That button doesn't work any more. Use /chart again."
WRONG_CHAT = "That button belongs to another team's chat."
ROUND_GONE = "That round isn't there any more. Use /chart again."
FAILED = "Sorry, I couldn't make that just now. Please try again in a minute."

EARLIER_REPORTS = "Reports of earlier rounds:"


def report_sent(name: str, date: str, anonymous: bool, parts: int) -> str:
    files = "the report" if parts == 1 else f"the report in {parts} parts"
    note = " Answers were anonymous, so it holds no names." if anonymous else ""
    return f"📄 I've sent {escape(name)} {files} of the round closed {escape(date)}, privately.{note}"


def export_sent(name: str) -> str:
    return (f"🗂 I've sent {escape(name)} the team's ratings, check-ins and actions as spreadsheet files, "
            "privately. Anonymous answers stay anonymous in them.")


def report_caption(team: str, date: str, part: int, parts: int) -> str:
    which = f" (part {part} of {parts})" if parts > 1 else ""
    return f"PIE self-assessment report: {team}, round closed {date}{which}."


EXPORT_CAPTIONS = {
    "ratings.csv": "Every rating, one row per answer (anonymous rounds show 'anonymous').",
    "checkins.csv": "Check-ins: date, how many answered, middle, lowest and highest.",
    "actions.csv": "Actions: what, who, by when, status.",
}


# ---------------------------------------------------------------- what the results call things

# Elements a team has since hidden or that its framework no longer knows.
OTHER_THEME = "No longer in our framework"
NO_THEME = "Whole round"
# What a file without words shows as, so a photo of the noticeboard still counts as evidence.
FILE_WORDS = {"photo": "(a photo)", "voice": "(a voice note)", "document": "(a document)"}


def held_back(count: int) -> str:
    return f"({count} note{'s' if count != 1 else ''} given privately, kept within the team)"


# ---------------------------------------------------------------- dates on charts, reports and buttons


def nice_date(day: date | None) -> str:
    if day is None:
        return "still open"
    return f"{day.day} {day:%b %Y}"


def round_name(closed_on: date | None) -> str:
    return "the open round" if closed_on is None else f"the round closed {nice_date(closed_on)}"
